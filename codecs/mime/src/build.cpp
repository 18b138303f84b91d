// Building MIME messages: see zp/codec/mime/build.h.
#include "zp/codec/mime/build.h"

#include <array>
#include <cstring>

#include "text.h"
#include "zp/codec/base64.h"

namespace zp::codec::mime {
namespace {

using namespace detail;

constexpr char hex_digits[] = "0123456789ABCDEF";

// Appends to a bounded buffer; overflow is sticky and checked once at the end.
struct Sink {
  std::span<char> buf;
  std::size_t n = 0;
  bool overflow = false;
  void put(std::string_view s) noexcept {
    if (s.empty()) return;  // memcpy from a null view is undefined
    if (overflow || s.size() > buf.size() - n) { overflow = true; return; }
    std::memcpy(buf.data() + n, s.data(), s.size());
    n += s.size();
  }
  void put(char c) noexcept { put(std::string_view(&c, 1)); }
  std::span<char> rest() noexcept { return overflow ? std::span<char>{} : buf.subspan(n); }
  void advance(Result<std::size_t> r) noexcept {
    if (!r) overflow = true;
    else n += *r;
  }
};

bool clean(std::string_view s) noexcept {
  for (char c : s)
    if (c == '\r' || c == '\n' || c == '\0') return false;
  return true;
}

bool is_atext(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool dot_atom(std::string_view s) noexcept {
  if (s.empty() || s.front() == '.' || s.back() == '.' || s.find("..") != std::string_view::npos) return false;
  for (char c : s)
    if (c != '.' && !is_atext(c)) return false;
  return true;
}

}  // namespace

Result<std::size_t> base64_encode_lines(std::span<const std::byte> in, std::span<char> out) noexcept {
  if (base64_lines_size(in.size()) > out.size()) return make_error_code(Errc::buffer_too_small);
  std::size_t n = 0;
  for (std::size_t i = 0; i < in.size(); i += 57) {  // 57 octets = 76 characters
    const std::size_t take = in.size() - i < 57 ? in.size() - i : 57;
    auto r = base64::encode(in.subspan(i, take), out.subspan(n));
    if (!r) return make_error_code(Errc::buffer_too_small);
    n += *r;
    out[n++] = '\r';
    out[n++] = '\n';
  }
  return n;
}

Result<std::size_t> qp_encode(std::string_view in, std::span<char> out) noexcept {
  Sink s{out};
  std::size_t col = 0;
  const auto emit = [&](std::string_view tok) {
    if (col + tok.size() > 75) {  // room for the soft break's '='
      s.put("=\r\n");
      col = 0;
    }
    s.put(tok);
    col += tok.size();
  };
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    const bool crlf = c == '\r' && i + 1 < in.size() && in[i + 1] == '\n';
    if (crlf || c == '\n') {
      s.put("\r\n");
      col = 0;
      if (crlf) ++i;
      continue;
    }
    const bool at_break = i + 1 == in.size() || in[i + 1] == '\n' || (in[i + 1] == '\r' && i + 2 < in.size() && in[i + 2] == '\n');
    if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_break)) {
      emit(std::string_view(&in[i], 1));
    } else {
      const char enc[3] = {'=', hex_digits[c >> 4], hex_digits[c & 15]};
      emit(std::string_view(enc, 3));
    }
  }
  if (s.overflow) return make_error_code(Errc::buffer_too_small);
  return s.n;
}

Result<std::size_t> qp_decode(std::string_view in, std::span<char> out) noexcept {
  std::size_t n = 0;
  std::size_t keep = 0;  // output up to here is not literal trailing whitespace
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '\r' && i + 1 < in.size() && in[i + 1] == '\n') {
      n = keep;  // transport whitespace before a hard break is dropped
      if (n + 2 > out.size()) return make_error_code(Errc::buffer_too_small);
      out[n++] = '\r';
      out[n++] = '\n';
      keep = n;
      ++i;
      continue;
    }
    if (n == out.size()) return make_error_code(Errc::buffer_too_small);
    if (c == '=') {
      // Soft break, possibly after transport whitespace.
      std::size_t j = i + 1;
      while (j < in.size() && is_wsp(in[j])) ++j;
      if (j + 1 < in.size() && in[j] == '\r' && in[j + 1] == '\n') {
        i = j + 1;
        continue;
      }
      if (j == in.size()) break;  // "=" at the very end: a soft break
      if (i + 2 >= in.size() || !is_hex(in[i + 1]) || !is_hex(in[i + 2])) return make_error_code(Errc::bad_encoding);
      out[n++] = static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
      keep = n;
      i += 2;
      continue;
    }
    out[n++] = c;
    if (!is_wsp(c)) keep = n;
  }
  return keep > n ? keep : n;
}

Result<std::size_t> encode_header_text(std::string_view text, std::span<char> out) noexcept {
  if (!clean(text)) return make_error_code(Errc::bad_header_value);
  bool plain = text.find("=?") == std::string_view::npos;
  for (char c : text)
    if (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) > 126) plain = false;
  Sink s{out};
  if (plain) {
    s.put(text);
  } else {
    constexpr std::size_t max_raw = 45;  // 60 base64 characters + 12 of framing <= 75
    bool first = true;
    while (!text.empty()) {
      std::size_t take = text.size() < max_raw ? text.size() : max_raw;
      // Never split a UTF-8 sequence (RFC 2047 5: each word a whole number of characters).
      while (take < text.size() && take > 0 && (static_cast<unsigned char>(text[take]) & 0xC0) == 0x80) --take;
      if (take == 0) take = text.size() < max_raw ? text.size() : max_raw;
      if (!first) s.put("\r\n ");
      first = false;
      s.put("=?UTF-8?B?");
      s.advance(base64::encode(std::as_bytes(std::span<const char>(text.data(), take)), s.rest()));
      s.put("?=");
      text.remove_prefix(take);
    }
  }
  if (s.overflow) return make_error_code(Errc::buffer_too_small);
  return s.n;
}

Result<std::size_t> format_date(const DateTime& t, std::span<char> out) noexcept {
  if (t.year < 1900 || t.year > 9999 || t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31 || t.hour < 0 ||
      t.hour > 23 || t.minute < 0 || t.minute > 59 || t.second < 0 || t.second > 60 || t.utc_offset_minutes <= -1440 ||
      t.utc_offset_minutes >= 1440)
    return make_error_code(Errc::bad_header_value);
  static constexpr std::string_view days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // Sakamoto's weekday.
  static constexpr int offs[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
  const int y = t.month < 3 ? t.year - 1 : t.year;
  const int wd = (y + y / 4 - y / 100 + y / 400 + offs[t.month - 1] + t.day) % 7;
  char buf[32];
  const auto two = [&](char* p, int v) { p[0] = static_cast<char>('0' + v / 10); p[1] = static_cast<char>('0' + v % 10); };
  std::memcpy(buf, days[wd].data(), 3);
  buf[3] = ',';
  buf[4] = ' ';
  two(buf + 5, t.day);
  buf[7] = ' ';
  std::memcpy(buf + 8, months[t.month - 1].data(), 3);
  buf[11] = ' ';
  two(buf + 12, t.year / 100);
  two(buf + 14, t.year % 100);
  buf[16] = ' ';
  two(buf + 17, t.hour);
  buf[19] = ':';
  two(buf + 20, t.minute);
  buf[22] = ':';
  two(buf + 23, t.second);
  buf[25] = ' ';
  const int off = t.utc_offset_minutes < 0 ? -t.utc_offset_minutes : t.utc_offset_minutes;
  buf[26] = t.utc_offset_minutes < 0 ? '-' : '+';
  two(buf + 27, off / 60);
  two(buf + 29, off % 60);
  if (out.size() < 31) return make_error_code(Errc::buffer_too_small);
  std::memcpy(out.data(), buf, 31);
  return std::size_t{31};
}

DateTime utc_from_unix(std::int64_t unix_seconds) noexcept {
  std::int64_t days = unix_seconds / 86400;
  std::int64_t secs = unix_seconds % 86400;
  if (secs < 0) { secs += 86400; --days; }
  // Howard Hinnant's civil_from_days.
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  DateTime t;
  t.year = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2));
  t.month = static_cast<int>(m);
  t.day = static_cast<int>(d);
  t.hour = static_cast<int>(secs / 3600);
  t.minute = static_cast<int>(secs / 60 % 60);
  t.second = static_cast<int>(secs % 60);
  return t;
}

Result<std::size_t> format_message_id(std::string_view left, std::string_view right, std::span<char> out) noexcept {
  if (!dot_atom(left) || !dot_atom(right)) return make_error_code(Errc::bad_header_value);
  Sink s{out};
  s.put('<');
  s.put(left);
  s.put('@');
  s.put(right);
  s.put('>');
  if (s.overflow) return make_error_code(Errc::buffer_too_small);
  return s.n;
}

namespace {

void text_part(Sink& s, std::string_view subtype, std::string_view text) noexcept {
  s.put("Content-Type: text/");
  s.put(subtype);
  s.put("; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
  s.advance(qp_encode(text, s.rest()));
}

void boundary(Sink& s, std::string_view seed, char level) noexcept {
  s.put("=_zp_");
  s.put(seed);
  s.put('_');
  s.put(level);
}

void filename_param(Sink& s, std::string_view name) noexcept {
  bool plain = true;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 32 || u > 126 || c == '"' || c == '\\' || c == '%' || c == '\'') plain = false;
  }
  if (plain) {
    s.put("; filename=\"");
    s.put(name);
    s.put('"');
    return;
  }
  // RFC 2231 4: charset'language'percent-encoded.
  s.put("; filename*=utf-8''");
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || c == '.' || c == '-' || c == '_') {
      s.put(c);
    } else {
      const char enc[3] = {'%', hex_digits[u >> 4], hex_digits[u & 15]};
      s.put(std::string_view(enc, 3));
    }
  }
}

}  // namespace

Result<std::size_t> build_message(const Message& m, std::span<char> out) noexcept {
  for (std::string_view f : {m.from, m.to, m.cc, m.message_id, m.boundary_seed})
    if (!clean(f)) return make_error_code(Errc::bad_header_value);
  for (char c : m.boundary_seed)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-'))
      return make_error_code(Errc::bad_header_value);
  if (m.boundary_seed.empty() || m.boundary_seed.size() > 60) return make_error_code(Errc::bad_header_value);
  for (const Attachment& a : m.attachments)
    if (!clean(a.filename) || !clean(a.content_type) || a.content_type.find(';') != std::string_view::npos)
      return make_error_code(Errc::bad_header_value);
  Sink s{out};
  s.put("Date: ");
  auto d = format_date(m.date, s.rest());
  if (!d && d.error() == make_error_code(Errc::bad_header_value)) return d.error();
  s.advance(d);
  s.put("\r\nFrom: ");
  s.put(m.from);
  s.put("\r\nTo: ");
  s.put(m.to);
  if (!m.cc.empty()) {
    s.put("\r\nCc: ");
    s.put(m.cc);
  }
  s.put("\r\nSubject: ");
  auto subj = encode_header_text(m.subject, s.rest());
  if (!subj && subj.error() == make_error_code(Errc::bad_header_value)) return subj.error();
  s.advance(subj);
  if (!m.message_id.empty()) {
    s.put("\r\nMessage-ID: ");
    s.put(m.message_id);
  }
  s.put("\r\nMIME-Version: 1.0\r\n");
  const bool mixed = !m.attachments.empty();
  const bool alternative = !m.html.empty();
  if (mixed) {
    s.put("Content-Type: multipart/mixed; boundary=\"");
    boundary(s, m.boundary_seed, 'm');
    s.put("\"\r\n\r\nThis is a multi-part message in MIME format.\r\n--");
    boundary(s, m.boundary_seed, 'm');
    s.put("\r\n");
  }
  if (alternative) {
    s.put("Content-Type: multipart/alternative; boundary=\"");
    boundary(s, m.boundary_seed, 'a');
    s.put("\"\r\n\r\n--");
    boundary(s, m.boundary_seed, 'a');
    s.put("\r\n");
    text_part(s, "plain", m.text);
    s.put("\r\n--");
    boundary(s, m.boundary_seed, 'a');
    s.put("\r\n");
    text_part(s, "html", m.html);
    s.put("\r\n--");
    boundary(s, m.boundary_seed, 'a');
    s.put("--\r\n");
  } else {
    text_part(s, "plain", m.text);
  }
  if (mixed) {
    for (const Attachment& a : m.attachments) {
      s.put("\r\n--");
      boundary(s, m.boundary_seed, 'm');
      s.put("\r\nContent-Type: ");
      s.put(a.content_type.empty() ? std::string_view("application/octet-stream") : a.content_type);
      s.put("\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment");
      if (!a.filename.empty()) filename_param(s, a.filename);
      s.put("\r\n\r\n");
      s.advance(base64_encode_lines(a.data, s.rest()));
      // The last base64 line's CRLF belongs to the next delimiter.
      if (!s.overflow && !a.data.empty()) s.n -= 2;
    }
    s.put("\r\n--");
    boundary(s, m.boundary_seed, 'm');
    s.put("--\r\n");
  }
  if (s.overflow) return make_error_code(Errc::buffer_too_small);
  return s.n;
}

}  // namespace zp::codec::mime
