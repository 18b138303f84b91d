// HTTP dates: the RFC 9110 §5.6.7 examples in all three formats, formatting, the cache, and
// format → parse round trips across the representable range.
#include "zp/codec/http1/date.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace {

namespace h1 = zp::codec::http1;

std::string fmt(std::time_t t) {
  char buf[h1::imf_fixdate_bytes];
  h1::format_imf_fixdate(t, buf);
  return std::string(buf, sizeof buf);
}

TEST(Http1Date, Rfc9110Examples) {
  constexpr std::int64_t t = 784111777;  // 1994-11-06T08:49:37Z
  EXPECT_EQ(h1::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), t);
  EXPECT_EQ(h1::parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), t);
  EXPECT_EQ(h1::parse_http_date("Sun Nov  6 08:49:37 1994"), t);
  EXPECT_EQ(fmt(t), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(Http1Date, Format) {
  EXPECT_EQ(fmt(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(fmt(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(fmt(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
  EXPECT_EQ(fmt(4102444799), "Thu, 31 Dec 2099 23:59:59 GMT");
  EXPECT_EQ(fmt(std::numeric_limits<std::time_t>::max()), "Fri, 31 Dec 9999 23:59:59 GMT");
}

TEST(Http1Date, Rejects) {
  for (std::string_view s : {"", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 08:49:37 GMT ",
                             "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 31 Nov 1994 08:49:37 GMT",
                             "Sun, 29 Feb 1900 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
                             "Sun, 06 Xyz 1994 08:49:37 GMT", "Sunday, 06-Nov-1994 08:49:37 GMT",
                             "Sun Nov 6 08:49:37 1994", "sun, 06 Nov 1994 08:49:37 GMT", "Foo, 06 Nov 1994 08:49:37 GMT",
                             "Sun, 06 Nov 1994 08:49 GMT", "Sun Nov  6 08:49:37 94"})
    EXPECT_FALSE(h1::parse_http_date(s)) << s;
  EXPECT_EQ(h1::parse_http_date("Wed, 31 Dec 2036 23:59:60 GMT"), h1::parse_http_date("Thu, 01 Jan 2037 00:00:00 GMT"));
  EXPECT_EQ(h1::parse_http_date("Monday, 01-Jan-24 00:00:00 GMT"), 1704067200);
}

TEST(Http1Date, CacheReformatsOncePerSecond) {
  h1::DateCache dc;
  auto a = dc.get(784111777);
  EXPECT_EQ(a, "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(dc.get(784111777).data(), a.data());
  EXPECT_EQ(dc.get(784111778), "Sun, 06 Nov 1994 08:49:38 GMT");
  EXPECT_EQ(h1::DateCache{}.get(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(Http1Date, RoundTrip) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20000; ++i) {
    const auto t = static_cast<std::time_t>(rng() % 253402300800ull) - (i % 2 ? 0 : 62167219200ll);
    EXPECT_EQ(h1::parse_http_date(fmt(t)), static_cast<std::int64_t>(t)) << t << " " << fmt(t);
  }
}

}  // namespace
