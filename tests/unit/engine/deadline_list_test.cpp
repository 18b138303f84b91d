// The per-shard deadline lists (engine/deadline_list.h): FIFO per length, moves between
// lengths, removal, firing cancels the right contexts.
#include "zp/engine/deadline_list.h"

#include <gtest/gtest.h>

#include <chrono>

#include "engine_test_util.h"

namespace zp {
namespace {

class DeadlineListsTest : public ::testing::Test {
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

TEST_F(DeadlineListsTest, FiresPerLengthAndMovesAndRemoves) {
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
