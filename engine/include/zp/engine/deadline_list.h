/// \file
/// DeadlineLists: connection deadlines without a timer per connection. A connection's
/// deadline is always one of a few fixed lengths (waiting for a request head, idle, reading
/// a body), so the shard keeps one FIFO list per length: a connection set to a length goes to
/// that list's tail, each list stays sorted by deadline (same length, monotonic clock), and
/// one wheel Timer per list fires at its head's deadline. A connection pays a 32-byte
/// DeadlineLink (IdleGuard with its Timer is 80). Setting the same length again on the
/// list's last link (a keep-alive connection after each response) is a store.
/// \code
///   zp::DeadlineLists d(shard, {10000, 60000});   // lengths in ms; index = kind
///   zp::DeadlineLink l;  l.ctx = ctx;  d.set(l, 1); // cancels ctx 60 s from now
///   d.set(l, 0);  ...  zp::DeadlineLists::remove(l); // moved, then gone (before l dies)
/// \endcode
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "zp/engine/shard.h"
#include "zp/engine/task.h"
#include "zp/engine/timer_wheel.h"

namespace zp {

/// One connection's place in a DeadlineLists list; it must be removed before it dies.
struct DeadlineLink {
  DeadlineLink* prev = nullptr;  ///< the list's link (nullptr: not linked)
  DeadlineLink* next = nullptr;  ///< the list's link (nullptr: not linked)
  int64_t at_ms = 0;       ///< the deadline, on the shard's clock (Shard::now_ms)
  TaskCtx* ctx = nullptr;  ///< cancelled when the deadline passes
  bool linked() const { return next != nullptr; }  ///< true while in a list
};

/// A shard's deadline lists, one per length (see the file comment). Not thread-safe: one
/// shard's connections use it on that shard.
class DeadlineLists {
 public:
  static constexpr size_t kMaxKinds = 4;  ///< lengths (kinds) at most
  /// lengths_ms[k] is the deadline of kind k, from when it is set; beyond kMaxKinds ignored.
  DeadlineLists(Shard& shard, std::initializer_list<int64_t> lengths_ms);
  /// Unlinks every link still listed (their contexts are not cancelled) and stops the timers.
  ~DeadlineLists();
  DeadlineLists(const DeadlineLists&) = delete;
  DeadlineLists& operator=(const DeadlineLists&) = delete;

  /// l's deadline becomes now + lengths_ms[kind] (moved from wherever it was).
  void set(DeadlineLink& l, size_t kind);
  /// Unlinks l (a no-op when it is not linked): its ctx is never cancelled by us again.
  static void remove(DeadlineLink& l);
  /// Links in all lists (for tests): walks them.
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

}  // namespace zp
