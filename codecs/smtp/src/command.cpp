// SMTP command lines, paths and ESMTP parameters: see zp/codec/smtp/command.h.
#include "zp/codec/smtp/command.h"

#include <array>

#include "text.h"
#include "zp/codec/lines.h"

namespace zp::codec::smtp {
namespace {

using namespace detail;

// atext of RFC 5322 3.2.3.
bool is_atext(char c) noexcept {
  if (is_alnum(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '/': case '=': case '?': case '^': case '_': case '`': case '{': case '|': case '}': case '~':
      return true;
    default:
      return false;
  }
}

// Dot-string = Atom *("." Atom), atext widened by UTF-8 when `utf8`.
Errc check_dot_string(std::string_view s, bool utf8) noexcept {
  if (s.empty() || s.front() == '.' || s.back() == '.') return Errc::bad_path;
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      const std::size_t n = utf8 ? utf8_sequence_length(s, i) : 0;
      if (n == 0) return Errc::non_ascii_address;
      i += n;
      continue;
    }
    if (c == '.') {
      if (s[i + 1] == '.') return Errc::bad_path;
    } else if (!is_atext(c)) {
      return Errc::bad_path;
    }
    ++i;
  }
  return Errc::ok;
}

// Quoted-string of RFC 5321 4.1.2 (the whole of `s`, quotes included).
Errc check_quoted(std::string_view s, bool utf8) noexcept {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return Errc::bad_path;
  for (std::size_t i = 1; i + 1 < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      if (i + 2 >= s.size()) return Errc::bad_path;
      const auto q = static_cast<unsigned char>(s[i + 1]);
      if (q < 32 || q > 126) return Errc::bad_path;
      i += 2;
    } else if (c >= 0x80) {
      const std::size_t n = utf8 ? utf8_sequence_length(s, i) : 0;
      if (n == 0) return Errc::non_ascii_address;
      i += n;
    } else if (c < 32 || c > 126 || c == '"') {
      return Errc::bad_path;
    } else {
      ++i;
    }
  }
  return Errc::ok;
}

bool valid_ipv4(std::string_view s) noexcept {
  int parts = 0;
  std::size_t i = 0;
  while (true) {
    std::size_t digits = 0;
    unsigned v = 0;
    while (i < s.size() && is_digit(s[i]) && digits < 4) {
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
      ++i;
      ++digits;
    }
    if (digits == 0 || digits > 3 || v > 255) return false;
    if (++parts == 4) return i == s.size();
    if (i == s.size() || s[i] != '.') return false;
    ++i;
  }
}

// IPv6-addr of RFC 5321 4.1.3: full, compressed ("::" once), optionally ending in IPv4.
bool valid_ipv6(std::string_view s) noexcept {
  int groups = 0;
  bool compressed = false;
  std::size_t i = 0;
  if (s.starts_with("::")) {
    compressed = true;
    i = 2;
    if (i == s.size()) return true;
  } else if (s.starts_with(":")) {
    return false;
  }
  while (i < s.size()) {
    // An embedded IPv4 address ends the address and counts as two groups.
    const std::size_t next_colon = s.find(':', i);
    const std::string_view rest = s.substr(i, next_colon == std::string_view::npos ? std::string_view::npos : next_colon - i);
    if (next_colon == std::string_view::npos && rest.find('.') != std::string_view::npos) {
      if (!valid_ipv4(rest)) return false;
      groups += 2;
      i = s.size();
      break;
    }
    if (rest.empty() || rest.size() > 4) return false;
    for (char c : rest)
      if (!is_hex(c)) return false;
    ++groups;
    i += rest.size();
    if (i == s.size()) break;
    ++i;  // ':'
    if (i < s.size() && s[i] == ':') {
      if (compressed) return false;
      compressed = true;
      ++i;
      if (i == s.size()) break;
    } else if (i == s.size()) {
      return false;  // trailing single colon
    }
  }
  return compressed ? groups <= 7 : groups == 8;
}

// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-").
bool valid_keyword(std::string_view k) noexcept {
  if (k.empty() || !is_alnum(k.front())) return false;
  for (char c : k)
    if (!is_alnum(c) && c != '-') return false;
  return true;
}

// esmtp-value = 1*(%d33-60 / %d62-126), UTF-8 allowed under SMTPUTF8.
bool valid_value(std::string_view v, bool utf8) noexcept {
  if (v.empty()) return false;
  for (std::size_t i = 0; i < v.size();) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8 ? utf8_sequence_length(v, i) : 0;
      if (n == 0) return false;
      i += n;
      continue;
    }
    if (c < 33 || c > 126 || c == '=') return false;
    ++i;
  }
  return true;
}

Result<std::uint64_t> parse_number(std::string_view s) noexcept {
  if (s.empty() || s.size() > 19) return make_error_code(Errc::bad_parameter);
  std::uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return make_error_code(Errc::bad_parameter);
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

// Finds the '>' that closes the path starting at s[0] == '<', skipping quoted strings.
std::size_t path_end(std::string_view s) noexcept {
  bool in_quote = false;
  for (std::size_t i = 1; i < s.size(); ++i) {
    const char c = s[i];
    if (in_quote) {
      if (c == '\\') ++i;
      else if (c == '"') in_quote = false;
    } else if (c == '"') {
      in_quote = true;
    } else if (c == '>') {
      return i;
    }
  }
  return std::string_view::npos;
}

struct Param {
  std::string_view keyword;
  std::string_view value;
  bool has_value = false;
};

// Splits "K1=V1 K2 K3=V3" on single spaces; calls f(Param) for each; stops at an error.
template <class F>
Errc for_each_param(std::string_view s, bool utf8, F&& f) noexcept {
  while (!s.empty()) {
    const std::size_t sp = s.find(' ');
    const std::string_view item = s.substr(0, sp);
    s = sp == std::string_view::npos ? std::string_view{} : s.substr(sp + 1);
    if (item.empty()) return Errc::syntax;  // two spaces, or a trailing one
    if (sp != std::string_view::npos && s.empty()) return Errc::syntax;
    Param p;
    const std::size_t eq = item.find('=');
    p.keyword = item.substr(0, eq);
    if (eq != std::string_view::npos) {
      p.has_value = true;
      p.value = item.substr(eq + 1);
      if (!valid_value(p.value, utf8)) return Errc::bad_parameter;
    }
    if (!valid_keyword(p.keyword)) return Errc::syntax;
    if (const Errc e = f(p); e != Errc::ok) return e;
  }
  return Errc::ok;
}

Errc mail_param(const Param& p, const Limits& limits, MailParams& m, unsigned& seen) noexcept {
  const auto once = [&](unsigned bit) { const bool dup = seen & bit; seen |= bit; return !dup; };
  if (iequals(p.keyword, "SIZE")) {
    if (!once(1)) return Errc::duplicate_parameter;
    if (!p.has_value) return Errc::bad_parameter;
    auto n = parse_number(p.value);
    if (!n) return Errc::bad_parameter;
    m.has_size = true;
    m.size = *n;
  } else if (iequals(p.keyword, "BODY")) {
    if (!once(2)) return Errc::duplicate_parameter;
    if (iequals(p.value, "7BIT")) m.body = Body::seven_bit;
    else if (iequals(p.value, "8BITMIME")) m.body = Body::eight_bit_mime;
    else if (iequals(p.value, "BINARYMIME")) m.body = Body::binary_mime;
    else return Errc::bad_parameter;
  } else if (iequals(p.keyword, "SMTPUTF8")) {
    if (!once(4)) return Errc::duplicate_parameter;
    if (p.has_value) return Errc::bad_parameter;
    m.smtputf8 = true;
  } else if (iequals(p.keyword, "AUTH")) {
    if (!once(8)) return Errc::duplicate_parameter;
    if (!p.has_value) return Errc::bad_parameter;
    if (p.value != "<>" && !valid_xtext(p.value)) return Errc::bad_xtext;
    m.auth = p.value;
  } else if (iequals(p.keyword, "RET")) {
    if (!once(16)) return Errc::duplicate_parameter;
    if (iequals(p.value, "FULL")) m.ret = Ret::full;
    else if (iequals(p.value, "HDRS")) m.ret = Ret::hdrs;
    else return Errc::bad_parameter;
  } else if (iequals(p.keyword, "ENVID")) {
    if (!once(32)) return Errc::duplicate_parameter;
    if (!p.has_value || p.value.size() > limits.max_envid) return Errc::bad_parameter;
    if (!valid_xtext(p.value)) return Errc::bad_xtext;
    m.envid = p.value;
  } else {
    return Errc::unknown_parameter;
  }
  return Errc::ok;
}

Errc rcpt_param(const Param& p, const Limits& limits, RcptParams& r, unsigned& seen) noexcept {
  if (iequals(p.keyword, "NOTIFY")) {
    if (seen & 1) return Errc::duplicate_parameter;
    seen |= 1;
    if (!p.has_value) return Errc::bad_parameter;
    std::string_view v = p.value;
    while (true) {
      const std::size_t comma = v.find(',');
      const std::string_view item = v.substr(0, comma);
      std::uint8_t bit;
      if (iequals(item, "NEVER")) bit = notify_never;
      else if (iequals(item, "SUCCESS")) bit = notify_success;
      else if (iequals(item, "FAILURE")) bit = notify_failure;
      else if (iequals(item, "DELAY")) bit = notify_delay;
      else return Errc::bad_parameter;
      if (r.notify & bit) return Errc::bad_parameter;
      r.notify |= bit;
      if (comma == std::string_view::npos) break;
      v = v.substr(comma + 1);
    }
    if ((r.notify & notify_never) && r.notify != notify_never) return Errc::bad_parameter;  // NEVER stands alone
  } else if (iequals(p.keyword, "ORCPT")) {
    if (seen & 2) return Errc::duplicate_parameter;
    seen |= 2;
    if (!p.has_value || p.value.size() > limits.max_orcpt) return Errc::bad_parameter;
    const std::size_t semi = p.value.find(';');
    if (semi == 0 || semi == std::string_view::npos) return Errc::bad_parameter;
    r.orcpt_type = p.value.substr(0, semi);
    r.orcpt = p.value.substr(semi + 1);
    for (char c : r.orcpt_type)
      if (!is_alnum(c) && c != '-') return Errc::bad_parameter;
    // utf-8 addr-type (RFC 6533) carries utf-8-addr-xtext; xtext is its ASCII subset.
    if (r.orcpt.empty() || !valid_xtext(r.orcpt)) return Errc::bad_xtext;
  } else {
    return Errc::unknown_parameter;
  }
  return Errc::ok;
}

// "FROM:<path> params" / "TO:<path> params" after the verb.
Errc parse_mail_rcpt(std::string_view arg, std::string_view prefix, const Limits& limits, Command& out,
                     Context ctx) noexcept {
  if (!istarts_with(arg, prefix)) return Errc::syntax;
  arg.remove_prefix(prefix.size());
  if (limits.allow_space_after_colon) {
    while (!arg.empty() && arg.front() == ' ') arg.remove_prefix(1);
  }
  if (arg.empty() || arg.front() != '<') return Errc::syntax;
  const std::size_t end = path_end(arg);
  if (end == std::string_view::npos) return Errc::bad_path;
  const std::string_view path = arg.substr(0, end + 1);
  std::string_view rest = arg.substr(end + 1);
  if (!rest.empty()) {
    if (rest.front() != ' ') return Errc::syntax;
    rest.remove_prefix(1);
    if (rest.empty()) return Errc::syntax;
  }
  const bool is_mail = out.verb == Verb::mail;
  unsigned seen = 0;
  bool utf8 = ctx.smtputf8;
  Errc e;
  if (is_mail) {
    e = for_each_param(rest, true, [&](const Param& p) { return mail_param(p, limits, out.mail, seen); });
    utf8 = out.mail.smtputf8;
  } else {
    e = for_each_param(rest, true, [&](const Param& p) { return rcpt_param(p, limits, out.rcpt, seen); });
  }
  if (e != Errc::ok) return e;
  // Parameter values may be UTF-8 only under SMTPUTF8 (RFC 6531 3.3).
  if (!utf8) {
    for (char c : rest)
      if (static_cast<unsigned char>(c) >= 0x80) return Errc::bad_parameter;
  }
  if (!is_mail && iequals(path, "<postmaster>")) {
    out.path = {};
    out.path.postmaster = true;
    out.path.mailbox = out.path.local_part = path.substr(1, path.size() - 2);
    return Errc::ok;
  }
  if (const Errc pe = parse_path(path, limits, utf8, out.path); pe != Errc::ok) return pe;
  if (out.path.null && !is_mail) return Errc::bad_path;  // forward-path cannot be null
  return Errc::ok;
}

// "BDAT" SP chunk-size [SP end-marker] (RFC 3030 2).
Errc parse_bdat(std::string_view arg, Command& out) noexcept {
  const std::size_t sp = arg.find(' ');
  auto n = parse_number(arg.substr(0, sp));
  if (!n) return Errc::bad_chunk;
  out.chunk_size = *n;
  if (sp != std::string_view::npos) {
    if (!iequals(arg.substr(sp + 1), "LAST")) return Errc::syntax;
    out.last = true;
  }
  return Errc::ok;
}

// "AUTH" SP mechanism [SP initial-response] (RFC 4954 4).
Errc parse_auth(std::string_view arg, Command& out) noexcept {
  const std::size_t sp = arg.find(' ');
  out.mechanism = arg.substr(0, sp);
  if (out.mechanism.empty() || out.mechanism.size() > 20) return Errc::syntax;
  for (char c : out.mechanism)
    if (!is_alnum(c) && c != '-' && c != '_') return Errc::syntax;
  if (sp != std::string_view::npos) {
    out.initial_response = arg.substr(sp + 1);
    if (out.initial_response.empty()) return Errc::syntax;
    if (out.initial_response != "=") {
      for (char c : out.initial_response)
        if (!is_alnum(c) && c != '+' && c != '/' && c != '=') return Errc::bad_base64;
    }
  }
  return Errc::ok;
}

struct VerbEntry {
  std::string_view name;
  Verb verb;
};
constexpr std::array<VerbEntry, 14> verbs{{
    {"EHLO", Verb::ehlo}, {"HELO", Verb::helo}, {"MAIL", Verb::mail}, {"RCPT", Verb::rcpt},
    {"DATA", Verb::data}, {"BDAT", Verb::bdat}, {"RSET", Verb::rset}, {"NOOP", Verb::noop},
    {"QUIT", Verb::quit}, {"VRFY", Verb::vrfy}, {"EXPN", Verb::expn}, {"HELP", Verb::help},
    {"STARTTLS", Verb::starttls}, {"AUTH", Verb::auth},
}};

Errc parse_line(std::string_view line, const Limits& limits, Command& out, Context ctx) noexcept {
  const std::size_t sp = line.find(' ');
  const std::string_view word = line.substr(0, sp);
  const VerbEntry* found = nullptr;
  for (const VerbEntry& v : verbs)
    if (iequals(word, v.name)) found = &v;
  if (found == nullptr) return Errc::unknown_command;
  out.verb = found->verb;
  const bool has_arg = sp != std::string_view::npos;
  out.arg = has_arg ? line.substr(sp + 1) : std::string_view{};
  if (has_arg && out.arg.empty()) return Errc::syntax;  // trailing space
  for (char c : line)
    if (static_cast<unsigned char>(c) < 32 && c != '\t') return Errc::syntax;  // other controls
  switch (out.verb) {
    case Verb::ehlo:
    case Verb::helo:
      if (!has_arg) return Errc::syntax;
      out.domain = out.arg;
      if (out.arg.front() == '[') {
        if (out.verb == Verb::helo || !valid_address_literal(out.arg)) return Errc::syntax;
      } else if (!valid_domain(out.arg, true, limits.max_domain)) {
        return Errc::syntax;
      }
      return Errc::ok;
    case Verb::mail:
      return parse_mail_rcpt(out.arg, "FROM:", limits, out, ctx);
    case Verb::rcpt:
      return parse_mail_rcpt(out.arg, "TO:", limits, out, ctx);
    case Verb::data:
    case Verb::rset:
    case Verb::quit:
    case Verb::starttls:
      return has_arg ? Errc::syntax : Errc::ok;
    case Verb::noop:
    case Verb::help:
      return Errc::ok;  // an optional string, ignored
    case Verb::vrfy:
    case Verb::expn:
      return has_arg ? Errc::ok : Errc::syntax;
    case Verb::bdat:
      return has_arg ? parse_bdat(out.arg, out) : Errc::syntax;
    case Verb::auth:
      return has_arg ? parse_auth(out.arg, out) : Errc::syntax;
  }
  return Errc::unknown_command;
}

Errc from_lines(lines::Errc e) noexcept {
  switch (e) {
    case lines::Errc::bare_lf: return Errc::bare_lf;
    case lines::Errc::bare_cr: return Errc::bare_cr;
    case lines::Errc::nul: return Errc::nul;
    default: return Errc::line_too_long;
  }
}

}  // namespace

ParseResult parse_command(std::string_view in, const Limits& limits, Command& out, Context ctx) noexcept {
  const std::size_t max = limits.max_line_bytes < 2 ? 0 : limits.max_line_bytes - 2;
  const lines::LineResult l = lines::next_line(in, lines::Limits{.max_line_bytes = max, .allow_bare_lf = false});
  if (l.status == lines::Status::need_more) return {};
  if (l.status == lines::Status::error) return {Status::error, 0, from_lines(l.error)};
  out = Command{};
  const Errc e = parse_line(l.line, limits, out, ctx);
  if (e != Errc::ok) return {Status::error, l.consumed, e};
  return {Status::ok, l.consumed, Errc::ok};
}

Errc parse_path(std::string_view text, const Limits& limits, bool utf8, Path& out) noexcept {
  out = Path{};
  if (text.size() < 2 || text.front() != '<' || text.back() != '>') return Errc::bad_path;
  if (text.size() > limits.max_path) return Errc::path_too_long;
  std::string_view s = text.substr(1, text.size() - 2);
  if (s.empty()) {
    out.null = true;
    return Errc::ok;
  }
  // A-d-l ":" — source routes are accepted and ignored (RFC 5321 4.1.2, C).
  if (s.front() == '@') {
    const std::size_t colon = s.find(':');
    if (colon == std::string_view::npos) return Errc::bad_path;
    std::string_view adl = s.substr(0, colon);
    while (!adl.empty()) {
      if (adl.front() != '@') return Errc::bad_path;
      const std::size_t comma = adl.find(',');
      const std::string_view d = adl.substr(1, comma == std::string_view::npos ? std::string_view::npos : comma - 1);
      if (!valid_domain(d, utf8, limits.max_domain) && !valid_address_literal(d)) return Errc::bad_path;
      adl = comma == std::string_view::npos ? std::string_view{} : adl.substr(comma + 1);
      if (comma != std::string_view::npos && adl.empty()) return Errc::bad_path;
    }
    s = s.substr(colon + 1);
  }
  // The local part ends at the last '@' outside quotes.
  std::size_t at;
  if (!s.empty() && s.front() == '"') {
    const std::size_t close = [&] {
      for (std::size_t i = 1; i < s.size(); ++i) {
        if (s[i] == '\\') ++i;
        else if (s[i] == '"') return i;
      }
      return std::string_view::npos;
    }();
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != '@') return Errc::bad_path;
    at = close + 1;
    out.quoted = true;
  } else {
    at = s.find('@');
    if (at == std::string_view::npos) return Errc::bad_path;
  }
  out.mailbox = s;
  out.local_part = s.substr(0, at);
  out.domain = s.substr(at + 1);
  if (out.local_part.size() > limits.max_local_part) return Errc::local_part_too_long;
  const Errc le = out.quoted ? check_quoted(out.local_part, utf8) : check_dot_string(out.local_part, utf8);
  if (le != Errc::ok) return le;
  if (out.domain.size() > limits.max_domain) return Errc::domain_too_long;
  if (!out.domain.empty() && out.domain.front() == '[') {
    out.domain_literal = true;
    if (!valid_address_literal(out.domain)) return Errc::bad_path;
    return Errc::ok;
  }
  if (!utf8) {
    for (char c : out.domain)
      if (static_cast<unsigned char>(c) >= 0x80) return Errc::non_ascii_address;
  }
  if (!valid_domain(out.domain, utf8, limits.max_domain)) {
    // A label over 63 octets is a length error, not a syntax error.
    std::size_t label = 0;
    for (char c : out.domain) {
      label = c == '.' ? 0 : label + 1;
      if (label > 63) return Errc::domain_too_long;
    }
    return Errc::bad_path;
  }
  return Errc::ok;
}

bool valid_domain(std::string_view d, bool utf8, std::size_t max) noexcept {
  if (d.empty() || d.size() > max) return false;
  std::size_t i = 0;
  while (true) {
    const std::size_t start = i;
    bool last_hyphen = false;
    while (i < d.size() && d[i] != '.') {
      const auto c = static_cast<unsigned char>(d[i]);
      if (c >= 0x80) {
        const std::size_t n = utf8 ? utf8_sequence_length(d, i) : 0;
        if (n == 0) return false;
        i += n;
        last_hyphen = false;
        continue;
      }
      if (d[i] == '-') {
        if (i == start) return false;  // Let-dig first
        last_hyphen = true;
      } else if (!is_alnum(d[i])) {
        return false;
      } else {
        last_hyphen = false;
      }
      ++i;
    }
    if (i == start || i - start > 63 || last_hyphen) return false;
    if (i == d.size()) return true;
    ++i;  // '.'
    if (i == d.size()) return false;  // trailing dot
  }
}

bool valid_address_literal(std::string_view lit) noexcept {
  if (lit.size() < 3 || lit.front() != '[' || lit.back() != ']') return false;
  const std::string_view s = lit.substr(1, lit.size() - 2);
  if (is_digit(s.front())) return valid_ipv4(s);
  if (istarts_with(s, "IPv6:")) return valid_ipv6(s.substr(5));
  // General-address-literal = Standardized-tag ":" 1*dcontent
  const std::size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) return false;
  for (std::size_t i = 0; i < colon; ++i)
    if (!is_alnum(s[i]) && s[i] != '-') return false;
  for (std::size_t i = colon + 1; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 33 || c > 126 || c == '[' || c == '\\' || c == ']') return false;
  }
  return true;
}

bool valid_xtext(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '+') {
      if (i + 2 >= s.size() || !is_upper_hex(s[i + 1]) || !is_upper_hex(s[i + 2])) return false;
      i += 2;
    } else if (c < 33 || c > 126 || c == '=') {
      return false;
    }
  }
  return true;
}

Result<std::size_t> xtext_decode(std::string_view in, std::span<char> out) noexcept {
  if (!valid_xtext(in)) return make_error_code(Errc::bad_xtext);
  std::size_t n = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (n == out.size()) return make_error_code(Errc::buffer_too_small);
    if (in[i] == '+') {
      out[n++] = static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
      i += 2;
    } else {
      out[n++] = in[i];
    }
  }
  return n;
}

Result<std::size_t> xtext_encode(std::string_view in, std::span<char> out) noexcept {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::size_t n = 0;
  for (char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 33 && c <= 126 && c != '+' && c != '=') {
      if (n + 1 > out.size()) return make_error_code(Errc::buffer_too_small);
      out[n++] = ch;
    } else {
      if (n + 3 > out.size()) return make_error_code(Errc::buffer_too_small);
      out[n++] = '+';
      out[n++] = hex[c >> 4];
      out[n++] = hex[c & 15];
    }
  }
  return n;
}

std::string_view verb_name(Verb v) noexcept {
  for (const VerbEntry& e : verbs)
    if (e.verb == v) return e.name;
  return {};
}

}  // namespace zp::codec::smtp
