// SMTP command lines (RFC 5321 4.1, Appendix D), paths (4.1.2), limits (4.5.3.1) and ESMTP
// parameters (RFC 1870, 6152, 6531, 4954, 3461, 3030).
#include "zp/codec/smtp/command.h"

#include <gtest/gtest.h>

#include <string>

namespace zp::codec::smtp {
namespace {

struct Parsed {
  ParseResult r;
  Command cmd;
};

Parsed parse(std::string_view line, Limits limits = {}, Context ctx = {}) {
  Parsed p;
  p.r = parse_command(line, limits, p.cmd, ctx);
  return p;
}

Errc error_of(std::string_view line, Limits limits = {}, Context ctx = {}) {
  const Parsed p = parse(line, limits, ctx);
  return p.r.status == Status::error ? p.r.error : Errc::ok;
}

TEST(SmtpCommand, AppendixD1Transaction) {
  // RFC 5321 D.1, client side.
  const char* lines[] = {"EHLO bar.com\r\n", "MAIL FROM:<Smith@bar.com>\r\n", "RCPT TO:<Jones@foo.com>\r\n",
                         "RCPT TO:<Green@foo.com>\r\n", "RCPT TO:<Brown@foo.com>\r\n", "DATA\r\n", "QUIT\r\n"};
  const Verb verbs[] = {Verb::ehlo, Verb::mail, Verb::rcpt, Verb::rcpt, Verb::rcpt, Verb::data, Verb::quit};
  for (std::size_t i = 0; i < std::size(lines); ++i) {
    const Parsed p = parse(lines[i]);
    ASSERT_EQ(p.r.status, Status::ok) << lines[i] << errc_name(p.r.error);
    EXPECT_EQ(p.r.consumed, std::string_view(lines[i]).size());
    EXPECT_EQ(p.cmd.verb, verbs[i]);
  }
  const Parsed m = parse("MAIL FROM:<Smith@bar.com>\r\n");
  EXPECT_EQ(m.cmd.path.mailbox, "Smith@bar.com");
  EXPECT_EQ(m.cmd.path.local_part, "Smith");
  EXPECT_EQ(m.cmd.path.domain, "bar.com");
  EXPECT_EQ(parse("EHLO bar.com\r\n").cmd.domain, "bar.com");
}

TEST(SmtpCommand, VerbsCaseInsensitive) {
  EXPECT_EQ(parse("ehlo x.org\r\n").cmd.verb, Verb::ehlo);
  EXPECT_EQ(parse("mAiL fRoM:<a@b.c>\r\n").cmd.verb, Verb::mail);
  EXPECT_EQ(parse("rcpt to:<a@b.c>\r\n").cmd.verb, Verb::rcpt);
  EXPECT_EQ(parse("StartTLS\r\n").cmd.verb, Verb::starttls);
  EXPECT_EQ(parse("noop anything at all\r\n").cmd.verb, Verb::noop);
  EXPECT_EQ(parse("HELP MAIL\r\n").cmd.verb, Verb::help);
  EXPECT_EQ(parse("RSET\r\n").cmd.verb, Verb::rset);
  EXPECT_EQ(parse("VRFY Smith\r\n").cmd.arg, "Smith");
  EXPECT_EQ(parse("EXPN Example-People\r\n").cmd.verb, Verb::expn);
}

TEST(SmtpCommand, Errors) {
  EXPECT_EQ(error_of("FOO bar\r\n"), Errc::unknown_command);
  EXPECT_EQ(error_of("MAILFROM:<a@b.c>\r\n"), Errc::unknown_command);
  EXPECT_EQ(error_of("DATA now\r\n"), Errc::syntax);
  EXPECT_EQ(error_of("QUIT \r\n"), Errc::syntax);
  EXPECT_EQ(error_of("EHLO\r\n"), Errc::syntax);
  EXPECT_EQ(error_of("HELO [1.2.3.4]\r\n"), Errc::syntax);  // HELO takes a domain only
  EXPECT_EQ(error_of("EHLO -bad.com\r\n"), Errc::syntax);
  EXPECT_EQ(error_of("VRFY\r\n"), Errc::syntax);
  EXPECT_EQ(error_of("MAIL TO:<a@b.c>\r\n"), Errc::syntax);
  EXPECT_EQ(error_of("MAIL FROM: <a@b.c>\r\n"), Errc::syntax);
  EXPECT_EQ(error_of("MAIL FROM:a@b.c\r\n"), Errc::syntax);
  EXPECT_EQ(error_of("MAIL FROM:<a@b.c> \r\n"), Errc::syntax);
  EXPECT_EQ(error_of("MAIL FROM:<a@b.c>  SIZE=1\r\n"), Errc::syntax);
  EXPECT_EQ(error_of("MAIL FROM:<a@b.c>SIZE=1\r\n"), Errc::syntax);
  EXPECT_EQ(error_of("NOOP x\x01\r\n"), Errc::syntax);
  // A whole-line error consumes the line so the session can answer and go on.
  const Parsed p = parse("FOO\r\nNOOP\r\n");
  EXPECT_EQ(p.r.consumed, 5u);
  // Leniency, named.
  Limits lenient;
  lenient.allow_space_after_colon = true;
  EXPECT_EQ(error_of("MAIL FROM: <a@b.c>\r\n", lenient), Errc::ok);
}

TEST(SmtpCommand, LineFraming) {
  EXPECT_EQ(parse("NOOP").r.status, Status::need_more);
  EXPECT_EQ(parse("NOOP\r").r.status, Status::need_more);
  EXPECT_EQ(error_of("NOOP\n"), Errc::bare_lf);
  EXPECT_EQ(error_of("NOOP\rx\r\n"), Errc::bare_cr);
  EXPECT_EQ(error_of("MAIL FROM:<a@b.c>\nRCPT TO:<x@y.z>\r\n"), Errc::bare_lf);
  EXPECT_EQ(error_of(std::string_view("NO\0OP\r\n", 7)), Errc::nul);
  EXPECT_EQ(parse("NOOP\n").r.consumed, 0u);
  // 512 octets including CRLF (4.5.3.1.4).
  const std::string ok = "NOOP " + std::string(512 - 7, 'x') + "\r\n";
  ASSERT_EQ(ok.size(), 512u);
  EXPECT_EQ(parse(ok).r.status, Status::ok);
  const std::string too_long = "NOOP " + std::string(512 - 6, 'x') + "\r\n";
  EXPECT_EQ(error_of(too_long), Errc::line_too_long);
  EXPECT_EQ(error_of(std::string(600, 'x')), Errc::line_too_long);  // without waiting for CRLF
  Limits big;
  big.max_line_bytes = 2048;
  EXPECT_EQ(parse(too_long, big).r.status, Status::ok);
}

TEST(SmtpCommand, SplitInputEverySplitPoint) {
  const std::string line = "MAIL FROM:<\"a b\"@[IPv6:2001:db8::1]> SIZE=123 BODY=8BITMIME\r\n";
  for (std::size_t k = 0; k < line.size(); ++k) {
    EXPECT_EQ(parse(std::string_view(line).substr(0, k)).r.status, Status::need_more) << k;
  }
  const Parsed p = parse(line);
  ASSERT_EQ(p.r.status, Status::ok) << errc_name(p.r.error);
  EXPECT_EQ(p.cmd.mail.size, 123u);
  EXPECT_EQ(p.cmd.mail.body, Body::eight_bit_mime);
  EXPECT_EQ(p.cmd.path.local_part, "\"a b\"");
  EXPECT_TRUE(p.cmd.path.quoted);
  EXPECT_TRUE(p.cmd.path.domain_literal);
}

TEST(SmtpPath, NullAndPostmaster) {
  const Parsed m = parse("MAIL FROM:<>\r\n");
  ASSERT_EQ(m.r.status, Status::ok);
  EXPECT_TRUE(m.cmd.path.null);
  EXPECT_EQ(error_of("RCPT TO:<>\r\n"), Errc::bad_path);
  const Parsed r = parse("RCPT TO:<Postmaster>\r\n");
  ASSERT_EQ(r.r.status, Status::ok);
  EXPECT_TRUE(r.cmd.path.postmaster);
  EXPECT_EQ(parse("RCPT TO:<postmaster>\r\n").r.status, Status::ok);
  EXPECT_EQ(error_of("RCPT TO:<Smith>\r\n"), Errc::bad_path);
}

TEST(SmtpPath, SourceRouteAcceptedAndIgnored) {
  // RFC 5321 D.3 style source route.
  const Parsed p = parse("RCPT TO:<@hosta.int,@jkl.org:userc@d.bar.org>\r\n");
  ASSERT_EQ(p.r.status, Status::ok) << errc_name(p.r.error);
  EXPECT_EQ(p.cmd.path.mailbox, "userc@d.bar.org");
  EXPECT_EQ(p.cmd.path.domain, "d.bar.org");
  EXPECT_EQ(error_of("RCPT TO:<@hosta.int,:userc@d.bar.org>\r\n"), Errc::bad_path);
  EXPECT_EQ(error_of("RCPT TO:<@hosta.int userc@d.bar.org>\r\n"), Errc::bad_path);
}

TEST(SmtpPath, LocalParts) {
  Path p;
  EXPECT_EQ(parse_path("<a.b.c@x.org>", {}, false, p), Errc::ok);
  EXPECT_EQ(parse_path("<!#$%&'*+-/=?^_`{|}~@x.org>", {}, false, p), Errc::ok);
  EXPECT_EQ(parse_path("<\"John Doe\"@x.org>", {}, false, p), Errc::ok);
  EXPECT_EQ(p.local_part, "\"John Doe\"");
  EXPECT_EQ(parse_path("<\"a\\\"b\\\\c\"@x.org>", {}, false, p), Errc::ok);
  EXPECT_EQ(parse_path("<\"a@b\"@x.org>", {}, false, p), Errc::ok);
  EXPECT_EQ(p.domain, "x.org");
  EXPECT_EQ(parse_path("<\"\"@x.org>", {}, false, p), Errc::ok);
  EXPECT_EQ(parse_path("<.a@x.org>", {}, false, p), Errc::bad_path);
  EXPECT_EQ(parse_path("<a.@x.org>", {}, false, p), Errc::bad_path);
  EXPECT_EQ(parse_path("<a..b@x.org>", {}, false, p), Errc::bad_path);
  EXPECT_EQ(parse_path("<a b@x.org>", {}, false, p), Errc::bad_path);
  EXPECT_EQ(parse_path("<a(b)@x.org>", {}, false, p), Errc::bad_path);
  EXPECT_EQ(parse_path("<\"a\"b@x.org>", {}, false, p), Errc::bad_path);
  EXPECT_EQ(parse_path("<\"a\x01\"@x.org>", {}, false, p), Errc::bad_path);
  EXPECT_EQ(parse_path("<@x.org>", {}, false, p), Errc::bad_path);
  EXPECT_EQ(parse_path("<a@>", {}, false, p), Errc::bad_path);
  EXPECT_EQ(parse_path("<a>", {}, false, p), Errc::bad_path);
  EXPECT_EQ(parse_path("a@x.org", {}, false, p), Errc::bad_path);
}

TEST(SmtpPath, Domains) {
  EXPECT_TRUE(valid_domain("a.b-c.d9"));
  EXPECT_TRUE(valid_domain("localhost"));
  EXPECT_TRUE(valid_domain("9a.com"));
  EXPECT_FALSE(valid_domain("a-.com"));
  EXPECT_FALSE(valid_domain("-a.com"));
  EXPECT_FALSE(valid_domain("a..com"));
  EXPECT_FALSE(valid_domain("a.com."));
  EXPECT_FALSE(valid_domain(".a.com"));
  EXPECT_FALSE(valid_domain("a_b.com"));
  EXPECT_FALSE(valid_domain(""));
  EXPECT_FALSE(valid_domain(std::string(64, 'a') + ".com"));
  EXPECT_TRUE(valid_domain(std::string(63, 'a') + ".com"));
  EXPECT_FALSE(valid_domain("b\xc3\xbc\x63her.de"));
  EXPECT_TRUE(valid_domain("b\xc3\xbc\x63her.de", true));
}

TEST(SmtpPath, AddressLiterals) {
  EXPECT_TRUE(valid_address_literal("[192.0.2.1]"));
  EXPECT_TRUE(valid_address_literal("[0.0.0.0]"));
  EXPECT_FALSE(valid_address_literal("[256.0.0.1]"));
  EXPECT_FALSE(valid_address_literal("[1.2.3]"));
  EXPECT_FALSE(valid_address_literal("[1.2.3.4.5]"));
  EXPECT_FALSE(valid_address_literal("[1.2.3.0001]"));
  EXPECT_TRUE(valid_address_literal("[IPv6:2001:db8::1]"));
  EXPECT_TRUE(valid_address_literal("[IPv6:::1]"));
  EXPECT_TRUE(valid_address_literal("[IPv6:::]"));
  EXPECT_TRUE(valid_address_literal("[IPv6:1:2:3:4:5:6:7:8]"));
  EXPECT_TRUE(valid_address_literal("[IPv6:::ffff:192.0.2.1]"));
  EXPECT_TRUE(valid_address_literal("[IPv6:1:2:3:4:5:6:1.2.3.4]"));
  EXPECT_FALSE(valid_address_literal("[IPv6:1:2:3:4:5:6:7:8:9]"));
  EXPECT_FALSE(valid_address_literal("[IPv6:1::2::3]"));
  EXPECT_FALSE(valid_address_literal("[IPv6:12345::1]"));
  EXPECT_FALSE(valid_address_literal("[IPv6:1:2:3:4:5:6:7]"));
  EXPECT_FALSE(valid_address_literal("[IPv6:1:]"));
  EXPECT_FALSE(valid_address_literal("[IPv6::1]"));
  EXPECT_TRUE(valid_address_literal("[x-tag:some-content]"));
  EXPECT_FALSE(valid_address_literal("[x-tag:]"));
  EXPECT_FALSE(valid_address_literal("[]"));
  EXPECT_FALSE(valid_address_literal("1.2.3.4"));
  EXPECT_EQ(parse("EHLO [192.0.2.1]\r\n").r.status, Status::ok);
  EXPECT_EQ(parse("EHLO [IPv6:::1]\r\n").r.status, Status::ok);
  Path p;
  EXPECT_EQ(parse_path("<a@[192.0.2.1]>", {}, false, p), Errc::ok);
  EXPECT_TRUE(p.domain_literal);
  EXPECT_EQ(parse_path("<a@[192.0.2.256]>", {}, false, p), Errc::bad_path);
}

TEST(SmtpPath, Limits) {
  Path p;
  const std::string l64(64, 'l'), l65(65, 'l');
  EXPECT_EQ(parse_path("<" + l64 + "@x.org>", {}, false, p), Errc::ok);
  EXPECT_EQ(parse_path("<" + l65 + "@x.org>", {}, false, p), Errc::local_part_too_long);
  // 255-octet domain of 63-octet labels; path = 1 + 1 + 1 + 255 + 1 = 259 > 256.
  std::string d = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." + std::string(63, 'd');
  ASSERT_EQ(d.size(), 255u);
  EXPECT_EQ(parse_path("<a@" + d + ">", {}, false, p), Errc::path_too_long);
  Limits wide;
  wide.max_path = 1000;
  EXPECT_EQ(parse_path("<a@" + d + ">", wide, false, p), Errc::ok);
  EXPECT_EQ(parse_path("<a@" + d + "e>", wide, false, p), Errc::domain_too_long);
  EXPECT_EQ(parse_path("<a@" + std::string(64, 'a') + ".org>", {}, false, p), Errc::domain_too_long);
  // Exactly 256 octets passes.
  const std::string local(64, 'l');
  const std::string dom = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(61, 'c');
  const std::string path = "<" + local + "@" + dom + ">";
  ASSERT_EQ(path.size(), 256u);
  EXPECT_EQ(parse_path(path, {}, false, p), Errc::ok);
  EXPECT_EQ(parse_path("<" + local + "@" + dom + "c>", {}, false, p), Errc::path_too_long);
}

TEST(SmtpPath, Smtputf8) {
  // RFC 6531: UTF-8 only when MAIL carries SMTPUTF8 (and RCPT in such a transaction).
  EXPECT_EQ(error_of("MAIL FROM:<j\xc3\xb6rg@b\xc3\xbc\x63her.de>\r\n"), Errc::non_ascii_address);
  const Parsed m = parse("MAIL FROM:<j\xc3\xb6rg@b\xc3\xbc\x63her.de> SMTPUTF8\r\n");
  ASSERT_EQ(m.r.status, Status::ok) << errc_name(m.r.error);
  EXPECT_TRUE(m.cmd.mail.smtputf8);
  EXPECT_EQ(error_of("RCPT TO:<\xe7\x94\xa8\xe6\x88\xb7@example.com>\r\n"), Errc::non_ascii_address);
  EXPECT_EQ(error_of("RCPT TO:<\xe7\x94\xa8\xe6\x88\xb7@example.com>\r\n", {}, Context{.smtputf8 = true}), Errc::ok);
  // Malformed UTF-8 is refused even then.
  EXPECT_EQ(error_of("MAIL FROM:<\xc3@x.org> SMTPUTF8\r\n"), Errc::non_ascii_address);
  EXPECT_EQ(error_of("MAIL FROM:<\xed\xa0\x80@x.org> SMTPUTF8\r\n"), Errc::non_ascii_address);  // surrogate
  EXPECT_EQ(error_of("MAIL FROM:<\"\xc3\xa9\"@x.org> SMTPUTF8\r\n"), Errc::ok);
  EXPECT_EQ(error_of("MAIL FROM:<a@x.org> SMTPUTF8=yes\r\n"), Errc::bad_parameter);
}

TEST(SmtpParams, MailParameters) {
  const Parsed p = parse("MAIL FROM:<a@b.c> SIZE=10240 BODY=7BIT AUTH=e+3Dmc2@example.com RET=HDRS ENVID=QQ314159\r\n");
  ASSERT_EQ(p.r.status, Status::ok) << errc_name(p.r.error);
  EXPECT_TRUE(p.cmd.mail.has_size);
  EXPECT_EQ(p.cmd.mail.size, 10240u);
  EXPECT_EQ(p.cmd.mail.body, Body::seven_bit);
  EXPECT_EQ(p.cmd.mail.auth, "e+3Dmc2@example.com");
  EXPECT_EQ(p.cmd.mail.ret, Ret::hdrs);
  EXPECT_EQ(p.cmd.mail.envid, "QQ314159");
  EXPECT_EQ(parse("MAIL FROM:<a@b.c> AUTH=<>\r\n").cmd.mail.auth, "<>");
  EXPECT_EQ(parse("MAIL FROM:<a@b.c> body=binarymime\r\n").cmd.mail.body, Body::binary_mime);
  EXPECT_EQ(error_of("MAIL FROM:<a@b.c> SIZE=abc\r\n"), Errc::bad_parameter);
  EXPECT_EQ(error_of("MAIL FROM:<a@b.c> SIZE=\r\n"), Errc::bad_parameter);
  EXPECT_EQ(error_of("MAIL FROM:<a@b.c> SIZE\r\n"), Errc::bad_parameter);
  EXPECT_EQ(error_of("MAIL FROM:<a@b.c> SIZE=99999999999999999999\r\n"), Errc::bad_parameter);
  EXPECT_EQ(error_of("MAIL FROM:<a@b.c> SIZE=1 SIZE=2\r\n"), Errc::duplicate_parameter);
  EXPECT_EQ(error_of("MAIL FROM:<a@b.c> BODY=9BIT\r\n"), Errc::bad_parameter);
  EXPECT_EQ(error_of("MAIL FROM:<a@b.c> RET=ALL\r\n"), Errc::bad_parameter);
  EXPECT_EQ(error_of("MAIL FROM:<a@b.c> ENVID=a+3d\r\n"), Errc::bad_xtext);  // lower-case hex
  EXPECT_EQ(error_of("MAIL FROM:<a@b.c> ENVID=" + std::string(101, 'x') + "\r\n"), Errc::bad_parameter);
  EXPECT_EQ(error_of("MAIL FROM:<a@b.c> XFOO=1\r\n"), Errc::unknown_parameter);
  EXPECT_EQ(error_of("MAIL FROM:<a@b.c> NOTIFY=NEVER\r\n"), Errc::unknown_parameter);
  EXPECT_EQ(error_of("MAIL FROM:<a@b.c> SIZE=1=2\r\n"), Errc::bad_parameter);
}

TEST(SmtpParams, RcptDsnParameters) {
  // RFC 3461 examples.
  const Parsed p = parse("RCPT TO:<Bob@Example.COM> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob@Example.COM\r\n");
  ASSERT_EQ(p.r.status, Status::ok) << errc_name(p.r.error);
  EXPECT_EQ(p.cmd.rcpt.notify, notify_success | notify_failure);
  EXPECT_EQ(p.cmd.rcpt.orcpt_type, "rfc822");
  EXPECT_EQ(p.cmd.rcpt.orcpt, "Bob@Example.COM");
  EXPECT_EQ(parse("RCPT TO:<a@b.c> NOTIFY=NEVER\r\n").cmd.rcpt.notify, notify_never);
  EXPECT_EQ(error_of("RCPT TO:<a@b.c> NOTIFY=NEVER,DELAY\r\n"), Errc::bad_parameter);
  EXPECT_EQ(error_of("RCPT TO:<a@b.c> NOTIFY=DELAY,DELAY\r\n"), Errc::bad_parameter);
  EXPECT_EQ(error_of("RCPT TO:<a@b.c> NOTIFY=SOMETIMES\r\n"), Errc::bad_parameter);
  EXPECT_EQ(error_of("RCPT TO:<a@b.c> ORCPT=Bob@Example.COM\r\n"), Errc::bad_parameter);
  EXPECT_EQ(error_of("RCPT TO:<a@b.c> ORCPT=rfc822;\r\n"), Errc::bad_xtext);
  EXPECT_EQ(error_of("RCPT TO:<a@b.c> SIZE=1\r\n"), Errc::unknown_parameter);
}

TEST(SmtpParams, Xtext) {
  char buf[64];
  auto n = xtext_decode("e+3Dmc2@example.com", buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string_view(buf, *n), "e=mc2@example.com");
  EXPECT_FALSE(xtext_decode("a+3", buf));
  EXPECT_FALSE(xtext_decode("a+3g", buf));
  EXPECT_FALSE(xtext_decode("a=b", buf));
  EXPECT_FALSE(xtext_decode("a b", buf));
  EXPECT_FALSE(xtext_decode("abc", std::span<char>(buf, 2)));
  const std::string raw = "a+b=c d\x01\xff";
  auto e = xtext_encode(raw, buf);
  ASSERT_TRUE(e);
  EXPECT_EQ(std::string_view(buf, *e), "a+2Bb+3Dc+20d+01+FF");
  char back[64];
  auto d = xtext_decode(std::string_view(buf, *e), back);
  ASSERT_TRUE(d);
  EXPECT_EQ(std::string_view(back, *d), raw);
  EXPECT_FALSE(xtext_encode("+", std::span<char>(buf, 2)));
}

TEST(SmtpCommand, BdatAndAuth) {
  // RFC 3030 examples.
  const Parsed b = parse("BDAT 86 LAST\r\n");
  ASSERT_EQ(b.r.status, Status::ok);
  EXPECT_EQ(b.cmd.chunk_size, 86u);
  EXPECT_TRUE(b.cmd.last);
  const Parsed b2 = parse("BDAT 0\r\n");
  EXPECT_EQ(b2.cmd.chunk_size, 0u);
  EXPECT_FALSE(b2.cmd.last);
  EXPECT_EQ(error_of("BDAT\r\n"), Errc::syntax);
  EXPECT_EQ(error_of("BDAT x\r\n"), Errc::bad_chunk);
  EXPECT_EQ(error_of("BDAT 10 FIRST\r\n"), Errc::syntax);
  EXPECT_EQ(error_of("BDAT -1\r\n"), Errc::bad_chunk);
  // RFC 4954 examples.
  const Parsed a = parse("AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=\r\n");
  ASSERT_EQ(a.r.status, Status::ok);
  EXPECT_EQ(a.cmd.mechanism, "PLAIN");
  EXPECT_EQ(a.cmd.initial_response, "dGVzdAB0ZXN0ADEyMzQ=");
  EXPECT_EQ(parse("AUTH PLAIN =\r\n").cmd.initial_response, "=");
  const Parsed l = parse("AUTH LOGIN\r\n");
  EXPECT_EQ(l.cmd.mechanism, "LOGIN");
  EXPECT_TRUE(l.cmd.initial_response.empty());
  EXPECT_EQ(parse("AUTH CRAM-MD5\r\n").cmd.mechanism, "CRAM-MD5");
  EXPECT_EQ(error_of("AUTH\r\n"), Errc::syntax);
  EXPECT_EQ(error_of("AUTH PL@IN\r\n"), Errc::syntax);
  EXPECT_EQ(error_of("AUTH PLAIN a*b\r\n"), Errc::bad_base64);
}

TEST(SmtpErrc, RepliesAndNames) {
  EXPECT_EQ(reply_for(Errc::bare_lf).code, 500);
  EXPECT_EQ(reply_for(Errc::unknown_command).enhanced, "5.5.1");
  EXPECT_EQ(reply_for(Errc::syntax).code, 501);
  EXPECT_EQ(reply_for(Errc::bad_path).code, 553);
  EXPECT_EQ(reply_for(Errc::unknown_parameter).code, 555);
  EXPECT_EQ(reply_for(Errc::message_too_large).code, 552);
  EXPECT_EQ(reply_for(Errc::ok).code, 0);
  EXPECT_EQ(errc_name(Errc::bare_cr), "bare_cr");
  EXPECT_EQ(errc_name(static_cast<Errc>(999)), "");
  const std::error_code ec = Errc::bare_lf;
  EXPECT_STREQ(ec.category().name(), "zp.codec.smtp");
  EXPECT_EQ(ec.message(), "bare <LF> received");
  EXPECT_EQ(verb_name(Verb::starttls), "STARTTLS");
}

}  // namespace
}  // namespace zp::codec::smtp
