#include "zp/engine/timer_wheel.h"

#include <gtest/gtest.h>

#include <vector>

namespace zp {

TEST(TimerWheel, FiresInDeadlineOrderAcrossTicks) {
  TimerWheel w(1000);
  std::vector<int> fired;
  Timer t[4];
  int64_t deadlines[4] = {1005, 1001, 1000 + 5000, 1003};  // one beyond a full turn
  struct Ctx {
    std::vector<int>* out;
    int id;
  } ctx[4];
  for (int i = 0; i < 4; ++i) {
    ctx[i] = {&fired, i};
    t[i].arg = &ctx[i];
    t[i].fire = [](Timer* tm) {
      auto* c = static_cast<Ctx*>(tm->arg);
      c->out->push_back(c->id);
    };
    w.add(t[i], deadlines[i]);
  }
  EXPECT_EQ(w.size(), 4u);
  EXPECT_EQ(w.next_timeout_ms(1000), 1);
  for (int64_t now = 1000; now <= 1010; ++now) w.advance(now);
  EXPECT_EQ(fired, (std::vector<int>{1, 3, 0}));
  // The far timer waits a full turn of the wheel and more.
  w.advance(1000 + 4096 + 10);
  EXPECT_EQ(fired.size(), 3u);
  w.advance(6000);
  EXPECT_EQ(fired.size(), 4u);
  EXPECT_EQ(w.size(), 0u);
  EXPECT_EQ(w.next_timeout_ms(6000), -1);
}

TEST(TimerWheel, RemoveAndPastDeadlines) {
  TimerWheel w(0);
  int count = 0;
  Timer a, b;
  a.arg = b.arg = &count;
  a.fire = b.fire = [](Timer* t) { ++*static_cast<int*>(t->arg); };
  w.add(a, 10);
  w.add(b, 10);
  w.remove(a);
  w.remove(a);  // no-op
  w.advance(20);
  EXPECT_EQ(count, 1);
  w.add(a, 5);  // already past: fires on the next advance
  EXPECT_EQ(w.next_timeout_ms(20), 0);
  w.advance(20);
  EXPECT_EQ(count, 2);
}

// The clock moved on since the last advance() (a shard's set-up adds timers before its loop
// runs): a timer in the slots between is due now, not a turn of the wheel later.
TEST(TimerWheel, TimerBehindAStaleWheelIsDueAtOnce) {
  TimerWheel w(100);
  Timer t;
  t.fire = [](Timer*) {};
  w.add(t, 100);
  EXPECT_EQ(w.next_timeout_ms(100), 0);
  EXPECT_EQ(w.next_timeout_ms(3000), 0);
  Timer later;
  later.fire = [](Timer*) {};
  w.remove(t);
  w.add(later, 3500);
  EXPECT_EQ(w.next_timeout_ms(3000), 500);
  EXPECT_EQ(w.next_timeout_ms(3600), 0);
}

}  // namespace zp
