// A private one-shard engine for the blocking calls and the CLI verb: runs one task to its
// end on the calling thread (on a helper thread when called from a shard thread). The MQTT
// client's pattern (services/mqtt/src/private_engine.h); it belongs in the engine once a
// third client needs it.
#pragma once

#include <thread>
#include <utility>

#include "zp/engine/backend.h"
#include "zp/engine/shard.h"
#include "zp/result.h"

namespace zp::smtp::detail {

// make() -> Task<Result<T>>, run to its end on a private shard on this thread (on a helper
// thread when this is a shard thread: it must not block in a nested loop).
template <class T, class F>
inline Result<T> run_private(F&& make) {
  if (Shard::current()) {
    Result<T> out = zp::fail(ECANCELED);
    std::thread t([&] { out = run_private<T>(std::forward<F>(make)); });
    t.join();
    return out;
  }
  BackendOptions bo;
  bo.sq_entries = 64;
  bo.cq_entries = 256;
  bo.recv_buffer_bytes = 16384;
  bo.recv_buffer_count = 64;
  bo.fixed_buffer_count = 2;
  auto backend = make_backend(BackendKind::automatic, bo);
  if (!backend) return backend.error();
  Shard shard(0, 1, std::move(*backend));
  Result<T> out = shard.block_on(make());
  shard.request_stop(0);
  shard.run();
  return out;
}

}  // namespace zp::smtp::detail
