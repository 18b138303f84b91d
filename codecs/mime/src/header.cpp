// Message header, Content-Type/-Disposition parameters, Content-Transfer-Encoding:
// see zp/codec/mime/header.h.
#include "zp/codec/mime/header.h"

#include <array>
#include <cstring>

#include "text.h"
#include "zp/codec/lines.h"

namespace zp::codec::mime {
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

// RFC 2045 5.1 token characters.
bool is_token(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 32 || u >= 127) return false;
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

// A cursor over a structured field value that skips CFWS (RFC 5322 3.2.2).
struct Lexer {
  std::string_view s;
  std::size_t i = 0;
  bool bad = false;

  void skip_cfws() noexcept {
    while (i < s.size()) {
      const char c = s[i];
      if (is_wsp(c) || c == '\r' || c == '\n') {
        ++i;
      } else if (c == '(') {
        int depth = 0;
        for (; i < s.size(); ++i) {
          if (s[i] == '\\') { ++i; continue; }
          if (s[i] == '(') ++depth;
          else if (s[i] == ')' && --depth == 0) break;
        }
        if (i >= s.size()) { bad = true; i = s.size(); return; }  // unclosed comment
        ++i;
      } else {
        return;
      }
    }
  }
  std::string_view token() noexcept {
    skip_cfws();
    const std::size_t start = i;
    while (i < s.size() && is_token(s[i])) ++i;
    return s.substr(start, i - start);
  }
  bool eat(char c) noexcept {
    skip_cfws();
    if (i < s.size() && s[i] == c) { ++i; return true; }
    return false;
  }
  bool done() noexcept {
    skip_cfws();
    return i == s.size();
  }
  // Quoted string with its quotes; `escaped` tells whether it holds quoted-pairs.
  std::string_view quoted(bool& escaped) noexcept {
    skip_cfws();
    escaped = false;
    if (i >= s.size() || s[i] != '"') return {};
    const std::size_t start = i++;
    for (; i < s.size(); ++i) {
      if (s[i] == '\\') { escaped = true; ++i; continue; }
      if (s[i] == '"') return s.substr(start, ++i - start);
    }
    bad = true;
    i = s.size();  // a trailing backslash may have stepped past the end
    return {};
  }
};

struct Raw {
  std::string_view base;   // name without the star part
  int section = -1;        // -1: no section
  bool extended = false;   // trailing '*'
  std::string_view value;  // token, or quoted string with quotes
  bool quoted = false;
  bool escaped = false;
};

struct Scratch {
  std::span<char> buf;
  std::size_t n = 0;
  char* at() noexcept { return buf.data() + n; }
  bool put(char c) noexcept {
    if (n == buf.size()) return false;
    buf[n++] = c;
    return true;
  }
};

// Unquotes a quoted-string (quotes included) into scratch.
bool unquote(std::string_view q, Scratch& sc) noexcept {
  for (std::size_t i = 1; i + 1 < q.size(); ++i) {
    if (q[i] == '\\') ++i;
    if (q[i] == '\r' || q[i] == '\n') continue;  // folding inside quotes
    if (!sc.put(q[i])) return false;
  }
  return true;
}

// %XX decoding of an RFC 2231 extended value into scratch.
Errc percent_decode(std::string_view v, Scratch& sc) noexcept {
  for (std::size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c == '%') {
      if (i + 2 >= v.size()) return Errc::bad_rfc2231;
      if (!is_hex(v[i + 1]) || !is_hex(v[i + 2])) return Errc::bad_rfc2231;
      c = static_cast<char>(hex_value(v[i + 1]) * 16 + hex_value(v[i + 2]));
      i += 2;
    }
    if (!sc.put(c)) return Errc::buffer_too_small;
  }
  return Errc::ok;
}

constexpr std::size_t max_raw = 64;

Errc parse_params(Lexer& lx, std::span<Param> params, std::size_t& count, std::span<char> scratch) noexcept {
  std::array<Raw, max_raw> raw{};
  std::size_t nraw = 0;
  while (lx.eat(';')) {
    if (lx.done()) break;  // a trailing ';' is common and harmless
    std::string_view attr = lx.token();
    if (attr.empty() || !lx.eat('=')) return Errc::bad_content_type;
    if (nraw == max_raw) return Errc::too_many_params;
    Raw& r = raw[nraw++];
    // name*, name*0, name*0*
    const std::size_t star = attr.find('*');
    r.base = attr.substr(0, star);
    if (r.base.empty()) return Errc::bad_content_type;
    if (star != std::string_view::npos) {
      std::string_view rest = attr.substr(star + 1);
      if (!rest.empty() && rest.back() == '*') {
        r.extended = true;
        rest.remove_suffix(1);
      } else if (rest.empty()) {
        r.extended = true;
      }
      if (!rest.empty()) {
        if (rest.size() > 3 || (rest.size() > 1 && rest[0] == '0')) return Errc::bad_rfc2231;
        r.section = 0;
        for (char c : rest) {
          if (c < '0' || c > '9') return Errc::bad_rfc2231;
          r.section = r.section * 10 + (c - '0');
        }
      }
    }
    lx.skip_cfws();
    if (lx.i < lx.s.size() && lx.s[lx.i] == '"') {
      r.value = lx.quoted(r.escaped);
      r.quoted = true;
      if (lx.bad) return Errc::bad_content_type;
      if (r.extended) return Errc::bad_rfc2231;  // extended values are tokens
    } else {
      r.value = lx.token();
      if (r.value.empty() && !r.extended) return Errc::bad_content_type;
    }
  }
  if (lx.bad || !lx.done()) return Errc::bad_content_type;

  Scratch sc{scratch};
  std::array<bool, max_raw> used{};
  count = 0;
  for (std::size_t k = 0; k < nraw; ++k) {
    if (used[k]) continue;
    for (std::size_t j = 0; j < count; ++j)
      if (iequals(params[j].name, raw[k].base)) return Errc::duplicate_param;
    if (count == params.size()) return Errc::too_many_params;
    Param& p = params[count++];
    p = Param{};
    p.name = raw[k].base;
    if (raw[k].section < 0) {
      used[k] = true;
      const Raw& r = raw[k];
      std::string_view v = r.value;
      if (r.extended) {
        // charset'language'value
        const std::size_t q1 = v.find('\''), q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
        if (q2 == std::string_view::npos) return Errc::bad_rfc2231;
        p.charset = v.substr(0, q1);
        p.language = v.substr(q1 + 1, q2 - q1 - 1);
        char* start = sc.at();
        if (const Errc e = percent_decode(v.substr(q2 + 1), sc); e != Errc::ok) return e;
        p.value = std::string_view(start, static_cast<std::size_t>(sc.at() - start));
      } else if (r.quoted && (r.escaped || v.find('\n') != std::string_view::npos)) {
        char* start = sc.at();
        if (!unquote(v, sc)) return Errc::buffer_too_small;
        p.value = std::string_view(start, static_cast<std::size_t>(sc.at() - start));
      } else {
        p.value = r.quoted ? v.substr(1, v.size() - 2) : v;
      }
      continue;
    }
    // Continuations: sections 0..n of the same name, each once, in any order.
    char* start = sc.at();
    for (int want = 0;; ++want) {
      std::size_t found = max_raw;
      for (std::size_t j = k; j < nraw; ++j) {
        if (!used[j] && raw[j].section == want && iequals(raw[j].base, p.name)) {
          if (found != max_raw) return Errc::bad_rfc2231;
          found = j;
        }
      }
      if (found == max_raw) break;
      used[found] = true;
      const Raw& r = raw[found];
      std::string_view v = r.value;
      if (r.extended) {
        if (want == 0) {
          const std::size_t q1 = v.find('\''), q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
          if (q2 == std::string_view::npos) return Errc::bad_rfc2231;
          p.charset = v.substr(0, q1);
          p.language = v.substr(q1 + 1, q2 - q1 - 1);
          v = v.substr(q2 + 1);
        }
        if (const Errc e = percent_decode(v, sc); e != Errc::ok) return e;
      } else if (r.quoted) {
        if (!unquote(v, sc)) return Errc::buffer_too_small;
      } else {
        for (char c : v)
          if (!sc.put(c)) return Errc::buffer_too_small;
      }
    }
    // A section of this name left over (gap, or none numbered 0).
    for (std::size_t j = k; j < nraw; ++j)
      if (!used[j] && iequals(raw[j].base, p.name)) return Errc::bad_rfc2231;
    p.value = std::string_view(start, static_cast<std::size_t>(sc.at() - start));
  }
  return Errc::ok;
}

Errc parse_parameterized(std::string_view value, bool with_subtype, ContentType& out, std::span<Param> params,
                         std::span<char> scratch) noexcept {
  out = ContentType{};
  Lexer lx{value};
  out.type = lx.token();
  if (out.type.empty()) return Errc::bad_content_type;
  if (with_subtype) {
    if (!lx.eat('/')) return Errc::bad_content_type;
    out.subtype = lx.token();
    if (out.subtype.empty()) return Errc::bad_content_type;
  }
  std::size_t count = 0;
  if (const Errc e = parse_params(lx, params, count, scratch); e != Errc::ok) return e;
  out.params = params.first(count);
  return Errc::ok;
}

}  // namespace

HeaderResult parse_header(std::string_view in, const HeaderLimits& limits, std::span<Field> fields) noexcept {
  const std::size_t max_fields = limits.max_fields < fields.size() ? limits.max_fields : fields.size();
  std::size_t pos = 0;
  std::size_t count = 0;
  const auto fail = [](Errc e) { return HeaderResult{Status::error, 0, 0, e}; };
  while (true) {
    if (pos > limits.max_header_bytes) return fail(Errc::header_too_large);
    const lines::LineResult l = lines::next_line(in.substr(pos), lines::Limits{.max_line_bytes = limits.max_line_bytes});
    if (l.status == lines::Status::need_more) {
      if (in.size() > limits.max_header_bytes) return fail(Errc::header_too_large);
      return {};
    }
    if (l.status == lines::Status::error) return fail(from_lines(l.error));
    const std::size_t line_start = pos;
    pos += l.consumed;
    if (l.line.empty()) return {Status::ok, pos, count, Errc::ok};
    if (is_wsp(l.line.front())) {
      if (count == 0) return fail(Errc::bad_field);
      // Continuation: the value grows to the end of this line (folding CRLF kept).
      Field& f = fields[count - 1];
      f.value = std::string_view(f.value.data(), static_cast<std::size_t>(in.data() + line_start + l.line.size() - f.value.data()));
      continue;
    }
    const std::size_t colon = l.line.find(':');
    if (colon == std::string_view::npos || colon == 0) return fail(Errc::bad_field);
    for (std::size_t i = 0; i < colon; ++i) {
      const auto c = static_cast<unsigned char>(l.line[i]);
      if (c < 33 || c > 126) return fail(Errc::bad_field);
    }
    if (count == max_fields) return fail(Errc::too_many_fields);
    std::size_t v = colon + 1;
    while (v < l.line.size() && is_wsp(l.line[v])) ++v;
    fields[count++] = Field{l.line.substr(0, colon), l.line.substr(v)};
  }
}

std::optional<std::string_view> find_field(std::span<const Field> fields, std::size_t count, std::string_view name) noexcept {
  for (std::size_t i = 0; i < count && i < fields.size(); ++i)
    if (iequals(fields[i].name, name)) return fields[i].value;
  return std::nullopt;
}

Result<std::size_t> unfold(std::string_view value, std::span<char> out) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\r' && i + 1 < value.size() && value[i + 1] == '\n') {
      ++i;
      continue;
    }
    if (n == out.size()) return make_error_code(Errc::buffer_too_small);
    out[n++] = value[i];
  }
  return n;
}

std::optional<std::string_view> ContentType::param(std::string_view name) const noexcept {
  for (const Param& p : params)
    if (iequals(p.name, name)) return p.value;
  return std::nullopt;
}

bool ContentType::is(std::string_view t, std::string_view s) const noexcept {
  return iequals(type, t) && (s == "*" || iequals(subtype, s));
}

Errc parse_content_type(std::string_view value, ContentType& out, std::span<Param> params,
                        std::span<char> scratch) noexcept {
  return parse_parameterized(value, true, out, params, scratch);
}

Errc parse_disposition(std::string_view value, ContentType& out, std::span<Param> params,
                       std::span<char> scratch) noexcept {
  return parse_parameterized(value, false, out, params, scratch);
}

Cte parse_cte(std::string_view value) noexcept {
  Lexer lx{value};
  const std::string_view t = lx.token();
  if (!lx.done()) return Cte::unknown;
  if (iequals(t, "7bit")) return Cte::seven_bit;
  if (iequals(t, "8bit")) return Cte::eight_bit;
  if (iequals(t, "binary")) return Cte::binary;
  if (iequals(t, "quoted-printable")) return Cte::quoted_printable;
  if (iequals(t, "base64")) return Cte::base64;
  return Cte::unknown;
}

}  // namespace zp::codec::mime
