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

}  // namespace zp::dns
