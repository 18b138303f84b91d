// Name resolution through the DNS stub resolver, and happy eyeballs. The attempts are
// spawned tasks sharing a Race with the caller, who waits on it with a timer for the next
// attempt's start.
#include "connect.h"


#include <cstring>
#include <memory>
#include <optional>

#include "zp/dns/connect_order.h"
#include "zp/http/client.h"

namespace zp::http::client {

namespace {

// Shared by the caller and its attempts; an attempt may outlive the caller's interest.
struct Race {
  Shard* shard = nullptr;
  std::optional<Stream> winner;
  int last_error = ECONNREFUSED;
  size_t running = 0;
  bool done = false;
  std::coroutine_handle<> waiter;
  void wake() {
    if (waiter) shard->schedule(std::exchange(waiter, {}));
  }
};

Task<void> attempt(std::shared_ptr<Race> race, SocketAddr addr) {
  auto r = co_await Stream::connect(addr);
  --race->running;
  if (race->done) co_return;  // lost (or the caller left): the stream closes here
  if (r) {
    race->winner.emplace(std::move(*r));
    race->done = true;
  } else if (r.error() != std::errc::operation_canceled) {
    race->last_error = r.error().value();
  }
  race->wake();
}

// Waits until an attempt finishes, delay_ms pass (< 0: no limit) or the caller is cancelled.
struct RaceWait {
  Race* race;
  int64_t delay_ms;
  Timer timer{};
  TaskCtx* ctx = nullptr;
  bool cancelled = false;
  bool await_ready() noexcept { return race->done || race->running == 0; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    ctx = h.promise().ctx;
    if (ctx && ctx->cancelled) {
      cancelled = true;
      return false;
    }
    race->waiter = h;
    if (delay_ms >= 0) {
      timer.arg = this;
      timer.fire = [](Timer* t) { static_cast<RaceWait*>(t->arg)->race->wake(); };
      race->shard->timers().add(timer, race->shard->now_ms() + delay_ms);
    }
    if (ctx) {
      ctx->cancel_hook = [](void* a) {
        auto* self = static_cast<RaceWait*>(a);
        self->cancelled = true;
        self->race->wake();
      };
      ctx->cancel_arg = this;
    }
    return true;
  }
  void await_resume() noexcept {
    race->shard->timers().remove(timer);
    if (ctx && ctx->cancel_arg == this) ctx->cancel_hook = nullptr;
    race->waiter = {};
  }
};

}  // namespace

Task<Result<std::vector<SocketAddr>>> resolve(Target t, dns::Resolver& resolver) {
  using codec::url::HostKind;
  if (t.host_kind == HostKind::ipv4 || t.host_kind == HostKind::ipv6) {
    const std::string text = t.host_kind == HostKind::ipv6 ? "[" + t.host + "]:" + std::to_string(t.port)
                                                           : t.host + ":" + std::to_string(t.port);
    auto a = SocketAddr::parse(text);
    if (!a) co_return make_error_code(Errc::no_host);
    co_return std::vector<SocketAddr>{*a};
  }
  auto r = co_await resolver.lookup_host(t.host);
  if (!r) {
    const Error e = r.error();
    if (e == std::errc::operation_canceled) co_return e;
    if (dns::is_no_such_host(e)) co_return make_error_code(Errc::host_not_found);
    co_return make_error_code(Errc::resolver_failed);
  }
  std::vector<SocketAddr> out;
  out.reserve(r->size());
  for (const auto& a : *r) out.push_back(a.with_port(t.port));
  if (out.empty()) co_return make_error_code(Errc::host_not_found);
  co_return out;
}

Task<Result<Stream>> connect_happy(std::vector<SocketAddr> addrs, int64_t delay_ms) {
  if (addrs.empty()) co_return make_error_code(Errc::host_not_found);
  if (addrs.size() == 1) co_return co_await Stream::connect(addrs[0]);
  Shard* shard = Shard::current();
  auto race = std::make_shared<Race>();
  race->shard = shard;
  std::vector<TaskHandle> attempts;
  size_t next = 0;
  bool cancelled = false;
  for (;;) {
    // Start the next attempt: at the beginning, after the delay, or when all running failed.
    if (next < addrs.size() && !race->done) {
      ++race->running;
      auto h = shard->spawn(attempt(race, addrs[next++]));
      if (!h) {
        --race->running;
        race->last_error = h.error().value();
      } else {
        attempts.push_back(std::move(*h));
      }
    }
    if (race->done || (race->running == 0 && next >= addrs.size())) break;
    if (race->running == 0) continue;  // the one just started failed at once: next
    RaceWait w{race.get(), next < addrs.size() ? delay_ms : -1};
    co_await w;
    if (w.cancelled) {
      cancelled = true;
      break;
    }
    // Woken by the delay or by a failed attempt: either way the next one starts now.
  }
  race->done = true;  // late winners close their stream
  for (auto& h : attempts) {
    if (!h.done()) h.cancel();
  }
  if (cancelled) co_return fail(ECANCELED);
  if (race->winner) co_return std::move(*race->winner);
  co_return fail(race->last_error);
}

}  // namespace zp::http::client
