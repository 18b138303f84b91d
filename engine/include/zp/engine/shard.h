/// \file
/// Shard: one thread's reactor — its backend, timer wheel, cached clock, coroutine frame
/// pools, spawned tasks and cross-shard inboxes. Nothing in it is touched by another
/// thread except through submit_to()/post_external() and wake-ups.
/// \code
///   zp::Shard& s = *zp::Shard::current();
///   auto h = s.spawn(serve_connection(std::move(stream)));
///   co_await zp::sleep(std::chrono::milliseconds(10));
/// \endcode
#pragma once

#include <atomic>
#include <chrono>
#include <coroutine>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "zp/alloc/slab_pool.h"
#include "zp/engine/backend.h"
#include "zp/engine/inline_fn.h"
#include "zp/engine/spsc_queue.h"
#include "zp/engine/task.h"
#include "zp/engine/timer_wheel.h"
#include "zp/result.h"

namespace zp {

class FramePools;
class Shard;

/// An intrusive link for RetryList: embed it (as a base) in the object to retry.
/// Queued: retry_prev is set, or it is the list's head.
struct RetryLink {
  RetryLink* retry_prev = nullptr;  ///< previous in the list
  RetryLink* retry_next = nullptr;  ///< next in the list
};

/// Objects that retry something together after a short delay (the sockets re-arm their
/// receive after the provided buffers ran out): one shared timer instead of one per
/// object, so the object pays two pointers, not a Timer.
class RetryList {
 public:
  /// A list whose due objects are passed to `fire`.
  explicit RetryList(void (*fire)(RetryLink*)) : fire_(fire) {}
  /// Queues l (no-op if queued) to fire delay_ms after now_ms or a little later.
  void add(TimerWheel& wheel, RetryLink& l, int64_t now_ms, int64_t delay_ms);
  /// Unqueues l; a no-op when it is not queued.
  void remove(RetryLink& l);
  ~RetryList() = default;

 private:
  void fire_all();
  bool queued(const RetryLink& l) const { return l.retry_prev || head_ == &l; }
  void (*fire_)(RetryLink*);
  RetryLink* head_ = nullptr;
  TimerWheel* wheel_ = nullptr;
  Timer timer_;
};

/// A cross-shard message kept in the sender's own memory while the target's inbox is full
/// (Shard::defer_to): an intrusive node, so waiting costs no allocation. It must stay alive
/// until `run` has been called on the target.
struct DeferredMessage {
  DeferredMessage* next = nullptr;  ///< next in the deferred list
  unsigned target = 0;  ///< the shard it goes to
  void (*run)(DeferredMessage*) = nullptr;  ///< called on the target shard
  void* arg = nullptr;                      ///< for run
};

/// Limits of one shard.
struct ShardOptions {
  size_t max_frames_per_class = 1u << 17;  ///< coroutine frames per size class
  size_t max_tasks = 1u << 18;             ///< spawned tasks alive at once
  uint32_t inbox_capacity = 1024;          ///< per sending shard
};

namespace detail {
// 64 B per spawned task: the task's TaskCtx is its base, so `refs` takes the TaskCtx's
// tail padding; `task` is null once the task has finished (no separate done flag). The
// shard is not kept here: the root frame's promise and each TaskHandle carry it.
struct SpawnState : TaskCtx {
  uint32_t refs = 0;
  std::coroutine_handle<> task;  // null: finished
  std::coroutine_handle<> joiner;
  SpawnState* prev = nullptr;
  SpawnState* next = nullptr;
  TaskCtx& ctx() { return *this; }
  bool done() const { return !task; }
};
}  // namespace detail

/// A reference to a spawned task: cancel it or wait for it. Dropping it detaches.
/// It must not outlive its Shard (the task's bookkeeping lives in the shard's pool).
class TaskHandle {
 public:
  TaskHandle() = default;
  TaskHandle(Shard* shard, detail::SpawnState* s);  ///< a handle on spawn state s of shard (the shard makes these)
  TaskHandle(const TaskHandle& o);  ///< one more reference to the same task
  TaskHandle(TaskHandle&& o) noexcept
      : shard_(o.shard_), s_(std::exchange(o.s_, nullptr)) {}  ///< takes o's reference; o is left empty
  TaskHandle& operator=(TaskHandle o) noexcept {  ///< drops ours, takes o's
    std::swap(shard_, o.shard_);
    std::swap(s_, o.s_);
    return *this;
  }
  ~TaskHandle();
  bool valid() const { return s_ != nullptr; }  ///< false for a default handle
  bool done() const { return !s_ || s_->done(); }  ///< true when the task has finished (or there is none)
  /// Cancels the task: its pending wait ends with ECANCELED.
  void cancel();
  /// Awaitable: resumes when the task has finished (at once if it has).
  struct JoinAwaiter {
    /// \cond internal
    detail::SpawnState* s;
    bool await_ready() const noexcept { return !s || s->done(); }
    void await_suspend(std::coroutine_handle<> h) noexcept { s->joiner = h; }
    void await_resume() noexcept {}
    /// \endcond
  };
  JoinAwaiter join() const { return JoinAwaiter{s_}; }  ///< the awaitable that waits for the task

 private:
  Shard* shard_ = nullptr;
  detail::SpawnState* s_ = nullptr;
};

/// Posts to a shard from a thread that may outlive it (a BlockingPool worker finishing after
/// the shard stopped): once the shard's destruction has begun, post() drops fn.
class ShardPoster {
 public:
  /// Runs fn on the shard soon (Shard::post_external); false (fn dropped) when it is gone.
  bool post(std::function<void()> fn);

 private:
  friend class Shard;
  std::mutex mu_;
  Shard* shard_ = nullptr;
};

/// One thread's reactor (see the file comment).
class Shard {
 public:
  using Clock = std::chrono::steady_clock;  ///< the clock of now()

  /// Shard `id` of `count`, running on `backend`; becomes this thread's shard if it has none.
  Shard(unsigned id, unsigned count, std::unique_ptr<Backend> backend, ShardOptions opts = {});
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  /// The shard running on this thread, or nullptr.
  static Shard* current();

  unsigned id() const { return id_; }  ///< 0 .. count()-1
  unsigned count() const { return count_; }  ///< shards in the runtime
  Backend& backend() { return *backend_; }  ///< this shard's backend

  /// Time cached once per loop turn.
  Clock::time_point now() const { return now_; }
  int64_t now_ms() const { return now_ms_; }  ///< now() in milliseconds since the shard started
  TimerWheel& timers() { return timers_; }  ///< this shard's timers

  /// Starts t at once on this shard (it runs until its first suspension). Fails with
  /// ENOMEM when max_tasks are alive; the task is then destroyed without running.
  Result<TaskHandle> spawn(Task<void> t);
  /// Like spawn(make(ctx)), where `ctx` is the TaskCtx the new task runs with: a task that
  /// needs it from its start (to hand to a deadline) gets it as a parameter instead of through
  /// an awaiter that would take a slot in its frame. ENOMEM when max_tasks are alive; `make`
  /// is then not called.
  template <class F>
  Result<TaskHandle> spawn_with_ctx(F&& make) {
    auto s = new_spawn_state();
    if (!s) return s.error();
    return start_spawn(*s, make(&(*s)->ctx()));
  }
  size_t live_tasks() const { return live_tasks_; }  ///< spawned tasks not finished

  /// Resumes h on the next loop turn.
  void schedule(std::coroutine_handle<> h) { ready_.push_back(h); }
  /// Awaitable that resumes on the next loop turn.
  auto yield() {
    struct A {
      Shard* s;
      bool await_ready() noexcept { return false; }
      void await_suspend(std::coroutine_handle<> h) { s->schedule(h); }
      void await_resume() noexcept {}
    };
    return A{this};
  }

  /// Cross-shard: runs fn on shard `target` soon. From a shard thread only (the queue is
  /// that pair's SPSC ring of ShardOptions::inbox_capacity). EAGAIN when target's inbox
  /// from us is full (backpressure: nothing is queued, the caller retries or drops);
  /// EINVAL for a target that does not exist. Messages to one target run in order.
  Result<void> submit_to(unsigned target, InlineFn fn);
  /// Like submit_to, for a message that must not be refused (a reply someone waits for):
  /// when the inbox is full, m waits in an intrusive list and is retried every loop turn,
  /// in order per target. m must outlive its run.
  void defer_to(DeferredMessage& m);
  /// Cross-shard counters, for tests and metrics (this shard as sender).
  struct CrossShardStats {
    uint64_t sent = 0;      ///< messages queued by submit_to / defer_to
    uint64_t full = 0;      ///< submit_to refused with EAGAIN
    uint64_t deferred = 0;  ///< defer_to found the inbox full
  };
  const CrossShardStats& cross_shard_stats() const { return xstats_; }  ///< this shard's cross-shard counters
  /// From any thread (slow path, a mutex): runs fn on this shard soon.
  void post_external(std::function<void()> fn);
  /// A handle for post_external that stays safe to use after the shard is destroyed.
  std::shared_ptr<ShardPoster> poster() const { return poster_; }

  /// Lifecycle.
  bool stopping() const { return stopping_; }
  /// Thread-safe: begin a graceful stop: on_stop callbacks run (listeners close), idle
  /// tasks are cancelled, the rest get drain_ms before they are cancelled too.
  void request_stop(int64_t drain_ms);
  /// Thread-safe: run every on_reload callback on this shard.
  void request_reload();
  /// Called on this shard's thread; the returned id removes it.
  size_t on_stop(std::function<void()> fn);
  size_t on_reload(std::function<void()> fn);  ///< the same for reload events
  void remove_callback(size_t id);  ///< removes an on_stop/on_reload callback by its id

  /// Runs the loop on the calling thread until a stop completed (no live tasks left).
  void run();
  /// After run(): keeps answering cross-shard messages (and running what they start) until
  /// done() holds and no task is left, so a peer still draining is not left waiting on us.
  void linger(const std::function<bool()>& done);
  /// Runs the loop until t finishes; for tests and embedding a single shard.
  template <class T>
  T block_on(Task<T> t);

  /// Objects whose last operation is still in flight keep the loop alive at stop.
  void add_orphan() { ++orphans_; }
  void remove_orphan() { --orphans_; }  ///< that object's operation has finished

  /// For the runtime: wire the shard set together before any thread starts.
  void set_peers(std::vector<Shard*> peers);

  /// Internal (task.h hook): a spawned task finished; returns what to resume next.
  std::coroutine_handle<> spawn_finished(detail::SpawnState* s);
  void release_spawn(detail::SpawnState* s);  ///< internal: drops the shard's reference on a finished task
  SlabPool& small_pool() { return small_pool_; }  ///< internal: 64-byte blocks for the sockets' queues
  /// Sockets whose receive waits for provided buffers (net.cpp); fire() re-arms one.
  RetryList& recv_retry(void (*fire)(RetryLink*)) {
    if (!recv_retry_) recv_retry_ = std::make_unique<RetryList>(fire);
    return *recv_retry_;
  }

 private:
  struct Callback {
    size_t id;
    std::function<void()> fn;
  };
  Result<detail::SpawnState*> new_spawn_state();
  Result<TaskHandle> start_spawn(detail::SpawnState* s, Task<void> t);
  void loop_turn(int timeout_cap_ms);
  void update_clock();
  void drain_inboxes();
  bool push_message(Shard& peer, InlineFn& fn);
  void flush_deferred();
  void begin_stop();

  unsigned id_;
  unsigned count_;
  std::unique_ptr<Backend> backend_;
  ShardOptions opts_;
  std::unique_ptr<FramePools> frames_;
  SlabPool spawn_pool_;
  SlabPool small_pool_;  ///< 64-byte nodes for sockets' queues
  TimerWheel timers_;
  std::unique_ptr<RetryList> recv_retry_;  ///< after timers_: its timer lives in the wheel
  Clock::time_point now_;
  Clock::time_point epoch_;
  int64_t now_ms_ = 0;

  std::vector<std::coroutine_handle<>> ready_;
  std::vector<std::coroutine_handle<>> running_;
  detail::SpawnState* live_ = nullptr;
  size_t live_tasks_ = 0;
  size_t orphans_ = 0;

  std::vector<Shard*> peers_;
  std::vector<std::unique_ptr<SpscQueue<InlineFn>>> inbox_;  ///< indexed by sender id
  std::atomic<bool> notified_{false};
  DeferredMessage* deferred_head_ = nullptr;  ///< defer_to() waiting for room, oldest first
  DeferredMessage* deferred_tail_ = nullptr;
  std::vector<uint64_t> deferred_blocked_;    ///< per target: flush pass that found it full
  uint64_t flush_pass_ = 0;
  CrossShardStats xstats_;
  std::mutex external_mu_;
  std::vector<std::function<void()>> external_;
  std::atomic<bool> external_pending_{false};
  std::shared_ptr<ShardPoster> poster_ = std::make_shared<ShardPoster>();

  bool stopping_ = false;
  bool drain_expired_ = false;
  Timer drain_timer_;
  std::vector<Callback> stop_callbacks_;
  std::vector<Callback> reload_callbacks_;
  size_t next_callback_id_ = 1;
};

/// Suspends the calling task for d. ECANCELED if its TaskCtx is cancelled meanwhile.
Task<Result<void>> sleep(std::chrono::milliseconds d);

/// Runs t with a deadline: ETIMEDOUT (and t cancelled) if it does not finish within d.
template <class T>
Task<Result<T>> with_timeout(std::chrono::milliseconds d, Task<Result<T>> t);

/// Runs fn on shard `target` and resumes the caller on its own shard with fn's result.
/// Waits (a loop turn at a time) while the target's inbox is full.
template <class F>
auto invoke_on(unsigned target, F fn) -> Task<decltype(fn())>;

// ---- implementation of the templates ----

namespace detail {
struct BlockOnState {
  bool done = false;
};
template <class T>
Task<void> block_on_runner(Task<T> t, std::optional<T>* out, BlockOnState* st) {
  out->emplace(co_await std::move(t));
  st->done = true;
}
inline Task<void> block_on_runner_void(Task<void> t, BlockOnState* st) {
  co_await std::move(t);
  st->done = true;
}

struct TimeoutState {
  TaskCtx inner;
  Timer timer;
  bool timed_out = false;
};
}  // namespace detail

template <class T>
T Shard::block_on(Task<T> t) {
  detail::BlockOnState st;
  update_clock();  // the shard may have been idle since its last turn: t starts from now
  if constexpr (std::is_void_v<T>) {
    auto h = spawn(detail::block_on_runner_void(std::move(t), &st));
    if (!h) std::abort();
    while (!st.done) loop_turn(-1);
  } else {
    std::optional<T> out;
    auto h = spawn(detail::block_on_runner<T>(std::move(t), &out, &st));
    if (!h) std::abort();
    while (!st.done) loop_turn(-1);
    return std::move(*out);
  }
}

template <class T>
Task<Result<T>> with_timeout(std::chrono::milliseconds d, Task<Result<T>> t) {
  TaskCtx* outer = co_await CurrentCtx{};
  Shard* shard = Shard::current();
  detail::TimeoutState st;
  if (outer) {
    if (outer->cancelled) st.inner.cancelled = true;
    outer->child = &st.inner;
  }
  st.timer.arg = &st;
  st.timer.fire = [](Timer* tm) {
    auto* s = static_cast<detail::TimeoutState*>(tm->arg);
    s->timed_out = true;
    s->inner.cancel();
  };
  shard->timers().add(st.timer, shard->now_ms() + d.count());
  t.handle().promise().ctx = &st.inner;
  Result<T> r = co_await std::move(t);
  shard->timers().remove(st.timer);
  if (outer) outer->child = nullptr;
  if (st.timed_out && !r && r.error() == std::errc::operation_canceled) co_return fail(ETIMEDOUT);
  co_return r;
}

template <class F>
auto invoke_on(unsigned target, F fn) -> Task<decltype(fn())> {
  using R = decltype(fn());
  Shard* self = Shard::current();
  struct State {
    std::optional<R> result;
    std::coroutine_handle<> waiter;
    Shard* home;
    F fn;
    DeferredMessage reply;  // the way back, when our inbox is full: never refused
  };
  State st{std::nullopt, {}, self, std::move(fn), {}};
  struct Awaiter {
    State* st;
    unsigned target;
    bool await_ready() noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) {
      st->waiter = h;
      auto r = st->home->submit_to(target, [s = st] {
        s->result.emplace(s->fn());
        // Reply: the home inbox may be full too; then the reply waits in our outbox, in
        // the caller's frame (no allocation), until there is room.
        s->reply.target = s->home->id();
        s->reply.arg = s;
        s->reply.run = [](DeferredMessage* m) { static_cast<State*>(m->arg)->waiter.resume(); };
        Shard::current()->defer_to(s->reply);
      });
      if (!r) {
        st->home->schedule(h);  // full: try again next turn
        st->waiter = {};
      }
      return true;
    }
    void await_resume() noexcept {}
  };
  while (!st.result) {
    co_await Awaiter{&st, target};
  }
  co_return std::move(*st.result);
}

}  // namespace zp
