// Allocation micro-benchmarks: the alloc/ building blocks against the process allocator.
//   bench_alloc            : against glibc malloc
//   bench_alloc_mimalloc   : the same code with mimalloc interposed (as in the zproto binary)
// Items per second = allocations per second (each item is one allocation and its release).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>

#include "zp/alloc/arena.h"
#include "zp/alloc/slab_pool.h"
#include "zp/engine/backend.h"
#include "zp/engine/shard.h"
#include "zp/engine/task.h"

namespace {

constexpr int kBatch = 100;

// ---- Arena: 100 bump allocations, then one reset ----

void BM_ArenaBatch(benchmark::State& state) {
  const size_t size = size_t(state.range(0));
  zp::Arena arena({.chunk_bytes = 64 * 1024, .max_bytes = 1u << 20});
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      auto p = arena.allocate(size, 16);
      if (!p) state.SkipWithError("arena ENOMEM");
      benchmark::DoNotOptimize(*p);
      static_cast<char*>(*p)[0] = char(i);  // touch it, as a user would
    }
    arena.reset();
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_ArenaBatch)->Arg(64)->Arg(256);

// ---- malloc/free: 100 allocations, then 100 frees ----

void BM_MallocBatch(benchmark::State& state) {
  const size_t size = size_t(state.range(0));
  void* ptrs[kBatch];
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      ptrs[i] = std::malloc(size);
      benchmark::DoNotOptimize(ptrs[i]);
      static_cast<char*>(ptrs[i])[0] = char(i);
    }
    for (int i = 0; i < kBatch; ++i) std::free(ptrs[i]);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_MallocBatch)->Arg(64)->Arg(256);

// ---- SlabPool: 100 allocations, then 100 frees (same pattern as BM_MallocBatch) ----

void BM_SlabPoolBatch(benchmark::State& state) {
  const size_t size = size_t(state.range(0));
  zp::SlabPool pool({.block_bytes = size, .blocks_per_slab = 128, .max_blocks = 4096});
  void* ptrs[kBatch];
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      auto p = pool.allocate();
      if (!p) state.SkipWithError("slab ENOMEM");
      ptrs[i] = *p;
      benchmark::DoNotOptimize(ptrs[i]);
      static_cast<char*>(ptrs[i])[0] = char(i);
    }
    for (int i = 0; i < kBatch; ++i) pool.free(ptrs[i]);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_SlabPoolBatch)->Arg(64)->Arg(256);

// ---- one allocate/free pair (the connection-object pattern) ----

void BM_SlabPoolPair(benchmark::State& state) {
  zp::SlabPool pool({.block_bytes = size_t(state.range(0)), .blocks_per_slab = 64, .max_blocks = 1024});
  for (auto _ : state) {
    auto p = pool.allocate();
    benchmark::DoNotOptimize(*p);
    pool.free(*p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SlabPoolPair)->Arg(64)->Arg(256);

void BM_MallocPair(benchmark::State& state) {
  const size_t size = size_t(state.range(0));
  for (auto _ : state) {
    void* p = std::malloc(size);
    benchmark::DoNotOptimize(p);
    std::free(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MallocPair)->Arg(64)->Arg(256);

// ---- coroutine frames: a trivial Task<int> awaited 1000 times ----

zp::Task<int> trivial(int v) { co_return v + 1; }

__attribute__((noinline)) zp::Task<int> await_many(int n) {
  int acc = 0;
  for (int i = 0; i < n; ++i) acc += co_await trivial(i);
  co_return acc;
}

// Runs the outer task to completion by hand: every inner await completes synchronously
// (symmetric transfer), so one resume() finishes it; no loop turn, no spawn.
int drive(zp::Task<int> t) {
  auto h = t.handle();
  h.resume();
  if (!h.done()) std::abort();
  return std::move(h.promise().value);
}

void coro_frames(benchmark::State& state) {
  for (auto _ : state) {
    int r = drive(await_many(1000));
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}

// Frames from the shard's size-classed slab pools.
void BM_CoroFrames_Shard(benchmark::State& state) {
  auto backend = zp::make_backend(zp::BackendKind::automatic, {.sq_entries = 64, .cq_entries = 256,
                                   .recv_buffer_bytes = 4096, .recv_buffer_count = 16,
                                   .fixed_buffer_bytes = 4096, .fixed_buffer_count = 1});
  if (!backend) {
    state.SkipWithError("no backend");
    return;
  }
  auto shard = std::make_unique<zp::Shard>(0, 1, std::move(*backend));
  if (zp::Shard::current() != shard.get()) {
    state.SkipWithError("another shard owns this thread");
    return;
  }
  coro_frames(state);
  state.SetLabel("frames from shard pools");
}
BENCHMARK(BM_CoroFrames_Shard);

// No shard on the thread: frames come from the heap (operator new).
void BM_CoroFrames_Heap(benchmark::State& state) {
  if (zp::Shard::current() != nullptr) {
    state.SkipWithError("a shard is installed on this thread");
    return;
  }
  coro_frames(state);
  state.SetLabel("frames from the heap");
}
BENCHMARK(BM_CoroFrames_Heap);

}  // namespace
