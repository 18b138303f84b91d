// Request and response head parsers. Both re-parse from the start on every call (no state),
// and bound every scan by the relevant limit so a prefix of the input fails exactly where
// the whole input would: an error or a limit is reported as soon as the bytes that prove it
// have arrived.
#include "zp/codec/http1/parser.h"

#include <limits>

#include "chars.h"

namespace zp::codec::http1 {
namespace {

using detail::is;
using detail::iequals_lower;
using detail::kHost;
using detail::kOws;
using detail::kTarget;
using detail::kToken;
using detail::kValue;
using detail::trim_ows;

constexpr ParseResult err(Errc e) noexcept { return {Status::error, 0, e}; }
constexpr ParseResult more() noexcept { return {Status::need_more, 0, Errc::ok}; }
constexpr ParseResult done(std::size_t n) noexcept { return {Status::complete, n, Errc::ok}; }

// What the fields say about framing and the connection, gathered while parsing them.
struct FieldInfo {
  bool request = true;
  int version_minor = 1;
  std::uint64_t content_length = 0;
  bool has_cl = false;
  bool te = false;
  bool te_chunked_seen = false;
  bool te_last_chunked = false;
  bool te_other = false;
  bool conn_close = false;
  bool conn_keep_alive = false;
  bool conn_upgrade = false;
  bool has_upgrade = false;
  bool expect_continue = false;
  bool expect_other = false;
  int host_count = 0;
  std::string_view host;
  std::string_view upgrade;
};

template <class F>
void for_each_element(std::string_view list, F&& f) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view elem = trim_ows(list.substr(0, comma));
    if (!elem.empty()) f(elem);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

Errc on_content_length(std::string_view v, FieldInfo& fi) noexcept {
  if (v.empty()) return Errc::bad_content_length;
  std::uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return Errc::bad_content_length;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (n > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return Errc::bad_content_length;
    n = n * 10 + d;
  }
  // Identical duplicate lines are merged (RFC 9110 §8.6 allows it); different ones are not.
  if (fi.has_cl && fi.content_length != n) return Errc::conflicting_content_length;
  fi.has_cl = true;
  fi.content_length = n;
  return Errc::ok;
}

Errc on_transfer_encoding(std::string_view v, FieldInfo& fi) noexcept {
  fi.te = true;
  Errc e = Errc::ok;
  for_each_element(v, [&](std::string_view elem) {
    if (e != Errc::ok) return;
    const std::size_t semi = elem.find(';');
    const std::string_view coding = trim_ows(elem.substr(0, semi));
    if (coding.empty()) {
      e = Errc::bad_transfer_encoding;
      return;
    }
    for (char c : coding)
      if (!is(c, kToken)) {
        e = Errc::bad_transfer_encoding;
        return;
      }
    if (iequals_lower(coding, "chunked")) {
      if (semi != std::string_view::npos) {  // chunked takes no parameters
        e = Errc::bad_transfer_encoding;
        return;
      }
      if (fi.te_chunked_seen) {
        e = Errc::chunked_twice;
        return;
      }
      fi.te_chunked_seen = true;
      fi.te_last_chunked = true;
    } else {
      fi.te_last_chunked = false;
      fi.te_other = true;
    }
  });
  return e;
}

Errc on_field(std::string_view name, std::string_view value, FieldInfo& fi) noexcept {
  switch (name.size()) {
    case 4:
      if (fi.request && iequals_lower(name, "host")) {
        if (++fi.host_count > 1) return Errc::duplicate_host;
        for (char c : value)
          if (!is(c, kHost)) return Errc::bad_host;
        fi.host = value;
      }
      break;
    case 6:
      if (fi.request && iequals_lower(name, "expect")) {
        if (iequals_lower(value, "100-continue")) fi.expect_continue = true;
        else fi.expect_other = true;
      }
      break;
    case 7:
      if (iequals_lower(name, "upgrade")) {
        fi.has_upgrade = true;
        fi.upgrade = value;
      }
      break;
    case 10:
      if (iequals_lower(name, "connection")) {
        for_each_element(value, [&](std::string_view t) {
          if (iequals_lower(t, "close")) fi.conn_close = true;
          else if (iequals_lower(t, "keep-alive")) fi.conn_keep_alive = true;
          else if (iequals_lower(t, "upgrade")) fi.conn_upgrade = true;
        });
      }
      break;
    case 14:
      if (iequals_lower(name, "content-length")) return on_content_length(value, fi);
      break;
    case 17:
      if (iequals_lower(name, "transfer-encoding")) return on_transfer_encoding(value, fi);
      break;
    default:
      break;
  }
  return Errc::ok;
}

// Skips the bytes of a field value: the run of kValue bytes from p, bounded by lim.
inline const char* scan_value(const char* p, const char* lim) noexcept {
  while (lim - p >= 8) {
    if (!is(p[0], kValue)) return p;
    if (!is(p[1], kValue)) return p + 1;
    if (!is(p[2], kValue)) return p + 2;
    if (!is(p[3], kValue)) return p + 3;
    if (!is(p[4], kValue)) return p + 4;
    if (!is(p[5], kValue)) return p + 5;
    if (!is(p[6], kValue)) return p + 6;
    if (!is(p[7], kValue)) return p + 7;
    p += 8;
  }
  while (p < lim && is(*p, kValue)) ++p;
  return p;
}

inline const char* scan_token(const char* p, const char* lim) noexcept {
  while (p < lim && is(*p, kToken)) ++p;
  return p;
}

// Parses the header section starting at p (just after the start line) up to and including
// its empty line. complete: p is moved past it, `count` fields are stored.
ParseResult parse_fields(const char*& pp, const char* end, std::span<Header> storage,
                         std::size_t& count, const Limits& limits, FieldInfo& fi) noexcept {
  const char* p = pp;
  const char* const lim =
      static_cast<std::size_t>(end - p) > limits.max_header_bytes ? p + limits.max_header_bytes : end;
  const auto stop = [&]() noexcept { return lim == end ? more() : err(Errc::headers_too_large); };
  const std::size_t cap = storage.size() < limits.max_header_count ? storage.size() : limits.max_header_count;
  count = 0;
  for (;;) {
    if (p >= lim) return stop();
    char c = *p;
    if (c == '\r') {
      if (p + 1 >= lim) return stop();
      if (p[1] != '\n') return err(Errc::bare_cr);
      pp = p + 2;
      return done(0);
    }
    if (c == '\n') {
      if (!limits.allow_bare_lf) return err(Errc::bare_lf);
      pp = p + 1;
      return done(0);
    }
    if (c == ' ' || c == '\t') return err(count == 0 ? Errc::space_after_start_line : Errc::obs_fold);
    if (count == cap) return err(Errc::too_many_headers);

    const char* const name = p;
    p = scan_token(p, lim);
    if (p >= lim) return stop();
    c = *p;
    if (c != ':' || p == name) {
      if (p != name && (c == ' ' || c == '\t')) return err(Errc::space_before_colon);
      if (c == '\0') return err(Errc::nul);
      return err(Errc::bad_header_name);
    }
    const std::string_view name_view(name, static_cast<std::size_t>(p - name));
    ++p;
    while (p < lim && is(*p, kOws)) ++p;
    const char* const value = p;
    p = scan_value(p, lim);
    if (p >= lim) return stop();
    const char* vend = p;
    c = *p;
    if (c == '\r') {
      if (p + 1 >= lim) return stop();
      if (p[1] != '\n') return err(Errc::bare_cr);
      p += 2;
    } else if (c == '\n') {
      if (!limits.allow_bare_lf) return err(Errc::bare_lf);
      p += 1;
    } else {
      return err(c == '\0' ? Errc::nul : Errc::bad_header_value);
    }
    while (vend > value && (vend[-1] == ' ' || vend[-1] == '\t')) --vend;
    const std::string_view value_view(value, static_cast<std::size_t>(vend - value));
    storage[count++] = Header{name_view, value_view};
    if (const Errc e = on_field(name_view, value_view, fi); e != Errc::ok) return err(e);
  }
}

// Consumes a line terminator at p: CRLF (or LF when allowed). `lim` bounds the line's
// content: any other byte at or past it means the line is too long.
enum class Eol { ok, more, error };
inline Eol line_end(const char*& p, const char* end, const Limits& limits, Errc& e) noexcept {
  if (p == end) return Eol::more;
  if (*p == '\r') {
    if (p + 1 == end) return Eol::more;
    if (p[1] != '\n') {
      e = Errc::bare_cr;
      return Eol::error;
    }
    p += 2;
    return Eol::ok;
  }
  if (*p == '\n') {
    if (!limits.allow_bare_lf) {
      e = Errc::bare_lf;
      return Eol::error;
    }
    p += 1;
    return Eol::ok;
  }
  return Eol::error;  // e left for the caller to choose
}

Method method_of(std::string_view m) noexcept {
  switch (m.size()) {
    case 3:
      if (m == "GET") return Method::get;
      if (m == "PUT") return Method::put;
      break;
    case 4:
      if (m == "HEAD") return Method::head;
      if (m == "POST") return Method::post;
      break;
    case 5:
      if (m == "PATCH") return Method::patch;
      if (m == "TRACE") return Method::trace;
      break;
    case 6:
      if (m == "DELETE") return Method::delete_;
      break;
    case 7:
      if (m == "CONNECT") return Method::connect;
      if (m == "OPTIONS") return Method::options;
      break;
    default:
      break;
  }
  return Method::other;
}

// authority-form (RFC 9112 §3.2.3): uri-host ":" port, port non-empty digits.
bool is_authority_form(std::string_view t) noexcept {
  const std::size_t colon = t.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == t.size()) return false;
  for (std::size_t i = 0; i < colon; ++i)
    if (!is(t[i], kHost)) return false;
  for (std::size_t i = colon + 1; i < t.size(); ++i)
    if (t[i] < '0' || t[i] > '9') return false;
  return true;
}

// absolute-form: scheme ":" ... with scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
bool is_absolute_form(std::string_view t) noexcept {
  if (t.empty() || !((t[0] | 0x20) >= 'a' && (t[0] | 0x20) <= 'z')) return false;
  for (std::size_t i = 1; i < t.size(); ++i) {
    const char c = t[i];
    if (c == ':') return true;
    const bool ok = ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return false;
}

// The version bytes "HTTP/d.d" at p; `lim` bounds the line. Sets major/minor on ok.
ParseResult parse_version(const char*& p, const char* end, const char* lim, int& major, int& minor,
                          Errc bad, Errc too_long) noexcept {
  static constexpr char kPrefix[] = "HTTP/";
  for (int i = 0; i < 8; ++i) {
    if (p + i >= lim) return lim == end ? more() : err(too_long);
    const char c = p[i];
    bool ok;
    if (i < 5) ok = c == kPrefix[i];
    else if (i == 6) ok = c == '.';
    else ok = c >= '0' && c <= '9';
    if (!ok) return err(c == '\0' ? Errc::nul : bad);
  }
  major = p[5] - '0';
  minor = p[7] - '0';
  p += 8;
  return done(0);
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x | 0x20);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y | 0x20);
    if (x != y) return false;
  }
  return true;
}

const Header* find_header(std::span<const Header> headers, std::string_view name) noexcept {
  for (const Header& h : headers)
    if (iequals(h.name, name)) return &h;
  return nullptr;
}

ParseResult parse_request(std::span<const char> in, Request& out, std::span<Header> headers,
                          const Limits& limits) noexcept {
  const char* const begin = in.data();
  const char* const end = begin + in.size();
  const char* p = begin;

  // RFC 9112 §2.2: ignore empty lines before the request line (bounded by the line limit).
  for (;;) {
    if (p == end) return more();
    if (*p == '\r') {
      if (p + 1 == end) return more();
      if (p[1] != '\n') return err(Errc::bare_cr);
      p += 2;
    } else if (*p == '\n') {
      if (!limits.allow_bare_lf) return err(Errc::bare_lf);
      p += 1;
    } else {
      break;
    }
    if (static_cast<std::size_t>(p - begin) > limits.max_request_line_bytes)
      return err(Errc::request_line_too_long);
  }

  // request-line = method SP request-target SP HTTP-version CRLF
  const char* const line = p;
  const char* const lim = static_cast<std::size_t>(end - line) > limits.max_request_line_bytes
                              ? line + limits.max_request_line_bytes
                              : end;
  const auto stop = [&]() noexcept { return lim == end ? more() : err(Errc::request_line_too_long); };

  p = scan_token(p, lim);
  if (p >= lim) return stop();
  if (*p != ' ' || p == line) {
    if (*p == '\0') return err(Errc::nul);
    if (*p == '\r' || *p == '\n') return err(Errc::bad_request_line);
    return err(Errc::bad_method);
  }
  out.method = std::string_view(line, static_cast<std::size_t>(p - line));
  ++p;
  const char* const target = p;
  while (p < lim && is(*p, kTarget)) ++p;
  if (p >= lim) return stop();
  if (*p != ' ' || p == target) {
    if (*p == '\0') return err(Errc::nul);
    if (*p == ' ' || *p == '\r' || *p == '\n') return err(Errc::bad_request_line);
    return err(Errc::bad_target);
  }
  out.target = std::string_view(target, static_cast<std::size_t>(p - target));
  ++p;
  int major = 0, minor = 0;
  if (auto r = parse_version(p, end, lim, major, minor, Errc::bad_version, Errc::request_line_too_long);
      r.status != Status::complete)
    return r;
  {
    Errc e = Errc::bad_version;
    switch (line_end(p, end, limits, e)) {
      case Eol::ok: break;
      case Eol::more: return more();
      case Eol::error:
        if (e == Errc::bad_version && p >= lim) e = Errc::request_line_too_long;
        else if (e == Errc::bad_version && *p == '\0') e = Errc::nul;
        return err(e);
    }
  }
  if (major != 1 || minor > 1) return err(Errc::unsupported_version);
  out.version_minor = minor;

  out.method_id = method_of(out.method);
  const std::string_view t = out.target;
  if (out.method_id == Method::connect) {
    if (!is_authority_form(t)) return err(Errc::bad_target);
    out.target_form = TargetForm::authority;
  } else if (t[0] == '/') {
    out.target_form = TargetForm::origin;
  } else if (t == "*") {
    if (out.method_id != Method::options) return err(Errc::bad_target);
    out.target_form = TargetForm::asterisk;
  } else if (is_absolute_form(t)) {
    out.target_form = TargetForm::absolute;
  } else {
    return err(Errc::bad_target);
  }

  FieldInfo fi;
  fi.request = true;
  fi.version_minor = minor;
  std::size_t count = 0;
  if (auto r = parse_fields(p, end, headers, count, limits, fi); r.status != Status::complete) return r;
  out.headers = headers.first(count);

  if (minor == 1 && fi.host_count == 0) return err(Errc::missing_host);
  out.host = fi.host;
  out.content_length.reset();
  out.chunked = false;
  if (fi.te) {
    // RFC 9112 §6.1: TE in HTTP/1.0 is faulty framing; §6.3: TE with CL "ought to be handled
    // as an error", TE without a final chunked MUST be 400; other codings we do not implement.
    if (minor == 0) return err(Errc::transfer_encoding_in_http10);
    if (fi.has_cl) return err(Errc::content_length_and_transfer_encoding);
    if (!fi.te_last_chunked) return err(Errc::chunked_not_final);
    if (fi.te_other) return err(Errc::unsupported_transfer_coding);
    out.chunked = true;
  } else if (fi.has_cl) {
    if (fi.content_length > limits.max_body_bytes) return err(Errc::body_too_large);
    out.content_length = fi.content_length;
  }
  // RFC 9110 §10.1.1: Expect is ignored in HTTP/1.0.
  out.expect_continue = minor == 1 && fi.expect_continue;
  if (minor == 1 && fi.expect_other) return err(Errc::unsupported_expectation);
  out.keep_alive = minor == 1 ? !fi.conn_close : (fi.conn_keep_alive && !fi.conn_close);
  out.upgrade = minor == 1 && fi.has_upgrade && fi.conn_upgrade;
  out.upgrade_protocols = out.upgrade ? fi.upgrade : std::string_view();
  return done(static_cast<std::size_t>(p - begin));
}

ParseResult parse_response(std::span<const char> in, Response& out, std::span<Header> headers,
                           const Limits& limits) noexcept {
  const char* const begin = in.data();
  const char* const end = begin + in.size();
  const char* p = begin;
  const char* const lim = static_cast<std::size_t>(end - p) > limits.max_request_line_bytes
                              ? p + limits.max_request_line_bytes
                              : end;
  const auto stop = [&]() noexcept { return lim == end ? more() : err(Errc::request_line_too_long); };

  // status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF
  int major = 0, minor = 0;
  if (auto r = parse_version(p, end, lim, major, minor, Errc::bad_status_line, Errc::request_line_too_long);
      r.status != Status::complete)
    return r;
  int status = 0;
  for (int i = 0; i < 4; ++i) {
    if (p >= lim) return stop();
    const char c = *p;
    if (i == 0 ? c != ' ' : (c < '0' || c > '9' || (i == 1 && c == '0')))
      return err(c == '\0' ? Errc::nul : Errc::bad_status_line);
    if (i > 0) status = status * 10 + (c - '0');
    ++p;
  }
  const char* reason = p;
  if (p < lim && *p == ' ') {
    ++p;
    reason = p;
    p = scan_value(p, lim);
  }
  const char* const reason_end = p;
  {
    Errc e = Errc::bad_status_line;
    switch (line_end(p, end, limits, e)) {
      case Eol::ok: break;
      case Eol::more: return more();
      case Eol::error:
        if (e == Errc::bad_status_line && p >= lim) e = Errc::request_line_too_long;
        else if (e == Errc::bad_status_line && *p == '\0') e = Errc::nul;
        return err(e);
    }
  }
  if (major != 1 || minor > 1) return err(Errc::unsupported_version);
  out.version_minor = minor;
  out.status = status;
  out.reason = std::string_view(reason, static_cast<std::size_t>(reason_end - reason));

  FieldInfo fi;
  fi.request = false;
  fi.version_minor = minor;
  std::size_t count = 0;
  if (auto r = parse_fields(p, end, headers, count, limits, fi); r.status != Status::complete) return r;
  out.headers = headers.first(count);

  out.no_body = status < 200 || status == 204 || status == 304;
  out.content_length.reset();
  out.chunked = false;
  out.until_close = false;
  out.keep_alive = minor == 1 ? !fi.conn_close : (fi.conn_keep_alive && !fi.conn_close);
  out.upgrade = status == 101 && fi.has_upgrade && fi.conn_upgrade;
  if (!out.no_body) {
    if (fi.te && fi.has_cl) return err(Errc::content_length_and_transfer_encoding);
    if (fi.te) {
      // RFC 9112 §6.3: chunked last → chunked; otherwise (or in HTTP/1.0) read until close.
      if (minor == 1 && fi.te_last_chunked) {
        out.chunked = true;
      } else {
        out.until_close = true;
      }
    } else if (fi.has_cl) {
      if (fi.content_length > limits.max_body_bytes) return err(Errc::body_too_large);
      out.content_length = fi.content_length;
    } else {
      out.until_close = true;
    }
    if (out.until_close) out.keep_alive = false;
  }
  return done(static_cast<std::size_t>(p - begin));
}

}  // namespace zp::codec::http1
