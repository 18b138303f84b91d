// Pool bookkeeping; all on the client's shard thread, so no locks.
#include "pool.h"

#include <algorithm>

namespace zp::http::client {

struct Pool::Waiter {
  Shard* shard = nullptr;
  Origin* origin = nullptr;
  std::coroutine_handle<> h;
  TaskCtx* ctx = nullptr;
  bool cancelled = false;
  bool await_ready() noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> hh) {
    ctx = hh.promise().ctx;
    if (ctx && ctx->cancelled) {
      cancelled = true;
      return false;
    }
    h = hh;
    origin->waiters.push_back(this);
    if (ctx) {
      ctx->cancel_hook = [](void* a) {
        auto* w = static_cast<Waiter*>(a);
        w->cancelled = true;
        auto& q = w->origin->waiters;
        q.erase(std::remove(q.begin(), q.end(), w), q.end());
        w->shard->schedule(w->h);
      };
      ctx->cancel_arg = this;
    }
    return true;
  }
  void await_resume() noexcept {
    if (ctx && ctx->cancel_arg == this) ctx->cancel_hook = nullptr;
  }
};

Pool::Pool(Shard& shard, const Options& opts) : shard_(shard), opts_(opts) {
  stop_cb_ = shard_.on_stop([this] { close_idle(); });
}

Pool::~Pool() {
  shard_.remove_callback(stop_cb_);
  close_idle();
}

Pool::Origin* Pool::origin_for(const std::string& key) {
  auto it = origins_.find(key);
  if (it != origins_.end()) return &it->second;
  if (origins_.size() >= opts_.max_origins) {
    // Make room: forget origins with nothing in use (their idle connections close).
    for (auto o = origins_.begin(); o != origins_.end();) {
      if (o->second.active == 0 && o->second.waiters.empty()) {
        for (auto& c : o->second.idle) shard_.timers().remove(c->idle_timer);
        o = origins_.erase(o);
      } else {
        ++o;
      }
    }
    if (origins_.size() >= opts_.max_origins) return nullptr;
  }
  return &origins_[key];
}

Task<Result<std::unique_ptr<Conn>>> Pool::acquire(const std::string& origin) {
  for (;;) {
    Origin* o = origin_for(origin);
    if (!o) co_return make_error_code(Errc::too_many_origins);
    while (!o->idle.empty()) {
      auto c = std::move(o->idle.back());
      o->idle.pop_back();
      shard_.timers().remove(c->idle_timer);
      // Bytes arriving on an idle connection (or a stray response) make it suspect.
      if (c->begin != c->end || c->transport->has_buffered()) continue;
      ++o->active;
      co_return std::move(c);
    }
    const size_t cap = std::max<size_t>(1, opts_.max_connections_per_host);
    if (o->active < cap) {
      ++o->active;
      auto c = std::make_unique<Conn>();
      c->origin = origin;
      c->pool = this;
      co_return std::move(c);
    }
    Waiter w;
    w.shard = &shard_;
    w.origin = o;
    co_await w;
    if (w.cancelled) co_return fail(ECANCELED);
  }
}

void Pool::release(std::unique_ptr<Conn> c, bool reusable) {
  auto it = origins_.find(c->origin);
  if (it == origins_.end()) return;  // cannot happen: an origin with active > 0 stays
  Origin& o = it->second;
  --o.active;
  if (reusable && c->transport && o.idle.size() < opts_.max_idle_per_host && !shard_.stopping()) {
    c->begin = c->end = 0;
    c->idle_timer.arg = c.get();
    c->idle_timer.fire = [](Timer* t) {
      auto* conn = static_cast<Conn*>(t->arg);
      conn->pool->evict(conn);
    };
    shard_.timers().add(c->idle_timer, shard_.now_ms() + opts_.idle_timeout_ms);
    o.idle.push_back(std::move(c));
  } else {
    if (c->transport) c->transport->close();
  }
  wake_one(o);
}

void Pool::wake_one(Origin& o) {
  if (o.waiters.empty()) return;
  Waiter* w = o.waiters.front();
  o.waiters.pop_front();
  if (w->ctx && w->ctx->cancel_arg == w) w->ctx->cancel_hook = nullptr;
  shard_.schedule(w->h);
}

void Pool::evict(Conn* c) {
  auto it = origins_.find(c->origin);
  if (it == origins_.end()) return;
  auto& idle = it->second.idle;
  for (auto i = idle.begin(); i != idle.end(); ++i) {
    if (i->get() == c) {
      idle.erase(i);  // closes it
      break;
    }
  }
}

void Pool::close_idle() {
  for (auto& [key, o] : origins_) {
    for (auto& c : o.idle) shard_.timers().remove(c->idle_timer);
    o.idle.clear();
  }
}

size_t Pool::idle_count() const {
  size_t n = 0;
  for (auto& [key, o] : origins_) n += o.idle.size();
  return n;
}

}  // namespace zp::http::client
