/// \file
/// IdleGuard: a connection's idle timeout without a timer operation per read. One timer per
/// connection that, when it fires, either cancels the connection's task or moves itself to
/// the last activity + timeout; touch() after each read is a store.
/// \code
///   IdleGuard idle(Shard::current(), co_await CurrentCtx{}, 10000);
///   for (;;) { auto b = co_await s.recv(); ...; idle.touch(); }
/// \endcode
#pragma once

#include <cstdint>

#include "zp/engine/shard.h"
#include "zp/engine/task.h"

namespace zp {

/// A connection's idle timeout (see the file comment); lives in the connection's frame.
struct IdleGuard {
  Shard* shard;  ///< the shard whose timer wheel it uses
  TaskCtx* ctx;  ///< the task cancelled when idle too long
  int64_t timeout_ms;  ///< idle time allowed
  int64_t last_active_ms;  ///< last touch()
  Timer timer;  ///< the one timer

  /// Arms the timer for `t` ms from now on shard `s`; cancels `c` when it expires untouched.
  IdleGuard(Shard* s, TaskCtx* c, int64_t t) : shard(s), ctx(c), timeout_ms(t), last_active_ms(s->now_ms()) {
    timer.arg = this;
    timer.fire = [](Timer* tm) {
      auto* g = static_cast<IdleGuard*>(tm->arg);
      int64_t due = g->last_active_ms + g->timeout_ms;
      if (g->shard->now_ms() >= due) g->ctx->cancel();
      else g->shard->timers().add(g->timer, due);
    };
    shard->timers().add(timer, last_active_ms + timeout_ms);
  }
  ~IdleGuard() { shard->timers().remove(timer); }
  IdleGuard(const IdleGuard&) = delete;
  IdleGuard& operator=(const IdleGuard&) = delete;
  void touch() { last_active_ms = shard->now_ms(); }  ///< marks activity now (a store, no timer operation)
  /// A new timeout from now (a connection's own, once it has said what it is).
  void set_timeout(int64_t t) {
    timeout_ms = t;
    touch();
    shard->timers().remove(timer);
    shard->timers().add(timer, last_active_ms + timeout_ms);
  }
};

}  // namespace zp
