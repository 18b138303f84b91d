// Keepalive deadlines of a shard's connections without a timer each: a connection pays a
// 24-byte link, activity is one store (its last-seen time), and one wheel timer sweeps
// half-second buckets. A link sits in the bucket of the deadline it had when it was placed;
// a sweep moves the ones that were active since to their new bucket and expires the rest,
// so a busy connection costs a move per keepalive period, not per packet. Links without a
// deadline (keepalive 0) sit in a list of their own, so the shard can still end them all.
#pragma once

#include <array>
#include <cstdint>

#include "zp/engine/shard.h"
#include "zp/engine/timer_wheel.h"

namespace zp::mqtt::detail {

struct KeepaliveLink {
  KeepaliveLink* prev = nullptr;
  KeepaliveLink* next = nullptr;
  std::uint32_t last_seen = 0;  // in ticks (Keepalives::kTickMs) of the shard's clock
  std::uint32_t limit = 0;      // ticks of silence allowed; 0: none
  bool linked() const { return next != nullptr; }
};

class Keepalives {
 public:
  static constexpr std::int64_t kTickMs = 100;
  // `expire` is called for each link whose silence passed its limit (already unlinked).
  Keepalives(Shard& shard, void (*expire)(KeepaliveLink*));
  ~Keepalives();
  Keepalives(const Keepalives&) = delete;
  Keepalives& operator=(const Keepalives&) = delete;

  // Places l with a limit of limit_ms of silence from now (0: no limit, still listed).
  void set(KeepaliveLink& l, std::int64_t limit_ms);
  // Activity on l: its silence starts again now.
  void touch(KeepaliveLink& l) { l.last_seen = now_ticks(); }
  void remove(KeepaliveLink& l);
  // Unlinks every link and calls fn(KeepaliveLink*) for each, one at a time (fn may end
  // other connections: their links leave the list it takes them from).
  template <class F>
  void take_all(F fn) {
    for (KeepaliveLink* head : all_heads()) {
      while (head->next != head) {
        KeepaliveLink* l = head->next;
        remove(*l);
        fn(l);
      }
    }
  }
  void stop();  // no sweeps from now on (the shard is stopping)

 private:
  static constexpr std::uint32_t kTicksPerBucket = 5;  // half a second
  static constexpr std::size_t kBuckets = 512;         // 256 s; longer deadlines come round again
  std::uint32_t now_ticks() const { return std::uint32_t(shard_.now_ms() / kTickMs); }
  static void link(KeepaliveLink& head, KeepaliveLink& l);
  void place(KeepaliveLink& l);
  void arm();
  static void fire(Timer* t);
  void sweep();
  std::array<KeepaliveLink*, kBuckets + 2> all_heads();

  Shard& shard_;
  void (*expire_)(KeepaliveLink*);
  std::array<KeepaliveLink, kBuckets> buckets_{};
  KeepaliveLink unlimited_;
  KeepaliveLink expiring_;  // due, handed to expire_ one at a time (sweep)
  std::uint32_t swept_ = 0;  // the bucket number (ticks / kTicksPerBucket) swept last
  std::size_t limited_ = 0;  // links placed in buckets (the timer runs while any are)
  Timer timer_;
  bool stopped_ = false;
};

}  // namespace zp::mqtt::detail
