// The resolver's sans-I/O parts: resolv.conf and hosts parsers, search-list expansion,
// reverse names, reply interpretation (CNAME chains, glue, negative TTLs, name checks) and
// the cache with a hand-driven clock (TTL countdown, caps, negative and SERVFAIL caching,
// eviction by entries and bytes).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "../../common/test_files.h"
#include "dns_resolver_test_util.h"
#include "zp/codec/dns/message.h"
#include "zp/dns/hosts.h"
#include "zp/dns/resolv_conf.h"
#include "zp/dns/resolver.h"
#include "zp/dns/resolver_answer.h"
#include "zp/dns/resolver_cache.h"

namespace {

using namespace zp::dns;
using namespace zp::test::dnsr;
namespace cd = zp::codec::dns;
namespace fs = std::filesystem;

// ------------------------------------------------------------------ resolv.conf

TEST(ResolvConf, NameserversIncludingIpv6AndPorts) {
  auto c = parse_resolv_conf(
      "# comment\n"
      "nameserver 192.0.2.53\n"
      "nameserver 2001:db8::53\n"
      "nameserver [2001:db8::54]:5353\n"
      "nameserver 192.0.2.55:5300\n"  // the fourth: over glibc's 3
      "nameserver not-an-address\n");
  ASSERT_EQ(c.servers.size(), 3u);
  EXPECT_EQ(c.servers[0].to_string(), "192.0.2.53:53");
  EXPECT_EQ(c.servers[1].to_string(), "[2001:db8::53]:53");
  EXPECT_EQ(c.servers[2].to_string(), "[2001:db8::54]:5353");
  EXPECT_EQ(c.warnings.size(), 2u);  // the fourth server, the bad address
  auto p = parse_resolv_conf("nameserver 192.0.2.55:5300\n", {});
  ASSERT_EQ(p.servers.size(), 1u);
  EXPECT_EQ(p.servers[0].port(), 5300);
  ResolvConfLimits one;
  one.max_servers = 1;
  EXPECT_EQ(parse_resolv_conf("nameserver 192.0.2.1\nnameserver 192.0.2.2\n", one).servers.size(), 1u);
  EXPECT_EQ(parse_resolv_conf("nameserver 192.0.2.1:0\n").warnings.size(), 1u);
  EXPECT_EQ(parse_resolv_conf("nameserver [::1\n").warnings.size(), 1u);
}

TEST(ResolvConf, SearchDomainAndOptions) {
  auto c = parse_resolv_conf(
      "domain first.test\n"
      "search a.test b.test. c.test\n"
      "options ndots:3 timeout:2 attempts:4 rotate edns0 no-such-option\n"
      "sortlist 130.155.160.0\n");
  EXPECT_EQ(c.search, (std::vector<std::string>{"a.test", "b.test", "c.test"}));
  EXPECT_EQ(c.ndots, 3u);
  EXPECT_EQ(c.timeout_ms, 2000u);
  EXPECT_EQ(c.attempts, 4u);
  EXPECT_TRUE(c.rotate);
  EXPECT_TRUE(c.edns0);
  EXPECT_EQ(c.warnings.size(), 2u);  // the unknown option, the unknown keyword
  auto d = parse_resolv_conf("search a.test\ndomain last.test\n");  // the last one wins
  EXPECT_EQ(d.search, (std::vector<std::string>{"last.test"}));
  auto caps = parse_resolv_conf("options ndots:99 timeout:999 attempts:0\n");
  EXPECT_EQ(caps.ndots, 15u);
  EXPECT_EQ(caps.timeout_ms, 30000u);
  EXPECT_EQ(caps.attempts, 1u);
}

TEST(ResolvConf, BoundsAndDefaults) {
  auto empty = parse_resolv_conf("");
  ASSERT_EQ(empty.servers.size(), 2u);  // glibc: the local host
  EXPECT_EQ(empty.servers[0].to_string(), "127.0.0.1:53");
  EXPECT_EQ(empty.ndots, 1u);
  ResolvConfLimits lim;
  lim.max_line_bytes = 40;
  lim.max_search = 2;
  auto c = parse_resolv_conf("search " + std::string(60, 'a') + "\nsearch x.test y.test z.test\n", lim);
  EXPECT_EQ(c.search, (std::vector<std::string>{"x.test", "y.test"}));
  EXPECT_EQ(c.warnings.size(), 2u);
  ResolvConfLimits lines;
  lines.max_lines = 2;
  auto l = parse_resolv_conf("\n\nnameserver 192.0.2.9\n", lines);
  EXPECT_EQ(l.servers[0].to_string(), "127.0.0.1:53");
}

TEST(ResolvConf, LoadFromFile) {
  fs::path dir = fs::temp_directory_path() / ("zp_resolv_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  zp::test::write_file(dir / "resolv.conf", "nameserver 192.0.2.7\nsearch x.test\n");
  auto c = load_resolv_conf((dir / "resolv.conf").string());
  ASSERT_TRUE(c);
  EXPECT_EQ(c->servers[0].to_string(), "192.0.2.7:53");
  auto missing = load_resolv_conf((dir / "none").string());
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->servers[0].to_string(), "127.0.0.1:53");
  ResolvConfLimits small;
  small.max_file_bytes = 10;
  auto big = load_resolv_conf((dir / "resolv.conf").string(), small);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error(), ResolverErrc::bad_config);
  fs::remove_all(dir);
}

// ------------------------------------------------------------------ hosts

TEST(Hosts, ParsesAliasesCaseAndComments) {
  auto h = parse_hosts(
      "127.0.0.1\tlocalhost  # the loopback\n"
      "::1 localhost ip6-localhost\n"
      "192.0.2.10 Web.Example.Test web  www\n"
      "# 192.0.2.99 commented.test\n"
      "300.1.1.1 bad-address.test\n"
      "192.0.2.11\n"
      "192.0.2.12 bad/name.test ok.test\n");
  auto lh = h.lookup("LOCALHOST.");
  ASSERT_EQ(lh.size(), 2u);
  EXPECT_EQ(lh[0].to_string(), "127.0.0.1");
  EXPECT_EQ(lh[1].to_string(), "::1");
  EXPECT_EQ(h.lookup("web.example.test")[0].to_string(), "192.0.2.10");
  EXPECT_EQ(h.lookup("WWW").size(), 1u);
  EXPECT_TRUE(h.lookup("commented.test").empty());
  EXPECT_TRUE(h.lookup("bad-address.test").empty());
  EXPECT_EQ(h.lookup("ok.test").size(), 1u);
  EXPECT_EQ(h.warnings.size(), 3u);  // bad address, address without name, bad name
}

TEST(Hosts, Bounds) {
  HostsLimits lim;
  lim.max_entries = 2;
  lim.max_names_per_line = 2;
  auto h = parse_hosts("192.0.2.1 a b c\n192.0.2.2 d\n", lim);
  EXPECT_EQ(h.size(), 2u);
  EXPECT_TRUE(h.lookup("c").empty());
  EXPECT_TRUE(h.lookup("d").empty());
  HostsLimits line;
  line.max_line_bytes = 20;
  auto l = parse_hosts("192.0.2.1 " + std::string(40, 'x') + "\n", line);
  EXPECT_EQ(l.size(), 0u);
  EXPECT_EQ(l.warnings.size(), 1u);
  fs::path p = fs::temp_directory_path() / ("zp_hosts_" + std::to_string(::getpid()));
  zp::test::write_file(p, "192.0.2.1 file.test\n");
  auto f = load_hosts(p.string());
  ASSERT_TRUE(f);
  EXPECT_EQ(f->lookup("file.test").size(), 1u);
  HostsLimits tiny;
  tiny.max_file_bytes = 4;
  EXPECT_EQ(load_hosts(p.string(), tiny).error(), ResolverErrc::bad_config);
  fs::remove(p);
}

TEST(Hosts, HostNameValidation) {
  EXPECT_TRUE(is_host_name("www.example.test"));
  EXPECT_TRUE(is_host_name("www.example.test."));
  EXPECT_TRUE(is_host_name("_sip._tcp.example.test"));
  EXPECT_FALSE(is_host_name(""));
  EXPECT_FALSE(is_host_name("."));
  EXPECT_FALSE(is_host_name("a..b"));
  EXPECT_FALSE(is_host_name("a b.test"));
  EXPECT_FALSE(is_host_name("evil\\032name.test"));
  EXPECT_FALSE(is_host_name(std::string(64, 'a') + ".test"));
  const std::string l63(63, 'a');
  EXPECT_TRUE(is_host_name(l63 + "." + l63 + "." + l63 + "." + std::string(61, 'a')));  // 253
  EXPECT_FALSE(is_host_name(l63 + "." + l63 + "." + l63 + "." + l63));                  // 255
}

// ------------------------------------------------------------------ names

TEST(ResolverNames, SearchListAndNdots) {
  ResolvConf c;
  c.search = {"a.test", "b.test"};
  c.ndots = 1;
  EXPECT_EQ(search_names("www", c), (std::vector<std::string>{"www.a.test.", "www.b.test.", "www."}));
  EXPECT_EQ(search_names("www.x", c), (std::vector<std::string>{"www.x.", "www.x.a.test.", "www.x.b.test."}));
  EXPECT_EQ(search_names("abs.", c), (std::vector<std::string>{"abs."}));
  c.ndots = 2;
  EXPECT_EQ(search_names("www.x", c).front(), "www.x.a.test.");
}

TEST(ResolverNames, ReverseNames) {
  EXPECT_EQ(reverse_name(*IpAddress::parse("192.0.2.1")), "1.2.0.192.in-addr.arpa.");
  EXPECT_EQ(reverse_name(*IpAddress::parse("2001:db8::567:89ab")),
            "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
}

// ------------------------------------------------------------------ interpret_reply

struct Parsed {
  Bytes wire;
  cd::Record storage[64];
  cd::Message m;
  explicit Parsed(Bytes w) : wire(std::move(w)) {
    auto r = cd::parse_message(std::as_bytes(std::span(wire)), m, storage);
    EXPECT_TRUE(r.ok()) << cd::errc_name(r.error);
  }
  Interpretation run(InterpretLimits lim = {}) { return interpret_reply(m, m.question[0].owner, m.question[0].type, lim); }
};

TEST(InterpretReply, FollowsCnameChainAndIgnoresGlueAndStrangers) {
  Msg m;
  m.qname = "www.example.test.";
  m.answer = {{"WWW.example.test.", 5, 600, rd_name("web.example.test.")},
              {"web.example.test.", 5, 500, rd_name("host.example.test.")},
              {"host.example.test.", 1, 400, rd_a("192.0.2.1")},
              {"host.example.test.", 1, 450, rd_a("192.0.2.2")},
              {"other.example.test.", 1, 900, rd_a("203.0.113.66")}};  // not on the chain
  m.additional = {{"www.example.test.", 1, 900, rd_a("203.0.113.99")}};  // glue, never an answer
  Parsed p(m.build());
  auto out = p.run();
  ASSERT_EQ(out.status, ResolverErrc::ok);
  EXPECT_EQ(out.answer.cnames.size(), 2u);
  EXPECT_EQ(out.answer.canonical_name, "host.example.test.");
  auto addrs = out.answer.addresses();
  ASSERT_EQ(addrs.size(), 2u);
  EXPECT_EQ(addrs[0].to_string(), "192.0.2.1");
  EXPECT_EQ(out.answer.ttl, 400u);
  EXPECT_EQ(out.answer.records[0].rdata_text(), "192.0.2.1");
}

TEST(InterpretReply, CnameLoopAndLengthBound) {
  Msg loop;
  loop.qname = "a.test.";
  loop.answer = {{"a.test.", 5, 60, rd_name("b.test.")}, {"b.test.", 5, 60, rd_name("a.test.")}};
  EXPECT_EQ(Parsed(loop.build()).run().status, ResolverErrc::cname_loop);
  Msg chain;
  chain.qname = "c0.test.";
  for (int i = 0; i < 5; ++i)
    chain.answer.push_back({"c" + std::to_string(i) + ".test.", 5, 60, rd_name("c" + std::to_string(i + 1) + ".test.")});
  chain.answer.push_back({"c5.test.", 1, 60, rd_a("192.0.2.5")});
  EXPECT_EQ(Parsed(chain.build()).run({.max_cname_chain = 4}).status, ResolverErrc::cname_loop);
  EXPECT_EQ(Parsed(chain.build()).run({.max_cname_chain = 5}).status, ResolverErrc::ok);
}

TEST(InterpretReply, NegativeAnswersCarryTheRfc2308Ttl) {
  Msg nx;
  nx.flags = 0x8183;  // NXDOMAIN
  nx.qname = "nope.example.test.";
  nx.authority = {{"example.test.", 6, 900, rd_soa(300)}};
  auto o = Parsed(nx.build()).run();
  EXPECT_EQ(o.status, ResolverErrc::nxdomain);
  EXPECT_EQ(o.negative_ttl, 300u);  // min(SOA TTL 900, MINIMUM 300)
  Msg nodata;
  nodata.qname = "www.example.test.";
  nodata.qtype = 28;
  nodata.authority = {{"example.test.", 6, 60, rd_soa(300)}};
  o = Parsed(nodata.build()).run();
  EXPECT_EQ(o.status, ResolverErrc::nodata);
  EXPECT_EQ(o.negative_ttl, 60u);
  Msg foreign;  // an SOA of a zone that does not enclose the name: no TTL from it
  foreign.qname = "www.example.test.";
  foreign.authority = {{"other.test.", 6, 900, rd_soa(900)}};
  o = Parsed(foreign.build()).run();
  EXPECT_EQ(o.status, ResolverErrc::nodata);
  EXPECT_EQ(o.negative_ttl, 0u);
}

TEST(InterpretReply, RcodesAndBadNames) {
  Msg m;
  m.qname = "x.test.";
  m.flags = 0x8182;
  EXPECT_EQ(Parsed(m.build()).run().status, ResolverErrc::servfail);
  m.flags = 0x8185;
  EXPECT_EQ(Parsed(m.build()).run().status, ResolverErrc::refused);
  m.flags = 0x8184;
  EXPECT_EQ(Parsed(m.build()).run().status, ResolverErrc::not_implemented);
  Msg bad;  // a CNAME target that is no host name (CVE-2021-3672's injection)
  bad.qname = "x.test.";
  Bytes target = {5, 'a', ' ', '<', 'b', '>', 4, 't', 'e', 's', 't', 0};
  bad.answer = {{"x.test.", 5, 60, target}};
  EXPECT_EQ(Parsed(bad.build()).run().status, ResolverErrc::bad_reply_name);
  Msg mx;  // MX "." (RFC 7505 null MX) is fine; typed data comes out
  mx.qname = "x.test.";
  mx.qtype = 15;
  mx.answer = {{"x.test.", 15, 60, rd_mx(0, ".")}, {"x.test.", 15, 60, rd_mx(10, "mail.x.test.")}};
  auto o = Parsed(mx.build()).run();
  ASSERT_EQ(o.status, ResolverErrc::ok);
  auto& d = std::get<MxData>(o.answer.records[1].data);
  EXPECT_EQ(d.preference, 10);
  EXPECT_EQ(d.exchange, "mail.x.test.");
  EXPECT_EQ(o.answer.records[1].rdata_text(), "10 mail.x.test.");
}

// ------------------------------------------------------------------ cache

Answer answer_for(std::string name, std::uint32_t ttl, const char* addr = "192.0.2.1") {
  Answer a;
  a.qname = std::move(name);
  a.qtype = 1;
  a.ttl = ttl;
  ResourceRecord r;
  r.name = a.qname;
  r.type = 1;
  r.ttl = ttl;
  r.data = *IpAddress::parse(addr);
  auto rd = rd_a(addr);
  for (auto b : rd) r.rdata.push_back(std::byte(b));
  a.records.push_back(r);
  return a;
}

TEST(ResolverCache, TtlCountsDownAndExpires) {
  ResolverCache c;
  c.put(answer_for("www.example.test.", 300), 1000);
  auto h = c.get("WWW.Example.Test", 1, 1000 + 100'500);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->answer.from_cache);
  EXPECT_EQ(h->answer.ttl, 199u);
  EXPECT_EQ(h->answer.records[0].ttl, 199u);
  EXPECT_FALSE(c.get("www.example.test.", 28, 2000));  // another type
  EXPECT_FALSE(c.get("www.example.test.", 1, 1000 + 300'000));
  EXPECT_EQ(c.stats().entries, 0u);
  EXPECT_EQ(c.stats().expired, 1u);
}

TEST(ResolverCache, CapsZeroTtlNegativeAndServfail) {
  ResolverCache c({.max_ttl_s = 60, .max_negative_ttl_s = 30, .servfail_ttl_s = 5});
  c.put(answer_for("long.test.", 86400), 0);
  EXPECT_TRUE(c.get("long.test.", 1, 59'000));
  EXPECT_FALSE(c.get("long.test.", 1, 60'000));
  c.put(answer_for("zero.test.", 0), 0);
  EXPECT_FALSE(c.get("zero.test.", 1, 0));
  c.put_negative("nx.test.", 1, ResolverErrc::nxdomain, 3600, 0);
  auto nx = c.get("nx.test.", 1, 29'000);
  ASSERT_TRUE(nx);
  EXPECT_EQ(nx->status, ResolverErrc::nxdomain);
  EXPECT_FALSE(c.get("nx.test.", 1, 30'000));
  c.put_negative("nd.test.", 1, ResolverErrc::nodata, 0, 0);  // no SOA: not cached
  EXPECT_FALSE(c.get("nd.test.", 1, 0));
  c.put_negative("sf.test.", 1, ResolverErrc::servfail, 0, 0);
  EXPECT_EQ(c.get("sf.test.", 1, 4'000)->status, ResolverErrc::servfail);
  EXPECT_FALSE(c.get("sf.test.", 1, 5'000));
  c.put_negative("to.test.", 1, ResolverErrc::timeout, 100, 0);  // failures to get an answer: never
  EXPECT_FALSE(c.get("to.test.", 1, 0));
}

TEST(ResolverCache, EvictsLeastRecentlyUsedByEntriesAndBytes) {
  ResolverCache c({.max_entries = 2});
  c.put(answer_for("a.test.", 300), 0);
  c.put(answer_for("b.test.", 300), 0);
  EXPECT_TRUE(c.get("a.test.", 1, 1));  // a is now the most recent
  c.put(answer_for("c.test.", 300), 2);
  EXPECT_TRUE(c.get("a.test.", 1, 3));
  EXPECT_FALSE(c.get("b.test.", 1, 3));
  EXPECT_TRUE(c.get("c.test.", 1, 3));
  EXPECT_EQ(c.stats().evictions, 1u);
  const std::size_t one = answer_for("x.test.", 300).approx_bytes() + 8;
  ResolverCache small({.max_bytes = one * 2 + one / 2});
  for (int i = 0; i < 5; ++i) small.put(answer_for("n" + std::to_string(i) + ".test.", 300), i);
  EXPECT_LE(small.stats().bytes, one * 2 + one / 2);
  EXPECT_EQ(small.stats().entries, 2u);
  EXPECT_TRUE(small.get("n4.test.", 1, 10));
  EXPECT_FALSE(small.get("n0.test.", 1, 10));
  ResolverCache none({.max_bytes = 10});  // an answer bigger than the whole cache
  none.put(answer_for("big.test.", 300), 0);
  EXPECT_EQ(none.stats().entries, 0u);
}

}  // namespace
