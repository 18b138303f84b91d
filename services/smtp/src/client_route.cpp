// Routes for the SMTP client: smarthost addresses and MX hosts, through the DNS stub resolver
// the HTTP and MQTT clients use.
#include "client_route.h"

#include <algorithm>

#include "zp/codec/dns/message.h"
#include "zp/codec/smtp/command.h"
#include "zp/dns/connect_order.h"
#include "zp/smtp/client.h"

namespace zp::smtp::detail {

namespace {

Error map_dns_error(const Error& e) {
  if (e == std::errc::operation_canceled) return e;
  if (dns::is_no_such_host(e)) return make_error_code(ClientErrc::host_not_found);
  return make_error_code(ClientErrc::resolver_failed);
}

}  // namespace

Task<Result<std::vector<SocketAddr>>> resolve_host(dns::Resolver& resolver, std::string host, std::uint16_t port) {
  if (auto ip = dns::IpAddress::parse(host)) co_return std::vector<SocketAddr>{ip->with_port(port)};
  auto r = co_await resolver.lookup_host(host);
  if (!r) co_return map_dns_error(r.error());
  std::vector<SocketAddr> all;
  all.reserve(r->size());
  for (const auto& a : *r) all.push_back(a.with_port(port));
  std::vector<SocketAddr> out = dns::interleave_families(std::move(all));
  if (out.empty()) co_return make_error_code(ClientErrc::host_not_found);
  co_return out;
}

Task<Result<std::vector<std::string>>> mail_hosts(dns::Resolver& resolver, std::string domain, std::size_t max) {
  if (!domain.empty() && domain.back() == '.') domain.pop_back();
  if (!codec::smtp::valid_domain(domain)) co_return make_error_code(ClientErrc::bad_input);
  auto r = co_await resolver.query_exact(domain + ".", codec::dns::rrtype::mx);
  if (!r) {
    const Error e = r.error();
    // No MX records: the domain is its own mail host (RFC 5321 5.1, the implicit MX).
    if (e == dns::ResolverErrc::nodata) co_return std::vector<std::string>{domain};
    co_return map_dns_error(e);
  }
  std::vector<const dns::MxData*> mx;
  for (const auto& rr : r->records)
    if (const auto* d = std::get_if<dns::MxData>(&rr.data)) mx.push_back(d);
  if (mx.empty()) co_return std::vector<std::string>{domain};
  std::stable_sort(mx.begin(), mx.end(), [](const auto* a, const auto* b) { return a->preference < b->preference; });
  std::vector<std::string> out;
  for (const auto* d : mx) {
    std::string host = d->exchange;
    if (host == ".") {
      // RFC 7505: a null MX is the only record; "." among others is ignored.
      if (mx.size() == 1) co_return make_error_code(ClientErrc::null_mx);
      continue;
    }
    if (!host.empty() && host.back() == '.') host.pop_back();
    if (std::find(out.begin(), out.end(), host) == out.end()) out.push_back(std::move(host));
    if (out.size() >= max) break;
  }
  if (out.empty()) co_return make_error_code(ClientErrc::host_not_found);
  co_return out;
}

bool try_next(const Error& e) {
  if (const unsigned code = reply_code_of(e)) return code < 500;
  if (e.category() == client_category()) return e == ClientErrc::connection_closed;
  if (e.category() != std::generic_category() && e.category() != std::system_category()) return false;
  return e != std::errc::operation_canceled;
}

}  // namespace zp::smtp::detail
