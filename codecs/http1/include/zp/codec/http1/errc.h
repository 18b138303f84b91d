/// \file
/// HTTP/1.1 codec (RFC 9110/9112) — shared vocabulary: error codes and the HTTP status each
/// one maps to, parse status, limits, and the header view every parser and serializer uses.
/// \code
///   auto r = zp::codec::http1::parse_request(buf, req, headers);
///   if (r.status == Status::error) { auto s = status_for(r.error); reply(s.code, s.reason); close(); }
///   // s == {400, "Bad Request: Content-Length with Transfer-Encoding"} and so on.
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace zp::codec::http1 {

/// Errors of the http1 codec (category "zp.codec.http1"). The comment gives the status
/// status_for() maps each one to; a server answers it and closes the connection.
enum class Errc : int {
  ok = 0,
  /// 400 Bad Request: start line
  bad_request_line = 1,   ///< missing parts, extra spaces, HTTP/0.9 style line
  bad_method = 2,         ///< empty method or a non-token character in it
  bad_target = 3,         ///< bad characters, or a form not allowed for the method
  bad_version = 4,        ///< not "HTTP/" DIGIT "." DIGIT
  /// 400: header fields
  bad_header_name = 5,    ///< empty name, non-token character, or a line without ':'
  space_before_colon = 6, ///< whitespace between field name and ':' (RFC 9112 §5.1 MUST 400)
  obs_fold = 7,           ///< a line starting with SP/HTAB (obsolete line folding)
  space_after_start_line = 8,  ///< whitespace between the start line and the first field
  bad_header_value = 9,   ///< a CTL other than HTAB, or DEL, in a field value
  bare_cr = 10,           ///< CR not followed by LF
  bare_lf = 11,           ///< LF not preceded by CR (unless Limits::allow_bare_lf)
  nul = 12,               ///< a NUL byte anywhere in the head
  missing_host = 13,      ///< HTTP/1.1 request without Host
  duplicate_host = 14,    ///< more than one Host line
  bad_host = 15,          ///< Host value with characters outside uri-host [":" port]
  /// 400: framing (request smuggling)
  bad_content_length = 16,         ///< not 1*DIGIT, or overflows 64 bits
  conflicting_content_length = 17, ///< duplicate Content-Length lines with different values
  content_length_and_transfer_encoding = 18,  ///< both present
  transfer_encoding_in_http10 = 19,           ///< Transfer-Encoding in an HTTP/1.0 message
  chunked_not_final = 20,          ///< Transfer-Encoding present, chunked not the last coding
  chunked_twice = 21,              ///< chunked applied more than once
  bad_transfer_encoding = 22,      ///< list syntax error in Transfer-Encoding
  /// 400: chunked body
  bad_chunk_size = 23,        ///< not 1*HEXDIG, junk around it, or more than 64 bits
  bad_chunk_extension = 24,   ///< chunk-ext syntax error
  chunk_line_too_long = 25,   ///< chunk-size line (with extensions) over Limits::max_chunk_line_bytes
  bad_chunk_terminator = 26,  ///< chunk data not followed by CRLF
  /// 501 Not Implemented
  unsupported_transfer_coding = 27,  ///< a coding other than chunked before the final chunked
  /// 505 HTTP Version Not Supported
  unsupported_version = 28,          ///< well-formed version other than HTTP/1.0 and HTTP/1.1
  /// 413 Content Too Large
  body_too_large = 29,         ///< Content-Length or chunked total over Limits::max_body_bytes
  /// 414 URI Too Long
  request_line_too_long = 30,  ///< request line over Limits::max_request_line_bytes
  /// 431 Request Header Fields Too Large
  too_many_headers = 31,       ///< over Limits::max_header_count or the caller's array
  headers_too_large = 32,      ///< header section over Limits::max_header_bytes
  trailers_too_large = 33,     ///< trailer section over Limits::max_trailer_bytes
  /// 417 Expectation Failed
  unsupported_expectation = 34,  ///< Expect other than 100-continue
  /// 502 Bad Gateway (response parsing: our peer is the faulty one)
  bad_status_line = 35,          ///< response status line malformed
  /// Serializers (500: our own bug, never the peer's)
  buffer_too_small = 36,         ///< output buffer or iovec array too small
  bad_field = 37,                ///< serializer input with a character that would split the message
};
const std::error_category& category() noexcept;  ///< the category of Errc ("zp.codec.http1")
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), category()}; }  ///< an error_code of `e` (lets Errc convert to std::error_code)

/// The reply a server sends for a parse error: status code and "Reason: detail" text (a
/// static string). ok maps to {200, "OK"}; serializer errors map to 500.
struct HttpStatus {
  int code = 0;  ///< the status code
  std::string_view reason{};  ///< its reason phrase
};
HttpStatus status_for(Errc e) noexcept;  ///< the status a server answers `e` with (400, 413, 431, 505, ...)

/// The enumerator's name ("bare_cr"), for logs and test vectors; "" for values out of range.
std::string_view errc_name(Errc e) noexcept;

/// Whether the connection must be closed after a message that failed with `e` (every parse
/// error: the framing is in doubt). False only for ok.
constexpr bool must_close(Errc e) noexcept { return e != Errc::ok; }

/// What a parse call found: a whole message head, not yet, or an error.
enum class Status : std::uint8_t { complete, need_more, error };

/// Outcome of every parse call.
///  complete:  consumed = bytes of the message head (start line, fields, empty line); the
///             body, if any, starts at in[consumed].
///  need_more: no complete head yet and no error so far: call again with the same bytes
///             plus more. consumed = 0.
///  error:     `error` says why (status_for(error) is the reply); consumed = 0.
struct [[nodiscard]] ParseResult {
  Status status = Status::need_more;  ///< complete, need_more or error
  std::size_t consumed = 0;  ///< input octets used by the head
  Errc error = Errc::ok;  ///< Errc::ok, or what failed
};

/// A header field: views into the parsed input (or the caller's data when serializing);
/// valid as long as those bytes are. Value without leading/trailing whitespace.
struct Header {
  std::string_view name{};  ///< field name as received
  std::string_view value{};  ///< field value without surrounding white space
};

/// Limits with safe defaults; each hit is its own Errc.
struct Limits {
  std::size_t max_request_line_bytes = 8192;  ///< request/status line without CRLF → 414
  std::size_t max_header_count = 100;         ///< fields (also capped by the caller's array) → 431
  std::size_t max_header_bytes = 32768;       ///< header section after the start line, with CRLFs → 431
  std::uint64_t max_body_bytes = std::uint64_t{64} << 20;  ///< Content-Length / chunked total → 413
  std::size_t max_chunk_line_bytes = 1024;    ///< chunk-size line with extensions → 400
  std::size_t max_trailer_bytes = 8192;       ///< trailer section of a chunked body → 431
  /// Leniency, off by default: accept LF alone as the line terminator of the start line and
  /// header fields (never in chunked framing). Request smuggling risk behind a proxy that
  /// disagrees.
  bool allow_bare_lf = false;
};

}  // namespace zp::codec::http1

/// \cond internal
template <>
struct std::is_error_code_enum<zp::codec::http1::Errc> : std::true_type {};
/// \endcond
