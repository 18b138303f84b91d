// MIME table: built-in entries (sorted, at least 60, charset on text types), case-insensitive
// lookup, extension_of, overrides and validation.
#include "zp/codec/url/mime.h"

#include <gtest/gtest.h>

#include <string>

namespace {

namespace url = zp::codec::url;

TEST(Mime, BuiltinTable) {
  const auto table = url::builtin_mime_types();
  EXPECT_GE(table.size(), 60u);
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (i > 0) {
      EXPECT_LT(table[i - 1].extension, table[i].extension);
    }
    if (table[i].type.substr(0, 5) == "text/") {
      EXPECT_NE(table[i].type.find("; charset=utf-8"), std::string_view::npos) << table[i].extension;
    }
    EXPECT_EQ(url::builtin_mime_type(table[i].extension), table[i].type);
  }
  const std::pair<const char*, const char*> want[] = {
      {"html", "text/html; charset=utf-8"}, {"css", "text/css; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"}, {"mjs", "text/javascript; charset=utf-8"},
      {"json", "application/json"}, {"xml", "application/xml"},
      {"txt", "text/plain; charset=utf-8"}, {"svg", "image/svg+xml"}, {"png", "image/png"},
      {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"}, {"gif", "image/gif"}, {"webp", "image/webp"},
      {"avif", "image/avif"}, {"ico", "image/x-icon"}, {"woff", "font/woff"},
      {"woff2", "font/woff2"}, {"ttf", "font/ttf"}, {"otf", "font/otf"},
      {"pdf", "application/pdf"}, {"zip", "application/zip"}, {"gz", "application/gzip"},
      {"br", "application/x-brotli"}, {"wasm", "application/wasm"}, {"mp4", "video/mp4"},
      {"webm", "video/webm"}, {"mp3", "audio/mpeg"}, {"ogg", "audio/ogg"}, {"wav", "audio/wav"},
      {"csv", "text/csv; charset=utf-8"}, {"md", "text/markdown; charset=utf-8"},
  };
  for (const auto& [ext, type] : want) EXPECT_EQ(url::builtin_mime_type(ext), type) << ext;
}

TEST(Mime, CaseInsensitiveAndExtensions) {
  const url::MimeTable t;
  EXPECT_EQ(t.lookup("HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(t.lookup(".Png"), "image/png");
  EXPECT_EQ(t.lookup("unknownext"), "application/octet-stream");
  EXPECT_EQ(t.lookup(""), "application/octet-stream");
  EXPECT_EQ(t.lookup(std::string(40, 'a')), "application/octet-stream");
  EXPECT_EQ(t.for_path("/css/Site.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(t.for_path("/dl/x.tar.gz"), "application/gzip");
  EXPECT_EQ(t.for_path("/README"), "application/octet-stream");
  EXPECT_EQ(t.for_path("/a.d/README"), "application/octet-stream");
  EXPECT_EQ(url::extension_of("/a/.profile"), "");
  EXPECT_EQ(url::extension_of("/a/b."), "");
  EXPECT_EQ(url::extension_of("x.tar.gz"), "gz");
  EXPECT_EQ(url::extension_of("/"), "");
}

TEST(Mime, Overrides) {
  url::MimeTable t;
  ASSERT_TRUE(t.add("map", "application/json; charset=utf-8"));
  ASSERT_TRUE(t.add(".MyExt", "application/x-mine"));
  ASSERT_TRUE(t.add("myext", "application/x-mine2"));  // replaces
  ASSERT_TRUE(t.add("html", "text/html"));              // overrides the built-in
  EXPECT_EQ(t.lookup("MAP"), "application/json; charset=utf-8");
  EXPECT_EQ(t.lookup("myext"), "application/x-mine2");
  EXPECT_EQ(t.for_path("/index.HTML"), "text/html");
  EXPECT_EQ(t.lookup("css"), "text/css; charset=utf-8");  // untouched built-in
  ASSERT_TRUE(t.set_default("text/plain"));
  EXPECT_EQ(t.lookup("nope"), "text/plain");

  EXPECT_FALSE(t.add("", "a/b"));
  EXPECT_FALSE(t.add("a.b", "a/b"));
  EXPECT_FALSE(t.add("a/b", "a/b"));
  EXPECT_FALSE(t.add(std::string(17, 'a'), "a/b"));
  EXPECT_FALSE(t.add("x", ""));
  EXPECT_FALSE(t.add("x", "text/html\r\nX-Evil: 1"));
  EXPECT_FALSE(t.set_default("a\nb"));
}

}  // namespace
