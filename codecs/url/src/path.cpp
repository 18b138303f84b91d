// Request-path normalization for static serving (see path.h).
#include "zp/codec/url/path.h"

#include <cstdint>
#include <cstring>

#include "chars.h"
#include "zp/codec/utf8.h"
#include "zp/codec/url/url.h"

namespace zp::codec::url {
namespace {

using detail::has_class;
using detail::hex_value;

using codec::valid_utf8;

}  // namespace

int path_http_status(PathErrc e) noexcept {
  switch (e) {
    case PathErrc::ok: return 200;
    case PathErrc::too_long: return 414;
    case PathErrc::traversal: return 403;
    case PathErrc::encoded_slash:
    case PathErrc::dotfile: return 404;
    case PathErrc::buffer_too_small: return 500;
    case PathErrc::not_absolute:
    case PathErrc::bad_char:
    case PathErrc::bad_percent:
    case PathErrc::nul:
    case PathErrc::control:
    case PathErrc::backslash:
    case PathErrc::bad_utf8: return 400;
  }
  return 500;
}

int path_http_status(std::error_code e) noexcept {
  if (!e) return 200;
  if (e.category() != path_category()) return 500;
  return path_http_status(static_cast<PathErrc>(e.value()));
}

Result<std::string_view> normalize_path(std::string_view raw, std::span<char> out,
                                        const PathOptions& opt) noexcept {
  if (raw.size() > opt.max_path_bytes) return fail(PathErrc::too_long);
  if (out.size() < raw.size()) return fail(PathErrc::buffer_too_small);
  if (raw.empty() || raw[0] != '/') return fail(PathErrc::not_absolute);

  // Pass 1: decode every %XX exactly once into out.
  std::size_t n = 0;
  bool non_ascii = false;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '%') {
      if (raw.size() - i < 3) return fail(PathErrc::bad_percent);
      const int h = hex_value(raw[i + 1]), l = hex_value(raw[i + 2]);
      if (h < 0 || l < 0) return fail(PathErrc::bad_percent);
      const auto b = static_cast<unsigned char>(h * 16 + l);
      if (b == 0) return fail(PathErrc::nul);
      if (b == '/') return fail(PathErrc::encoded_slash);
      if (b == '\\') return fail(PathErrc::backslash);
      if (b < 0x20 || b == 0x7f) return fail(PathErrc::control);
      non_ascii = non_ascii || b >= 0x80;
      out[n++] = static_cast<char>(b);
      i += 2;
    } else if (has_class(c, detail::k_pchar | detail::k_slash)) {
      out[n++] = c;
    } else {
      return fail(PathErrc::bad_char);
    }
  }
  if (non_ascii && !opt.allow_non_utf8 && !valid_utf8(std::string_view(out.data(), n)))
    return fail(PathErrc::bad_utf8);

  // Pass 2, in place (the write index never passes the read index): drop empty and "."
  // segments, pop on "..", refuse to pop above the root, copy the others.
  std::size_t r = 0, w = 0;
  bool dir = false;  // the last segment was empty, "." or "..": keep a trailing '/'
  while (r < n) {  // out[r] == '/'
    std::size_t e = r + 1;
    while (e < n && out[e] != '/') ++e;
    const std::string_view seg(out.data() + r + 1, e - r - 1);
    if (seg.empty() || seg == ".") {
      dir = true;
    } else if (seg == "..") {
      if (w == 0) return fail(PathErrc::traversal);
      while (out[w - 1] != '/') --w;
      --w;
      dir = true;
    } else {
      if (seg[0] == '.' && !opt.allow_dotfiles &&
          !(opt.allow_well_known && w == 0 && seg == ".well-known"))
        return fail(PathErrc::dotfile);
      if (w != r) std::memmove(out.data() + w, out.data() + r, e - r);
      w += e - r;
      dir = false;
    }
    r = e;
  }
  if (w == 0 || dir) out[w++] = '/';
  return std::string_view(out.data(), w);
}

Result<std::size_t> encode_path(std::string_view decoded, std::span<char> out) noexcept {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::size_t n = 0;
  for (char c : decoded) {
    if (has_class(c, detail::k_pchar | detail::k_slash)) {
      if (out.size() - n < 1) return fail(Errc::buffer_too_small);
      out[n++] = c;
    } else {
      if (out.size() - n < 3) return fail(Errc::buffer_too_small);
      const auto b = static_cast<unsigned char>(c);
      out[n++] = '%';
      out[n++] = hex[b >> 4];
      out[n++] = hex[b & 15];
    }
  }
  return n;
}

}  // namespace zp::codec::url
