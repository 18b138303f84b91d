// dns names: RFC 1035 §4.1.4 compression example, pointer rules, text conversion with
// escapes, case-insensitive comparison, RFC 4034 §6.1 canonical order.
#include "zp/codec/dns/name.h"

#include <algorithm>

#include "dns_test_util.h"

namespace {

using namespace zp_dns_test;
using dns::Errc;

// RFC 1035 §4.1.4: F.ISI.ARPA at 20, FOO.F.ISI.ARPA at 40 as "3 FOO" + pointer to 20,
// ARPA at 64 as a pointer to 26, the root at 92.
Bytes rfc1035_example() {
  Bytes b(100, std::byte{0});
  const Bytes f = wire_name("F.ISI.ARPA.");
  std::copy(f.begin(), f.end(), b.begin() + 20);
  const Bytes foo = hex("03464f4f c014");
  std::copy(foo.begin(), foo.end(), b.begin() + 40);
  b[64] = std::byte{0xC0};
  b[65] = std::byte{26};
  b[92] = std::byte{0};
  return b;
}

TEST(dnsName, Rfc1035CompressionExample) {
  const Bytes b = rfc1035_example();
  std::size_t pos = 20;
  auto f = dns::parse_name(b, pos);
  ASSERT_TRUE(f);
  EXPECT_EQ(pos, 32u);
  EXPECT_EQ(name_text(*f), "F.ISI.ARPA.");
  EXPECT_EQ(f->label_count(), 3u);
  EXPECT_TRUE(f->is_contiguous());
  pos = 40;
  auto foo = dns::parse_name(b, pos);
  ASSERT_TRUE(foo);
  EXPECT_EQ(pos, 46u);  // 3 FOO + the 2-octet pointer
  EXPECT_EQ(name_text(*foo), "FOO.F.ISI.ARPA.");
  EXPECT_EQ(foo->wire_size(), 16u);
  EXPECT_FALSE(foo->is_contiguous());
  Bytes out(255);
  auto n = foo->to_wire(out);
  ASSERT_TRUE(n);
  out.resize(*n);
  EXPECT_EQ(out, wire_name("FOO.F.ISI.ARPA."));
  pos = 64;
  auto arpa = dns::parse_name(b, pos);
  ASSERT_TRUE(arpa);
  EXPECT_EQ(name_text(*arpa), "ARPA.");
  EXPECT_EQ(pos, 66u);
  pos = 92;
  auto root = dns::parse_name(b, pos);
  ASSERT_TRUE(root);
  EXPECT_TRUE(root->is_root());
  EXPECT_EQ(name_text(*root), ".");
  EXPECT_TRUE(foo->is_subdomain_of(*f));
  EXPECT_TRUE(foo->suffix(3).equals(*arpa));
  EXPECT_TRUE(foo->suffix(1).equals(*f));
}

zp::Result<dns::Name> parse_at(const Bytes& b, std::size_t pos, std::size_t hops = 16) {
  return dns::parse_name(b, pos, dns::Compression::allowed, hops, 12);
}

Errc err(const zp::Result<dns::Name>& r) {
  return r ? Errc::ok : static_cast<Errc>(r.error().value());
}

TEST(dnsName, PointerRules) {
  Bytes b(40, std::byte{0});
  // self pointer at 20
  b[20] = std::byte{0xC0}; b[21] = std::byte{20};
  EXPECT_EQ(err(parse_at(b, 20)), Errc::pointer_loop);
  // forward pointer at 22 -> 30
  b[22] = std::byte{0xC0}; b[23] = std::byte{30};
  EXPECT_EQ(err(parse_at(b, 22)), Errc::forward_pointer);
  // pointer into the header
  b[24] = std::byte{0xC0}; b[25] = std::byte{4};
  EXPECT_EQ(err(parse_at(b, 24)), Errc::pointer_into_header);
  // pointer into the name being read: "1 a" then pointer back to its own start
  b[26] = std::byte{1}; b[27] = std::byte{'a'}; b[28] = std::byte{0xC0}; b[29] = std::byte{26};
  EXPECT_EQ(err(parse_at(b, 26)), Errc::pointer_loop);
  // a two-pointer loop: 32 -> 34? (forward) ; 34 -> 32 -> 34
  b[32] = std::byte{0xC0}; b[33] = std::byte{34};
  b[34] = std::byte{0xC0}; b[35] = std::byte{32};
  EXPECT_EQ(err(parse_at(b, 34)), Errc::forward_pointer);  // the loop needs a forward hop
  // truncated pointer
  Bytes t = b;
  t.resize(37);
  t[36] = std::byte{0xC0};
  EXPECT_EQ(err(parse_at(t, 36)), Errc::name_overrun);
  // label 64 and reserved label types
  Bytes l(100, std::byte{'x'});
  l[12] = std::byte{64};
  EXPECT_EQ(err(parse_at(l, 12)), Errc::label_too_long);
  l[12] = std::byte{0x80};
  EXPECT_EQ(err(parse_at(l, 12)), Errc::label_too_long);
  // compression forbidden
  std::size_t pos = 24;
  EXPECT_FALSE(dns::parse_name(b, pos, dns::Compression::forbidden));
}

TEST(dnsName, PointerChainHopLimit) {
  // 12: root; then a chain of pointers each to the previous one.
  Bytes b(12, std::byte{0});
  b.push_back(std::byte{0});
  for (int i = 0; i < 40; ++i) {
    const std::size_t prev = i == 0 ? 12 : b.size() - 2;
    b.push_back(static_cast<std::byte>(0xC0 | (prev >> 8)));
    b.push_back(static_cast<std::byte>(prev & 0xFF));
  }
  EXPECT_EQ(err(parse_at(b, b.size() - 2)), Errc::too_many_pointers);
  EXPECT_EQ(err(parse_at(b, 13 + 2 * 15)), Errc::ok);           // 16 hops
  EXPECT_EQ(err(parse_at(b, 13 + 2 * 16)), Errc::too_many_pointers);  // 17 hops
}

TEST(dnsName, NameTooLong) {
  // 4 labels of 63 = 256 octets with the root: too long; 3*63+61 = 254+1 fits.
  Bytes b(12, std::byte{0});
  for (int i = 0; i < 4; ++i) {
    b.push_back(std::byte{63});
    b.insert(b.end(), 63, std::byte{'a'});
  }
  b.push_back(std::byte{0});
  EXPECT_EQ(err(parse_at(b, 12)), Errc::name_too_long);
  Bytes ok(12, std::byte{0});
  for (int i = 0; i < 3; ++i) {
    ok.push_back(std::byte{63});
    ok.insert(ok.end(), 63, std::byte{'a'});
  }
  ok.push_back(std::byte{61});
  ok.insert(ok.end(), 61, std::byte{'a'});
  ok.push_back(std::byte{0});
  auto n = parse_at(ok, 12);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->wire_size(), 255u);
  // The same limit through a pointer: a 2-octet label prefix on the 255-octet name.
  ok.push_back(std::byte{1});
  ok.push_back(std::byte{'b'});
  ok.push_back(std::byte{0xC0});
  ok.push_back(std::byte{12});
  EXPECT_EQ(err(parse_at(ok, ok.size() - 4)), Errc::name_too_long);
}

TEST(dnsName, TextRoundTripAndEscapes) {
  const std::string cases[] = {".", "example.", "a\\.b.example.", "\\000\\255.x.", "\\\"q\\;\\(\\).", "\\@\\$."};
  for (const std::string& t : cases) {
    const Bytes w = wire_name(t);
    auto n = dns::Name::from_wire(w);
    ASSERT_TRUE(n) << t;
    EXPECT_EQ(name_text(*n), t);
  }
  Bytes out(255);
  EXPECT_EQ(*dns::name_from_text("\\065b.", {}, out), 4u);
  EXPECT_EQ(out[1], std::byte{'A'});
  const Bytes origin = wire_name("example.com.");
  auto r = dns::name_from_text("www", origin, out);
  ASSERT_TRUE(r);
  EXPECT_EQ(Bytes(out.begin(), out.begin() + *r), wire_name("www.example.com."));
  EXPECT_EQ(*dns::name_from_text("@", origin, out), origin.size());
  for (std::string_view bad : {"", "a..b.", ".a.", "\\256.", "\\12.", "a\\", "rel"}) EXPECT_FALSE(dns::name_from_text(bad, {}, out)) << bad;
  EXPECT_FALSE(dns::name_from_text(std::string(64, 'a') + ".", {}, out));
  EXPECT_TRUE(dns::name_from_text(std::string(63, 'a') + ".", {}, out));
  std::string long_name;
  for (int i = 0; i < 4; ++i) long_name += std::string(63, 'a') + ".";
  EXPECT_FALSE(dns::name_from_text(long_name, {}, out));
}

TEST(dnsName, CaseInsensitiveCompareCasePreserved) {
  const Bytes a = wire_name("WWW.Example.COM."), b = wire_name("www.example.com."), c = wire_name("www.example.org.");
  auto na = *dns::Name::from_wire(a), nb = *dns::Name::from_wire(b), nc = *dns::Name::from_wire(c);
  EXPECT_TRUE(na.equals(nb));
  EXPECT_FALSE(na.equals(nc));
  EXPECT_EQ(name_text(na), "WWW.Example.COM.");
  // Octets >= 0x80 compare exactly (no locale folding).
  const Bytes x = wire_name("\\200.x."), y = wire_name("\\224.x.");
  EXPECT_FALSE(dns::Name::from_wire(x)->equals(*dns::Name::from_wire(y)));
}

TEST(dnsName, CanonicalOrderRfc4034) {
  // RFC 4034 §6.1 example, in canonical order.
  const char* ordered[] = {"example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.",
                           "zABC.a.EXAMPLE.", "z.example.", "\\001.z.example.", "*.z.example.",
                           "\\200.z.example."};
  std::vector<Bytes> wires;
  for (const char* t : ordered) wires.push_back(wire_name(t));
  for (std::size_t i = 0; i < wires.size(); ++i)
    for (std::size_t j = 0; j < wires.size(); ++j) {
      const int c = dns::canonical_compare(*dns::Name::from_wire(wires[i]), *dns::Name::from_wire(wires[j]));
      EXPECT_EQ(c < 0, i < j) << ordered[i] << " vs " << ordered[j];
      EXPECT_EQ(c == 0, i == j) << ordered[i] << " vs " << ordered[j];
    }
}

}  // namespace
