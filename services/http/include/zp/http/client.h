/// \file
/// HTTP/1.1 client on the engine: GET/HEAD/POST/PUT/PATCH/DELETE with bodies from a buffer,
/// a file or a chunked producer; streamed or collected (bounded) response bodies; a per-origin
/// keep-alive pool per shard; redirects (off by default, like curl); connect/read/total
/// timeouts; names through the DNS stub resolver (zp/dns/resolver.h) and happy eyeballs.
/// http:// and https:// (the engine's TLS stream layer; verification on by default, TLS
/// sessions resumed per origin).
/// \code
///   zp::http::Client c(shard);                                   // on the caller's shard
///   auto r = co_await c.request({.url = "http://[::1]:8080/x"});  // Result<client::Response>
///   auto b = zp::http::fetch("http://127.0.0.1:8080/");           // blocking, no engine needed
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "zp/codec/http1/errc.h"
#include "zp/dns/resolver.h"
#include "zp/engine/shard.h"
#include "zp/engine/task.h"
#include "zp/engine/tls.h"
#include "zp/result.h"

namespace zp::http::client {

/// Errors of the client itself (category "zp.http.client"). Peers' protocol errors come as
/// codec::http1::Errc (bad_status_line, body_too_large, ...), URL errors as
/// codec::url::Errc, timeouts as std::errc::timed_out, socket errors as errno values.
enum class Errc : int {
  ok = 0,
  unsupported_scheme = 1,   ///< not http:// or https://
  userinfo_in_url = 2,      ///< "user:pass@host": refused, credentials in URLs leak into logs
  no_host = 3,              ///< a URL without a host (or an IPvFuture literal)
  host_not_found = 4,       ///< no address for the name (NXDOMAIN, NODATA, not a host name)
  resolver_failed = 5,      ///< DNS failed otherwise: SERVFAIL, REFUSED, timeout, no server
  too_many_redirects = 6,   ///< more than Options::max_redirects redirects
  bad_location = 7,         ///< a redirect to follow without a usable Location
  body_too_large = 8,       ///< collected body over Options::max_body_bytes
  unexpected_eof = 9,       ///< the connection closed before the response was complete
  bad_response = 10,        ///< bytes after the response, a 101 we did not ask for, ...
  too_many_origins = 11,    ///< the pool holds Options::max_origins origins, all busy
  bad_request = 12,         ///< the request cannot be sent: bad method, field, or two bodies
};
const std::error_category& category() noexcept;  ///< the category of Errc ("zp.http.client")
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), category()}; }  ///< an error_code of `e` (lets Errc convert to std::error_code)

/// One header field of a request or response.
struct Field {
  std::string name{};  ///< field name
  std::string value{};  ///< field value
};

/// Fills `out` with the next body bytes; returns how many (0 ends the body) or an error
/// that aborts the request. Called on the client's shard thread.
using BodyProducer = std::function<Result<size_t>(std::span<char> out)>;
/// Receives the response body in pieces; an error aborts the request (and the connection).
using BodySink = std::function<Result<void>(std::span<const char> data)>;

/// One request to send.
struct Request {
  std::string method = "GET";      ///< GET, HEAD, POST, PUT, PATCH, DELETE (any token works)
  std::string url{};                 ///< absolute http:// URL
  std::vector<Field> headers{};      ///< extra fields; Host/User-Agent/Accept here replace ours
  /// The body: at most one of these. POST/PUT/PATCH without one send Content-Length: 0.
  std::string body{};                ///< sent with Content-Length
  std::string body_file{};           ///< a path: its bytes, sent with Content-Length
  BodyProducer body_stream{};        ///< sent chunked; not replayed (no retry, no 307/308)
  /// Set: the final response's body goes here, not into Response::body (no size bound).
  BodySink on_body{};
};

/// What a request got back.
struct Response {
  int status = 0;  ///< the status code
  int version_minor = 1;  ///< `HTTP/1.<minor>` of the response
  std::string reason{};  ///< the reason phrase
  std::vector<Field> headers{};      ///< as received, in order
  std::string body{};                ///< collected (empty when Request::on_body is set)
  std::string url{};                 ///< the URL that answered (after redirects)
  unsigned redirects = 0;          ///< redirects followed
  bool reused_connection = false;  ///< the final exchange ran on a pooled connection
  /// The first field named `name` (case-insensitive), or "" when absent.
  std::string_view header(std::string_view name) const;
};

/// How a Client connects, waits and pools.
struct Options {
  int64_t connect_timeout_ms = 10000;   ///< resolving + connecting (all attempts)
  int64_t read_timeout_ms = 30000;      ///< longest silence while waiting for response bytes
  int64_t total_timeout_ms = 0;         ///< the whole request, redirects included; 0: none
  /// Off by default, like curl (-L turns it on): a 3xx is returned as the response.
  bool follow_redirects = false;
  unsigned max_redirects = 10;  ///< redirects followed at most (with follow_redirects)
  uint64_t max_body_bytes = uint64_t{64} << 20;  ///< collect mode (and drained redirect bodies)
  codec::http1::Limits limits{};        ///< response head: line, header count and bytes
  size_t max_connections_per_host = 6;  ///< requests beyond wait for a free connection
  size_t max_idle_per_host = 6;         ///< kept-alive connections per origin
  size_t max_origins = 256;             ///< origins (host:port) the pool tracks at once
  int64_t idle_timeout_ms = 30000;      ///< pooled connections unused this long are closed
  bool keep_alive = true;               ///< false: "Connection: close" on every request
  int64_t happy_eyeballs_delay_ms = 250;  ///< RFC 8305 connection attempt delay
  dns::ResolverOptions resolver{};      ///< hosts file, resolv.conf, cache (see docs/dns_resolver.md)
  std::string user_agent = "zproto/0.1";  ///< the User-Agent field
  /// https://: certificate and host-name verification against the system CA bundle unless
  /// tls.ca_file names another; tls.verify = false accepts anything (logged as a warning).
  /// TLS failures come as zp::tls::Errc values (cert_expired, unknown_ca, name_mismatch...).
  tls::ClientConfig tls{.alpn = {"http/1.1"}};
  /// Tracing (curl -v): the request head as sent, the response head as received (each
  /// complete with its CRLFs), for every exchange including redirects and 1xx.
  std::function<void(std::string_view head)> on_request_head{};
  std::function<void(std::string_view head)> on_response_head{};  ///< see on_request_head
};

/// Pool counters, for tests and metrics.
struct Stats {
  uint64_t connections_opened = 0;  ///< connections made
  uint64_t connections_reused = 0;  ///< requests sent on a pooled connection
  uint64_t retries = 0;  ///< requests retried on a new connection
  size_t idle_connections = 0;  ///< kept-alive connections now
};

/// A client bound to one shard: use it (and destroy it) on that shard's thread only. The
/// pool, the DNS resolver (and its cache) and the connections belong to it; destroying it closes them.
class Client {
 public:
  /// A client on `shard`, which it must be used on.
  explicit Client(Shard& shard, Options options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Sends req and returns the response (a 4xx/5xx is a response, not an error), or the
  /// error: see Errc. A reused connection that fails before any response byte is retried
  /// once on a new connection for idempotent methods with a replayable body.
  Task<Result<Response>> request(Request req);
  Task<Result<Response>> get(std::string url);  ///< request({.url = url}): a GET

  Stats stats() const;  ///< pool counters
  const Options& options() const;  ///< the options it was made with

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_{};
};

/// Blocking convenience for programs without an engine: runs a private one-shard engine on
/// the calling thread (or on a helper thread when called from a shard thread) for one request.
Result<Response> fetch(Request req, const Options& options = {});
Result<Response> fetch(std::string url, const Options& options = {});  ///< the same for a GET of `url`

}  // namespace zp::http::client

/// \cond internal
template <>
struct std::is_error_code_enum<zp::http::client::Errc> : std::true_type {};
/// \endcond

namespace zp::http {
using client::Client;
using client::fetch;
}  // namespace zp::http
