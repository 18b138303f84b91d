// The zproto binary's admin listener with the DNS server: `serve dns --admin --rrl` answers
// GET /metrics with counters that match the queries sent (per transport, per rcode, per
// type, RRL drops and slips of a burst from one address); and one process running HTTP and
// DNS with the same admin_listen serves one listener showing both services' counters.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "../common/test_files.h"
#include "../common/test_net.h"
#include "../common/test_process.h"
#include "../unit/services/dns_test_util.h"

namespace {

using namespace std::chrono_literals;
using zp::test::connect_loopback;
using zp::test::free_port;
using zp::test::make_query;
using zp::test::port_open;
using zp::test::slurp;
using zp::test::spawn;
using zp::test::wait_exit;
using zp::test::write_file;
using zp::test::http_get;
using zp::test::metric;
namespace fs = std::filesystem;
namespace rrtype = zp::codec::dns::rrtype;

// A blocking UDP client of 127.0.0.1:port.
struct Udp {
  int fd;
  explicit Udp(uint16_t port) : fd(::socket(AF_INET, SOCK_DGRAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    timeval tv{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Udp() { ::close(fd); }
  void send(const std::vector<std::byte>& q) { ASSERT_EQ(::send(fd, q.data(), q.size(), 0), ssize_t(q.size())); }
  zp::test::Answer recv() {
    std::vector<std::byte> b(65536);
    const ssize_t n = ::recv(fd, b.data(), b.size(), 0);
    b.resize(n > 0 ? std::size_t(n) : 0);
    return zp::test::parse_answer(b);
  }
  zp::test::Answer ask(const std::vector<std::byte>& q) {
    send(q);
    return recv();
  }
};

class DnsAdmin : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_dns_admin.XXXXXX";
    dir_ = mkdtemp(tmpl);
    write_file(dir_ / "example.test.zone", zp::test::kTestZone);
  }
  void TearDown() override {
    if (pid_ > 0) {
      EXPECT_EQ(kill(pid_, 0), 0) << "the server died";
      kill(pid_, SIGTERM);
      EXPECT_EQ(wait_exit(pid_, 10s), 0) << slurp(dir_ / "server.log");
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  // Starts the binary with `args` (ports chosen by `pick`), waiting until every TCP port in
  // `ports` accepts.
  void start(const std::function<std::vector<std::string>()>& pick, const std::vector<uint16_t*>& ports) {
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
      for (uint16_t* p : ports) *p = free_port();
      std::vector<std::string> args = pick();
      args.insert(args.begin(), ZPROTO_BIN);
      pid_t pid = spawn(args, (dir_ / "server.log").string());
      bool up = false;
      for (int i = 0; i < 500 && !up; ++i) {
        up = true;
        for (uint16_t* p : ports) up = up && port_open(*p);
        int status;
        if (!up && waitpid(pid, &status, WNOHANG) == pid) break;
        if (!up) std::this_thread::sleep_for(10ms);
      }
      if (up) {
        pid_ = pid;
      } else if (kill(pid, 0) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
      }
    }
    ASSERT_GT(pid_, 0) << slurp(dir_ / "server.log");
  }

  fs::path dir_;
  pid_t pid_ = -1;
};

TEST_F(DnsAdmin, MetricsCountQueriesRcodesTypesAndRrl) {
  uint16_t dns = 0, admin = 0;
  start(
      [&] {
        return std::vector<std::string>{"serve", "dns", "--zone", "example.test=" + (dir_ / "example.test.zone").string(),
                                        "--listen", "127.0.0.1:" + std::to_string(dns), "--admin",
                                        "127.0.0.1:" + std::to_string(admin), "--rrl", "5", "--shards", "2"};
      },
      {&dns, &admin});
  Udp u(dns);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(u.ask(make_query("www.example.test.", rrtype::a)).rcode, 0);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(u.ask(make_query("nope.example.test.", rrtype::aaaa)).rcode, 3);
  EXPECT_EQ(u.ask(make_query("www.example.org.", rrtype::mx)).rcode, 5);
  // A burst from one address for one name: 2 more answers fit the bucket (5 a second), then
  // every 2nd limited response slips (TC, empty) and the rest are dropped.
  constexpr int kBurst = 40;
  for (int i = 0; i < kBurst; ++i) u.send(make_query("www.example.test.", rrtype::a, {.id = uint16_t(i)}));
  timeval tv{0, 500000};
  setsockopt(u.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int answered = 0, truncated = 0;
  for (;;) {
    zp::test::Answer a = u.recv();
    if (!a.ok) break;
    if (a.tc()) {
      EXPECT_TRUE(a.answer.empty());
      ++truncated;
    } else {
      EXPECT_EQ(a.answer.size(), 1u);
      ++answered;
    }
  }
  EXPECT_GE(answered, 2);
  EXPECT_LE(answered, 4);
  EXPECT_GE(truncated, (kBurst - answered) / 2 - 1);

  // TCP is never limited. (The start-up probes connected to the TCP port too: count from here.)
  const long long tcp_before = metric(http_get(admin, "/metrics"), "zproto_dns_tcp_connections_total");
  int fd = connect_loopback(dns);
  ASSERT_GE(fd, 0);
  auto q = make_query("www.example.test.", rrtype::txt);
  std::vector<std::byte> framed(q.size() + 2);  // sized up front: GCC 12 -O3 warns on insert after {a, b}
  framed[0] = std::byte(q.size() >> 8);
  framed[1] = std::byte(q.size() & 0xFF);
  std::copy(q.begin(), q.end(), framed.begin() + 2);
  ASSERT_EQ(::send(fd, framed.data(), framed.size(), MSG_NOSIGNAL), ssize_t(framed.size()));
  std::byte reply[4096];
  EXPECT_GT(::recv(fd, reply, sizeof reply, 0), 2);
  ::close(fd);

  const std::string m = http_get(admin, "/metrics");
  ASSERT_TRUE(m.starts_with("HTTP/1.1 200 OK\r\n")) << m;
  EXPECT_NE(m.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << m;
  EXPECT_EQ(metric(m, "zproto_dns_queries_total{transport=\"udp\"}"), 6 + kBurst) << m;
  EXPECT_EQ(metric(m, "zproto_dns_queries_total{transport=\"tcp\"}"), 1) << m;
  EXPECT_EQ(metric(m, "zproto_dns_responses_total{rcode=\"NOERROR\"}"), 3 + kBurst + 1) << m;
  EXPECT_EQ(metric(m, "zproto_dns_responses_total{rcode=\"NXDOMAIN\"}"), 2) << m;
  EXPECT_EQ(metric(m, "zproto_dns_responses_total{rcode=\"REFUSED\"}"), 1) << m;
  EXPECT_EQ(metric(m, "zproto_dns_queries_by_type_total{type=\"A\"}"), 3 + kBurst) << m;
  EXPECT_EQ(metric(m, "zproto_dns_queries_by_type_total{type=\"AAAA\"}"), 2) << m;
  EXPECT_EQ(metric(m, "zproto_dns_queries_by_type_total{type=\"TXT\"}"), 1) << m;
  EXPECT_EQ(metric(m, "zproto_dns_tcp_connections_total"), tcp_before + 1) << m;
  EXPECT_EQ(metric(m, "zproto_dns_rrl_slipped_total"), truncated) << m;
  EXPECT_EQ(metric(m, "zproto_dns_rrl_dropped_total"), kBurst - answered - truncated) << m;
  EXPECT_EQ(metric(m, "zproto_http_requests_total"), -1) << "no HTTP service runs:\n" << m;
  EXPECT_TRUE(http_get(admin, "/other").starts_with("HTTP/1.1 404")) << http_get(admin, "/other");
}

TEST_F(DnsAdmin, OneAdminListenerShowsHttpAndDns) {
  uint16_t http = 0, dns = 0, admin = 0;
  fs::create_directories(dir_ / "www");
  write_file(dir_ / "www" / "index.html", "hello\n");
  start(
      [&] {
        const std::string a = "\"127.0.0.1:" + std::to_string(admin) + "\"";
        write_file(dir_ / "zproto.json",
                   "{\"shards\": 2, \"http\": {\"root\": \"" + (dir_ / "www").string() + "\", \"listen\": [\"127.0.0.1:" +
                       std::to_string(http) + "\"], \"admin_listen\": " + a +
                       "},\n \"dns\": {\"zones\": [{\"name\": \"example.test\", \"file\": \"" +
                       (dir_ / "example.test.zone").string() + "\"}], \"listen\": [\"127.0.0.1:" + std::to_string(dns) +
                       "\"], \"admin_listen\": " + a + "}}\n");
        return std::vector<std::string>{"serve", "--config", (dir_ / "zproto.json").string()};
      },
      {&http, &dns, &admin});
  EXPECT_TRUE(http_get(http, "/index.html").starts_with("HTTP/1.1 200")) << slurp(dir_ / "server.log");
  Udp u(dns);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(u.ask(make_query("www.example.test.", rrtype::a)).rcode, 0);
  const std::string m = http_get(admin, "/metrics");
  ASSERT_TRUE(m.starts_with("HTTP/1.1 200 OK\r\n")) << m;
  EXPECT_EQ(metric(m, "zproto_http_requests_total"), 1) << m;
  EXPECT_EQ(metric(m, "zproto_dns_queries_total{transport=\"udp\"}"), 4) << m;
  EXPECT_EQ(metric(m, "zproto_dns_responses_total{rcode=\"NOERROR\"}"), 4) << m;
  EXPECT_EQ(metric(m, "zproto_dns_rrl_dropped_total"), 0) << m;
}

}  // namespace
