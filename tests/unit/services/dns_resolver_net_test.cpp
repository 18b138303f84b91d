// The resolver on the engine (io_uring and epoll) against FakeDns, a scripted server on
// 127.0.0.1: answers and the cache, replies with a wrong ID or question ignored, TC → TCP,
// timeout and failover to a second server, FORMERR → retry without EDNS, malformed replies
// (zero-length datagram, compression loop) as errors, coalescing of identical queries, A +
// AAAA in parallel, hosts first, search list, negative caching, SERVFAIL failover.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <set>

#include "dns_resolver_test_util.h"
#include "engine_test_util.h"
#include "zp/dns/resolver.h"

namespace {

using namespace zp;
using namespace zp::dns;
using namespace zp::test::dnsr;
using namespace std::chrono_literals;

ResolverOptions options_for(std::vector<const FakeDns*> servers, unsigned timeout_ms = 2000, unsigned attempts = 1) {
  ResolverOptions o;
  ResolvConf c;
  for (auto* s : servers) c.servers.push_back(*SocketAddr::parse(s->address()));
  c.timeout_ms = timeout_ms;
  c.attempts = attempts;
  o.config = c;
  o.hosts = Hosts{};
  return o;
}

// Answers A and AAAA for any name with fixed addresses (TTL 300), NXDOMAIN under "nx.".
std::vector<Bytes> standard(const Bytes& q, bool) {
  auto a = parse_query(q);
  Msg m = reply_to(a);
  if (a.qname.ends_with("nx.test.")) {
    m.flags = 0x8183;
    m.authority = {{"test.", 6, 600, rd_soa(120)}};
  } else if (a.qtype == 1) {
    m.answer = {{a.qname, 1, 300, rd_a("192.0.2.1")}};
  } else if (a.qtype == 28) {
    m.answer = {{a.qname, 28, 300, rd_aaaa("2001:db8::1")}};
  }
  return {m.build()};
}

class ResolverNet : public ::testing::TestWithParam<test::BackendParam> {
 protected:
  void SetUp() override { shard_ = test::make_shard(GetParam()); }
  template <class T>
  T run(Task<T> t) {
    return shard_->block_on(std::move(t));
  }
  std::unique_ptr<Shard> shard_;
};

TEST_P(ResolverNet, AnswersAndCaches) {
  FakeDns srv(standard);
  Resolver r(*shard_, options_for({&srv}));
  auto a = run(r.query_exact("www.example.test", codec::dns::rrtype::a));
  ASSERT_TRUE(a) << a.error().message();
  ASSERT_EQ(a->addresses().size(), 1u);
  EXPECT_EQ(a->addresses()[0].to_string(), "192.0.2.1");
  EXPECT_FALSE(a->from_cache);
  auto b = run(r.query_exact("WWW.EXAMPLE.TEST.", codec::dns::rrtype::a));
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->from_cache);
  EXPECT_EQ(srv.udp_queries(), 1);
  EXPECT_EQ(r.stats().cache_hits, 1u);
}

TEST_P(ResolverNet, SourcePortsChangeWithinTheReuseBound) {
  FakeDns srv(standard);
  auto o = options_for({&srv});
  o.cache.max_entries = 0;
  o.max_socket_uses = 4;
  Resolver r(*shard_, o);
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(run(r.query_exact("p" + std::to_string(i) + ".example.test.", 1)));
  auto ports = srv.ports();
  ASSERT_EQ(ports.size(), 12u);
  for (std::size_t i = 0; i < ports.size(); i += 4) {  // 4 queries per socket, then a new random port
    EXPECT_EQ(ports[i], ports[i + 3]);
    if (i > 0) {
      EXPECT_NE(ports[i], ports[i - 1]);
    }
  }
  o.max_socket_uses = 1;
  Resolver fresh(*shard_, o);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(run(fresh.query_exact("f" + std::to_string(i) + ".example.test.", 1)));
  ports = srv.ports();
  std::set<std::uint16_t> distinct(ports.begin() + 12, ports.end());
  EXPECT_GE(distinct.size(), 7u);  // random ephemeral ports: a repeat is possible, not likely
}

TEST_P(ResolverNet, WrongIdAndWrongQuestionAreIgnored) {
  FakeDns srv([](const Bytes& q, bool) {
    auto a = parse_query(q);
    Msg wrong_id = reply_to(a);
    wrong_id.id = static_cast<std::uint16_t>(a.id + 1);
    wrong_id.answer = {{a.qname, 1, 300, rd_a("203.0.113.1")}};
    Msg wrong_q = reply_to(a);
    wrong_q.qname = "evil.test.";
    wrong_q.answer = {{"evil.test.", 1, 300, rd_a("203.0.113.2")}};
    Msg wrong_type = reply_to(a);
    wrong_type.qtype = 28;
    Msg good = reply_to(a);
    good.answer = {{a.qname, 1, 300, rd_a("192.0.2.7")}};
    return std::vector<Bytes>{wrong_id.build(), wrong_q.build(), wrong_type.build(), good.build()};
  });
  Resolver r(*shard_, options_for({&srv}));
  auto a = run(r.query_exact("www.example.test.", codec::dns::rrtype::a));
  ASSERT_TRUE(a) << a.error().message();
  ASSERT_EQ(a->addresses().size(), 1u);
  EXPECT_EQ(a->addresses()[0].to_string(), "192.0.2.7");
}

TEST_P(ResolverNet, TruncatedReplyRetriesOverTcp) {
  FakeDns srv([](const Bytes& q, bool tcp) {
    auto a = parse_query(q);
    Msg m = reply_to(a);
    if (!tcp) {
      m.flags |= 0x0200;  // TC
      return std::vector<Bytes>{m.build()};
    }
    for (int i = 0; i < 40; ++i) m.answer.push_back({a.qname, 16, 300, rd_txt({std::string(60, char('a' + i % 26))})});
    return std::vector<Bytes>{m.build()};
  });
  Resolver r(*shard_, options_for({&srv}));
  auto a = run(r.query_exact("big.example.test.", codec::dns::rrtype::txt));
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->records.size(), 40u);
  EXPECT_EQ(srv.udp_queries(), 1);
  EXPECT_EQ(srv.tcp_queries(), 1);
}

TEST_P(ResolverNet, TimeoutFailsOverToTheSecondServerAndRemembers) {
  FakeDns dead([](const Bytes&, bool) { return std::vector<Bytes>{}; });
  FakeDns alive(standard);
  Resolver r(*shard_, options_for({&dead, &alive}, 200, 1));
  auto t0 = std::chrono::steady_clock::now();
  auto a = run(r.query_exact("one.example.test.", codec::dns::rrtype::a));
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 150ms);
  EXPECT_EQ(dead.udp_queries(), 1);
  // The failing server now goes last: the next question is answered at once.
  auto b = run(r.query_exact("two.example.test.", codec::dns::rrtype::a));
  ASSERT_TRUE(b);
  EXPECT_EQ(dead.udp_queries(), 1);
  EXPECT_EQ(alive.udp_queries(), 2);
}

TEST_P(ResolverNet, TimeoutWithRetriesAndBackoff) {
  FakeDns dead([](const Bytes&, bool) { return std::vector<Bytes>{}; });
  Resolver r(*shard_, options_for({&dead}, 100, 2));
  auto t0 = std::chrono::steady_clock::now();
  auto a = run(r.query_exact("x.example.test.", codec::dns::rrtype::a));
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error(), ResolverErrc::timeout);
  EXPECT_EQ(dead.udp_queries(), 2);
  EXPECT_GE(took, 280ms);  // 100 ms, then 200 ms
  EXPECT_LT(took, 3s);
}

TEST_P(ResolverNet, FormerrRetriesWithoutEdns) {
  FakeDns srv([](const Bytes& q, bool) {
    auto a = parse_query(q);
    Msg m = reply_to(a);
    if (a.edns) {
      m.flags = 0x8181;  // FORMERR, as an old server answers an OPT
      m.question = false;
      return std::vector<Bytes>{m.build()};
    }
    m.answer = {{a.qname, 1, 300, rd_a("192.0.2.9")}};
    return std::vector<Bytes>{m.build()};
  });
  Resolver r(*shard_, options_for({&srv}));
  auto a = run(r.query_exact("old.example.test.", codec::dns::rrtype::a));
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->addresses()[0].to_string(), "192.0.2.9");
  EXPECT_EQ(srv.udp_queries(), 2);
}

TEST_P(ResolverNet, MalformedRepliesAreErrorsNotCrashes) {
  FakeDns srv([](const Bytes& q, bool) {
    auto a = parse_query(q);
    Bytes loop = reply_to(a).build();
    loop[7] = 1;  // ANCOUNT 1: a record whose owner is a pointer to itself
    std::size_t at = loop.size();
    loop.push_back(0xC0);
    loop.push_back(std::uint8_t(at));
    put16(loop, 1);
    put16(loop, 1);
    put32(loop, 60);
    put16(loop, 4);
    for (int i = 0; i < 4; ++i) loop.push_back(1);
    return std::vector<Bytes>{Bytes{}, Bytes{0x12}, loop};  // zero-length, 1 octet, the loop
  });
  Resolver r(*shard_, options_for({&srv}));
  auto a = run(r.query_exact("loop.example.test.", codec::dns::rrtype::a));
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error(), ResolverErrc::malformed_reply);
  FakeDns empty([](const Bytes&, bool) { return std::vector<Bytes>{Bytes{}}; });
  Resolver r2(*shard_, options_for({&empty}, 100));
  auto b = run(r2.query_exact("empty.example.test.", codec::dns::rrtype::a));
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), ResolverErrc::timeout);  // a zero-length datagram is no answer
}

Task<void> query_into(Resolver* r, std::string name, std::optional<Result<Answer>>* out) {
  out->emplace(co_await r->query_exact(std::move(name), codec::dns::rrtype::a));
}
Task<void> wait_both(std::optional<Result<Answer>>* a, std::optional<Result<Answer>>* b) {
  while (!*a || !*b) {
    auto s = co_await sleep(5ms);
    if (!s) co_return;
  }
}

TEST_P(ResolverNet, IdenticalQueriesInFlightAreCoalesced) {
  FakeDns srv([](const Bytes& q, bool tcp) {
    std::this_thread::sleep_for(30ms);
    return standard(q, tcp);
  });
  Resolver r(*shard_, options_for({&srv}));
  std::optional<Result<Answer>> a, b, c;
  auto h1 = shard_->spawn(query_into(&r, "same.example.test.", &a));
  auto h2 = shard_->spawn(query_into(&r, "SAME.example.test", &b));
  ASSERT_TRUE(h1 && h2);
  run(wait_both(&a, &b));
  ASSERT_TRUE(*a) << a->error().message();
  ASSERT_TRUE(*b) << b->error().message();
  EXPECT_EQ((*b)->addresses()[0].to_string(), "192.0.2.1");
  EXPECT_EQ(srv.udp_queries(), 1);
  EXPECT_EQ(r.stats().coalesced, 1u);
  EXPECT_EQ(r.stats().sent, 1u);
}

TEST_P(ResolverNet, CancelledWaiterLeavesTheFlight) {
  FakeDns srv([](const Bytes& q, bool tcp) {
    std::this_thread::sleep_for(100ms);
    return standard(q, tcp);
  });
  Resolver r(*shard_, options_for({&srv}));
  std::optional<Result<Answer>> a, b;
  auto h1 = shard_->spawn(query_into(&r, "c.example.test.", &a));
  auto h2 = shard_->spawn(query_into(&r, "c.example.test.", &b));
  ASSERT_TRUE(h1 && h2);
  h1->cancel();
  run(wait_both(&a, &b));
  ASSERT_FALSE(*a);
  EXPECT_EQ(a->error(), std::errc::operation_canceled);
  ASSERT_TRUE(*b) << b->error().message();
}

TEST_P(ResolverNet, LookupHostAskesAandAaaaInParallelHostsFirst) {
  FakeDns srv(standard);
  auto o = options_for({&srv});
  o.hosts = parse_hosts("192.0.2.200 printer.lan\n");
  Resolver r(*shard_, o);
  auto h = run(r.lookup_host("printer.lan"));
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 1u);
  EXPECT_EQ(srv.udp_queries(), 0);
  EXPECT_EQ(run(r.lookup_host("192.0.2.3"))->at(0).to_string(), "192.0.2.3");
  EXPECT_EQ(run(r.lookup_host("[2001:db8::3]"))->at(0).to_string(), "2001:db8::3");
  auto d = run(r.lookup_host("www.example.test"));
  ASSERT_TRUE(d) << d.error().message();
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ((*d)[0].to_string(), "2001:db8::1");  // IPv6 first
  EXPECT_EQ((*d)[1].to_string(), "192.0.2.1");
  EXPECT_EQ(srv.udp_queries(), 2);
  auto bad = run(r.lookup_host("bad name!"));
  EXPECT_EQ(bad.error(), ResolverErrc::bad_name);
  auto lh = run(r.lookup_host("localhost"));  // RFC 6761, with an empty hosts table
  ASSERT_TRUE(lh);
  EXPECT_EQ(lh->size(), 2u);
}

TEST_P(ResolverNet, SearchListAndNegativeCaching) {
  FakeDns srv(standard);
  auto o = options_for({&srv});
  o.config->search = {"nx.test", "example.test"};
  Resolver r(*shard_, o);
  auto a = run(r.query("www", codec::dns::rrtype::a));  // www.nx.test. is NXDOMAIN, then www.example.test.
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->qname, "www.example.test.");
  EXPECT_EQ(srv.udp_queries(), 2);
  auto nx = run(r.query_exact("www.nx.test.", codec::dns::rrtype::a));
  ASSERT_FALSE(nx);
  EXPECT_EQ(nx.error(), ResolverErrc::nxdomain);
  EXPECT_EQ(srv.udp_queries(), 2);  // from the negative cache
}

TEST_P(ResolverNet, ServfailFailsOverThenIsReported) {
  auto servfail = [](const Bytes& q, bool) {
    Msg m = reply_to(parse_query(q));
    m.flags = 0x8182;
    return std::vector<Bytes>{m.build()};
  };
  FakeDns bad(servfail);
  FakeDns good(standard);
  Resolver r(*shard_, options_for({&bad, &good}));
  auto a = run(r.query_exact("www.example.test.", codec::dns::rrtype::a));
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(bad.udp_queries(), 1);
  FakeDns bad2(servfail);
  Resolver r2(*shard_, options_for({&bad2}));
  auto b = run(r2.query_exact("www.example.test.", codec::dns::rrtype::a));
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), ResolverErrc::servfail);
  auto c = run(r2.query_exact("www.example.test.", codec::dns::rrtype::a));  // briefly cached
  EXPECT_EQ(c.error(), ResolverErrc::servfail);
  EXPECT_EQ(bad2.udp_queries(), 1);
}

TEST_P(ResolverNet, NoServersAndBadNames) {
  ResolverOptions o;
  o.config = ResolvConf{};
  o.hosts = Hosts{};
  Resolver r(*shard_, o);
  EXPECT_EQ(run(r.query_exact("x.test.", 1)).error(), ResolverErrc::no_servers);
  EXPECT_EQ(run(r.query("a..b", 1)).error(), ResolverErrc::bad_name);
  EXPECT_EQ(run(r.query(std::string(300, 'a'), 1)).error(), ResolverErrc::bad_name);
  EXPECT_EQ(run(r.query_exact("x.invalid.", 1)).error(), ResolverErrc::nxdomain);  // RFC 6761
}

INSTANTIATE_TEST_SUITE_P(Backends, ResolverNet, ::testing::ValuesIn(test::all_backends()), test::param_name);

}  // namespace
