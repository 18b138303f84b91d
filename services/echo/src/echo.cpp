#include "zp/echo/echo.h"

#include <chrono>
#include <memory>

#include "zp/engine/idle_guard.h"
#include "zp/engine/listen.h"
#include "zp/engine/log.h"
#include "zp/engine/net.h"

namespace zp::echo {

namespace {

struct ShardState {
  Options opts;
  size_t connections = 0;
  std::vector<Listener> listeners;
};

// The send runs in its own short-lived frame: an idle connection's frame then holds no
// send state (a few hundred bytes per connection at 10,000 connections).
Task<bool> echo_back(Stream& s, const RecvBuf& b) {
  auto w = co_await s.send(b.bytes());
  co_return w.ok();
}

Task<void> serve_connection(std::shared_ptr<ShardState> st, Stream s) {
  ++st->connections;
  {
    TaskCtx* ctx = co_await CurrentCtx{};
    IdleGuard idle(Shard::current(), ctx, st->opts.idle_timeout_ms);
    for (;;) {
      auto b = co_await s.recv();
      if (!b || b->eof()) break;
      idle.touch();
      // Zero copy: the received buffer goes straight back out.
      if (!co_await echo_back(s, *b)) break;
    }
  }
  --st->connections;
}

}  // namespace

Result<void> start(Shard& shard, const std::vector<std::string>& listen_addrs, Options opts) {
  // Shared by the accept loops and connections: freed by whichever task ends last.
  auto st = std::make_shared<ShardState>();
  st->opts = opts;
  auto listeners = bind_listeners(shard, "echo", listen_addrs);
  if (!listeners) return listeners.error();
  st->listeners = std::move(*listeners);
  for (auto& l : st->listeners) {
    AcceptHandler h{.admit = [st] { return st->connections < st->opts.max_connections; },
                    .serve = [st](Stream s) { return serve_connection(st, std::move(s)); }};
    if (auto r = start_accepting(shard, "echo", l, std::move(h)); !r) return r;
  }
  return {};
}

}  // namespace zp::echo
