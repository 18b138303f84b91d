// Lookup errors as clients report them, and the RFC 8305 attempt order of addresses.
#include "zp/dns/connect_order.h"

#include <sys/socket.h>

#include "zp/dns/resolver_errc.h"

namespace zp::dns {

bool is_no_such_host(const Error& e) noexcept {
  return e == ResolverErrc::nxdomain || e == ResolverErrc::nodata || e == ResolverErrc::bad_name ||
         e == ResolverErrc::bad_reply_name;
}

std::vector<SocketAddr> interleave_families(std::vector<SocketAddr> addrs) {
  std::vector<SocketAddr> v6, v4, out;
  out.reserve(addrs.size());
  for (auto& a : addrs) (a.family() == AF_INET6 ? v6 : v4).push_back(a);
  for (std::size_t i = 0; i < v6.size() || i < v4.size(); ++i) {
    if (i < v6.size()) out.push_back(v6[i]);
    if (i < v4.size()) out.push_back(v4[i]);
  }
  return out;
}

std::optional<HostPort> split_host_port(std::string_view s) {
  std::string_view host;
  std::string_view port;
  if (s.starts_with('[')) {
    const std::size_t close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') return std::nullopt;
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    const std::size_t colon = s.rfind(':');
    if (colon == std::string_view::npos || s.find(':') != colon) return std::nullopt;
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  if (host.empty() || port.empty() || port.size() > 5) return std::nullopt;
  unsigned p = 0;
  for (char ch : port) {
    if (ch < '0' || ch > '9') return std::nullopt;
    p = p * 10 + unsigned(ch - '0');
  }
  if (p < 1 || p > 65535) return std::nullopt;
  return HostPort{std::string(host), std::uint16_t(p)};
}

}  // namespace zp::dns
