// resolve: every RFC 3986 §5.4.1 normal and §5.4.2 abnormal example (vector file),
// remove_dot_segments (§5.2.4), base errors, buffer sizes, and paths that would read back
// as an authority.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "vectors.h"
#include "zp/codec/url/url.h"

namespace {

namespace url = zp::codec::url;
using url::Errc;

std::string resolve(std::string_view base, std::string_view ref) {
  auto b = url::parse(base);
  auto r = url::parse(ref);
  EXPECT_TRUE(b) << base;
  EXPECT_TRUE(r) << ref;
  if (!b || !r) return "<parse error>";
  std::string out(url::resolved_size_max(*b, *r), '\0');
  auto n = url::resolve(*b, *r, out);
  EXPECT_TRUE(n) << base << " + " << ref;
  if (!n) return "<resolve error>";
  out.resize(*n);
  // The target always parses back and serializes to itself.
  auto t = url::parse(out);
  EXPECT_TRUE(t) << out;
  if (t) {
    std::string again(url::serialized_size(*t), '\0');
    EXPECT_TRUE(url::serialize(*t, again));
    EXPECT_EQ(again, out);
  }
  return out;
}

TEST(Resolve, Rfc3986Examples) {
  const std::regex re(R"re(^"(.*)" = "(.*)"$)re");
  const auto lines = zp_url_test::read_lines("resolve_rfc3986.txt");
  ASSERT_EQ(lines.size(), 42u);  // 23 normal + 19 abnormal
  for (const auto& line : lines) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, re)) << line;
    EXPECT_EQ(resolve("http://a/b/c/d;p?q", m[1].str()), m[2].str()) << line;
  }
}

std::string rds(std::string s) {
  s.resize(url::remove_dot_segments(s));
  return s;
}

TEST(Resolve, RemoveDotSegments) {
  // §5.2.4 walk-throughs.
  EXPECT_EQ(rds("/a/b/c/./../../g"), "/a/g");
  EXPECT_EQ(rds("mid/content=5/../6"), "mid/6");
  EXPECT_EQ(rds(""), "");
  EXPECT_EQ(rds("/"), "/");
  EXPECT_EQ(rds("."), "");
  EXPECT_EQ(rds(".."), "");
  EXPECT_EQ(rds("/."), "/");
  EXPECT_EQ(rds("/.."), "/");
  EXPECT_EQ(rds("/../../a"), "/a");
  EXPECT_EQ(rds("a/.."), "/");  // RFC 3986 algorithm: "a" is moved, then "/.." replaced by "/"
  EXPECT_EQ(rds("../a"), "a");
  EXPECT_EQ(rds("/a//../b"), "/a/b");
  EXPECT_EQ(rds("/a/b/."), "/a/b/");
  EXPECT_EQ(rds("/.a/..b/"), "/.a/..b/");
}

TEST(Resolve, OtherBases) {
  EXPECT_EQ(resolve("http://a", "b"), "http://a/b");  // empty base path with authority
  EXPECT_EQ(resolve("http://u@a:1/x/y?q#f", "z"), "http://u@a:1/x/z");
  EXPECT_EQ(resolve("http://a/x", "#f"), "http://a/x#f");
  EXPECT_EQ(resolve("http://a/b/../c?q", ""), "http://a/b/../c?q");  // base path kept as is
  EXPECT_EQ(resolve("a:b", "c"), "a:c");
  EXPECT_EQ(resolve("a:b/c", "../d"), "a:/d");  // §5.2.4 as written: "b/../d" -> "/d"
  EXPECT_EQ(resolve("http://a/b", "https://c/./d/../e"), "https://c/e");
  EXPECT_EQ(resolve("http://a/b", "//[::1]:8/x"), "http://[::1]:8/x");
  // A path without authority starting with "//" would read back as an authority.
  EXPECT_EQ(resolve("a:/b/c", "..//g"), "a:/.//g");
  EXPECT_EQ(resolve("a:/b/c", "/.//g"), "a:/.//g");
  EXPECT_EQ(resolve("a:b", "x:/.//y"), "x:/.//y");
  EXPECT_EQ(resolve("a:b", "x:.//y"), "x:/y");
}

TEST(Resolve, Errors) {
  auto base = url::parse("/relative");
  auto ref = url::parse("x");
  ASSERT_TRUE(base && ref);
  char buf[64];
  auto n = url::resolve(*base, *ref, buf);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error(), Errc::not_absolute);

  auto b = url::parse("http://example.com/a/b/c");
  auto r = url::parse("../d?q#f");
  ASSERT_TRUE(b && r);
  const std::string want = "http://example.com/a/d?q#f";
  for (std::size_t cap = 0; cap < want.size(); ++cap) {
    std::string out(cap, '\0');
    auto m = url::resolve(*b, *r, out);
    ASSERT_FALSE(m) << cap;
    EXPECT_EQ(m.error(), Errc::buffer_too_small);
  }
  // The merged path is written before its dot segments go: resolved_size_max is enough.
  std::string out(url::resolved_size_max(*b, *r), '\0');
  auto m = url::resolve(*b, *r, out);
  ASSERT_TRUE(m);
  EXPECT_EQ(out.substr(0, *m), want);
}

}  // namespace
