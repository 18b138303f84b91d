// The HTTP connection's idle state: the pooled partial-head buffer (growth across classes,
// erase, release back to the pool, the size refusal). The deadline lists are the engine's
// (tests/unit/engine/deadline_list_test.cpp).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "../../../services/http/src/head_buffer.h"
#include "engine_test_util.h"

namespace zp {
namespace {

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

}  // namespace
}  // namespace zp
