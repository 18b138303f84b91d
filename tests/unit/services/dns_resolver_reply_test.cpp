// interpret_reply for record types without typed data: NAPTR (RFC 3403 §6.2, its
// replacement name decompressed into standalone RDATA), a type the resolver does not know
// (RFC 3597: RDATA kept as it came), CAA (RFC 8659), and RCODEs without their own error.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "dns_resolver_test_util.h"
#include "zp/codec/dns/message.h"
#include "zp/dns/resolver_answer.h"

namespace {

using namespace zp::dns;
using namespace zp::test::dnsr;
namespace cd = zp::codec::dns;

struct Parsed {
  Bytes wire;
  cd::Record storage[16];
  cd::Message m;
  explicit Parsed(Bytes w) : wire(std::move(w)) {
    auto r = cd::parse_message(std::as_bytes(std::span(wire)), m, storage);
    EXPECT_TRUE(r.ok()) << cd::errc_name(r.error);
  }
  Interpretation run() { return interpret_reply(m, m.question[0].owner, m.question[0].type, {}); }
};

Bytes cstr(const std::string& s) {
  Bytes b{std::uint8_t(s.size())};
  b.insert(b.end(), s.begin(), s.end());
  return b;
}

TEST(InterpretReplyTypes, NaptrKeepsItsFieldsAndReplacement) {
  Bytes rd;
  put16(rd, 100);
  put16(rd, 50);
  for (const char* s : {"s", "http+I2L+I2C+I2R", ""}) {
    auto c = cstr(s);
    rd.insert(rd.end(), c.begin(), c.end());
  }
  const auto repl = wire_name("_http._tcp.gatech.edu.");
  rd.insert(rd.end(), repl.begin(), repl.end());
  Msg m;
  m.qname = "gatech.edu.";
  m.qtype = cd::rrtype::naptr;
  m.answer = {{"gatech.edu.", cd::rrtype::naptr, 600, rd}};
  auto out = Parsed(m.build()).run();
  ASSERT_EQ(out.status, ResolverErrc::ok);
  ASSERT_EQ(out.answer.records.size(), 1u);
  const ResourceRecord& r = out.answer.records[0];
  EXPECT_TRUE(std::holds_alternative<OpaqueData>(r.data));
  ASSERT_EQ(r.rdata.size(), rd.size());
  EXPECT_TRUE(std::equal(rd.begin(), rd.end(), reinterpret_cast<const std::uint8_t*>(r.rdata.data())));
  EXPECT_EQ(r.rdata_text(), "100 50 \"s\" \"http+I2L+I2C+I2R\" \"\" _http._tcp.gatech.edu.");
  EXPECT_EQ(out.answer.ttl, 600u);
}

TEST(InterpretReplyTypes, UnknownTypeRdataAsItCame) {
  Msg m;
  m.qname = "x.test.";
  m.qtype = 65280;
  m.answer = {{"x.test.", 65280, 60, {0xde, 0xad, 0xbe}}};
  auto out = Parsed(m.build()).run();
  ASSERT_EQ(out.status, ResolverErrc::ok);
  ASSERT_EQ(out.answer.records.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<OpaqueData>(out.answer.records[0].data));
  EXPECT_EQ(out.answer.records[0].rdata.size(), 3u);
  EXPECT_EQ(out.answer.records[0].rdata_text(), "\\# 3 DEADBE");
}

TEST(InterpretReplyTypes, CaaData) {
  Bytes rd{0, 5, 'i', 's', 's', 'u', 'e'};
  const std::string value = "ca.example.net";
  rd.insert(rd.end(), value.begin(), value.end());
  Msg m;
  m.qname = "x.test.";
  m.qtype = cd::rrtype::caa;
  m.answer = {{"x.test.", cd::rrtype::caa, 60, rd}};
  auto out = Parsed(m.build()).run();
  ASSERT_EQ(out.status, ResolverErrc::ok);
  const auto& caa = std::get<CaaData>(out.answer.records.at(0).data);
  EXPECT_EQ(caa.flags, 0);
  EXPECT_EQ(caa.tag, "issue");
  EXPECT_EQ(caa.value, value);
}

TEST(InterpretReplyTypes, OtherRcodesAreServerFailures) {
  for (unsigned rcode : {6u, 9u, 10u, 15u}) {  // YXDOMAIN, NOTAUTH, NOTZONE, unassigned
    Msg m;
    m.qname = "x.test.";
    m.flags = std::uint16_t(0x8180 | rcode);
    EXPECT_EQ(Parsed(m.build()).run().status, ResolverErrc::servfail) << rcode;
  }
}

}  // namespace
