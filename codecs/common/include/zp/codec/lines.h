/// \file
/// CRLF line framing for the text protocols (SMTP, IMAP, POP3, FTP, IRC): one call finds
/// the next complete line in a byte buffer, picohttpparser-style: no state, no allocation,
/// the line is a view into the input.
/// \code
///   auto r = zp::codec::lines::next_line(buf, {.max_line_bytes = 998});
///   if (r.status == Status::ok) { handle(r.line); buf = buf.subspan(r.consumed); }
///   else if (r.status == Status::need_more) { /* read more, call again with the whole buffer */ }
/// \endcode
/// Strict by default: a bare LF, a bare CR or a NUL byte is an error (SMTP smuggling).
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace zp::codec::lines {

/// Errors of next_line (category "zp.codec.lines").
enum class Errc : int {
  ok = 0,
  bare_lf = 1,        ///< LF not preceded by CR (and allow_bare_lf is off)
  bare_cr = 2,        ///< CR not followed by LF
  nul = 3,            ///< a NUL byte inside a line
  line_too_long = 4,  ///< more than max_line_bytes before the terminator
};
const std::error_category& category() noexcept;  ///< the category of Errc
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), category()}; }  ///< an error_code of `e` (lets Errc convert to std::error_code)

/// Limits of the line framer.
struct Limits {
  /// Longest line accepted, not counting its CRLF (SMTP: 998, RFC 5322 §2.1.1).
  std::size_t max_line_bytes = 8192;
  /// Leniency, off by default: also accept a line ended by LF alone. A bare CR is an
  /// error even then. Request smuggling risk when a peer and we disagree on line ends.
  bool allow_bare_lf = false;
};

/// What next_line() found: a line, not yet a whole one, or an error.
enum class Status { ok, need_more, error };

/// Outcome of next_line; `line` points into the input and lives as long as it does.
struct [[nodiscard]] LineResult {
  Status status = Status::need_more;  ///< complete, need_more or error
  std::size_t consumed = 0;  ///< ok: bytes of line plus terminator; otherwise 0
  std::string_view line;     ///< ok: the line without its terminator; otherwise empty
  Errc error = Errc::ok;     ///< error: why; otherwise Errc::ok
};

/// The first line of `in`.
///  ok:        a complete line; consumed covers it and its CRLF (or LF when allowed).
///  need_more: no terminator yet and the line so far is within max_line_bytes (or the
///             input ends in a CR); call again with the same bytes plus more.
///  error:     bare LF/CR, NUL, or max_line_bytes passed; the connection should be closed
///             or answered with the protocol's error reply.
/// Reads at most max_line_bytes + 2 bytes of `in`. Feeding a stream in any number of pieces
/// gives the same lines as feeding it whole.
LineResult next_line(std::span<const char> in, const Limits& limits = {}) noexcept;
inline LineResult next_line(std::string_view in, const Limits& limits = {}) noexcept {  ///< the same over a string_view
  return next_line(std::span<const char>(in.data(), in.size()), limits);
}

}  // namespace zp::codec::lines

/// \cond internal
template <>
struct std::is_error_code_enum<zp::codec::lines::Errc> : std::true_type {};
/// \endcond
