/// \file
/// Fault injection: a Backend that wraps another and, driven by a seeded PRNG, makes
/// sends short, splits receives, ends multishot receives with ENOBUFS, resets
/// connections, fails fdatasync with EIO (when asked), makes cross-shard wake-ups take their fallback path, and delays/reorders
/// completions across operations (each operation's own
/// completions stay in order). Every service's tests run on it; a failing run replays
/// from its seed:  ZP_FAULT_SEED=1234 ctest -R ...
/// \code
///   auto b = zp::make_fault_backend(std::move(inner), zp::FaultOptions::from_env());
/// \endcode
#pragma once

#include <cstdint>
#include <memory>

#include "zp/engine/backend.h"

namespace zp {

/// What the fault-injecting backend does, and how often (probabilities per operation).
struct FaultOptions {
  uint64_t seed = 1;             ///< from_env(): ZP_FAULT_SEED, else a random seed
  double short_send = 0.25;      ///< a sendmsg sends only part of its bytes
  double split_recv = 0.25;      ///< a received buffer arrives as two completions
  double enobufs = 0.05;         ///< a multishot recv ends with ENOBUFS (data kept, in order)
  double delay = 0.25;           ///< a completion is held back 1..3 loop turns
  double reset = 0.0;            ///< a recv completes with ECONNRESET (off unless a test wants it)
  double failed_wake = 0.05;     ///< a cross-shard wake's fast path (MSG_RING) fails
  double sync_eio = 0.0;         ///< a successful sync() (fdatasync) reports EIO (off unless a test wants it)
  /// Reads ZP_FAULT_SEED (decimal); without it (or if it does not parse) picks a random
  /// seed. Other fields keep their defaults.
  static FaultOptions from_env();
};

/// Returns a backend that owns `inner` and injects faults into its operations. Prints
/// "zp fault injection: seed=N (replay: ZP_FAULT_SEED=N)" to stderr, once per backend.
std::unique_ptr<Backend> make_fault_backend(std::unique_ptr<Backend> inner, FaultOptions opts);

/// Counters of what was injected, for tests to assert the faults really happened.
struct FaultStats {
  uint64_t short_sends = 0;  ///< sends cut short
  uint64_t split_recvs = 0;  ///< receives split in two
  uint64_t enobufs = 0;  ///< multishot receives ended with ENOBUFS
  uint64_t delayed = 0;  ///< completions held back
  uint64_t resets = 0;  ///< receives failed with ECONNRESET
  uint64_t failed_wakes = 0;  ///< cross-shard wakes whose fast path failed
  uint64_t sync_errors = 0;  ///< syncs turned into EIO
};
/// nullptr when b is not a fault backend.
const FaultStats* fault_stats(const Backend& b);
/// The seed b runs with; 0 when b is not a fault backend.
uint64_t fault_seed(const Backend& b);

}  // namespace zp
