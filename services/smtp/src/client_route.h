// Where the client connects: "HOST:PORT" split, a host's addresses through the stub resolver
// (IPv6 and IPv4 interleaved), and a domain's mail hosts (RFC 5321 5.1: MX by preference,
// the implicit MX without records, RFC 7505 null MX).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zp/dns/resolver.h"
#include "zp/engine/net.h"
#include "zp/engine/task.h"
#include "zp/result.h"

namespace zp::smtp::detail {

struct HostPort {
  std::string host;  // without brackets
  std::uint16_t port = 0;
};
// bad_address when there is no host or no port 1..65535.
Result<HostPort> split_host_port(std::string_view s);

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
