// Built-in MIME table and MimeTable (see mime.h).
#include "zp/codec/url/mime.h"

#include <algorithm>
#include <array>

#include "chars.h"

namespace zp::codec::url {
namespace {

#define ZP_TEXT(t) t "; charset=utf-8"
// Sorted by extension (checked by a static_assert below and by the unit test).
constexpr MimeEntry k_builtin[] = {
    {"3gp", "video/3gpp"},
    {"7z", "application/x-7z-compressed"},
    {"aac", "audio/aac"},
    {"apng", "image/apng"},
    {"atom", "application/atom+xml"},
    {"avi", "video/x-msvideo"},
    {"avif", "image/avif"},
    {"bin", "application/octet-stream"},
    {"bmp", "image/bmp"},
    {"br", "application/x-brotli"},
    {"bz2", "application/x-bzip2"},
    {"css", ZP_TEXT("text/css")},
    {"csv", ZP_TEXT("text/csv")},
    {"deb", "application/vnd.debian.binary-package"},
    {"doc", "application/msword"},
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"eot", "application/vnd.ms-fontobject"},
    {"epub", "application/epub+zip"},
    {"exe", "application/vnd.microsoft.portable-executable"},
    {"flac", "audio/flac"},
    {"gif", "image/gif"},
    {"glb", "model/gltf-binary"},
    {"gltf", "model/gltf+json"},
    {"gz", "application/gzip"},
    {"heic", "image/heic"},
    {"htm", ZP_TEXT("text/html")},
    {"html", ZP_TEXT("text/html")},
    {"ico", "image/x-icon"},
    {"ics", ZP_TEXT("text/calendar")},
    {"iso", "application/x-iso9660-image"},
    {"jar", "application/java-archive"},
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"js", ZP_TEXT("text/javascript")},
    {"json", "application/json"},
    {"jsonld", "application/ld+json"},
    {"jxl", "image/jxl"},
    {"log", ZP_TEXT("text/plain")},
    {"m3u8", "application/vnd.apple.mpegurl"},
    {"m4a", "audio/mp4"},
    {"m4v", "video/mp4"},
    {"map", "application/json"},
    {"md", ZP_TEXT("text/markdown")},
    {"mid", "audio/midi"},
    {"midi", "audio/midi"},
    {"mjs", ZP_TEXT("text/javascript")},
    {"mkv", "video/x-matroska"},
    {"mov", "video/quicktime"},
    {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"},
    {"mpd", "application/dash+xml"},
    {"mpeg", "video/mpeg"},
    {"mpg", "video/mpeg"},
    {"oga", "audio/ogg"},
    {"ogg", "audio/ogg"},
    {"ogv", "video/ogg"},
    {"opus", "audio/ogg"},
    {"otf", "font/otf"},
    {"pdf", "application/pdf"},
    {"pem", "application/x-pem-file"},
    {"png", "image/png"},
    {"ppt", "application/vnd.ms-powerpoint"},
    {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    {"rar", "application/vnd.rar"},
    {"rss", "application/rss+xml"},
    {"rtf", "application/rtf"},
    {"sh", "application/x-sh"},
    {"svg", "image/svg+xml"},
    {"svgz", "image/svg+xml"},
    {"tar", "application/x-tar"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"toml", "application/toml"},
    {"ts", "video/mp2t"},
    {"tsv", ZP_TEXT("text/tab-separated-values")},
    {"ttf", "font/ttf"},
    {"txt", ZP_TEXT("text/plain")},
    {"vtt", ZP_TEXT("text/vtt")},
    {"wasm", "application/wasm"},
    {"wav", "audio/wav"},
    {"weba", "audio/webm"},
    {"webm", "video/webm"},
    {"webmanifest", "application/manifest+json"},
    {"webp", "image/webp"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"xhtml", "application/xhtml+xml"},
    {"xls", "application/vnd.ms-excel"},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"xml", "application/xml"},
    {"xsl", "application/xml"},
    {"xz", "application/x-xz"},
    {"yaml", "application/yaml"},
    {"yml", "application/yaml"},
    {"zip", "application/zip"},
    {"zst", "application/zstd"},
    {"zstd", "application/zstd"},
};
#undef ZP_TEXT

constexpr bool sorted_lowercase() {
  for (std::size_t i = 0; i < std::size(k_builtin); ++i) {
    for (char c : k_builtin[i].extension)
      if (c >= 'A' && c <= 'Z') return false;
    if (i > 0 && !(k_builtin[i - 1].extension < k_builtin[i].extension)) return false;
  }
  return true;
}
static_assert(sorted_lowercase(), "k_builtin must be sorted by lowercase extension");

// Lowercases ext (one leading '.' dropped) into buf; false when it cannot be an extension.
bool fold(std::string_view ext, std::array<char, max_extension_bytes>& buf, std::string_view& folded) noexcept {
  if (!ext.empty() && ext[0] == '.') ext.remove_prefix(1);
  if (ext.empty() || ext.size() > max_extension_bytes) return false;
  for (std::size_t i = 0; i < ext.size(); ++i) buf[i] = detail::lower(ext[i]);
  folded = std::string_view(buf.data(), ext.size());
  return true;
}

// "type/subtype[; params]": a '/' after a non-empty type, no control bytes (they would
// break the Content-Type field), and bounded.
bool valid_type(std::string_view type) noexcept {
  if (type.empty() || type.size() > 256) return false;
  size_t slash = type.find('/');
  if (slash == 0 || slash == std::string_view::npos || slash + 1 == type.size()) return false;
  for (char c : type) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  for (char c : type.substr(0, slash)) {
    if (c == ' ' || c == '\t' || c == ';') return false;
  }
  return true;
}

}  // namespace

std::span<const MimeEntry> builtin_mime_types() noexcept { return k_builtin; }

std::string_view builtin_mime_type(std::string_view ext) noexcept {
  std::array<char, max_extension_bytes> buf;
  std::string_view key;
  if (!fold(ext, buf, key)) return {};
  const auto* it = std::lower_bound(std::begin(k_builtin), std::end(k_builtin), key,
                                    [](const MimeEntry& e, std::string_view k) { return e.extension < k; });
  if (it == std::end(k_builtin) || it->extension != key) return {};
  return it->type;
}

std::string_view extension_of(std::string_view path) noexcept {
  const std::size_t slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return name.substr(dot + 1);
}

Result<void> MimeTable::add(std::string_view ext, std::string_view type) {
  std::array<char, max_extension_bytes> buf;
  std::string_view key;
  if (!fold(ext, buf, key) || key.find_first_of("/.") != std::string_view::npos || !valid_type(type))
    return fail(EINVAL);
  auto it = std::lower_bound(overrides_.begin(), overrides_.end(), key,
                             [](const Override& o, std::string_view k) { return o.extension < k; });
  if (it != overrides_.end() && it->extension == key) {
    it->type.assign(type);
  } else {
    overrides_.insert(it, Override{std::string(key), std::string(type)});
  }
  return {};
}

Result<void> MimeTable::set_default(std::string_view type) {
  if (!valid_type(type)) return fail(EINVAL);
  default_.assign(type);
  return {};
}

std::string_view MimeTable::lookup(std::string_view ext) const noexcept {
  std::array<char, max_extension_bytes> buf;
  std::string_view key;
  if (!fold(ext, buf, key)) return default_;
  if (!overrides_.empty()) {
    auto it = std::lower_bound(overrides_.begin(), overrides_.end(), key,
                               [](const Override& o, std::string_view k) { return o.extension < k; });
    if (it != overrides_.end() && it->extension == key) return it->type;
  }
  const std::string_view t = builtin_mime_type(key);
  return t.empty() ? std::string_view(default_) : t;
}

}  // namespace zp::codec::url
