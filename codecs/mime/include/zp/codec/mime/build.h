/// \file
/// Building MIME messages (RFC 5322, RFC 2045-2047, RFC 2231) into a caller's buffer:
/// base64 in 76-column lines, quoted-printable, RFC 2047 encoded words, RFC 5322 dates and
/// Message-IDs, and a builder for text/HTML alternatives with attachments. No clock, no
/// randomness: the date and the unique parts are inputs.
/// \code
///   zp::codec::mime::Message m{.from = "a@example.org", .to = "b@example.org",
///       .subject = "Grüße", .date = {2026, 12, 7, 16, 24, 27, 0},
///       .message_id = "<20261207.1@example.org>", .text = "Hello\r\n"};
///   auto n = build_message(m, buf);   // Result<size_t>: octets written
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "zp/codec/mime/errc.h"
#include "zp/result.h"

namespace zp::codec::mime {

/// Writes `in` as base64 in lines of 76 characters, each ended by CRLF (RFC 2045 6.8);
/// returns the length or buffer_too_small. Empty input writes nothing.
Result<std::size_t> base64_encode_lines(std::span<const std::byte> in, std::span<char> out) noexcept;
/// Octets base64_encode_lines() writes for `n` input octets.
constexpr std::size_t base64_lines_size(std::size_t n) noexcept {
  const std::size_t chars = (n + 2) / 3 * 4;
  return chars + (chars + 75) / 76 * 2;
}

/// Writes `in` as quoted-printable (RFC 2045 6.7): CRLF or LF line breaks written as CRLF (text), '=' and
/// bytes outside 33-126 encoded, WSP before a line break encoded, lines soft-broken to at
/// most 76 characters. A bare CR in `in` is encoded (=0D). Returns the length
/// or buffer_too_small.
Result<std::size_t> qp_encode(std::string_view in, std::span<char> out) noexcept;
/// Decodes quoted-printable `in` into `out` (soft breaks removed, trailing WSP on a line
/// dropped); bad_encoding for '=' not followed by two hex digits or a line break,
/// buffer_too_small. The result is never longer than `in`.
Result<std::size_t> qp_decode(std::string_view in, std::span<char> out) noexcept;

/// Writes `text` (UTF-8) for an unstructured header (Subject): as is when it is printable
/// ASCII without "=?", otherwise as RFC 2047 "=?UTF-8?B?...?=" words of at most 75
/// characters, split on character boundaries and folded with CRLF SP. bad_header_value
/// for CR, LF or NUL; buffer_too_small.
Result<std::size_t> encode_header_text(std::string_view text, std::span<char> out) noexcept;

/// A calendar date and time with its offset from UTC.
struct DateTime {
  int year = 1970;            ///< four digits
  int month = 1;              ///< 1-12
  int day = 1;                ///< 1-31
  int hour = 0;               ///< 0-23
  int minute = 0;             ///< 0-59
  int second = 0;             ///< 0-60
  int utc_offset_minutes = 0; ///< +0100 is 60
};
/// Writes an RFC 5322 3.3 date-time ("Mon, 07 Dec 2026 16:24:27 +0000", 31 octets, the
/// weekday computed); bad_header_value for fields out of range, buffer_too_small.
Result<std::size_t> format_date(const DateTime& t, std::span<char> out) noexcept;
/// The DateTime (UTC) of `unix_seconds` since 1970-01-01.
DateTime utc_from_unix(std::int64_t unix_seconds) noexcept;

/// Writes a Message-ID "<left@right>" (RFC 5322 3.6.4); both sides must be dot-atom text
/// (bad_header_value otherwise). The caller supplies the unique left side.
Result<std::size_t> format_message_id(std::string_view left, std::string_view right, std::span<char> out) noexcept;

/// An attachment: sent base64, with Content-Disposition filename (RFC 2231 for non-ASCII).
struct Attachment {
  std::string_view filename;                       ///< UTF-8 file name
  std::string_view content_type = "application/octet-stream";  ///< type/subtype
  std::span<const std::byte> data;                 ///< the octets
};

/// A message to build. Views; the caller keeps them alive during build_message().
struct Message {
  std::string_view from;        ///< From: address list, ASCII (e.g. "Ann <a@example.org>")
  std::string_view to;          ///< To: address list, ASCII
  std::string_view cc;          ///< Cc:, omitted when empty
  std::string_view subject;     ///< UTF-8; encoded words when not ASCII
  DateTime date;                ///< Date:
  std::string_view message_id;  ///< "<...@...>" (see format_message_id); omitted when empty
  std::string_view text;        ///< text/plain body, UTF-8 (CRLF or LF line ends); may be empty
  std::string_view html;        ///< text/html alternative; omitted when empty
  std::span<const Attachment> attachments;  ///< after the body, multipart/mixed
  /// Makes boundaries unique ("=_zp_<seed>_<n>"): letters, digits, '.', '-' only (no
  /// randomness in a codec). "=_" never occurs in base64 or quoted-printable output.
  std::string_view boundary_seed = "0";
};

/// Writes `m` as an RFC 5322 message with MIME-Version 1.0 into `out`: a single text part,
/// multipart/alternative (text, html), and multipart/mixed around them when there are
/// attachments. Text is quoted-printable UTF-8. Returns the length; bad_header_value
/// (CR/LF/NUL in a header field or seed), buffer_too_small.
Result<std::size_t> build_message(const Message& m, std::span<char> out) noexcept;

}  // namespace zp::codec::mime
