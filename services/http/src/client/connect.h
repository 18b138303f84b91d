// Name resolution on the shard through the DNS stub resolver (hosts file, then A and AAAA
// in parallel; numeric hosts skip it) and RFC 8305 happy eyeballs: IPv6 first, families interleaved, the next attempt after
// a delay or at once when the previous one failed; the first connection wins.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "target.h"
#include "zp/dns/resolver.h"
#include "zp/engine/net.h"
#include "zp/engine/task.h"
#include "zp/result.h"

namespace zp::http::client {

// The addresses of t's host and port. Errc::host_not_found (NXDOMAIN, NODATA, not a host
// name), resolver_failed (SERVFAIL, REFUSED, timeout, no server), ECANCELED.
Task<Result<std::vector<SocketAddr>>> resolve(Target t, dns::Resolver& resolver);

// Connects to the first of addrs (taken in the given order: dns::interleave_families) that answers: each attempt
// starts delay_ms after the previous one, or at once when every running one failed. The
// losers are cancelled. The last attempt's error when all fail; ECANCELED when cancelled.
Task<Result<Stream>> connect_happy(std::vector<SocketAddr> addrs, int64_t delay_ms);

}  // namespace zp::http::client
