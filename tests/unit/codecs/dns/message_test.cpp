// dns messages: parsing sections and views, RFC 6891 OPT, parse -> serialize -> parse round
// trips, and every prefix of valid packets rejected cleanly from a guard-page buffer.
#include "zp/codec/dns/message.h"

#include "../../../common/guarded_buffer.h"
#include "dns_test_util.h"
#include "zp/codec/dns/rdata.h"

namespace {

using namespace zp_dns_test;

// A response with compression and several RRs, built by our writer from zone text.
Bytes sample_response(const dns::EdnsOut* edns = nullptr) {
  static const char* text = R"(
www 300 IN A 192.0.2.1
www 300 IN A 192.0.2.2
www 300 IN AAAA 2001:db8::1
@ 3600 IN MX 10 mail
@ 3600 IN NS ns1
@ 3600 IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 300
_sip._tcp 60 IN SRV 10 5 5060 sip
@ IN TXT "v=spf1 -all" "second string"
@ IN CAA 0 issue "ca.example.net"
)";
  return build_message(zone(text), 0xBEEF, edns);
}

// Compares two parsed messages record by record (names case-insensitively, RDATA by text).
void expect_same(const dns::Message& a, const dns::Message& b) {
  EXPECT_EQ(a.header.id, b.header.id);
  EXPECT_EQ(a.header.flags, b.header.flags);
  const std::span<const dns::Record> sa[] = {a.question, a.answer, a.authority, a.additional};
  const std::span<const dns::Record> sb[] = {b.question, b.answer, b.authority, b.additional};
  for (int s = 0; s < 4; ++s) {
    ASSERT_EQ(sa[s].size(), sb[s].size()) << s;
    for (std::size_t i = 0; i < sa[s].size(); ++i) EXPECT_EQ(rr_text(sa[s][i]), rr_text(sb[s][i]));
  }
  ASSERT_EQ(a.edns.has_value(), b.edns.has_value());
  if (a.edns) {
    EXPECT_EQ(a.edns->udp_payload_size, b.edns->udp_payload_size);
    EXPECT_EQ(a.edns->flags, b.edns->flags);
    EXPECT_EQ(to_hex(a.edns->options), to_hex(b.edns->options));
  }
}

// Serializes a parsed message with MessageWriter (every section, OPT last).
Bytes reserialize(const dns::Message& m) {
  Bytes buf(65535);
  dns::MessageWriter w(buf);
  EXPECT_TRUE(w.add_message(m));
  auto out = w.finish();
  EXPECT_TRUE(out);
  return out ? Bytes(out->begin(), out->end()) : Bytes{};
}

TEST(dnsMessage, ParsesSectionsAndTypedViews) {
  const Bytes pkt = sample_response();
  dns::Record rrs[32];
  dns::Message m;
  auto r = dns::parse_message(pkt, m, rrs);
  ASSERT_EQ(r.error, dns::Errc::ok) << dns::errc_name(r.error);
  EXPECT_EQ(r.consumed, pkt.size());
  EXPECT_EQ(m.header.id, 0xBEEF);
  EXPECT_TRUE(m.header.qr());
  EXPECT_TRUE(m.header.aa());
  ASSERT_EQ(m.question.size(), 1u);
  ASSERT_EQ(m.answer.size(), 9u);
  EXPECT_EQ(name_text(m.question[0].owner), "www.example.com.");
  auto a = dns::a_view(m.answer[0]);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->address[3], 1);
  auto mx = dns::mx_view(m.answer[3]);
  ASSERT_TRUE(mx);
  EXPECT_EQ(mx->preference, 10);
  EXPECT_EQ(name_text(mx->exchange), "mail.example.com.");
  EXPECT_FALSE(mx->exchange.is_contiguous());  // compressed against the question
  auto soa = dns::soa_view(m.answer[5]);
  ASSERT_TRUE(soa);
  EXPECT_EQ(soa->serial, 2024010101u);
  EXPECT_EQ(soa->minimum, 300u);
  EXPECT_EQ(name_text(soa->rname), "hostmaster.example.com.");
  auto srv = dns::srv_view(m.answer[6]);
  ASSERT_TRUE(srv);
  EXPECT_EQ(srv->port, 5060);
  EXPECT_TRUE(srv->target.is_contiguous());  // SRV targets are never compressed (RFC 2782)
  auto txt = dns::txt_view(m.answer[7]);
  ASSERT_TRUE(txt);
  std::vector<std::string> strings;
  txt->strings.for_each([&](std::string_view s) { strings.emplace_back(s); });
  EXPECT_EQ(strings, (std::vector<std::string>{"v=spf1 -all", "second string"}));
  auto caa = dns::caa_view(m.answer[8]);
  ASSERT_TRUE(caa);
  EXPECT_EQ(caa->tag, "issue");
  EXPECT_FALSE(dns::mx_view(m.answer[0]));  // wrong type
  std::string text;
  dns::message_to_text(m, text);
  EXPECT_NE(text.find("status: NOERROR, id: 48879"), std::string::npos) << text;
  EXPECT_NE(text.find("www.example.com.\t300\tIN\tA\t192.0.2.1"), std::string::npos) << text;
  EXPECT_NE(text.find("_sip._tcp.example.com.\t60\tIN\tSRV\t10 5 5060 sip.example.com."), std::string::npos) << text;
}

TEST(dnsMessage, Rfc6891Opt) {
  // Query with OPT: udp 4096, ext-rcode 1, version 0, DO, options NSID(3, empty) and an
  // unknown option 65001 with 2 octets (skipped by find, kept in the iteration).
  const Bytes pkt = hex("abcd 0100 0001 0000 0000 0001 00 0001 0001"
                        " 00 0029 1000 01 00 8000 000a 0003 0000 fde9 0002 0102");
  dns::Record rrs[4];
  dns::Message m;
  auto r = dns::parse_message(pkt, m, rrs);
  ASSERT_EQ(r.error, dns::Errc::ok) << dns::errc_name(r.error);
  ASSERT_TRUE(m.edns);
  EXPECT_TRUE(m.additional.empty());
  EXPECT_EQ(m.edns->udp_size(), 4096u);
  EXPECT_TRUE(m.edns->dnssec_ok());
  EXPECT_EQ(m.edns->version, 0);
  EXPECT_EQ(m.rcode(), 16);  // extended rcode 1 << 4 | header 0
  EXPECT_EQ(dns::edns_version_check(*m.edns), dns::Rcode::noerror);
  std::vector<std::uint16_t> codes;
  for (auto o : *m.edns) codes.push_back(o.code);
  EXPECT_EQ(codes, (std::vector<std::uint16_t>{3, 65001}));
  EXPECT_TRUE(m.edns->find(3));
  EXPECT_FALSE(m.edns->find(10));
  // Small payload sizes count as 512; version 1 gets BADVERS.
  const Bytes small = hex("abcd 0100 0000 0000 0000 0001 00 0029 0100 00 01 0000 0000");
  ASSERT_EQ(dns::parse_message(small, m, rrs).error, dns::Errc::ok);
  EXPECT_EQ(m.edns->udp_size(), 512u);
  EXPECT_EQ(m.edns->version, 1);
  EXPECT_EQ(dns::edns_version_check(*m.edns), dns::Rcode::badvers);
  EXPECT_FALSE(m.edns->dnssec_ok());
}

TEST(dnsMessage, WriterBuildsBadversWithExtendedRcode) {
  Bytes buf(512);
  dns::MessageWriter w(buf, 512);
  dns::Header h;
  h.id = 7;
  h.set_flag(dns::Header::qr_bit, true);
  h.set_rcode(static_cast<std::uint8_t>(static_cast<unsigned>(dns::Rcode::badvers) & 0xF));
  w.set_header(h);
  dns::EdnsOut e;
  e.extended_rcode_bits = static_cast<std::uint16_t>(dns::Rcode::badvers);
  ASSERT_TRUE(w.add_opt(e));
  auto out = w.finish();
  ASSERT_TRUE(out);
  dns::Record rrs[2];
  dns::Message m;
  ASSERT_EQ(dns::parse_message(*out, m, rrs).error, dns::Errc::ok);
  EXPECT_EQ(m.rcode(), 16);
  EXPECT_EQ(m.edns->udp_payload_size, 1232);
  EXPECT_FALSE(w.add_opt(e));  // at most one OPT
}

TEST(dnsMessage, RoundTripParseSerializeParse) {
  dns::EdnsOut e;
  e.dnssec_ok = true;
  const Bytes opts = hex("000a 0008 0102030405060708");
  e.options = opts;
  for (const Bytes& pkt : {sample_response(), sample_response(&e)}) {
    dns::Record rrs[32], rrs2[32];
    dns::Message m, m2;
    ASSERT_EQ(dns::parse_message(pkt, m, rrs).error, dns::Errc::ok);
    const Bytes again = reserialize(m);
    ASSERT_EQ(dns::parse_message(again, m2, rrs2).error, dns::Errc::ok);
    expect_same(m, m2);
    EXPECT_EQ(again, pkt);  // our writer is deterministic
  }
}

TEST(dnsMessage, EveryPrefixRejectedCleanly) {
  dns::EdnsOut e;
  e.dnssec_ok = true;
  const Bytes query = hex("1234 0100 0001 0000 0000 0000 03777777 076578616d706c65 03636f6d 00 0001 0001");
  zp::test::GuardedBuffer guard;
  for (const Bytes& pkt : {query, sample_response(), sample_response(&e)}) {
    for (std::size_t n = 0; n < pkt.size(); ++n) {
      const auto in = guard.place_bytes(std::string_view(reinterpret_cast<const char*>(pkt.data()), n));
      dns::Record rrs[32];
      dns::Message m;
      auto r = dns::parse_message(in, m, rrs);
      EXPECT_NE(r.error, dns::Errc::ok) << "prefix " << n;
      EXPECT_EQ(dns::rcode_for(r.error), dns::Rcode::formerr);
    }
    const auto in = guard.place_bytes(std::string_view(reinterpret_cast<const char*>(pkt.data()), pkt.size()));
    dns::Record rrs[32];
    dns::Message m;
    EXPECT_EQ(dns::parse_message(in, m, rrs).error, dns::Errc::ok);
  }
}

TEST(dnsMessage, QueryNamePointerIsRejected) {
  // A query's QNAME can only point into the header or forward: both rejected.
  const Bytes into_header = hex("1234 0100 0001 0000 0000 0000 c002 0001 0001");
  dns::Record rrs[2];
  dns::Message m;
  EXPECT_EQ(dns::parse_message(into_header, m, rrs).error, dns::Errc::pointer_into_header);
}

}  // namespace
