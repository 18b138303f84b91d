/// \file
/// SMTP replies (RFC 5321 4.2): parse a whole multi-line reply into views, with its RFC 3463
/// enhanced status code and, for an EHLO reply, its extension keywords; serialize replies
/// into a caller's buffer.
/// \code
///   std::string_view lines[32];
///   zp::codec::smtp::Reply rep;
///   auto r = parse_reply(buf, {}, rep, lines);
///   if (r.status == Status::ok && rep.code == 250) { auto ext = parse_ehlo(rep); }
///   auto n = serialize_reply(250, "2.1.0", {{"Ok"}}, out);   // "250 2.1.0 Ok\r\n"
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

#include "zp/codec/smtp/command.h"
#include "zp/codec/smtp/errc.h"
#include "zp/result.h"

namespace zp::codec::smtp {

/// Limits of the reply parser.
struct ReplyLimits {
  std::size_t max_line_bytes = 512;  ///< one reply line, CRLF included (RFC 5321 4.5.3.1.5)
  std::size_t max_lines = 64;        ///< lines of one reply (also bounded by the caller's array)
};

/// An RFC 3463 enhanced status code class.subject.detail.
struct EnhancedCode {
  std::uint8_t cls = 0;       ///< 2, 4 or 5; 0 when absent
  std::uint16_t subject = 0;  ///< 0..999
  std::uint16_t detail = 0;   ///< 0..999
  explicit operator bool() const noexcept { return cls != 0; }  ///< present
};

/// A parsed reply. Views into the input (and into the caller's line array).
struct Reply {
  std::uint16_t code = 0;               ///< 200..599
  EnhancedCode enhanced;                ///< from the first line, when its class matches the code's
  std::span<std::string_view> lines;    ///< text of each line after "ddd-"/"ddd " (may be empty)
  /// The text of line i without its enhanced code ("Ok" for "2.0.0 Ok") when the reply has one.
  std::string_view text(std::size_t i) const noexcept;
};

/// What parse_enhanced() found.
struct EnhancedParse {
  EnhancedCode code;   ///< the code, cls 0 when absent
  std::size_t size = 0;///< octets taken, space included
};
/// Parses the enhanced status code at the front of `s` ("5.1.1 User unknown"): the code
/// and the octets it takes with its following space; {{}, 0} when `s` does not start with
/// one (class 2/4/5, subject and detail of 1-3 digits, then a space or the end).
EnhancedParse parse_enhanced(std::string_view s) noexcept;

/// Parses the first whole reply of `in` into `out`, its lines into `lines`.
///  ok:        consumed covers every line of the reply.
///  need_more: the last line seen is a continuation ("250-") or incomplete.
///  error:     bare_lf/bare_cr/nul/line_too_long, bad_reply (no code, codes differ,
///             bad separator), too_many_reply_lines (over max_lines or lines.size()).
ParseResult parse_reply(std::string_view in, const ReplyLimits& limits, Reply& out,
                        std::span<std::string_view> lines) noexcept;

/// Extensions announced in an EHLO reply (RFC 5321 4.1.1.1); keywords case-insensitive.
struct Extensions {
  std::string_view domain;       ///< first word of the first line
  bool pipelining = false;       ///< PIPELINING (RFC 2920)
  bool size = false;             ///< SIZE (RFC 1870)
  std::uint64_t max_size = 0;    ///< SIZE's value, 0 when none was given
  bool eight_bit_mime = false;   ///< 8BITMIME (RFC 6152)
  bool smtputf8 = false;         ///< SMTPUTF8 (RFC 6531)
  bool enhanced_status_codes = false; ///< ENHANCEDSTATUSCODES (RFC 2034)
  bool starttls = false;         ///< STARTTLS (RFC 3207)
  bool chunking = false;         ///< CHUNKING (RFC 3030)
  bool binary_mime = false;      ///< BINARYMIME (RFC 3030)
  bool dsn = false;              ///< DSN (RFC 3461)
  std::string_view auth;         ///< AUTH's mechanism list ("PLAIN LOGIN"); empty when absent
  /// True when `mech` is in `auth` (case-insensitive).
  bool has_auth(std::string_view mech) const noexcept;
};

/// One EHLO line split into its keyword and the parameters after it.
struct EhloLine {
  std::string_view keyword;  ///< "SIZE"
  std::string_view params;   ///< "10240000"; empty when none
};
/// Splits an EHLO reply line ("SIZE 10240000"); keyword empty when the line has none.
EhloLine split_ehlo_line(std::string_view line) noexcept;

/// The extensions of a 250 EHLO reply (lines after the first); unknown keywords ignored.
Extensions parse_ehlo(const Reply& reply) noexcept;

/// Octets serialize_reply() writes.
std::size_t reply_size(std::string_view enhanced, std::span<const std::string_view> lines) noexcept;

/// Writes reply `code` with its lines to `out`: "ddd-[enh ]text\r\n" for all but the last,
/// "ddd [enh ]text\r\n" for the last; the enhanced code ("2.1.0", may be empty) is put on
/// every line (RFC 2034 3). No lines gives "ddd [enh]\r\n". Returns the length, or
/// bad_reply_text (code outside 200-599, CR/LF/NUL in a line) / buffer_too_small.
Result<std::size_t> serialize_reply(std::uint16_t code, std::string_view enhanced,
                                    std::span<const std::string_view> lines, std::span<char> out) noexcept;
/// The same with an initializer list of lines.
inline Result<std::size_t> serialize_reply(std::uint16_t code, std::string_view enhanced,
                                           std::initializer_list<std::string_view> lines,
                                           std::span<char> out) noexcept {
  return serialize_reply(code, enhanced, std::span<const std::string_view>(lines.begin(), lines.size()), out);
}

/// Writes a command line "VERB[ arg]\r\n" (client side) to `out`; bad_reply_text when `arg`
/// holds CR, LF or NUL (header/command injection), buffer_too_small.
Result<std::size_t> serialize_command(Verb verb, std::string_view arg, std::span<char> out) noexcept;

}  // namespace zp::codec::smtp
