// RFC 3986 parser, recomposition and reference resolution (see url.h).
#include "zp/codec/url/url.h"

#include <cstring>

#include "chars.h"

namespace zp::codec::url {
namespace {

using detail::Check;
using detail::check_component;
using detail::has_class;
using detail::hex_value;
using detail::lower;

bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
bool valid_scheme(std::string_view s) noexcept {
  if (s.empty() || !is_alpha(s[0])) return false;
  for (char c : s)
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return false;
  return true;
}

Errc component_error(Check c, Errc bad_char) noexcept {
  return c == Check::bad_percent ? Errc::bad_percent : bad_char;
}

// The last label of a reg-name (one trailing dot ignored), %-decoded, is all digits or
// "0x" followed by hex digits: inet_aton-style resolvers read the name as an address.
bool numeric_last_label(std::string_view host) noexcept {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  const std::size_t dot = host.rfind('.');
  const std::string_view label = dot == std::string_view::npos ? host : host.substr(dot + 1);
  if (label.empty()) return false;
  bool digits = true, hex = true;
  std::size_t k = 0;  // index of the decoded character
  for (std::size_t i = 0; i < label.size(); ++i, ++k) {
    char c = label[i];
    if (c == '%' && label.size() - i >= 3) {  // validated before: both are hex digits
      c = static_cast<char>(hex_value(label[i + 1]) * 16 + hex_value(label[i + 2]));
      i += 2;
    }
    digits = digits && is_digit(c);
    if (k == 0) hex = c == '0';
    else if (k == 1) hex = hex && (c == 'x' || c == 'X');
    else hex = hex && hex_value(c) >= 0;
  }
  return digits || (hex && k >= 2);
}

// IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
bool valid_ipvfuture(std::string_view s) noexcept {
  if (s.size() < 4 || (s[0] != 'v' && s[0] != 'V')) return false;
  std::size_t i = 1;
  while (i < s.size() && hex_value(s[i]) >= 0) ++i;
  if (i == 1 || i >= s.size() || s[i] != '.') return false;
  ++i;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i)
    if (!has_class(s[i], detail::k_unreserved | detail::k_sub_delim | detail::k_colon)) return false;
  return true;
}

Errc parse_port(std::string_view p, Url& u) noexcept {
  std::uint32_t v = 0;
  for (char c : p) {
    if (!is_digit(c)) return Errc::bad_port;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
    if (v > 65535) return Errc::bad_port;
  }
  u.port = p;
  u.port_number = p.empty() ? 0 : static_cast<std::uint16_t>(v);
  u.has_port = true;
  return Errc::ok;
}

Errc parse_authority(std::string_view a, Url& u, const Limits& lim) noexcept {
  u.has_authority = true;
  const std::size_t at = a.rfind('@');
  if (at != std::string_view::npos) {
    u.userinfo = a.substr(0, at);
    u.has_userinfo = true;
    const Check c = check_component(u.userinfo,
                                    detail::k_unreserved | detail::k_sub_delim | detail::k_colon);
    if (c != Check::ok) return component_error(c, Errc::bad_userinfo);
    a = a.substr(at + 1);
  }
  if (!a.empty() && a[0] == '[') {
    const std::size_t close = a.find(']');
    if (close == std::string_view::npos) return Errc::bad_host;
    const std::string_view lit = a.substr(1, close - 1);
    const std::string_view after = a.substr(close + 1);
    if (lit.size() > lim.max_host_bytes) return Errc::host_too_long;
    if (!after.empty()) {
      if (after[0] != ':') return Errc::bad_host;
      if (const Errc e = parse_port(after.substr(1), u); e != Errc::ok) return e;
    }
    u.host = lit;
    if (!lit.empty() && (lit[0] == 'v' || lit[0] == 'V')) {
      if (!valid_ipvfuture(lit)) return Errc::bad_ipv6;
      u.host_kind = HostKind::ipvfuture;
      return Errc::ok;
    }
    const std::size_t pct = lit.find('%');
    if (!parse_ipv6(lit.substr(0, pct))) return Errc::bad_ipv6;
    if (pct != std::string_view::npos) {
      // RFC 6874: IPv6addrz = IPv6address "%25" ZoneID, ZoneID = 1*( unreserved / pct-encoded )
      const std::string_view zone = lit.substr(pct);
      if (zone.size() < 4 || zone.substr(0, 3) != "%25") return Errc::bad_ipv6;
      if (check_component(zone.substr(3), detail::k_unreserved) != Check::ok) return Errc::bad_ipv6;
      if (!lim.allow_zone_id) return Errc::zone_id;
    }
    u.host_kind = HostKind::ipv6;
    return Errc::ok;
  }
  const std::size_t colon = a.find(':');
  const std::string_view host = a.substr(0, colon);
  if (host.size() > lim.max_host_bytes) return Errc::host_too_long;
  const Check c = check_component(host, detail::k_unreserved | detail::k_sub_delim);
  if (c != Check::ok) return component_error(c, Errc::bad_host);
  u.host = host;
  if (colon != std::string_view::npos) {
    if (const Errc e = parse_port(a.substr(colon + 1), u); e != Errc::ok) return e;
  }
  if (parse_ipv4(host)) {
    u.host_kind = HostKind::ipv4;
  } else {
    u.host_kind = HostKind::reg_name;
    if (!lim.allow_numeric_reg_name && numeric_last_label(host)) return Errc::ambiguous_ipv4;
  }
  return Errc::ok;
}

// Output cursor: counts every byte, writes those that fit.
struct Out {
  std::span<char> buf;
  std::size_t n = 0;
  void put(std::string_view s) noexcept {
    if (n <= buf.size() && buf.size() - n >= s.size() && !s.empty())
      std::memcpy(buf.data() + n, s.data(), s.size());
    n += s.size();
  }
  bool overflow() const noexcept { return n > buf.size(); }
};

void put_authority(const Url& u, Out& o, bool with_userinfo) noexcept {
  o.put("//");
  if (with_userinfo && u.has_userinfo) {
    o.put(u.userinfo);
    o.put("@");
  }
  const bool literal = u.host_kind == HostKind::ipv6 || u.host_kind == HostKind::ipvfuture;
  if (literal) o.put("[");
  o.put(u.host);
  if (literal) o.put("]");
  if (u.has_port) {
    o.put(":");
    o.put(u.port);
  }
}

void compose(const Url& u, Out& o, bool with_userinfo, bool with_query, bool with_fragment) noexcept {
  if (!u.scheme.empty()) {
    o.put(u.scheme);
    o.put(":");
  }
  if (u.has_authority) put_authority(u, o, with_userinfo);
  o.put(u.path);
  if (with_query && u.has_query) {
    o.put("?");
    o.put(u.query);
  }
  if (with_fragment && u.has_fragment) {
    o.put("#");
    o.put(u.fragment);
  }
}

}  // namespace

int http_status(Errc e) noexcept {
  switch (e) {
    case Errc::ok: return 200;
    case Errc::too_long: return 414;
    case Errc::buffer_too_small: return 500;
    default: return 400;
  }
}

std::uint16_t default_port(std::string_view scheme) noexcept {
  auto eq = [&](std::string_view name) {
    if (scheme.size() != name.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i)
      if (lower(scheme[i]) != name[i]) return false;
    return true;
  };
  if (eq("http") || eq("ws")) return 80;
  if (eq("https") || eq("wss")) return 443;
  if (eq("ftp")) return 21;
  return 0;
}

std::uint16_t Url::effective_port() const noexcept {
  return port.empty() ? default_port(scheme) : port_number;
}

bool parse_ipv4(std::string_view s, std::array<std::uint8_t, 4>* out) noexcept {
  std::array<std::uint8_t, 4> a{};
  std::size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
    if (i >= s.size() || !is_digit(s[i])) return false;
    if (s[i] == '0' && i + 1 < s.size() && is_digit(s[i + 1])) return false;  // leading zero
    unsigned v = 0;
    while (i < s.size() && is_digit(s[i])) {
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
      if (v > 255) return false;
      ++i;
    }
    a[static_cast<std::size_t>(part)] = static_cast<std::uint8_t>(v);
  }
  if (i != s.size()) return false;
  if (out) *out = a;
  return true;
}

bool parse_ipv6(std::string_view s, std::array<std::uint8_t, 16>* out) noexcept {
  std::array<std::uint16_t, 8> g{};
  std::size_t n = 0;     // groups parsed
  int gap = -1;          // index in g where "::" stands
  std::size_t i = 0;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    gap = 0;
    i = 2;
  }
  while (i < s.size()) {
    const std::size_t start = i;
    unsigned v = 0;
    while (i < s.size() && i - start < 4 && hex_value(s[i]) >= 0) {
      v = v * 16 + static_cast<unsigned>(hex_value(s[i]));
      ++i;
    }
    if (i == start) return false;
    if (i < s.size() && s[i] == '.') {  // trailing IPv4 (ls32)
      std::array<std::uint8_t, 4> v4{};
      if (n > 6 || !parse_ipv4(s.substr(start), &v4)) return false;
      g[n++] = static_cast<std::uint16_t>(v4[0] << 8 | v4[1]);
      g[n++] = static_cast<std::uint16_t>(v4[2] << 8 | v4[3]);
      i = s.size();
      break;
    }
    if (n == 8) return false;
    g[n++] = static_cast<std::uint16_t>(v);
    if (i == s.size()) break;
    if (s[i] != ':') return false;
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (gap >= 0) return false;
      gap = static_cast<int>(n);
      ++i;
    } else if (i == s.size()) {
      return false;  // a single trailing ':'
    }
  }
  if (gap < 0 ? n != 8 : n > 7) return false;
  if (out) {
    std::array<std::uint16_t, 8> full{};
    if (gap < 0) {
      full = g;
    } else {
      const std::size_t head = static_cast<std::size_t>(gap), tail = n - head;
      for (std::size_t k = 0; k < head; ++k) full[k] = g[k];
      for (std::size_t k = 0; k < tail; ++k) full[8 - tail + k] = g[head + k];
    }
    for (std::size_t k = 0; k < 8; ++k) {
      (*out)[2 * k] = static_cast<std::uint8_t>(full[k] >> 8);
      (*out)[2 * k + 1] = static_cast<std::uint8_t>(full[k] & 0xff);
    }
  }
  return true;
}

Result<Url> parse(std::string_view in, const Limits& lim) noexcept {
  if (in.size() > lim.max_url_bytes) return fail(Errc::too_long);
  for (char c : in) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b >= 0x7f) return fail(Errc::bad_char);
  }
  Url u;
  std::string_view rest = in;
  const std::size_t d = in.find_first_of(":/?#");
  if (d != std::string_view::npos && in[d] == ':') {
    // A ':' before any '/', '?', '#' ends a scheme; a relative reference may not have one
    // in its first segment (path-noscheme), so anything else here is an error.
    if (!valid_scheme(in.substr(0, d))) return fail(Errc::bad_scheme);
    u.scheme = in.substr(0, d);
    rest = in.substr(d + 1);
  }
  if (const std::size_t h = rest.find('#'); h != std::string_view::npos) {
    u.fragment = rest.substr(h + 1);
    u.has_fragment = true;
    rest = rest.substr(0, h);
    const Check c = check_component(u.fragment, detail::k_pchar | detail::k_slash | detail::k_question);
    if (c != Check::ok) return fail(component_error(c, Errc::bad_fragment));
  }
  if (const std::size_t q = rest.find('?'); q != std::string_view::npos) {
    u.query = rest.substr(q + 1);
    u.has_query = true;
    rest = rest.substr(0, q);
    const Check c = check_component(u.query, detail::k_pchar | detail::k_slash | detail::k_question);
    if (c != Check::ok) return fail(component_error(c, Errc::bad_query));
  }
  if (rest.size() >= 2 && rest[0] == '/' && rest[1] == '/') {
    const std::size_t slash = rest.find('/', 2);
    const std::string_view authority = rest.substr(2, slash == std::string_view::npos ? rest.npos : slash - 2);
    if (const Errc e = parse_authority(authority, u, lim); e != Errc::ok) return fail(e);
    rest = slash == std::string_view::npos ? rest.substr(rest.size()) : rest.substr(slash);
  }
  const Check c = check_component(rest, detail::k_pchar | detail::k_slash);
  if (c != Check::ok) return fail(component_error(c, Errc::bad_path));
  u.path = rest;
  return u;
}

std::size_t serialized_size(const Url& u) noexcept {
  Out o;
  compose(u, o, true, true, true);
  return o.n;
}

Result<std::size_t> serialize(const Url& u, std::span<char> out) noexcept {
  Out o{out};
  compose(u, o, true, true, true);
  if (o.overflow()) return fail(Errc::buffer_too_small);
  return o.n;
}

Result<std::size_t> redacted(const Url& u, std::span<char> out, RedactOptions options) noexcept {
  Out o{out};
  compose(u, o, false, !options.drop_query, false);
  if (o.overflow()) return fail(Errc::buffer_too_small);
  return o.n;
}

std::size_t remove_dot_segments(std::span<char> p) noexcept {
  const std::size_t n = p.size();
  std::size_t r = 0, w = 0;
  auto starts = [&](std::string_view pre) {
    return n - r >= pre.size() && std::string_view(p.data() + r, pre.size()) == pre;
  };
  auto rest_is = [&](std::string_view s) {
    return n - r == s.size() && std::string_view(p.data() + r, s.size()) == s;
  };
  auto pop = [&] {  // remove the last output segment and its preceding '/'
    while (w > 0 && p[w - 1] != '/') --w;
    if (w > 0) --w;
  };
  while (r < n) {
    if (starts("../")) {
      r += 3;  // A
    } else if (starts("./")) {
      r += 2;  // A
    } else if (starts("/./")) {
      r += 2;  // B
    } else if (rest_is("/.")) {
      p[r + 1] = '/';  // B: the input becomes "/" (w <= r, so no output byte is touched)
      r += 1;
    } else if (starts("/../")) {
      r += 3;  // C
      pop();
    } else if (rest_is("/..")) {
      p[r + 2] = '/';  // C
      r += 2;
      pop();
    } else if (rest_is(".") || rest_is("..")) {
      r = n;  // D
    } else {  // E: move the first segment (with its leading '/') to the output
      std::size_t e = r;
      if (p[e] == '/') ++e;
      while (e < n && p[e] != '/') ++e;
      if (w != r) std::memmove(p.data() + w, p.data() + r, e - r);
      w += e - r;
      r = e;
    }
  }
  return w;
}

Result<std::size_t> resolve(const Url& base, const Url& ref, std::span<char> out) noexcept {
  if (!base.is_absolute()) return fail(Errc::not_absolute);
  Out o{out};
  const Url* auth = nullptr;   // whose authority T takes (null: none)
  const Url* query = &ref;     // whose query T takes
  bool dots = true;            // run remove_dot_segments on the path
  bool merge = false;          // path = merge(base.path, ref.path)
  std::string_view path = ref.path;
  std::string_view scheme = base.scheme;
  if (ref.is_absolute()) {
    scheme = ref.scheme;
    auth = ref.has_authority ? &ref : nullptr;
  } else if (ref.has_authority) {
    auth = &ref;
  } else {
    auth = base.has_authority ? &base : nullptr;
    if (ref.path.empty()) {
      path = base.path;
      dots = false;
      if (!ref.has_query) query = &base;
    } else if (ref.path[0] != '/') {
      merge = true;
    }
  }
  o.put(scheme);
  o.put(":");
  if (auth) put_authority(*auth, o, true);
  const std::size_t path_at = o.n;
  if (merge) {  // §5.2.3
    if (base.has_authority && base.path.empty()) {
      o.put("/");
    } else {
      const std::size_t slash = base.path.rfind('/');
      if (slash != std::string_view::npos) o.put(base.path.substr(0, slash + 1));
    }
  }
  o.put(path);
  if (o.overflow()) return fail(Errc::buffer_too_small);
  if (dots) o.n = path_at + remove_dot_segments(out.subspan(path_at, o.n - path_at));
  if (!auth && o.n - path_at >= 2 && out[path_at] == '/' && out[path_at + 1] == '/') {
    // "scheme://x" would read x as an authority: keep the path a path ("/.//x").
    if (out.size() - o.n < 2) return fail(Errc::buffer_too_small);
    std::memmove(out.data() + path_at + 2, out.data() + path_at, o.n - path_at);
    out[path_at] = '/';
    out[path_at + 1] = '.';
    o.n += 2;
  }
  if (query->has_query) {
    o.put("?");
    o.put(query->query);
  }
  if (ref.has_fragment) {
    o.put("#");
    o.put(ref.fragment);
  }
  if (o.overflow()) return fail(Errc::buffer_too_small);
  return o.n;
}

}  // namespace zp::codec::url
