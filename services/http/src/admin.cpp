// The admin listener's accept loop and its one-request connections.
#include "zp/http/admin.h"

#include <sys/uio.h>

#include <cstdio>
#include <memory>

#include "zp/codec/http1/parser.h"
#include "zp/engine/idle_guard.h"
#include "zp/engine/log.h"

namespace zp::http {

namespace {

namespace h1 = codec::http1;

struct AdminState {
  AdminOptions opts;
  Listener listener;
  std::size_t connections = 0;
};

Task<void> serve_admin(std::shared_ptr<AdminState> st, Stream s) {
  ++st->connections;
  {
    TaskCtx* ctx = co_await CurrentCtx{};
    IdleGuard idle(Shard::current(), ctx, st->opts.timeout_ms);  // the whole request, not per read
    std::string in;
    for (;;) {
      auto b = co_await s.recv();
      if (!b || b->eof()) break;
      in += b->text();
      h1::Header headers[64];
      h1::Request req;
      auto r = h1::parse_request(in, req, headers);
      if (r.status == h1::Status::need_more) {
        if (in.size() > st->opts.max_request_bytes) break;
        continue;
      }
      if (r.status == h1::Status::error) break;
      const bool get = req.method_id == h1::Method::get || req.method_id == h1::Method::head;
      const bool found = get && (req.target == "/metrics" || req.target.starts_with("/metrics?"));
      std::string body;
      if (found) {
        for (const auto& render : st->opts.renderers) body += render();
      } else {
        body = get ? "404 Not Found\n" : "405 Method Not Allowed\n";
      }
      char head[256];
      const int n = std::snprintf(head, sizeof head,
                                  "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
                                  found ? "200 OK" : (get ? "404 Not Found" : "405 Method Not Allowed"),
                                  found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8",
                                  body.size(), get ? "" : "Allow: GET, HEAD\r\n");
      iovec iov[2] = {{head, std::size_t(n)}, {body.data(), req.method_id == h1::Method::head ? 0 : body.size()}};
      auto w = co_await s.sendv(iov);
      (void)w;
      break;
    }
  }
  --st->connections;
}

Task<void> admin_loop(std::shared_ptr<AdminState> st) {
  Shard* shard = Shard::current();
  for (;;) {
    auto s = co_await st->listener.accept();
    if (!s) {
      if (s.error() == std::errc::operation_canceled) break;
      if (s.error() == std::errc::too_many_files_open) (void)co_await sleep(std::chrono::milliseconds(10));
      continue;
    }
    if (st->connections >= st->opts.max_connections) continue;  // closed on scope exit
    auto h = shard->spawn(serve_admin(st, std::move(*s)));
    (void)h;
  }
}

}  // namespace

Result<SocketAddr> start_admin(Shard& shard, const AdminOptions& options) {
  auto addr = SocketAddr::parse(options.listen);
  if (!addr) {
    ZP_LOG_ERROR("admin: bad listen address '{}'", options.listen);
    return addr.error();
  }
  auto l = Listener::bind(shard, *addr, {.reuse_port = false});
  if (!l) {
    ZP_LOG_ERROR("admin: listen on {}: {}", options.listen, l.error().message());
    return l.error();
  }
  const SocketAddr bound = l->local_addr();
  ZP_LOG_INFO("admin: metrics on http://{}/metrics", bound.to_string());
  auto st = std::make_shared<AdminState>(AdminState{options, std::move(*l)});
  auto h = shard.spawn(admin_loop(std::move(st)));
  if (!h) return h.error();
  return bound;
}

}  // namespace zp::http
