// Message header (RFC 5322 2.2, A.1 examples), Content-Type/-Disposition with RFC 2231
// parameters (its section 3-5 examples), Content-Transfer-Encoding (RFC 2045 6.1).
#include "zp/codec/mime/header.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace zp::codec::mime {
namespace {

TEST(MimeHeader, FieldsAndFolding) {
  // RFC 5322 A.1.1 with a folded Subject.
  const std::string msg =
      "From: John Doe <jdoe@machine.example>\r\nTo: Mary Smith <mary@example.net>\r\n"
      "Subject: Saying\r\n Hello\r\n\tagain\r\nDate: Fri, 21 Nov 1997 09:55:06 -0600\r\n"
      "Message-ID: <1234@local.machine.example>\r\n\r\nThis is a message just to say hello.\r\n";
  std::array<Field, 16> f{};
  const HeaderResult r = parse_header(msg, {}, f);
  ASSERT_EQ(r.status, Status::ok) << errc_name(r.error);
  EXPECT_EQ(r.count, 5u);
  EXPECT_EQ(msg.substr(r.consumed), "This is a message just to say hello.\r\n");
  EXPECT_EQ(f[0].name, "From");
  EXPECT_EQ(f[0].value, "John Doe <jdoe@machine.example>");
  EXPECT_EQ(f[2].value, "Saying\r\n Hello\r\n\tagain");
  char buf[64];
  auto n = unfold(f[2].value, buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string_view(buf, *n), "Saying Hello\tagain");
  EXPECT_EQ(find_field(f, r.count, "message-id"), "<1234@local.machine.example>");
  EXPECT_FALSE(find_field(f, r.count, "Cc"));
  for (std::size_t k = 0; k < r.consumed; ++k)
    EXPECT_EQ(parse_header(std::string_view(msg).substr(0, k), {}, f).status, Status::need_more) << k;
}

TEST(MimeHeader, Errors) {
  std::array<Field, 2> f{};
  EXPECT_EQ(parse_header(" folded first\r\n\r\n", {}, f).error, Errc::bad_field);
  EXPECT_EQ(parse_header("NoColon\r\n\r\n", {}, f).error, Errc::bad_field);
  EXPECT_EQ(parse_header(": empty\r\n\r\n", {}, f).error, Errc::bad_field);
  EXPECT_EQ(parse_header("Bad Name: x\r\n\r\n", {}, f).error, Errc::bad_field);
  EXPECT_EQ(parse_header("A: x\nB: y\r\n\r\n", {}, f).error, Errc::bare_lf);
  EXPECT_EQ(parse_header("A: x\rB: y\r\n\r\n", {}, f).error, Errc::bare_cr);
  EXPECT_EQ(parse_header("A: 1\r\nB: 2\r\nC: 3\r\n\r\n", {}, f).error, Errc::too_many_fields);
  EXPECT_EQ(parse_header("A: " + std::string(1000, 'x') + "\r\n\r\n", {}, f).error, Errc::line_too_long);
  HeaderLimits small;
  small.max_header_bytes = 20;
  EXPECT_EQ(parse_header("A: 1\r\n B: 2\r\n C: 3\r\n D: 4\r\n\r\n", small, f).error, Errc::header_too_large);
  EXPECT_EQ(parse_header(std::string(30, 'A'), small, f).error, Errc::header_too_large);
}

struct Ct {
  Errc e;
  ContentType ct;
  std::array<Param, 8> params{};
  std::array<char, 256> scratch{};
};

std::unique_ptr<Ct> ct(std::string_view v) {
  auto c = std::make_unique<Ct>();
  c->e = parse_content_type(v, c->ct, c->params, c->scratch);
  return c;
}

TEST(MimeContentType, Rfc2045) {
  auto c = ct("text/plain; charset=us-ascii (Plain text)");
  ASSERT_EQ(c->e, Errc::ok);
  EXPECT_TRUE(c->ct.is("TEXT", "Plain"));
  EXPECT_EQ(c->ct.param("CHARSET"), "us-ascii");
  c = ct("text/plain; charset=\"us-ascii\"");
  EXPECT_EQ(c->ct.param("charset"), "us-ascii");
  c = ct("multipart/mixed;\r\n boundary=\"simple boundary\";");
  ASSERT_EQ(c->e, Errc::ok);
  EXPECT_EQ(c->ct.param("boundary"), "simple boundary");
  c = ct("application/x-stuff; title=\"a \\\"quoted\\\" word\"");
  ASSERT_EQ(c->e, Errc::ok);
  EXPECT_EQ(c->ct.param("title"), "a \"quoted\" word");
  EXPECT_EQ(ct("text")->e, Errc::bad_content_type);
  EXPECT_EQ(ct("text/")->e, Errc::bad_content_type);
  EXPECT_EQ(ct("text/plain; charset")->e, Errc::bad_content_type);
  EXPECT_EQ(ct("text/plain; charset=\"open")->e, Errc::bad_content_type);
  EXPECT_EQ(ct("text/plain (open comment")->e, Errc::bad_content_type);
  EXPECT_EQ(ct("text/plain; a=1; A=2")->e, Errc::duplicate_param);
  EXPECT_EQ(ct("text/plain; a=1 b=2")->e, Errc::bad_content_type);
}

TEST(MimeContentType, Rfc2231) {
  // RFC 2231 3: continuations.
  auto c = ct("message/external-body; access-type=URL;\r\n URL*0=\"ftp://\";\r\n URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"");
  ASSERT_EQ(c->e, Errc::ok) << errc_name(c->e);
  EXPECT_EQ(c->ct.param("url"), "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar");
  // RFC 2231 4: charset and language.
  c = ct("application/x-stuff;\r\n title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A");
  ASSERT_EQ(c->e, Errc::ok) << errc_name(c->e);
  EXPECT_EQ(c->ct.param("title"), "This is ***fun***");
  EXPECT_EQ(c->ct.params[0].charset, "us-ascii");
  EXPECT_EQ(c->ct.params[0].language, "en-us");
  // RFC 2231 4.1: both, sections out of order.
  c = ct("application/x-stuff;\r\n title*2=\"isn't it!\";\r\n title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n title*0*=us-ascii'en'This%20is%20even%20more%20");
  ASSERT_EQ(c->e, Errc::ok) << errc_name(c->e);
  EXPECT_EQ(c->ct.param("title"), "This is even more ***fun*** isn't it!");
  EXPECT_EQ(c->ct.params[0].language, "en");
  EXPECT_EQ(ct("a/b; t*1=x")->e, Errc::bad_rfc2231);              // no section 0
  EXPECT_EQ(ct("a/b; t*0=x; t*2=y")->e, Errc::bad_rfc2231);       // gap
  EXPECT_EQ(ct("a/b; t*0=x; t*0=y")->e, Errc::bad_rfc2231);       // twice
  EXPECT_EQ(ct("a/b; t*=noquotes")->e, Errc::bad_rfc2231);        // no charset'lang'
  EXPECT_EQ(ct("a/b; t*=utf-8''%G1")->e, Errc::bad_rfc2231);
  EXPECT_EQ(ct("a/b; t*01=x")->e, Errc::bad_rfc2231);
  // Scratch too small.
  ContentType out;
  std::array<Param, 2> p{};
  std::array<char, 4> small{};
  EXPECT_EQ(parse_content_type("a/b; t*=utf-8''abcdef", out, p, small), Errc::buffer_too_small);
  EXPECT_EQ(parse_content_type("a/b; x=1; y=2; z=3", out, p, small), Errc::too_many_params);
}

TEST(MimeContentType, DispositionAndCte) {
  ContentType d;
  std::array<Param, 4> p{};
  std::array<char, 64> s{};
  ASSERT_EQ(parse_disposition("attachment; filename=genome.jpeg;\r\n modification-date=\"Wed, 12 Feb 1997 16:29:51 -0500\"", d, p, s), Errc::ok);
  EXPECT_EQ(d.type, "attachment");
  EXPECT_EQ(d.param("filename"), "genome.jpeg");
  EXPECT_EQ(parse_cte("base64"), Cte::base64);
  EXPECT_EQ(parse_cte(" Quoted-Printable (c)"), Cte::quoted_printable);
  EXPECT_EQ(parse_cte("7BIT"), Cte::seven_bit);
  EXPECT_EQ(parse_cte("8bit"), Cte::eight_bit);
  EXPECT_EQ(parse_cte("binary"), Cte::binary);
  EXPECT_EQ(parse_cte("x-uuencode"), Cte::unknown);
  EXPECT_EQ(parse_cte("base64 extra"), Cte::unknown);
  EXPECT_EQ(errc_name(Errc::bad_boundary), "bad_boundary");
  EXPECT_STREQ(make_error_code(Errc::ok).category().name(), "zp.codec.mime");
}

}  // namespace
}  // namespace zp::codec::mime
