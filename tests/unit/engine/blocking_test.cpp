// run_blocking on every backend: the job runs on a pool thread and the caller resumes on its
// shard with the result; a shard destroyed while a job still runs (a stop without draining)
// drops the late result instead of posting into freed memory (ShardPoster).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "engine_test_util.h"
#include "zp/engine/blocking.h"
#include "zp/engine/shard.h"
#include "zp/engine/task.h"

namespace zp {
namespace {

using namespace std::chrono_literals;
using test::BackendParam;

class BlockingTest : public ::testing::TestWithParam<BackendParam> {};

TEST_P(BlockingTest, RunsOnAPoolThreadAndResumesOnTheShard) {
  BlockingPool pool({.threads = 2, .max_queued = 8});
  auto shard = test::make_shard(GetParam());
  ASSERT_TRUE(shard);
  const auto shard_thread = std::this_thread::get_id();
  auto job = [&]() -> Task<Result<int>> {
    auto work = [shard_thread] { return Result<int>(std::this_thread::get_id() != shard_thread ? 42 : -1); };
    Result<int> r = co_await run_blocking(pool, std::move(work));
    if (std::this_thread::get_id() != shard_thread) co_return fail(EINVAL);
    co_return r;
  };
  auto r = shard->block_on(job());
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 42);
}

TEST_P(BlockingTest, ShardDestroyedWhileAJobRunsDropsTheResult) {
  BlockingPool pool({.threads = 1, .max_queued = 8});
  std::atomic<bool> started{false}, finished{false};
  bool cancelled = false;
  auto shard = test::make_shard(GetParam());
  ASSERT_TRUE(shard);
  auto waiter = [&]() -> Task<void> {
    auto slow = [&] {
      started.store(true);
      std::this_thread::sleep_for(300ms);
      finished.store(true);
      return Result<int>(1);
    };
    Result<int> r = co_await run_blocking(pool, std::move(slow));
    cancelled = !r && r.error() == std::errc::operation_canceled;
  };
  ASSERT_TRUE(shard->spawn(waiter()));
  auto until_started = [&]() -> Task<void> {
    while (!started.load()) (void)co_await sleep(1ms);
  };
  shard->block_on(until_started());
  const std::shared_ptr<ShardPoster> poster = shard->poster();
  shard.reset();  // cancels the waiter; the job is still sleeping
  EXPECT_TRUE(cancelled);
  EXPECT_FALSE(poster->post([] {})) << "a destroyed shard takes no posts";
  for (int i = 0; i < 200 && !finished.load(); ++i) std::this_thread::sleep_for(5ms);
  EXPECT_TRUE(finished.load());
  std::this_thread::sleep_for(20ms);  // its result is posted (and dropped) after it finishes
}

INSTANTIATE_TEST_SUITE_P(Backends, BlockingTest, ::testing::ValuesIn(test::all_backends()), test::param_name);

}  // namespace
}  // namespace zp
