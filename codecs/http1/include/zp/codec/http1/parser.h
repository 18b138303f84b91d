/// \file
/// HTTP/1.1 message-head parsers (RFC 9112), picohttpparser-shaped: one call over the bytes
/// received so far, views into them, a caller-owned header array, no allocation, no state
/// (call again with the whole buffer when more arrives). Strict where ambiguity enables
/// request smuggling (RFC 9112 §6.3); the message framing is derived for the caller.
/// \code
///   zp::codec::http1::Header hs[64];
///   zp::codec::http1::Request req;
///   auto r = parse_request(buf, req, hs);   // complete: body starts at buf[r.consumed]
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "zp/codec/http1/errc.h"

namespace zp::codec::http1 {

/// The request method, as a known value.
enum class Method : std::uint8_t { other, get, head, post, put, delete_, connect, options, trace, patch };

/// Request-target form (RFC 9112 §3.2).
enum class TargetForm : std::uint8_t { origin, absolute, authority, asterisk };

/// A parsed request head. Every string_view points into the parsed input and lives as long
/// as it does; `headers` is the filled prefix of the caller's array.
struct Request {
  std::string_view method{};     ///< as sent (case-sensitive token)
  Method method_id = Method::other;  ///< the method as a known value (Method::other for the rest)
  std::string_view target{};     ///< as sent, not decoded
  TargetForm target_form = TargetForm::origin;  ///< origin, absolute, authority or asterisk form
  int version_minor = 1;       ///< `HTTP/1.<minor>`: 0 or 1
  std::span<Header> headers{};  ///< fields in order, views into the input (the caller's array)
  std::string_view host{};       ///< the Host value (empty when absent, HTTP/1.0 only)
  /// Framing (RFC 9112 §6.3): chunked, else content_length, else no body.
  std::optional<std::uint64_t> content_length{};
  bool chunked = false;  ///< Transfer-Encoding: chunked
  bool keep_alive = true;      ///< HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with keep-alive
  bool expect_continue = false;  ///< HTTP/1.1 "Expect: 100-continue"
  bool upgrade = false;        ///< Upgrade field plus "Connection: upgrade" (HTTP/1.1)
  std::string_view upgrade_protocols{};  ///< the Upgrade value when upgrade
};

/// A parsed response head; same lifetime rules as Request.
struct Response {
  int version_minor = 1;  ///< `HTTP/1.<minor>`: 0 or 1
  int status = 0;              ///< 100..999
  std::string_view reason{};  ///< reason phrase as received
  std::span<Header> headers{};  ///< fields in order, views into the input (the caller's array)
  std::optional<std::uint64_t> content_length{};  ///< Content-Length when present
  bool chunked = false;  ///< Transfer-Encoding: chunked
  /// No length: the body runs until the connection closes (no CL, or TE without a final
  /// chunked). False when no_body.
  bool until_close = false;
  bool no_body = false;        ///< 1xx, 204, 304 (the caller adds: any response to HEAD)
  bool keep_alive = true;  ///< whether the connection may be reused after this response
  bool upgrade = false;        ///< 101 with "Connection: upgrade"
};

/// Parses the request head at the front of `in` into `out`, its fields into `headers`.
///  complete:  out is filled; consumed covers the head (leading empty lines included).
///  need_more: the head is not complete and nothing is wrong so far (no limit passed);
///             out is unspecified.
///  error:     out is unspecified; status_for(result.error) is the reply.
/// Errors: see Errc. Rejects, among others, CL with TE, differing duplicate CLs (identical
/// duplicate lines are merged), TE without a final chunked (400) or with another coding
/// before it (501), obs-fold, space before ':', NUL, bare CR/LF, missing or duplicate Host
/// in HTTP/1.1, versions other than 1.0/1.1 (505). Reads only `in`.
ParseResult parse_request(std::span<const char> in, Request& out, std::span<Header> headers,
                          const Limits& limits = {}) noexcept;
/// The same over a string_view.
inline ParseResult parse_request(std::string_view in, Request& out, std::span<Header> headers,
                                 const Limits& limits = {}) noexcept {
  return parse_request(std::span<const char>(in.data(), in.size()), out, headers, limits);
}
/// For std::string (which converts to both of the above).
inline ParseResult parse_request(const std::string& in, Request& out, std::span<Header> headers,
                                 const Limits& limits = {}) noexcept {
  return parse_request(std::span<const char>(in.data(), in.size()), out, headers, limits);
}

/// Parses the response head at the front of `in`; outcomes as parse_request. A malformed
/// status line is bad_status_line; fields follow the same rules (minus Host).
ParseResult parse_response(std::span<const char> in, Response& out, std::span<Header> headers,
                           const Limits& limits = {}) noexcept;
/// The same over a string_view.
inline ParseResult parse_response(std::string_view in, Response& out, std::span<Header> headers,
                                  const Limits& limits = {}) noexcept {
  return parse_response(std::span<const char>(in.data(), in.size()), out, headers, limits);
}
/// For std::string (which converts to both of the above).
inline ParseResult parse_response(const std::string& in, Response& out, std::span<Header> headers,
                                  const Limits& limits = {}) noexcept {
  return parse_response(std::span<const char>(in.data(), in.size()), out, headers, limits);
}

/// ASCII case-insensitive comparison, for field names and tokens.
bool iequals(std::string_view a, std::string_view b) noexcept;

/// The first field named `name` (case-insensitive), or nullptr.
const Header* find_header(std::span<const Header> headers, std::string_view name) noexcept;

}  // namespace zp::codec::http1
