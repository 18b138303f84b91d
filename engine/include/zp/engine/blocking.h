/// \file
/// Blocking work off the shard: a small pool of worker threads with a bounded queue, and an
/// awaitable that runs a blocking call there (getaddrinfo, a slow stat) and resumes the
/// calling task on its own shard through Shard::post_external — so it works on every backend.
/// \code
///   zp::BlockingPool pool({.threads = 1, .max_queued = 64});
///   auto r = co_await zp::run_blocking(pool, [] { return zp::Result<int>(slow_call()); });
///   // r: fn's result; EAGAIN when the queue is full; ECANCELED when the task was cancelled.
/// \endcode
#pragma once

#include <condition_variable>
#include <coroutine>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "zp/engine/shard.h"
#include "zp/engine/task.h"
#include "zp/result.h"

namespace zp {

/// Size and queue bound of a BlockingPool.
struct BlockingPoolOptions {
  unsigned threads = 1;      ///< started lazily, on the first post()
  size_t max_queued = 64;    ///< jobs waiting for a thread; beyond, post() fails with EAGAIN
};

/// Worker threads for blocking calls. Owned by one user (a client, a service); destroy it
/// before the shards whose tasks used it: the destructor drops queued jobs and joins the
/// workers (a job already running finishes first).
class BlockingPool {
 public:
  /// A pool that starts no thread until the first post().
  explicit BlockingPool(BlockingPoolOptions opts = {}) : opts_(opts) {}
  ~BlockingPool() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      queue_.clear();
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  /// Queues job for a worker thread. EAGAIN when max_queued jobs wait already.
  Result<void> post(std::function<void()> job) {
    {
      std::lock_guard lock(mu_);
      if (queue_.size() >= opts_.max_queued) return fail(EAGAIN);
      queue_.push_back(std::move(job));
      // One more thread while some are missing and none is idle.
      if (threads_.size() < opts_.threads && idle_ == 0) threads_.emplace_back([this] { work(); });
    }
    cv_.notify_one();
    return {};
  }

 private:
  void work() {
    std::unique_lock lock(mu_);
    for (;;) {
      ++idle_;
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      --idle_;
      if (stopping_) return;
      auto job = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
  }

  BlockingPoolOptions opts_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool stopping_ = false;
};

namespace detail {
/// Shared with the worker: the caller may have given up (cancelled) when the result lands.
template <class R>
struct BlockingState {
  std::optional<R> result;
  std::coroutine_handle<> waiter;
  TaskCtx* ctx = nullptr;
  Shard* shard = nullptr;                // the caller's (used on its thread only)
  std::shared_ptr<ShardPoster> poster;  // the worker's way back: safe if the shard is gone
  bool abandoned = false;
};

template <class R>
struct BlockingAwaiter {
  BlockingState<R>* st;
  bool await_ready() noexcept { return st->result.has_value(); }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    st->ctx = h.promise().ctx;
    if (st->ctx && st->ctx->cancelled) return false;
    st->waiter = h;
    if (st->ctx) {
      st->ctx->cancel_hook = [](void* a) {
        auto* s = static_cast<BlockingState<R>*>(a);
        s->abandoned = true;
        // Resume on the next turn, not inside whoever called cancel().
        if (s->waiter) s->shard->schedule(std::exchange(s->waiter, {}));
      };
      st->ctx->cancel_arg = st;
    }
    return true;
  }
  void await_resume() noexcept {}
};

template <class R>
Task<R> await_blocking(std::shared_ptr<BlockingState<R>> st, Result<void> posted) {
  if (!posted) co_return R(posted.error());
  co_await BlockingAwaiter<R>{st.get()};
  if (!st->result) {
    st->abandoned = true;
    co_return R(fail(ECANCELED));
  }
  co_return std::move(*st->result);
}
}  // namespace detail

/// Queues fn() (returning a Result<...>) on one of pool's threads at once and returns the
/// task that resumes the caller on its shard with the result. EAGAIN when the pool's queue
/// is full; ECANCELED when the awaiting task is cancelled first (fn then still runs; its
/// result is dropped). fn is not a coroutine parameter: it moves straight to the worker.
template <class F>
auto run_blocking(BlockingPool& pool, F fn) -> Task<decltype(fn())> {
  using R = decltype(fn());
  auto st = std::make_shared<detail::BlockingState<R>>();
  st->shard = Shard::current();
  st->poster = st->shard->poster();
  auto posted = pool.post([st, fn = std::move(fn)]() mutable {
    R r = fn();
    // A shard destroyed meanwhile (stopped without draining) drops the result.
    st->poster->post([st, r = std::move(r)]() mutable {
      if (st->abandoned) return;  // the caller was cancelled and resumed already
      st->result.emplace(std::move(r));
      if (st->ctx) st->ctx->cancel_hook = nullptr;
      if (st->waiter) std::exchange(st->waiter, {}).resume();
    });
  });
  return detail::await_blocking<R>(std::move(st), posted);
}

}  // namespace zp
