/// \file
/// Task<T>: a lazily started C++20 coroutine. Awaiting it starts it and resumes the
/// awaiter when it finishes (symmetric transfer, no recursion). Frames come from the
/// current shard's frame pools (see frame_alloc.h). Each chain of awaited tasks shares a
/// TaskCtx that carries cancellation: cancelling it wakes the pending operation with
/// ECANCELED and makes later operations fail at once.
/// \code
///   zp::Task<int> answer() { co_return 42; }
///   zp::Task<void> main_task() { int v = co_await answer(); }
/// \endcode
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <utility>

#include "zp/engine/frame_alloc.h"
#include "zp/result.h"

namespace zp {

class Shard;

/// Cancellation and bookkeeping shared by a chain of awaiting tasks.
struct TaskCtx {
  // The flags last: a spawned task's bookkeeping (SpawnState, which derives from this)
  // packs its reference count into the tail padding.
  void (*cancel_hook)(void*) = nullptr;  ///< the pending wait (I/O, timer, queue) cancels through this
  void* cancel_arg = nullptr;  ///< argument of cancel_hook
  TaskCtx* child = nullptr;       ///< a nested scope (with_timeout) that cancels with us
  bool cancelled = false;  ///< set by cancel(); later waits fail at once
  bool idle = false;              ///< waiting for a new request: cancelled at graceful stop
  /// Cancels the chain: the pending wait completes with ECANCELED, later ones fail at once.
  void cancel();
};

namespace detail {

/// Defined by the shard: the root task of a spawn finished (its ctx is the spawn's
/// bookkeeping); returns the coroutine to resume next.
std::coroutine_handle<> on_spawned_task_done(Shard* shard, TaskCtx* ctx);

struct PromiseBase {
  // Where final_suspend goes: the awaiting coroutine's address, or, for the root of a
  // spawn (which nobody awaits), its Shard with the low bit set. One word instead of two
  // in every frame.
  uintptr_t then = uintptr_t(std::noop_coroutine().address());
  TaskCtx* ctx = nullptr;

  void set_continuation(std::coroutine_handle<> h) { then = uintptr_t(h.address()); }
  void set_spawn_root(Shard* shard) { then = uintptr_t(shard) | 1; }

  static void* operator new(size_t size) { return frame_alloc(size); }
  static void operator delete(void* p, size_t size) { frame_free(p, size); }

  std::suspend_always initial_suspend() noexcept { return {}; }
  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      auto& p = h.promise();
      uintptr_t then = p.then;
      if (then & 1) {
        TaskCtx* ctx = p.ctx;
        h.destroy();
        return on_spawned_task_done(reinterpret_cast<Shard*>(then & ~uintptr_t(1)), ctx);
      }
      return std::coroutine_handle<>::from_address(reinterpret_cast<void*>(then));
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  /// Engine code does not throw; an escaping exception is a programmer error.
  void unhandled_exception() noexcept { std::terminate(); }
};

template <class T>
struct Promise : PromiseBase {
  union {
    T value;
  };
  bool has_value = false;
  Promise() {}
  ~Promise() {
    if (has_value) value.~T();
  }
  template <class U>
  void return_value(U&& v) {
    new (&value) T(std::forward<U>(v));
    has_value = true;
  }
  auto get_return_object();
};

template <>
struct Promise<void> : PromiseBase {
  void return_void() {}
  auto get_return_object();
};

}  // namespace detail

template <class T = void>
/// A lazily started coroutine returning T (see the file comment).
class [[nodiscard]] Task {
 public:
  using promise_type = detail::Promise<T>;  ///< the coroutine's promise
  using Handle = std::coroutine_handle<promise_type>;  ///< the coroutine's handle

  Task() = default;
  explicit Task(Handle h) : h_(h) {}  ///< owns the frame of h
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}  ///< takes o's frame; o is left empty
  Task& operator=(Task&& o) noexcept {  ///< destroys ours, takes o's
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  ~Task() {
    if (h_) h_.destroy();
  }

  bool valid() const { return bool(h_); }  ///< false for a default or released task

  /// What co_await on a Task uses: starts it, resumes the awaiter with its result.
  struct Awaiter {
    /// \cond internal
    Handle h;
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> awaiting) noexcept {
      h.promise().set_continuation(awaiting);
      if (!h.promise().ctx) h.promise().ctx = awaiting.promise().ctx;
      return h;
    }
    T await_resume() {
      if constexpr (!std::is_void_v<T>) return std::move(h.promise().value);
    }
    /// \endcond
  };
  Awaiter operator co_await() && noexcept { return Awaiter{h_}; }  ///< awaiting starts the task; the result is the coroutine's value

  /// For the spawner: hands the frame over (the caller now owns its destruction).
  Handle release() { return std::exchange(h_, {}); }
  Handle handle() const { return h_; }  ///< the frame, still owned by the task

 private:
  Handle h_{};
};

namespace detail {
template <class T>
inline auto Promise<T>::get_return_object() {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline auto Promise<void>::get_return_object() {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace detail

/// The TaskCtx of the coroutine awaiting `h`: every engine awaiter reads it in await_suspend.
template <class P>
TaskCtx* ctx_of(std::coroutine_handle<P> h) {
  return h.promise().ctx;
}

/// Awaitable that yields the current TaskCtx without suspending.
struct CurrentCtx {
  /// \cond internal
  TaskCtx* ctx = nullptr;
  bool await_ready() noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    ctx = h.promise().ctx;
    return false;
  }
  TaskCtx* await_resume() noexcept { return ctx; }
  /// \endcond
};

}  // namespace zp
