/// \file
/// The admin listener: a tiny HTTP/1.1 server that answers GET (or HEAD) /metrics with the
/// Prometheus text of every renderer it was given, one after the other, and 404 otherwise. One
/// listener per process (no SO_REUSEPORT) serves the counters of every service that runs in
/// it: the HTTP server, the DNS server, or both.
/// \code
///   zp::http::AdminOptions a;  a.listen = "127.0.0.1:9100";
///   a.renderers = {[m = http_metrics] { return m->render(); }, [d = dns_metrics] { return d->render(); }};
///   if (shard.id() == 0) if (auto r = zp::http::start_admin(shard, a); !r) fail(r.error());
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "zp/engine/net.h"
#include "zp/engine/shard.h"
#include "zp/result.h"

namespace zp::http {

/// Returns Prometheus text-format lines; called on the admin listener's shard per scrape.
using MetricsRenderer = std::function<std::string()>;

/// What the admin listener serves.
struct AdminOptions {
  std::string listen;                      ///< HOST:PORT (port 0: any free port)
  std::vector<MetricsRenderer> renderers;  ///< concatenated in this order
  std::size_t max_connections = 16;        ///< beyond, new connections are closed
  int64_t timeout_ms = 10000;              ///< a request must arrive within this
  std::size_t max_request_bytes = 16384;   ///< a larger request head closes the connection
};

/// Binds options.listen on this shard and serves until the shard stops; the bound address
/// (with the port picked for port 0). EINVAL (bad address), EADDRINUSE...; logged.
Result<SocketAddr> start_admin(Shard& shard, const AdminOptions& options);

}  // namespace zp::http
