// The broker's persistence: which shard logs what, and when an acknowledgement may go.
// A persistent session's records go to the store of its client id's home shard (wherever
// the session lives now, so moving it writes nothing); retained messages to shard 0's. A
// QoS 1/2 PUBLISH gets a wait that every record it causes holds, here or on the shard it
// was forwarded to (a forwarded PUBLISH holds its origin's wait until its own records are
// durable), and its PUBACK/PUBREC goes when the wait is done, in PUBLISH order.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "shard_broker.h"
#include "zp/engine/log.h"

namespace zp::mqtt {

namespace detail {

namespace {
// A stored message with its expiry on this run's steady clock: what is left of it on the
// wall clock (a message that lapsed while we were down is lapsed now), or, from a log
// without the wall-clock record, its whole interval again.
MessagePtr restored_expiry(const StoredMessage& m, std::int64_t steady_now, std::int64_t unix_now) {
  MessagePtr msg = restart_expiry(m.msg, steady_now);
  if (m.expires_unix_ms == 0 || !msg || msg->expires_ms == 0) return msg;
  auto copy = std::make_shared<Message>(*msg);
  copy->expires_ms = steady_now + std::max<std::int64_t>(std::int64_t(m.expires_unix_ms) - unix_now, 0);
  return copy;
}
}  // namespace

std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Sessions loaded from the store are offline: their Session Expiry counts from this start
// (at least what was left when the broker went down: the time it was down is not counted).
void ShardBroker::start_restored() {
  for (std::uint32_t slot : restored_) {
    Session* s = slot < slots_.size() ? slots_[slot].get() : nullptr;
    if (s && !s->conn && s->persistent && !s->offline) keep_offline(*s, {}, 0);
  }
  restored_.clear();
}

template <class F>
void ShardBroker::to_home(const Session& s, F fn) {
  const unsigned home = home_of(s.client_id);
  if (home == id_) fn(*this);
  else send(home, std::move(fn));
}

void ShardBroker::adopt_store(std::unique_ptr<Store> st) {
  store_ = std::move(st);
  store_->on_durable = [this](std::span<const DurableWaiter> ws, bool ok) { on_durable(ws, ok); };
}

void ShardBroker::restore_retained(const StoreModel& m) {
  const std::int64_t now = steady_ms(std::chrono::steady_clock::now());
  const std::int64_t unix_now = unix_now_ms();
  for (const auto& [topic, r] : m.retained) {
    std::int64_t expires = restarted_expiry(r.properties, now);
    if (expires != 0 && r.expires_unix_ms != 0) expires = now + std::max<std::int64_t>(std::int64_t(r.expires_unix_ms) - unix_now, 0);
    retained_.set(topic, r.qos, r.payload, r.properties, expires);
  }
  counters.retained.store(retained_.size(), std::memory_order_relaxed);
}

void ShardBroker::restore_sessions() {
  // Before the shards run: the other parts' tries may be written from here.
  const std::int64_t now = steady_ms(std::chrono::steady_clock::now());
  const std::int64_t unix_now = unix_now_ms();
  for (const auto& [id, ss] : store_->model().sessions) {
    const std::uint64_t gen = ++next_gen_;
    Session* s = new_session(id, gen);
    if (!s) {
      ZP_LOG_WARN("mqtt persistence: more stored sessions than max_sessions on shard {}; the rest stay on disk only", id_);
      break;
    }
    store_->set_incarnation(id, gen);
    s->persistent = true;
    s->version = ss.version == 5 ? cm::Version::v5 : cm::Version::v311;
    s->expiry_s = ss.expiry_s;
    restored_.push_back(s->slot);
    for (const auto& [filter, stored] : ss.subscriptions) {
      Subscriber sub = stored;
      sub.session = s->slot;
      s->flows().subscriptions[filter] = sub;
      add(counters.subscriptions);
      if (is_share(filter)) {  // joins its group at the owner, directly
        const cm::SharedFilter share = cm::split_shared(filter);
        const unsigned owner = owner_of_share(filter);
        ShardBroker& o = group_.part(owner);
        o.join_group(filter, share.filter, SharedMember{.shard = id_, .slot = s->slot, .gen = gen, .sub = sub}, [] {}, true);
        for (unsigned t = 0; t < outbox_.size(); ++t)
          if (t != owner) group_.part(t).interest_.subscribe(share.filter, Subscriber{.session = owner + kSharedInterest});
        continue;
      }
      if (!subs_.subscribe(filter, sub)) continue;
      for (unsigned t = 0; t < outbox_.size(); ++t) {
        if (t != id_) group_.part(t).interest_.subscribe(filter, Subscriber{.session = id_});
      }
    }
    for (const auto& [seq, m] : ss.messages) {
      if (m.released) {  // PUBREC came before the restart: PUBREL is due, under a new id
        s->flows().inflight.push_back(Inflight{.packet_id = next_packet_id(*s), .qos = 2, .retain = m.retain, .released = true,
                                       .msg = restored_expiry(m, now, unix_now), .subscription_id = m.subscription_id, .seq = seq});
      } else {
        s->flows().queue.push_back(Queued{.msg = restored_expiry(m, now, unix_now), .qos = m.qos, .retain = m.retain, .subscription_id = m.subscription_id, .seq = seq});
      }
      next_seq_ = std::max(next_seq_, seq + 1);
    }
    registry_[id] = Owner{id_, gen};
  }
}

void ShardBroker::persist_connect(const std::string& client_id, std::uint64_t gen, bool persistent, bool clean_start,
                                  cm::Version v, std::uint32_t expiry_s) {
  if (!store_) return;
  const auto known = store_->model().sessions.find(client_id);
  const bool is_known = known != store_->model().sessions.end();
  if (is_known && (clean_start || !persistent)) store_->session_end(client_id, UINT64_MAX);
  const bool created = persistent && (clean_start || !is_known);
  if (created) store_->session_create(client_id, std::uint8_t(v), gen);
  // The interval of this CONNECT: a resumed session takes the new one.
  if (persistent && (created ? expiry_s != UINT32_MAX : known->second.expiry_s != expiry_s))
    store_->session_expiry(client_id, gen, expiry_s);
}

void ShardBroker::log_session_expiry(Session& s) {
  if (!store_) return;
  to_home(s, [id = s.client_id, gen = s.gen, e = s.expiry_s](ShardBroker& h) { (void)h.store_->session_expiry(id, gen, e); });
}

void ShardBroker::persist_end(const std::string& client_id, std::uint64_t gen) {
  if (store_) store_->session_end(client_id, gen);
}

// ---- records ----

std::uint64_t ShardBroker::unix_expiry(const Message& m) {
  if (m.expires_ms == 0) return 0;
  return std::uint64_t(unix_now_ms() + std::max<std::int64_t>(m.expires_ms - steady_now_ms(), 0));
}

void ShardBroker::log_queued(Session& s, std::uint64_t seq, const MessagePtr& m, std::uint8_t qos, bool retain,
                             std::uint32_t subscription_id) {
  const std::uint64_t w = cur_wait_;
  if (w) hold(w);
  to_home(s, [id = s.client_id, gen = s.gen, seq, sm = StoredMessage{m, qos, retain, false, subscription_id, unix_expiry(*m)}, w,
              me = id_](ShardBroker& h) {
    (void)h.store_->msg_queued(id, gen, seq, sm);
    if (w) h.store_->wait(DurableWaiter{me, w});
  });
}

void ShardBroker::log_acked(Session& s, std::uint64_t seq) {
  if (!store_ || seq == 0 || stopping_) return;
  to_home(s, [id = s.client_id, gen = s.gen, seq](ShardBroker& h) { (void)h.store_->msg_acked(id, gen, seq); });
}

void ShardBroker::log_released(Session& s, std::uint64_t seq) {
  if (!store_ || seq == 0 || stopping_) return;
  to_home(s, [id = s.client_id, gen = s.gen, seq](ShardBroker& h) { (void)h.store_->msg_released(id, gen, seq); });
}

void ShardBroker::log_subscription(Session& s, const std::string& filter, const Subscriber* sub) {
  if (!store_ || !s.persistent || stopping_) return;
  if (sub) {
    to_home(s, [id = s.client_id, gen = s.gen, filter, stored = *sub](ShardBroker& h) {
      (void)h.store_->sub_add(id, gen, filter, stored);
    });
  } else {
    to_home(s, [id = s.client_id, gen = s.gen, filter](ShardBroker& h) { (void)h.store_->sub_remove(id, gen, filter); });
  }
}

void ShardBroker::log_retained(const Message& m, RetainedStore::SetResult r) {
  // Every shard holds the retained set; shard 0 writes it.
  if (!store_ || id_ != 0) return;
  if (r == RetainedStore::SetResult::stored) store_->retained_set(m.topic, m.qos, m.payload, m.properties, unix_expiry(m));
  else if (r == RetainedStore::SetResult::deleted) store_->retained_clear(m.topic);
  else return;
  if (cur_wait_ && m.qos > 0) {
    hold(cur_wait_);
    store_->wait(DurableWaiter{id_, cur_wait_});
  }
}

// ---- waits ----

void ShardBroker::hold(std::uint64_t wait) {
  if (auto it = waits_.find(wait); it != waits_.end()) ++it->second.pending;
}

void ShardBroker::release_wait(std::uint64_t wait, bool ok) {
  auto it = waits_.find(wait);
  if (it == waits_.end()) return;
  DurableWait& w = it->second;
  if (!ok) w.ok = false;
  if (--w.pending > 0) return;
  if (w.parent) {
    const bool good = w.ok;
    const unsigned to = w.parent_shard;
    const std::uint64_t parent = w.parent;
    waits_.erase(it);
    send(to, [parent, good](ShardBroker& o) { o.release_wait(parent, good); });
    return;
  }
  w.done = true;
  if (!w.conn) {
    waits_.erase(it);
    return;
  }
  drain_acks(*w.conn);
}

void ShardBroker::drain_acks(Conn& c) {
  auto q = ack_queues_.find(&c);
  if (q == ack_queues_.end()) return;
  auto& fifo = q->second;
  while (!fifo.empty()) {
    auto it = waits_.find(fifo.front());
    if (it != waits_.end() && !it->second.done) break;
    if (it != waits_.end()) {
      if (it->second.ok) {
        c.ack(it->second.ack, it->second.packet_id);
      } else {
        // Not stored: no acknowledgement; the client sends it again on its next connection.
        c.end();
      }
      waits_.erase(it);
    }
    fifo.pop_front();
  }
  if (fifo.empty()) ack_queues_.erase(q);
}

void ShardBroker::on_durable(std::span<const DurableWaiter> ws, bool ok) {
  for (const DurableWaiter& w : ws) {
    if (w.shard == id_) release_wait(w.token, ok);
    else send(w.shard, [t = w.token, ok](ShardBroker& o) { o.release_wait(t, ok); });
  }
  flush_all();
}

void ShardBroker::publish_acked(Conn& c, const MessagePtr& m, std::uint8_t qos, std::uint16_t packet_id) {
  const cm::PacketType type = qos == 1 ? cm::PacketType::puback : cm::PacketType::pubrec;
  if (!store_ || qos == 0) {
    publish(m);
    if (qos > 0) ack_ordered(c, type, packet_id);
    return;
  }
  const std::uint64_t t = ++next_wait_;
  waits_.emplace(t, DurableWait{.conn = &c, .ack = type, .packet_id = packet_id});
  ack_queues_[&c].push_back(t);
  cur_wait_ = t;
  publish(m);  // every record and forward holds t
  cur_wait_ = 0;
  release_wait(t, true);
}

void ShardBroker::ack_ordered(Conn& c, cm::PacketType type, std::uint16_t packet_id) {
  auto q = ack_queues_.find(&c);
  if (q == ack_queues_.end()) {
    c.ack(type, packet_id);
    return;
  }
  const std::uint64_t t = ++next_wait_;
  waits_.emplace(t, DurableWait{.pending = 0, .done = true, .conn = &c, .ack = type, .packet_id = packet_id});
  q->second.push_back(t);
}

void ShardBroker::conn_closed(Conn& c) {
  auto q = ack_queues_.find(&c);
  if (q == ack_queues_.end()) return;
  for (std::uint64_t t : q->second) {
    auto it = waits_.find(t);
    if (it == waits_.end()) continue;
    if (it->second.done) waits_.erase(it);
    else it->second.conn = nullptr;
  }
  ack_queues_.erase(q);
}

void ShardBroker::run_forwarded(const MessagePtr& m, bool interested, unsigned origin, std::uint64_t parent) {
  under_wait(origin, parent, [&] {
    // A retained message is matched here even when the origin saw no interest: a
    // subscription whose announcement had not reached it yet got its retained copies before
    // this one replaced them, so it takes this one live.
    if (m->retain) set_retained(*m);
    if (interested || m->retain) deliver_local(m);
  });
}

}  // namespace detail

// ---- Broker ----

namespace {

// The shard count is part of the layout (a session's records are at its id's home shard):
// the directory remembers it and refuses another.
std::string check_shard_count(const std::string& dir, unsigned shards) {
  const std::string path = dir + "/shards";
  std::ifstream in(path);
  if (in) {
    unsigned n = 0;
    if (!(in >> n) || n == 0) return path + ": not a shard count";
    if (n != shards) {
      return dir + " was written by " + std::to_string(n) + " shards; run with --shards " + std::to_string(n) +
             " (or move the directory away)";
    }
    return {};
  }
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return tmp + ": " + std::strerror(errno);
  const std::string text = std::to_string(shards) + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == ssize_t(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) < 0) return path + ": " + std::strerror(errno);
  return {};
}

}  // namespace

std::string Broker::restore() {
  const PersistenceOptions& p = opts_.persistence;
  if (p.dir.empty() || restored_) return {};
  if (::mkdir(p.dir.c_str(), 0750) < 0 && errno != EEXIST) return p.dir + ": " + std::strerror(errno);
  if (std::string e = check_shard_count(p.dir, shard_count()); !e.empty()) return e;
  for (unsigned i = 0; i < parts_.size(); ++i) {
    detail::LoadReport rep;
    auto st = detail::Store::open(p, i, &rep);
    if (!st) {
      return (rep.warning.empty() ? p.dir + "/shard-" + std::to_string(i) : rep.warning) + ": " + st.error().message();
    }
    if (!rep.warning.empty()) ZP_LOG_WARN("mqtt persistence: {}", rep.warning);
    ZP_LOG_INFO("mqtt persistence: shard {}: {} snapshot and {} log records loaded", i, rep.snapshot_records,
                rep.log_records);
    parts_[i]->adopt_store(std::move(*st));
  }
  for (auto& part : parts_) part->restore_sessions();
  for (auto& part : parts_) part->restore_retained(parts_[0]->store_model());
  restored_ = true;
  return {};
}

}  // namespace zp::mqtt
