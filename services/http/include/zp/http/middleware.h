/// \file
/// Middleware: coroutines around the router, in a configurable order. Each receives the
/// Context and a Next; `co_await next()` runs the rest of the chain (the router last), not
/// calling it short-circuits (the middleware answers itself). A MiddlewareFactory makes one
/// instance per shard at start, so per-client state (rate limits, id counters) stays on its
/// shard without locks.
/// \code
///   router.use([](zp::Shard&, const zp::http::ServerOptions&) -> zp::Result<zp::http::Middleware> {
///     return zp::http::Middleware([](zp::http::Context& c, zp::http::Next next) -> zp::Task<void> {
///       c.set_header("X-Hello", "1"); co_await next(); }); });
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "zp/engine/shard.h"
#include "zp/engine/task.h"
#include "zp/http/context.h"
#include "zp/result.h"

namespace zp::http {

struct ServerOptions;
class Next;

/// A middleware instance (one per shard). It runs on its shard only.
using Middleware = std::function<Task<void>(Context&, Next)>;
/// Makes the instance for a shard; an error stops the server's start (logged by the caller).
using MiddlewareFactory = std::function<Result<Middleware>(Shard&, const ServerOptions&)>;

/// The rest of the chain after a middleware.
class Next {
 public:
  using Terminal = Task<void> (*)(Context&);  ///< what runs after the last middleware: the router
  /// The chain after a middleware: `rest`, then `terminal`.
  Next(Context& c, std::span<const Middleware> rest, Terminal terminal)
      : c_(&c), rest_(rest), terminal_(terminal) {}
  /// Runs the remaining middlewares and then the router.
  Task<void> operator()() const {
    if (rest_.empty()) return terminal_(*c_);
    return rest_.front()(*c_, Next(*c_, rest_.subspan(1), terminal_));
  }

 private:
  Context* c_;
  std::span<const Middleware> rest_;
  Terminal terminal_;
};

// ---- built-in middlewares (also selected by ServerOptions / the "http" config) ----

/// The access log in nginx's combined format, buffered per shard and written by the engine
/// (see access_log.h): one line per response, after the rest of the chain ran.
/// Authorization is never logged.
MiddlewareFactory access_log(std::string path);

/// X-Request-Id: keeps a valid incoming id (1..128 of A-Z a-z 0-9 - _ . : + / =), else makes
/// one unique per shard ("<shard>-<random>-<counter>"); echoed on the response.
MiddlewareFactory request_id();

/// The fields security_headers() adds.
struct SecurityHeaderOptions {
  bool nosniff = true;                           ///< X-Content-Type-Options: nosniff
  std::string frame_options = "DENY";            ///< X-Frame-Options; empty: none
  std::string referrer_policy = "no-referrer";   ///< Referrer-Policy; empty: none
  std::string strict_transport_security;         ///< e.g. "max-age=31536000"; empty: none
  std::string content_security_policy;           ///< e.g. "default-src 'self'"; empty: none
};
/// Adds the fields above to every response (a handler can still replace one).
MiddlewareFactory security_headers(SecurityHeaderOptions options = {});

/// A token bucket per client IP.
struct RateLimitOptions {
  double rps = 100;            ///< tokens added per second, per client IP
  double burst = 200;          ///< bucket size
  size_t max_clients = 10000;  ///< per shard; beyond, the least recently seen client is forgotten
};
/// A token bucket per client IP (per shard): 429 with Retry-After (seconds) when empty.
MiddlewareFactory rate_limit(RateLimitOptions options);

/// Users and realm of basic_auth().
struct BasicAuthOptions {
  std::string realm = "zproto";  ///< the realm in WWW-Authenticate
  /// user → password, plain or "{sha256}<64 hex digits>" (SHA-256 of the password).
  std::vector<std::pair<std::string, std::string>> users;
};
/// Basic authentication (RFC 7617): 401 with WWW-Authenticate unless a listed user's password
/// is given. Passwords are compared as SHA-256 digests in constant time.
MiddlewareFactory basic_auth(BasicAuthOptions options);

/// Checks options without starting anything (for config parsing): "" when fine, else why.
std::string check_basic_auth(const BasicAuthOptions& options);

}  // namespace zp::http
