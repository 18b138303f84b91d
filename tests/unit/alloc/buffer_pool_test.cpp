#include "zp/alloc/buffer_pool.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>

namespace zp {

TEST(BufferPool, PageAlignedAndBounded) {
  BufferPool pool({.buffer_bytes = 1000, .count = 3});
  ASSERT_TRUE(pool.ok());
  size_t page = size_t(sysconf(_SC_PAGESIZE));
  EXPECT_EQ(pool.buffer_bytes(), page);
  auto a = pool.acquire();
  auto b = pool.acquire();
  auto c = pool.acquire();
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(pool.buffer(*b).data()) % page, 0u);
  auto d = pool.acquire();
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), std::errc::no_buffer_space);
  pool.release(*b);
  EXPECT_EQ(pool.available(), 1u);
  auto e = pool.acquire();
  ASSERT_TRUE(e);
  EXPECT_EQ(*e, *b);
}

}  // namespace zp
