/// \file
/// TimerWheel: a hashed timing wheel with 1 ms ticks and 4096 slots; timers further out
/// wait in their slot until due. Insert and remove are O(1); a bitmap of non-empty slots
/// makes next_timeout_ms() cheap. Timers are caller-owned (intrusive), nothing allocates.
/// \code
///   zp::Timer t; t.fire = [](zp::Timer* t) { ... };
///   wheel.add(t, now_ms + 250);
///   wheel.advance(now_ms);   // fires every timer whose deadline <= now_ms
/// \endcode
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace zp {

/// A timer the caller owns (nothing allocated); arm it with TimerWheel::add.
struct Timer {
  void (*fire)(Timer* self) = nullptr;  ///< called when due, on the shard's thread
  void* arg = nullptr;  ///< for fire
  int64_t deadline_ms = 0;  ///< when it is due (ms, the shard clock)
  Timer* prev = nullptr;  ///< the wheel's link
  Timer* next = nullptr;  ///< the wheel's link
  uint32_t slot = 0;  ///< the wheel's slot
  bool armed = false;  ///< true while in the wheel
};

/// A hashed timer wheel with 1 ms slots: O(1) add and remove.
class TimerWheel {
 public:
  static constexpr size_t kSlots = 4096;  ///< slots in the wheel (a turn is kSlots ms)
  /// A wheel starting at time now_ms.
  explicit TimerWheel(int64_t now_ms = 0) : current_ms_(now_ms) {}

  /// Arms t (re-arms it if armed). A deadline in the past fires at the next advance().
  void add(Timer& t, int64_t deadline_ms);
  /// Disarms t; a no-op when it is not armed.
  void remove(Timer& t);
  /// Fires every due timer, in no particular order within one tick.
  void advance(int64_t now_ms);
  /// Milliseconds until the next non-empty slot (0 if one is due), or -1 with no timers.
  /// May be early (a slot holding a timer a full turn away): the caller just wakes again.
  int next_timeout_ms(int64_t now_ms) const;
  size_t size() const { return count_; }  ///< timers armed

 private:
  void link(Timer& t);
  void fire_slot(size_t slot, int64_t now_ms);
  /// Timers of the slot being fired wait here (slot == kFiring), so that a fire callback
  /// removing or re-adding one of them unlinks it from this list, not from a slot.
  static constexpr uint32_t kFiring = uint32_t(kSlots);
  Timer* firing_ = nullptr;
  std::array<Timer*, kSlots> slots_{};
  std::array<uint64_t, kSlots / 64> nonempty_{};
  int64_t current_ms_;
  size_t count_ = 0;
};

}  // namespace zp
