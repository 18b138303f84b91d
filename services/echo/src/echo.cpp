#include "zp/echo/echo.h"

#include <chrono>
#include <memory>

#include "zp/engine/idle_guard.h"
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

Task<void> accept_loop(std::shared_ptr<ShardState> st, Listener* l) {
  Shard* shard = Shard::current();
  for (;;) {
    auto s = co_await l->accept();
    if (!s) {
      if (s.error() == std::errc::operation_canceled) break;  // closed: the shard is stopping
      ZP_LOG_WARN("echo: accept on {}: {}", l->local_addr().to_string(), s.error().message());
      if (s.error() == std::errc::too_many_files_open) {
        auto paused = co_await sleep(std::chrono::milliseconds(10));  // let connections close
        (void)paused;
      }
      continue;
    }
    if (st->connections >= st->opts.max_connections) continue;  // Stream closes on scope exit
    auto h = shard->spawn(serve_connection(st, std::move(*s)));  // st outlives the listener
    if (!h) ZP_LOG_WARN("echo: cannot start a connection task: {}", h.error().message());
  }
}

}  // namespace

Result<void> start(Shard& shard, const std::vector<std::string>& listen_addrs, Options opts) {
  // Shared by the accept loops and connections: freed by whichever task ends last.
  auto st = std::make_shared<ShardState>();
  st->opts = opts;
  st->listeners.reserve(listen_addrs.size());
  for (const auto& text : listen_addrs) {
    auto addr = SocketAddr::parse(text);
    if (!addr) {
      ZP_LOG_ERROR("echo: bad listen address '{}'", text);
      return addr.error();
    }
    auto l = Listener::bind(shard, *addr);
    if (!l) {
      ZP_LOG_ERROR("echo: listen on {}: {}", text, l.error().message());
      return l.error();
    }
    st->listeners.push_back(std::move(*l));
  }
  for (auto& l : st->listeners) {
    if (shard.id() == 0) ZP_LOG_INFO("echo: listening on {}", l.local_addr().to_string());
    auto h = shard.spawn(accept_loop(st, &l));
    if (!h) return h.error();
  }
  return {};
}

}  // namespace zp::echo
