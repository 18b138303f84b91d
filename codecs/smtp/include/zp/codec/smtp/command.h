/// \file
/// SMTP command lines (RFC 5321 4.1), sans-I/O and zero-copy: one call parses the first
/// command line of the bytes received so far into views of them. Paths follow RFC 5321
/// 4.1.2 (quoted local parts, domain literals, source routes accepted and dropped); MAIL and
/// RCPT parameters are the ones of SIZE, 8BITMIME, SMTPUTF8, AUTH and DSN (RFC 1870, 6152,
/// 6531, 4954, 3461). Only CRLF ends a line: a bare CR or LF is an error.
/// \code
///   zp::codec::smtp::Command cmd;
///   auto r = parse_command(buf, {}, cmd);
///   if (r.status == Status::need_more) { /* read more, call again with the whole buffer */ }
///   else if (r.status == Status::error) { reply(reply_for(r.error)); }
///   else if (cmd.verb == Verb::mail) { use(cmd.path.mailbox, cmd.mail.size); }  // r.consumed used
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "zp/codec/smtp/errc.h"
#include "zp/result.h"

namespace zp::codec::smtp {

/// What a parse call found: a whole item, not yet a whole one, or an error.
enum class Status { ok, need_more, error };

/// Outcome of a parse call.
struct [[nodiscard]] ParseResult {
  Status status = Status::need_more;  ///< ok, need_more or error
  std::size_t consumed = 0;           ///< ok (and errors after a whole line): bytes used, CRLF included
  Errc error = Errc::ok;              ///< error: why
};

/// Limits of the command parser (RFC 5321 4.5.3.1); each is a parameter of the service.
struct Limits {
  std::size_t max_line_bytes = 512;   ///< command line, CRLF included (4.5.3.1.4)
  std::size_t max_local_part = 64;    ///< local part (4.5.3.1.1)
  std::size_t max_domain = 255;       ///< domain (4.5.3.1.2)
  std::size_t max_path = 256;         ///< path with its punctuation (4.5.3.1.3)
  std::size_t max_envid = 100;        ///< ENVID xtext (RFC 3461 4.4)
  std::size_t max_orcpt = 500;        ///< ORCPT xtext (RFC 3461 4.2)
  /// Leniency, off by default: accept `MAIL FROM: <a@b>` (a space after the colon).
  bool allow_space_after_colon = false;
};

/// The transaction state a command is parsed in.
struct Context {
  bool smtputf8 = false;  ///< MAIL carried SMTPUTF8: RCPT paths may be UTF-8 (RFC 6531)
};

/// Verbs this codec knows (case-insensitive on the wire).
enum class Verb : std::uint8_t {
  ehlo, helo, mail, rcpt, data, bdat, rset, noop, quit, vrfy, expn, help, starttls, auth,
};

/// A reverse-path or forward-path. Views into the input line.
struct Path {
  bool null = false;          ///< `<>` (reverse-path only)
  bool postmaster = false;    ///< RCPT TO:&lt;Postmaster&gt; without a domain (4.1.1.3)
  bool quoted = false;        ///< the local part is a quoted-string
  bool domain_literal = false;///< the domain is `[...]`
  std::string_view mailbox;   ///< `local@domain` as sent (quotes kept); empty for `<>`
  std::string_view local_part;///< as sent, quotes and backslashes included
  std::string_view domain;    ///< domain or address literal with its brackets
};

/// BODY= values (RFC 6152, RFC 3030).
enum class Body : std::uint8_t { none, seven_bit, eight_bit_mime, binary_mime };
/// RET= values (RFC 3461 4.3).
enum class Ret : std::uint8_t { none, full, hdrs };
/// NOTIFY= flags (RFC 3461 4.1).
enum Notify : std::uint8_t { notify_never = 1, notify_success = 2, notify_failure = 4, notify_delay = 8 };

/// MAIL FROM parameters. xtext values are raw; decode them with xtext_decode().
struct MailParams {
  bool has_size = false;      ///< SIZE= given
  std::uint64_t size = 0;     ///< SIZE= value in octets
  Body body = Body::none;     ///< BODY=
  bool smtputf8 = false;      ///< SMTPUTF8
  std::string_view auth;      ///< AUTH= xtext (`<>` kept as is); empty when absent
  Ret ret = Ret::none;        ///< RET=
  std::string_view envid;     ///< ENVID= xtext; empty when absent
};

/// RCPT TO parameters.
struct RcptParams {
  std::uint8_t notify = 0;        ///< NOTIFY= flags (Notify bits), 0 when absent
  std::string_view orcpt_type;    ///< ORCPT= address type ("rfc822"); empty when absent
  std::string_view orcpt;         ///< ORCPT= xtext address
};

/// One parsed command line. Views into the input; they live as long as it does.
struct Command {
  Verb verb = Verb::noop;     ///< the verb
  std::string_view arg;       ///< everything after the verb and its space (raw)
  std::string_view domain;    ///< EHLO/HELO: domain or address literal
  Path path;                  ///< MAIL/RCPT: the path
  MailParams mail;            ///< MAIL parameters
  RcptParams rcpt;            ///< RCPT parameters
  std::uint64_t chunk_size = 0; ///< BDAT: octets that follow the line
  bool last = false;          ///< BDAT: LAST
  std::string_view mechanism; ///< AUTH: SASL mechanism (case as sent)
  std::string_view initial_response; ///< AUTH: base64 initial response, "=" for empty; empty when absent
};

/// Parses the first command line of `in` into `out`.
///  ok:        `out` holds the command; consumed covers the line and its CRLF.
///  need_more: no CRLF yet within max_line_bytes; call again with the same bytes plus more.
///  error:     framing errors (bare_lf, bare_cr, nul, line_too_long) have consumed 0 and
///             end the session; any other error has consumed = the whole line, so the
///             session answers reply_for(error) and goes on with the next line.
ParseResult parse_command(std::string_view in, const Limits& limits, Command& out, Context ctx = {}) noexcept;

/// Parses a path `<...>` (the whole of `text`): what MAIL/RCPT do after the colon.
/// ok or bad_path / *_too_long / non_ascii_address.
Errc parse_path(std::string_view text, const Limits& limits, bool utf8, Path& out) noexcept;

/// True when `d` is a Domain of RFC 5321 4.1.2 (LDH labels of 1-63 octets, or U-labels
/// when `utf8`), no longer than `max`.
bool valid_domain(std::string_view d, bool utf8 = false, std::size_t max = 255) noexcept;
/// True when `lit` is an address-literal `[1.2.3.4]`, `[IPv6:...]` or `[tag:content]`.
bool valid_address_literal(std::string_view lit) noexcept;

/// True when `s` is xtext (RFC 3461 4): printable ASCII, '+' only as `+XX` upper-case hex, no '='.
bool valid_xtext(std::string_view s) noexcept;
/// Decodes xtext `in` into the front of `out`; returns the length, or bad_xtext /
/// buffer_too_small. The decoded text is never longer than the input.
Result<std::size_t> xtext_decode(std::string_view in, std::span<char> out) noexcept;
/// Encodes `in` as xtext into the front of `out` (at most 3 octets per input octet);
/// returns the length, or buffer_too_small.
Result<std::size_t> xtext_encode(std::string_view in, std::span<char> out) noexcept;

/// The verb's wire name in upper case ("MAIL").
std::string_view verb_name(Verb v) noexcept;

}  // namespace zp::codec::smtp
