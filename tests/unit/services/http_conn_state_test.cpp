// The HTTP connection's idle state: the pooled partial-head buffer (growth across classes,
// erase, release back to the pool, the size refusal) and the per-shard deadline lists
// (FIFO per length, moves between lengths, removal, firing cancels the right contexts).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "../../../services/http/src/deadline_list.h"
#include "../../../services/http/src/head_buffer.h"
#include "engine_test_util.h"

namespace zp {
namespace {

using http::DeadlineLink;
using http::DeadlineLists;
using http::HeadBuffer;
using http::HeadPool;

TEST(HttpHeadBuffer, GrowsAcrossClassesAndKeepsTheBytes) {
  HeadPool pool;
  HeadBuffer h;
  EXPECT_TRUE(h.empty());
  std::string want;
  for (int i = 0; i < 300; ++i) {
    std::string piece = "line " + std::to_string(i) + "\r\n";
    ASSERT_TRUE(h.append(pool, piece));
    want += piece;
    ASSERT_EQ(h.view(), want);
  }
  EXPECT_EQ(h.size(), want.size());
  // Growing gave the smaller buffers back.
  EXPECT_GT(pool.free_count(), 0u);
  h.erase_front(pool, 8);
  EXPECT_EQ(h.view(), want.substr(8));
  const size_t before = pool.free_count();
  h.erase_front(pool, h.size());  // all of it: the buffer goes back
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.view(), "");
  EXPECT_EQ(pool.free_count(), before + 1);
  // A small head takes the smallest class again, from the free list.
  ASSERT_TRUE(h.append(pool, "GET / HT"));
  EXPECT_EQ(pool.free_count(), before);
  EXPECT_EQ(h.view(), "GET / HT");
  h.release(pool);
  EXPECT_EQ(pool.free_count(), before + 1);
}

TEST(HttpHeadBuffer, ClassesAndTheLargestRefused) {
  EXPECT_EQ(HeadPool::class_of(1), HeadPool::kMinShift);
  EXPECT_EQ(HeadPool::class_bytes(HeadPool::class_of(64)), 64u);
  EXPECT_EQ(HeadPool::class_bytes(HeadPool::class_of(65)), 128u);
  EXPECT_EQ(HeadPool::class_of(HeadPool::class_bytes(HeadPool::kMaxShift) + 1), HeadPool::kMaxShift + 1);
  HeadPool pool;
  HeadBuffer h;
  ASSERT_TRUE(h.append(pool, "abc"));
  EXPECT_FALSE(h.append(pool, std::string(HeadPool::class_bytes(HeadPool::kMaxShift), 'x')));
  EXPECT_EQ(h.view(), "abc");  // nothing appended
  h.release(pool);
}

TEST(HttpHeadBuffer, FreeListsAreBounded) {
  HeadPool pool(2);
  HeadBuffer a, b, c;
  ASSERT_TRUE(a.append(pool, "a"));
  ASSERT_TRUE(b.append(pool, "b"));
  ASSERT_TRUE(c.append(pool, "c"));
  a.release(pool);
  b.release(pool);
  c.release(pool);
  EXPECT_EQ(pool.free_count(), 2u);
}

class HttpDeadlineLists : public ::testing::Test {
 protected:
  void SetUp() override {
    shard_ = test::make_shard(test::all_backends().front());
    ASSERT_TRUE(shard_);
  }
  void run_for(int ms) {
    auto r = shard_->block_on(sleep(std::chrono::milliseconds(ms)));
    ASSERT_TRUE(r);
  }
  std::unique_ptr<Shard> shard_;
};

TEST_F(HttpDeadlineLists, FiresPerLengthAndMovesAndRemoves) {
  DeadlineLists d(*shard_, {200, 60000});
  TaskCtx ca, cb, cc, cd;
  DeadlineLink a{.ctx = &ca}, b{.ctx = &cb}, c{.ctx = &cc}, e{.ctx = &cd};
  d.set(a, 0);
  d.set(b, 1);
  d.set(c, 0);
  d.set(e, 0);
  d.set(e, 1);  // moved to the long list
  d.set(c, 0);  // set again: to the tail of its list
  EXPECT_EQ(d.size(), 4u);
  DeadlineLists::remove(c);  // removed: never cancelled
  DeadlineLists::remove(c);  // a no-op
  EXPECT_EQ(d.size(), 3u);
  run_for(400);
  EXPECT_TRUE(ca.cancelled);
  EXPECT_FALSE(cb.cancelled);
  EXPECT_FALSE(cc.cancelled);
  EXPECT_FALSE(cd.cancelled);
  EXPECT_FALSE(a.linked());  // a fired link leaves its list
  EXPECT_EQ(d.size(), 2u);
  // A link set again before its deadline is not cancelled at the old one.
  TaskCtx cf;
  DeadlineLink f{.ctx = &cf};
  d.set(f, 0);
  for (int i = 0; i < 4; ++i) {
    run_for(20);
    d.set(f, 0);
  }
  EXPECT_FALSE(cf.cancelled);
  run_for(400);
  EXPECT_TRUE(cf.cancelled);
  DeadlineLists::remove(b);
  DeadlineLists::remove(e);
  EXPECT_EQ(d.size(), 0u);
}

}  // namespace
}  // namespace zp
