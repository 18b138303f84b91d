/// \file
/// A private one-shard engine for blocking calls and command-line verbs (the HTTP, MQTT and
/// SMTP clients' blocking APIs, `zproto dig`): small rings for one connection at a time, one
/// task run to its end, then the sockets' last operations before the shard goes away.
/// \code
///   Result<int> r = zp::run_on_private_shard<int>([&] { return some_task(); });
/// \endcode
#pragma once

#include <thread>
#include <type_traits>
#include <utility>

#include "zp/engine/backend.h"
#include "zp/engine/shard.h"
#include "zp/result.h"

namespace zp {

/// Backend sizes for a private shard that holds one connection at a time.
inline BackendOptions private_shard_backend_options() {
  BackendOptions bo;
  bo.sq_entries = 64;
  bo.cq_entries = 256;
  bo.recv_buffer_bytes = 16384;
  bo.recv_buffer_count = 64;
  bo.fixed_buffer_count = 2;
  return bo;
}

/// Runs make() (or make(shard)) -> Task<Result<T>> to its end on a private shard on this
/// thread, or on a helper thread when this is a shard's thread (a shard must not block in a
/// nested loop). What the task owns ends with it, before the shard stops.
template <class T, class F>
Result<T> run_on_private_shard(F&& make) {
  if (Shard::current()) {
    Result<T> out = fail(ECANCELED);
    std::thread t([&] { out = run_on_private_shard<T>(std::forward<F>(make)); });
    t.join();
    return out;
  }
  auto backend = make_backend(BackendKind::automatic, private_shard_backend_options());
  if (!backend) return backend.error();
  Shard shard(0, 1, std::move(*backend));
  Result<T> out = fail(ECANCELED);
  if constexpr (std::is_invocable_v<F&, Shard&>) out = shard.block_on(make(shard));
  else out = shard.block_on(make());
  shard.request_stop(0);
  shard.run();
  return out;
}

}  // namespace zp
