/// \file
/// Listener start-up shared by every TCP service: parse the addresses, bind, log, accept.
/// \code
///   auto ls = zp::bind_listeners(shard, "echo", opts.listen);
///   if (!ls) return ls.error();
///   st->listeners = std::move(*ls);
///   for (auto& l : st->listeners)
///     if (auto r = zp::start_accepting(shard, "echo", l, handler); !r) return r;
/// \endcode
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zp/engine/net.h"
#include "zp/engine/shard.h"
#include "zp/engine/task.h"
#include "zp/result.h"

namespace zp {

/// Binds one SO_REUSEPORT listener per "HOST:PORT" / "[V6]:PORT". The first bad address or
/// bind error is logged as "<service>: ..." and returned; listeners already bound close again.
Result<std::vector<Listener>> bind_listeners(Shard& shard, std::string_view service,
                                             std::span<const std::string> addrs,
                                             ListenOptions opts = {});

/// What an accept loop does with a connection. `admit` runs first (a per-shard connection
/// limit): false closes the stream at once. `serve` makes the connection's task; its
/// TaskCtx* is the context the task runs with (Shard::spawn_with_ctx), for its deadlines.
struct AcceptHandler {
  std::function<bool()> admit;                         ///< empty: always admit
  std::function<Task<void>(Stream, TaskCtx*)> serve;  ///< makes the connection's task
};

/// Spawns the accept loop of `l` (which must outlive it: the loop ends with ECANCELED when
/// the listener closes or the shard stops). EMFILE pauses accepting for 10 ms so live
/// connections can close; other accept errors are logged and accepting goes on. On shard 0
/// logs "<service>: listening on ADDR". `service` must outlive the loop (a literal).
Result<void> start_accepting(Shard& shard, std::string_view service, Listener& l, AcceptHandler handler);

}  // namespace zp
