// NSEC3 (RFC 5155): the owner hash against RFC 5155 Appendix A's vectors, base32hex owner
// labels, the zone's NSEC3 index (match, cover, wrap-around, load errors), and the proofs the
// Responder picks for NXDOMAIN, NODATA, wildcard answers and wildcard NODATA in a small zone
// whose NSEC3 chain the test builds itself (no signatures: the proofs' choice is what is
// checked here; tests/interop/dns_nsec3_interop_test.cpp checks signed zones against Knot).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <vector>

#include "dns_test_util.h"
#include "zp/dns/answer.h"
#include "zp/dns/nsec3.h"
#include "zp/dns/zone.h"

namespace zp::dns {
namespace {

using ::testing::HasSubstr;
namespace rrtype = codec::dns::rrtype;
using Hash = std::array<std::byte, kNsec3HashBytes>;

std::vector<std::byte> bytes(std::string_view s) {
  std::vector<std::byte> v;
  for (char c : s) v.push_back(std::byte(c));
  return v;
}

Hash hash_of(std::string_view name, std::string_view salt_hex, std::uint16_t iterations) {
  std::vector<std::byte> salt;
  for (std::size_t i = 0; i + 1 < salt_hex.size(); i += 2) {
    salt.push_back(std::byte(std::stoi(std::string(salt_hex.substr(i, 2)), nullptr, 16)));
  }
  Hash h{};
  EXPECT_TRUE(nsec3_hash(test::wire_name(name), salt, iterations, h.data())) << name;
  return h;
}

std::string base32hex(const Hash& h) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuv";
  std::string out;
  std::uint64_t acc = 0;
  int bits = 0;
  for (std::byte b : h) {
    acc = (acc << 8) | std::uint64_t(b);
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += kDigits[(acc >> bits) & 31];
    }
  }
  return out;
}

TEST(DnsNsec3, HashesMatchRfc5155AppendixA) {
  // RFC 5155 Appendix A: salt aabbccdd, 12 additional iterations.
  const std::pair<const char*, const char*> vectors[] = {
      {"example.", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"},  {"a.example.", "35mthgpgcu1qg68fab165klnsnk3dpvl"},
      {"ai.example.", "gjeqe526plbf1g8mklp59enfd789njgi"}, {"ns1.example.", "2t7b4g4vsa5smi47k61mv5bv1a22bojr"},
      {"w.example.", "k8udemvp1j2f7eg6jebps17vp3n8i58h"},  {"*.w.example.", "r53bq7cc2uvmubfu5ocmm6pers9tk9en"},
      {"x.w.example.", "b4um86eghhds6nea196smvmlo4ors995"}, {"x.y.w.example.", "2vptu5timamqttgl4luu9kg21e0aor3s"},
      {"xx.example.", "t644ebqk9bibcna874givr6joj62mlhv"}};
  for (const auto& [name, expect] : vectors) {
    const Hash h = hash_of(name, "aabbccdd", 12);
    EXPECT_EQ(base32hex(h), expect) << name;
    Hash decoded{};
    ASSERT_TRUE(nsec3_label_hash(bytes(expect), decoded.data())) << expect;
    EXPECT_EQ(decoded, h) << name;
    std::string upper(expect);
    for (char& c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
    ASSERT_TRUE(nsec3_label_hash(bytes(upper), decoded.data()));
    EXPECT_EQ(decoded, h) << upper;
  }
}

TEST(DnsNsec3, RejectsBadLabelsAndTooManyIterations) {
  Hash h{};
  EXPECT_FALSE(nsec3_label_hash(bytes("0p9mhaveqvm6t7vbl5lop2u3t2rp3to"), h.data()));    // 31
  EXPECT_FALSE(nsec3_label_hash(bytes("0p9mhaveqvm6t7vbl5lop2u3t2rp3tomm"), h.data()));  // 33
  EXPECT_FALSE(nsec3_label_hash(bytes("0p9mhaveqvm6t7vbl5lop2u3t2rp3tow"), h.data()));   // w
  EXPECT_FALSE(nsec3_label_hash(bytes("0p9mhaveqvm6t7vbl5lop2u3t2rp3to="), h.data()));
  EXPECT_FALSE(nsec3_label_hash({}, h.data()));
  EXPECT_TRUE(nsec3_hash(test::wire_name("a."), {}, kNsec3MaxIterations, h.data()));
  EXPECT_FALSE(nsec3_hash(test::wire_name("a."), {}, kNsec3MaxIterations + 1, h.data()));
}

// A zone with an NSEC3 chain over every name (ENT "wild" included), built by the test.
class DnsNsec3Zone : public ::testing::Test {
 protected:
  static constexpr std::string_view kSalt = "abcd";
  static constexpr std::uint16_t kIterations = 3;

  void SetUp() override {
    std::string text =
        "$ORIGIN n3.test.\n$TTL 3600\n@ SOA ns hm 1 2 3 4 300\n@ NS ns\n@ NSEC3PARAM 1 0 3 ABCD\n"
        "ns A 192.0.2.1\nwww A 192.0.2.2\n*.wild TXT \"w\"\nsub NS ns.other.test.\n";
    for (const char* n : {"n3.test.", "ns.n3.test.", "www.n3.test.", "wild.n3.test.", "*.wild.n3.test."}) {
      chain_.push_back(hash_of(n, kSalt, kIterations));
    }
    // "sub" (an unsigned delegation) is left out of the chain, as opt-out would.
    std::sort(chain_.begin(), chain_.end());
    for (std::size_t i = 0; i < chain_.size(); ++i) {
      text += base32hex(chain_[i]) + " 300 NSEC3 1 1 3 ABCD " + base32hex(chain_[(i + 1) % chain_.size()]) + " A\n";
    }
    auto z = build_zone("n3.test.", text, "n3.zone");
    ASSERT_TRUE(z) << z.error;
    zone_ = z.zone;
    zones_ = std::make_shared<ZoneSet>(std::vector<std::shared_ptr<const Zone>>{zone_});
  }

  // The owner name of the NSEC3 matching `name`.
  std::string match(std::string_view name) { return base32hex(hash_of(name, kSalt, kIterations)) + ".n3.test."; }
  // The owner name of the NSEC3 covering `name` (the last chain hash before its hash, wrapping).
  std::string cover(std::string_view name) {
    const Hash h = hash_of(name, kSalt, kIterations);
    auto it = std::lower_bound(chain_.begin(), chain_.end(), h);
    const Hash& c = it == chain_.begin() ? chain_.back() : *std::prev(it);
    return base32hex(c) + ".n3.test.";
  }
  // The owners of the NSEC3 records in the authority section of `name type` asked with DO.
  std::set<std::string> proof(std::string_view name, std::uint16_t type, std::uint16_t* rcode = nullptr,
                              bool dnssec = true) {
    auto q = test::make_query(name, type, {.edns = true, .dnssec_ok = dnssec});
    std::vector<std::byte> out(65535);
    auto r = responder_.answer(zones_.get(), q, out, Transport::udp);
    test::Answer a = test::parse_answer(std::span<const std::byte>(out.data(), r.size));
    EXPECT_TRUE(a.ok);
    if (rcode) *rcode = a.rcode;
    std::set<std::string> owners;
    for (const auto& l : a.authority) {
      if (l.find(" NSEC3 ") != std::string::npos) owners.insert(l.substr(0, l.find(' ')));
    }
    return owners;
  }

  std::vector<Hash> chain_;
  std::shared_ptr<const Zone> zone_;
  std::shared_ptr<ZoneSet> zones_;
  Responder responder_;
};

TEST_F(DnsNsec3Zone, IndexMatchesAndCoversWithWrapAround) {
  ASSERT_TRUE(zone_->has_nsec3());
  Hash h{};
  ASSERT_TRUE(zone_->nsec3_hash(test::wire_name("www.n3.test."), h.data()));
  const Node* m = zone_->nsec3_match(h.data());
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(base32hex(h) + ".n3.test.", [&] {
    std::string s;
    codec::dns::name_to_text(m->name, s);
    return s;
  }());
  // Below the first hash: the last NSEC3 covers it.
  Hash low{};
  EXPECT_EQ(zone_->nsec3_match(low.data()), nullptr);
  const Node* c = zone_->nsec3_cover(low.data());
  ASSERT_NE(c, nullptr);
  Hash last{};
  ASSERT_TRUE(nsec3_label_hash(zone_->key(*c).subspan(1, 32), last.data()));
  EXPECT_EQ(last, chain_.back());
}

TEST_F(DnsNsec3Zone, NxdomainGetsTheClosestEncloserProof) {
  std::uint16_t rcode = 0;
  EXPECT_EQ(proof("nope.n3.test.", rrtype::a, &rcode),
            (std::set<std::string>{match("n3.test."), cover("nope.n3.test."), cover("*.n3.test.")}));
  EXPECT_EQ(rcode, 3);
  // Two labels below the closest encloser (www): next closer is x.www, wildcard *.www.
  EXPECT_EQ(proof("y.x.www.n3.test.", rrtype::a, &rcode),
            (std::set<std::string>{match("www.n3.test."), cover("x.www.n3.test."), cover("*.www.n3.test.")}));
  EXPECT_EQ(rcode, 3);
  // A hashed owner name is no name of the zone.
  EXPECT_EQ(proof(match("www.n3.test."), rrtype::a, &rcode),
            (std::set<std::string>{match("n3.test."), cover(match("www.n3.test.")), cover("*.n3.test.")}));
  EXPECT_EQ(rcode, 3);
  // Without DO: no proofs.
  EXPECT_TRUE(proof("nope.n3.test.", rrtype::a, &rcode, false).empty());
}

TEST_F(DnsNsec3Zone, NodataGetsTheMatchingNsec3) {
  std::uint16_t rcode = 9;
  EXPECT_EQ(proof("www.n3.test.", rrtype::txt, &rcode), std::set<std::string>{match("www.n3.test.")});
  EXPECT_EQ(rcode, 0);
  EXPECT_EQ(proof("wild.n3.test.", rrtype::a), std::set<std::string>{match("wild.n3.test.")});  // an ENT
  // DS at a delegation left out of the chain: the closest provable encloser (the apex) and
  // the NSEC3 covering the delegation (RFC 5155 §7.2.4).
  EXPECT_EQ(proof("sub.n3.test.", rrtype::ds), (std::set<std::string>{match("n3.test."), cover("sub.n3.test.")}));
  // So does the referral to it (§7.2.7).
  EXPECT_EQ(proof("host.sub.n3.test.", rrtype::a), (std::set<std::string>{match("n3.test."), cover("sub.n3.test.")}));
}

TEST_F(DnsNsec3Zone, WildcardAnswersAndWildcardNodata) {
  std::uint16_t rcode = 9;
  EXPECT_EQ(proof("x.wild.n3.test.", rrtype::txt, &rcode), std::set<std::string>{cover("x.wild.n3.test.")});
  EXPECT_EQ(rcode, 0);
  // Deeper: the next closer name is the one just below the closest encloser (wild).
  EXPECT_EQ(proof("a.b.wild.n3.test.", rrtype::txt), std::set<std::string>{cover("b.wild.n3.test.")});
  EXPECT_EQ(proof("x.wild.n3.test.", rrtype::mx),
            (std::set<std::string>{match("wild.n3.test."), cover("x.wild.n3.test."), match("*.wild.n3.test.")}));
}

TEST(DnsNsec3Load, ErrorsNameTheProblem) {
  const std::string head = "$ORIGIN n3.test.\n@ 60 SOA ns hm 1 2 3 4 5\n@ 60 NS ns\nns 60 A 192.0.2.1\n";
  auto err = [&](const std::string& extra) { return build_zone("n3.test.", head + extra, "n3.zone").error; };
  EXPECT_THAT(err("@ 60 NSEC3PARAM 2 0 1 ABCD\n"), HasSubstr("hash algorithm 2 is not supported"));
  EXPECT_THAT(err("@ 60 NSEC3PARAM 1 0 3000 ABCD\n"), HasSubstr("3000 iterations is above the limit of 2500"));
  EXPECT_THAT(err("@ 60 NSEC3PARAM 1 0 1 ABCD\nnotahash 60 NSEC3 1 0 1 ABCD 0p9mhaveqvm6t7vbl5lop2u3t2rp3tom A\n"),
              HasSubstr("n3.zone: notahash.n3.test. NSEC3: the owner is not a base32hex SHA-1 hash just below the apex"));
  EXPECT_THAT(err("@ 60 NSEC3PARAM 1 0 1 ABCD\n0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.x 60 NSEC3 1 0 1 ABCD "
                  "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom A\n"),
              HasSubstr("NSEC3: the owner is not a base32hex SHA-1 hash just below the apex"));
  // An NSEC3 of other parameters (a rollover's second chain) is loaded but not used.
  auto ok = build_zone("n3.test.",
                       head + "@ 60 NSEC3PARAM 1 0 1 ABCD\nnot-a-hash 60 NSEC3 1 0 7 EEEE "
                              "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom A\n",
                       "n3.zone");
  EXPECT_TRUE(ok) << ok.error;
  // Without an NSEC3PARAM the zone has no NSEC3 proofs.
  auto none = build_zone("n3.test.", head, "n3.zone");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none.zone->has_nsec3());
}

}  // namespace
}  // namespace zp::dns
