// Where the client connects: "HOST:PORT" split, a host's addresses through the stub resolver
// (IPv6 and IPv4 interleaved), and a domain's mail hosts (RFC 5321 5.1: MX by preference,
// the implicit MX without records, RFC 7505 null MX).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zp/dns/connect_order.h"
#include "zp/dns/resolver.h"
#include "zp/engine/net.h"
#include "zp/engine/task.h"
#include "zp/result.h"

namespace zp::smtp::detail {

using dns::HostPort;  // dns::split_host_port (zp/dns/connect_order.h)

// The addresses of `host` with `port`: a literal as is, else lookup_host. host_not_found,
// resolver_failed, ECANCELED.
Task<Result<std::vector<SocketAddr>>> resolve_host(dns::Resolver& resolver, std::string host, std::uint16_t port);

// The mail hosts of `domain`, most preferred first (equal preferences in answer order), at
// most `max`: the MX exchanges, or `domain` itself when it has no MX records. null_mx,
// host_not_found (NXDOMAIN), resolver_failed, bad_input (not a domain), ECANCELED.
Task<Result<std::vector<std::string>>> mail_hosts(dns::Resolver& resolver, std::string domain, std::size_t max);

// Whether a failed attempt on one address or host is worth one on the next: socket errors,
// timeouts, a closed connection, a 4xx greeting; not TLS verification, AUTH or a 5xx.
bool try_next(const Error& e);

}  // namespace zp::smtp::detail
