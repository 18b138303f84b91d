/// \file
/// SMTP codec (RFC 5321 and its extensions) — error codes and the reply a server answers
/// each of them with.
/// \code
///   auto r = zp::codec::smtp::parse_command(buf, limits, cmd);
///   if (r.status == Status::error) send(reply_for(r.error));  // e.g. 501 5.1.7
/// \endcode
#pragma once

#include <cstdint>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace zp::codec::smtp {

/// Errors of the SMTP codec (category "zp.codec.smtp").
enum class Errc : int {
  ok = 0,
  // framing
  bare_lf = 1,              ///< LF not preceded by CR (SMTP smuggling)
  bare_cr = 2,              ///< CR not followed by LF (SMTP smuggling)
  nul = 3,                  ///< NUL byte in a command line or in DATA
  line_too_long = 4,        ///< command line over 512 or text line over 1000 octets (CRLF included)
  // commands
  unknown_command = 5,      ///< verb not one this codec knows
  syntax = 6,               ///< bad arguments for the verb (missing, extra, malformed)
  bad_path = 7,             ///< reverse-path or forward-path not RFC 5321 4.1.2
  local_part_too_long = 8,  ///< local part over 64 octets
  domain_too_long = 9,      ///< domain over 255 octets (or a label over 63)
  path_too_long = 10,       ///< path over 256 octets
  non_ascii_address = 11,   ///< 8-bit address without SMTPUTF8 (or bad UTF-8 with it)
  unknown_parameter = 12,   ///< ESMTP parameter not recognised
  bad_parameter = 13,       ///< ESMTP parameter value malformed
  duplicate_parameter = 14, ///< ESMTP parameter given twice
  bad_xtext = 15,           ///< xtext not RFC 3461 4 (lower-case hex, '+' or '=' unescaped)
  // replies
  bad_reply = 16,           ///< not `ddd[ -]text`, or codes differ between lines
  too_many_reply_lines = 17,///< multi-line reply over the line limit
  // data
  message_too_large = 18,   ///< message over the size limit (552)
  bad_chunk = 19,           ///< BDAT size missing, not a number, or too large
  // auth
  bad_base64 = 20,          ///< SASL payload not base64
  bad_auth_payload = 21,    ///< decoded SASL payload not the mechanism's format
  auth_cancelled = 22,      ///< the client answered a challenge with "*"
  // serializer
  buffer_too_small = 23,    ///< the output buffer cannot hold the result
  bad_reply_text = 24,      ///< reply text with CR, LF or NUL, or a code outside 200-599
};
const std::error_category& category() noexcept;  ///< the category of Errc ("zp.codec.smtp")
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), category()}; }  ///< an error_code of `e`

/// The enumerator's name ("bare_lf"), for logs and test vectors; "" when out of range.
std::string_view errc_name(Errc e) noexcept;

/// The reply a server sends for a parse error: its code and RFC 3463 enhanced code.
struct ErrorReply {
  std::uint16_t code = 0;        ///< three-digit reply code (500, 501, 552, 553, 554, 555)
  std::string_view enhanced;     ///< enhanced status code ("5.5.2"); static storage
  std::string_view text;         ///< short human-readable text; static storage
};

/// The reply for `e`: 500 5.5.2 for framing errors, 500 5.5.1 unknown command, 501 5.5.4
/// syntax, 553 5.1.3/5.1.7 for paths, 555 5.5.4 unknown parameter, 552 5.3.4 too large,
/// 535 5.7.8 bad credentials format, 501 5.7.0 AUTH cancelled. {0, "", ""} for ok.
ErrorReply reply_for(Errc e) noexcept;

}  // namespace zp::codec::smtp

/// \cond internal
template <>
struct std::is_error_code_enum<zp::codec::smtp::Errc> : std::true_type {};
/// \endcond
