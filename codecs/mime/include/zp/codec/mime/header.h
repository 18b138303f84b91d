/// \file
/// A message header (RFC 5322 2.2, 3.6) and the MIME fields (RFC 2045, RFC 2231), parsed
/// into views of the input; decoded parameter values go to a caller's scratch buffer.
/// \code
///   zp::codec::mime::Field fields[64];
///   auto r = parse_header(msg, {}, fields);             // r.consumed: header + blank line
///   Param params[8]; char scratch[512]; ContentType ct;
///   if (auto v = find_field(fields, r.count, "Content-Type"))
///     parse_content_type(*v, ct, params, scratch);       // ct.param("boundary")
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "zp/codec/mime/errc.h"
#include "zp/result.h"

namespace zp::codec::mime {

/// What a parse call found: a whole item, not yet a whole one, or an error.
enum class Status { ok, need_more, error };

/// Limits of the header parser.
struct HeaderLimits {
  std::size_t max_line_bytes = 998;          ///< one physical line without CRLF (RFC 5322 2.1.1)
  std::size_t max_header_bytes = 256 << 10;  ///< the whole header section
  std::size_t max_fields = 512;              ///< fields (also bounded by the caller's array)
};

/// One header field. Views into the input.
struct Field {
  std::string_view name;   ///< field name as sent (compare case-insensitively)
  std::string_view value;  ///< raw value after the colon and leading WSP, folding CRLFs kept
};

/// Outcome of parse_header.
struct [[nodiscard]] HeaderResult {
  Status status = Status::need_more;  ///< ok, need_more or error
  std::size_t consumed = 0;           ///< ok: the header and the empty line after it
  std::size_t count = 0;              ///< ok: fields written
  Errc error = Errc::ok;              ///< error: why
};

/// Parses the header section at the front of `in` into `fields`.
///  ok:        up to and including the empty line; the body starts at consumed.
///  need_more: no empty line yet (and within the limits).
///  error:     bare_lf/bare_cr/nul/line_too_long, header_too_large, too_many_fields,
///             bad_field (no colon, a name outside %d33-126, a continuation first).
HeaderResult parse_header(std::string_view in, const HeaderLimits& limits, std::span<Field> fields) noexcept;

/// The value of the first field named `name` (case-insensitive) among fields[0..count).
std::optional<std::string_view> find_field(std::span<const Field> fields, std::size_t count, std::string_view name) noexcept;

/// Unfolds `value` (removes each CRLF before WSP, RFC 5322 2.2.3) into `out`; returns
/// the length, or buffer_too_small. The result is never longer than `value`.
Result<std::size_t> unfold(std::string_view value, std::span<char> out) noexcept;

/// A parameter of Content-Type or Content-Disposition. `value` is decoded (quotes, RFC 2231
/// %XX and continuations joined) and points into the input when no decoding was needed,
/// into the scratch buffer otherwise.
struct Param {
  std::string_view name;      ///< attribute without `*n*` (case as sent)
  std::string_view value;     ///< decoded value (bytes in `charset`)
  std::string_view charset;   ///< RFC 2231 charset; empty when not given
  std::string_view language;  ///< RFC 2231 language; empty when not given
};

/// A parsed Content-Type (or, with type only, Content-Disposition).
struct ContentType {
  std::string_view type;        ///< "multipart" (case as sent)
  std::string_view subtype;     ///< "mixed"; empty for Content-Disposition
  std::span<const Param> params;///< the caller's array, filled
  /// The decoded value of parameter `name` (case-insensitive), or nullopt.
  std::optional<std::string_view> param(std::string_view name) const noexcept;
  /// True when type/subtype equal these (case-insensitive); subtype "*" matches any.
  bool is(std::string_view t, std::string_view s = "*") const noexcept;
};

/// Parses a Content-Type value (RFC 2045 5.1, RFC 2231 3-5; comments and folding allowed)
/// into `out`, parameters into `params`, decoded text into `scratch`. Errors:
/// bad_content_type, too_many_params, duplicate_param, bad_rfc2231, buffer_too_small.
Errc parse_content_type(std::string_view value, ContentType& out, std::span<Param> params,
                        std::span<char> scratch) noexcept;
/// Parses a Content-Disposition value (RFC 2183): `out.type` is the disposition.
Errc parse_disposition(std::string_view value, ContentType& out, std::span<Param> params,
                       std::span<char> scratch) noexcept;

/// Content-Transfer-Encoding values (RFC 2045 6.1).
enum class Cte : std::uint8_t { seven_bit, eight_bit, binary, quoted_printable, base64, unknown };
/// The encoding a Content-Transfer-Encoding value names (case-insensitive, CFWS ignored);
/// an absent field means seven_bit.
Cte parse_cte(std::string_view value) noexcept;

}  // namespace zp::codec::mime
