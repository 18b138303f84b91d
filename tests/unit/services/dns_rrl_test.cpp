// Response rate limiting with a fake clock: the rate and its refill, the window's debt, the
// slip cadence (0, 1, 2, 3), grouping by client prefix and by response class and name, the
// table's bound with eviction, and the truncated form of a slipped response.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>
#include <string>
#include <vector>

#include "dns_test_util.h"
#include "zp/dns/rrl.h"

namespace zp::dns {
namespace {

namespace rrtype = codec::dns::rrtype;

sockaddr_storage v4(const char* text) {
  sockaddr_storage ss{};
  auto* a = reinterpret_cast<sockaddr_in*>(&ss);
  a->sin_family = AF_INET;
  a->sin_port = htons(5353);
  EXPECT_EQ(inet_pton(AF_INET, text, &a->sin_addr), 1) << text;
  return ss;
}

sockaddr_storage v6(const char* text) {
  sockaddr_storage ss{};
  auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
  a->sin6_family = AF_INET6;
  EXPECT_EQ(inet_pton(AF_INET6, text, &a->sin6_addr), 1) << text;
  return ss;
}

const sockaddr* sa(const sockaddr_storage& ss) { return reinterpret_cast<const sockaddr*>(&ss); }

struct Tally {
  int send = 0, slip = 0, drop = 0;
};

// `n` answers for www.example.test. A from `peer` at `now_ms`.
Tally burst(Rrl& rrl, const sockaddr_storage& peer, int n, std::int64_t now_ms,
            ResponseKind kind = ResponseKind::answer, std::string_view name = "www.example.test.",
            std::uint16_t qtype = rrtype::a) {
  const auto key = test::wire_name(name);
  Tally t;
  for (int i = 0; i < n; ++i) {
    switch (rrl.check(sa(peer), kind, qtype, key, now_ms)) {
      case RrlAction::send: ++t.send; break;
      case RrlAction::slip: ++t.slip; break;
      case RrlAction::drop: ++t.drop; break;
    }
  }
  return t;
}

TEST(DnsRrl, OffSendsEverything) {
  Rrl rrl(RrlOptions{});
  Tally t = burst(rrl, v4("192.0.2.1"), 1000, 0);
  EXPECT_EQ(t.send, 1000);
}

TEST(DnsRrl, LimitsToTheRateAndRefillsOverTime) {
  Rrl rrl({.responses_per_second = 10, .slip = 0, .window_s = 1});
  auto peer = v4("192.0.2.1");
  Tally t = burst(rrl, peer, 25, 1000);
  EXPECT_EQ(t.send, 10);  // one second's worth up front
  EXPECT_EQ(t.drop, 15);
  EXPECT_EQ(t.slip, 0);
  // The debt is capped at window_s × rate (10 tokens): after 2 s the bucket is full again.
  t = burst(rrl, peer, 10, 3000);
  EXPECT_EQ(t.send, 10);
  EXPECT_EQ(burst(rrl, peer, 1, 3000).drop, 1);
  // 100 ms later: one response's worth of credit minus the one debt token.
  EXPECT_EQ(burst(rrl, peer, 1, 3100).drop, 1);
  EXPECT_EQ(burst(rrl, peer, 1, 3300).send, 1);
}

TEST(DnsRrl, UnderTheRateEverythingGoesOutAFloodGetsOnlyItsBurst) {
  Rrl rrl({.responses_per_second = 5, .slip = 0});
  int polite = 0, flood = 0;
  // 4 a second for 20 s: under the rate, all answered.
  for (int ms = 0; ms < 20000; ms += 250) polite += burst(rrl, v4("192.0.2.1"), 1, ms).send;
  EXPECT_EQ(polite, 80);
  // 50 a second: the first second's credit, then limited for as long as the flood lasts
  // (limited responses are charged too, down to window_s seconds of debt, as in BIND).
  for (int ms = 0; ms < 20000; ms += 20) flood += burst(rrl, v4("198.51.100.7"), 1, ms).send;
  EXPECT_EQ(flood, 5);
}

TEST(DnsRrl, WindowKeepsAFloodingClientLimited) {
  Rrl rrl({.responses_per_second = 10, .slip = 0, .window_s = 5});
  auto peer = v4("192.0.2.1");
  burst(rrl, peer, 1000, 0);  // deep in debt: 5 s × 10 tokens
  EXPECT_EQ(burst(rrl, peer, 1, 4000).drop, 1);   // 40 tokens back, still below zero
  EXPECT_EQ(burst(rrl, peer, 1, 5200).send, 1);   // the debt is paid off
}

TEST(DnsRrl, SlipCadence) {
  for (std::uint32_t slip : {0u, 1u, 2u, 3u}) {
    Rrl rrl({.responses_per_second = 1, .slip = slip});
    Tally t = burst(rrl, v4("192.0.2.1"), 1 + 12, 0);
    EXPECT_EQ(t.send, 1) << slip;
    const int expect_slip = slip == 0 ? 0 : 12 / int(slip);
    EXPECT_EQ(t.slip, expect_slip) << slip;
    EXPECT_EQ(t.drop, 12 - expect_slip) << slip;
  }
  // slip 2: drop, slip, drop, slip...
  Rrl rrl({.responses_per_second = 1, .slip = 2});
  auto peer = v4("192.0.2.1");
  const auto key = test::wire_name("www.example.test.");
  EXPECT_EQ(rrl.check(sa(peer), ResponseKind::answer, rrtype::a, key, 0), RrlAction::send);
  EXPECT_EQ(rrl.check(sa(peer), ResponseKind::answer, rrtype::a, key, 0), RrlAction::drop);
  EXPECT_EQ(rrl.check(sa(peer), ResponseKind::answer, rrtype::a, key, 0), RrlAction::slip);
  EXPECT_EQ(rrl.check(sa(peer), ResponseKind::answer, rrtype::a, key, 0), RrlAction::drop);
  EXPECT_EQ(rrl.check(sa(peer), ResponseKind::answer, rrtype::a, key, 0), RrlAction::slip);
}

TEST(DnsRrl, GroupsClientsByPrefix) {
  Rrl rrl({.responses_per_second = 4, .slip = 0, .ipv4_prefix = 24, .ipv6_prefix = 56});
  // 192.0.2.1 and 192.0.2.200 share a /24: one bucket.
  EXPECT_EQ(burst(rrl, v4("192.0.2.1"), 4, 0).send, 4);
  EXPECT_EQ(burst(rrl, v4("192.0.2.200"), 1, 0).drop, 1);
  EXPECT_EQ(burst(rrl, v4("192.0.3.1"), 4, 0).send, 4);  // another /24
  // IPv4-mapped IPv6 is the IPv4 client.
  EXPECT_EQ(burst(rrl, v6("::ffff:192.0.2.9"), 1, 0).drop, 1);
  // /56: 2001:db8:0:100::/56 holds ...:1ff; ...:200 is another prefix.
  EXPECT_EQ(burst(rrl, v6("2001:db8:0:100::1"), 4, 0).send, 4);
  EXPECT_EQ(burst(rrl, v6("2001:db8:0:1ff::5"), 1, 0).drop, 1);
  EXPECT_EQ(burst(rrl, v6("2001:db8:0:200::1"), 1, 0).send, 1);
}

TEST(DnsRrl, PrefixLengthsAreParameters) {
  Rrl rrl({.responses_per_second = 2, .slip = 0, .ipv4_prefix = 32, .ipv6_prefix = 128});
  EXPECT_EQ(burst(rrl, v4("192.0.2.1"), 3, 0).send, 2);
  EXPECT_EQ(burst(rrl, v4("192.0.2.2"), 2, 0).send, 2);  // /32: every address alone
  EXPECT_EQ(burst(rrl, v6("2001:db8::1"), 3, 0).send, 2);
  EXPECT_EQ(burst(rrl, v6("2001:db8::2"), 2, 0).send, 2);
  Rrl wide({.responses_per_second = 2, .slip = 0, .ipv4_prefix = 8});
  EXPECT_EQ(burst(wide, v4("10.1.2.3"), 2, 0).send, 2);
  EXPECT_EQ(burst(wide, v4("10.200.0.1"), 1, 0).drop, 1);  // same /8
}

TEST(DnsRrl, ClassesAndNamesHaveTheirOwnBuckets) {
  Rrl rrl({.responses_per_second = 2, .slip = 0});
  auto peer = v4("192.0.2.1");
  EXPECT_EQ(burst(rrl, peer, 3, 0).send, 2);
  // Another QNAME or QTYPE is another answer bucket.
  EXPECT_EQ(burst(rrl, peer, 2, 0, ResponseKind::answer, "mail.example.test.").send, 2);
  EXPECT_EQ(burst(rrl, peer, 2, 0, ResponseKind::answer, "www.example.test.", rrtype::aaaa).send, 2);
  // NXDOMAIN is keyed by zone: random names of one zone share a bucket.
  EXPECT_EQ(burst(rrl, peer, 2, 0, ResponseKind::nxdomain, "example.test.").send, 2);
  EXPECT_EQ(burst(rrl, peer, 1, 0, ResponseKind::nxdomain, "example.test.").drop, 1);
  EXPECT_EQ(burst(rrl, peer, 2, 0, ResponseKind::nodata, "example.test.").send, 2);
  EXPECT_EQ(burst(rrl, peer, 2, 0, ResponseKind::referral, "example.test.").send, 2);
  EXPECT_EQ(burst(rrl, peer, 2, 0, ResponseKind::error, "").send, 2);
  EXPECT_EQ(burst(rrl, peer, 1, 0, ResponseKind::error, "").drop, 1);
}

TEST(DnsRrl, TableIsBoundedAndEvictsTheStalest) {
  Rrl rrl({.responses_per_second = 1, .slip = 0, .ipv4_prefix = 32, .table_size = 20});
  EXPECT_EQ(rrl.capacity(), 32u);  // rounded up to a power of two
  // Many more clients than buckets: the table stays its size and takes over old buckets.
  for (int i = 0; i < 2000; ++i) {
    const std::string a = "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250);
    EXPECT_EQ(burst(rrl, v4(a.c_str()), 1, i).send, 1) << a;
  }
  EXPECT_EQ(rrl.capacity(), 32u);
  EXPECT_GT(rrl.evictions(), 1500u);
  // A limited client that was just seen is not evicted by a single newcomer.
  auto flood = v4("192.0.2.1");
  EXPECT_EQ(burst(rrl, flood, 5, 5000).drop, 4);
  burst(rrl, v4("198.51.100.1"), 1, 5000);
  EXPECT_EQ(burst(rrl, flood, 1, 5000).drop, 1);
}

TEST(DnsRrl, SlipResponseKeepsHeaderAndQuestionWithTc) {
  auto q = test::make_query("www.example.test.", rrtype::a, {.edns = true});
  std::vector<std::byte> msg(q.begin(), q.end());
  // Pretend it is a reply with an answer record appended: counts say 1 answer.
  msg[2] |= std::byte{0x80};
  msg[7] = std::byte{1};
  const std::size_t question_end = 12 + test::wire_name("www.example.test.").size() + 4;
  msg.resize(msg.size() + 16, std::byte{0xAB});
  const std::size_t n = Rrl::slip_response(msg, msg.size());
  EXPECT_EQ(n, question_end);
  EXPECT_NE(int(msg[2] & std::byte{0x02}), 0);  // TC
  EXPECT_EQ(int(msg[5]), 1);                     // QDCOUNT kept
  for (int i = 6; i < 12; ++i) EXPECT_EQ(int(msg[std::size_t(i)]), 0) << i;
  test::Answer a = test::parse_answer(std::span<const std::byte>(msg.data(), n));
  ASSERT_TRUE(a.ok);
  EXPECT_TRUE(a.header.tc());
  EXPECT_TRUE(a.answer.empty());
  // A question that runs past the message: header only.
  std::vector<std::byte> bad(msg.begin(), msg.begin() + 20);
  EXPECT_EQ(Rrl::slip_response(bad, bad.size()), 12u);
  EXPECT_EQ(int(bad[5]), 0);
  std::vector<std::byte> runt(8);
  EXPECT_EQ(Rrl::slip_response(runt, runt.size()), 8u);
}

}  // namespace
}  // namespace zp::dns
