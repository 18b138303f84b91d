// Review reproducers: each test names the defect it shows. Tests that crash or hang
// without the fix run in a death-test child with an alarm, so the suite survives.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "engine_test_util.h"
#include "zp/alloc/arena.h"
#include "zp/engine/net.h"
#include "zp/engine/runtime.h"
#include "zp/engine/shard.h"
#include "zp/engine/timer_wheel.h"

namespace zp {
namespace {

using namespace std::chrono_literals;

// Runs body in a forked child with an alarm: passes only if body returns true in time.
template <class F>
void expect_in_child(F body, unsigned seconds = 15) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        alarm(seconds);
        bool ok = body();
        std::_Exit(ok ? 0 : 3);
      },
      ::testing::ExitedWithCode(0), "");
}

// ---------------------------------------------------------------- timer wheel

// fire_slot() walks a detached list; a callback that removes another timer of that same
// slot corrupts the wheel and the removed timer fires anyway (count_ underflows).
TEST(ReviewTimerWheel, TimerRemovedByAnotherCallbackOfTheSameTickDoesNotFire) {
  TimerWheel w(0);
  struct Ctx {
    TimerWheel* w;
    Timer* victim;
    int victim_fired = 0;
  } c{&w, nullptr};
  Timer victim, killer;
  c.victim = &victim;
  victim.arg = &c;
  victim.fire = [](Timer* t) { ++static_cast<Ctx*>(t->arg)->victim_fired; };
  killer.arg = &c;
  killer.fire = [](Timer* t) {
    auto* x = static_cast<Ctx*>(t->arg);
    x->w->remove(*x->victim);
  };
  w.add(victim, 5);
  w.add(killer, 5);  // linked in front of victim: fires first
  w.advance(5);
  EXPECT_EQ(c.victim_fired, 0);
  EXPECT_EQ(w.size(), 0u);
}

// The same defect through the public API: a task woken by its sleep cancels another
// task whose sleep is due the same millisecond. The victim is resumed by its timer AND
// by the cancel hook's schedule(): a destroyed coroutine is resumed on the next turn.
TEST(ReviewShard, CancelFromATimerOfTheSameTickResumesTheSleeperOnce) {
  expect_in_child([] {
    auto shard = test::make_shard({BackendKind::epoll, false});
    int resumed = 0;
    bool cancelled = false;
    auto victim = shard->spawn([](int* resumed, bool* cancelled) -> Task<void> {
      auto r = co_await sleep(20ms);
      *cancelled = !r && r.error() == std::errc::operation_canceled;
      ++*resumed;
    }(&resumed, &cancelled));
    if (!victim) return false;
    auto killer = shard->spawn([](TaskHandle v) -> Task<void> {
      (void)co_await sleep(20ms);  // same deadline, linked after the victim's: fires first
      v.cancel();
    }(*victim));
    shard->block_on([]() -> Task<void> { (void)co_await sleep(100ms); }());
    bool ok = resumed == 1 && cancelled;
    if (!ok) fprintf(stderr, "resumed=%d cancelled=%d\n", resumed, int(cancelled));
    return ok;
  });
}

// ---------------------------------------------------------------- cross-shard wake-ups

// submit_to(own id) pushes into our own inbox without setting notified_, and loop_turn
// waits in run_once() before it drains the inboxes: the message waits for an unrelated
// event (here a 1 s timer; with no timer at all the shard sleeps forever).
TEST(ReviewShard, InvokeOnOwnShardRunsWithoutWaitingForAnotherEvent) {
  auto shard = test::make_shard({BackendKind::epoll, false});
  auto bg = shard->spawn([]() -> Task<void> { (void)co_await sleep(1000ms); }());
  auto start = std::chrono::steady_clock::now();
  int v = shard->block_on([]() -> Task<int> { co_return co_await invoke_on(0, [] { return 7; }); }());
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(v, 7);
  EXPECT_LT(took, 200ms) << "invoke_on(self) waited for the unrelated 1 s timer";
  bg->cancel();
}

class ReviewRuntime : public ::testing::TestWithParam<test::BackendParam> {
 protected:
  RuntimeOptions options(unsigned shards) {
    RuntimeOptions o;
    o.shards = shards;
    o.backend = GetParam().kind;
    if (GetParam().faults) o.faults = FaultOptions::from_env();
    o.handle_signals = false;
    o.drain_timeout = 2000ms;
    o.pin_threads = false;
    return o;
  }
};

// drain_inboxes() clears notified_, then runs at most 256 messages per inbox; the rest stay
// queued with no wake-up pending, so the receiving shard sleeps on them.
TEST_P(ReviewRuntime, BurstOfMoreThan256MessagesIsDrainedWithoutAnotherWake) {
  Runtime rt(options(2));
  std::atomic<int> got{0};
  std::atomic<int> seen{-1};
  auto r = rt.run([&](Shard& s) -> Result<void> {
    if (s.id() != 0) return {};
    auto h = s.spawn([](Shard& s, std::atomic<int>* got, std::atomic<int>* seen, Runtime* rt) -> Task<void> {
      (void)co_await sleep(50ms);  // shard 1 is asleep in run_once(-1) by now
      int sent = 0;
      while (sent < 300) {
        if (s.submit_to(1, [got] { ++*got; })) ++sent;
        else co_await s.yield();
      }
      (void)co_await sleep(300ms);
      seen->store(got->load());
      rt->stop();
    }(s, &got, &seen, &rt));
    return h ? Result<void>{} : Result<void>(h.error());
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(seen.load(), 300) << "messages beyond 256 waited for an unrelated wake-up";
}

// A task blocked in invoke_on() to a shard that already left run() (it had nothing left to
// drain) is never answered and ignores cancellation: the drain deadline cannot end it,
// so run() never returns.
TEST_P(ReviewRuntime, InvokeOnToAShardThatAlreadyStoppedDoesNotHangStop) {
  auto opts = options(2);
  expect_in_child(
      [opts]() mutable {
        opts.drain_timeout = 300ms;
        Runtime rt(opts);
        auto r = rt.run([&](Shard& s) -> Result<void> {
          if (s.id() != 0) return {};
          auto h = s.spawn([](Runtime* rt) -> Task<void> {
            rt->stop();
            (void)co_await sleep(100ms);  // busy, not idle: gets the drain time
            (void)co_await invoke_on(1, [] { return 1; });
          }(&rt));
          return h ? Result<void>{} : Result<void>(h.error());
        });
        return bool(r);
      },
      8);
}

// Idle detection at graceful stop only looks at the spawned task's own TaskCtx; a recv
// under with_timeout (the usual idle timeout) marks the inner ctx idle, so such
// connections are not closed at stop and hold the runtime for the whole drain timeout.
TEST_P(ReviewRuntime, IdleConnectionUnderWithTimeoutEndsAtGracefulStop) {
  auto opts = options(1);
  std::atomic<bool> accepted{false};
  std::atomic<uint16_t> port{0};
  std::chrono::steady_clock::time_point stop_at;
  Runtime rt(opts);
  std::thread client([&] {
    while (!port.load()) std::this_thread::sleep_for(1ms);
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port.load());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    while (!accepted.load()) std::this_thread::sleep_for(1ms);
    std::this_thread::sleep_for(100ms);
    stop_at = std::chrono::steady_clock::now();
    rt.stop();
    char buf[8];
    (void)::recv(fd, buf, sizeof buf, 0);
    ::close(fd);
  });
  auto r = rt.run([&](Shard& s) -> Result<void> {
    auto l = Listener::bind(s, *SocketAddr::parse("127.0.0.1:0"));
    if (!l) return l.error();
    port = l->local_addr().port();
    auto h = s.spawn([](Listener l, std::atomic<bool>* accepted) -> Task<void> {
      auto c = co_await l.accept();
      if (!c) co_return;
      *accepted = true;
      Stream st = std::move(*c);
      for (;;) {
        auto b = co_await with_timeout(10s, [](Stream* s) -> Task<Result<RecvBuf>> {
          co_return co_await s->recv();  // idle: waiting for the next request
        }(&st));
        if (!b || b->eof()) break;
      }
    }(std::move(*l), &accepted));
    return h ? Result<void>{} : Result<void>(h.error());
  });
  auto took = std::chrono::steady_clock::now() - stop_at;
  client.join();
  ASSERT_TRUE(r);
  EXPECT_LT(took, 1000ms) << "idle connection waited for the 2 s drain timeout";
}

INSTANTIATE_TEST_SUITE_P(Backends, ReviewRuntime, ::testing::ValuesIn(test::all_backends()), test::param_name);

// ---------------------------------------------------------------- Stream lifetime

class ReviewNet : public ::testing::TestWithParam<test::BackendParam> {};

// Stream::close() while another task waits in recv(): the reader is never resumed and its
// TaskCtx::cancel_hook still points at the StreamCore that close() frees: cancelling
// the task (or ~Shard doing it) is a heap-use-after-free.
TEST_P(ReviewNet, CloseWakesAReaderWaitingInAnotherTask) {
  auto param = GetParam();
  expect_in_child([param] {
    auto shard = test::make_shard(param);
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) return false;
    auto s = Stream::adopt(*shard, sv[0]);
    if (!s) return false;
    int ended = 0;
    auto reader = shard->spawn([](Stream* s, int* ended) -> Task<void> {
      auto b = co_await s->recv_more();
      (void)b;
      ++*ended;
    }(&*s, &ended));
    shard->block_on([](Stream* s) -> Task<void> {
      Shard* sh = Shard::current();
      for (int i = 0; i < 5; ++i) co_await sh->yield();
      s->close();
      for (int i = 0; i < 50; ++i) co_await sh->yield();
    }(&*s));
    bool ok = ended == 1;
    if (!ok) fprintf(stderr, "reader not resumed by close()\n");
    reader->cancel();  // without the fix: the hook writes into the freed StreamCore
    reader = TaskHandle{};  // a TaskHandle must not outlive its shard
    shard.reset();
    ::close(sv[1]);
    return ok;
  });
}

// Stream::close() while another task's send is in flight (blocked on a full socket): the
// StreamCore is freed at once, but the SendAwaiter keeps `core` for its cancel hook and for
// resubmitting after a short send. Cancelling the sender then reads freed memory (and a
// resubmit would use a closed, possibly reused, fd number).
TEST_P(ReviewNet, CloseWhileAnotherTaskSendsThenCancelIsSafe) {
  auto param = GetParam();
  expect_in_child([param] {
    auto shard = test::make_shard(param);
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) return false;
    auto s = Stream::adopt(*shard, sv[0]);
    if (!s) return false;
    std::vector<std::byte> big(size_t(1) << 22);
    int ended = 0;
    auto sender = shard->spawn([](Stream* s, std::span<const std::byte> d, int* ended) -> Task<void> {
      auto w = co_await s->send(d);
      (void)w;
      ++*ended;
    }(&*s, big, &ended));
    shard->block_on([](Stream* s) -> Task<void> {
      Shard* sh = Shard::current();
      for (int i = 0; i < 5; ++i) co_await sh->yield();
      s->close();
      for (int i = 0; i < 5; ++i) co_await sh->yield();
    }(&*s));
    sender->cancel();  // without a fix: the hook reads the freed StreamCore
    shard->block_on([]() -> Task<void> {
      for (int i = 0; i < 20; ++i) co_await Shard::current()->yield();
    }());
    bool ok = ended == 1;
    sender = TaskHandle{};
    shard.reset();
    ::close(sv[1]);
    return ok;
  });
}

INSTANTIATE_TEST_SUITE_P(Backends, ReviewNet, ::testing::ValuesIn(test::all_backends()), test::param_name);

// ---------------------------------------------------------------- alloc

// size + align wraps in allocate_slow() and p + size wraps in the fast path: a request
// near SIZE_MAX returns a pointer instead of ENOMEM.
TEST(ReviewArena, HugeRequestFailsWithEnomem) {
  Arena a({.chunk_bytes = 4096, .max_bytes = 1 << 20});
  auto p = a.allocate(SIZE_MAX - 8, 16);
  EXPECT_FALSE(p) << "got a pointer for SIZE_MAX - 8 bytes";
}

}  // namespace
}  // namespace zp
