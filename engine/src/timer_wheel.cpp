#include "zp/engine/timer_wheel.h"

#include <bit>

namespace zp {

namespace {
size_t slot_of(int64_t ms) { return size_t(uint64_t(ms) % TimerWheel::kSlots); }
}  // namespace

void TimerWheel::link(Timer& t) {
  // Deadlines already past go to the current slot so the next advance fires them.
  int64_t at = t.deadline_ms < current_ms_ ? current_ms_ : t.deadline_ms;
  size_t s = slot_of(at);
  t.slot = uint32_t(s);
  t.prev = nullptr;
  t.next = slots_[s];
  if (t.next) t.next->prev = &t;
  slots_[s] = &t;
  nonempty_[s / 64] |= uint64_t(1) << (s % 64);
}

void TimerWheel::add(Timer& t, int64_t deadline_ms) {
  if (t.armed) remove(t);
  t.deadline_ms = deadline_ms;
  t.armed = true;
  ++count_;
  link(t);
}

void TimerWheel::remove(Timer& t) {
  if (!t.armed) return;
  if (t.prev) {
    t.prev->next = t.next;
  } else if (t.slot == kFiring) {
    firing_ = t.next;
  } else {
    slots_[t.slot] = t.next;
    if (!t.next) nonempty_[t.slot / 64] &= ~(uint64_t(1) << (t.slot % 64));
  }
  if (t.next) t.next->prev = t.prev;
  t.prev = t.next = nullptr;
  t.armed = false;
  --count_;
}

void TimerWheel::fire_slot(size_t s, int64_t now_ms) {
  Timer* list = slots_[s];
  if (!list) return;
  slots_[s] = nullptr;
  nonempty_[s / 64] &= ~(uint64_t(1) << (s % 64));
  for (Timer* t = list; t; t = t->next) t->slot = kFiring;
  firing_ = list;
  // A callback may remove() or add() any timer still in firing_: it unlinks it from there.
  while (firing_) {
    Timer* t = firing_;
    firing_ = t->next;
    if (firing_) firing_->prev = nullptr;
    t->prev = t->next = nullptr;
    if (t->deadline_ms <= now_ms) {
      t->armed = false;
      --count_;
      t->fire(t);
    } else {
      link(*t);
    }
  }
}

void TimerWheel::advance(int64_t now_ms) {
  if (now_ms < current_ms_) return;
  int64_t ticks = now_ms - current_ms_;
  if (ticks >= int64_t(kSlots)) ticks = kSlots - 1;
  int64_t from = now_ms - ticks;
  current_ms_ = now_ms;
  if (count_ == 0) return;
  for (int64_t ms = from; ms <= now_ms; ++ms) fire_slot(slot_of(ms), now_ms);
}

int TimerWheel::next_timeout_ms(int64_t now_ms) const {
  if (count_ == 0) return -1;
  // From the wheel's own position, not from now: when the clock moved on since the last
  // advance() (a shard's set-up, before its loop runs), the slots between are due, and a
  // scan from now would see them a whole turn away.
  size_t start = slot_of(current_ms_);
  for (size_t n = 0; n <= kSlots / 64; ++n) {
    size_t word = ((start / 64) + n) % (kSlots / 64);
    uint64_t bits = nonempty_[word];
    if (n == 0) bits &= ~uint64_t(0) << (start % 64);
    if (bits) {
      size_t s = word * 64 + size_t(std::countr_zero(bits));
      int64_t due = current_ms_ + int64_t((s + kSlots - start) % kSlots);
      return due <= now_ms ? 0 : int(due - now_ms);
    }
  }
  return 0;
}

}  // namespace zp
