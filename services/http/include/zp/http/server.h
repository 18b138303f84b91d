/// \file
/// HTTP/1.1 server on the engine: keep-alive and pipelining, request bodies (Content-Length,
/// chunked, 100-continue) with size and time limits, a router to coroutine handlers with a
/// middleware chain (router.h, middleware.h), and the static-file handler: GET/HEAD/OPTIONS,
/// conditional requests (ETag, Last-Modified), single and multiple ranges, precompressed
/// .br/.gz siblings, a per-shard cache of small files, and path safety (decoded once, no
/// dot segments, no dotfiles, no escape from the root, also not via symlinks).
/// \code
///   zp::http::ServerOptions o;
///   o.root = "/srv/www"; o.listen = {"0.0.0.0:8080"};
///   auto r = rt.run([&](zp::Shard& s) { return zp::http::start(s, o); });   // static files only
///   auto router = std::make_shared<zp::http::Router>();  router->get("/api/:id", h).static_files("/");
///   auto r2 = rt.run([&](zp::Shard& s) { return zp::http::start(s, o, router); });
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "zp/codec/http1/errc.h"
#include "zp/engine/shard.h"
#include "zp/engine/tls.h"
#include "zp/http/metrics.h"
#include "zp/http/middleware.h"
#include "zp/result.h"

namespace zp::http {

/// An HTTPS listener: TLS (zproto::tls) on `address`, with its certificates (several are
/// chosen by SNI), ALPN, optional client-certificate verification. Requests then go through
/// the same connection loop as plain HTTP; files are read and encrypted instead of sendfile.
struct TlsListen {
  std::string address;  ///< "HOST:PORT"
  tls::ServerConfig tls;  ///< its TLS settings
};

/// Where and how the HTTP server serves (see the file comment).
struct ServerOptions {
  std::string root = ".";               ///< the document root
  std::vector<std::string> listen = {"127.0.0.1:8080"};  ///< "HOST:PORT" addresses of plain HTTP listeners
  std::vector<TlsListen> tls_listen;    ///< HTTPS listeners; certificates reload on SIGHUP
  std::string index = "index.html";     ///< served for a path ending in '/'
  bool allow_dotfiles = false;          ///< serve names starting with '.'
  bool directory_listing = false;       ///< list a directory without an index file (HTML)
  bool symlinks_outside_root = false;   ///< follow symlinks that leave the root
  std::string cache_control;            ///< Cache-Control value for files; empty: none
  std::string server_name = "zproto";   ///< Server field; empty: none
  std::string access_log;               ///< file for the combined-format access log; empty: off
  int64_t header_timeout_ms = 10000;    ///< a request head must arrive within this
  int64_t idle_timeout_ms = 60000;      ///< keep-alive connections silent this long close
  int64_t body_timeout_ms = 30000;      ///< a request body must arrive within this (else 408)
  size_t max_connections = 50000;       ///< per shard; beyond, new connections are closed
  size_t cache_max_file_bytes = 256 * 1024;  ///< files up to this size are kept in memory
  size_t cache_max_total_bytes = 64u << 20;  ///< per shard
  int64_t cache_valid_ms = 1000;        ///< a cached file's stat is trusted this long
  size_t max_open_files = 1024;         ///< per shard: large files kept open between responses
  codec::http1::Limits limits{};        ///< limits.max_body_bytes: larger bodies get 413
  /// Built-in middlewares, in this order unless middleware_order names them (each at most
  /// once; names: access_log, request_id, security_headers, rate_limit, basic_auth). They
  /// run before the Router's own use() middlewares.
  bool request_id = false;
  std::optional<SecurityHeaderOptions> security_headers;  ///< set: the security_headers() middleware with these options
  std::optional<RateLimitOptions> rate_limit;  ///< set: the rate_limit() middleware with these options
  std::optional<BasicAuthOptions> basic_auth;  ///< set: the basic_auth() middleware with these options
  std::vector<std::string> middleware_order;  ///< names of the built-in middlewares in the order they run; empty: the order above
  /// Counters (shared by all shards; set it to count) and the admin listener that serves
  /// them as Prometheus text at GET /metrics (on shard 0 only; empty: none).
  std::shared_ptr<Metrics> metrics;
  std::string admin_listen;  ///< "HOST:PORT" of the admin listener (GET /metrics); empty: none
  unsigned metrics_shards() const { return metrics ? metrics->shards() : 0; }  ///< shards the metrics are sized for (0 without metrics)
  /// Extra or replacing MIME types by file extension (without the dot), e.g. {"log", "text/plain"}.
  std::vector<std::pair<std::string, std::string>> mime_types;
};

/// Binds the listeners on this shard and serves until the shard stops. EADDRINUSE,
/// ENOENT/ENOTDIR (root), EACCES...; the error is logged with what failed.
Result<void> start(Shard& shard, const ServerOptions& options);

class Router;
/// The same with routes: requests go through the middleware chain to `router` (shared by
/// the shards, read-only once started). EINVAL when the router recorded an error or
/// middleware_order names an unknown or repeated middleware.
Result<void> start(Shard& shard, const ServerOptions& options, std::shared_ptr<const Router> router);

}  // namespace zp::http
