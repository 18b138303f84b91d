#include "zp/engine/local_rc.h"

#include <gtest/gtest.h>

#include <string>

namespace zp {
namespace {

struct Counted {
  int* alive;
  std::string name;
  Counted(int* a, std::string n) : alive(a), name(std::move(n)) { ++*alive; }
  ~Counted() { --*alive; }
};

TEST(LocalRcTest, IsOneWord) { EXPECT_EQ(sizeof(LocalRc<Counted>), sizeof(void*)); }

TEST(LocalRcTest, LastReferenceFrees) {
  int alive = 0;
  {
    auto a = LocalRc<Counted>::make(&alive, "state");
    EXPECT_EQ(alive, 1);
    EXPECT_EQ(a.use_count(), 1u);
    LocalRc<Counted> b = a;
    EXPECT_EQ(a.use_count(), 2u);
    EXPECT_EQ(b->name, "state");
    EXPECT_EQ(b.get(), a.get());
    {
      LocalRc<Counted> c = std::move(b);
      EXPECT_FALSE(b);
      EXPECT_EQ(b.use_count(), 0u);
      EXPECT_EQ(c.use_count(), 2u);
      a = LocalRc<Counted>();  // drops a's reference: c keeps it alive
      EXPECT_EQ(alive, 1);
      EXPECT_EQ((*c).name, "state");
    }
    EXPECT_EQ(alive, 0);
  }
  EXPECT_EQ(alive, 0);
}

TEST(LocalRcTest, SelfAssignmentKeepsTheObject) {
  int alive = 0;
  auto a = LocalRc<Counted>::make(&alive, "x");
  auto& same = a;
  a = same;
  EXPECT_EQ(alive, 1);
  EXPECT_EQ(a.use_count(), 1u);
}

}  // namespace
}  // namespace zp
