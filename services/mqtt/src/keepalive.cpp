#include "keepalive.h"

namespace zp::mqtt::detail {

Keepalives::Keepalives(Shard& shard, void (*expire)(KeepaliveLink*)) : shard_(shard), expire_(expire) {
  for (auto& b : buckets_) b.prev = b.next = &b;
  unlimited_.prev = unlimited_.next = &unlimited_;
  expiring_.prev = expiring_.next = &expiring_;
  swept_ = now_ticks() / kTicksPerBucket;
  timer_.arg = this;
  timer_.fire = &Keepalives::fire;
}

Keepalives::~Keepalives() {
  stop();
  take_all([](KeepaliveLink*) {});
}

void Keepalives::stop() {
  stopped_ = true;
  if (timer_.armed) shard_.timers().remove(timer_);
}

void Keepalives::link(KeepaliveLink& head, KeepaliveLink& l) {
  l.prev = head.prev;
  l.next = &head;
  head.prev->next = &l;
  head.prev = &l;
}

void Keepalives::remove(KeepaliveLink& l) {
  if (!l.linked()) return;
  l.prev->next = l.next;
  l.next->prev = l.prev;
  l.prev = l.next = nullptr;
  if (l.limit != 0) --limited_;
}

void Keepalives::set(KeepaliveLink& l, std::int64_t limit_ms) {
  remove(l);
  // Rounded up to a tick: never earlier than asked.
  l.limit = std::uint32_t(std::min<std::int64_t>((limit_ms + kTickMs - 1) / kTickMs, UINT32_MAX / 2));
  l.last_seen = now_ticks();
  if (l.limit == 0) {
    link(unlimited_, l);
    return;
  }
  place(l);
}

// Into the bucket after the one its deadline falls in, so that the sweep of that bucket
// finds it due.
void Keepalives::place(KeepaliveLink& l) {
  const std::uint32_t due = l.last_seen + l.limit;
  std::uint32_t bucket = due / kTicksPerBucket + 1;
  if (bucket <= swept_) bucket = swept_ + 1;
  link(buckets_[bucket % kBuckets], l);
  ++limited_;
  arm();
}

void Keepalives::arm() {
  if (stopped_ || timer_.armed || limited_ == 0) return;
  shard_.timers().add(timer_, std::int64_t(swept_ + 1) * kTicksPerBucket * kTickMs);
}

void Keepalives::fire(Timer* t) { static_cast<Keepalives*>(t->arg)->sweep(); }

// Two phases: links are moved (to a later bucket, or to expiring_) with no callback
// running, then the expired ones are handed out one at a time from a list that stays
// well formed, so an expiry that ends other connections (and unlinks them) is safe.
void Keepalives::sweep() {
  const std::uint32_t now = now_ticks();
  const std::uint32_t current = now / kTicksPerBucket;
  // At most one turn of the ring: a bucket swept twice in a sweep gains nothing.
  if (current > swept_ + kBuckets) swept_ = current - kBuckets;
  while (swept_ < current) {
    ++swept_;
    KeepaliveLink& head = buckets_[swept_ % kBuckets];
    if (head.next == &head) continue;
    KeepaliveLink taken;  // the bucket's links: one placed again may land in this bucket
    taken.next = head.next;
    taken.prev = head.prev;
    taken.next->prev = &taken;
    taken.prev->next = &taken;
    head.prev = head.next = &head;
    while (taken.next != &taken) {
      KeepaliveLink* l = taken.next;
      remove(*l);
      if (l->last_seen + l->limit <= now) {
        link(expiring_, *l);
        ++limited_;
      } else {
        place(*l);
      }
    }
  }
  while (expiring_.next != &expiring_) {
    KeepaliveLink* l = expiring_.next;
    remove(*l);
    expire_(l);
  }
  arm();
}

std::array<KeepaliveLink*, Keepalives::kBuckets + 2> Keepalives::all_heads() {
  std::array<KeepaliveLink*, kBuckets + 2> heads{};
  for (std::size_t i = 0; i < kBuckets; ++i) heads[i] = &buckets_[i];
  heads[kBuckets] = &unlimited_;
  heads[kBuckets + 1] = &expiring_;
  return heads;
}

}  // namespace zp::mqtt::detail
