// Example: time on the engine — sleeping, deadlines, cancellation and blocking calls.
// Shows: zp::sleep on the shard's timer wheel, with_timeout (ETIMEDOUT and the inner task
// cancelled), cancelling a spawned task through its TaskHandle (its pending sleep ends with
// ECANCELED), and run_blocking, which moves a blocking call to a worker thread so the shard
// keeps running its other tasks meanwhile.
#include <chrono>
#include <cstdio>
#include <thread>

#include "zp/engine/backend.h"
#include "zp/engine/blocking.h"
#include "zp/engine/shard.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

long ms_since(Clock::time_point t0) {
  return long(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
}

zp::Task<zp::Result<int>> answer_after(std::chrono::milliseconds d) {
  if (auto s = co_await zp::sleep(d); !s) co_return s.error();  // ECANCELED on timeout
  co_return 42;
}

// Ticks every 10 ms until cancelled; counts into *ticks.
zp::Task<void> ticker(int* ticks) {
  for (;;) {
    auto s = co_await zp::sleep(10ms);
    if (!s) co_return;  // ECANCELED: our TaskHandle was cancelled
    ++*ticks;
  }
}

zp::Task<void> demo(zp::BlockingPool& pool) {
  zp::Shard& shard = *zp::Shard::current();

  auto t0 = Clock::now();
  (void)co_await zp::sleep(20ms);
  std::printf("slept 20 ms: %s\n", ms_since(t0) >= 20 ? "ok" : "too short");

  auto fast = co_await zp::with_timeout(200ms, answer_after(10ms));
  std::printf("within the deadline: %d\n", fast ? *fast : -1);

  t0 = Clock::now();
  auto slow = co_await zp::with_timeout(50ms, answer_after(5000ms));
  std::printf("past the deadline: %s (after %s)\n",
              !slow && slow.error() == std::errc::timed_out ? "timed out" : "unexpected",
              ms_since(t0) < 1000 ? "50 ms, not 5 s" : "too long");

  int ticks = 0;
  auto h = shard.spawn(ticker(&ticks));
  if (!h) co_return;
  // A blocking call (here: a 50 ms sleep of the thread) runs on the pool's worker; the
  // ticker keeps ticking on the shard while we wait for it.
  auto blocking = co_await zp::run_blocking(pool, [] {
    std::this_thread::sleep_for(50ms);
    return zp::Result<int>(7);
  });
  std::printf("blocking call returned %d; the ticker ran meanwhile: %s\n", blocking ? *blocking : -1,
              ticks > 0 ? "yes" : "no");
  h->cancel();
  co_await h->join();
  std::printf("ticker cancelled after %d ticks\n", ticks);
}

}  // namespace

int main() {
  auto backend = zp::make_backend(zp::BackendKind::automatic, {});
  if (!backend) return std::fprintf(stderr, "backend: %s\n", backend.error().message().c_str()), 1;
  zp::Shard shard(0, 1, std::move(*backend));
  {
    zp::BlockingPool pool({.threads = 1, .max_queued = 4});  // destroyed before the shard
    shard.block_on(demo(pool));
  }
  shard.request_stop(0);
  shard.run();
  std::printf("done\n");
  return 0;
}
