// dns RDATA: RFC 4034 presentation examples (DNSKEY, RRSIG, NSEC with its wire form, DS),
// RFC 5155 NSEC3, RFC 3597 generic records, text -> wire -> text -> wire round trips for
// every type, typed views and the builder.
#include "zp/codec/dns/rdata.h"

#include "dns_test_util.h"

namespace {

using namespace zp_dns_test;

std::string rdata_text(const dns::ZoneRecord& r) {
  std::string s;
  dns::rdata_to_text(r.view(), s);
  return s;
}

TEST(dnsRdata, Rfc4034Dnskey) {
  const auto recs = zone(R"(example.com. 86400 IN DNSKEY 256 3 5 ( AQPSKmynfzW4kyBv015MUG2DeIQ3
                                          Cbl+BBZH4b/0PY1kxkmvHjcZc8no
                                          kfzj31GajIQKY+5CptLr3buXA10h
                                          WqTkF7H6RfoRqXQeogmMHfpftf6z
                                          Mv1LyBUgia7za6ZEzOJBOztyvhjL
                                          742iU/TpPSEDhm2SNKLijfUppn1U
                                          aNvv4w==  ))");
  ASSERT_EQ(recs.size(), 1u);
  auto k = dns::dnskey_view(recs[0].view());
  ASSERT_TRUE(k);
  EXPECT_EQ(k->flags, 256);
  EXPECT_EQ(k->protocol, 3);
  EXPECT_EQ(k->algorithm, 5);
  EXPECT_EQ(k->public_key.size(), 130u);
  EXPECT_EQ(rdata_text(recs[0]).rfind("256 3 5 AQPSKmynfzW4kyBv015MUG2DeIQ3Cbl+BBZH4b/0PY1kxkmvHjcZc8no", 0), 0u);
}

TEST(dnsRdata, Rfc4034Rrsig) {
  const auto recs = zone(R"(host.example.com. 86400 IN RRSIG A 5 3 86400 20030322173103 (
                                  20030220173103 2642 example.com.
                                  oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTr
                                  PYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6o
                                  B9wfuh3DTJXUAfI/M0zmO/zz8bW0Rznl8O3t
                                  GNazPwQKkRN20XPXV6nwwfoXmJQbsLNrLfkG
                                  J5D6fwFm8nN+6pBzeDQfsS3Ap3o= ))");
  ASSERT_EQ(recs.size(), 1u);
  auto s = dns::rrsig_view(recs[0].view());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->type_covered, dns::rrtype::a);
  EXPECT_EQ(s->algorithm, 5);
  EXPECT_EQ(s->labels, 3);
  EXPECT_EQ(s->original_ttl, 86400u);
  EXPECT_EQ(s->expiration, 1048354263u);  // 2003-03-22 17:31:03 UTC
  EXPECT_EQ(s->inception, 1045762263u);
  EXPECT_EQ(s->key_tag, 2642);
  EXPECT_EQ(name_text(s->signer), "example.com.");
  EXPECT_EQ(rdata_text(recs[0]).substr(0, 60), "A 5 3 86400 20030322173103 20030220173103 2642 example.com. ");
}

TEST(dnsRdata, Rfc4034NsecWireForm) {
  const auto recs = zone("alfa.example.com. 86400 IN NSEC host.example.com. ( A MX RRSIG NSEC TYPE1234 )");
  ASSERT_EQ(recs.size(), 1u);
  // RFC 4034 §4.3.
  EXPECT_EQ(to_hex(recs[0].rdata),
            "04686f7374076578616d706c6503636f6d00"
            "0006400100000003"
            "041b" + std::string(52, '0') + "20");  // window 4, 27 octets, bit 210
  EXPECT_EQ(rdata_text(recs[0]), "host.example.com. A MX RRSIG NSEC TYPE1234");
  auto n = dns::nsec_view(recs[0].view());
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->types.contains(dns::rrtype::mx));
  EXPECT_TRUE(n->types.contains(1234));
  EXPECT_FALSE(n->types.contains(dns::rrtype::aaaa));
}

TEST(dnsRdata, Rfc4034Ds) {
  const auto recs = zone("dskey.example.com. 86400 IN DS 60485 5 1 ( 2BB183AF5F22588179A53B0A\n 98631FAD1A292118 )");
  ASSERT_EQ(recs.size(), 1u);
  auto d = dns::ds_view(recs[0].view());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->key_tag, 60485);
  EXPECT_EQ(d->digest.size(), 20u);
  EXPECT_EQ(rdata_text(recs[0]), "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118");
}

TEST(dnsRdata, Rfc5155Nsec3) {
  const auto recs = zone(R"(0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example. 3600 IN NSEC3 1 1 12 aabbccdd (
                          2t7b4g4vsa5smi47k61mv5bv1a22bojr MX DNSKEY NS
                          SOA NSEC3PARAM RRSIG )
example. 3600 IN NSEC3PARAM 1 0 12 aabbccdd
b4um86eghhds6nea196smvmlo4ors995.example. 3600 IN NSEC3 1 1 12 aabbccdd ( gjeqe526plbf1g8mklp59enfd789njgi MX RRSIG )
)", "example.");
  ASSERT_EQ(recs.size(), 3u);
  auto n = dns::nsec3_view(recs[0].view());
  ASSERT_TRUE(n);
  EXPECT_EQ(n->hash_algorithm, 1);
  EXPECT_EQ(n->flags, 1);
  EXPECT_EQ(n->iterations, 12);
  EXPECT_EQ(to_hex(n->salt), "aabbccdd");
  EXPECT_EQ(n->next_hashed_owner.size(), 20u);
  EXPECT_TRUE(n->types.contains(dns::rrtype::nsec3param));
  EXPECT_EQ(rdata_text(recs[0]), "1 1 12 AABBCCDD 2t7b4g4vsa5smi47k61mv5bv1a22bojr NS SOA MX RRSIG DNSKEY NSEC3PARAM");
  EXPECT_EQ(rdata_text(recs[1]), "1 0 12 AABBCCDD");
}

TEST(dnsRdata, Rfc3597Generic) {
  dns::ZoneRecords recs;
  dns::ZoneOptions opt;
  opt.default_ttl = 3600;
  dns::ZoneError err;
  // RFC 3597 §5 examples (classes differ per line there; one class per zone here).
  auto r = dns::parse_zone(R"(a.example.   CLASS1     TYPE731         \# 6 abcd (
                                             ef 01 23 45 )
b.example.   IN          TYPE62347       \# 0
e.example.   IN          A               \# 4 0A000001
e.example.   CLASS1      TYPE1           10.0.0.2
)", opt, recs.sink(), &err);
  ASSERT_TRUE(r) << err.message;
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(rr_text(recs[0].view()), "a.example.\t3600\tIN\tTYPE731\t\\# 6 ABCDEF012345");
  EXPECT_EQ(rr_text(recs[1].view()), "b.example.\t3600\tIN\tTYPE62347\t\\# 0");
  EXPECT_EQ(rr_text(recs[2].view()), "e.example.\t3600\tIN\tA\t10.0.0.1");
  EXPECT_EQ(rr_text(recs[3].view()), "e.example.\t3600\tIN\tA\t10.0.0.2");
  // Generic RDATA of a known type must still be valid for it.
  dns::ZoneRecords bad;
  EXPECT_FALSE(dns::parse_zone("e.example. 60 IN A \\# 3 0A0000\n", opt, bad.sink(), &err));
  EXPECT_EQ(err.code, dns::ZoneErrc::bad_rdata);
  EXPECT_FALSE(dns::parse_zone("e.example. 60 IN TYPE99 \\# 3 0A00\n", opt, bad.sink(), &err));
  EXPECT_EQ(err.code, dns::ZoneErrc::bad_rdata);
}

TEST(dnsRdata, TextWireTextWireRoundTripEveryType) {
  const char* text = R"($TTL 3600
@ IN SOA ns1.example.com. hostmaster.example.com. ( 2024010101 2h 30m 2w 1d )
@ IN NS ns1
@ IN MX 10 mail
@ IN A 192.0.2.1
@ IN AAAA 2001:db8::1:2
www IN CNAME @
4.2.0.192.in-addr.arpa. IN PTR www
@ IN TXT "a \"quoted\" string" plain \065\066 "semi;colon" ""
@ IN HINFO "PC" "Linux"
_sip._udp IN SRV 0 5 5060 sip
@ IN NAPTR 100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .
old IN DNAME new.example.net.
@ IN CAA 0 issue "ca.example.net; account=1"
@ IN CAA 128 tbs "\200\001"
sub IN DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118
@ IN DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==
@ IN RRSIG SOA 13 2 3600 20300101000000 20200101000000 12345 example.com. dGVzdA==
@ IN NSEC a.example.com. NS SOA MX RRSIG NSEC DNSKEY TYPE65000
x IN NSEC3 1 0 0 - 2t7b4g4vsa5smi47k61mv5bv1a22bojr
y IN NSEC3PARAM 1 0 0 -
z IN TYPE65280 \# 3 010203
)";
  const auto first = zone(text);
  ASSERT_EQ(first.size(), 21u);
  std::string printed;
  for (std::size_t i = 0; i < first.size(); ++i) {
    dns::record_to_text(first[i].view(), printed);
    printed += '\n';
  }
  const auto second = zone(printed);
  ASSERT_EQ(second.size(), first.size()) << printed;
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(to_hex(first[i].owner), to_hex(second[i].owner)) << i;
    EXPECT_EQ(to_hex(first[i].rdata), to_hex(second[i].rdata)) << i << ": " << rr_text(first[i].view());
    EXPECT_EQ(first[i].ttl, second[i].ttl);
    EXPECT_EQ(first[i].type, second[i].type);
  }
  // Wire round trip through a message as well.
  const Bytes pkt = build_message(first);
  dns::Record rrs[32];
  dns::Message m;
  ASSERT_EQ(dns::parse_message(pkt, m, rrs).error, dns::Errc::ok);
  ASSERT_EQ(m.answer.size(), first.size());
  for (std::size_t i = 0; i < first.size(); ++i) EXPECT_EQ(rr_text(m.answer[i]), rr_text(first[i].view()));
  EXPECT_EQ(rr_text(first[0].view()),
            "example.com.\t3600\tIN\tSOA\tns1.example.com. hostmaster.example.com. 2024010101 7200 1800 1209600 86400");
  EXPECT_EQ(rdata_text(first[7]), "\"a \\\"quoted\\\" string\" \"plain\" \"AB\" \"semi;colon\" \"\"");
}

TEST(dnsRdata, BuilderAndRdataFromText) {
  std::byte buf[64];
  const Bytes mail = wire_name("mail.example.");
  dns::RdataBuilder b(buf);
  b.u16(10).name(*dns::Name::from_wire(mail));
  auto rd = b.finish();
  ASSERT_TRUE(rd);
  std::byte buf2[64];
  auto n = dns::rdata_from_text(dns::rrtype::mx, "10 mail", wire_name("example."), buf2);
  ASSERT_TRUE(n);
  EXPECT_EQ(to_hex(*rd), to_hex(std::span<const std::byte>(buf2, *n)));
  dns::RdataBuilder small(std::span<std::byte>(buf, 3));
  small.u16(10).name(*dns::Name::from_wire(mail));
  EXPECT_FALSE(small.finish());
  dns::RdataBuilder longstr(buf);
  longstr.character_string(std::string(256, 'x'));
  EXPECT_FALSE(longstr.finish());
  EXPECT_FALSE(dns::rdata_from_text(dns::rrtype::a, "1.2.3", {}, buf2));
  EXPECT_FALSE(dns::rdata_from_text(dns::rrtype::nsec, "a.example. BOGUS", {}, buf2));
}

TEST(dnsRdata, TypeAndClassMnemonics) {
  EXPECT_EQ(dns::type_from_text("nsec3param"), 51);
  EXPECT_EQ(dns::type_from_text("TYPE65535"), 65535);
  EXPECT_FALSE(dns::type_from_text("TYPE65536"));
  EXPECT_FALSE(dns::type_from_text("TYPE"));
  EXPECT_EQ(dns::class_from_text("class255"), 255);
  std::string s;
  dns::type_to_text(4242, s);
  dns::class_to_text(42, s);
  EXPECT_EQ(s, "TYPE4242CLASS42");
}

}  // namespace
