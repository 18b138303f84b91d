/// \file
/// Runtime: starts N shards (threads pinned to cores, each with its own backend), runs a
/// setup function on each, handles SIGINT/SIGTERM (graceful stop) and SIGHUP (reload
/// event to every shard), and joins them.
/// \code
///   zp::Runtime rt({.shards = 2});
///   auto r = rt.run([](zp::Shard& s) -> zp::Result<void> { s.spawn(serve(s)); return {}; });
/// \endcode
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "zp/engine/backend.h"
#include "zp/engine/fault.h"
#include "zp/engine/shard.h"
#include "zp/result.h"

namespace zp {

/// How a Runtime starts its shards.
struct RuntimeOptions {
  unsigned shards = 0;                 ///< 0: one per online core
  BackendKind backend = BackendKind::automatic;  ///< io_uring, epoll, or automatic (io_uring unless refused)
  BackendOptions backend_options{};  ///< ring and buffer sizes of each shard's backend
  /// Set: every shard's backend runs behind the fault-injection layer (services' tests).
  std::optional<FaultOptions> faults;
  ShardOptions shard_options{};  ///< each shard's limits
  bool pin_threads = true;  ///< pin shard i to the i-th allowed CPU
  bool handle_signals = true;          ///< SIGINT/SIGTERM stop, SIGHUP reload
  std::chrono::milliseconds drain_timeout{5000};  ///< how long a stop waits for busy tasks before cancelling them
  /// Called on the main thread after every shard's setup succeeded (listeners are bound):
  /// the place to drop privileges. An error stops the runtime.
  std::function<Result<void>()> after_setup;
};

/// Starts and stops the shards (see the file comment).
class Runtime {
 public:
  /// A runtime with no shard yet: run() makes them.
  explicit Runtime(RuntimeOptions opts = {});
  ~Runtime();

  /// Runs setup(shard) on each shard's own thread, then every shard's loop, until stop()
  /// or a signal. Returns the first setup error, or success after a clean drain.
  Result<void> run(std::function<Result<void>(Shard&)> setup);
  /// Thread-safe: stop accepting, let shards drain (up to drain_timeout), then return from run().
  void stop();
  /// Thread-safe: deliver a reload event to every shard.
  void reload();

  unsigned shard_count() const { return unsigned(shards_.size()); }  ///< shards made by run()
  Shard& shard(unsigned i) { return *shards_[i]; }  ///< shard i (only while run() runs)
  const BackendInfo* backend_info() const;  ///< the first shard's backend info, or null before run()

 private:
  RuntimeOptions opts_;
  std::vector<std::unique_ptr<Shard>> shards_;
  /// Guards shards_' pointers against stop()/reload() from other threads (signal waiter,
  /// embedders) while a shard thread makes or destroys its shard.
  std::mutex shards_mu_;
  std::atomic<bool> stopping_{false};
};

}  // namespace zp
