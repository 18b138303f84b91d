// The DNS stub resolver and `zproto dig` against Knot (knotd) serving a zone on 127.0.0.1:
// every record type the resolver types (A, AAAA, CNAME, MX, TXT, SRV, PTR, NS, SOA, CAA),
// NXDOMAIN and NODATA (and their negative caching), a CNAME chain, an RRset over 1232
// octets that comes over TCP after TC=1, lookup_host; and `zproto dig +short` compared line
// by line with `kdig +short`. Knot runs by pid with a time bound; a missing program fails.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../common/test_files.h"
#include "../common/test_net.h"
#include "../common/test_process.h"
#include "zp/codec/dns/message.h"
#include "zp/dns/resolver.h"
#include "zp/engine/backend.h"
#include "zp/engine/shard.h"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace cd = zp::codec::dns;
using zp::dns::ResolverErrc;
using zp::test::which;

std::string big_txt_strings() {
  std::string s;
  for (int i = 0; i < 40; ++i) s += "big TXT \"" + std::string(60, char('a' + i % 26)) + std::to_string(i) + "\"\n";
  return s;
}

class ResolverInterop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    knotd_ = which("knotd");
    ASSERT_FALSE(knotd_.empty()) << "knotd is not installed (tools/zp installs knot)";
    char tmpl[] = "/tmp/zp_resolver_interop.XXXXXX";
    dir_ = mkdtemp(tmpl);
    fs::create_directories(dir_ / "db");
    zp::test::write_file(dir_ / "resolver.test.zone",
                         "$ORIGIN resolver.test.\n$TTL 300\n"
                         "@ SOA ns hostmaster 1 7200 3600 1209600 120\n"
                         "@ NS ns\n@ MX 10 mail\n@ MX 20 mail2\n@ CAA 0 issue \"ca.example.net\"\n"
                         "ns A 127.0.0.1\nmail A 192.0.2.25\nmail2 A 192.0.2.26\n"
                         "www A 192.0.2.10\nwww A 192.0.2.11\nwww AAAA 2001:db8::10\n"
                         "c1 CNAME c2\nc2 CNAME www\n"
                         "txt TXT \"hello world\" \"second string\"\n"
                         "_sip._tcp SRV 10 60 5060 sip\nsip A 192.0.2.50\n"
                         "nodata TXT \"only txt\"\n" +
                             big_txt_strings());
    zp::test::write_file(dir_ / "rev.zone",
                         "$ORIGIN 2.0.192.in-addr.arpa.\n$TTL 300\n"
                         "@ SOA ns.resolver.test. hostmaster.resolver.test. 1 7200 3600 1209600 120\n"
                         "@ NS ns.resolver.test.\n10 PTR www.resolver.test.\n");
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
      port_ = zp::test::free_port();
      zp::test::write_file(
          dir_ / "knot.conf",
          "server:\n    rundir: \"" + dir_.string() + "\"\n    listen: 127.0.0.1@" + std::to_string(port_) +
              "\n    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n"
              "database:\n    storage: \"" + (dir_ / "db").string() + "\"\n"
              "log:\n  - target: stderr\n    any: warning\n"
              "template:\n  - id: default\n    storage: \"" + dir_.string() + "\"\n    zonefile-sync: -1\n"
              "    journal-content: none\n    semantic-checks: off\n"
              "zone:\n  - domain: resolver.test\n    file: \"" + (dir_ / "resolver.test.zone").string() + "\"\n"
              "  - domain: 2.0.192.in-addr.arpa\n    file: \"" + (dir_ / "rev.zone").string() + "\"\n");
      pid_ = zp::test::spawn_listening({knotd_, "-c", (dir_ / "knot.conf").string()}, (dir_ / "knot.log").string(), port_);
    }
    ASSERT_GT(pid_, 0) << zp::test::slurp(dir_ / "knot.log");
    std::this_thread::sleep_for(200ms);  // the zones load after the listener opens
  }
  static void TearDownTestSuite() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      EXPECT_GE(zp::test::wait_exit(pid_, 10s), 0);
      pid_ = -1;
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void SetUp() override {
    ASSERT_GT(pid_, 0);
    auto b = zp::make_backend(zp::BackendKind::automatic, {});
    ASSERT_TRUE(b);
    shard_ = std::make_unique<zp::Shard>(0, 1, std::move(*b));
  }
  void TearDown() override {
    shard_->request_stop(0);
    shard_->run();
  }
  zp::dns::ResolverOptions options() const {
    zp::dns::ResolverOptions o;
    zp::dns::ResolvConf c;
    c.servers.push_back(*zp::SocketAddr::parse("127.0.0.1:" + std::to_string(port_)));
    c.timeout_ms = 2000;
    o.config = c;
    o.hosts = zp::dns::Hosts{};
    return o;
  }
  template <class T>
  T run(zp::Task<T> t) {
    return shard_->block_on(std::move(t));
  }
  // A program's output lines (stdout and stderr), sorted; its exit code in *rc. short_only
  // drops ";;" comment lines (+short output has none of its own).
  std::vector<std::string> lines_of(std::vector<std::string> args, int* rc, bool short_only = false) {
    std::string out = (dir_ / "cmd.out").string();
    pid_t pid = zp::test::spawn(args, out);
    *rc = zp::test::wait_exit(pid, 20s);
    std::istringstream in(zp::test::slurp(out));
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) {
      while (!l.empty() && (l.back() == ' ' || l.back() == '\t')) l.pop_back();  // kdig pads CAA with a space
      if (!l.empty() && !(short_only && l.starts_with(";;"))) lines.push_back(l);  // kdig's TC warning
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  }

  static inline std::string knotd_;
  static inline fs::path dir_;
  static inline uint16_t port_ = 0;
  static inline pid_t pid_ = -1;
  std::unique_ptr<zp::Shard> shard_;
};

TEST_F(ResolverInterop, EveryTypedRecordType) {
  zp::dns::Resolver r(*shard_, options());
  auto a = run(r.query_exact("www.resolver.test", cd::rrtype::a));
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->addresses().size(), 2u);
  EXPECT_TRUE(a->authoritative);
  auto aaaa = run(r.query_exact("www.resolver.test", cd::rrtype::aaaa));
  ASSERT_TRUE(aaaa);
  EXPECT_EQ(aaaa->addresses().at(0).to_string(), "2001:db8::10");
  auto mx = run(r.query_exact("resolver.test", cd::rrtype::mx));
  ASSERT_TRUE(mx);
  ASSERT_EQ(mx->records.size(), 2u);
  std::vector<std::string> exchanges;
  for (auto& rr : mx->records) exchanges.push_back(std::get<zp::dns::MxData>(rr.data).exchange);
  std::sort(exchanges.begin(), exchanges.end());
  EXPECT_EQ(exchanges, (std::vector<std::string>{"mail.resolver.test.", "mail2.resolver.test."}));
  auto txt = run(r.query_exact("txt.resolver.test", cd::rrtype::txt));
  ASSERT_TRUE(txt);
  EXPECT_EQ(std::get<zp::dns::TxtData>(txt->records.at(0).data).strings,
            (std::vector<std::string>{"hello world", "second string"}));
  auto srv = run(r.query_exact("_sip._tcp.resolver.test", cd::rrtype::srv));
  ASSERT_TRUE(srv) << srv.error().message();
  auto& s = std::get<zp::dns::SrvData>(srv->records.at(0).data);
  EXPECT_EQ(s.port, 5060);
  EXPECT_EQ(s.target, "sip.resolver.test.");
  auto ptr = run(r.reverse(*zp::dns::IpAddress::parse("192.0.2.10")));
  ASSERT_TRUE(ptr) << ptr.error().message();
  EXPECT_EQ(*ptr, (std::vector<std::string>{"www.resolver.test."}));
  auto ns = run(r.query_exact("resolver.test", cd::rrtype::ns));
  ASSERT_TRUE(ns);
  EXPECT_EQ(std::get<zp::dns::NameData>(ns->records.at(0).data).target, "ns.resolver.test.");
  auto soa = run(r.query_exact("resolver.test", cd::rrtype::soa));
  ASSERT_TRUE(soa);
  EXPECT_EQ(std::get<zp::dns::SoaData>(soa->records.at(0).data).minimum, 120u);
  auto caa = run(r.query_exact("resolver.test", cd::rrtype::caa));
  ASSERT_TRUE(caa);
  auto& c = std::get<zp::dns::CaaData>(caa->records.at(0).data);
  EXPECT_EQ(c.tag, "issue");
  EXPECT_EQ(c.value, "ca.example.net");
  auto cname = run(r.query_exact("c1.resolver.test", cd::rrtype::cname));
  ASSERT_TRUE(cname);
  EXPECT_EQ(std::get<zp::dns::NameData>(cname->records.at(0).data).target, "c2.resolver.test.");
}

TEST_F(ResolverInterop, CnameChainNegativeAnswersAndTheirCache) {
  zp::dns::Resolver r(*shard_, options());
  auto a = run(r.query_exact("c1.resolver.test", cd::rrtype::a));
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->cnames.size(), 2u);
  EXPECT_EQ(a->canonical_name, "www.resolver.test.");
  EXPECT_EQ(a->addresses().size(), 2u);
  auto nx = run(r.query_exact("nope.resolver.test", cd::rrtype::a));
  ASSERT_FALSE(nx);
  EXPECT_EQ(nx.error(), ResolverErrc::nxdomain);
  auto nd = run(r.query_exact("nodata.resolver.test", cd::rrtype::a));
  ASSERT_FALSE(nd);
  EXPECT_EQ(nd.error(), ResolverErrc::nodata);
  const auto sent = r.stats().sent;
  EXPECT_EQ(run(r.query_exact("nope.resolver.test", cd::rrtype::a)).error(), ResolverErrc::nxdomain);
  EXPECT_EQ(run(r.query_exact("nodata.resolver.test", cd::rrtype::a)).error(), ResolverErrc::nodata);
  EXPECT_EQ(r.stats().sent, sent);  // both from the negative cache
  auto hosts = run(r.lookup_host("www.resolver.test"));
  ASSERT_TRUE(hosts);
  ASSERT_EQ(hosts->size(), 3u);
  EXPECT_EQ(hosts->at(0).family, AF_INET6);
}

TEST_F(ResolverInterop, BigRrsetComesOverTcp) {
  std::vector<zp::SocketAddr> servers{*zp::SocketAddr::parse("127.0.0.1:" + std::to_string(port_))};
  auto reply = run(zp::dns::exchange(servers, "big.resolver.test", cd::rrtype::txt, {}));
  ASSERT_TRUE(reply) << reply.error().message();
  EXPECT_TRUE(reply->tcp);
  EXPECT_GT(reply->wire.size(), 1232u);
  zp::dns::Resolver r(*shard_, options());
  auto a = run(r.query_exact("big.resolver.test", cd::rrtype::txt));
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->records.size(), 40u);
}

TEST_F(ResolverInterop, DigShortMatchesKdig) {
  const std::string kdig = which("kdig");
  ASSERT_FALSE(kdig.empty()) << "kdig is not installed (tools/zp installs knot-dnsutils)";
  const std::string server = "@127.0.0.1:" + std::to_string(port_);
  const std::vector<std::pair<std::string, std::string>> matrix = {
      {"www.resolver.test", "A"},     {"www.resolver.test", "AAAA"}, {"resolver.test", "MX"},
      {"txt.resolver.test", "TXT"},   {"_sip._tcp.resolver.test", "SRV"}, {"10.2.0.192.in-addr.arpa", "PTR"},
      {"resolver.test", "NS"},        {"resolver.test", "SOA"},      {"resolver.test", "CAA"},
      {"c1.resolver.test", "A"},      {"big.resolver.test", "TXT"},  {"nope.resolver.test", "A"}};
  for (const auto& [name, type] : matrix) {
    int rc_ours = -1, rc_kdig = -1;
    auto ours = lines_of({ZPROTO_BIN, "dig", name, type, server, "+short"}, &rc_ours, true);
    auto theirs = lines_of({kdig, "@127.0.0.1", "-p", std::to_string(port_), "+timeout=2", "+retry=0", "+short",
                            name, type}, &rc_kdig, true);
    EXPECT_EQ(rc_ours, 0) << name << " " << type;
    EXPECT_EQ(rc_kdig, 0) << name << " " << type;
    EXPECT_EQ(ours, theirs) << name << " " << type << "\nours:\n" << ::testing::PrintToString(ours)
                            << "\nkdig:\n" << ::testing::PrintToString(theirs);
    if (name != "nope.resolver.test") {
      EXPECT_FALSE(ours.empty()) << name << " " << type;  // not vacuous
    }
  }
  int rc = -1;
  auto tcp = lines_of({ZPROTO_BIN, "dig", "www.resolver.test", server, "+tcp"}, &rc);
  EXPECT_EQ(rc, 0);
  const auto joined = [&] {
    std::string s;
    for (auto& l : tcp) s += l + "\n";
    return s;
  }();
  EXPECT_NE(joined.find("(TCP)"), std::string::npos) << joined;
  EXPECT_NE(joined.find("status: NOERROR"), std::string::npos) << joined;
  EXPECT_NE(joined.find("flags: qr aa rd"), std::string::npos) << joined;
  auto nx = lines_of({ZPROTO_BIN, "dig", "nope.resolver.test", server}, &rc);
  EXPECT_EQ(rc, 0);  // as dig: a reply is success, its status says NXDOMAIN
  bool saw = false;
  for (auto& l : nx) saw |= l.find("status: NXDOMAIN") != std::string::npos;
  EXPECT_TRUE(saw);
  // No server: a clear message on stderr and dig's exit code 9.
  auto dead = lines_of({ZPROTO_BIN, "dig", "www.resolver.test",
                        "@127.0.0.1:" + std::to_string(zp::test::free_port()), "+time=1", "+tries=1"}, &rc);
  EXPECT_EQ(rc, 9);
  ASSERT_FALSE(dead.empty());
  EXPECT_NE(dead[0].find("no reply"), std::string::npos) << dead[0];
}

}  // namespace
