// dns printer and writer corners: the HS/NONE/ANY class mnemonics, keys without a
// presentation form (RFC 3597 §5 generic text), header lines of opcodes and RCODEs without
// a mnemonic, MessageWriter refusing malformed records, the NAPTR view (RFC 3403 §6.2
// example), TXT string counts and the builder's character-strings.
#include <gtest/gtest.h>

#include <string>

#include "dns_test_util.h"
#include "zp/codec/dns/rdata.h"

namespace {

using namespace zp_dns_test;

TEST(dnsTextEdge, ClassMnemonics) {
  for (const auto& [code, text] : {std::pair<std::uint16_t, const char*>{dns::rrclass::in, "IN"},
                                   {dns::rrclass::ch, "CH"},
                                   {dns::rrclass::hs, "HS"},
                                   {dns::rrclass::none, "NONE"},
                                   {dns::rrclass::any, "ANY"},
                                   {7, "CLASS7"}}) {
    std::string s;
    dns::class_to_text(code, s);
    EXPECT_EQ(s, text);
    EXPECT_EQ(dns::class_from_text(text), code) << text;
  }
  EXPECT_EQ(dns::class_from_text("hs"), dns::rrclass::hs);
  EXPECT_FALSE(dns::class_from_text("XX"));
}

TEST(dnsTextEdge, EmptyKeyOrDigestPrintsGeneric) {
  // DNSKEY flags 256, protocol 3, algorithm 8, no key: base64 has no empty form.
  const Bytes key = hex("01000308");
  const Bytes ds = hex("ea6508" "02");  // DS key tag 60000, alg 8, digest type 2, no digest
  std::string s;
  dns::rdata_to_text(dns::Record::standalone(dns::Name::root(), dns::rrtype::dnskey, dns::rrclass::in, 60, key), s);
  EXPECT_EQ(s, "\\# 4 01000308");
  s.clear();
  dns::rdata_to_text(dns::Record::standalone(dns::Name::root(), dns::rrtype::ds, dns::rrclass::in, 60, ds), s);
  EXPECT_EQ(s, "\\# 4 EA650802");
  // The generic text reads back into the same RDATA.
  std::byte out[16];
  auto n = dns::rdata_from_text(dns::rrtype::dnskey, "\\# 4 01000308", {}, out);
  ASSERT_TRUE(n);
  EXPECT_EQ(to_hex(std::span<const std::byte>(out, *n)), "01000308");
}

std::string header_line(std::uint8_t opcode, std::uint8_t rcode) {
  std::byte buf[512];
  dns::MessageWriter w(buf);
  dns::Header h;
  h.id = 7;
  h.set_opcode(opcode);
  h.set_rcode(rcode);
  w.set_header(h);
  auto wire = w.finish();
  EXPECT_TRUE(wire);
  dns::Record rrs[4];
  dns::Message m;
  EXPECT_EQ(dns::parse_message(*wire, m, rrs).error, dns::Errc::ok);
  std::string s;
  dns::message_to_text(m, s);
  return s.substr(0, s.find('\n'));
}

TEST(dnsTextEdge, HeaderLineOfUnnamedOpcodesAndRcodes) {
  EXPECT_EQ(header_line(4, 0), ";; ->>HEADER<<- opcode: NOTIFY, status: NOERROR, id: 7");
  EXPECT_EQ(header_line(5, 10), ";; ->>HEADER<<- opcode: UPDATE, status: NOTZONE, id: 7");
  EXPECT_EQ(header_line(6, 11), ";; ->>HEADER<<- opcode: 6, status: 11, id: 7");
  EXPECT_EQ(header_line(15, 15), ";; ->>HEADER<<- opcode: 15, status: 15, id: 7");
}

// A writer with a header; add_record of `rr`, then finish's error.
dns::Errc write_error(const dns::Record& rr) {
  std::byte buf[512];
  dns::MessageWriter w(buf);
  w.set_header({});
  EXPECT_FALSE(w.add_record(dns::Section::answer, rr));
  EXPECT_FALSE(w.truncated());  // a malformed record is not a full buffer
  auto out = w.finish();
  EXPECT_FALSE(out);
  return out ? dns::Errc::ok : static_cast<dns::Errc>(out.error().value());
}

TEST(dnsWriterEdge, MalformedRecordsFailTheMessage) {
  const Bytes four = hex("c0000201");
  dns::Record short_a = dns::Record::standalone(dns::Name::root(), dns::rrtype::a, dns::rrclass::in, 60,
                                                std::span<const std::byte>(four).first(3));
  EXPECT_EQ(write_error(short_a), dns::Errc::bad_rdata_length);
  const Bytes five = hex("c000020100");
  EXPECT_EQ(write_error(dns::Record::standalone(dns::Name::root(), dns::rrtype::a, dns::rrclass::in, 60, five)),
            dns::Errc::bad_rdata_length);
  dns::Record overrun = dns::Record::standalone(dns::Name::root(), dns::rrtype::a, dns::rrclass::in, 60, four);
  overrun.rdata_offset = 2;  // 4 octets from offset 2 of a 4-octet buffer
  EXPECT_EQ(write_error(overrun), dns::Errc::rdata_overrun);
  // After the failure the writer refuses everything.
  std::byte buf[512];
  dns::MessageWriter w(buf);
  w.set_header({});
  EXPECT_FALSE(w.add_record(dns::Section::answer, short_a));
  EXPECT_FALSE(w.add_question(dns::Name::root(), dns::rrtype::a, dns::rrclass::in));
  EXPECT_FALSE(w.add_opt({}));
}

TEST(dnsRdataEdge, NaptrViewRfc3403Example) {
  // RFC 3403 §6.2 (the second record of the example).
  const auto recs = zone("cid.urn.arpa. 60 IN NAPTR 100 10 \"\" \"\" \"!^urn:cid:.+@([^\\\\.]+\\\\.)(.*)$!\\\\2!i\" .\n"
                         "@ 60 IN NAPTR 100 50 \"s\" \"z3950+I2L+I2C\" \"\" _z3950._tcp.gatech.edu.\n",
                         "example.com.");
  ASSERT_EQ(recs.size(), 2u);
  auto n = dns::naptr_view(recs[0].view());
  ASSERT_TRUE(n);
  EXPECT_EQ(n->order, 100);
  EXPECT_EQ(n->preference, 10);
  EXPECT_EQ(n->flags, "");
  EXPECT_EQ(n->services, "");
  EXPECT_EQ(n->regexp, "!^urn:cid:.+@([^\\.]+\\.)(.*)$!\\2!i");
  EXPECT_EQ(name_text(n->replacement), ".");
  auto s = dns::naptr_view(recs[1].view());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->preference, 50);
  EXPECT_EQ(s->flags, "s");
  EXPECT_EQ(s->services, "z3950+I2L+I2C");
  EXPECT_EQ(name_text(s->replacement), "_z3950._tcp.gatech.edu.");
  EXPECT_FALSE(dns::naptr_view(zone("@ 60 IN A 192.0.2.1\n")[0].view()));  // another type
}

TEST(dnsRdataEdge, TxtStringsAndBuiltCharacterStrings) {
  const auto recs = zone("@ 60 IN TXT \"v=spf1 -all\" \"\" two\n");
  auto t = dns::txt_view(recs[0].view());
  ASSERT_TRUE(t);
  EXPECT_EQ(t->strings.count(), 3u);
  std::string joined;
  t->strings.for_each([&](std::string_view s) { joined += "[" + std::string(s) + "]"; });
  EXPECT_EQ(joined, "[v=spf1 -all][][two]");
  // The builder writes the same RDATA.
  std::byte buf[64];
  dns::RdataBuilder b(buf);
  b.character_string("v=spf1 -all").character_string("").character_string("two");
  auto rd = b.finish();
  ASSERT_TRUE(rd);
  EXPECT_EQ(to_hex(*rd), to_hex(recs[0].rdata));
  dns::RdataBuilder max(buf);
  max.character_string(std::string(255, 'x'));
  EXPECT_FALSE(max.finish());  // 256 octets do not fit in 64: buffer_too_small, not a string error
  EXPECT_EQ(max.finish().error(), dns::Errc::buffer_too_small);
}

}  // namespace
