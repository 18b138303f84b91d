// SMTP replies (RFC 5321 4.2, Appendix D), enhanced status codes (RFC 3463, RFC 2034) and
// EHLO extension lists (RFC 5321 4.1.1.1).
#include "zp/codec/smtp/reply.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace zp::codec::smtp {
namespace {

TEST(SmtpReply, MultiLineEhlo) {
  // RFC 5321 D.1, server side, with extensions.
  const std::string in =
      "250-foo.com greets bar.com\r\n250-8BITMIME\r\n250-SIZE 10240000\r\n250-DSN\r\n"
      "250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250-CHUNKING\r\n"
      "250-AUTH PLAIN LOGIN CRAM-MD5\r\n250-SMTPUTF8\r\n250 HELP\r\nMAIL";
  std::array<std::string_view, 16> lines{};
  Reply rep;
  const ParseResult r = parse_reply(in, {}, rep, lines);
  ASSERT_EQ(r.status, Status::ok) << errc_name(r.error);
  EXPECT_EQ(r.consumed, in.size() - 4);
  EXPECT_EQ(rep.code, 250);
  ASSERT_EQ(rep.lines.size(), 11u);
  EXPECT_EQ(rep.lines[0], "foo.com greets bar.com");
  EXPECT_EQ(rep.lines[10], "HELP");
  EXPECT_FALSE(rep.enhanced);
  const Extensions x = parse_ehlo(rep);
  EXPECT_EQ(x.domain, "foo.com");
  EXPECT_TRUE(x.eight_bit_mime && x.size && x.dsn && x.pipelining && x.enhanced_status_codes && x.starttls &&
              x.chunking && x.smtputf8);
  EXPECT_FALSE(x.binary_mime);
  EXPECT_EQ(x.max_size, 10240000u);
  EXPECT_EQ(x.auth, "PLAIN LOGIN CRAM-MD5");
  EXPECT_TRUE(x.has_auth("login"));
  EXPECT_TRUE(x.has_auth("CRAM-MD5"));
  EXPECT_FALSE(x.has_auth("XOAUTH2"));
  EXPECT_EQ(split_ehlo_line("SIZE 1").params, "1");
}

TEST(SmtpReply, SplitInputEverySplitPoint) {
  const std::string in = "250-first\r\n250-second\r\n250 last\r\n";
  std::array<std::string_view, 8> lines{};
  Reply rep;
  for (std::size_t k = 0; k < in.size(); ++k)
    EXPECT_EQ(parse_reply(std::string_view(in).substr(0, k), {}, rep, lines).status, Status::need_more) << k;
  EXPECT_EQ(parse_reply(in, {}, rep, lines).status, Status::ok);
}

TEST(SmtpReply, EnhancedCodes) {
  std::array<std::string_view, 4> lines{};
  Reply rep;
  ASSERT_EQ(parse_reply("550 5.1.1 User unknown\r\n", {}, rep, lines).status, Status::ok);
  EXPECT_EQ(rep.code, 550);
  ASSERT_TRUE(rep.enhanced);
  EXPECT_EQ(rep.enhanced.cls, 5);
  EXPECT_EQ(rep.enhanced.subject, 1);
  EXPECT_EQ(rep.enhanced.detail, 1);
  EXPECT_EQ(rep.text(0), "User unknown");
  // A class that disagrees with the code is not taken as an enhanced code.
  ASSERT_EQ(parse_reply("250 5.1.1 odd\r\n", {}, rep, lines).status, Status::ok);
  EXPECT_FALSE(rep.enhanced);
  EXPECT_EQ(rep.text(0), "5.1.1 odd");
  EXPECT_EQ(parse_enhanced("4.7.123 x").code.detail, 123);
  EXPECT_EQ(parse_enhanced("2.0.0").size, 5u);
  EXPECT_FALSE(parse_enhanced("3.0.0 x").code);
  EXPECT_FALSE(parse_enhanced("2.0000.0 x").code);
  EXPECT_FALSE(parse_enhanced("2.0.0x").code);
  EXPECT_FALSE(parse_enhanced("2..0 x").code);
  // Bare code line.
  ASSERT_EQ(parse_reply("354\r\n", {}, rep, lines).status, Status::ok);
  EXPECT_EQ(rep.code, 354);
  EXPECT_EQ(rep.lines[0], "");
}

TEST(SmtpReply, Errors) {
  std::array<std::string_view, 3> lines{};
  Reply rep;
  EXPECT_EQ(parse_reply("250-a\r\n251 b\r\n", {}, rep, lines).error, Errc::bad_reply);
  EXPECT_EQ(parse_reply("25 x\r\n", {}, rep, lines).error, Errc::bad_reply);
  EXPECT_EQ(parse_reply("250_x\r\n", {}, rep, lines).error, Errc::bad_reply);
  EXPECT_EQ(parse_reply("650 x\r\n", {}, rep, lines).error, Errc::bad_reply);
  EXPECT_EQ(parse_reply("160 x\r\n", {}, rep, lines).error, Errc::bad_reply);
  EXPECT_EQ(parse_reply("250 x\n", {}, rep, lines).error, Errc::bare_lf);
  EXPECT_EQ(parse_reply("250-a\r\n250-b\r\n250-c\r\n250 d\r\n", {}, rep, lines).error, Errc::too_many_reply_lines);
  EXPECT_EQ(parse_reply("250 " + std::string(600, 'x') + "\r\n", {}, rep, lines).error, Errc::line_too_long);
}

TEST(SmtpReply, SerializeAndRoundTrip) {
  char out[256];
  auto n = serialize_reply(250, "2.1.0", {"Ok"}, out);
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string_view(out, *n), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(*n, reply_size("2.1.0", std::array<std::string_view, 1>{"Ok"}));
  const std::array<std::string_view, 3> ehlo{"mx.local.test", "PIPELINING", "SIZE 1000"};
  n = serialize_reply(250, "", ehlo, out);
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string_view(out, *n), "250-mx.local.test\r\n250-PIPELINING\r\n250 SIZE 1000\r\n");
  EXPECT_EQ(*n, reply_size("", ehlo));
  std::array<std::string_view, 8> lines{};
  Reply rep;
  const ParseResult r = parse_reply(std::string_view(out, *n), {}, rep, lines);
  ASSERT_EQ(r.status, Status::ok);
  EXPECT_EQ(r.consumed, *n);
  ASSERT_EQ(rep.lines.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(rep.lines[i], ehlo[i]);
  n = serialize_reply(354, "", {"End data with <CR><LF>.<CR><LF>"}, out);
  EXPECT_EQ(std::string_view(out, *n), "354 End data with <CR><LF>.<CR><LF>\r\n");
  n = serialize_reply(221, "2.0.0", std::span<const std::string_view>{}, out);
  EXPECT_EQ(std::string_view(out, *n), "221 2.0.0\r\n");
  EXPECT_EQ(*n, reply_size("2.0.0", {}));
  const std::array<std::string_view, 2> two{"a", ""};
  n = serialize_reply(550, "5.1.1", two, out);
  EXPECT_EQ(std::string_view(out, *n), "550-5.1.1 a\r\n550 5.1.1\r\n");
  EXPECT_EQ(*n, reply_size("5.1.1", two));
  // Injection refused.
  EXPECT_FALSE(serialize_reply(250, "", {"a\r\n250 b"}, out));
  EXPECT_FALSE(serialize_reply(250, "2.0", {"a"}, out));
  EXPECT_FALSE(serialize_reply(199, "", {"a"}, out));
  EXPECT_FALSE(serialize_reply(250, "", {"abc"}, std::span<char>(out, 8)));
  n = serialize_command(Verb::mail, "FROM:<a@b.c>", out);
  EXPECT_EQ(std::string_view(out, *n), "MAIL FROM:<a@b.c>\r\n");
  EXPECT_FALSE(serialize_command(Verb::rcpt, "TO:<a@b.c>\r\nDATA", out));
  EXPECT_FALSE(serialize_command(Verb::quit, "", std::span<char>(out, 5)));
}

}  // namespace
}  // namespace zp::codec::smtp
