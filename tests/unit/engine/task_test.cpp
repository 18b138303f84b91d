#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "engine_test_util.h"
#include "zp/engine/net.h"
#include "zp/engine/shard.h"
#include "zp/engine/task.h"

namespace zp {
namespace {

using namespace std::chrono_literals;
using test::BackendParam;

class TaskTest : public ::testing::TestWithParam<BackendParam> {};

Task<int> add(int a, int b) { co_return a + b; }
Task<int> nested() {
  int x = co_await add(1, 2);
  int y = co_await add(x, 4);
  co_return y;
}

TEST_P(TaskTest, NestedTasksReturnValues) {
  auto shard = test::make_shard(GetParam());
  ASSERT_TRUE(shard);
  EXPECT_EQ(shard->block_on(nested()), 7);
}

TEST_P(TaskTest, SleepWaitsAtLeastItsDuration) {
  auto shard = test::make_shard(GetParam());
  auto start = std::chrono::steady_clock::now();
  auto r = shard->block_on(sleep(20ms));
  EXPECT_TRUE(r);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 19ms);
}

Task<Result<int>> slow_value(std::chrono::milliseconds d) {
  auto r = co_await sleep(d);
  if (!r) co_return r.error();
  co_return 5;
}

TEST_P(TaskTest, WithTimeoutExpiresAndCancelsTheInnerTask) {
  auto shard = test::make_shard(GetParam());
  auto r = shard->block_on(with_timeout<int>(10ms, slow_value(5s)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::timed_out);
  auto ok = shard->block_on(with_timeout<int>(1s, slow_value(1ms)));
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 5);
}

TEST_P(TaskTest, SpawnJoinAndCancel) {
  auto shard = test::make_shard(GetParam());
  bool cancelled = false;
  auto sleeper = [&]() -> Task<void> {
    auto r = co_await sleep(10s);
    cancelled = !r && r.error() == std::errc::operation_canceled;
  };
  auto h = shard->spawn(sleeper());
  ASSERT_TRUE(h);
  EXPECT_FALSE(h->done());
  EXPECT_EQ(shard->live_tasks(), 1u);
  auto driver = [&]() -> Task<void> {
    (void)co_await sleep(5ms);
    h->cancel();
    co_await h->join();
  };
  shard->block_on(driver());
  EXPECT_TRUE(cancelled);
  EXPECT_TRUE(h->done());
  EXPECT_EQ(shard->live_tasks(), 0u);
}

TEST_P(TaskTest, FramesComeFromTheShardPool) {
  auto shard = test::make_shard(GetParam());
  // Many short tasks in a loop: with pooled frames this neither grows nor leaks.
  auto many = []() -> Task<int> {
    int sum = 0;
    for (int i = 0; i < 10000; ++i) sum += co_await add(i, 1);
    co_return sum;
  };
  EXPECT_EQ(shard->block_on(many()), 10000 * 9999 / 2 + 10000);
}

// A completion that ends a long wait resumes its task with the shard's time from after the
// wait: a timer armed there must not count from before it (it fired 300 ms early).
TEST_P(TaskTest, TimerArmedFromACompletionAfterAnIdleWaitIsNotEarly) {
  auto shard = test::make_shard(GetParam());
  ASSERT_TRUE(shard);
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  auto s = Stream::adopt(*shard, sv[0]);
  ASSERT_TRUE(s);
  std::thread writer([fd = sv[1]] {
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(::write(fd, "x", 1), 1);
  });
  auto slept = shard->block_on([](Stream* s) -> Task<std::chrono::steady_clock::duration> {
    auto b = co_await s->recv();
    EXPECT_TRUE(b && b->size() == 1);
    auto t0 = std::chrono::steady_clock::now();
    auto r = co_await sleep(100ms);
    EXPECT_TRUE(r);
    co_return std::chrono::steady_clock::now() - t0;
  }(&*s));
  writer.join();
  EXPECT_GE(slept, 99ms);
  ::close(sv[1]);
}

INSTANTIATE_TEST_SUITE_P(Backends, TaskTest, ::testing::ValuesIn(test::all_backends()), test::param_name);

}  // namespace
}  // namespace zp
