#include "zp/engine/shard.h"

#include "frame_pools.h"

namespace zp {

namespace {
thread_local Shard* t_current = nullptr;
// A spawn slab near one of the process allocator's size classes (mimalloc: 4 per doubling),
// so its rounding adds nothing: 320 records of 64 B take all of 20,480 B.
constexpr size_t kSpawnSlabBytes = 20480;
static_assert(sizeof(void*) != 8 || sizeof(detail::SpawnState) == 64, "refs must sit in TaskCtx's tail padding");
static_assert(alignof(Shard) >= 2, "a spawn root's promise tags its Shard pointer in the low bit");
}

namespace detail {
std::coroutine_handle<> on_spawned_task_done(Shard* shard, TaskCtx* ctx) {
  return shard->spawn_finished(static_cast<SpawnState*>(ctx));
}
}  // namespace detail

// ---- TaskHandle ----

TaskHandle::TaskHandle(Shard* shard, detail::SpawnState* s) : shard_(shard), s_(s) {
  if (s_) ++s_->refs;
}
TaskHandle::TaskHandle(const TaskHandle& o) : shard_(o.shard_), s_(o.s_) {
  if (s_) ++s_->refs;
}
TaskHandle::~TaskHandle() {
  if (s_) shard_->release_spawn(s_);
}
void TaskHandle::cancel() {
  if (s_ && !s_->done()) s_->ctx().cancel();
}

// ---- RetryList ----

void RetryList::add(TimerWheel& wheel, RetryLink& l, int64_t now_ms, int64_t delay_ms) {
  if (queued(l)) return;
  l.retry_prev = nullptr;
  l.retry_next = head_;
  if (head_) head_->retry_prev = &l;
  head_ = &l;
  if (!timer_.armed) {
    wheel_ = &wheel;
    timer_.arg = this;
    timer_.fire = [](Timer* t) { static_cast<RetryList*>(t->arg)->fire_all(); };
    wheel.add(timer_, now_ms + delay_ms);
  }
}

void RetryList::remove(RetryLink& l) {
  if (!queued(l)) return;
  if (l.retry_prev) l.retry_prev->retry_next = l.retry_next;
  else head_ = l.retry_next;
  if (l.retry_next) l.retry_next->retry_prev = l.retry_prev;
  l.retry_prev = l.retry_next = nullptr;
  if (!head_ && timer_.armed && wheel_) wheel_->remove(timer_);
}

void RetryList::fire_all() {
  // One at a time from the head, so a fire that closes another queued object is safe;
  // fire_ must not queue synchronously (the sockets' re-arm only submits a receive).
  while (RetryLink* l = head_) {
    remove(*l);
    fire_(l);
  }
}

// ---- Shard ----

Shard::Shard(unsigned id, unsigned count, std::unique_ptr<Backend> backend, ShardOptions opts)
    : id_(id),
      count_(count),
      backend_(std::move(backend)),
      opts_(opts),
      frames_(std::make_unique<FramePools>(opts.max_frames_per_class)),
      spawn_pool_({.block_bytes = sizeof(detail::SpawnState), .blocks_per_slab = kSpawnSlabBytes / sizeof(detail::SpawnState),
                   .max_blocks = opts.max_tasks}),
      small_pool_({.block_bytes = 64, .blocks_per_slab = 256, .max_blocks = 1u << 20}) {
  poster_->shard_ = this;
  epoch_ = Clock::now();
  update_clock();
  timers_.advance(now_ms_);
  // Completions run inside run_once(): they must see the time after its wait, not before.
  backend_->set_after_wait([](void* self) { static_cast<Shard*>(self)->update_clock(); }, this);
  inbox_.resize(count_);
  for (unsigned i = 0; i < count_; ++i)
    inbox_[i] = std::make_unique<SpscQueue<InlineFn>>(opts_.inbox_capacity);
  deferred_blocked_.assign(count_, 0);
  ready_.reserve(256);
  running_.reserve(256);
  if (!t_current) {
    // A shard made on a thread with none becomes that thread's shard (tests, embedding).
    t_current = this;
    set_thread_frame_pools(frames_.get());
  }
}

Shard::~Shard() {
  {
    // From now on, late posts from other threads (a BlockingPool job done after a stop) are dropped.
    std::lock_guard lock(poster_->mu_);
    poster_->shard_ = nullptr;
  }
  // Tasks still alive are cancelled and given a bounded number of turns to finish, so
  // no operation is left in flight pointing into a destroyed frame.
  if (live_) {
    Shard* prev = t_current;
    t_current = this;
    set_thread_frame_pools(frames_.get());
    for (auto* s = live_; s; s = s->next) s->ctx().cancel();
    for (int i = 0; i < 2000 && (live_tasks_ > 0 || orphans_ > 0); ++i) loop_turn(1);
    t_current = prev;
  }
  // Whatever still runs now is stuck in a wait that ignores cancellation: destroy it.
  while (live_) {
    detail::SpawnState* s = live_;
    live_ = s->next;
    s->task.destroy();
    s->task = {};
    --live_tasks_;
    if (--s->refs == 0) spawn_pool_.free(s);
  }
  // Closed sockets wait for their last completion before their memory goes (bounded).
  for (int i = 0; i < 2000 && orphans_ > 0; ++i) backend_->run_once(1);
  if (t_current == this) {
    t_current = nullptr;
    set_thread_frame_pools(nullptr);
  }
}

Shard* Shard::current() { return t_current; }

void Shard::set_peers(std::vector<Shard*> peers) { peers_ = std::move(peers); }

void Shard::update_clock() {
  now_ = Clock::now();
  now_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(now_ - epoch_).count();
}

Result<TaskHandle> Shard::spawn(Task<void> t) {
  auto s = new_spawn_state();
  if (!s) return s.error();  // t's frame is destroyed by ~Task
  return start_spawn(*s, std::move(t));
}

Result<detail::SpawnState*> Shard::new_spawn_state() {
  auto block = spawn_pool_.allocate();
  if (!block) return block.error();
  auto* s = new (*block) detail::SpawnState();
  s->refs = 1;  // the running task's own reference
  return s;
}

Result<TaskHandle> Shard::start_spawn(detail::SpawnState* s, Task<void> t) {
  auto h = t.release();
  h.promise().ctx = &s->ctx();
  h.promise().set_spawn_root(this);
  s->task = h;
  s->next = live_;
  if (live_) live_->prev = s;
  live_ = s;
  ++live_tasks_;
  TaskHandle handle(this, s);
  if (stopping_ && drain_expired_) s->ctx().cancel();
  h.resume();
  return handle;
}

std::coroutine_handle<> Shard::spawn_finished(detail::SpawnState* s) {
  s->task = {};
  if (s->prev) s->prev->next = s->next;
  else live_ = s->next;
  if (s->next) s->next->prev = s->prev;
  s->prev = s->next = nullptr;
  --live_tasks_;
  std::coroutine_handle<> next = std::noop_coroutine();
  if (s->joiner) {
    // Resume the joiner on the next turn: the finished frame is gone, the stack unwinds first.
    schedule(s->joiner);
    s->joiner = {};
  }
  release_spawn(s);
  return next;
}

void Shard::release_spawn(detail::SpawnState* s) {
  if (--s->refs == 0) {
    s->~SpawnState();
    spawn_pool_.free(s);
  }
}

bool Shard::push_message(Shard& peer, InlineFn& fn) {
  if (!peer.inbox_[id_]->push(std::move(fn))) return false;
  ++xstats_.sent;
  if (&peer == this) {
    // Our own loop: no wake-up needed, but the next turn must not block before draining.
    notified_.store(true, std::memory_order_relaxed);
  } else if (!peer.notified_.exchange(true, std::memory_order_acq_rel)) {
    backend_->wake_peer(peer.backend());
  }
  return true;
}

Result<void> Shard::submit_to(unsigned target, InlineFn fn) {
  Shard* peer = peers_.empty() ? (target == id_ ? this : nullptr)
                               : (target < peers_.size() ? peers_[target] : nullptr);
  if (!peer) return fail(EINVAL);
  if (!push_message(*peer, fn)) {
    ++xstats_.full;
    return fail(EAGAIN);
  }
  return {};
}

void Shard::defer_to(DeferredMessage& m) {
  m.next = nullptr;
  // Behind an older deferred message to any target: keep per-target order.
  if (!deferred_head_) {
    Shard* peer = peers_.empty() ? this : peers_[m.target];
    InlineFn fn = [d = &m] { d->run(d); };
    if (push_message(*peer, fn)) return;
  }
  ++xstats_.deferred;
  if (deferred_tail_) deferred_tail_->next = &m;
  else deferred_head_ = &m;
  deferred_tail_ = &m;
}

void Shard::flush_deferred() {
  // One pass in order; a target found full is skipped for the rest of the pass, so its
  // later messages do not overtake the one that waits.
  ++flush_pass_;
  DeferredMessage** link = &deferred_head_;
  DeferredMessage* last = nullptr;
  while (DeferredMessage* m = *link) {
    DeferredMessage* next = m->next;  // once pushed, m may be gone (the target runs it)
    bool sent = false;
    if (deferred_blocked_[m->target] != flush_pass_) {
      Shard* peer = peers_.empty() ? this : peers_[m->target];
      InlineFn fn = [d = m] { d->run(d); };
      sent = push_message(*peer, fn);
      if (!sent) deferred_blocked_[m->target] = flush_pass_;
    }
    if (sent) {
      *link = next;
    } else {
      last = m;
      link = &m->next;
    }
  }
  deferred_tail_ = last;
}

bool ShardPoster::post(std::function<void()> fn) {
  std::lock_guard lock(mu_);  // held while posting: the shard cannot go away meanwhile
  if (!shard_) return false;
  shard_->post_external(std::move(fn));
  return true;
}

void Shard::post_external(std::function<void()> fn) {
  {
    std::lock_guard lock(external_mu_);
    external_.push_back(std::move(fn));
  }
  external_pending_.store(true, std::memory_order_release);
  if (!notified_.exchange(true, std::memory_order_acq_rel)) backend_->wake();
}

void Shard::drain_inboxes() {
  // An exchange, not a store: it reads the senders' release, so their pushes are visible.
  notified_.exchange(false, std::memory_order_acq_rel);
  bool more = false;
  for (auto& q : inbox_) {
    InlineFn fn;
    // Bounded per turn so a flood from one peer cannot starve I/O.
    int n = 0;
    for (; n < 256 && q->pop(fn); ++n) {
      fn();
      fn.reset();
    }
    if (n == 256) more = true;
  }
  // Left in a queue: the next turn polls instead of sleeping (no sender will wake us).
  if (more) notified_.store(true, std::memory_order_relaxed);
  if (external_pending_.load(std::memory_order_acquire)) {
    std::vector<std::function<void()>> batch;
    {
      std::lock_guard lock(external_mu_);
      batch.swap(external_);
      external_pending_.store(false, std::memory_order_relaxed);
    }
    for (auto& fn : batch) fn();
  }
}

void Shard::request_stop(int64_t drain_ms) {
  post_external([this, drain_ms] {
    if (stopping_) return;
    drain_timer_.arg = this;
    drain_timer_.fire = [](Timer* t) {
      auto* self = static_cast<Shard*>(t->arg);
      self->drain_expired_ = true;
      for (auto* s = self->live_; s; s = s->next) s->ctx().cancel();
    };
    timers_.add(drain_timer_, now_ms_ + drain_ms);
    begin_stop();
  });
}

void Shard::begin_stop() {
  stopping_ = true;
  auto callbacks = std::move(stop_callbacks_);
  for (auto& c : callbacks) c.fn();
  // Idle tasks (waiting for a new request) end now, as nginx closes idle keep-alives.
  // A nested scope (with_timeout around the recv, the usual idle timeout) carries the flag.
  for (auto* s = live_; s; s = s->next) {
    for (TaskCtx* c = &s->ctx(); c; c = c->child) {
      if (c->idle) {
        s->ctx().cancel();
        break;
      }
    }
  }
}

void Shard::request_reload() {
  post_external([this] {
    for (auto& c : reload_callbacks_) c.fn();
  });
}

size_t Shard::on_stop(std::function<void()> fn) {
  stop_callbacks_.push_back({next_callback_id_, std::move(fn)});
  return next_callback_id_++;
}

size_t Shard::on_reload(std::function<void()> fn) {
  reload_callbacks_.push_back({next_callback_id_, std::move(fn)});
  return next_callback_id_++;
}

void Shard::remove_callback(size_t id) {
  std::erase_if(stop_callbacks_, [id](const Callback& c) { return c.id == id; });
  std::erase_if(reload_callbacks_, [id](const Callback& c) { return c.id == id; });
}

void Shard::loop_turn(int timeout_cap_ms) {
  // Wait for I/O (completions resume their tasks inside run_once), then timers, messages
  // and yielded tasks. Whatever they resumed has run when this returns.
  int timeout = ready_.empty() ? timers_.next_timeout_ms(now_ms_) : 0;
  if (timeout_cap_ms >= 0 && (timeout < 0 || timeout > timeout_cap_ms)) timeout = timeout_cap_ms;
  if (notified_.load(std::memory_order_acquire)) timeout = 0;
  // Deferred messages wait for a peer to make room, which wakes nobody: poll for it.
  if (deferred_head_ && (timeout < 0 || timeout > 1)) timeout = 1;
  backend_->run_once(timeout);
  update_clock();
  timers_.advance(now_ms_);
  if (deferred_head_) flush_deferred();
  drain_inboxes();
  if (!ready_.empty()) {
    running_.swap(ready_);
    for (auto h : running_) h.resume();
    running_.clear();
  }
}

void Shard::run() {
  Shard* prev = t_current;
  t_current = this;
  set_thread_frame_pools(frames_.get());
  update_clock();
  while (!(stopping_ && live_tasks_ == 0 && orphans_ == 0 && !deferred_head_)) loop_turn(-1);
  timers_.remove(drain_timer_);
  t_current = prev;
  set_thread_frame_pools(prev ? prev->frames_.get() : nullptr);
}

void Shard::linger(const std::function<bool()>& done) {
  Shard* prev = t_current;
  t_current = this;
  set_thread_frame_pools(frames_.get());
  // Polls done() every 10 ms at most: it flips on another thread without waking us.
  while (!(done() && live_tasks_ == 0 && orphans_ == 0 && !deferred_head_)) loop_turn(10);
  t_current = prev;
  set_thread_frame_pools(nullptr);
}

// ---- sleep ----

namespace {
struct SleepAwaiter {
  Shard* shard = nullptr;
  int64_t deadline_ms = 0;
  TaskCtx* ctx = nullptr;
  Timer timer;
  std::coroutine_handle<> h;
  bool cancelled = false;

  bool await_ready() noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> handle) {
    ctx = handle.promise().ctx;
    if (ctx && ctx->cancelled) {
      cancelled = true;
      return false;
    }
    h = handle;
    timer.arg = this;
    timer.fire = [](Timer* t) {
      auto* self = static_cast<SleepAwaiter*>(t->arg);
      if (self->ctx) self->ctx->cancel_hook = nullptr;
      self->h.resume();
    };
    if (ctx) {
      ctx->cancel_hook = [](void* arg) {
        auto* self = static_cast<SleepAwaiter*>(arg);
        self->shard->timers().remove(self->timer);
        self->cancelled = true;
        self->shard->schedule(self->h);
      };
      ctx->cancel_arg = this;
    }
    shard->timers().add(timer, deadline_ms);
    return true;
  }
  Result<void> await_resume() {
    if (cancelled) return fail(ECANCELED);
    return {};
  }
};
}  // namespace

Task<Result<void>> sleep(std::chrono::milliseconds d) {
  Shard* s = Shard::current();
  SleepAwaiter a;
  a.shard = s;
  a.deadline_ms = s->now_ms() + d.count();
  co_return co_await a;
}

}  // namespace zp
