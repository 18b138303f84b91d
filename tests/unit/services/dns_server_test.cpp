// The DNS server in process on every backend (also behind the fault layer): UDP batches,
// TCP with pipelined and split queries, TC over UDP then the full answer over TCP, IPv6,
// idle timeout, oversized TCP messages, malformed datagrams, and reload (a broken zone file
// keeps the old zone; a fixed one is picked up). Clients are blocking sockets in the test
// thread; the shard runs on its own thread.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <gmock/gmock.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "../../common/test_files.h"
#include "../../common/service_fixture.h"
#include "dns_test_util.h"
#include "engine_test_util.h"
#include "zp/dns/server.h"
#include "../../common/test_net.h"

namespace zp::dns {
namespace {

using zp::test::write_file;

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using test::Answer;
using test::BackendParam;
using test::make_query;
namespace fs = std::filesystem;
namespace rrtype = codec::dns::rrtype;

sockaddr_storage loopback(uint16_t port, bool v6, socklen_t& len) {
  sockaddr_storage ss{};
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    a->sin6_addr = in6addr_loopback;
    len = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof(sockaddr_in);
  }
  return ss;
}

struct Udp {
  int fd = -1;
  Udp(uint16_t port, bool v6 = false) {
    fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
    socklen_t len = 0;
    auto ss = loopback(port, v6, len);
    ::connect(fd, reinterpret_cast<sockaddr*>(&ss), len);
    timeval tv{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Udp() { ::close(fd); }
  bool send(std::span<const std::byte> q) { return ::send(fd, q.data(), q.size(), 0) == ssize_t(q.size()); }
  // One datagram, or empty after the timeout.
  std::vector<std::byte> recv() {
    std::vector<std::byte> b(65536);
    ssize_t n = ::recv(fd, b.data(), b.size(), 0);
    b.resize(n > 0 ? size_t(n) : 0);
    return b;
  }
  Answer ask(std::span<const std::byte> q) {
    if (!send(q)) return {};
    auto r = recv();
    return test::parse_answer(r);
  }
};

struct Tcp {
  int fd = -1;
  std::vector<std::byte> buf;
  Tcp(uint16_t port, bool v6 = false) {
    fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    socklen_t len = 0;
    auto ss = loopback(port, v6, len);
    timeval tv{3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ~Tcp() {
    if (fd >= 0) ::close(fd);
  }
  static std::vector<std::byte> frame(std::span<const std::byte> q) {
    std::vector<std::byte> f(q.size() + 2);  // sized up front: GCC 12 -O3 warns on insert after {a, b}
    f[0] = std::byte(q.size() >> 8);
    f[1] = std::byte(q.size() & 0xFF);
    std::copy(q.begin(), q.end(), f.begin() + 2);
    return f;
  }
  bool send_raw(std::span<const std::byte> d) {
    return ::send(fd, d.data(), d.size(), MSG_NOSIGNAL) == ssize_t(d.size());
  }
  bool send(std::span<const std::byte> q) { return send_raw(frame(q)); }
  // One framed reply, or empty at EOF/timeout.
  std::vector<std::byte> recv() {
    for (;;) {
      if (buf.size() >= 2) {
        size_t len = (size_t(buf[0]) << 8) | size_t(buf[1]);
        if (buf.size() >= 2 + len) {
          std::vector<std::byte> m(buf.begin() + 2, buf.begin() + 2 + std::ptrdiff_t(len));
          buf.erase(buf.begin(), buf.begin() + 2 + std::ptrdiff_t(len));
          return m;
        }
      }
      std::byte tmp[65536];
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return {};
      buf.insert(buf.end(), tmp, tmp + n);
    }
  }
  bool closed_by_peer() {
    std::byte tmp[4096];
    for (;;) {
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }
};

class DnsServerTest : public test::ServiceFixture {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_dns_test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    zone_file_ = dir_ / "example.test.zone";
    write_file(zone_file_, test::kTestZone);
    std::string big = "$ORIGIN big.test.\n$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n";
    for (int i = 0; i < 40; ++i) big += "big TXT \"" + std::string(40, char('a' + i % 26)) + "\"\n";
    write_file(dir_ / "big.test.zone", big);
  }
  void TearDown() override {
    stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void start(bool v6 = false) {
    store_ = std::make_shared<ZoneStore>(std::vector<ZoneConfig>{{"example.test.", zone_file_.string()},
                                                                 {"big.test", (dir_ / "big.test.zone").string()}});
    ASSERT_EQ(store_->load(), "");
    opts_.store = store_;
    start_service([this, v6](Shard& shard, uint16_t port) {
      opts_.listen = {(v6 ? "[::1]:" : "127.0.0.1:") + std::to_string(port)};
      return start_server(shard);
    });
  }
  bool start_server(Shard& s) { return bool(dns::start(s, opts_)); }
  void stop() { stop_service(); }

  fs::path dir_, zone_file_;
  std::shared_ptr<ZoneStore> store_;
  ServerOptions opts_;
};

TEST_P(DnsServerTest, UdpAnswersABurstOfQueries) {
  start();
  Udp u(port_);
  constexpr int kCount = 100;
  for (int i = 0; i < kCount; ++i) ASSERT_TRUE(u.send(make_query("www.example.test.", rrtype::a, {.id = uint16_t(i)})));
  std::vector<bool> seen(kCount);
  int got = 0;
  for (int i = 0; i < kCount; ++i) {
    auto r = u.recv();
    if (r.empty()) break;  // a datagram lost under the fault layer's ENOBUFS is acceptable UDP
    Answer a = test::parse_answer(r);
    ASSERT_TRUE(a.ok);
    ASSERT_LT(a.header.id, kCount);
    EXPECT_FALSE(seen[a.header.id]);
    seen[a.header.id] = true;
    EXPECT_THAT(a.answer, ElementsAre("www.example.test. 3600 IN A 192.0.2.10"));
    ++got;
  }
  EXPECT_GE(got, kCount * 9 / 10);
}

TEST_P(DnsServerTest, TcpAnswersPipelinedAndSplitQueriesInOrder) {
  start();
  Tcp t(port_);
  ASSERT_GE(t.fd, 0);
  std::vector<std::byte> all;
  const char* names[] = {"www.example.test.", "nope.example.test.", "alias.example.test."};
  for (int i = 0; i < 3; ++i) {
    auto f = Tcp::frame(make_query(names[i], rrtype::a, {.id = uint16_t(100 + i)}));
    all.insert(all.end(), f.begin(), f.end());
  }
  // One write holding three queries, then one query in three pieces.
  ASSERT_TRUE(t.send_raw(all));
  for (int i = 0; i < 3; ++i) {
    Answer a = test::parse_answer(t.recv());
    ASSERT_TRUE(a.ok);
    EXPECT_EQ(a.header.id, 100 + i);
  }
  auto f = Tcp::frame(make_query("www.example.test.", rrtype::aaaa, {.id = 7}));
  ASSERT_TRUE(t.send_raw(std::span(f).first(1)));
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(t.send_raw(std::span(f).subspan(1, 10)));
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(t.send_raw(std::span(f).subspan(11)));
  Answer a = test::parse_answer(t.recv());
  EXPECT_EQ(a.header.id, 7);
  EXPECT_THAT(a.answer, ElementsAre("www.example.test. 3600 IN AAAA 2001:db8::10"));
}

TEST_P(DnsServerTest, TruncatedOverUdpIsCompleteOverTcp) {
  start();
  Udp u(port_);
  Answer a = u.ask(make_query("big.big.test.", rrtype::txt));
  ASSERT_TRUE(a.ok);
  EXPECT_TRUE(a.tc());
  EXPECT_LE(a.size, 512u);
  Answer e = u.ask(make_query("big.big.test.", rrtype::txt, {.edns = true, .edns_size = 4096}));
  EXPECT_TRUE(e.tc());
  EXPECT_LE(e.size, 1232u);
  Tcp t(port_);
  ASSERT_TRUE(t.send(make_query("big.big.test.", rrtype::txt)));
  Answer full = test::parse_answer(t.recv());
  ASSERT_TRUE(full.ok);
  EXPECT_FALSE(full.tc());
  EXPECT_EQ(full.answer.size(), 40u);
}

TEST_P(DnsServerTest, ServesIpv6) {
  start(true);
  Udp u(port_, true);
  Answer a = u.ask(make_query("www.example.test.", rrtype::a));
  EXPECT_THAT(a.answer, ElementsAre("www.example.test. 3600 IN A 192.0.2.10"));
  Tcp t(port_, true);
  ASSERT_TRUE(t.send(make_query("www.example.test.", rrtype::aaaa)));
  EXPECT_EQ(test::parse_answer(t.recv()).answer.size(), 1u);
}

TEST_P(DnsServerTest, TcpIdleConnectionsAreClosed) {
  opts_.tcp_idle_timeout_ms = 200;
  start();
  Tcp t(port_);
  ASSERT_TRUE(t.send(make_query("www.example.test.", rrtype::a)));
  EXPECT_TRUE(test::parse_answer(t.recv()).ok);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(t.closed_by_peer());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2500ms);
}

TEST_P(DnsServerTest, OversizedTcpMessageClosesTheConnection) {
  opts_.tcp_max_message_bytes = 512;
  start();
  Tcp t(port_);
  std::vector<std::byte> huge{std::byte{0x10}, std::byte{0x00}};
  huge.resize(2 + 0x1000);
  ASSERT_TRUE(t.send_raw(huge));
  EXPECT_TRUE(t.closed_by_peer());
}

TEST_P(DnsServerTest, TcpConnectionsBeyondTheCapAreClosed) {
  opts_.tcp_max_connections = 2;
  start();
  Tcp a(port_), b(port_);
  for (Tcp* t : {&a, &b}) {  // both served (and so accepted) before the third connects
    ASSERT_TRUE(t->send(make_query("www.example.test.", rrtype::a)));
    ASSERT_TRUE(test::parse_answer(t->recv()).ok);
  }
  Tcp c(port_);
  ASSERT_GE(c.fd, 0);
  c.send(make_query("www.example.test.", rrtype::a));
  EXPECT_TRUE(c.recv().empty());
  // The first two still work.
  ASSERT_TRUE(a.send(make_query("www.example.test.", rrtype::a)));
  EXPECT_TRUE(test::parse_answer(a.recv()).ok);
}

TEST_P(DnsServerTest, MalformedDatagramsGetFormerrOrNothing) {
  start();
  Udp u(port_);
  const std::vector<std::vector<int>> bad = {
      {},                                                          // empty
      {0x12},                                                      // 1 octet
      {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0},          // 11 octets
      {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0},       // QDCOUNT 1, no question
      {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C, 0, 1, 0, 1},  // pointer loop
      {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x40, 'a', 0, 0, 1, 0, 1},  // label type 01
      {0x12, 0x34, 0x01, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF},  // counts 65535
      {0x12, 0x34, 0x81, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1},  // a response: ignored
  };
  for (const auto& b : bad) {
    std::vector<std::byte> d;
    for (int v : b) d.push_back(std::byte(v));
    ::send(u.fd, d.data(), d.size(), 0);
  }
  // Whatever came back is FORMERR; then a good query still gets its answer.
  timeval tv{0, 300000};
  setsockopt(u.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  for (;;) {
    auto r = u.recv();
    if (r.empty()) break;
    Answer a = test::parse_answer(r);
    ASSERT_TRUE(a.ok);
    EXPECT_EQ(a.rcode, 1);  // FORMERR
  }
  tv = {2, 0};
  setsockopt(u.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  Answer a = u.ask(make_query("www.example.test.", rrtype::a));
  EXPECT_EQ(a.answer.size(), 1u);
}

TEST_P(DnsServerTest, ReloadKeepsTheOldZoneWhenTheFileIsBroken) {
  start();
  Udp u(port_);
  EXPECT_EQ(u.ask(make_query("www.example.test.", rrtype::a)).answer.size(), 1u);
  // Broken: the old zone keeps serving, the error names file:line:col.
  write_file(zone_file_, std::string(test::kTestZone) + "bad A 192.0.2.300\n");
  const std::string err = store_->load();
  EXPECT_THAT(err, HasSubstr(zone_file_.string() + ":"));
  EXPECT_THAT(err, HasSubstr("previous version stays in service"));
  EXPECT_EQ(u.ask(make_query("www.example.test.", rrtype::a)).answer.size(), 1u);
  EXPECT_EQ(u.ask(make_query("big.big.test.", rrtype::txt)).tc(), true);
  // Fixed, with a new name, reloaded through the shard's reload event (SIGHUP's path).
  write_file(zone_file_, std::string(test::kTestZone) + "new A 192.0.2.77\n");
  shard_.load()->request_reload();
  Answer a;
  for (int i = 0; i < 200; ++i) {
    a = u.ask(make_query("new.example.test.", rrtype::a));
    if (a.ok && a.rcode == 0) break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_THAT(a.answer, ElementsAre("new.example.test. 3600 IN A 192.0.2.77"));
}

using test::metric;

TEST_P(DnsServerTest, RrlLimitsAUdpBurstFromOneAddressButNeverTcp) {
  opts_.rrl = {.responses_per_second = 10, .slip = 2};
  opts_.metrics = std::make_shared<Metrics>(1);
  start();
  Udp u(port_);
  constexpr int kBurst = 60;
  for (int i = 0; i < kBurst; ++i) ASSERT_TRUE(u.send(make_query("www.example.test.", rrtype::a, {.id = uint16_t(i)})));
  timeval tv{0, 500000};
  setsockopt(u.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int answered = 0, truncated = 0;
  for (;;) {
    auto r = u.recv();
    if (r.empty()) break;
    Answer a = test::parse_answer(r);
    ASSERT_TRUE(a.ok);
    if (a.tc()) {
      EXPECT_TRUE(a.answer.empty());
      EXPECT_TRUE(a.authority.empty());
      EXPECT_EQ(a.question.size(), 1u);
      ++truncated;
    } else {
      EXPECT_THAT(a.answer, ElementsAre("www.example.test. 3600 IN A 192.0.2.10"));
      ++answered;
    }
  }
  const std::string m = opts_.metrics->render();
  const long long queries = metric(m, "zproto_dns_queries_total{transport=\"udp\"}");
  const long long dropped = metric(m, "zproto_dns_rrl_dropped_total");
  const long long slipped = metric(m, "zproto_dns_rrl_slipped_total");
  // The server's own account adds up, and matches what reached the client.
  EXPECT_EQ(queries, dropped + slipped + answered) << m;
  EXPECT_EQ(slipped, truncated) << m;
  if (!GetParam().faults) {  // the fault layer may lose datagrams on the way
    EXPECT_EQ(queries, kBurst);
    // The first second's credit (10; one more if the burst spanned a refill), then half of the
    // limited responses slip (slip 2) and half are dropped.
    EXPECT_GE(answered, 10);
    EXPECT_LE(answered, 12);
    EXPECT_NEAR(truncated, (kBurst - answered) / 2, 1);
    EXPECT_NEAR(dropped, (kBurst - answered) / 2, 1);
  } else {
    EXPECT_GE(answered, 1);
    EXPECT_LE(answered, 12);
  }
  // TCP is never limited: the client retrying over TCP gets every answer.
  Tcp t(port_);
  ASSERT_GE(t.fd, 0);
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(t.send(make_query("www.example.test.", rrtype::a, {.id = uint16_t(i)})));
    Answer a = test::parse_answer(t.recv());
    ASSERT_TRUE(a.ok) << i;
    EXPECT_FALSE(a.tc());
    EXPECT_EQ(a.answer.size(), 1u);
  }
}

TEST_P(DnsServerTest, MetricsCountQueriesPerTransportRcodeAndType) {
  opts_.metrics = std::make_shared<Metrics>(1);
  start();
  Udp u(port_);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(u.ask(make_query("www.example.test.", rrtype::a)).rcode, 0);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(u.ask(make_query("nope.example.test.", rrtype::aaaa)).rcode, 3);
  EXPECT_EQ(u.ask(make_query("www.example.org.", rrtype::mx)).rcode, 5);
  EXPECT_EQ(u.ask(make_query("www.example.test.", rrtype::a, {.opcode = 2})).rcode, 4);
  const std::vector<std::byte> no_question = {std::byte{0x12}, std::byte{0x34}, std::byte{1}, std::byte{0},
                                              std::byte{0},    std::byte{1},    std::byte{0}, std::byte{0},
                                              std::byte{0},    std::byte{0},    std::byte{0}, std::byte{0}};
  EXPECT_EQ(u.ask(no_question).rcode, 1);
  EXPECT_EQ(u.ask(make_query("big.big.test.", rrtype::txt)).tc(), true);
  Tcp t(port_);
  ASSERT_GE(t.fd, 0);
  ASSERT_TRUE(t.send(make_query("big.big.test.", rrtype::txt)));
  EXPECT_EQ(test::parse_answer(t.recv()).answer.size(), 40u);
  if (GetParam().faults) return;  // exact counts need every datagram delivered
  const std::string m = opts_.metrics->render();
  EXPECT_EQ(metric(m, "zproto_dns_queries_total{transport=\"udp\"}"), 9) << m;
  EXPECT_EQ(metric(m, "zproto_dns_queries_total{transport=\"tcp\"}"), 1) << m;
  EXPECT_EQ(metric(m, "zproto_dns_responses_total{rcode=\"NOERROR\"}"), 5) << m;
  EXPECT_EQ(metric(m, "zproto_dns_responses_total{rcode=\"NXDOMAIN\"}"), 2) << m;
  EXPECT_EQ(metric(m, "zproto_dns_responses_total{rcode=\"REFUSED\"}"), 1) << m;
  EXPECT_EQ(metric(m, "zproto_dns_responses_total{rcode=\"NOTIMP\"}"), 1) << m;
  EXPECT_EQ(metric(m, "zproto_dns_responses_total{rcode=\"FORMERR\"}"), 1) << m;
  EXPECT_EQ(metric(m, "zproto_dns_truncated_total"), 1) << m;
  EXPECT_EQ(metric(m, "zproto_dns_tcp_connections_total"), 1) << m;
  EXPECT_EQ(metric(m, "zproto_dns_queries_by_type_total{type=\"A\"}"), 4) << m;
  EXPECT_EQ(metric(m, "zproto_dns_queries_by_type_total{type=\"AAAA\"}"), 2) << m;
  EXPECT_EQ(metric(m, "zproto_dns_queries_by_type_total{type=\"MX\"}"), 1) << m;
  EXPECT_EQ(metric(m, "zproto_dns_queries_by_type_total{type=\"TXT\"}"), 2) << m;
  EXPECT_EQ(metric(m, "zproto_dns_rrl_dropped_total"), 0) << m;
}

TEST(DnsServerStore, FirstLoadFailsOnABrokenZone) {
  ZoneStore s(std::vector<ZoneConfig>{{"missing.test.", "/nonexistent/zone"}});
  EXPECT_THAT(s.load(), HasSubstr("/nonexistent/zone: No such file"));
  EXPECT_EQ(s.snapshot(), nullptr);
}

TEST(DnsServerMetrics, RendersCounters) {
  Metrics m(2);
  ShardCounters::bump(m.shard(0).queries_udp, 3);
  ShardCounters::bump(m.shard(1).queries_udp, 2);
  ShardCounters::bump(m.shard(1).rcode[3]);
  const std::string t = m.render();
  EXPECT_THAT(t, HasSubstr("zproto_dns_queries_total{transport=\"udp\"} 5\n"));
  EXPECT_THAT(t, HasSubstr("zproto_dns_responses_total{rcode=\"NXDOMAIN\"} 1\n"));
}

INSTANTIATE_TEST_SUITE_P(Backends, DnsServerTest, ::testing::ValuesIn(test::all_backends()), test::param_name);

}  // namespace
}  // namespace zp::dns
