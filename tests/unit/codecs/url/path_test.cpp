// normalize_path: the traversal corpus (vector file) with 0 escapes, options (dotfiles,
// .well-known, non-UTF-8, length), HTTP status mapping, a randomized attack mix, and the
// encode_path round trip.
#include "zp/codec/url/path.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "vectors.h"

namespace {

namespace url = zp::codec::url;
using url::PathErrc;

zp::Result<std::string> normalize(std::string_view raw, const url::PathOptions& opt = {}) {
  std::string out(raw.size(), '\0');
  auto r = url::normalize_path(raw, out, opt);
  if (!r) return r.error();
  EXPECT_GE(r->data(), out.data());
  return std::string(*r);
}

// An accepted path stays under the root: starts with '/', and no segment is "." or ".."
// and none is empty except a final one (so no "//", "/./", "/../"), so joining it to a root
// directory names something beneath it.
bool stays_under_root(const std::string& p) {
  if (p.empty() || p[0] != '/') return false;
  std::size_t i = 1;
  while (i <= p.size()) {
    std::size_t e = p.find('/', i);
    if (e == std::string::npos) e = p.size();
    const std::string seg = p.substr(i, e - i);
    if (seg == "." || seg == "..") return false;
    if (seg.empty() && e != p.size()) return false;
    if (seg.find('\0') != std::string::npos) return false;
    i = e + 1;
  }
  return true;
}

const std::map<std::string, PathErrc>& errc_names() {
  static const std::map<std::string, PathErrc> m = {
      {"not_absolute", PathErrc::not_absolute}, {"too_long", PathErrc::too_long},
      {"bad_char", PathErrc::bad_char},         {"bad_percent", PathErrc::bad_percent},
      {"nul", PathErrc::nul},                   {"control", PathErrc::control},
      {"backslash", PathErrc::backslash},       {"bad_utf8", PathErrc::bad_utf8},
      {"encoded_slash", PathErrc::encoded_slash}, {"traversal", PathErrc::traversal},
      {"dotfile", PathErrc::dotfile},
  };
  return m;
}

TEST(Path, TraversalCorpusZeroEscapes) {
  const auto lines = zp_url_test::read_lines("traversal.txt");
  ASSERT_GE(lines.size(), 50u);
  int accepted = 0, rejected = 0, escapes = 0;
  for (const auto& line : lines) {
    std::string want, raw;
    ASSERT_TRUE(zp_url_test::split_vector(line, want, raw)) << line;
    auto r = normalize(raw);
    if (r) {
      ++accepted;
      if (!stays_under_root(*r)) ++escapes;
      EXPECT_TRUE(stays_under_root(*r)) << line << " -> " << *r;
    } else {
      ++rejected;
    }
    if (!want.empty() && want[0] == '/') {
      ASSERT_TRUE(r) << line << ": " << r.error().message();
      EXPECT_EQ(*r, want) << line;
    } else {
      ASSERT_TRUE(errc_names().count(want)) << "unknown errc " << want;
      ASSERT_FALSE(r) << line << " accepted as " << *r;
      EXPECT_EQ(r.error(), url::make_error_code(errc_names().at(want)))
          << line << ": " << r.error().message();
    }
  }
  EXPECT_EQ(escapes, 0);
  EXPECT_GT(rejected, 50);
  EXPECT_GT(accepted, 20);
}

TEST(Path, Options) {
  auto r = normalize("/.well-known/acme-challenge/tok", {.allow_well_known = true});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "/.well-known/acme-challenge/tok");
  // Only at the root, and only that name.
  EXPECT_EQ(normalize("/a/.well-known/x", {.allow_well_known = true}).error(), PathErrc::dotfile);
  EXPECT_EQ(normalize("/.git/x", {.allow_well_known = true}).error(), PathErrc::dotfile);

  r = normalize("/.git/./config", {.allow_dotfiles = true});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "/.git/config");
  r = normalize("/.../x", {.allow_dotfiles = true});  // "..." is a name, not a climb
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "/.../x");
  EXPECT_EQ(normalize("/a/../..", {.allow_dotfiles = true}).error(), PathErrc::traversal);

  r = normalize("/%ff%c0%ae", {.allow_non_utf8 = true});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "/\xff\xc0\xae");

  const std::string long_path = "/" + std::string(4096, 'a');
  EXPECT_EQ(normalize(long_path).error(), PathErrc::too_long);
  EXPECT_TRUE(normalize(long_path, {.max_path_bytes = 5000}));

  char small[3];
  auto s = url::normalize_path("/abcd", small);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), PathErrc::buffer_too_small);
}

TEST(Path, HttpStatus) {
  EXPECT_EQ(url::path_http_status(PathErrc::ok), 200);
  EXPECT_EQ(url::path_http_status(PathErrc::traversal), 403);
  EXPECT_EQ(url::path_http_status(PathErrc::dotfile), 404);
  EXPECT_EQ(url::path_http_status(PathErrc::encoded_slash), 404);
  EXPECT_EQ(url::path_http_status(PathErrc::too_long), 414);
  for (auto e : {PathErrc::not_absolute, PathErrc::bad_char, PathErrc::bad_percent, PathErrc::nul,
                 PathErrc::control, PathErrc::backslash, PathErrc::bad_utf8})
    EXPECT_EQ(url::path_http_status(e), 400);
  EXPECT_EQ(url::path_http_status(url::make_error_code(PathErrc::traversal)), 403);
  EXPECT_EQ(url::path_http_status(std::make_error_code(std::errc::invalid_argument)), 500);
  EXPECT_STREQ(url::path_category().name(), "zp.codec.url.path");
  for (int i = 0; i <= static_cast<int>(PathErrc::buffer_too_small); ++i)
    EXPECT_NE(url::make_error_code(static_cast<PathErrc>(i)).message(), "unknown request path error");
}

// Random concatenations of attack fragments: nothing accepted ever escapes, and every
// accepted result survives encode_path + normalize_path unchanged.
TEST(Path, RandomAttackMixNeverEscapes) {
  const std::vector<std::string> parts = {
      "/", "..", ".", "%2e", "%2E", "%252e", "%2f", "%5c", "\\", "%c0%ae", "%c0%af", "a",
      "b.txt", "%00", "//", "./", "../", ".%2e", "%2e.", ";", "%3b", "~", "%25", "%20", "x.",
      "%e0%80%ae", ".git", "%",
  };
  std::mt19937 rng(42);
  int accepted = 0;
  for (int i = 0; i < 100000; ++i) {
    std::string raw = "/";
    const int n = 1 + static_cast<int>(rng() % 10);
    for (int k = 0; k < n; ++k) raw += parts[rng() % parts.size()];
    for (const url::PathOptions& opt :
         {url::PathOptions{}, url::PathOptions{.allow_dotfiles = true, .allow_non_utf8 = true}}) {
      auto r = normalize(raw, opt);
      if (!r) continue;
      ++accepted;
      ASSERT_TRUE(stays_under_root(*r)) << raw << " -> " << *r;
      std::string enc(url::encoded_path_size_max(r->size()), '\0');
      auto m = url::encode_path(*r, enc);
      ASSERT_TRUE(m);
      enc.resize(*m);
      auto again = normalize(enc, opt);
      ASSERT_TRUE(again) << enc;
      EXPECT_EQ(*again, *r) << raw;
    }
  }
  EXPECT_GT(accepted, 10000);
}

TEST(Path, EncodePath) {
  std::string out(64, '\0');
  auto n = url::encode_path("/a b/%/?#/\xc3\xa9/~x;y=z:@", out);
  ASSERT_TRUE(n);
  EXPECT_EQ(out.substr(0, *n), "/a%20b/%25/%3F%23/%C3%A9/~x;y=z:@");
  char tiny[2];
  auto m = url::encode_path("/ab", tiny);
  ASSERT_FALSE(m);
}

}  // namespace
