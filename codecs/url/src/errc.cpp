// Error categories of codecs/url: "zp.codec.url" (url.h) and "zp.codec.url.path" (path.h).
#include <string>

#include "zp/codec/url/path.h"
#include "zp/codec/url/url.h"

namespace zp::codec::url {
namespace {

class UrlCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "zp.codec.url"; }
  std::string message(int ev) const override {
    switch (static_cast<Errc>(ev)) {
      case Errc::ok: return "ok";
      case Errc::too_long: return "URL too long";
      case Errc::bad_char: return "space, control or non-ASCII byte in URL";
      case Errc::bad_percent: return "malformed percent-encoding in URL";
      case Errc::bad_scheme: return "invalid URL scheme";
      case Errc::bad_userinfo: return "invalid character in URL userinfo";
      case Errc::bad_host: return "invalid URL host";
      case Errc::host_too_long: return "URL host too long";
      case Errc::bad_ipv6: return "invalid IPv6 literal in URL";
      case Errc::zone_id: return "IPv6 zone id not allowed in URL";
      case Errc::ambiguous_ipv4: return "numeric URL host that is not a dotted-quad IPv4 address";
      case Errc::bad_port: return "invalid URL port";
      case Errc::bad_path: return "invalid character in URL path";
      case Errc::bad_query: return "invalid character in URL query";
      case Errc::bad_fragment: return "invalid character in URL fragment";
      case Errc::buffer_too_small: return "output buffer too small";
      case Errc::not_absolute: return "base URL has no scheme";
    }
    return "unknown URL error";
  }
};

class PathCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "zp.codec.url.path"; }
  std::string message(int ev) const override {
    switch (static_cast<PathErrc>(ev)) {
      case PathErrc::ok: return "ok";
      case PathErrc::not_absolute: return "request path does not start with '/'";
      case PathErrc::too_long: return "request path too long";
      case PathErrc::bad_char: return "invalid character in request path";
      case PathErrc::bad_percent: return "malformed percent-encoding in request path";
      case PathErrc::nul: return "encoded NUL in request path";
      case PathErrc::control: return "encoded control character in request path";
      case PathErrc::backslash: return "encoded backslash in request path";
      case PathErrc::bad_utf8: return "request path is not valid UTF-8";
      case PathErrc::encoded_slash: return "encoded '/' in request path";
      case PathErrc::traversal: return "request path climbs above the root";
      case PathErrc::dotfile: return "request path names a dotfile";
      case PathErrc::buffer_too_small: return "output buffer too small";
    }
    return "unknown request path error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const UrlCategory c;
  return c;
}
const std::error_category& path_category() noexcept {
  static const PathCategory c;
  return c;
}

}  // namespace zp::codec::url
