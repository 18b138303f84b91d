// The cross-shard path between two shards: messages per second through submit_to (the SPSC
// ring plus the wake-up, back-pressure retried on the next loop turn) and the round trip of
// invoke_on (there and back: two wake-ups), on io_uring (MSG_RING) and epoll (eventfd).
//   build/release/bench/bench_cross_shard --benchmark_repetitions=3
// Each iteration runs a fresh two-shard Runtime; the time is measured inside it (manual
// time) from the first send to the last arrival, so thread start-up is not counted.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>

#include "zp/engine/runtime.h"
#include "zp/engine/shard.h"
#include "zp/engine/task.h"

namespace {

using Clock = std::chrono::steady_clock;

zp::RuntimeOptions two_shards(int64_t backend) {
  zp::RuntimeOptions o;
  o.shards = 2;
  o.backend = backend == 0 ? zp::BackendKind::io_uring : zp::BackendKind::epoll;
  o.handle_signals = false;
  o.pin_threads = true;  // shard 0 on CPU 0, shard 1 on CPU 1
  return o;
}

const char* backend_label(int64_t backend) { return backend == 0 ? "io_uring" : "epoll"; }

// Shard 0 sends `count` messages to shard 1 as fast as the ring takes them.
void BM_SubmitTo(benchmark::State& state) {
  const int64_t count = 1 << 20;
  uint64_t full = 0;
  for (auto _ : state) {
    zp::Runtime rt(two_shards(state.range(0)));
    std::atomic<int64_t> received{0};
    Clock::time_point start, end;
    uint64_t refused = 0;
    auto r = rt.run([&](zp::Shard& s) -> zp::Result<void> {
      if (s.id() != 0) return {};
      auto h = s.spawn([](zp::Shard& s, int64_t count, std::atomic<int64_t>& received, Clock::time_point& start,
                          Clock::time_point& end, uint64_t& refused, zp::Runtime& rt) -> zp::Task<void> {
        start = Clock::now();
        for (int64_t i = 0; i < count; ++i) {
          // Shard 1 owns `received` in effect: only it writes; shard 0 polls at the end.
          while (!s.submit_to(1, [&received] { received.fetch_add(1, std::memory_order_relaxed); })) {
            co_await s.yield();
          }
        }
        while (received.load(std::memory_order_relaxed) < count) co_await s.yield();
        end = Clock::now();
        refused = s.cross_shard_stats().full;
        rt.stop();
      }(s, count, received, start, end, refused, rt));
      return h ? zp::Result<void>{} : zp::Result<void>(h.error());
    });
    if (!r) {
      state.SkipWithError(r.error().message().c_str());
      return;
    }
    state.SetIterationTime(std::chrono::duration<double>(end - start).count());
    full += refused;
  }
  state.SetItemsProcessed(state.iterations() * count);
  state.counters["full_per_msg"] =
      benchmark::Counter(double(full) / double(state.iterations() * count));
  state.SetLabel(backend_label(state.range(0)));
}

// Shard 0 awaits `count` invoke_on(1, ...) one after the other: each is a round trip.
void BM_InvokeOnRoundTrip(benchmark::State& state) {
  const int64_t count = 100000;
  for (auto _ : state) {
    zp::Runtime rt(two_shards(state.range(0)));
    Clock::time_point start, end;
    int64_t sum = 0;
    auto r = rt.run([&](zp::Shard& s) -> zp::Result<void> {
      if (s.id() != 0) return {};
      auto h = s.spawn([](int64_t count, int64_t& sum, Clock::time_point& start, Clock::time_point& end,
                          zp::Runtime& rt) -> zp::Task<void> {
        start = Clock::now();
        for (int64_t i = 0; i < count; ++i) sum += co_await zp::invoke_on(1, [i] { return i; });
        end = Clock::now();
        rt.stop();
      }(count, sum, start, end, rt));
      return h ? zp::Result<void>{} : zp::Result<void>(h.error());
    });
    if (!r || sum != count * (count - 1) / 2) {
      state.SkipWithError(r ? "wrong sum" : r.error().message().c_str());
      return;
    }
    state.SetIterationTime(std::chrono::duration<double>(end - start).count() / double(count));
  }
  state.SetLabel(backend_label(state.range(0)));
}

}  // namespace

BENCHMARK(BM_SubmitTo)->Arg(0)->Arg(1)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(5);
// Manual time per iteration is the time of one round trip.
BENCHMARK(BM_InvokeOnRoundTrip)->Arg(0)->Arg(1)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(5);
