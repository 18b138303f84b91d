// The authoritative answer logic against a test zone: every rule of RFC 1034 §4.3.2 and
// its successors the server implements, queries built with the codec's writer and answers
// parsed back with its parser. Also the zone store's load-time checks.
#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "dns_test_util.h"
#include "../../common/test_files.h"
#include "zp/dns/answer.h"
#include "zp/dns/zone.h"

namespace zp::dns {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using test::Answer;
using test::make_query;
using test::QueryOptions;
namespace rrtype = codec::dns::rrtype;

constexpr std::uint16_t kNoerror = 0, kFormerr = 1, kNxdomain = 3, kNotimp = 4, kRefused = 5, kYxdomain = 6,
                        kBadvers = 16;

class DnsAnswerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto z = build_zone("example.test.", test::kTestZone, "test.zone");
    ASSERT_TRUE(z) << z.error;
    // A second zone below a delegation of nothing: other.test., to check zone selection.
    auto o = build_zone("other.test", "@ 60 SOA ns hm 1 2 3 4 5\n@ 60 NS ns\nns 60 A 192.0.2.200\n", "other.zone");
    ASSERT_TRUE(o) << o.error;
    zones_ = std::make_shared<ZoneSet>(std::vector<std::shared_ptr<const Zone>>{z.zone, o.zone});
  }
  Answer ask(std::span<const std::byte> query, Transport t = Transport::udp) {
    std::vector<std::byte> out(65535);
    auto r = responder_.answer(zones_.get(), query, out, t);
    last_size_ = r.size;
    if (r.size == 0) return {};
    return test::parse_answer(std::span<const std::byte>(out.data(), r.size));
  }
  Answer ask(std::string_view name, std::uint16_t type, QueryOptions o = {}, Transport t = Transport::udp) {
    auto q = make_query(name, type, o);
    return ask(q, t);
  }
  std::shared_ptr<ZoneSet> zones_;
  Responder responder_;
  std::size_t last_size_ = 0;
};

TEST_F(DnsAnswerTest, ExactMatchIsAuthoritativeWithIdAndRdCopied) {
  Answer a = ask("www.example.test.", rrtype::a, {.id = 0xBEEF, .rd = true});
  ASSERT_TRUE(a.ok);
  EXPECT_EQ(a.header.id, 0xBEEF);
  EXPECT_TRUE(a.header.qr());
  EXPECT_TRUE(a.aa());
  EXPECT_TRUE(a.header.rd());
  EXPECT_FALSE(a.header.ra());
  EXPECT_EQ(a.rcode, kNoerror);
  EXPECT_THAT(a.question, ElementsAre("www.example.test. IN A"));
  EXPECT_THAT(a.answer, ElementsAre("www.example.test. 3600 IN A 192.0.2.10"));
  EXPECT_TRUE(a.authority.empty());
  EXPECT_FALSE(a.has_opt);
  Answer b = ask("www.example.test.", rrtype::a, {.rd = false});
  EXPECT_FALSE(b.header.rd());
}

TEST_F(DnsAnswerTest, QueryNameCaseIsPreserved) {
  Answer a = ask("WwW.ExAmple.TEST.", rrtype::aaaa);
  ASSERT_TRUE(a.ok);
  EXPECT_THAT(a.question, ElementsAre("WwW.ExAmple.TEST. IN AAAA"));
  EXPECT_THAT(a.answer, ElementsAre("WwW.ExAmple.TEST. 3600 IN AAAA 2001:db8::10"));
}

TEST_F(DnsAnswerTest, NodataHasSoaWithNegativeTtl) {
  Answer a = ask("mail.example.test.", rrtype::txt);
  ASSERT_TRUE(a.ok);
  EXPECT_EQ(a.rcode, kNoerror);
  EXPECT_TRUE(a.aa());
  EXPECT_TRUE(a.answer.empty());
  // min(SOA TTL 3600, MINIMUM 300) = 300 (RFC 2308 §3).
  EXPECT_THAT(a.authority, ElementsAre(HasSubstr("example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. 2024010101")));
}

TEST_F(DnsAnswerTest, NxdomainHasSoaWithNegativeTtl) {
  Answer a = ask("nope.example.test.", rrtype::a);
  ASSERT_TRUE(a.ok);
  EXPECT_EQ(a.rcode, kNxdomain);
  EXPECT_TRUE(a.aa());
  EXPECT_TRUE(a.answer.empty());
  ASSERT_EQ(a.authority.size(), 1u);
  EXPECT_THAT(a.authority[0], HasSubstr("example.test. 300 IN SOA"));
}

TEST_F(DnsAnswerTest, CnameIsFollowedWithinTheZone) {
  Answer a = ask("chain1.example.test.", rrtype::a);
  ASSERT_TRUE(a.ok);
  EXPECT_EQ(a.rcode, kNoerror);
  EXPECT_TRUE(a.aa());
  EXPECT_THAT(a.answer, ElementsAre("chain1.example.test. 3600 IN CNAME chain2.example.test.",
                                    "chain2.example.test. 3600 IN CNAME www.example.test.",
                                    "www.example.test. 3600 IN A 192.0.2.10"));
  // QTYPE CNAME: the CNAME itself.
  Answer c = ask("alias.example.test.", rrtype::cname);
  EXPECT_THAT(c.answer, ElementsAre("alias.example.test. 3600 IN CNAME www.example.test."));
}

TEST_F(DnsAnswerTest, CnameLoopAndOutOfZoneTargetsStop) {
  Answer a = ask("loop1.example.test.", rrtype::a);
  ASSERT_TRUE(a.ok);
  EXPECT_EQ(a.rcode, kNoerror);
  EXPECT_THAT(a.answer, ElementsAre("loop1.example.test. 3600 IN CNAME loop2.example.test.",
                                    "loop2.example.test. 3600 IN CNAME loop1.example.test."));  // stops at a repeat
  Answer e = ask("ext.example.test.", rrtype::a);
  EXPECT_THAT(e.answer, ElementsAre("ext.example.test. 3600 IN CNAME www.example.org."));
  EXPECT_TRUE(e.authority.empty());
}

TEST_F(DnsAnswerTest, WildcardSynthesizesWithTheQueryName) {
  Answer a = ask("anything.wild.example.test.", rrtype::txt);
  ASSERT_TRUE(a.ok);
  EXPECT_EQ(a.rcode, kNoerror);
  EXPECT_TRUE(a.aa());
  EXPECT_THAT(a.answer, ElementsAre("anything.wild.example.test. 3600 IN TXT \"wildcard\""));
  Answer deep = ask("a.b.wild.example.test.", rrtype::a);  // the closest encloser is wild.
  EXPECT_THAT(deep.answer, ElementsAre("a.b.wild.example.test. 3600 IN A 192.0.2.50"));
  Answer nodata = ask("x.wild.example.test.", rrtype::mx);
  EXPECT_EQ(nodata.rcode, kNoerror);
  EXPECT_TRUE(nodata.answer.empty());
  EXPECT_EQ(nodata.authority.size(), 1u);
}

TEST_F(DnsAnswerTest, WildcardDoesNotMatchExistingNamesOrBelowEmptyNonTerminals) {
  // "wild" itself exists (an ENT above the wildcard): NODATA, not the wildcard.
  Answer w = ask("wild.example.test.", rrtype::txt);
  EXPECT_EQ(w.rcode, kNoerror);
  EXPECT_TRUE(w.answer.empty());
  // c.ent is an empty non-terminal: a name below it has closest encloser c.ent, whose
  // wildcard does not exist: NXDOMAIN even though *.ent exists (RFC 4592 §2.2.2).
  Answer blocked = ask("x.c.ent.example.test.", rrtype::txt);
  EXPECT_EQ(blocked.rcode, kNxdomain);
  // The ENT itself: NODATA.
  Answer ent = ask("c.ent.example.test.", rrtype::txt);
  EXPECT_EQ(ent.rcode, kNoerror);
  EXPECT_TRUE(ent.answer.empty());
  ASSERT_EQ(ent.authority.size(), 1u);
  // A sibling of c: *.ent applies.
  Answer sib = ask("zzz.ent.example.test.", rrtype::txt);
  EXPECT_THAT(sib.answer, ElementsAre("zzz.ent.example.test. 3600 IN TXT \"ent-wildcard\""));
  // The real name below the ENTs.
  Answer leaf = ask("a.b.c.ent.example.test.", rrtype::a);
  EXPECT_THAT(leaf.answer, ElementsAre("a.b.c.ent.example.test. 3600 IN A 192.0.2.60"));
}

TEST_F(DnsAnswerTest, DelegationGivesReferralWithGlue) {
  for (const char* name : {"sub.example.test.", "host.sub.example.test.", "ns.sub.example.test."}) {
    Answer a = ask(name, rrtype::a);
    ASSERT_TRUE(a.ok) << name;
    EXPECT_EQ(a.rcode, kNoerror) << name;
    EXPECT_FALSE(a.aa()) << name;
    EXPECT_TRUE(a.answer.empty()) << name;
    EXPECT_THAT(a.authority, ElementsAre("sub.example.test. 3600 IN NS ns.sub.example.test.",
                                         "sub.example.test. 3600 IN NS ns.other.test."))
        << name;
    EXPECT_THAT(a.additional, ElementsAre("ns.sub.example.test. 3600 IN A 192.0.2.100")) << name;
  }
  // DS is answered from the parent side, authoritatively.
  Answer ds = ask("sub.example.test.", rrtype::ds);
  EXPECT_TRUE(ds.aa());
  ASSERT_EQ(ds.answer.size(), 1u);
  EXPECT_THAT(ds.answer[0], HasSubstr("IN DS 12345 8 2"));
}

TEST_F(DnsAnswerTest, AdditionalSectionForMxNsAndSrv) {
  Answer mx = ask("example.test.", rrtype::mx);
  EXPECT_THAT(mx.answer, ElementsAre("example.test. 3600 IN MX 10 mail.example.test."));
  EXPECT_THAT(mx.additional, ElementsAre("mail.example.test. 3600 IN A 192.0.2.3"));
  Answer ns = ask("example.test.", rrtype::ns);
  EXPECT_TRUE(ns.aa());
  EXPECT_EQ(ns.answer.size(), 2u);
  EXPECT_EQ(ns.additional.size(), 2u);
  Answer srv = ask("srv.example.test.", rrtype::srv);
  EXPECT_THAT(srv.additional, ElementsAre("www.example.test. 3600 IN A 192.0.2.10",
                                          "www.example.test. 3600 IN AAAA 2001:db8::10"));
}

TEST_F(DnsAnswerTest, DnameSynthesizesCname) {
  Answer a = ask("x.dn.example.test.", rrtype::a);
  ASSERT_TRUE(a.ok);
  EXPECT_EQ(a.rcode, kNoerror);
  EXPECT_THAT(a.answer, ElementsAre("dn.example.test. 3600 IN DNAME target.example.test.",
                                    "x.dn.example.test. 3600 IN CNAME x.target.example.test.",
                                    "x.target.example.test. 3600 IN A 192.0.2.70"));
  Answer d = ask("dn.example.test.", rrtype::dname);
  EXPECT_THAT(d.answer, ElementsAre("dn.example.test. 3600 IN DNAME target.example.test."));
  // A synthesized name over 255 octets: YXDOMAIN (RFC 6672 §2.2).
  std::string longname;
  for (int i = 0; i < 4; ++i) longname += std::string(60, 'a' + char(i)) + ".";
  longname += "dn.example.test.";
  auto wire = test::wire_name(longname);
  if (!wire.empty()) {
    Answer y = ask(longname, rrtype::a);
    EXPECT_EQ(y.rcode, kYxdomain);
  }
}

TEST_F(DnsAnswerTest, OutOfZoneIsRefused) {
  Answer a = ask("www.example.org.", rrtype::a);
  ASSERT_TRUE(a.ok);
  EXPECT_EQ(a.rcode, kRefused);
  EXPECT_FALSE(a.aa());
  EXPECT_TRUE(a.answer.empty());
  EXPECT_THAT(a.question, ElementsAre("www.example.org. IN A"));
  EXPECT_EQ(ask("test.", rrtype::soa).rcode, kRefused);
  // The other zone is served on its own.
  Answer o = ask("ns.other.test.", rrtype::a);
  EXPECT_TRUE(o.aa());
  EXPECT_THAT(o.answer, ElementsAre("ns.other.test. 60 IN A 192.0.2.200"));
  // With EDNS: Extended DNS Error 20 (Not Authoritative), RFC 8914.
  auto q = make_query("www.example.org.", rrtype::a, {.edns = true});
  std::vector<std::byte> out(512);
  auto r = responder_.answer(zones_.get(), q, out, Transport::udp);
  ASSERT_GT(r.size, 6u);
  const std::vector<std::byte> tail(out.begin() + std::ptrdiff_t(r.size) - 6, out.begin() + std::ptrdiff_t(r.size));
  EXPECT_EQ(tail, (std::vector<std::byte>{std::byte{0}, std::byte{15}, std::byte{0}, std::byte{2}, std::byte{0}, std::byte{20}}));
  // Class CH (version.bind): refused.
  EXPECT_EQ(ask("version.bind.", rrtype::txt, {.qclass = codec::dns::rrclass::ch}).rcode, kRefused);
}

TEST_F(DnsAnswerTest, AnyIsAnsweredWithOneRRset) {
  Answer a = ask("www.example.test.", rrtype::any);
  ASSERT_TRUE(a.ok);
  EXPECT_EQ(a.rcode, kNoerror);
  EXPECT_EQ(a.answer.size(), 1u);
  Answer apex = ask("example.test.", rrtype::any);  // one RRset: both NS records
  EXPECT_THAT(apex.answer, ElementsAre(HasSubstr("IN NS ns1.example.test."), HasSubstr("IN NS ns2.example.test.")));
}

TEST_F(DnsAnswerTest, ZoneTransferOverUdpIsFormerrOrRefusedAndOverTcpRefused) {
  EXPECT_EQ(ask("example.test.", 252).rcode, kFormerr);  // AXFR over UDP (RFC 5936 §4.2)
  // IXFR over UDP goes to the transfer planner (dns_xfr_test): no ACL here, so REFUSED.
  EXPECT_EQ(ask("example.test.", 251).rcode, kRefused);
  // Over TCP the server streams transfers itself (xfr_serve.cpp); the Responder refuses.
  EXPECT_EQ(ask("example.test.", 252, {}, Transport::tcp).rcode, kRefused);
}

TEST_F(DnsAnswerTest, OtherOpcodesAreNotImplemented) {
  for (std::uint8_t op : {1, 2, 4, 5, 15}) {
    Answer a = ask("www.example.test.", rrtype::a, {.opcode = op});
    ASSERT_TRUE(a.ok);
    // NOTIFY (4) is refused: we are the primary of our zones, never a secondary.
    EXPECT_EQ(a.rcode, op == 4 ? kRefused : kNotimp) << int(op);
    EXPECT_EQ(a.header.opcode(), op);
    EXPECT_TRUE(a.answer.empty());
  }
}

TEST_F(DnsAnswerTest, EdnsIsEchoedWithOurPayloadSize) {
  Answer a = ask("www.example.test.", rrtype::a, {.edns = true, .edns_size = 4096});
  ASSERT_TRUE(a.ok);
  EXPECT_TRUE(a.has_opt);
  EXPECT_EQ(a.opt_size, 1232);
  EXPECT_EQ(a.opt_version, 0);
  EXPECT_FALSE(a.opt_do);
}

TEST_F(DnsAnswerTest, EdnsVersionAboveZeroIsBadvers) {
  Answer a = ask("www.example.test.", rrtype::a, {.edns = true, .edns_version = 1});
  ASSERT_TRUE(a.ok);
  EXPECT_EQ(a.rcode, kBadvers);
  EXPECT_EQ(a.header.rcode(), 0);  // the upper bits live in the OPT
  EXPECT_TRUE(a.has_opt);
  EXPECT_EQ(a.opt_version, 0);
  EXPECT_TRUE(a.answer.empty());
}

TEST_F(DnsAnswerTest, DnssecOkAddsRrsigs) {
  Answer plain = ask("www.example.test.", rrtype::a, {.edns = true});
  EXPECT_EQ(plain.answer.size(), 1u);
  Answer a = ask("www.example.test.", rrtype::a, {.edns = true, .dnssec_ok = true});
  ASSERT_TRUE(a.ok);
  EXPECT_TRUE(a.opt_do);
  ASSERT_EQ(a.answer.size(), 2u);
  EXPECT_THAT(a.answer[1], HasSubstr("www.example.test. 3600 IN RRSIG A 8 3 3600"));
  // No RRSIG for AAAA in the zone: none added.
  EXPECT_EQ(ask("www.example.test.", rrtype::aaaa, {.edns = true, .dnssec_ok = true}).answer.size(), 1u);
  // Negative answers carry the SOA's RRSIG.
  Answer nx = ask("nope.example.test.", rrtype::a, {.edns = true, .dnssec_ok = true});
  ASSERT_EQ(nx.authority.size(), 2u);
  EXPECT_THAT(nx.authority[1], HasSubstr("RRSIG SOA"));
}

// A zone with a TXT RRset too large for 512 octets.
class DnsTruncationTest : public DnsAnswerTest {
 protected:
  void SetUp() override {
    std::string text = "$ORIGIN big.test.\n$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n";
    for (int i = 0; i < 40; ++i) text += "big TXT \"" + std::string(40, char('a' + i % 26)) + "\"\n";
    text += "small A 192.0.2.9\n";
    auto z = build_zone("big.test.", text, "big.zone");
    ASSERT_TRUE(z) << z.error;
    zones_ = std::make_shared<ZoneSet>(std::vector<std::shared_ptr<const Zone>>{z.zone});
  }
};

TEST_F(DnsTruncationTest, UdpWithoutEdnsTruncatesAt512KeepingTheQuestion) {
  Answer a = ask("big.big.test.", rrtype::txt);
  ASSERT_TRUE(a.ok);
  EXPECT_TRUE(a.tc());
  EXPECT_LE(a.size, 512u);
  EXPECT_THAT(a.question, ElementsAre("big.big.test. IN TXT"));
  EXPECT_TRUE(a.answer.empty());  // whole RRsets only
  // The same over TCP: everything.
  Answer t = ask("big.big.test.", rrtype::txt, {}, Transport::tcp);
  EXPECT_FALSE(t.tc());
  EXPECT_EQ(t.answer.size(), 40u);
  EXPECT_GT(t.size, 1232u);
}

TEST_F(DnsTruncationTest, EdnsSizeIsTheLimitCappedByOurs) {
  Answer a = ask("big.big.test.", rrtype::txt, {.edns = true, .edns_size = 1000});
  EXPECT_TRUE(a.tc());
  EXPECT_LE(a.size, 1000u);
  EXPECT_TRUE(a.has_opt);
  Answer b = ask("big.big.test.", rrtype::txt, {.edns = true, .edns_size = 65000});
  EXPECT_TRUE(b.tc());
  EXPECT_LE(b.size, 1232u);
  // Below 512 counts as 512.
  Answer c = ask("small.big.test.", rrtype::a, {.edns = true, .edns_size = 100});
  EXPECT_FALSE(c.tc());
  EXPECT_EQ(c.answer.size(), 1u);
}

TEST_F(DnsAnswerTest, MalformedQueriesGetFormerrOrNothing) {
  auto good = make_query("www.example.test.", rrtype::a);
  // Shorter than a header: nothing.
  EXPECT_FALSE(ask(std::span<const std::byte>(good.data(), 11)).ok);
  EXPECT_EQ(last_size_, 0u);
  // A response (QR set): nothing.
  auto resp = good;
  resp[2] |= std::byte{0x80};
  ask(resp);
  EXPECT_EQ(last_size_, 0u);
  // Truncated question.
  Answer t = ask(std::span<const std::byte>(good.data(), good.size() - 2));
  ASSERT_TRUE(t.ok);
  EXPECT_EQ(t.rcode, kFormerr);
  EXPECT_EQ(t.header.id, 0x1234);
  // QDCOUNT 0 and 2.
  auto q0 = good;
  q0[5] = std::byte{0};
  q0.resize(12);
  EXPECT_EQ(ask(q0).rcode, kFormerr);
  auto q2 = good;
  q2[5] = std::byte{2};
  q2.insert(q2.end(), good.begin() + 12, good.end());
  EXPECT_EQ(ask(q2).rcode, kFormerr);
  // A compression pointer in the QNAME (into the header).
  std::vector<std::byte> ptr(good.begin(), good.begin() + 12);
  for (int b : {0xC0, 0x00, 0x00, 0x01, 0x00, 0x01}) ptr.push_back(std::byte(b));
  EXPECT_EQ(ask(ptr).rcode, kFormerr);
  // Trailing garbage, a label over 63, counts past the data.
  auto trail = good;
  trail.push_back(std::byte{0});
  EXPECT_EQ(ask(trail).rcode, kFormerr);
  auto count = good;
  count[7] = std::byte{3};
  EXPECT_EQ(ask(count).rcode, kFormerr);
  // QTYPE OPT is not a question.
  EXPECT_EQ(ask("www.example.test.", rrtype::opt).rcode, kFormerr);
}

TEST(DnsZone, RejectsBrokenZones) {
  auto err = [](std::string_view text) { return build_zone("z.test.", text, "z.zone").error; };
  EXPECT_THAT(err("@ 60 NS ns\nns 60 A 192.0.2.1\n"), HasSubstr("no SOA at the zone apex"));
  EXPECT_THAT(err("@ 60 SOA ns hm 1 2 3 4 5\nns 60 A 192.0.2.1\n"), HasSubstr("no NS at the zone apex"));
  EXPECT_THAT(err("@ 60 SOA ns hm 1 2 3 4 5\n@ 60 NS ns\nns 60 A 192.0.2.1\nns 60 CNAME x\n"),
              HasSubstr("CNAME and other data"));
  EXPECT_THAT(err("@ 60 SOA ns hm 1 2 3 4 5\n@ 60 NS ns\nwww.other.test. 60 A 192.0.2.1\n"),
              HasSubstr("out of zone"));
  EXPECT_THAT(err("@ 60 SOA ns hm 1 2 3 4 5\n@ 60 NS ns\nsub 60 SOA ns hm 1 2 3 4 5\n"), HasSubstr("SOA below the apex"));
  // Parse errors carry file:line:col.
  EXPECT_THAT(err("@ 60 SOA ns hm 1 2 3 4 5\n@ 60 NS ns\nns 60 A 192.0.2.256\n"), HasSubstr("z.zone:3:"));
  // Glue below a delegation is fine.
  EXPECT_TRUE(build_zone("z.test.", "@ 60 SOA ns hm 1 2 3 4 5\n@ 60 NS ns\nd 60 NS ns.d\nns.d 60 A 192.0.2.1\n", "z"));
}

// $INCLUDE resolves beneath the zone's directory: subdirectories are fine, but neither ".."
// nor a symlink pointing out of it (which a check of the path text alone would let through).
TEST(DnsZone, IncludeStaysBeneathTheZoneDirectory) {
  namespace fs = std::filesystem;
  const fs::path base = fs::temp_directory_path() / ("zp-include-" + std::to_string(::getpid()));
  fs::remove_all(base);
  const fs::path dir = base / "zones";
  const std::string head = "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n";
  zp::test::write_file(dir / "inc" / "hosts", "www A 192.0.2.2\n");
  zp::test::write_file(base / "secret", "leak A 192.0.2.9\n");
  fs::create_symlink(base / "secret", dir / "outside");

  zp::test::write_file(dir / "ok.zone", head + "$INCLUDE inc/hosts\n");
  auto ok = load_zone("z.test.", (dir / "ok.zone").string());
  ASSERT_TRUE(ok) << ok.error;

  zp::test::write_file(dir / "link.zone", head + "$INCLUDE outside\n");
  auto link = load_zone("z.test.", (dir / "link.zone").string());
  EXPECT_FALSE(link);
  EXPECT_THAT(link.error, HasSubstr("cannot read 'outside'"));

  zp::test::write_file(dir / "dotdot.zone", head + "$INCLUDE ../secret\n");
  EXPECT_THAT(load_zone("z.test.", (dir / "dotdot.zone").string()).error, HasSubstr("leaves the zone directory"));

  // Every file read is bounded.
  auto big = load_zone("z.test.", (dir / "ok.zone").string(), 16);
  EXPECT_FALSE(big);
  EXPECT_THAT(big.error, HasSubstr("ok.zone"));
  std::string many;
  for (int i = 0; i < 20; ++i) many += "h" + std::to_string(i) + " A 192.0.2.3\n";
  zp::test::write_file(dir / "inc" / "many", many);
  zp::test::write_file(dir / "bigger.zone", head + "$INCLUDE inc/many\n");
  ASSERT_TRUE(load_zone("z.test.", (dir / "bigger.zone").string()));
  auto inc_big = load_zone("z.test.", (dir / "bigger.zone").string(), head.size() + 20);
  EXPECT_THAT(inc_big.error, HasSubstr("cannot read 'inc/many'"));
  EXPECT_FALSE(load_zone("z.test.", dir.string()));  // a directory is not a zone file
  fs::remove_all(base);
}

TEST(DnsZone, NodesAreCanonicalWithEmptyNonTerminals) {
  auto z = build_zone("z.test.", "@ 60 SOA ns hm 1 2 3 4 5\n@ 60 NS ns\nb.a 60 A 192.0.2.1\nZ 60 A 192.0.2.2\n"
                                 "a 60 TXT x\n*.q.r 60 A 192.0.2.3\n", "z");
  ASSERT_TRUE(z) << z.error;
  std::vector<std::string> names;
  for (const auto& n : z.zone->nodes()) {
    std::string s;
    codec::dns::name_to_text(n.name, s);
    names.push_back(s + (n.empty() ? " (ent)" : ""));
  }
  EXPECT_THAT(names, ElementsAre("z.test.", "a.z.test.", "b.a.z.test.", "r.z.test. (ent)", "q.r.z.test. (ent)",
                                 "*.q.r.z.test.", "Z.z.test."));
  EXPECT_EQ(z.zone->negative_ttl(), 5u);
  EXPECT_EQ(z.zone->serial(), 1u);
}

}  // namespace
}  // namespace zp::dns

namespace zp::dns {
namespace {

// A pre-signed zone with an NSEC chain: apex → a → b.c → ns → *.w → apex (c and w are ENTs).
class DnsNsecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto z = build_zone("signed.test.", R"($ORIGIN signed.test.
$TTL 300
@    SOA   ns hm 1 2 3 4 60
@    NS    ns
@    NSEC  a.signed.test. NS SOA RRSIG NSEC
a    A     192.0.2.1
a    NSEC  b.c.signed.test. A RRSIG NSEC
b.c  A     192.0.2.2
b.c  NSEC  ns.signed.test. A RRSIG NSEC
ns   A     192.0.2.3
ns   NSEC  *.w.signed.test. A RRSIG NSEC
*.w  TXT   "w"
*.w  NSEC  signed.test. TXT RRSIG NSEC
)", "signed.zone");
    ASSERT_TRUE(z) << z.error;
    zones_ = std::make_shared<ZoneSet>(std::vector<std::shared_ptr<const Zone>>{z.zone});
  }
  test::Answer ask(std::string_view name, std::uint16_t type, bool dnssec = true) {
    auto q = test::make_query(name, type, {.edns = true, .dnssec_ok = dnssec});
    std::vector<std::byte> out(65535);
    auto r = responder_.answer(zones_.get(), q, out, Transport::udp);
    return test::parse_answer(std::span<const std::byte>(out.data(), r.size));
  }
  static std::vector<std::string> nsecs(const test::Answer& a) {
    std::vector<std::string> v;
    for (const auto& l : a.authority)
      if (l.find(" NSEC ") != std::string::npos) v.push_back(l.substr(0, l.find(' ')) + " -> " + l.substr(l.find(" NSEC ") + 6));
    return v;
  }
  std::shared_ptr<ZoneSet> zones_;
  Responder responder_;
};

TEST_F(DnsNsecTest, NxdomainProvesTheNameAndTheWildcardAbsent) {
  auto a = ask("b.signed.test.", rrtype::a);
  EXPECT_EQ(a.rcode, 3);
  EXPECT_THAT(nsecs(a), ElementsAre("a.signed.test. -> b.c.signed.test. A RRSIG NSEC",
                                    "signed.test. -> a.signed.test. NS SOA RRSIG NSEC"));
  EXPECT_TRUE(nsecs(ask("b.signed.test.", rrtype::a, false)).empty());
}

TEST_F(DnsNsecTest, NodataShowsTheNamesNsecOrTheOneCoveringAnEnt) {
  EXPECT_THAT(nsecs(ask("a.signed.test.", rrtype::txt)), ElementsAre("a.signed.test. -> b.c.signed.test. A RRSIG NSEC"));
  EXPECT_THAT(nsecs(ask("c.signed.test.", rrtype::a)), ElementsAre("a.signed.test. -> b.c.signed.test. A RRSIG NSEC"));
}

TEST_F(DnsNsecTest, WildcardAnswersProveNoCloserMatch) {
  auto a = ask("x.w.signed.test.", rrtype::txt);
  EXPECT_THAT(a.answer, ElementsAre("x.w.signed.test. 300 IN TXT \"w\""));
  EXPECT_THAT(nsecs(a), ElementsAre("*.w.signed.test. -> signed.test. TXT RRSIG NSEC"));
  auto nodata = ask("x.w.signed.test.", rrtype::a);  // the same NSEC serves both proofs: once
  EXPECT_EQ(nodata.rcode, 0);
  EXPECT_THAT(nsecs(nodata), ElementsAre("*.w.signed.test. -> signed.test. TXT RRSIG NSEC"));
}

}  // namespace
}  // namespace zp::dns
