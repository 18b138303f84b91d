// Client::request: timeouts around the whole, redirects (RFC 9110 §15.4 method rules),
// and per exchange: a pooled or new connection, one retry on a stale pooled one.
#include "zp/http/client.h"

#include <chrono>
#include <unordered_map>

#include "connect.h"
#include "exchange.h"
#include "pool.h"
#include "target.h"
#include "zp/dns/connect_order.h"
#include "zp/codec/http1/parser.h"

namespace zp::http::client {

namespace h1 = codec::http1;

std::string_view Response::header(std::string_view name) const {
  for (const auto& f : headers) {
    if (h1::iequals(f.name, name)) return f.value;
  }
  return {};
}

struct Client::Impl {
  Impl(Shard& s, Options o)
      : shard(s), opts(std::move(o)), resolver(s, opts.resolver), pool(s, opts) {}

  Shard& shard;
  Options opts;
  dns::Resolver resolver;
  Pool pool;
  Stats stats;
  std::shared_ptr<tls::ClientContext> tls_ctx;  // made at the first https:// request
  std::unordered_map<std::string, std::shared_ptr<void>> sessions;  // per origin, to resume

  // TLS on a fresh connection: the context (once), the handshake with SNI and the name
  // check, resuming the origin's last session.
  Task<Result<void>> start_tls(Stream& s, const Target& t) {
    if (!tls_ctx) {
      auto c = tls::ClientContext::create(opts.tls);
      if (!c) co_return c.error();
      tls_ctx = std::move(*c);
    }
    std::shared_ptr<void> session;  // not inside the co_await: GCC 12 and ?: there
    if (auto it = sessions.find(t.origin); it != sessions.end()) session = it->second;
    auto info = co_await tls::connect(s, tls_ctx, t.host, std::move(session));
    if (!info) co_return info.error();
    co_return Result<void>{};
  }
  void keep_session(const Conn& c) {
    auto sess = c.transport ? c.transport->tls_session() : nullptr;
    if (!sess) return;
    if (sessions.size() >= opts.max_origins && !sessions.count(c.origin)) sessions.clear();  // bounded
    sessions[c.origin] = std::move(sess);
  }

  Task<Result<Stream>> connect(Target t) {
    auto addrs = co_await resolve(t, resolver);
    if (!addrs) co_return addrs.error();
    co_return co_await connect_happy(dns::interleave_families(std::move(*addrs)), opts.happy_eyeballs_delay_ms);
  }

  Task<Result<Stream>> connect_timed(const Target& t) {
    if (opts.connect_timeout_ms > 0)
      co_return co_await with_timeout(std::chrono::milliseconds(opts.connect_timeout_ms), connect(t));
    co_return co_await connect(t);
  }

  static bool idempotent(std::string_view m) {
    return m == "GET" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "OPTIONS" || m == "TRACE";
  }
  // What a server closing an idle keep-alive connection looks like to the next request.
  static bool stale_connection_error(const Error& e) {
    return e == make_error_code(Errc::unexpected_eof) || e == std::errc::connection_reset ||
           e == std::errc::broken_pipe || e == std::errc::connection_aborted;
  }

  // What can be refused before any I/O: the method token, two bodies at once.
  static Result<void> validate(const Request& req) {
    if (req.method.empty()) return make_error_code(Errc::bad_request);
    for (unsigned char ch : req.method) {
      if (ch <= 32 || ch >= 127 || std::string_view("\"(),/:;<=>?@[\\]{}").find(char(ch)) != std::string_view::npos)
        return make_error_code(Errc::bad_request);
    }
    const int bodies = int(!req.body.empty()) + int(!req.body_file.empty()) + int(bool(req.body_stream));
    if (bodies > 1) return make_error_code(Errc::bad_request);
    return {};
  }

  // One exchange on a pooled or new connection, retried once on a new connection when a
  // pooled one turns out stale.
  Task<Result<void>> once(const ExchangeArgs& args, ExchangeResult& out) {
    const Target& t = *args.target;
    for (int attempt = 0;; ++attempt) {
      auto c = co_await pool.acquire(t.origin);
      if (!c) co_return c.error();
      const bool fresh = !(*c)->transport;
      if (fresh) {
        auto s = co_await connect_timed(t);
        if (!s) {
          pool.release(std::move(*c), false);
          co_return s.error();
        }
        if (t.tls) {
          auto h = co_await start_tls(*s, t);
          if (!h) {
            pool.release(std::move(*c), false);
            co_return h.error();
          }
        }
        (*c)->transport = make_tcp_transport(std::move(*s));
        ++stats.connections_opened;
      } else {
        ++stats.connections_reused;
      }
      out = ExchangeResult{};
      auto r = co_await exchange(**c, args, out);
      if (!r) {
        pool.release(std::move(*c), false);
        const bool replayable = !args.send_body || !args.request->body_stream;
        if (!fresh && attempt == 0 && out.retryable && idempotent(args.method) && replayable &&
            stale_connection_error(r.error())) {
          ++stats.retries;
          continue;
        }
        co_return r;
      }
      out.response.reused_connection = !fresh;
      if (t.tls) keep_session(**c);
      pool.release(std::move(*c), out.reusable);
      co_return Result<void>{};
    }
  }

  Task<Result<Response>> run(Request req) {
    auto target = parse_target(req.url);
    if (!target) co_return target.error();
    if (auto v = validate(req); !v) co_return v.error();
    std::string method = req.method;
    bool send_body = true;
    unsigned redirects = 0;
    for (;;) {
      ExchangeArgs args;
      args.target = &*target;
      args.request = &req;
      args.method = method;
      args.send_body = send_body;
      args.options = &opts;
      args.discard_redirects = opts.follow_redirects && redirects < opts.max_redirects;
      ExchangeResult ex;
      if (auto r = co_await once(args, ex); !r) co_return r.error();
      Response& resp = ex.response;
      resp.url = target->url;
      resp.redirects = redirects;
      const int status = resp.status;
      if (!opts.follow_redirects || !is_redirect(status)) co_return std::move(resp);
      const std::string location(resp.header("Location"));
      if (location.empty()) co_return std::move(resp);  // nothing to follow: the 3xx is the answer
      if (redirects >= opts.max_redirects) co_return make_error_code(Errc::too_many_redirects);
      // RFC 9110 §15.4: 303 turns anything but HEAD into GET; 301/302 turn POST into GET
      // (what every browser and curl do); 307/308 repeat method and body.
      bool to_get = (status == 303 && method != "HEAD") || ((status == 301 || status == 302) && method == "POST");
      if (!to_get && send_body && req.body_stream) co_return std::move(resp);  // cannot replay a stream
      auto next = resolve_location(*target, location);
      if (!next) co_return next.error();
      if (to_get) {
        method = "GET";
        send_body = false;
      }
      if (next->origin != target->origin) {
        // Credentials were meant for the first host only (curl does the same).
        std::erase_if(req.headers, [](const Field& f) {
          return h1::iequals(f.name, "Authorization") || h1::iequals(f.name, "Cookie") ||
                 h1::iequals(f.name, "Proxy-Authorization");
        });
      }
      target = std::move(next);
      ++redirects;
    }
  }
};

Client::Client(Shard& shard, Options options) : impl_(std::make_unique<Impl>(shard, std::move(options))) {}
Client::~Client() = default;

Task<Result<Response>> Client::request(Request req) {
  if (impl_->opts.total_timeout_ms > 0)
    co_return co_await with_timeout(std::chrono::milliseconds(impl_->opts.total_timeout_ms), impl_->run(std::move(req)));
  co_return co_await impl_->run(std::move(req));
}

Task<Result<Response>> Client::get(std::string url) {
  Request r;
  r.url = std::move(url);
  co_return co_await request(std::move(r));
}

Stats Client::stats() const {
  Stats s = impl_->stats;
  s.idle_connections = impl_->pool.idle_count();
  return s;
}

const Options& Client::options() const { return impl_->opts; }

}  // namespace zp::http::client
