// url corners: decoded bytes that are not UTF-8 (RFC 3629 §4: bad lead bytes, truncated
// sequences), the HTTP status of every outcome, and the categories' out-of-range messages.
#include <gtest/gtest.h>

#include <string>

#include "zp/codec/url/path.h"
#include "zp/codec/url/url.h"

namespace {

namespace url = zp::codec::url;
using url::PathErrc;

PathErrc path_error(std::string_view raw) {
  char out[256];
  auto r = url::normalize_path(raw, out);
  if (r) return PathErrc::ok;
  EXPECT_EQ(r.error().category(), url::path_category()) << raw;
  return static_cast<PathErrc>(r.error().value());
}

TEST(urlEdge, DecodedBytesMustBeUtf8) {
  for (const char* raw : {"/%ff", "/%80abc", "/%c1%81", "/%f5%80%80%80", "/%e2%82", "/a%f0%9f%98",
                          "/%e2%28%a1", "/%ed%a0%80"}) {
    EXPECT_EQ(path_error(raw), PathErrc::bad_utf8) << raw;
  }
  // Well-formed: 2, 3 and 4 octets ("é", "€", U+1F600).
  char out[64];
  auto ok = url::normalize_path("/%c3%a9%e2%82%ac%f0%9f%98%80", out);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, "/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  url::PathOptions legacy;
  legacy.allow_non_utf8 = true;
  auto latin1 = url::normalize_path("/caf%e9", out, legacy);
  ASSERT_TRUE(latin1);
  EXPECT_EQ(*latin1, "/caf\xe9");
}

TEST(urlEdge, HttpStatusOfEveryOutcome) {
  EXPECT_EQ(url::path_http_status(PathErrc::ok), 200);
  EXPECT_EQ(url::path_http_status(PathErrc::too_long), 414);
  EXPECT_EQ(url::path_http_status(PathErrc::traversal), 403);
  EXPECT_EQ(url::path_http_status(PathErrc::dotfile), 404);
  EXPECT_EQ(url::path_http_status(PathErrc::encoded_slash), 404);
  EXPECT_EQ(url::path_http_status(PathErrc::buffer_too_small), 500);
  EXPECT_EQ(url::path_http_status(PathErrc::bad_utf8), 400);
  EXPECT_EQ(url::path_http_status(static_cast<PathErrc>(99)), 500);
  EXPECT_EQ(url::path_http_status(std::make_error_code(std::errc::io_error)), 500);
  EXPECT_EQ(url::path_http_status(url::make_error_code(PathErrc::traversal)), 403);
  EXPECT_EQ(url::http_status(url::Errc::ok), 200);
  EXPECT_EQ(url::http_status(url::Errc::too_long), 414);
  EXPECT_EQ(url::http_status(url::Errc::buffer_too_small), 500);
  EXPECT_EQ(url::http_status(url::Errc::bad_host), 400);
}

TEST(urlEdge, OutOfRangeMessages) {
  EXPECT_EQ(url::category().message(-1), "unknown URL error");
  EXPECT_EQ(url::category().message(1000), "unknown URL error");
  EXPECT_EQ(url::path_category().message(1000), "unknown request path error");
  EXPECT_EQ(url::make_error_code(PathErrc::traversal).message(), "request path climbs above the root");
}

}  // namespace
