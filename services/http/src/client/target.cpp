// URL → Target: the scheme and userinfo checks the client makes before any I/O.
#include "target.h"

#include <vector>

#include "zp/codec/http1/parser.h"
#include "zp/http/client.h"

namespace zp::http::client {

namespace url = codec::url;

Result<Target> parse_target(std::string_view text) {
  auto u = url::parse(text);
  if (!u) return u.error();
  if (!u->is_absolute()) return url::make_error_code(url::Errc::not_absolute);
  const bool tls = codec::http1::iequals(u->scheme, "https");
  if (!tls && !codec::http1::iequals(u->scheme, "http")) return make_error_code(Errc::unsupported_scheme);
  if (u->has_userinfo) return make_error_code(Errc::userinfo_in_url);
  if (!u->has_authority || u->host.empty() || u->host_kind == url::HostKind::ipvfuture)
    return make_error_code(Errc::no_host);
  Target t;
  t.host.assign(u->host);
  t.host_kind = u->host_kind;
  t.tls = tls;
  t.port = u->has_port && !u->port.empty() ? u->effective_port() : uint16_t(tls ? 443 : 80);
  const bool v6 = u->host_kind == url::HostKind::ipv6;
  std::string bracketed = v6 ? "[" + t.host + "]" : t.host;
  t.host_field = bracketed;
  if (u->has_port && !u->port.empty() && t.port != (tls ? 443 : 80)) t.host_field += ":" + std::string(u->port);
  t.origin = (tls ? "https://" : "") + bracketed + ":" + std::to_string(t.port);
  t.request_target = u->path.empty() ? std::string("/") : std::string(u->path);
  if (u->has_query) {
    t.request_target += '?';
    t.request_target += u->query;
  }
  // The fragment never leaves the client.
  url::Url copy = *u;
  copy.has_fragment = false;
  copy.fragment = {};
  t.url.resize(url::serialized_size(copy));
  auto n = url::serialize(copy, std::span<char>(t.url.data(), t.url.size()));
  if (!n) return n.error();
  t.url.resize(*n);
  return t;
}

Result<Target> resolve_location(const Target& base, std::string_view location) {
  auto b = url::parse(base.url);
  if (!b) return b.error();
  auto ref = url::parse(location);
  if (!ref) return make_error_code(Errc::bad_location);
  std::string out(url::resolved_size_max(*b, *ref), '\0');
  auto n = url::resolve(*b, *ref, std::span<char>(out.data(), out.size()));
  if (!n) return n.error();
  out.resize(*n);
  return parse_target(out);
}

}  // namespace zp::http::client
