// Host names for the MQTT client, the way the HTTP client resolves them (services/http
// client/connect.cpp): the stub resolver's lookup_host, errors mapped to two client errors.
#include "client_resolve.h"

#include "zp/dns/connect_order.h"
#include "zp/mqtt/client.h"

namespace zp::mqtt::detail {

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
