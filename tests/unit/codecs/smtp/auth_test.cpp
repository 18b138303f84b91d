// SMTP AUTH payloads: RFC 4954 4 and RFC 4616 examples, LOGIN, the RFC 2195 CRAM-MD5 example.
#include "zp/codec/smtp/auth.h"

#include <gtest/gtest.h>

#include <string>

namespace zp::codec::smtp {
namespace {

TEST(SmtpAuth, Plain) {
  char buf[256];
  // RFC 4954 4: "AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=" is "test\0test\01234".
  auto c = decode_plain("dGVzdAB0ZXN0ADEyMzQ=", buf);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->authzid, "test");
  EXPECT_EQ(c->authcid, "test");
  EXPECT_EQ(c->password, "1234");
  // Without authzid: "\0tim\0tanstaaftanstaaf" (RFC 4616 4).
  c = decode_plain("AHRpbQB0YW5zdGFhZnRhbnN0YWFm", buf);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->authzid, "");
  EXPECT_EQ(c->authcid, "tim");
  EXPECT_EQ(c->password, "tanstaaftanstaaf");
  EXPECT_EQ(decode_plain("*", buf).error(), make_error_code(Errc::auth_cancelled));
  EXPECT_EQ(decode_plain("=", buf).error(), make_error_code(Errc::bad_auth_payload));
  EXPECT_EQ(decode_plain("!!!!", buf).error(), make_error_code(Errc::bad_base64));
  EXPECT_EQ(decode_plain("dGVzdA==", buf).error(), make_error_code(Errc::bad_auth_payload));  // no NUL
  EXPECT_EQ(decode_plain("AAB4", buf).error(), make_error_code(Errc::bad_auth_payload));      // "\0\0x": empty authcid
  EXPECT_EQ(decode_plain("AHgA", buf).error(), make_error_code(Errc::bad_auth_payload));      // "\0x\0": empty password
  EXPECT_EQ(decode_plain("AHgAeQB6", buf).error(), make_error_code(Errc::bad_auth_payload));  // three NULs
  EXPECT_EQ(decode_plain("dGVzdAB0ZXN0ADEyMzQ=", std::span<char>(buf, 4)).error(), make_error_code(Errc::buffer_too_small));
}

TEST(SmtpAuth, PlainRoundTrip) {
  char b64[64];
  auto n = encode_plain("", "tim", "tanstaaftanstaaf", b64);
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string_view(b64, *n), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
  char buf[64];
  auto c = decode_plain(std::string_view(b64, *n), buf);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->password, "tanstaaftanstaaf");
  EXPECT_FALSE(encode_plain("", "", "p", b64));
  EXPECT_FALSE(encode_plain("", std::string_view("a\0b", 3), "p", b64));
  EXPECT_FALSE(encode_plain("", "tim", "tanstaaftanstaaf", std::span<char>(b64, 8)));
}

TEST(SmtpAuth, Login) {
  char buf[64];
  auto u = decode_login("dGlt", buf);
  ASSERT_TRUE(u);
  EXPECT_EQ(*u, "tim");
  EXPECT_EQ(decode_login("*", buf).error(), make_error_code(Errc::auth_cancelled));
  EXPECT_EQ(decode_login("=", buf).error(), make_error_code(Errc::bad_auth_payload));
  EXPECT_EQ(decode_login("AA==", buf).error(), make_error_code(Errc::bad_auth_payload));
  EXPECT_EQ(login_user_prompt, "VXNlcm5hbWU6");
  EXPECT_TRUE(is_cancel("*"));
}

TEST(SmtpAuth, CramMd5ResponseFormat) {
  // RFC 2195 2: "tim b913a602c7eda7a495b4e6e7334d3890".
  char buf[128];
  auto r = decode_cram_md5("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw", buf);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->user, "tim");
  EXPECT_EQ(r->digest, "b913a602c7eda7a495b4e6e7334d3890");
  EXPECT_FALSE(decode_cram_md5("dGlt", buf));  // "tim": no digest
  // Upper-case hex refused: "tim B913A602C7EDA7A495B4E6E7334D3890".
  EXPECT_FALSE(decode_cram_md5("dGltIEI5MTNBNjAyQzdFREE3QTQ5NUI0RTZFNzMzNEQzODkw", buf));
}

}  // namespace
}  // namespace zp::codec::smtp
