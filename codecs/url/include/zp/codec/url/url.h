/// \file
/// RFC 3986 URI references for the HTTP/WebSocket/FTP clients and the HTTP server: a strict
/// parser into views (scheme, userinfo, host, port, path, query, fragment), recomposition
/// (§5.3) with and without userinfo, and reference resolution (§5.2) into a caller buffer.
/// Whole-input, never allocates; every view points into the parsed string.
/// \code
///   auto u = zp::codec::url::parse("http://user@[::1]:8080/a/b?q#f");   // Result<Url>
///   if (u) connect(u->host, u->effective_port());      // "::1", 8080
///   auto n = zp::codec::url::resolve(base, ref, buf);   // Result<size_t>: bytes written to buf
/// \endcode
/// Strict: spaces, control bytes, non-ASCII bytes, bad %-escapes and characters a component
/// may not hold are errors; IPv6 zone ids and numeric-looking host names that are not a
/// dotted quad ("127.1", "0x7f.1", which resolvers read as addresses) need a named option.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "zp/result.h"

namespace zp::codec::url {

/// Errors of parse/serialize/resolve (category "zp.codec.url").
enum class Errc : int {
  ok = 0,
  too_long = 1,          ///< input longer than Limits::max_url_bytes (HTTP: 414)
  bad_char = 2,          ///< space, control byte (incl. NUL, CR, LF, TAB), DEL or non-ASCII byte
  bad_percent = 3,       ///< '%' not followed by two hex digits
  bad_scheme = 4,        ///< text before the first ':' is not a scheme (and cannot be a path)
  bad_userinfo = 5,      ///< a character userinfo may not hold
  bad_host = 6,          ///< a character a reg-name may not hold, or a malformed IP literal
  host_too_long = 7,     ///< host longer than Limits::max_host_bytes
  bad_ipv6 = 8,          ///< "[...]" holds no valid IPv6 address (nor IPvFuture)
  zone_id = 9,           ///< "[fe80::1%25eth0]" while Limits::allow_zone_id is off
  ambiguous_ipv4 = 10,   ///< reg-name ending in a numeric label that is not a dotted quad
  bad_port = 11,         ///< port not all digits or above 65535
  bad_path = 12,         ///< a character a path may not hold, or ':' in a relative first segment
  bad_query = 13,        ///< a character a query may not hold
  bad_fragment = 14,     ///< a character a fragment may not hold (incl. a second '#')
  buffer_too_small = 15, ///< the output buffer cannot hold the result (nothing useful written)
  not_absolute = 16,     ///< resolve(): the base has no scheme (RFC 3986 §5.2.1)
};
const std::error_category& category() noexcept;  ///< the category of Errc
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), category()}; }  ///< an error_code of `e` (lets Errc convert to std::error_code)

/// The HTTP status a request target failing with `e` is answered with: 414 for too_long,
/// 500 for buffer_too_small (a caller bug), 400 otherwise.
int http_status(Errc e) noexcept;

/// Limits of the URL parser.
struct Limits {
  /// Longest input accepted (HTTP request targets: answer 414 above it).
  std::size_t max_url_bytes = 8192;
  /// Longest host (DNS names are at most 253 characters).
  std::size_t max_host_bytes = 255;
  /// Leniency, off by default: accept an RFC 6874 zone id in an IPv6 literal
  /// ("[fe80::1%25eth0]"). Zone ids are local to this machine; never accept them from peers.
  bool allow_zone_id = false;
  /// Leniency, off by default: accept a reg-name whose last label is numeric ("127.1",
  /// "0x7f000001", "1.2.3.4.") although it is no dotted quad. getaddrinfo/inet_aton read
  /// such names as IPv4 addresses, so a host allow-list checked on the text can be bypassed
  /// (SSRF risk).
  bool allow_numeric_reg_name = false;
};

/// What a URL's host is.
enum class HostKind : std::uint8_t {
  reg_name,   ///< a name (possibly empty, possibly %-encoded): resolve it
  ipv4,       ///< dotted quad, each octet 0..255 without leading zeros
  ipv6,       ///< IPv6 literal; `host` is without brackets (and holds "%25zone" when allowed)
  ipvfuture,  ///< "[v1.x]": well-formed, but no client can connect to it
};

/// A parsed URI reference. Every view points into the parsed input and lives as long as it.
/// has_* flags tell an absent component from an empty one ("http://h?" has an empty query).
struct Url {
  std::string_view scheme;    ///< without ':'; empty for a relative reference
  std::string_view userinfo;  ///< without '@'; meaningful when has_userinfo
  std::string_view host;      ///< without brackets; meaningful when has_authority
  std::string_view port;      ///< digits, may be empty ("http://h:/"); meaningful when has_port
  std::string_view path;      ///< possibly empty, never absent
  std::string_view query;     ///< without '?'; meaningful when has_query
  std::string_view fragment;  ///< without '#'; meaningful when has_fragment
  std::uint16_t port_number = 0;  ///< the value of a non-empty port; 0 otherwise
  HostKind host_kind = HostKind::reg_name;  ///< reg-name, IPv4 or IPv6 literal
  bool has_authority = false;  ///< "//" was present
  bool has_userinfo = false;  ///< "user@" was present
  bool has_port = false;  ///< ":port" was present
  bool has_query = false;  ///< "?" was present
  bool has_fragment = false;  ///< "#" was present

  /// True when the reference has a scheme (an absolute URI, maybe with a fragment).
  bool is_absolute() const noexcept { return !scheme.empty(); }
  /// The port to connect to: port_number when the port is non-empty, otherwise
  /// default_port(scheme) (0 when the scheme has none).
  std::uint16_t effective_port() const noexcept;
  bool operator==(const Url&) const = default;  ///< component-wise equality
};

/// The registered default port of http/ws (80), https/wss (443) and ftp (21), compared
/// case-insensitively; 0 for any other scheme.
std::uint16_t default_port(std::string_view scheme) noexcept;

/// Parses a URI-reference (RFC 3986 §4.1: an absolute URI or a relative reference).
/// Returns the Url, or an Errc naming the first invalid component. The empty string is a
/// valid (same-document) reference.
Result<Url> parse(std::string_view in, const Limits& limits = {}) noexcept;

/// True when `s` is a dotted-quad IPv4address (RFC 3986 §3.2.2); writes the address to *out
/// (network order) when out is not null.
bool parse_ipv4(std::string_view s, std::array<std::uint8_t, 4>* out = nullptr) noexcept;
/// True when `s` (without brackets or zone) is an IPv6address (RFC 3986 §3.2.2); writes the
/// address to *out (network order) when out is not null.
bool parse_ipv6(std::string_view s, std::array<std::uint8_t, 16>* out = nullptr) noexcept;

/// Bytes serialize() writes for `u`.
std::size_t serialized_size(const Url& u) noexcept;
/// Recomposes `u` (RFC 3986 §5.3) into the front of `out`; returns the bytes written, or
/// buffer_too_small. serialize(parse(s)) == s for every s parse accepts.
Result<std::size_t> serialize(const Url& u, std::span<char> out) noexcept;

/// What redacted() leaves out.
struct RedactOptions {
  bool drop_query = false;  ///< also leave out "?query" (tokens often travel there)
};
/// Like serialize() but without "userinfo@" (and the fragment, which never leaves the
/// client): the form to write to logs. Returns the bytes written, or buffer_too_small.
Result<std::size_t> redacted(const Url& u, std::span<char> out, RedactOptions options = {}) noexcept;

/// Removes "." and ".." segments from `path` in place (RFC 3986 §5.2.4) and returns the new
/// length; ".." above the root is dropped as the RFC says ("/../g" becomes "/g").
std::size_t remove_dot_segments(std::span<char> path) noexcept;

/// Upper bound of the bytes resolve() writes.
inline std::size_t resolved_size_max(const Url& base, const Url& ref) noexcept {
  return serialized_size(base) + serialized_size(ref) + 3;
}
/// Resolves `ref` against `base` (RFC 3986 §5.2.2, strict: a reference with a scheme keeps
/// it) and writes the target URI (§5.3) to the front of `out`; returns the bytes written.
/// Errors: not_absolute when base has no scheme, buffer_too_small (use resolved_size_max).
/// A result without authority whose path would start with "//" gets "/." in front, so
/// the output always parses back to the same components.
Result<std::size_t> resolve(const Url& base, const Url& ref, std::span<char> out) noexcept;

}  // namespace zp::codec::url

/// \cond internal
template <>
struct std::is_error_code_enum<zp::codec::url::Errc> : std::true_type {};
/// \endcond
