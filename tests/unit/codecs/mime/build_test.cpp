// Building messages: base64 lines (RFC 2045 6.8), quoted-printable (6.7), RFC 2047 words,
// RFC 5322 dates and Message-IDs, and round trips: build, parse back with the parser.
#include "zp/codec/mime/build.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "zp/codec/base64.h"
#include "zp/codec/mime/header.h"
#include "zp/codec/mime/multipart.h"

namespace zp::codec::mime {
namespace {

std::string qp(std::string_view in) {
  std::string out(in.size() * 3 + in.size() / 20 * 3 + 8, '\0');
  auto n = qp_encode(in, out);
  EXPECT_TRUE(n);
  out.resize(n ? *n : 0);
  return out;
}

std::string unqp(std::string_view in) {
  std::string out(in.size(), '\0');
  auto n = qp_decode(in, out);
  EXPECT_TRUE(n) << (n ? "" : n.error().message());
  out.resize(n ? *n : 0);
  return out;
}

TEST(MimeBuild, QuotedPrintable) {
  EXPECT_EQ(qp("plain text"), "plain text");
  EXPECT_EQ(qp("a=b"), "a=3Db");
  EXPECT_EQ(qp("caf\xc3\xa9"), "caf=C3=A9");
  EXPECT_EQ(qp("trailing \r\nline"), "trailing=20\r\nline");
  EXPECT_EQ(qp("tab\t"), "tab=09");
  EXPECT_EQ(qp("lf\nonly"), "lf\r\nonly");
  EXPECT_EQ(qp("bare\rcr"), "bare=0Dcr");
  const std::string long_line(200, 'x');
  const std::string enc = qp(long_line);
  std::size_t start = 0;
  while (start < enc.size()) {
    std::size_t end = enc.find("\r\n", start);
    if (end == std::string::npos) end = enc.size();
    EXPECT_LE(end - start, 76u);
    start = end + 2;
  }
  EXPECT_EQ(unqp(enc), long_line);
  const std::string mixed = "Gr\xc3\xbc\xc3\x9f" "e = 100%\r\n  indented\r\nend \t";
  EXPECT_EQ(unqp(qp(mixed)), mixed);
  EXPECT_EQ(unqp("soft=\r\nbreak"), "softbreak");
  EXPECT_EQ(unqp("trans  \r\nport"), "trans\r\nport");
  char buf[8];
  EXPECT_FALSE(qp_decode("=G1", buf));
  EXPECT_FALSE(qp_decode("=4", buf));
  EXPECT_FALSE(qp_encode("abcdefghij", buf));
}

TEST(MimeBuild, Base64Lines) {
  std::vector<std::byte> data(100);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(i);
  std::string out(base64_lines_size(data.size()), '\0');
  auto n = base64_encode_lines(data, out);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, out.size());
  EXPECT_EQ(out.find("\r\n"), 76u);
  EXPECT_TRUE(out.ends_with("\r\n"));
  std::vector<std::byte> back(data.size() + 3);
  auto m = base64::decode(out, back, {.skip_whitespace = true});
  ASSERT_TRUE(m);
  back.resize(*m);
  EXPECT_EQ(back, data);
  EXPECT_EQ(base64_lines_size(0), 0u);
  EXPECT_EQ(base64_lines_size(57), 78u);
  EXPECT_EQ(base64_lines_size(58), 76u + 2u + 4u + 2u);
  EXPECT_FALSE(base64_encode_lines(data, std::span<char>(out).first(10)));
}

TEST(MimeBuild, EncodedWords) {
  char buf[512];
  auto n = encode_header_text("Hello world", buf);
  EXPECT_EQ(std::string_view(buf, *n), "Hello world");
  n = encode_header_text("Gr\xc3\xbc\xc3\x9f" "e", buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string_view(buf, *n), "=?UTF-8?B?R3LDvMOfZQ==?=");
  // Long text: several words, each <= 75 characters, never splitting a character.
  std::string text;
  for (int i = 0; i < 40; ++i) text += "\xc3\xa9";
  n = encode_header_text(text, buf);
  ASSERT_TRUE(n);
  const std::string_view out(buf, *n);
  std::size_t start = 0;
  std::string decoded;
  while (true) {
    const std::size_t end = out.find("\r\n ", start);
    const std::string_view word = out.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    EXPECT_LE(word.size(), 75u);
    ASSERT_TRUE(word.starts_with("=?UTF-8?B?") && word.ends_with("?="));
    const std::string_view b = word.substr(10, word.size() - 12);
    char raw[64];
    auto d = base64::decode(b, std::as_writable_bytes(std::span<char>(raw)));
    ASSERT_TRUE(d);
    EXPECT_EQ(*d % 2, 0u);  // whole two-octet characters
    decoded.append(raw, *d);
    if (end == std::string_view::npos) break;
    start = end + 3;
  }
  EXPECT_EQ(decoded, text);
  EXPECT_FALSE(encode_header_text("a\r\nBcc: evil@x", buf));
  n = encode_header_text("looks =?like?= a word", buf);
  EXPECT_TRUE(std::string_view(buf, *n).starts_with("=?UTF-8?B?"));
}

TEST(MimeBuild, DateAndMessageId) {
  char buf[64];
  // RFC 5322 A.1.1's date.
  auto n = format_date({1997, 11, 21, 9, 55, 6, -360}, buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string_view(buf, *n), "Fri, 21 Nov 1997 09:55:06 -0600");
  n = format_date(utc_from_unix(1796660667), buf);  // 2026-12-07 16:24:27 UTC
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string_view(buf, *n), "Mon, 07 Dec 2026 16:24:27 +0000");
  n = format_date(utc_from_unix(951782400), buf);  // leap day 2000-02-29
  EXPECT_EQ(std::string_view(buf, *n), "Tue, 29 Feb 2000 00:00:00 +0000");
  EXPECT_FALSE(format_date({2026, 13, 1, 0, 0, 0, 0}, buf));
  EXPECT_FALSE(format_date({2026, 1, 1, 0, 0, 0, 0}, std::span<char>(buf, 30)));
  n = format_message_id("20261207.162427.1", "mx.local.test", buf);
  EXPECT_EQ(std::string_view(buf, *n), "<20261207.162427.1@mx.local.test>");
  EXPECT_FALSE(format_message_id("a b", "x.org", buf));
  EXPECT_FALSE(format_message_id("a", "x..org", buf));
  EXPECT_FALSE(format_message_id("a>", "x.org", buf));
}

TEST(MimeBuild, RoundTripAlternativeWithAttachments) {
  std::vector<std::byte> blob(1000);
  for (std::size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<std::byte>(i * 7);
  const Attachment atts[] = {
      {"report.pdf", "application/pdf", blob},
      {"d\xc3\xa9j\xc3\xa0 vu.txt", "text/plain", std::as_bytes(std::span<const char>("hi", 2))},
  };
  Message m;
  m.from = "Ann <ann@example.org>";
  m.to = "bob@example.net";
  m.subject = "Gr\xc3\xbc\xc3\x9f" "e";
  m.date = {2026, 12, 7, 16, 24, 27, 60};
  m.message_id = "<1@example.org>";
  m.text = "Hello Bob,\r\n.leading dot and = sign\r\n";
  m.html = "<p>Hello <b>Bob</b></p>\r\n";
  m.attachments = atts;
  m.boundary_seed = "abc123";
  std::string out(16384, '\0');
  auto n = build_message(m, out);
  ASSERT_TRUE(n) << n.error().message();
  out.resize(*n);

  std::array<Field, 16> f{};
  const HeaderResult h = parse_header(out, {}, f);
  ASSERT_EQ(h.status, Status::ok);
  EXPECT_EQ(find_field(f, h.count, "Subject"), "=?UTF-8?B?R3LDvMOfZQ==?=");
  EXPECT_EQ(find_field(f, h.count, "Date"), "Mon, 07 Dec 2026 16:24:27 +0100");
  EXPECT_EQ(find_field(f, h.count, "MIME-Version"), "1.0");

  std::array<Entity, 16> e{};
  auto count = parse_structure(out, {}, e);
  ASSERT_TRUE(count) << count.error().message();
  ASSERT_EQ(*count, 6u);  // mixed, alternative, plain, html, pdf, txt
  EXPECT_EQ(e[0].subtype, "mixed");
  EXPECT_EQ(e[1].subtype, "alternative");
  EXPECT_EQ(e[2].subtype, "plain");
  EXPECT_EQ(e[2].cte, Cte::quoted_printable);
  EXPECT_EQ(unqp(e[2].body), m.text);
  EXPECT_EQ(e[3].subtype, "html");
  EXPECT_EQ(unqp(e[3].body), m.html);
  EXPECT_EQ(e[4].subtype, "pdf");
  EXPECT_EQ(e[4].cte, Cte::base64);
  std::vector<std::byte> back(blob.size() + 3);
  auto d = base64::decode(e[4].body, back, {.skip_whitespace = true});
  ASSERT_TRUE(d);
  back.resize(*d);
  EXPECT_EQ(back, blob);
  // The RFC 2231 file name decodes back.
  std::array<Field, 8> pf{};
  const HeaderResult ph = parse_header(e[5].header, {}, pf);
  ASSERT_EQ(ph.status, Status::ok);
  ContentType disp;
  std::array<Param, 4> params{};
  std::array<char, 128> scratch{};
  ASSERT_EQ(parse_disposition(*find_field(pf, ph.count, "Content-Disposition"), disp, params, scratch), Errc::ok);
  EXPECT_EQ(disp.param("filename"), "d\xc3\xa9j\xc3\xa0 vu.txt");
  EXPECT_EQ(e[5].body, "aGk=");
}

TEST(MimeBuild, SimpleAndErrors) {
  Message m;
  m.from = "a@example.org";
  m.to = "b@example.org";
  m.subject = "hi";
  m.text = "just text";
  std::string out(1024, '\0');
  auto n = build_message(m, out);
  ASSERT_TRUE(n);
  out.resize(*n);
  std::array<Entity, 4> e{};
  auto c = parse_structure(out, {}, e);
  ASSERT_TRUE(c);
  ASSERT_EQ(*c, 1u);
  EXPECT_EQ(unqp(e[0].body), "just text");
  m.to = "b@example.org\r\nBcc: everyone@example.org";
  EXPECT_EQ(build_message(m, out).error(), make_error_code(Errc::bad_header_value));
  m.to = "b@example.org";
  m.boundary_seed = "bad seed";
  EXPECT_EQ(build_message(m, out).error(), make_error_code(Errc::bad_header_value));
  m.boundary_seed = "0";
  EXPECT_EQ(build_message(m, std::span<char>(out).first(20)).error(), make_error_code(Errc::buffer_too_small));
}

}  // namespace
}  // namespace zp::codec::mime
