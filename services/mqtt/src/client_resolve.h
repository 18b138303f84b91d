// The broker's address for the client: "HOST:PORT" split, a host name resolved through the
// DNS stub resolver (hosts file first), the addresses ordered IPv6 and IPv4 in turn.
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

namespace zp::mqtt::detail {

using dns::HostPort;  // dns::split_host_port (zp/dns/connect_order.h)

// The addresses of `host` with `port`: a literal as is; otherwise through a resolver on the
// current shard (made from `options`), IPv6 and IPv4 interleaved, IPv6 first. Errors:
// ClientErrc::host_not_found (NXDOMAIN, NODATA, not a host name), ClientErrc::resolver_failed
// (SERVFAIL, REFUSED, timeout, no server, a bad configuration), ECANCELED.
Task<Result<std::vector<SocketAddr>>> resolve_broker(HostPort hp, dns::ResolverOptions options);

// Whether a failed attempt on one address is worth one on the next: socket-level errors
// (refused, unreachable, timed out, reset), not the broker's answer or TLS verification.
bool try_next_address(const Error& e);

}  // namespace zp::mqtt::detail
