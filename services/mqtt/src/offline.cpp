// Offline persistent sessions: a 5.0 Session Expiry Interval ends one (MQTT-3.1.2-23), and a
// 5.0 Will Delay Interval holds its will back until the delay or the session's end, whichever
// comes first (MQTT-3.1.3-9), unless its client comes back. One timer per shard, on a heap of
// deadlines; an entry whose session reconnected, moved or ended is skipped when it comes up.
#include <algorithm>
#include <functional>

#include "shard_broker.h"

namespace zp::mqtt::detail {

namespace {
// The next thing an offline session waits for; 0: nothing.
std::int64_t next_deadline(const Offline& off) {
  if (off.will && (off.expires_ms == 0 || off.will_at_ms < off.expires_ms)) return off.will_at_ms;
  return off.expires_ms;
}
}  // namespace

void ShardBroker::publish_will(const MessagePtr& will) {
  add(counters.wills);
  publish(restart_expiry(will, steady_now_ms()));  // its Message Expiry counts from now
}

void ShardBroker::keep_offline(Session& s, MessagePtr will, std::uint32_t will_delay_s) {
  s.offline.reset();
  const bool expires = s.expiry_s != UINT32_MAX;
  if (!expires && !will) return;
  const std::int64_t now = shard_->now_ms();
  auto off = std::make_unique<Offline>();
  if (expires) off->expires_ms = now + std::int64_t(s.expiry_s) * 1000;
  if (will) {
    off->will_at_ms = now + std::int64_t(will_delay_s) * 1000;
    off->will = std::move(will);
  }
  const std::int64_t at = next_deadline(*off);
  s.offline = std::move(off);
  // Each session has at most one live entry: past twice that, drop the stale ones.
  if (deadlines_.size() > 2 * by_id_.size() + 64) {
    std::erase_if(deadlines_, [this](const Deadline& d) {
      const Session* o = d.slot < slots_.size() ? slots_[d.slot].get() : nullptr;
      return !o || o->gen != d.gen || o->conn || !o->offline;
    });
    std::make_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
  }
  deadlines_.push_back(Deadline{at, s.slot, s.gen});
  std::push_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
  arm_deadlines();
}

void ShardBroker::arm_deadlines() {
  if (deadlines_.empty() || stopping_) return;
  if (deadline_timer_.armed) shard_->timers().remove(deadline_timer_);
  deadline_timer_.arg = this;
  deadline_timer_.fire = [](Timer* t) { static_cast<ShardBroker*>(t->arg)->run_deadlines(); };
  shard_->timers().add(deadline_timer_, deadlines_.front().at_ms);
}

void ShardBroker::run_deadlines() {
  if (stopping_) return;
  const std::int64_t now = shard_->now_ms();
  while (!deadlines_.empty() && deadlines_.front().at_ms <= now) {
    std::pop_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
    const Deadline d = deadlines_.back();
    deadlines_.pop_back();
    Session* s = d.slot < slots_.size() ? slots_[d.slot].get() : nullptr;
    if (!s || s->gen != d.gen || s->conn || !s->offline) continue;  // it moved on
    Offline& off = *s->offline;
    if (off.will && off.will_at_ms <= now) {
      publish_will(off.will);
      off.will.reset();
    }
    if (off.expires_ms && off.expires_ms <= now) {
      if (off.will) publish_will(off.will);  // the session ends before the delay: the will goes now
      s->offline.reset();
      s->persistent = false;
      add(counters.sessions_expired);
      end_session(*s);
      continue;
    }
    if (const std::int64_t at = next_deadline(off); at != 0) {
      deadlines_.push_back(Deadline{at, s->slot, s->gen});
      std::push_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
    } else {
      s->offline.reset();
    }
  }
  arm_deadlines();
  flush_all();
}

}  // namespace zp::mqtt::detail
