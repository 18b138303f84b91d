#include "zp/alloc/arena.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

namespace zp {

TEST(Arena, AllocatesAlignedAndResets) {
  Arena a({.chunk_bytes = 256, .max_bytes = 4096});
  auto p1 = a.allocate(10, 1);
  ASSERT_TRUE(p1);
  auto p2 = a.allocate(16, 64);
  ASSERT_TRUE(p2);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(*p2) % 64, 0u);
  std::memset(*p2, 0xab, 16);
  EXPECT_GE(a.bytes_in_use(), 26u);
  a.reset();
  EXPECT_EQ(a.bytes_in_use(), 0u);
  EXPECT_EQ(a.bytes_reserved(), 256u);  // the first chunk stays for reuse
  auto p3 = a.allocate(10, 1);
  ASSERT_TRUE(p3);
}

TEST(Arena, LargeRequestGetsItsOwnChunk) {
  Arena a({.chunk_bytes = 128, .max_bytes = 8192});
  auto big = a.allocate(1000, 8);
  ASSERT_TRUE(big);
  std::memset(*big, 1, 1000);
  EXPECT_GE(a.bytes_reserved(), 1000u);
}

TEST(Arena, ExhaustionIsAnErrorValue) {
  Arena a({.chunk_bytes = 128, .max_bytes = 256});
  ASSERT_TRUE(a.allocate(100, 1));
  ASSERT_TRUE(a.allocate(100, 1));
  auto r = a.allocate(100, 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::not_enough_memory);
  EXPECT_EQ(a.failures(), 1u);
  a.reset();
  EXPECT_TRUE(a.allocate(100, 1));
}

}  // namespace zp
