// Connection deadlines without a timer per connection: a connection's deadline is always
// one of a few fixed lengths (waiting for a head, idle, reading a body), so the shard keeps
// one FIFO list per length. A connection set to a length goes to that list's tail; the
// lists stay sorted by deadline, and one wheel Timer per list fires at its head's. A link
// is 32 bytes in the connection's idle frame (a Timer and its deadline were 56).
//   DeadlineLists d(shard, {10000, 60000});          // lengths in ms, index = kind
//   DeadlineLink l{.ctx = ctx};  d.set(l, 1);         // cancels ctx 60 s from now
//   d.set(l, 0); ... d.remove(l);                      // moved, then gone (before l dies)
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "zp/engine/shard.h"
#include "zp/engine/task.h"
#include "zp/engine/timer_wheel.h"

namespace zp::http {

// One connection's place in a list (unlinked: prev == next == nullptr).
struct DeadlineLink {
  DeadlineLink* prev = nullptr;
  DeadlineLink* next = nullptr;
  int64_t at_ms = 0;       // on the shard's clock
  TaskCtx* ctx = nullptr;  // cancelled when the deadline passes
  bool linked() const { return next != nullptr; }
};

class DeadlineLists {
 public:
  static constexpr size_t kMaxKinds = 4;
  // lengths_ms[k]: the deadline of kind k, from when it is set. At most kMaxKinds.
  DeadlineLists(Shard& shard, std::initializer_list<int64_t> lengths_ms);
  ~DeadlineLists();
  DeadlineLists(const DeadlineLists&) = delete;
  DeadlineLists& operator=(const DeadlineLists&) = delete;

  // l's deadline becomes now + lengths_ms[kind] (moved from wherever it was).
  void set(DeadlineLink& l, size_t kind);
  // Unlinks l (a no-op when it is not linked): its ctx is never cancelled by us again.
  static void remove(DeadlineLink& l);
  // Links in all lists (for tests).
  size_t size() const;

 private:
  struct List {
    DeadlineLink head;  // sentinel of a circular list
    Timer timer;
    int64_t length_ms = 0;
    DeadlineLists* owner = nullptr;
  };
  static void fire(Timer* t);
  Shard& shard_;
  size_t kinds_ = 0;
  std::array<List, kMaxKinds> lists_{};
};

}  // namespace zp::http
