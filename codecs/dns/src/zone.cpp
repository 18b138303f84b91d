// Zone-file parser: tokenizer (parentheses, comments, quotes, escapes), directives,
// inheritance rules, schema-driven RDATA text parsing.
#include "zp/codec/dns/zone.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "field.h"
#include "zp/codec/base64.h"
#include "zp/codec/dns/text.h"
#include "zp/codec/wire.h"

namespace zp::codec::dns {
namespace {

using detail::Field;

struct Token {
  std::string_view text;
  bool quoted = false;
  std::size_t line = 0, column = 0;
};

struct Failure {
  ZoneErrc code;
  std::size_t line, column;
  std::string message;
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Decimal number, all digits, <= max.
bool parse_uint(std::string_view s, std::uint64_t max, std::uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
    if (v > max) return false;
  }
  out = v;
  return true;
}

// TTL with optional BIND units: "3600", "1h30m", "1W2d". <= max.
bool parse_ttl(std::string_view s, std::uint64_t max, std::uint32_t& out) {
  if (s.empty() || !is_digit(s[0])) return false;
  std::uint64_t total = 0, cur = 0;
  bool have_digits = false, any_unit = false;
  for (char c : s) {
    if (is_digit(c)) {
      cur = cur * 10 + static_cast<std::uint64_t>(c - '0');
      if (cur > max) return false;
      have_digits = true;
      continue;
    }
    std::uint64_t mult = 0;
    switch (c | 0x20) {
      case 's': mult = 1; break;
      case 'm': mult = 60; break;
      case 'h': mult = 3600; break;
      case 'd': mult = 86400; break;
      case 'w': mult = 604800; break;
      default: return false;
    }
    if (!have_digits) return false;
    total += cur * mult;
    if (total > max) return false;
    cur = 0;
    have_digits = false;
    any_unit = true;
  }
  if (have_digits) total += cur;  // trailing seconds ("1h30" as BIND)
  else if (!any_unit) return false;
  if (total > max) return false;
  out = static_cast<std::uint32_t>(total);
  return true;
}

// Unescapes a character-string token (\X, \DDD). False on a bad escape.
bool unescape(std::string_view s, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (i + 1 >= s.size()) return false;
    if (is_digit(s[i + 1])) {
      if (i + 3 >= s.size() || !is_digit(s[i + 2]) || !is_digit(s[i + 3])) return false;
      const int v = (s[i + 1] - '0') * 100 + (s[i + 2] - '0') * 10 + (s[i + 3] - '0');
      if (v > 255) return false;
      out += static_cast<char>(v);
      i += 3;
    } else {
      out += s[i + 1];
      ++i;
    }
  }
  return true;
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool decode_hex(std::string_view s, std::vector<std::byte>& out) {
  if (s.size() % 2) return false;
  for (std::size_t i = 0; i < s.size(); i += 2) {
    const int a = hexval(s[i]), b = hexval(s[i + 1]);
    if (a < 0 || b < 0) return false;
    out.push_back(static_cast<std::byte>(a * 16 + b));
  }
  return true;
}

bool decode_b32hex(std::string_view s, std::vector<std::byte>& out) {
  std::uint64_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'v') v = (c | 0x20) - 'a' + 10;
    else return false;
    acc = (acc << 5) | static_cast<std::uint64_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<std::byte>((acc >> (bits - 8)) & 0xFF));
      bits -= 8;
    }
  }
  // Leftover bits must be fewer than 5 and zero (canonical, no padding).
  if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0) return false;
  return true;
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool parse_time(std::string_view s, std::uint32_t& out) {
  std::uint64_t v = 0;
  if (s.size() == 14) {
    for (char c : s)
      if (!is_digit(c)) return false;
    auto num = [&](std::size_t at, std::size_t n) {
      unsigned x = 0;
      for (std::size_t i = 0; i < n; ++i) x = x * 10 + static_cast<unsigned>(s[at + i] - '0');
      return x;
    };
    const unsigned y = num(0, 4), mo = num(4, 2), d = num(6, 2), h = num(8, 2), mi = num(10, 2), se = num(12, 2);
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 59) return false;
    const std::int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    if (t > 0xFFFFFFFFLL) return false;
    out = static_cast<std::uint32_t>(t);
    return true;
  }
  if (!parse_uint(s, 0xFFFFFFFFu, v)) return false;
  out = static_cast<std::uint32_t>(v);
  return true;
}

class Parser {
 public:
  Parser(const ZoneOptions& opt, const ZoneSink* sink) : opt_(opt), sink_(sink) {}

  std::optional<Failure> init_origin(std::string_view origin) {
    if (origin.empty()) return std::nullopt;
    auto n = name_from_text(origin, {}, origin_);
    if (!n) return Failure{ZoneErrc::bad_name, 0, 0, "bad origin '" + std::string(origin) + "'"};
    origin_len_ = *n;
    return std::nullopt;
  }

  std::optional<Failure> parse_file(std::string_view text, std::size_t depth, std::string& file) {
    std::size_t i = 0, line = 1, line_start = 0;
    int paren = 0;
    bool blank_owner = false, entry_started = false;
    std::size_t paren_line = 0, paren_col = 0;
    tokens_.clear();
    auto col = [&](std::size_t at) { return at - line_start + 1; };
    auto end_entry = [&]() -> std::optional<Failure> {
      if (!tokens_.empty()) {
        if (auto f = entry(blank_owner, depth, file)) return f;
      }
      tokens_.clear();
      entry_started = false;
      return std::nullopt;
    };
    while (i < text.size()) {
      const char c = text[i];
      if (!entry_started && paren == 0) {
        entry_started = true;
        blank_owner = (i == line_start) && (c == ' ' || c == '\t');
      }
      if (c == '\n') {
        if (i - line_start > opt_.limits.max_line_bytes)
          return Failure{ZoneErrc::line_too_long, line, 1, "line longer than the limit"};
        ++i;
        ++line;
        line_start = i;
        if (paren == 0) {
          if (auto f = end_entry()) return f;
        }
        continue;
      }
      if (c == '\r' && !opt_.allow_crlf)
        return Failure{ZoneErrc::crlf, line, col(i), "CR byte (CRLF line ending); set allow_crlf to accept"};
      if (c == ' ' || c == '\t' || c == '\r') {
        ++i;
        continue;
      }
      if (c == ';') {
        while (i < text.size() && text[i] != '\n') {
          if (text[i] == '\r' && !opt_.allow_crlf)
            return Failure{ZoneErrc::crlf, line, col(i), "CR byte (CRLF line ending); set allow_crlf to accept"};
          ++i;
        }
        continue;
      }
      if (c == '(') {
        if (paren == 0) {
          paren_line = line;
          paren_col = col(i);
        }
        ++paren;
        ++i;
        continue;
      }
      if (c == ')') {
        if (paren == 0) return Failure{ZoneErrc::unbalanced_paren, line, col(i), "')' without '('"};
        --paren;
        ++i;
        continue;
      }
      if (tokens_.size() >= opt_.limits.max_entry_tokens)
        return Failure{ZoneErrc::syntax, line, col(i), "too many tokens in one entry"};
      if (c == '"') {
        const std::size_t start = i + 1;
        std::size_t j = start;
        while (j < text.size() && text[j] != '"' && text[j] != '\n') {
          if (text[j] == '\\' && j + 1 < text.size() && text[j + 1] != '\n') ++j;
          ++j;
        }
        if (j >= text.size() || text[j] != '"')
          return Failure{ZoneErrc::unterminated_string, line, col(i), "unterminated quoted string"};
        tokens_.push_back(Token{text.substr(start, j - start), true, line, col(i)});
        i = j + 1;
        continue;
      }
      const std::size_t start = i;
      while (i < text.size()) {
        const char d = text[i];
        if (d == ' ' || d == '\t' || d == '\r' || d == '\n' || d == ';' || d == '(' || d == ')' || d == '"') break;
        if (d == '\\') {
          if (i + 1 >= text.size() || text[i + 1] == '\n' || text[i + 1] == '\r')
            return Failure{ZoneErrc::bad_escape, line, col(i), "'\\' at the end of a line"};
          i += 2;
          continue;
        }
        ++i;
      }
      tokens_.push_back(Token{text.substr(start, i - start), false, line, col(start)});
    }
    if (text.size() - line_start > opt_.limits.max_line_bytes)
      return Failure{ZoneErrc::line_too_long, line, 1, "line longer than the limit"};
    if (paren != 0) return Failure{ZoneErrc::unbalanced_paren, paren_line, paren_col, "'(' never closed"};
    return end_entry();
  }

  // RDATA fields of `type` from tokens_[idx...] into rdata_. Used by records and rdata_from_text.
  std::optional<Failure> parse_rdata(std::uint16_t type, std::size_t idx, const Token& type_tok) {
    rdata_.clear();
    const std::size_t n = tokens_.size();
    auto fail = [&](ZoneErrc code, const Token& t, std::string what) {
      return Failure{code, t.line, t.column, std::move(what)};
    };
    if (idx < n && !tokens_[idx].quoted && tokens_[idx].text == "\\#") {
      const Token& hash = tokens_[idx++];
      std::uint64_t len = 0;
      if (idx >= n || !parse_uint(tokens_[idx].text, 65535, len))
        return fail(ZoneErrc::bad_rdata, idx < n ? tokens_[idx] : hash, "bad \\# length");
      ++idx;
      std::string hex;
      for (; idx < n; ++idx) hex += tokens_[idx].text;
      if (!decode_hex(hex, rdata_) || rdata_.size() != len)
        return fail(ZoneErrc::bad_rdata, hash, "\\# data does not match its length");
      if (detail::type_info(type)) {
        const Record rr = Record::standalone(Name::root(), type, rrclass::in, 0, rdata_);
        if (auto v = validate_rdata(rr); !v)
          return fail(ZoneErrc::bad_rdata, hash, "generic RDATA invalid for its type: " + v.error().message());
      }
      return std::nullopt;
    }
    const detail::TypeInfo* ti = detail::type_info(type);
    if (!ti) return fail(ZoneErrc::bad_rdata, type_tok, "type without a known format needs \\# RDATA");
    std::string s;
    for (Field f : ti->fields) {
      if (f == Field::end) break;
      const bool rest = f == Field::cstrs || f == Field::b64_rest || f == Field::hex_rest || f == Field::bitmap;
      if (idx >= n && f != Field::bitmap) return fail(ZoneErrc::bad_rdata, type_tok, "missing RDATA field");
      const Token& t = idx < n ? tokens_[idx] : type_tok;
      if (!rest) ++idx;
      const std::string tok(t.text);
      std::uint64_t v = 0;
      std::uint32_t v32 = 0;
      switch (f) {
        case Field::end: break;
        case Field::u8: case Field::u16: case Field::u32: {
          const std::uint64_t max = f == Field::u8 ? 0xFF : f == Field::u16 ? 0xFFFF : 0xFFFFFFFFu;
          if (t.quoted || !parse_uint(t.text, max, v)) return fail(ZoneErrc::bad_rdata, t, "bad number '" + tok + "'");
          put_be(v, f == Field::u8 ? 1 : f == Field::u16 ? 2 : 4);
          break;
        }
        case Field::ttl:
          if (t.quoted || !parse_ttl(t.text, 0xFFFFFFFFu, v32)) return fail(ZoneErrc::bad_rdata, t, "bad time value '" + tok + "'");
          put_be(v32, 4);
          break;
        case Field::time:
          if (t.quoted || !parse_time(t.text, v32)) return fail(ZoneErrc::bad_rdata, t, "bad timestamp '" + tok + "'");
          put_be(v32, 4);
          break;
        case Field::type: {
          auto ty = type_from_text(t.text);
          if (t.quoted || !ty) return fail(ZoneErrc::bad_rdata, t, "bad type '" + tok + "'");
          put_be(*ty, 2);
          break;
        }
        case Field::ipv4: case Field::ipv6: {
          unsigned char a[16];
          if (t.quoted || inet_pton(f == Field::ipv4 ? AF_INET : AF_INET6, tok.c_str(), a) != 1)
            return fail(ZoneErrc::bad_rdata, t, std::string(f == Field::ipv4 ? "bad IPv4" : "bad IPv6") + " address '" + tok + "'");
          const auto* b = reinterpret_cast<const std::byte*>(a);
          rdata_.insert(rdata_.end(), b, b + (f == Field::ipv4 ? 4 : 16));
          break;
        }
        case Field::name_c: case Field::name_d: case Field::name_n: {
          std::array<std::byte, max_name_bytes> buf{};
          auto len = t.quoted ? Result<std::size_t>(make_error_code(Errc::bad_name_text))
                              : name_from_text(t.text, std::span<const std::byte>(origin_.data(), origin_len_), buf);
          if (!len) return fail(ZoneErrc::bad_name, t, "bad domain name '" + tok + "'");
          rdata_.insert(rdata_.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*len));
          break;
        }
        case Field::cstr: case Field::caa_tag:
          if (!unescape(t.text, s)) return fail(ZoneErrc::bad_escape, t, "bad escape in '" + tok + "'");
          if (s.size() > 255) return fail(ZoneErrc::bad_rdata, t, "character-string longer than 255 octets");
          if (f == Field::caa_tag) {
            if (s.empty()) return fail(ZoneErrc::bad_rdata, t, "empty CAA tag");
            for (char c : s)
              if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
                return fail(ZoneErrc::bad_rdata, t, "CAA tag not alphanumeric '" + tok + "'");
          }
          put_string(s);
          break;
        case Field::cstrs:
          for (; idx < n; ++idx) {
            if (!unescape(tokens_[idx].text, s))
              return fail(ZoneErrc::bad_escape, tokens_[idx], "bad escape in '" + std::string(tokens_[idx].text) + "'");
            // Longer strings are split into 255-octet character-strings (Knot does the same).
            std::size_t at = 0;
            do {
              put_string(s.substr(at, 255));
              at += 255;
            } while (at < s.size());
          }
          break;
        case Field::caa_value:
          if (!unescape(t.text, s)) return fail(ZoneErrc::bad_escape, t, "bad escape in '" + tok + "'");
          rdata_.insert(rdata_.end(), reinterpret_cast<const std::byte*>(s.data()),
                        reinterpret_cast<const std::byte*>(s.data()) + s.size());
          break;
        case Field::b64_rest: case Field::hex_rest: {
          std::string all;
          for (; idx < n; ++idx) {
            if (tokens_[idx].quoted) return fail(ZoneErrc::bad_rdata, tokens_[idx], "quoted string in encoded data");
            all += tokens_[idx].text;
          }
          if (f == Field::hex_rest) {
            if (!decode_hex(all, rdata_)) return fail(ZoneErrc::bad_rdata, t, "bad hex data");
          } else {
            std::vector<std::byte> tmp(base64::decoded_size_max(all.size()));
            auto m = base64::decode(all, tmp);
            if (!m) return fail(ZoneErrc::bad_rdata, t, "bad base64 data: " + m.error().message());
            rdata_.insert(rdata_.end(), tmp.begin(), tmp.begin() + static_cast<std::ptrdiff_t>(*m));
          }
          break;
        }
        case Field::hex_len8: case Field::b32_len8: {
          std::vector<std::byte> tmp;
          if (t.quoted) return fail(ZoneErrc::bad_rdata, t, "quoted string in encoded data");
          const bool ok = f == Field::hex_len8 ? (t.text == "-" || decode_hex(t.text, tmp)) : decode_b32hex(t.text, tmp);
          if (!ok || tmp.size() > 255 || (f == Field::b32_len8 && tmp.empty()))
            return fail(ZoneErrc::bad_rdata, t, std::string(f == Field::hex_len8 ? "bad salt '" : "bad base32hex '") + tok + "'");
          rdata_.push_back(static_cast<std::byte>(tmp.size()));
          rdata_.insert(rdata_.end(), tmp.begin(), tmp.end());
          break;
        }
        case Field::bitmap: {
          std::vector<std::uint16_t> types;
          for (; idx < n; ++idx) {
            auto ty = type_from_text(tokens_[idx].text);
            if (tokens_[idx].quoted || !ty)
              return fail(ZoneErrc::bad_rdata, tokens_[idx], "bad type '" + std::string(tokens_[idx].text) + "' in bitmap");
            types.push_back(*ty);
          }
          std::sort(types.begin(), types.end());
          types.erase(std::unique(types.begin(), types.end()), types.end());
          std::size_t k = 0;
          while (k < types.size()) {
            const unsigned window = types[k] >> 8;
            std::array<std::uint8_t, 32> bits{};
            std::size_t len = 0;
            for (; k < types.size() && (types[k] >> 8) == window; ++k) {
              const unsigned low = types[k] & 0xFF;
              bits[low / 8] = static_cast<std::uint8_t>(bits[low / 8] | (0x80 >> (low % 8)));
              len = low / 8 + 1;
            }
            rdata_.push_back(static_cast<std::byte>(window));
            rdata_.push_back(static_cast<std::byte>(len));
            for (std::size_t b = 0; b < len; ++b) rdata_.push_back(static_cast<std::byte>(bits[b]));
          }
          break;
        }
      }
    }
    if (idx < n) return fail(ZoneErrc::syntax, tokens_[idx], "unexpected token '" + std::string(tokens_[idx].text) + "'");
    if (rdata_.size() > opt_.limits.max_rdata_bytes || rdata_.size() > 65535)
      return fail(ZoneErrc::rdata_too_large, type_tok, "RDATA larger than the limit");
    return std::nullopt;
  }

  std::vector<Token> tokens_;
  std::vector<std::byte> rdata_;
  std::array<std::byte, max_name_bytes> origin_{};
  std::size_t origin_len_ = 0;
  std::size_t count_ = 0;
  std::string failed_file_;

 private:
  void put_be(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) rdata_.push_back(static_cast<std::byte>(v >> (8 * i)));
  }
  void put_string(std::string_view s) {
    rdata_.push_back(static_cast<std::byte>(s.size()));
    rdata_.insert(rdata_.end(), reinterpret_cast<const std::byte*>(s.data()),
                  reinterpret_cast<const std::byte*>(s.data()) + s.size());
  }

  std::optional<Failure> entry(bool blank_owner, std::size_t depth, std::string& file) {
    const Token& first = tokens_[0];
    if (!blank_owner && !first.quoted && !first.text.empty() && first.text[0] == '$') return directive(depth, file);
    std::size_t idx = 0;
    if (!blank_owner) {
      auto len = first.quoted ? Result<std::size_t>(make_error_code(Errc::bad_name_text))
                              : name_from_text(first.text, std::span<const std::byte>(origin_.data(), origin_len_), owner_);
      if (!len) return Failure{ZoneErrc::bad_name, first.line, first.column, "bad owner name '" + std::string(first.text) + "'"};
      owner_len_ = *len;
      ++idx;
    } else if (owner_len_ == 0) {
      return Failure{ZoneErrc::no_owner, first.line, first.column, "record without owner name"};
    }
    std::optional<std::uint32_t> ttl;
    std::optional<std::uint16_t> klass;
    const std::size_t n = tokens_.size();
    while (idx < n) {
      const Token& t = tokens_[idx];
      if (t.quoted) break;
      if (!ttl && !t.text.empty() && is_digit(t.text[0])) {
        std::uint32_t v = 0;
        if (!parse_ttl(t.text, 0x7FFFFFFF, v)) return Failure{ZoneErrc::bad_ttl, t.line, t.column, "bad TTL '" + std::string(t.text) + "'"};
        ttl = v;
        ++idx;
        continue;
      }
      if (!klass) {
        if (auto c = class_from_text(t.text)) {
          klass = *c;
          ++idx;
          continue;
        }
      }
      break;
    }
    if (idx >= n) {
      const Token& t = tokens_[n - 1];
      return Failure{ZoneErrc::syntax, t.line, t.column, "missing record type"};
    }
    const Token& type_tok = tokens_[idx];
    auto type = type_tok.quoted ? std::nullopt : type_from_text(type_tok.text);
    if (!type || *type == rrtype::opt || *type == rrtype::any)
      return Failure{ZoneErrc::unknown_type, type_tok.line, type_tok.column, "unknown record type '" + std::string(type_tok.text) + "'"};
    ++idx;
    if (auto f = parse_rdata(*type, idx, type_tok)) return f;
    // Inheritance.
    if (ttl) last_ttl_ = ttl;
    std::uint32_t use_ttl = 0;
    if (ttl) use_ttl = *ttl;
    else if (dollar_ttl_) use_ttl = *dollar_ttl_;
    else if (last_ttl_) use_ttl = *last_ttl_;
    else if (opt_.default_ttl) use_ttl = *opt_.default_ttl;
    else return Failure{ZoneErrc::no_ttl, first.line, first.column, "no TTL, no $TTL and no earlier TTL"};
    const std::uint16_t use_class = klass ? *klass : zone_class_ ? *zone_class_ : rrclass::in;
    if (!zone_class_) zone_class_ = use_class;
    if (use_class != *zone_class_) return Failure{ZoneErrc::class_mismatch, first.line, first.column, "class differs from the zone's"};
    if (count_ >= opt_.limits.max_records) return Failure{ZoneErrc::too_many_records, first.line, first.column, "more records than the limit"};
    ++count_;
    if (sink_ && *sink_) {
      ZoneRecord r;
      r.owner = std::span<const std::byte>(owner_.data(), owner_len_);
      r.type = *type;
      r.rclass = use_class;
      r.ttl = use_ttl;
      r.rdata = rdata_;
      if (auto ok = (*sink_)(r); !ok)
        return Failure{ZoneErrc::rejected, first.line, first.column, "record rejected: " + ok.error().message()};
    }
    return std::nullopt;
  }

  std::optional<Failure> directive(std::size_t depth, std::string& file) {
    const Token& d = tokens_[0];
    auto upper = [](std::string_view s) {
      std::string u(s);
      for (char& c : u)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
      return u;
    };
    const std::string name = upper(d.text);
    const std::size_t n = tokens_.size();
    if (name == "$ORIGIN") {
      if (n != 2) return Failure{ZoneErrc::bad_directive, d.line, d.column, "$ORIGIN takes one name"};
      std::array<std::byte, max_name_bytes> buf{};
      auto len = name_from_text(tokens_[1].text, std::span<const std::byte>(origin_.data(), origin_len_), buf);
      if (!len || tokens_[1].quoted)
        return Failure{ZoneErrc::bad_name, tokens_[1].line, tokens_[1].column, "bad $ORIGIN '" + std::string(tokens_[1].text) + "'"};
      std::memcpy(origin_.data(), buf.data(), *len);
      origin_len_ = *len;
      return std::nullopt;
    }
    if (name == "$TTL") {
      std::uint32_t v = 0;
      if (n != 2) return Failure{ZoneErrc::bad_directive, d.line, d.column, "$TTL takes one value"};
      if (!parse_ttl(tokens_[1].text, 0x7FFFFFFF, v))
        return Failure{ZoneErrc::bad_ttl, tokens_[1].line, tokens_[1].column, "bad $TTL '" + std::string(tokens_[1].text) + "'"};
      dollar_ttl_ = v;
      return std::nullopt;
    }
    if (name == "$INCLUDE") {
      if (n < 2 || n > 3) return Failure{ZoneErrc::bad_directive, d.line, d.column, "$INCLUDE takes a file and an optional origin"};
      std::string path;
      if (!unescape(tokens_[1].text, path)) return Failure{ZoneErrc::bad_escape, tokens_[1].line, tokens_[1].column, "bad escape"};
      const Token pt = tokens_[1];
      if (!confined(path))
        return Failure{ZoneErrc::include_forbidden, pt.line, pt.column, "$INCLUDE path '" + path + "' leaves the zone directory"};
      if (!opt_.include) return Failure{ZoneErrc::include_forbidden, pt.line, pt.column, "$INCLUDE not allowed here"};
      if (depth + 1 > opt_.limits.max_include_depth)
        return Failure{ZoneErrc::include_depth, pt.line, pt.column, "$INCLUDE nested too deep"};
      std::array<std::byte, max_name_bytes> saved_origin = origin_;
      const std::size_t saved_len = origin_len_;
      if (n == 3) {
        std::array<std::byte, max_name_bytes> buf{};
        auto len = name_from_text(tokens_[2].text, std::span<const std::byte>(origin_.data(), origin_len_), buf);
        if (!len) return Failure{ZoneErrc::bad_name, tokens_[2].line, tokens_[2].column, "bad $INCLUDE origin"};
        std::memcpy(origin_.data(), buf.data(), *len);
        origin_len_ = *len;
      }
      auto content = opt_.include(path);
      if (!content)
        return Failure{ZoneErrc::include_failed, pt.line, pt.column, "cannot read '" + path + "': " + content.error().message()};
      std::vector<Token> saved_tokens;
      saved_tokens.swap(tokens_);
      std::string inner_file = path;
      const std::string text = std::move(*content);
      auto f = parse_file(text, depth + 1, inner_file);
      tokens_.swap(saved_tokens);
      if (f) {
        file = inner_file;
        return f;
      }
      origin_ = saved_origin;
      origin_len_ = saved_len;
      return std::nullopt;
    }
    return Failure{ZoneErrc::bad_directive, d.line, d.column, "unknown directive '" + std::string(d.text) + "'"};
  }

  // Relative, no "..", no empty path, no NUL, no backslash tricks.
  static bool confined(std::string_view p) {
    if (p.empty() || p[0] == '/' || p.find('\0') != std::string_view::npos) return false;
    std::size_t i = 0;
    while (i <= p.size()) {
      std::size_t e = p.find('/', i);
      if (e == std::string_view::npos) e = p.size();
      if (p.substr(i, e - i) == "..") return false;
      i = e + 1;
    }
    return true;
  }

  const ZoneOptions& opt_;
  const ZoneSink* sink_;
  std::array<std::byte, max_name_bytes> owner_{};
  std::size_t owner_len_ = 0;
  std::optional<std::uint32_t> dollar_ttl_, last_ttl_;
  std::optional<std::uint16_t> zone_class_;
};

void report(ZoneError* error, const Failure& f, const std::string& file) {
  if (!error) return;
  error->code = f.code;
  error->file = file;
  error->line = f.line;
  error->column = f.column;
  error->message = (file.empty() ? std::string("<zone>") : file) + ":" + std::to_string(f.line) + ":" +
                   std::to_string(f.column) + ": " + f.message;
}

}  // namespace

Record ZoneRecord::view() const noexcept {
  auto n = Name::from_wire(owner);
  return Record::standalone(n ? *n : Name{}, type, rclass, ttl, rdata);
}

Result<std::size_t> parse_zone(std::string_view text, const ZoneOptions& options, const ZoneSink& sink,
                               ZoneError* error) {
  Parser p(options, &sink);
  std::string file(options.file_name);
  if (auto f = p.init_origin(options.origin)) {
    report(error, *f, file);
    return make_error_code(f->code);
  }
  if (auto f = p.parse_file(text, 0, file)) {
    report(error, *f, file);
    return make_error_code(f->code);
  }
  return p.count_;
}

Result<std::size_t> rdata_from_text(std::uint16_t type, std::string_view text, std::span<const std::byte> origin,
                                    std::span<std::byte> out) {
  ZoneOptions opt;
  Parser p(opt, nullptr);
  if (origin.size() > max_name_bytes) return make_error_code(ZoneErrc::bad_name);
  if (!origin.empty()) std::memcpy(p.origin_.data(), origin.data(), origin.size());
  p.origin_len_ = origin.size();
  std::optional<Failure> f;
  // Minimal tokenizer for RDATA text: same rules, one logical entry.
  p.tokens_.clear();
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '(' || c == ')') {
      ++i;
      continue;
    }
    if (c == ';') {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (c == '"') {
      std::size_t j = i + 1;
      while (j < text.size() && text[j] != '"') {
        if (text[j] == '\\' && j + 1 < text.size()) ++j;
        ++j;
      }
      if (j >= text.size()) return make_error_code(ZoneErrc::unterminated_string);
      p.tokens_.push_back(Token{text.substr(i + 1, j - i - 1), true, 1, i + 1});
      i = j + 1;
      continue;
    }
    const std::size_t start = i;
    while (i < text.size()) {
      const char d = text[i];
      if (d == ' ' || d == '\t' || d == '\r' || d == '\n' || d == ';' || d == '(' || d == ')' || d == '"') break;
      if (d == '\\') {
        if (i + 1 >= text.size()) return make_error_code(ZoneErrc::bad_escape);
        i += 2;
        continue;
      }
      ++i;
    }
    p.tokens_.push_back(Token{text.substr(start, i - start), false, 1, start + 1});
  }
  const Token type_tok{"", false, 1, 1};
  f = p.parse_rdata(type, 0, type_tok);
  if (f) return make_error_code(f->code);
  if (out.size() < p.rdata_.size()) return make_error_code(ZoneErrc::rdata_too_large);
  if (!p.rdata_.empty()) std::memcpy(out.data(), p.rdata_.data(), p.rdata_.size());
  return p.rdata_.size();
}

ZoneSink ZoneRecords::sink() {
  return [this](const ZoneRecord& r) -> Result<void> {
    Entry e{};
    e.owner_at = static_cast<std::uint32_t>(bytes_.size());
    e.owner_size = static_cast<std::uint32_t>(r.owner.size());
    bytes_.insert(bytes_.end(), r.owner.begin(), r.owner.end());
    e.rdata_at = static_cast<std::uint32_t>(bytes_.size());
    e.rdata_size = static_cast<std::uint32_t>(r.rdata.size());
    bytes_.insert(bytes_.end(), r.rdata.begin(), r.rdata.end());
    e.type = r.type;
    e.rclass = r.rclass;
    e.ttl = r.ttl;
    entries_.push_back(e);
    return {};
  };
}

ZoneRecord ZoneRecords::operator[](std::size_t i) const noexcept {
  const Entry& e = entries_[i];
  ZoneRecord r;
  r.owner = std::span<const std::byte>(bytes_.data() + e.owner_at, e.owner_size);
  r.rdata = std::span<const std::byte>(bytes_.data() + e.rdata_at, e.rdata_size);
  r.type = e.type;
  r.rclass = e.rclass;
  r.ttl = e.ttl;
  return r;
}

}  // namespace zp::codec::dns
