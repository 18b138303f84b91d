// dns zone parser, the corners the example zones do not reach: TTL seconds units, numeric
// RRSIG times (RFC 4034 §3.2), CR inside comments, the token and last-line limits, malformed
// RFC 3597 "\#" lengths and hex, a missing type, bad origins, and rdata_from_text's own
// tokenizer (comments, quoted strings, escapes).
#include <gtest/gtest.h>

#include <string>

#include "dns_test_util.h"
#include "zp/codec/dns/rdata.h"
#include "zp/codec/dns/zone.h"

namespace {

using namespace zp_dns_test;

struct Parsed {
  bool ok = false;
  dns::ZoneRecords recs;
  dns::ZoneError err;
};

Parsed parse(std::string_view text, dns::ZoneOptions opt = {}) {
  Parsed p;
  if (opt.origin.empty()) opt.origin = "example.com.";
  auto r = dns::parse_zone(text, opt, p.recs.sink(), &p.err);
  p.ok = r.ok();
  return p;
}

TEST(dnsZoneEdge, TtlSecondsUnit) {
  const auto p = parse("a 30s A 192.0.2.1\nb 1h30m15S A 192.0.2.2\n");
  ASSERT_TRUE(p.ok) << p.err.message;
  ASSERT_EQ(p.recs.size(), 2u);
  EXPECT_EQ(p.recs[0].ttl, 30u);
  EXPECT_EQ(p.recs[1].ttl, 3600u + 1800u + 15u);
  EXPECT_EQ(parse("a 1s30 A 192.0.2.1\n").recs[0].ttl, 31u);  // trailing seconds, as BIND
  EXPECT_EQ(parse("a 1x A 192.0.2.1\n").err.code, dns::ZoneErrc::bad_ttl);
}

TEST(dnsZoneEdge, RrsigTimesAsSecondsSinceEpoch) {
  // RFC 4034 §3.2: the times may be written as an unsigned decimal number of seconds too.
  const auto p = parse("host 86400 IN RRSIG A 5 3 86400 1048354263 1045762263 2642 example.com. dGVzdA==\n");
  ASSERT_TRUE(p.ok) << p.err.message;
  ASSERT_EQ(p.recs.size(), 1u);
  auto s = dns::rrsig_view(p.recs[0].view());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->expiration, 1048354263u);
  EXPECT_EQ(s->inception, 1045762263u);
  std::string text;
  dns::rdata_to_text(p.recs[0].view(), text);
  EXPECT_EQ(text.substr(0, 40), "A 5 3 86400 20030322173103 2003022017310");  // printed as dates
  EXPECT_EQ(parse("h 60 RRSIG A 5 3 60 4294967296 0 1 example.com. AA==\n").err.code, dns::ZoneErrc::bad_rdata);
}

TEST(dnsZoneEdge, CrInACommentIsACrlfFile) {
  const std::string text = "a 60 A 192.0.2.1 ; a comment\r\nb 60 A 192.0.2.2\r\n";
  auto p = parse(text);
  ASSERT_FALSE(p.ok);
  EXPECT_EQ(p.err.code, dns::ZoneErrc::crlf);
  EXPECT_EQ(p.err.line, 1u);
  EXPECT_EQ(p.err.column, 29u);
  dns::ZoneOptions lenient;
  lenient.allow_crlf = true;
  p = parse(text, lenient);
  ASSERT_TRUE(p.ok) << p.err.message;
  EXPECT_EQ(p.recs.size(), 2u);
}

TEST(dnsZoneEdge, TokenAndLastLineLimits) {
  dns::ZoneOptions opt;
  opt.limits.max_entry_tokens = 5;
  auto p = parse("a 60 TXT x y\n", opt);
  ASSERT_TRUE(p.ok) << p.err.message;
  p = parse("a 60 TXT x y z\n", opt);
  ASSERT_FALSE(p.ok);
  EXPECT_EQ(p.err.code, dns::ZoneErrc::syntax);
  EXPECT_EQ(p.err.column, 14u);
  // A parenthesised entry counts the tokens of all its lines.
  p = parse("a 60 TXT ( x\n y\n z )\n", opt);
  EXPECT_EQ(p.err.code, dns::ZoneErrc::syntax);
  EXPECT_EQ(p.err.line, 3u);
  // The last line counts even without its newline.
  dns::ZoneOptions short_lines;
  short_lines.limits.max_line_bytes = 16;
  p = parse("a 60 A 192.0.2.1\nb 60 A 192.0.2.22", short_lines);
  ASSERT_FALSE(p.ok);
  EXPECT_EQ(p.err.code, dns::ZoneErrc::line_too_long);
  EXPECT_EQ(p.err.line, 2u);
  EXPECT_TRUE(parse("a 60 A 192.0.2.1\nb 60 A 192.0.2.2", short_lines).ok);
}

TEST(dnsZoneEdge, GenericRdataMalformed) {
  for (const char* text : {"a 60 TYPE99 \\# x 00\n", "a 60 TYPE99 \\#\n", "a 60 TYPE99 \\# 70000 00\n",
                           "a 60 TYPE99 \\# 2 zz00\n", "a 60 TYPE99 \\# 2 0g00\n", "a 60 TYPE99 \\# 2 000\n",
                           "a 60 TYPE99 \\# 2 00\n"}) {
    const auto p = parse(text);
    EXPECT_FALSE(p.ok) << text;
    EXPECT_EQ(p.err.code, dns::ZoneErrc::bad_rdata) << text << " -> " << p.err.message;
  }
  const auto ok = parse("a 60 TYPE99 \\# 2 aBcD\n");
  ASSERT_TRUE(ok.ok) << ok.err.message;
  EXPECT_EQ(to_hex(ok.recs[0].rdata), "abcd");
}

TEST(dnsZoneEdge, MissingTypeAndBadOrigins) {
  auto p = parse("a 60 IN\n");
  ASSERT_FALSE(p.ok);
  EXPECT_EQ(p.err.code, dns::ZoneErrc::syntax);
  EXPECT_NE(p.err.message.find("missing record type"), std::string::npos) << p.err.message;
  EXPECT_EQ(p.err.column, 6u);
  p = parse("$ORIGIN a..b.\n");
  EXPECT_EQ(p.err.code, dns::ZoneErrc::bad_name);
  EXPECT_EQ(p.err.column, 9u);
  p = parse("$ORIGIN \"quoted.example.\"\n");
  EXPECT_EQ(p.err.code, dns::ZoneErrc::bad_name);
  // The caller's origin itself: reported before any line is read.
  dns::ZoneOptions opt;
  opt.origin = "a..b.";
  opt.file_name = "db.bad";
  p = parse("a 60 A 192.0.2.1\n", opt);
  ASSERT_FALSE(p.ok);
  EXPECT_EQ(p.err.code, dns::ZoneErrc::bad_name);
  EXPECT_EQ(p.err.line, 0u);
  EXPECT_EQ(p.err.message, "db.bad:0:0: bad origin 'a..b.'");
  EXPECT_TRUE(p.recs.size() == 0);
}

TEST(dnsZoneEdge, RdataFromTextTokenizer) {
  std::byte out[64];
  const Bytes origin = wire_name("example.");
  // Comments end the line; parentheses and line breaks are white space.
  auto n = dns::rdata_from_text(dns::rrtype::mx, "( 10 ; preference\n mail )", origin, out);
  ASSERT_TRUE(n);
  EXPECT_EQ(to_hex(std::span<const std::byte>(out, *n)), "000a" "046d61696c076578616d706c6500");
  // Quoted strings keep their spaces and escaped quotes; \DDD escapes in bare tokens.
  n = dns::rdata_from_text(dns::rrtype::txt, "\"a \\\"b\" c\\032d", origin, out);
  ASSERT_TRUE(n);
  EXPECT_EQ(to_hex(std::span<const std::byte>(out, *n)), "0461202262" "03632064");
  auto bad = dns::rdata_from_text(dns::rrtype::txt, "\"open", origin, out);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), dns::ZoneErrc::unterminated_string);
  bad = dns::rdata_from_text(dns::rrtype::txt, "ab\\", origin, out);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), dns::ZoneErrc::bad_escape);
  bad = dns::rdata_from_text(dns::rrtype::txt, "abcdef", origin, std::span<std::byte>(out, 4));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), dns::ZoneErrc::rdata_too_large);
  const Bytes too_long(256, std::byte{1});
  bad = dns::rdata_from_text(dns::rrtype::mx, "10 mail", too_long, out);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), dns::ZoneErrc::bad_name);
}

}  // namespace
