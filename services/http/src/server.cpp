// The connection loop: read → parse (zero copy when a head arrives in one buffer) →
// answer → send, with keep-alive, pipelining, header/idle timeouts and a connection cap.
// A request goes the fast way (the static handler, called directly: no coroutine frame)
// when there is no middleware, the router is only the static mount and there is no body;
// else through the middleware chain and the router, with its body read on demand.
#include "zp/http/server.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <ctime>
#include <optional>
#include <string>

#include "access_log.h"
#include "exchange.h"
#include "head_buffer.h"
#include "file_store.h"
#include "zp/codec/http1/date.h"
#include "zp/codec/http1/parser.h"
#include "zp/codec/http1/serializer.h"
#include "zp/codec/url/mime.h"
#include "zp/codec/url/path.h"
#include "zp/engine/deadline_list.h"
#include "zp/engine/listen.h"
#include "zp/engine/log.h"
#include "zp/engine/net.h"
#include "static_handler.h"
#include "zp/http/admin.h"
#include "zp/http/router.h"

namespace zp::http {

namespace h1 = codec::http1;

namespace {

// What a connection needs only while it handles requests (the response head, the header
// array): taken from a per-shard free list when data arrives, given back before the
// connection waits idle, so an idle keep-alive connection holds a few hundred bytes.
struct Work {
  Response resp;
  h1::Header headers[64];
  detail::Exchange ex;
};

struct ShardState {
  Shard* shard = nullptr;
  ShardCounters* counters = nullptr;  // null: no metrics
  std::shared_ptr<const Router> router;
  std::vector<Middleware> chain;      // this shard's middleware instances, in order
  bool fast_static = false;           // no middleware, only the static mount at "/"
  std::vector<std::unique_ptr<Work>> free_work;
  std::unique_ptr<Work> take_work() {
    if (free_work.empty()) return std::make_unique<Work>();
    auto w = std::move(free_work.back());
    free_work.pop_back();
    return w;
  }
  void give_back(std::unique_ptr<Work> w) {
    if (!w) return;
    w->resp.reset();
    w->ex.body.more = RecvBuf();  // a provided buffer goes back to the ring now
    if (free_work.size() < 16) free_work.push_back(std::move(w));
  }
  HeadPool heads;                     // partial request heads of this shard's connections
  std::optional<DeadlineLists> deadlines;  // the connections' deadlines, by DeadlineKind
  ServerOptions opts;
  int root_fd = -1;
  std::unique_ptr<FileStore> files;
  h1::DateCache dates;
  size_t connections = 0;
  size_t handshakes = 0;  // TLS handshakes in progress (they count against max_connections)
  std::vector<Listener> listeners;
  // An HTTPS listener and the TLS context new connections get (replaced on reload; live
  // connections keep the one they started with).
  struct TlsListener {
    Listener listener;
    tls::ServerConfig config;
    std::shared_ptr<tls::ServerContext> ctx;
  };
  std::vector<std::unique_ptr<TlsListener>> tls_listeners;
  ~ShardState() {
    if (root_fd >= 0) ::close(root_fd);
  }
};

// The kinds of a connection's deadline (DeadlineLists, one list per length): waiting for the
// rest of a head (slowloris), idle between requests, answering a routed request (its body
// has its own deadline within).
enum DeadlineKind : size_t { kHeadDeadline = 0, kIdleDeadline = 1, kRoutedDeadline = 2 };

// A connection: the one parameter of its coroutine, so its idle frame holds this, the
// pending receive and little else (GCC gives every local its own slot): the stream, its
// place in the shard's deadline lists, a partial head while one is pending (from the
// shard's HeadPool), and the peer's address once a routed request needed it.
struct Conn {
  std::shared_ptr<ShardState> st;
  Stream s;
  DeadlineLink deadline;
  HeadBuffer pending;
  std::unique_ptr<std::string> peer;  // for the access log and Context::peer (made once)

  // `ctx`: the connection task's (Shard::spawn_with_ctx), cancelled when a deadline passes.
  Conn(std::shared_ptr<ShardState> state, Stream stream, TaskCtx* ctx) : st(std::move(state)), s(std::move(stream)) {
    deadline.ctx = ctx;
  }
  // Before start() only (the deadline is not linked yet).
  Conn(Conn&& o) noexcept
      : st(std::move(o.st)), s(std::move(o.s)), pending(std::move(o.pending)), peer(std::move(o.peer)) {
    deadline.ctx = o.deadline.ctx;
  }
  ~Conn() {
    if (!st) return;  // moved from
    DeadlineLists::remove(deadline);
    pending.release(st->heads);
  }
  // Sets the first deadline (a new connection is idle until its first bytes).
  void start() { set_deadline(kIdleDeadline); }
  void set_deadline(DeadlineKind k) { st->deadlines->set(deadline, k); }
  bool expired() const { return st->shard->now_ms() >= deadline.at_ms; }
};

// Sends one response (head and memory body in one gather send, a large file after it).
// Its own coroutine so that the send state is not part of an idle connection's frame.
// `last`: the connection closes after it (the close leaves with the send on io_uring).
Task<bool> send_response(ShardState* st, Stream& s, Response& resp, bool last = false) {
  if (resp.file_length > 0) {
    // Large files: the head, then the kernel copies file pages to the socket (sendfile);
    // the head shares the first segment with the file's bytes.
    File scratch;
    auto f = st->files->open(*resp.file, scratch);
    if (!f) co_return false;  // vanished since the head was made: the length cannot be kept
    auto sent = co_await (*f)->send_to(s, resp.file_offset, resp.file_length,
                                    std::as_bytes(std::span<const char>(resp.head, resp.head_size)));
    co_return sent && *sent == resp.file_length;
  }
  auto w = co_await (last ? s.send_and_close(resp.iov()) : s.sendv(resp.iov()));
  co_return bool(w);
}

// Counts a response before it is sent (a client that has read it sees it counted).
[[gnu::always_inline]] inline void count(ShardState* st, int status, uint64_t body_bytes) {
  ShardCounters* c = st->counters;
  if (!c) return;
  ShardCounters::bump(c->requests);
  if (status >= 100 && status < 600) {
    ShardCounters::bump(c->status_class[status / 100]);
    ShardCounters::bump(c->status_code[status]);
  }
  ShardCounters::bump(c->body_bytes, body_bytes);
}

// The request's duration, from `start` (when the loop woke up for its head) to its response sent.
[[gnu::always_inline]] inline void observe(ShardState* st, Shard::Clock::time_point start) {
  if (ShardCounters* c = st->counters) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(Shard::Clock::now() - start).count();
    c->observe_latency_us(uint64_t(us < 0 ? 0 : us));
  }
}

// The path and query of the target into ex (path empty and ex.status set when unusable).
void split_target(detail::Exchange& ex, const h1::Request& req) {
  std::string_view target = req.target;
  if (req.target_form == h1::TargetForm::absolute) {
    size_t p = target.find("://");
    size_t slash = p == std::string_view::npos ? std::string_view::npos : target.find('/', p + 3);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  } else if (req.target_form != h1::TargetForm::origin) {
    ex.status = 400;
    return;
  }
  target = target.substr(0, target.find('#'));
  size_t q = target.find('?');
  if (q != std::string_view::npos) ex.query = target.substr(q + 1);
  std::string_view raw = target.substr(0, q);
  codec::url::PathOptions popt;
  popt.allow_dotfiles = true;  // routes are not files; the static handler checks its own paths
  popt.allow_well_known = true;
  popt.max_path_bytes = sizeof ex.path_buf;
  if (raw.size() > sizeof ex.path_buf) {
    ex.status = 414;
    return;
  }
  auto path = codec::url::normalize_path(raw, ex.path_buf, popt);
  if (!path) ex.status = codec::url::path_http_status(path.error());
  else ex.path = *path;
}

// One request through the middleware chain and the router: the answer is sent, and an
// unread body dropped (bounded). Returns whether the connection stays open.
Task<bool> serve_routed(ShardState* st, detail::Exchange& ex, Shard::Clock::time_point started) {
  Context c(ex);
  split_target(ex, *ex.req);
  co_await Next(c, st->chain, &detail::dispatch)();
  if (!ex.head_built) detail::finish_unanswered(c);  // a middleware stopped without answering
  if (ex.streaming) {
    if (!ex.stream_ended) {
      auto e = co_await c.end_stream();
      if (!e) ex.close = true;
    }
    count(st, ex.status, ex.head_only() ? 0 : ex.stream_bytes);
    observe(st, started);
    if (ex.close) co_return false;
  } else {
    count(st, ex.resp->status, ex.head_only() ? 0 : ex.resp->body_bytes);
    bool sent = co_await send_response(st, *ex.stream, *ex.resp);
    observe(st, started);
    if (!sent) co_return false;
  }
  if (ex.close) co_return false;
  if (!ex.body.done && !co_await ex.body.discard(detail::kMaxDiscardBytes)) co_return false;
  co_return true;
}

// Parses and answers what arrived: a pending partial head completed by `cur`, then every
// complete head in it, each answered (and its body read or dropped) before the next; a
// partial head at the end is copied to c.pending. Its own coroutine, so the parse, handle
// and send state exist only while there is input, not in the idle connection's frame.
// Returns whether the connection stays open.
Task<bool> serve_input(Conn& c, RecvBuf& received) {
  ShardState* st = c.st.get();
  Stream& s = c.s;
  RecvBuf cur = std::move(received);
  Shard* shard = st->shard;
  HeadPool& pool = st->heads;
  const h1::Limits& limits = st->opts.limits;
  bool head_started = !c.pending.empty();  // its header deadline runs since its first bytes
  std::unique_ptr<Work> work;
  bool open = true;
  if (head_started) {
    if (c.pending.size() + cur.size() > limits.max_request_line_bytes + limits.max_header_bytes + 4 ||
        !c.pending.append(pool, cur.text())) {
      work = st->take_work();
      error_response(st->opts, st->dates, h1::Errc::headers_too_large, work->resp);
      co_await send_response(st, s, work->resp);
      st->give_back(std::move(work));
      co_return false;
    }
    cur = RecvBuf();
  }
  size_t off = 0;  // parse position in cur
  for (;;) {
    // Parse what we have: in place when nothing is pending, else from the gathered copy.
    std::string_view in = c.pending.empty() ? cur.text().substr(std::min(off, cur.size())) : c.pending.view();
    if (in.empty()) {
      c.set_deadline(kIdleDeadline);
      break;
    }
    if (!work) work = st->take_work();
    Response& resp = work->resp;
    h1::Request req;
    auto r = h1::parse_request(in, req, work->headers, limits);
    if (r.status == h1::Status::complete) {
      head_started = false;
      // The shard's time is taken when the loop woke up for this data.
      const Shard::Clock::time_point started = shard->now();
      const bool has_body = req.chunked || (req.content_length && *req.content_length > 0);
      if (st->fast_static && !has_body) {
        c.set_deadline(kIdleDeadline);
        bool keep = handle_request(*st->files, st->opts, st->dates, shard->now_ms(), req, resp);
        count(st, resp.status, req.method_id == h1::Method::head ? 0 : resp.body_bytes);
        bool sent;
        if (resp.file_length == 0) {
          // In this frame (short-lived) rather than send_response's: one frame per request.
          auto w = co_await (keep ? s.sendv(resp.iov()) : s.send_and_close(resp.iov()));
          sent = bool(w);
        } else {
          sent = co_await send_response(st, s, resp, !keep);
        }
        observe(st, started);
        if (!sent || !keep) {
          open = false;
          break;
        }
        if (c.pending.empty()) off += r.consumed;
        else c.pending.erase_front(pool, r.consumed);
        resp.reset();
        continue;
      }
      // Routed: the handler may read a body and wait; the body has its own deadline.
      c.set_deadline(kRoutedDeadline);
      if (!c.peer) {
        auto a = s.peer_addr();
        std::string peer = a ? a->to_string() : "-";
        if (a && a->family() != AF_UNIX) peer.erase(peer.rfind(':'));
        if (peer.size() > 2 && peer.front() == '[') peer = peer.substr(1, peer.size() - 2);
        c.peer = std::make_unique<std::string>(std::move(peer));
      }
      detail::Exchange& ex = work->ex;
      ex.reset_request();
      ex.opts = &st->opts;
      ex.files = st->files.get();
      ex.dates = &st->dates;
      ex.router = st->router.get();
      ex.shard = shard;
      ex.stream = &s;
      ex.peer = *c.peer;
      ex.req = &req;
      ex.resp = &resp;
      ex.body.start(s, req, in.substr(r.consumed), limits, shard->now_ms() + st->opts.body_timeout_ms);
      if (!co_await serve_routed(st, ex, started)) {
        open = false;
        break;
      }
      if (ex.body.from_more) {
        // The body ran past the buffers the head came in: go on from the last one.
        c.pending.release(pool);
        cur = std::move(ex.body.more);
        off = cur.size() - ex.body.rest.size();
      } else if (c.pending.empty()) {
        off += r.consumed + ex.body.used_in;
      } else {
        c.pending.erase_front(pool, r.consumed + ex.body.used_in);
      }
      ex.body.more = RecvBuf();
      resp.reset();
      continue;
    }
    if (r.status == h1::Status::error) {
      error_response(st->opts, st->dates, r.error, resp);
      if (ShardCounters* k = st->counters) {
        ShardCounters::bump(k->bad_requests);
        ShardCounters::bump(k->status_class[resp.status / 100]);
        ShardCounters::bump(k->status_code[resp.status]);
      }
      co_await send_response(st, s, resp);
      open = false;  // the framing is in doubt: close
      break;
    }
    // need_more: keep the partial head (and no Work: a slow client holds only its bytes).
    // The header deadline starts with the head's first bytes and does not move while the
    // rest trickles in (slowloris).
    if (c.pending.empty() && !c.pending.append(pool, in)) {
      error_response(st->opts, st->dates, h1::Errc::headers_too_large, resp);
      co_await send_response(st, s, resp);
      open = false;
      break;
    }
    if (!head_started) c.set_deadline(kHeadDeadline);
    break;
  }
  st->give_back(std::move(work));
  co_return open;
}

Task<void> serve_connection(Conn c) {
  ++c.st->connections;
  if (ShardCounters* k = c.st->counters) {
    ShardCounters::bump(k->accepted);
    ShardCounters::bump(k->open);
  }
  c.start();
  for (;;) {
    // Between requests this wait is idle (it ends at a graceful stop); inside a head not.
    // A named awaiter: `x ? co_await a : co_await b` makes GCC destroy the result twice,
    // and `co_await (x ? a : b)` gives each branch's temporary its own frame slot.
    Stream::RecvAwaiter wait = c.pending.empty() ? c.s.recv() : c.s.recv_more();
    Result<RecvBuf> b = co_await wait;
    if (!b || b->eof()) break;
    if (!co_await serve_input(c, *b)) break;
  }
  if (c.expired()) ZP_LOG_DEBUG("http: connection timed out");
  --c.st->connections;
  if (ShardCounters* k = c.st->counters) k->open.store(k->open.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
}

// An HTTPS connection: the TLS handshake (bounded by its own timeout), then the same loop as
// plain HTTP over the now encrypted stream.
Task<void> serve_tls_connection(std::shared_ptr<ShardState> st, std::shared_ptr<tls::ServerContext> ctx, Stream s,
                                TaskCtx* task_ctx) {
  ++st->handshakes;
  auto r = co_await tls::accept(s, std::move(ctx));
  --st->handshakes;
  if (!r) {
    ZP_LOG_DEBUG("https: handshake failed: {}", r.error().message());
    co_return;
  }
  co_await serve_connection(Conn(st, std::move(s), task_ctx));
}

// SIGHUP: certificates and keys are read again; new connections use them, live ones keep
// theirs. A broken file keeps the old context (and says so).
void reload_tls(const std::weak_ptr<ShardState>& weak, unsigned shard_id) {
  auto st = weak.lock();
  if (!st) return;
  for (auto& tl : st->tls_listeners) {
    auto ctx = tls::ServerContext::create(tl->config);
    if (!ctx) {
      ZP_LOG_ERROR("https: reload of the certificates for {} failed ({}); keeping the old ones",
                   tl->listener.local_addr().to_string(), ctx.error().message());
      continue;
    }
    tl->ctx = std::move(*ctx);
    if (shard_id == 0) ZP_LOG_INFO("https: certificates for {} reloaded", tl->listener.local_addr().to_string());
  }
}

// The built-in middlewares ServerOptions enables, in middleware_order (the rest after, in the
// default order). EINVAL for an unknown or repeated name.
Result<std::vector<MiddlewareFactory>> builtin_middlewares(const ServerOptions& o) {
  static constexpr std::string_view kDefault[] = {"access_log", "request_id", "security_headers", "rate_limit",
                                                  "basic_auth"};
  std::vector<std::string_view> order;
  for (const std::string& name : o.middleware_order) {
    if (std::find(std::begin(kDefault), std::end(kDefault), name) == std::end(kDefault) ||
        std::find(order.begin(), order.end(), name) != order.end()) {
      ZP_LOG_ERROR("http: middleware_order: unknown or repeated \"{}\"", name);
      return fail(EINVAL);
    }
    order.push_back(name);
  }
  for (std::string_view name : kDefault)
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
  std::vector<MiddlewareFactory> out;
  for (std::string_view name : order) {
    if (name == "access_log" && !o.access_log.empty()) out.push_back(access_log(o.access_log));
    if (name == "request_id" && o.request_id) out.push_back(request_id());
    if (name == "security_headers" && o.security_headers) out.push_back(security_headers(*o.security_headers));
    if (name == "rate_limit" && o.rate_limit) out.push_back(rate_limit(*o.rate_limit));
    if (name == "basic_auth" && o.basic_auth) out.push_back(basic_auth(*o.basic_auth));
  }
  return out;
}

}  // namespace

Result<void> start(Shard& shard, const ServerOptions& options) {
  auto router = std::make_shared<Router>();
  router->static_files("/");
  return start(shard, options, std::move(router));
}

Result<void> start(Shard& shard, const ServerOptions& options, std::shared_ptr<const Router> router) {
  auto st = std::make_shared<ShardState>();
  st->shard = &shard;
  st->opts = options;
  st->deadlines.emplace(shard, std::initializer_list<int64_t>{options.header_timeout_ms, options.idle_timeout_ms,
                                                              options.idle_timeout_ms + options.body_timeout_ms});
  if (!router || !router->error().empty()) {
    ZP_LOG_ERROR("http: router: {}", router ? router->error() : std::string("none"));
    return fail(EINVAL);
  }
  st->router = std::move(router);
  st->root_fd = ::open(options.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (st->root_fd < 0) {
    int e = errno;
    ZP_LOG_ERROR("http: root {}: {}", options.root, std::strerror(e));
    return fail(e);
  }
  {
    codec::url::MimeTable check;
    for (const auto& [ext, type] : options.mime_types) {
      if (auto r = check.add(ext, type); !r) {
        ZP_LOG_ERROR("http: MIME type \"{}\" for \"{}\": {}", type, ext, r.error().message());
        return r.error();
      }
    }
  }
  st->files = std::make_unique<FileStore>(st->root_fd, st->opts);
  if (options.metrics && shard.id() < options.metrics_shards()) st->counters = &options.metrics->shard(shard.id());
  if (!options.admin_listen.empty() && options.metrics && shard.id() == 0) {
    AdminOptions admin;
    admin.listen = options.admin_listen;
    admin.renderers.push_back([m = options.metrics] { return m->render(); });
    if (auto a = start_admin(shard, admin); !a) return a.error();
  }
  {
    auto factories = builtin_middlewares(options);
    if (!factories) return factories.error();
    for (const MiddlewareFactory& f : st->router->middlewares()) factories->push_back(f);
    for (const MiddlewareFactory& f : *factories) {
      auto m = f(shard, st->opts);
      if (!m) return m.error();  // the factory logged what failed
      st->chain.push_back(std::move(*m));
    }
    st->fast_static = st->chain.empty() && st->router->static_only();
  }
  auto plain = bind_listeners(shard, "http", options.listen);
  if (!plain) return plain.error();
  st->listeners = std::move(*plain);
  for (const TlsListen& tl : options.tls_listen) {
    auto addr = SocketAddr::parse(tl.address);
    if (!addr) {
      ZP_LOG_ERROR("https: bad listen address '{}'", tl.address);
      return addr.error();
    }
    auto ctx = tls::ServerContext::create(tl.tls);
    if (!ctx) {
      ZP_LOG_ERROR("https: {}: {}", tl.address, ctx.error().message());
      return ctx.error();
    }
    auto l = Listener::bind(shard, *addr);
    if (!l) {
      ZP_LOG_ERROR("https: listen on {}: {}", tl.address, l.error().message());
      return l.error();
    }
    st->tls_listeners.push_back(std::make_unique<ShardState::TlsListener>(
        ShardState::TlsListener{std::move(*l), tl.tls, std::move(*ctx)}));
  }
  if (shard.id() == 0 && !(st->listeners.empty() && st->tls_listeners.empty())) {
    ZP_LOG_INFO("http: serving {}", options.root);
  }
  for (auto& l : st->listeners) {
    AcceptHandler h{.admit = [st] { return st->connections < st->opts.max_connections; },
                    .serve = [st](Stream s, TaskCtx* ctx) { return serve_connection(Conn(st, std::move(s), ctx)); }};
    if (auto r = start_accepting(shard, "http", l, std::move(h)); !r) return r;
  }
  for (auto& tl : st->tls_listeners) {
    // The context is read at each accept: a reload (SIGHUP) replaces it for new connections.
    ShardState::TlsListener* t = tl.get();
    AcceptHandler h{.admit = [st] { return st->connections + st->handshakes < st->opts.max_connections; },
                    .serve = [st, t](Stream s, TaskCtx* ctx) { return serve_tls_connection(st, t->ctx, std::move(s), ctx); }};
    if (auto r = start_accepting(shard, "https", tl->listener, std::move(h)); !r) return r;
  }
  if (!st->tls_listeners.empty()) {
    std::weak_ptr<ShardState> weak = st;
    unsigned id = shard.id();
    shard.on_reload([weak, id] { reload_tls(weak, id); });
  }
  return {};
}

}  // namespace zp::http
