/// \file
/// MIME codec (RFC 5322 header, RFC 2045-2049, RFC 2231) — error codes.
/// \code
///   auto r = zp::codec::mime::parse_header(msg, {}, fields);
///   if (r.status == Status::error) log(errc_name(r.error));
/// \endcode
#pragma once

#include <string_view>
#include <system_error>
#include <type_traits>

namespace zp::codec::mime {

/// Errors of the MIME codec (category "zp.codec.mime").
enum class Errc : int {
  ok = 0,
  bare_lf = 1,           ///< LF without CR in a header
  bare_cr = 2,           ///< CR without LF in a header
  nul = 3,               ///< NUL in a header
  line_too_long = 4,     ///< header line over HeaderLimits::max_line_bytes
  header_too_large = 5,  ///< header section over HeaderLimits::max_header_bytes
  too_many_fields = 6,   ///< more fields than the limit or the caller's array
  bad_field = 7,         ///< no colon, bad field name, or a continuation line first
  bad_content_type = 8,  ///< not type "/" subtype, or bad parameter syntax
  too_many_params = 9,   ///< more parameters than the caller's array
  duplicate_param = 10,  ///< a parameter given twice
  bad_rfc2231 = 11,      ///< continuations not 0..n, bad charset'lang' or %XX
  bad_boundary = 12,     ///< boundary missing, empty, over 70 octets or bad characters
  too_deep = 13,         ///< multipart nesting over the depth limit
  too_many_parts = 14,   ///< more parts than the limit or the caller's array
  no_close_delimiter = 15,  ///< a multipart body ends without its close delimiter
  bad_encoding = 16,     ///< quoted-printable or base64 content malformed
  bad_header_value = 17, ///< a value to build holds CR, LF or NUL (header injection)
  buffer_too_small = 18, ///< the output or scratch buffer cannot hold the result
};
const std::error_category& category() noexcept;  ///< the category of Errc ("zp.codec.mime")
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), category()}; }  ///< an error_code of `e`

/// The enumerator's name ("bad_boundary"); "" when out of range.
std::string_view errc_name(Errc e) noexcept;

}  // namespace zp::codec::mime

/// \cond internal
template <>
struct std::is_error_code_enum<zp::codec::mime::Errc> : std::true_type {};
/// \endcond
