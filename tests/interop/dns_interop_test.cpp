// The zproto DNS server (the binary, `serve dns`, 2 shards) against real clients on
// loopback: dig (dnsutils) and kdig (knot-dnsutils). Answers and flags (+norec, +dnssec,
// +tcp, +bufsize=512 → TC then the TCP retry, NXDOMAIN, referral, BADVERS, NOTIMP),
// crafted malformed datagrams (FORMERR or silence, never a crash), and SIGHUP reload with a
// broken zone file; and a differential check against Knot serving the same zone (the same
// kdig query matrix, sections compared after dropping IDs and timings). Every client and
// peer runs by pid with a time bound; a missing program fails.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../common/test_files.h"
#include "../common/test_process.h"
#include "../common/test_net.h"
#include "../unit/services/dns_test_util.h"
#include "dns_interop_util.h"

namespace {

using zp::test::port_open;
using zp::test::spawn;
using zp::test::slurp;
using zp::test::write_file;
using zp::test::has;
using zp::test::which;

using zp::test::free_port;
using zp::test::has;
using zp::test::normalize;
using zp::test::wait_exit;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

class DnsInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_dns_interop.XXXXXX";
    dir_ = mkdtemp(tmpl);
    zone_ = dir_ / "example.test.zone";
    write_file(zone_, zp::test::kTestZone);
    std::string big = "$ORIGIN big.test.\n$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n";
    for (int i = 0; i < 40; ++i) big += "big TXT \"" + std::string(40, char('a' + i % 26)) + "\"\n";
    write_file(dir_ / "big.zone", big);
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
      port_ = free_port();
      pid_ = zp::test::spawn_listening({ZPROTO_BIN, "serve", "dns", "--zone", "example.test=" + zone_.string(), "--zone",
                                       "big.test.=" + (dir_ / "big.zone").string(), "--listen",
                                       "127.0.0.1:" + std::to_string(port_), "--shards", "2"},
                                       (dir_ / "server.log").string(), port_);
    }
    ASSERT_GT(pid_, 0) << slurp((dir_ / "server.log").string());
  }
  void TearDown() override {
    if (pid_ > 0) {
      EXPECT_EQ(kill(pid_, 0), 0) << "the server died";
      kill(pid_, SIGTERM);
      EXPECT_EQ(wait_exit(pid_, 10s), 0) << slurp((dir_ / "server.log").string());
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  // Runs dig or kdig against the server, bounded in time; its output.
  std::string run(const std::string& prog, std::vector<std::string> args) {
    std::string bin = which(prog);
    if (bin.empty()) {
      ADD_FAILURE() << prog << " is not installed (tools/zp installs dnsutils and knot-dnsutils)";
      return {};
    }
    if (prog == "kdig") args.insert(args.begin(), {bin, "@127.0.0.1", "-p", std::to_string(port_), "+timeout=2", "+retry=0"});
    else args.insert(args.begin(), {bin, "@127.0.0.1", "-p", std::to_string(port_), "+time=2", "+tries=1"});
    std::string out = (dir_ / (prog + ".out")).string();
    pid_t pid = spawn(args, out);
    int rc = wait_exit(pid, 20s);
    std::string text = slurp(out);
    EXPECT_EQ(rc, 0) << prog << " failed or timed out:\n" << text;
    return text;
  }
  std::string dig(std::vector<std::string> args) { return run("dig", std::move(args)); }
  std::string kdig(std::vector<std::string> args) { return run("kdig", std::move(args)); }

  fs::path dir_, zone_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(DnsInterop, DigAnswerIsAuthoritativeWithoutRecursion) {
  std::string o = dig({"www.example.test", "A", "+norec"});
  EXPECT_TRUE(has(o, "status: NOERROR")) << o;
  EXPECT_TRUE(has(o, "flags: qr aa;")) << o;
  EXPECT_TRUE(has(o, "www\\.example\\.test\\.\\s+3600\\s+IN\\s+A\\s+192\\.0\\.2\\.10")) << o;
  EXPECT_TRUE(has(o, "EDNS: version: 0, flags:; udp: 1232")) << o;
  o = dig({"WwW.ExAmPlE.TeSt", "AAAA"});  // RD copied, RA never set; case preserved
  EXPECT_TRUE(has(o, "flags: qr aa rd;")) << o;
  EXPECT_TRUE(has(o, "WwW\\.ExAmPlE\\.TeSt\\.\\s+3600\\s+IN\\s+AAAA\\s+2001:db8::10")) << o;
}

TEST_F(DnsInterop, DigNxdomainNodataAndRefused) {
  std::string o = dig({"nope.example.test", "A", "+norec"});
  EXPECT_TRUE(has(o, "status: NXDOMAIN")) << o;
  EXPECT_TRUE(has(o, "AUTHORITY: 1")) << o;
  EXPECT_TRUE(has(o, "example\\.test\\.\\s+300\\s+IN\\s+SOA")) << o;
  o = dig({"mail.example.test", "TXT", "+norec"});
  EXPECT_TRUE(has(o, "status: NOERROR")) << o;
  EXPECT_TRUE(has(o, "ANSWER: 0, AUTHORITY: 1")) << o;
  o = dig({"www.example.org", "A", "+norec"});
  EXPECT_TRUE(has(o, "status: REFUSED")) << o;
}

TEST_F(DnsInterop, DigReferralWithGlue) {
  std::string o = dig({"host.sub.example.test", "A", "+norec"});
  EXPECT_TRUE(has(o, "status: NOERROR")) << o;
  EXPECT_TRUE(has(o, "flags: qr;")) << o;  // AA off
  EXPECT_TRUE(has(o, "ANSWER: 0, AUTHORITY: 2, ADDITIONAL: 2")) << o;  // glue + OPT
  EXPECT_TRUE(has(o, "sub\\.example\\.test\\.\\s+3600\\s+IN\\s+NS\\s+ns\\.sub\\.example\\.test\\.")) << o;
  EXPECT_TRUE(has(o, "ns\\.sub\\.example\\.test\\.\\s+3600\\s+IN\\s+A\\s+192\\.0\\.2\\.100")) << o;
}

TEST_F(DnsInterop, DigDnssecTcpCnameAndWildcard) {
  std::string o = dig({"www.example.test", "A", "+dnssec", "+norec"});
  EXPECT_TRUE(has(o, "flags: do;")) << o;
  EXPECT_TRUE(has(o, "IN\\s+RRSIG\\s+A 8 3 3600")) << o;
  o = dig({"chain1.example.test", "A", "+tcp", "+norec"});
  EXPECT_TRUE(has(o, "ANSWER: 3")) << o;
  EXPECT_TRUE(has(o, "\\(TCP\\)")) << o;
  o = dig({"foo.wild.example.test", "TXT", "+norec"});
  EXPECT_TRUE(has(o, "foo\\.wild\\.example\\.test\\.\\s+3600\\s+IN\\s+TXT\\s+\"wildcard\"")) << o;
}

TEST_F(DnsInterop, DigBufsize512TruncatesThenRetriesOverTcp) {
  std::string o = dig({"big.big.test", "TXT", "+bufsize=512", "+ignore", "+norec"});
  EXPECT_TRUE(has(o, "flags: qr aa tc;")) << o;
  EXPECT_TRUE(has(o, "ANSWER: 0")) << o;
  o = dig({"big.big.test", "TXT", "+bufsize=512", "+norec"});
  EXPECT_TRUE(has(o, "Truncated, retrying in TCP mode")) << o;
  EXPECT_TRUE(has(o, "ANSWER: 40")) << o;
}

TEST_F(DnsInterop, DigEdnsVersionAndOpcode) {
  std::string o = dig({"www.example.test", "A", "+edns=1", "+noednsneg", "+norec"});
  EXPECT_TRUE(has(o, "status: BADVERS")) << o;
  EXPECT_TRUE(has(o, "EDNS: version: 0")) << o;
  o = dig({"www.example.test", "A", "+opcode=2", "+norec"});  // STATUS
  EXPECT_TRUE(has(o, "status: NOTIMP")) << o;
  o = dig({"www.example.test", "ANY", "+norec"});  // RFC 8482: one RRset
  EXPECT_TRUE(has(o, "ANSWER: 1,")) << o;
}

TEST_F(DnsInterop, KdigAnswersOverUdpAndTcp) {
  std::string o = kdig({"www.example.test", "A", "+norec"});
  EXPECT_TRUE(has(o, "status: NOERROR")) << o;
  EXPECT_TRUE(has(o, "Flags: qr aa;")) << o;
  EXPECT_TRUE(has(o, "www\\.example\\.test\\.\\s+3600\\s+IN\\s+A\\s+192\\.0\\.2\\.10")) << o;
  o = kdig({"www.example.test", "AAAA", "+tcp", "+dnssec"});
  EXPECT_TRUE(has(o, "TCP")) << o;
  EXPECT_TRUE(has(o, "2001:db8::10")) << o;
  o = kdig({"big.big.test", "TXT", "+bufsize=512", "+ignore"});
  EXPECT_TRUE(has(o, "Flags: qr aa tc rd;")) << o;
  o = kdig({"big.big.test", "TXT", "+bufsize=512"});  // retried over TCP
  EXPECT_TRUE(has(o, "ANSWER: 40")) << o;
  o = kdig({"x.dn.example.test", "A"});
  EXPECT_TRUE(has(o, "DNAME\\s+target\\.example\\.test\\.")) << o;
  EXPECT_TRUE(has(o, "x\\.target\\.example\\.test\\.\\s+3600\\s+IN\\s+A\\s+192\\.0\\.2\\.70")) << o;
}

TEST_F(DnsInterop, MalformedDatagramsNeverCrashOrHang) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port_);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  const std::vector<std::vector<int>> bad = {
      {0x00},
      {0xAB, 0xCD, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C, 0, 1, 0, 1},   // pointer to itself
      {0xAB, 0xCD, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x3F, 'a'},               // label past the end
      {0xAB, 0xCD, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 41},  // cut OPT
      {0xAB, 0xCD, 0x01, 0x00, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1},            // QDCOUNT 2, one question
      {0xAB, 0xCD, 0x79, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1},            // opcode 15
  };
  for (const auto& b : bad) {
    std::vector<std::byte> d;
    for (int v : b) d.push_back(std::byte(v));
    ASSERT_GE(::send(fd, d.data(), d.size(), 0), 0);
  }
  timeval tv{0, 500000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::byte buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    auto ans = zp::test::parse_answer(std::span<const std::byte>(buf, size_t(n)));
    ASSERT_TRUE(ans.ok);
    EXPECT_TRUE(ans.rcode == 1 || ans.rcode == 4) << ans.rcode;  // FORMERR, or NOTIMP for opcode 15
  }
  ::close(fd);
  std::string o = dig({"www.example.test", "A"});
  EXPECT_TRUE(has(o, "status: NOERROR")) << o;
}

TEST_F(DnsInterop, SighupReloadKeepsTheOldZoneWhenBroken) {
  write_file(zone_, std::string(zp::test::kTestZone) + "broken A 192.0.2.999\n");
  ASSERT_EQ(kill(pid_, SIGHUP), 0);
  std::string log;
  for (int i = 0; i < 300 && !has(log, "dns: reload"); ++i) {
    std::this_thread::sleep_for(10ms);
    log = slurp((dir_ / "server.log").string());
  }
  EXPECT_TRUE(has(log, std::regex_replace(zone_.string(), std::regex("\\."), "\\.") + ":\\d+:\\d+:")) << log;
  std::string o = dig({"www.example.test", "A"});
  EXPECT_TRUE(has(o, "192\\.0\\.2\\.10")) << o;
  write_file(zone_, std::string(zp::test::kTestZone) + "fresh A 192.0.2.88\n");
  ASSERT_EQ(kill(pid_, SIGHUP), 0);
  for (int i = 0; i < 300; ++i) {
    o = dig({"fresh.example.test", "A"});
    if (has(o, "192\\.0\\.2\\.88")) break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(has(o, "fresh\\.example\\.test\\.\\s+3600\\s+IN\\s+A\\s+192\\.0\\.2\\.88")) << o;
}

}  // namespace

namespace {

TEST_F(DnsInterop, SameAnswersAsKnot) {
  const std::string knotd = which("knotd");
  ASSERT_FALSE(knotd.empty()) << "knotd is not installed (tools/zp installs knot)";
  fs::create_directories(dir_ / "knot" / "db");
  const uint16_t kport = free_port();
  write_file(dir_ / "knot" / "knot.conf",
             "server:\n    rundir: \"" + (dir_ / "knot").string() + "\"\n    listen: 127.0.0.1@" +
                 std::to_string(kport) + "\n    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n"
                 "database:\n    storage: \"" + (dir_ / "knot" / "db").string() + "\"\n"
                 "log:\n  - target: stderr\n    any: warning\n"
                 "template:\n  - id: default\n    storage: \"" + dir_.string() + "\"\n    zonefile-sync: -1\n"
                 "    journal-content: none\n    semantic-checks: off\n"
                 "zone:\n  - domain: example.test\n    file: \"" + zone_.string() + "\"\n");
  pid_t knot = spawn({knotd, "-c", (dir_ / "knot" / "knot.conf").string()}, (dir_ / "knot.log").string());
  bool up = false;
  for (int i = 0; i < 500 && !up; ++i) {
    up = port_open(kport);
    if (!up) std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(up) << slurp((dir_ / "knot.log").string());
  const std::vector<std::pair<std::string, std::string>> matrix = {
      {"www.example.test", "A"}, {"WWW.Example.TEST", "AAAA"}, {"nope.example.test", "A"},
      {"mail.example.test", "TXT"}, {"chain1.example.test", "A"}, {"loop1.example.test", "A"},
      {"ext.example.test", "A"}, {"anything.wild.example.test", "TXT"}, {"a.b.wild.example.test", "A"},
      {"x.wild.example.test", "MX"}, {"wild.example.test", "TXT"}, {"x.c.ent.example.test", "TXT"},
      {"c.ent.example.test", "TXT"}, {"zzz.ent.example.test", "TXT"}, {"sub.example.test", "A"},
      {"host.sub.example.test", "A"}, {"ns.sub.example.test", "A"}, {"sub.example.test", "DS"},
      {"example.test", "MX"}, {"example.test", "NS"}, {"example.test", "SOA"}, {"srv.example.test", "SRV"},
      {"x.dn.example.test", "A"}, {"dn.example.test", "DNAME"}, {"www.example.org", "A"}};
  const std::string kdig_bin = which("kdig");
  ASSERT_FALSE(kdig_bin.empty());
  auto ask = [&](uint16_t port, const std::string& name, const std::string& type, const std::string& flag) {
    std::string out = (dir_ / "diff.out").string();
    std::vector<std::string> args = {kdig_bin, "@127.0.0.1", "-p", std::to_string(port), "+timeout=2", "+retry=0",
                                     "+norec", name, type};
    if (!flag.empty()) args.push_back(flag);
    pid_t pid = spawn(args, out);
    EXPECT_EQ(wait_exit(pid, 20s), 0);
    return zp::test::normalize(slurp(out));
  };
  int compared = 0;
  for (const auto& [name, type] : matrix) {
    for (std::string flag : {"", "+tcp", "+dnssec"}) {
      const std::string ours = ask(port_, name, type, flag);
      EXPECT_EQ(ours, ask(kport, name, type, flag)) << name << " " << type << " " << flag;
      if (name == "www.example.test") {
        EXPECT_TRUE(has(ours, "192\\.0\\.2\\.10")) << ours;  // not vacuous
      }
      ++compared;
    }
  }
  EXPECT_EQ(compared, int(matrix.size()) * 3);
  kill(knot, SIGTERM);
  EXPECT_EQ(wait_exit(knot, 10s), 0) << slurp((dir_ / "knot.log").string());
}

}  // namespace
