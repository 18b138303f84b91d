// Host names for the MQTT client, the way the HTTP client resolves them (services/http
// client/connect.cpp): the stub resolver's lookup_host, errors mapped to two client errors.
#include "client_resolve.h"

#include "zp/dns/connect_order.h"
#include "zp/mqtt/client.h"

namespace zp::mqtt::detail {

Result<HostPort> split_host_port(std::string_view s) {
  std::string_view host;
  std::string_view port;
  if (s.starts_with('[')) {
    const std::size_t close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':')
      return make_error_code(ClientErrc::bad_address);
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    const std::size_t colon = s.rfind(':');
    if (colon == std::string_view::npos || s.find(':') != colon) return make_error_code(ClientErrc::bad_address);
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  if (host.empty() || port.empty() || port.size() > 5) return make_error_code(ClientErrc::bad_address);
  unsigned p = 0;
  for (char ch : port) {
    if (ch < '0' || ch > '9') return make_error_code(ClientErrc::bad_address);
    p = p * 10 + unsigned(ch - '0');
  }
  if (p < 1 || p > 65535) return make_error_code(ClientErrc::bad_address);
  return HostPort{std::string(host), std::uint16_t(p)};
}

Task<Result<std::vector<SocketAddr>>> resolve_broker(HostPort hp, dns::ResolverOptions options) {
  if (auto ip = dns::IpAddress::parse(hp.host)) co_return std::vector<SocketAddr>{ip->with_port(hp.port)};
  dns::Resolver resolver(*Shard::current(), std::move(options));
  auto r = co_await resolver.lookup_host(hp.host);
  if (!r) {
    const Error e = r.error();
    if (e == std::errc::operation_canceled) co_return e;
    if (dns::is_no_such_host(e)) co_return make_error_code(ClientErrc::host_not_found);
    co_return make_error_code(ClientErrc::resolver_failed);
  }
  std::vector<SocketAddr> all;
  all.reserve(r->size());
  for (const auto& a : *r) all.push_back(a.with_port(hp.port));
  std::vector<SocketAddr> out = dns::interleave_families(std::move(all));
  if (out.empty()) co_return make_error_code(ClientErrc::host_not_found);
  co_return out;
}

bool try_next_address(const Error& e) {
  if (e.category() != std::generic_category() && e.category() != std::system_category()) return false;
  return e != std::errc::operation_canceled;
}

}  // namespace zp::mqtt::detail
