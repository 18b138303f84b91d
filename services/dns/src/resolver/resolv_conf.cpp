// resolv.conf parsing (glibc res_init semantics, bounded) and the file loader.
#include <arpa/inet.h>
#include <net/if.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "zp/dns/resolv_conf.h"
#include "zp/dns/resolver_errc.h"

namespace zp::dns {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    std::size_t j = i;
    while (j < line.size() && !is_space(line[j])) ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

std::optional<unsigned> parse_uint(std::string_view s) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// "192.0.2.1", "2001:db8::1", "fe80::1%eth0", "[2001:db8::1]:5353", "192.0.2.1:5353".
std::optional<SocketAddr> parse_server(std::string_view s) {
  std::uint16_t port = 53;
  std::string_view host = s;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = s.substr(1, close - 1);
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      auto p = parse_uint(rest.substr(1));
      if (!p || *p == 0 || *p > 65535) return std::nullopt;
      port = static_cast<std::uint16_t>(*p);
    }
  } else if (std::count(s.begin(), s.end(), ':') == 1) {  // v4:port
    auto colon = s.find(':');
    auto p = parse_uint(s.substr(colon + 1));
    if (!p || *p == 0 || *p > 65535) return std::nullopt;
    port = static_cast<std::uint16_t>(*p);
    host = s.substr(0, colon);
  }
  std::string_view zone;
  if (auto pct = host.find('%'); pct != std::string_view::npos) {
    zone = host.substr(pct + 1);
    host = host.substr(0, pct);
  }
  if (host.size() > 45 || zone.size() >= IF_NAMESIZE) return std::nullopt;
  char buf[46];
  std::memcpy(buf, host.data(), host.size());
  buf[host.size()] = 0;
  sockaddr_in in{};
  sockaddr_in6 in6{};
  if (zone.empty() && inet_pton(AF_INET, buf, &in.sin_addr) == 1) {
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    return SocketAddr::from(reinterpret_cast<const sockaddr*>(&in), sizeof in);
  }
  if (inet_pton(AF_INET6, buf, &in6.sin6_addr) == 1) {
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(port);
    if (!zone.empty()) {
      char zbuf[IF_NAMESIZE];
      std::memcpy(zbuf, zone.data(), zone.size());
      zbuf[zone.size()] = 0;
      unsigned idx = if_nametoindex(zbuf);
      if (idx == 0) {
        auto n = parse_uint(zone);
        if (!n) return std::nullopt;
        idx = *n;
      }
      in6.sin6_scope_id = idx;
    }
    return SocketAddr::from(reinterpret_cast<const sockaddr*>(&in6), sizeof in6);
  }
  return std::nullopt;
}

std::string strip_dot(std::string_view s) {
  if (s.size() > 1 && s.back() == '.') s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

ResolvConf parse_resolv_conf(std::string_view text, const ResolvConfLimits& limits) {
  ResolvConf c;
  std::size_t lineno = 0;
  while (!text.empty()) {
    auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    ++lineno;
    if (lineno > limits.max_lines) {
      c.warnings.push_back("line " + std::to_string(lineno) + ": more than " + std::to_string(limits.max_lines) +
                           " lines, the rest ignored");
      break;
    }
    const std::string where = "line " + std::to_string(lineno) + ": ";
    if (line.size() > limits.max_line_bytes) {
      c.warnings.push_back(where + "longer than " + std::to_string(limits.max_line_bytes) + " bytes, ignored");
      continue;
    }
    if (auto hash = line.find_first_of("#;"); hash != std::string_view::npos) line = line.substr(0, hash);
    auto words = split_words(line);
    if (words.empty()) continue;
    const std::string_view key = words[0];
    if (key == "nameserver") {
      if (words.size() < 2) {
        c.warnings.push_back(where + "nameserver without an address");
        continue;
      }
      if (c.servers.size() >= limits.max_servers) {
        c.warnings.push_back(where + "more than " + std::to_string(limits.max_servers) + " nameservers, ignored");
        continue;
      }
      auto a = parse_server(words[1]);
      if (!a) {
        c.warnings.push_back(where + "bad nameserver address '" + std::string(words[1]) + "'");
        continue;
      }
      c.servers.push_back(*a);
    } else if (key == "search" || key == "domain") {
      // The last search or domain line wins (glibc).
      c.search.clear();
      std::size_t bytes = 0;
      for (std::size_t i = 1; i < words.size(); ++i) {
        if (key == "domain" && i > 1) break;
        if (c.search.size() >= limits.max_search || bytes + words[i].size() > limits.max_search_bytes) {
          c.warnings.push_back(where + "search list over its bound, the rest ignored");
          break;
        }
        if (words[i] == ".") continue;  // the root adds nothing (systemd-resolved writes "search .")
        bytes += words[i].size();
        c.search.push_back(strip_dot(words[i]));
      }
    } else if (key == "options") {
      for (std::size_t i = 1; i < words.size(); ++i) {
        std::string_view o = words[i];
        auto colon = o.find(':');
        std::string_view name = o.substr(0, colon);
        std::optional<unsigned> v;
        if (colon != std::string_view::npos) v = parse_uint(o.substr(colon + 1));
        if (name == "ndots" && v) c.ndots = std::min(*v, 15u);
        else if (name == "timeout" && v) c.timeout_ms = std::clamp(*v, 1u, 30u) * 1000;
        else if (name == "attempts" && v) c.attempts = std::clamp(*v, 1u, 5u);
        else if (o == "rotate") c.rotate = true;
        else if (o == "edns0") c.edns0 = true;
        else c.warnings.push_back(where + "unknown option '" + std::string(o) + "' ignored");
      }
    } else {
      c.warnings.push_back(where + "unknown keyword '" + std::string(key) + "' ignored");
    }
  }
  if (c.servers.empty()) {
    // glibc's default when no nameserver is configured: the local host.
    c.servers.push_back(*parse_server("127.0.0.1"));
    c.servers.push_back(*parse_server("::1"));
  }
  return c;
}

Result<ResolvConf> load_resolv_conf(const std::string& path, const ResolvConfLimits& limits) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return parse_resolv_conf({}, limits);
  std::string text(limits.max_file_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return make_error_code(ResolverErrc::bad_config);
  if (static_cast<std::size_t>(in.gcount()) > limits.max_file_bytes) return make_error_code(ResolverErrc::bad_config);
  text.resize(static_cast<std::size_t>(in.gcount()));
  return parse_resolv_conf(text, limits);
}

}  // namespace zp::dns
