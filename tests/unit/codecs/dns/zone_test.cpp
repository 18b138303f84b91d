// dns zone files: RFC 1034 §6.1 and RFC 1035 §5.3 example zones, directives and
// inheritance rules, TTL units, escapes, $INCLUDE confinement and depth, limits, and error
// positions (file:line:column).
#include "zp/codec/dns/zone.h"

#include <map>

#include "dns_test_util.h"
#include "zp/codec/dns/rdata.h"

namespace {

using namespace zp_dns_test;

struct Parsed {
  bool ok = false;
  dns::ZoneRecords recs;
  dns::ZoneError err;
  std::vector<std::string> lines;
};

Parsed parse(std::string_view text, dns::ZoneOptions opt = {}) {
  Parsed p;
  if (opt.origin.empty()) opt.origin = "example.com.";
  if (opt.file_name.empty()) opt.file_name = "db.test";
  auto r = dns::parse_zone(text, opt, p.recs.sink(), &p.err);
  p.ok = r.ok();
  if (p.ok) {
    EXPECT_EQ(*r, p.recs.size());
  }
  for (std::size_t i = 0; i < p.recs.size(); ++i) p.lines.push_back(rr_text(p.recs[i].view()));
  return p;
}

TEST(dnsZone, Rfc1034Section6RootZone) {
  const auto p = parse(R"(.       IN      SOA     SRI-NIC.ARPA. HOSTMASTER.SRI-NIC.ARPA. (
                        870611          ;serial
                        1800            ;refresh every 30 min
                        300             ;retry every 5 min
                        604800          ;expire after a week
                        86400)          ;minimum of a day
                NS      A.ISI.EDU.
                NS      C.ISI.EDU.
                NS      SRI-NIC.ARPA.

MIL.            86400   NS      SRI-NIC.ARPA.
                86400   NS      A.ISI.EDU.

EDU.            86400   NS      SRI-NIC.ARPA.
                86400   NS      C.ISI.EDU.

SRI-NIC.ARPA.           A       26.0.0.73
                        A       10.0.0.51
                        MX      0 SRI-NIC.ARPA.
                        HINFO   DEC-2060 TOPS20

ACC.ARPA.               A       26.6.0.65
                        HINFO   PDP-11/70 UNIX
                        MX      10 ACC.ARPA.

USC-ISIC.ARPA.          CNAME   C.ISI.EDU.

73.0.0.26.IN-ADDR.ARPA. PTR     SRI-NIC.ARPA.
65.0.6.26.IN-ADDR.ARPA. PTR     ACC.ARPA.
51.0.0.10.IN-ADDR.ARPA. PTR     SRI-NIC.ARPA.
52.0.0.10.IN-ADDR.ARPA. PTR     C.ISI.EDU.
103.0.3.26.IN-ADDR.ARPA. PTR    A.ISI.EDU.

A.ISI.EDU. 86400 A      26.3.0.103
C.ISI.EDU. 86400 A      10.0.0.52
)", {.origin = ".", .default_ttl = 3600});
  ASSERT_TRUE(p.ok) << p.err.message;
  ASSERT_EQ(p.recs.size(), 23u);
  EXPECT_EQ(p.lines[0], ".\t3600\tIN\tSOA\tSRI-NIC.ARPA. HOSTMASTER.SRI-NIC.ARPA. 870611 1800 300 604800 86400");
  EXPECT_EQ(p.lines[1], ".\t3600\tIN\tNS\tA.ISI.EDU.");
  EXPECT_EQ(p.lines[4], "MIL.\t86400\tIN\tNS\tSRI-NIC.ARPA.");
  EXPECT_EQ(p.lines[9], "SRI-NIC.ARPA.\t86400\tIN\tA\t10.0.0.51");  // last explicit TTL (RFC 1035)
  EXPECT_EQ(p.lines[11], "SRI-NIC.ARPA.\t86400\tIN\tHINFO\t\"DEC-2060\" \"TOPS20\"");
  EXPECT_EQ(p.lines[13], "ACC.ARPA.\t86400\tIN\tHINFO\t\"PDP-11/70\" \"UNIX\"");
  EXPECT_EQ(p.lines[15], "USC-ISIC.ARPA.\t86400\tIN\tCNAME\tC.ISI.EDU.");
  EXPECT_EQ(p.lines[22], "C.ISI.EDU.\t86400\tIN\tA\t10.0.0.52");
}

TEST(dnsZone, Rfc1035Section53Example) {
  const auto p = parse(R"($ORIGIN ISI.EDU.
@   IN  SOA     VENERA      Action\.domains (
                                 20     ; SERIAL
                                 7200   ; REFRESH
                                 600    ; RETRY
                                 3600000; EXPIRE
                                 60)    ; MINIMUM

        NS      A.ISI.EDU.
        NS      VENERA
        NS      VAXA
        MX      10      VENERA
        MX      20      VAXA

A       A       26.3.0.103

VENERA  A       10.1.0.52
        A       128.9.0.32

VAXA    A       10.2.0.27
        A       128.9.0.33
)", {.default_ttl = 3600});
  ASSERT_TRUE(p.ok) << p.err.message;
  ASSERT_EQ(p.recs.size(), 11u);
  EXPECT_EQ(p.lines[0], "ISI.EDU.\t3600\tIN\tSOA\tVENERA.ISI.EDU. Action\\.domains.ISI.EDU. 20 7200 600 3600000 60");
  EXPECT_EQ(p.lines[2], "ISI.EDU.\t3600\tIN\tNS\tVENERA.ISI.EDU.");
  EXPECT_EQ(p.lines[7], "VENERA.ISI.EDU.\t3600\tIN\tA\t10.1.0.52");
  EXPECT_EQ(p.lines[8], "VENERA.ISI.EDU.\t3600\tIN\tA\t128.9.0.32");
  // The SOA RNAME's first label holds the escaped dot.
  auto soa = dns::soa_view(p.recs[0].view());
  ASSERT_TRUE(soa);
  EXPECT_EQ(soa->rname.label_count(), 3u);
}

TEST(dnsZone, DirectivesAndInheritance) {
  const auto p = parse(R"($TTL 1h30m
@ SOA ns hm 1 1h 15m 1w 1d
  NS ns
ns A 192.0.2.53
$ORIGIN sub
www 60 IN A 192.0.2.1
    IN 120 A 192.0.2.2   ; class before TTL
    AAAA ::1
$ORIGIN example.net.
mail 1W2d IN MX 5 @
$TTL 300
x TXT "t"
)");
  ASSERT_TRUE(p.ok) << p.err.message;
  ASSERT_EQ(p.recs.size(), 8u);
  EXPECT_EQ(p.lines[0], "example.com.\t5400\tIN\tSOA\tns.example.com. hm.example.com. 1 3600 900 604800 86400");
  EXPECT_EQ(p.lines[1], "example.com.\t5400\tIN\tNS\tns.example.com.");
  EXPECT_EQ(p.lines[3], "www.sub.example.com.\t60\tIN\tA\t192.0.2.1");
  EXPECT_EQ(p.lines[4], "www.sub.example.com.\t120\tIN\tA\t192.0.2.2");
  EXPECT_EQ(p.lines[5], "www.sub.example.com.\t5400\tIN\tAAAA\t::1");  // $TTL wins over the last TTL
  EXPECT_EQ(p.lines[6], "mail.example.net.\t777600\tIN\tMX\t5 example.net.");
  EXPECT_EQ(p.lines[7], "x.example.net.\t300\tIN\tTXT\t\"t\"");
}

TEST(dnsZone, QuotedStringsEscapesAndComments) {
  const auto p = parse("@ 60 TXT \"semi;colon\" \"paren(\" \\\"q \"multi word\" ; comment \"not\"\n"
                       "a\\ b 60 TXT \"\\0651\\\\\"\n"
                       "c 60 TXT ( \"x\" ; inside\n  \"y\" )\n");
  ASSERT_TRUE(p.ok) << p.err.message;
  ASSERT_EQ(p.recs.size(), 3u);
  EXPECT_EQ(p.lines[0], "example.com.\t60\tIN\tTXT\t\"semi;colon\" \"paren(\" \"\\\"q\" \"multi word\"");
  EXPECT_EQ(p.lines[1], "a\\032b.example.com.\t60\tIN\tTXT\t\"A1\\\\\"");
  EXPECT_EQ(p.lines[2], "c.example.com.\t60\tIN\tTXT\t\"x\" \"y\"");
}

struct BadCase {
  const char* text;
  dns::ZoneErrc code;
  std::size_t line, column;
};

TEST(dnsZone, ErrorsNameFileLineColumn) {
  const BadCase cases[] = {
      {"@ 60 A 192.0.2.256\n", dns::ZoneErrc::bad_rdata, 1, 8},
      {"\n\nwww 60 IN A 1.2.3.4 5\n", dns::ZoneErrc::syntax, 3, 21},
      {"@ 60 IN BOGUS x\n", dns::ZoneErrc::unknown_type, 1, 9},
      {"@ 60 IN A (\n 1.2.3.4\n", dns::ZoneErrc::unbalanced_paren, 1, 11},
      {"@ 60 IN A 1.2.3.4 )\n", dns::ZoneErrc::unbalanced_paren, 1, 19},
      {"@ 60 TXT \"open\n", dns::ZoneErrc::unterminated_string, 1, 10},
      {"@ 60 TXT ab\\\n", dns::ZoneErrc::bad_escape, 1, 12},
      {"@ 60 TXT \"\\256\"\n", dns::ZoneErrc::bad_escape, 1, 10},
      {"   60 A 1.2.3.4\n", dns::ZoneErrc::no_owner, 1, 4},
      {"@ 60 IN A 1.2.3.4\n@ 60 CH A 1.2.3.4\n", dns::ZoneErrc::class_mismatch, 2, 1},
      {"$FOO bar\n", dns::ZoneErrc::bad_directive, 1, 1},
      {"$TTL 1x\n", dns::ZoneErrc::bad_ttl, 1, 6},
      {"@ 2147483648 A 1.2.3.4\n", dns::ZoneErrc::bad_ttl, 1, 3},
      {"a..b 60 A 1.2.3.4\n", dns::ZoneErrc::bad_name, 1, 1},
      {"@ 60 MX 10\n", dns::ZoneErrc::bad_rdata, 1, 6},
      {"@ 60 NSEC3 1 0 0 - 2t7b4g4vsa5smi47k61mv5bv1a22boj= A\n", dns::ZoneErrc::bad_rdata, 1, 20},
      {"@ 60 DNSKEY 256 3 8 AQ=A\n", dns::ZoneErrc::bad_rdata, 1, 21},
      {"@ 60 CAA 0 is-sue \"x\"\n", dns::ZoneErrc::bad_rdata, 1, 12},
      {"@ 60 RRSIG A 8 2 60 20241301000000 20240101000000 1 @ AA==\n", dns::ZoneErrc::bad_rdata, 1, 21},
      {"@ 60 OPT \\# 0\n", dns::ZoneErrc::unknown_type, 1, 6},
      {"$INCLUDE x.inc\n", dns::ZoneErrc::include_forbidden, 1, 10},
  };
  for (const BadCase& c : cases) {
    const auto p = parse(c.text);
    ASSERT_FALSE(p.ok) << c.text;
    EXPECT_EQ(dns::zone_errc_name(p.err.code), dns::zone_errc_name(c.code)) << c.text << " -> " << p.err.message;
    EXPECT_EQ(p.err.line, c.line) << c.text << " -> " << p.err.message;
    EXPECT_EQ(p.err.column, c.column) << c.text << " -> " << p.err.message;
    EXPECT_EQ(p.err.file, "db.test");
    EXPECT_EQ(p.err.message.rfind("db.test:" + std::to_string(c.line) + ":" + std::to_string(c.column) + ": ", 0), 0u)
        << p.err.message;
  }
  // No TTL anywhere and no default.
  dns::ZoneRecords r;
  dns::ZoneError e;
  EXPECT_FALSE(dns::parse_zone("a.example. A 1.2.3.4\n", {}, r.sink(), &e));
  EXPECT_EQ(e.code, dns::ZoneErrc::no_ttl);
}

TEST(dnsZone, Limits) {
  dns::ZoneOptions opt;
  opt.limits.max_line_bytes = 40;
  auto p = parse("@ 60 TXT \"" + std::string(50, 'x') + "\"\n", opt);
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.err.code, dns::ZoneErrc::line_too_long);
  opt = {};
  opt.limits.max_records = 2;
  p = parse("a 60 A 1.2.3.4\nb 60 A 1.2.3.4\nc 60 A 1.2.3.4\n", opt);
  EXPECT_EQ(p.err.code, dns::ZoneErrc::too_many_records);
  EXPECT_EQ(p.err.line, 3u);
  opt = {};
  opt.limits.max_rdata_bytes = 100;
  p = parse("@ 60 TXT " + std::string(60, 'a') + " " + std::string(60, 'b') + "\n", opt);
  EXPECT_EQ(p.err.code, dns::ZoneErrc::rdata_too_large);
  p = parse("@ 60 HINFO \"" + std::string(256, 'a') + "\" os\n");
  EXPECT_EQ(p.err.code, dns::ZoneErrc::bad_rdata);
  // The sink may refuse.
  dns::ZoneOptions o2;
  o2.default_ttl = 1;
  dns::ZoneError e;
  auto r = dns::parse_zone("a.example. A 1.2.3.4\n", o2,
                           [](const dns::ZoneRecord&) -> zp::Result<void> { return zp::fail(ENOSPC); }, &e);
  EXPECT_FALSE(r);
  EXPECT_EQ(e.code, dns::ZoneErrc::rejected);
}

TEST(dnsZone, IncludeConfinedAndBounded) {
  std::map<std::string, std::string> files = {
      {"a.inc", "a 60 A 192.0.2.1\n$INCLUDE sub/b.inc\n"},
      {"sub/b.inc", "b 60 A 192.0.2.2\n"},
      {"o.inc", "@ 60 A 192.0.2.3\nrel 60 CNAME @\n"},
      {"loop.inc", "$INCLUDE loop.inc\n"},
      {"bad.inc", "x 60 A 1.2.3\n"},
  };
  std::vector<std::string> asked;
  dns::ZoneOptions opt;
  opt.include = [&](std::string_view path) -> zp::Result<std::string> {
    asked.emplace_back(path);
    auto it = files.find(std::string(path));
    if (it == files.end()) return zp::fail(ENOENT);
    return it->second;
  };
  auto p = parse("$INCLUDE a.inc\n$INCLUDE o.inc other.example.\nafter 60 A 192.0.2.9\n", opt);
  ASSERT_TRUE(p.ok) << p.err.message;
  ASSERT_EQ(p.lines.size(), 5u);
  EXPECT_EQ(p.lines[1], "b.example.com.\t60\tIN\tA\t192.0.2.2");
  EXPECT_EQ(p.lines[2], "other.example.\t60\tIN\tA\t192.0.2.3");
  EXPECT_EQ(p.lines[3], "rel.other.example.\t60\tIN\tCNAME\tother.example.");
  EXPECT_EQ(p.lines[4], "after.example.com.\t60\tIN\tA\t192.0.2.9");  // origin restored
  for (const char* escape : {"$INCLUDE ../etc/passwd\n", "$INCLUDE /etc/passwd\n", "$INCLUDE sub/../../x\n",
                             "$INCLUDE ..\n"}) {
    asked.clear();
    p = parse(escape, opt);
    EXPECT_EQ(p.err.code, dns::ZoneErrc::include_forbidden) << escape;
    EXPECT_TRUE(asked.empty()) << escape;  // never reached the resolver
  }
  p = parse("$INCLUDE loop.inc\n", opt);
  EXPECT_EQ(p.err.code, dns::ZoneErrc::include_depth);
  p = parse("$INCLUDE missing.inc\n", opt);
  EXPECT_EQ(p.err.code, dns::ZoneErrc::include_failed);
  p = parse("\n$INCLUDE bad.inc\n", opt);
  EXPECT_EQ(p.err.code, dns::ZoneErrc::bad_rdata);
  EXPECT_EQ(p.err.file, "bad.inc");  // errors name the included file
  EXPECT_EQ(p.err.line, 1u);
  EXPECT_EQ(p.err.column, 8u);
}

}  // namespace
