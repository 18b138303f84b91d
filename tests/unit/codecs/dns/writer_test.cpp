// dns MessageWriter: RFC 1035 §4.1.4 compression layout, case preservation, type-specific
// compression rules (RFC 3597 §4), bounded table, truncation (all-or-nothing RRsets).
#include "zp/codec/dns/writer.h"

#include "dns_test_util.h"

namespace {

using namespace zp_dns_test;

TEST(dnsWriter, Rfc1035CompressionLayout) {
  const Bytes f = wire_name("F.ISI.ARPA."), foo = wire_name("FOO.F.ISI.ARPA."), arpa = wire_name("ARPA.");
  Bytes buf(512);
  dns::MessageWriter w(buf);
  ASSERT_TRUE(w.add_question(*dns::Name::from_wire(f), 1, 1));     // F.ISI.ARPA at 12
  ASSERT_TRUE(w.add_question(*dns::Name::from_wire(foo), 1, 1));   // 3 FOO + pointer to 12
  ASSERT_TRUE(w.add_question(*dns::Name::from_wire(arpa), 1, 1));  // pointer to 18 (ARPA)
  ASSERT_TRUE(w.add_question(dns::Name::root(), 1, 1));            // a single 0
  auto out = w.finish();
  ASSERT_TRUE(out);
  EXPECT_EQ(to_hex(*out).substr(24),
            "01460349534904415250410000010001"  // F.ISI.ARPA at 12..23, type, class
            "03464f4fc00c00010001"                // FOO + ptr 12
            "c01200010001"                        // ptr to 18 ("ARPA")
            "0000010001");                        // root
  dns::Record rrs[4];
  dns::Message m;
  ASSERT_EQ(dns::parse_message(*out, m, rrs).error, dns::Errc::ok);
  EXPECT_EQ(name_text(m.question[1].owner), "FOO.F.ISI.ARPA.");
  EXPECT_EQ(name_text(m.question[2].owner), "ARPA.");
}

TEST(dnsWriter, CaseInsensitiveMatchPreservesFirstCase) {
  const Bytes q = wire_name("WwW.Example.COM."), o = wire_name("www.example.com.");
  Bytes buf(512);
  dns::MessageWriter w(buf);
  ASSERT_TRUE(w.add_question(*dns::Name::from_wire(q), 1, 1));
  const Bytes rdata = hex("c0000201");
  auto rr = dns::Record::standalone(*dns::Name::from_wire(o), 1, 1, 60, rdata);
  ASSERT_TRUE(w.add_record(dns::Section::answer, rr));
  auto out = w.finish();
  ASSERT_TRUE(out);
  dns::Record rrs[2];
  dns::Message m;
  ASSERT_EQ(dns::parse_message(*out, m, rrs).error, dns::Errc::ok);
  EXPECT_EQ(name_text(m.answer[0].owner), "WwW.Example.COM.");  // a pointer to the question
  EXPECT_EQ(out->size(), 12u + 21u + 2u + 10u + 4u);
}

TEST(dnsWriter, RdataCompressionOnlyForRfc1035Types) {
  const auto recs = zone(R"(
@ 60 IN MX 10 mail.example.com.
@ 60 IN SRV 1 2 3 mail.example.com.
@ 60 IN NSEC mail.example.com. A
@ 60 IN DNAME mail.example.com.
)");
  const Bytes pkt = build_message(recs);
  // mail.example.com appears compressed once (MX: 4 mail + ptr) and whole three times.
  const std::string h = to_hex(pkt);
  const std::string whole = to_hex(wire_name("mail.example.com."));
  std::size_t count = 0;
  for (std::size_t at = h.find(whole); at != std::string::npos; at = h.find(whole, at + 1)) ++count;
  EXPECT_EQ(count, 3u) << h;
  dns::Record rrs[8];
  dns::Message m;
  ASSERT_EQ(dns::parse_message(pkt, m, rrs).error, dns::Errc::ok);
}

TEST(dnsWriter, TruncationIsAllOrNothing) {
  std::string text;
  for (int i = 0; i < 60; ++i) text += "www 60 IN A 192.0.2." + std::to_string(i) + "\n";
  const auto recs = zone(text);
  std::vector<dns::Record> set;
  for (std::size_t i = 0; i < recs.size(); ++i) set.push_back(recs[i].view());
  Bytes buf(4096);
  dns::MessageWriter w(buf, 512);
  w.reserve(11);
  ASSERT_TRUE(w.add_question(set[0].owner, 1, 1));
  EXPECT_FALSE(w.add_rrset(dns::Section::answer, set));  // 60 * 16 > 512
  EXPECT_TRUE(w.truncated());
  std::size_t added = 0;
  for (const auto& rr : set) added += w.add_record(dns::Section::answer, rr) ? 1 : 0;
  EXPECT_GT(added, 20u);
  EXPECT_LT(added, 60u);
  dns::EdnsOut e;
  EXPECT_TRUE(w.add_opt(e));  // the reserved room
  auto out = w.finish();
  ASSERT_TRUE(out);
  EXPECT_LE(out->size(), 512u);
  dns::Record rrs[64];
  dns::Message m;
  ASSERT_EQ(dns::parse_message(*out, m, rrs).error, dns::Errc::ok);
  EXPECT_EQ(m.answer.size(), added);
  EXPECT_TRUE(m.edns);
}

TEST(dnsWriter, TooSmallForHeader) {
  Bytes buf(11);
  dns::MessageWriter w(buf);
  EXPECT_FALSE(w.add_question(dns::Name::root(), 1, 1));
  auto out = w.finish();
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error(), dns::Errc::buffer_too_small);
}

TEST(dnsWriter, CompressionTableIsBounded) {
  // 300 distinct owners: later ones find no table slot, everything still parses back.
  std::string text;
  for (int i = 0; i < 300; ++i) text += "h" + std::to_string(i) + ".sub" + std::to_string(i) + " 60 IN A 192.0.2.1\n";
  const auto recs = zone(text);
  const Bytes pkt = build_message(recs);
  dns::Record rrs[400];
  dns::Message m;
  ASSERT_EQ(dns::parse_message(pkt, m, rrs).error, dns::Errc::ok);
  ASSERT_EQ(m.answer.size(), 300u);
  EXPECT_EQ(name_text(m.answer[299].owner), "h299.sub299.example.com.");
}

}  // namespace
