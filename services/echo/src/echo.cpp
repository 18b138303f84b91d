#include "zp/echo/echo.h"

#include <chrono>
#include <optional>

#include "zp/engine/deadline_list.h"
#include "zp/engine/listen.h"
#include "zp/engine/local_rc.h"
#include "zp/engine/log.h"
#include "zp/engine/net.h"

namespace zp::echo {

namespace {

struct ShardState {
  Options opts;
  size_t connections = 0;
  std::vector<Listener> listeners;
  std::optional<DeadlineLists> idle;  // one length: the idle timeout
};

// A connection: the one parameter of its coroutine, so its idle frame holds this, the
// pending receive and little else (GCC gives every local its own slot): the shard state,
// the stream and its place in the shard's idle list.
struct Conn {
  LocalRc<ShardState> st;
  Stream s;
  DeadlineLink idle;
  // `ctx`: the connection task's (Shard::spawn_with_ctx), cancelled when idle too long.
  Conn(LocalRc<ShardState> state, Stream stream, TaskCtx* ctx) : st(std::move(state)), s(std::move(stream)) {
    idle.ctx = ctx;
  }
  // Before its link is set only.
  Conn(Conn&& o) noexcept : st(std::move(o.st)), s(std::move(o.s)) { idle.ctx = o.idle.ctx; }
  ~Conn() { DeadlineLists::remove(idle); }
};

// Marks activity and sends the bytes back, in its own short-lived frame: an idle
// connection's frame then holds no send state.
Task<bool> echo_back(Conn& c, const RecvBuf& b) {
  c.st->idle->set(c.idle, 0);
  auto w = co_await c.s.send(b.bytes());
  co_return w.ok();
}

Task<void> serve_connection(Conn c) {
  ++c.st->connections;
  c.st->idle->set(c.idle, 0);
  for (;;) {
    auto b = co_await c.s.recv();
    if (!b || b->eof()) break;
    // Zero copy: the received buffer goes straight back out.
    if (!co_await echo_back(c, *b)) break;
  }
  --c.st->connections;
}

}  // namespace

Result<void> start(Shard& shard, const std::vector<std::string>& listen_addrs, Options opts) {
  // Shared by the accept loops and connections: freed by whichever task ends last.
  auto st = LocalRc<ShardState>::make();
  st->opts = opts;
  st->idle.emplace(shard, std::initializer_list<int64_t>{opts.idle_timeout_ms});
  auto listeners = bind_listeners(shard, "echo", listen_addrs);
  if (!listeners) return listeners.error();
  st->listeners = std::move(*listeners);
  for (auto& l : st->listeners) {
    AcceptHandler h{.admit = [st] { return st->connections < st->opts.max_connections; },
                    .serve = [st](Stream s, TaskCtx* ctx) { return serve_connection(Conn(st, std::move(s), ctx)); }};
    if (auto r = start_accepting(shard, "echo", l, std::move(h)); !r) return r;
  }
  return {};
}

}  // namespace zp::echo
