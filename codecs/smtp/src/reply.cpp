// SMTP replies: see zp/codec/smtp/reply.h.
#include "zp/codec/smtp/reply.h"

#include <cstring>

#include "text.h"
#include "zp/codec/lines.h"

namespace zp::codec::smtp {
namespace {

using namespace detail;

Errc from_lines(lines::Errc e) noexcept {
  switch (e) {
    case lines::Errc::bare_lf: return Errc::bare_lf;
    case lines::Errc::bare_cr: return Errc::bare_cr;
    case lines::Errc::nul: return Errc::nul;
    default: return Errc::line_too_long;
  }
}

bool clean_text(std::string_view s) noexcept {
  for (char c : s)
    if (c == '\r' || c == '\n' || c == '\0') return false;
  return true;
}

// Appends bytes to a bounded output; sticky overflow.
struct Out {
  std::span<char> buf;
  std::size_t n = 0;
  bool overflow = false;
  void put(std::string_view s) noexcept {
    if (s.empty()) return;  // memcpy from a null view is undefined
    if (overflow || s.size() > buf.size() - n) { overflow = true; return; }
    std::memcpy(buf.data() + n, s.data(), s.size());
    n += s.size();
  }
};

}  // namespace

std::string_view Reply::text(std::size_t i) const noexcept {
  if (i >= lines.size()) return {};
  if (!enhanced) return lines[i];
  const EnhancedParse e = parse_enhanced(lines[i]);
  return e.code ? lines[i].substr(e.size) : lines[i];
}

EnhancedParse parse_enhanced(std::string_view s) noexcept {
  if (s.size() < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.') return {};
  std::size_t i = 2;
  std::uint16_t part[2] = {0, 0};
  for (int k = 0; k < 2; ++k) {
    const std::size_t start = i;
    while (i < s.size() && is_digit(s[i]) && i - start < 4) part[k] = static_cast<std::uint16_t>(part[k] * 10 + (s[i++] - '0'));
    if (i == start || i - start > 3) return {};
    if (k == 0) {
      if (i == s.size() || s[i] != '.') return {};
      ++i;
    }
  }
  if (i < s.size() && s[i] != ' ') return {};
  EnhancedParse r;
  r.code = {static_cast<std::uint8_t>(s[0] - '0'), part[0], part[1]};
  r.size = i < s.size() ? i + 1 : i;
  return r;
}

ParseResult parse_reply(std::string_view in, const ReplyLimits& limits, Reply& out,
                        std::span<std::string_view> lines) noexcept {
  const std::size_t max = limits.max_line_bytes < 2 ? 0 : limits.max_line_bytes - 2;
  const std::size_t max_lines = limits.max_lines < lines.size() ? limits.max_lines : lines.size();
  std::size_t pos = 0;
  std::size_t count = 0;
  std::uint16_t code = 0;
  while (true) {
    const lines::LineResult l = lines::next_line(in.substr(pos), lines::Limits{.max_line_bytes = max});
    if (l.status == lines::Status::need_more) return {};
    if (l.status == lines::Status::error) return {Status::error, 0, from_lines(l.error)};
    const std::string_view line = l.line;
    if (line.size() < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]) ||
        line[0] < '2' || line[0] > '5' || line[1] > '5')
      return {Status::error, 0, Errc::bad_reply};
    const auto c = static_cast<std::uint16_t>((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
    if (count > 0 && c != code) return {Status::error, 0, Errc::bad_reply};
    code = c;
    const bool more = line.size() > 3 && line[3] == '-';
    if (line.size() > 3 && line[3] != '-' && line[3] != ' ') return {Status::error, 0, Errc::bad_reply};
    if (count == max_lines) return {Status::error, 0, Errc::too_many_reply_lines};
    lines[count++] = line.size() > 4 ? line.substr(4) : std::string_view{};
    pos += l.consumed;
    if (!more) break;
  }
  out = Reply{};
  out.code = code;
  out.lines = lines.first(count);
  const EnhancedParse e = parse_enhanced(out.lines[0]);
  if (e.code && e.code.cls == code / 100) out.enhanced = e.code;
  return {Status::ok, pos, Errc::ok};
}

bool Extensions::has_auth(std::string_view mech) const noexcept {
  std::string_view s = auth;
  while (!s.empty()) {
    const std::size_t sp = s.find(' ');
    if (iequals(s.substr(0, sp), mech)) return true;
    if (sp == std::string_view::npos) break;
    s = s.substr(sp + 1);
  }
  return false;
}

EhloLine split_ehlo_line(std::string_view line) noexcept {
  const std::size_t sp = line.find(' ');
  EhloLine r;
  r.keyword = line.substr(0, sp);
  if (sp != std::string_view::npos) r.params = line.substr(sp + 1);
  return r;
}

Extensions parse_ehlo(const Reply& reply) noexcept {
  Extensions x;
  if (reply.lines.empty()) return x;
  x.domain = reply.lines[0].substr(0, reply.lines[0].find(' '));
  for (std::size_t i = 1; i < reply.lines.size(); ++i) {
    const EhloLine l = split_ehlo_line(reply.lines[i]);
    const std::string_view k = l.keyword;
    if (iequals(k, "PIPELINING")) x.pipelining = true;
    else if (iequals(k, "SIZE")) {
      x.size = true;
      std::uint64_t v = 0;
      bool ok = !l.params.empty() && l.params.size() <= 19;
      for (char c : l.params) {
        if (!is_digit(c)) { ok = false; break; }
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
      }
      x.max_size = ok ? v : 0;
    }
    else if (iequals(k, "8BITMIME")) x.eight_bit_mime = true;
    else if (iequals(k, "SMTPUTF8")) x.smtputf8 = true;
    else if (iequals(k, "ENHANCEDSTATUSCODES")) x.enhanced_status_codes = true;
    else if (iequals(k, "STARTTLS")) x.starttls = true;
    else if (iequals(k, "CHUNKING")) x.chunking = true;
    else if (iequals(k, "BINARYMIME")) x.binary_mime = true;
    else if (iequals(k, "DSN")) x.dsn = true;
    else if (iequals(k, "AUTH")) x.auth = l.params;
  }
  return x;
}

std::size_t reply_size(std::string_view enhanced, std::span<const std::string_view> lines) noexcept {
  const std::size_t enh = enhanced.empty() ? 0 : enhanced.size() + 1;
  if (lines.empty()) return 4 + (enhanced.empty() ? 0 : enhanced.size()) + 2;
  std::size_t n = 0;
  for (std::string_view l : lines) {
    // "ddd-" + enhanced + " " + text + CRLF; a line without text drops the space after the code.
    n += 4 + enh + l.size() + 2;
    if (l.empty() && enh) n -= 1;
  }
  return n;
}

Result<std::size_t> serialize_reply(std::uint16_t code, std::string_view enhanced,
                                    std::span<const std::string_view> lines, std::span<char> out) noexcept {
  if (code < 200 || code > 599 || !clean_text(enhanced)) return make_error_code(Errc::bad_reply_text);
  if (!enhanced.empty() && parse_enhanced(enhanced).size != enhanced.size()) return make_error_code(Errc::bad_reply_text);
  for (std::string_view l : lines)
    if (!clean_text(l)) return make_error_code(Errc::bad_reply_text);
  const char digits[3] = {static_cast<char>('0' + code / 100), static_cast<char>('0' + code / 10 % 10),
                          static_cast<char>('0' + code % 10)};
  Out o{out};
  if (lines.empty()) {
    o.put({digits, 3});
    o.put(" ");
    o.put(enhanced);
    o.put("\r\n");
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    o.put({digits, 3});
    o.put(i + 1 < lines.size() ? "-" : " ");
    if (!enhanced.empty()) {
      o.put(enhanced);
      if (!lines[i].empty()) o.put(" ");
    }
    o.put(lines[i]);
    o.put("\r\n");
  }
  if (o.overflow) return make_error_code(Errc::buffer_too_small);
  return o.n;
}

Result<std::size_t> serialize_command(Verb verb, std::string_view arg, std::span<char> out) noexcept {
  if (!clean_text(arg)) return make_error_code(Errc::bad_reply_text);
  Out o{out};
  o.put(verb_name(verb));
  if (!arg.empty()) {
    o.put(" ");
    o.put(arg);
  }
  o.put("\r\n");
  if (o.overflow) return make_error_code(Errc::buffer_too_small);
  return o.n;
}

}  // namespace zp::codec::smtp
