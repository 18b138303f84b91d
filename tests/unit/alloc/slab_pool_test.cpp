#include "zp/alloc/slab_pool.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace zp {

TEST(SlabPool, BoundedAndReused) {
  SlabPool pool({.block_bytes = 40, .blocks_per_slab = 4, .max_blocks = 8});
  EXPECT_EQ(pool.block_bytes(), 48u);
  std::vector<void*> blocks;
  std::set<void*> distinct;
  for (int i = 0; i < 8; ++i) {
    auto b = pool.allocate();
    ASSERT_TRUE(b) << i;
    blocks.push_back(*b);
    distinct.insert(*b);
    EXPECT_TRUE(pool.owns(*b));
  }
  EXPECT_EQ(distinct.size(), 8u);
  EXPECT_EQ(pool.in_use(), 8u);
  auto over = pool.allocate();
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error(), std::errc::not_enough_memory);
  pool.free(blocks.back());
  auto again = pool.allocate();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, blocks.back());
  int x = 0;
  EXPECT_FALSE(pool.owns(&x));
}

}  // namespace zp
