// The broker's shard part: routing, sessions, the home-shard registry and the ordered
// cross-shard outboxes. The connection loop is in connection.cpp.
#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "shard_broker.h"
#include "zp/engine/log.h"

namespace zp::mqtt {

namespace detail {

ShardBroker::ShardBroker(Broker& group, unsigned id, unsigned count)
    : opts(group.options()), group_(group), id_(id), retained_(group.options().retained),
      outbox_(count), backlog_bytes_(count, 0),
      parse_subscriptions_(group.options().limits.max_subscriptions),
      parse_filters_(group.options().limits.max_subscriptions) {
  retry_timer_.arg = this;
  retry_timer_.fire = [](Timer* t) {
    auto* self = static_cast<ShardBroker*>(t->arg);
    self->retry_armed_ = false;
    self->flush_all();
  };
}

ShardBroker::~ShardBroker() = default;

// ---- cross-shard outboxes ----

void ShardBroker::flush_all() {
  for (unsigned t = 0; t < outbox_.size(); ++t) flush(t);
}

void ShardBroker::flush(unsigned target) {
  auto& box = outbox_[target];
  if (box.items.empty() || !shard_) return;
  // Shared: when the inbox refuses the message, our reference keeps the items.
  auto batch = std::make_shared<std::vector<std::unique_ptr<Work>>>(std::move(box.items));
  box.items.clear();
  ShardBroker* to = &group_.part(target);
  auto r = shard_->submit_to(target, [to, b = batch] {
    for (auto& w : *b) w->run(*to);
    to->flush_all();  // replies and acknowledgements go out at once
  });
  if (r) {
    add(counters.cross_shard_batches);
    backlog_bytes_[target] = 0;
    return;
  }
  // The target's inbox from us is full: keep the items, in order, ahead of newer ones.
  box.items.insert(box.items.begin(), std::make_move_iterator(batch->begin()), std::make_move_iterator(batch->end()));
  arm_retry();
}

void ShardBroker::arm_retry() {
  if (retry_armed_ || stopping_ || !shard_) return;
  retry_armed_ = true;
  shard_->timers().add(retry_timer_, shard_->now_ms() + 1);
}

// ---- the home-shard registry ----

ShardBroker::Claim ShardBroker::claim(const std::string& client_id, unsigned shard) {
  Claim c;
  c.gen = ++next_gen_;
  auto [it, inserted] = registry_.try_emplace(client_id, Owner{shard, c.gen});
  if (!inserted) {
    c.previous = it->second;
    it->second = Owner{shard, c.gen};
  }
  return c;
}

void ShardBroker::release(const std::string& client_id, unsigned shard, std::uint64_t gen) {
  auto it = registry_.find(client_id);
  if (it != registry_.end() && it->second.shard == shard && it->second.gen == gen) registry_.erase(it);
}

std::unique_ptr<SessionState> ShardBroker::detach(const std::string& client_id, std::uint64_t gen, bool keep) {
  auto it = by_id_.find(std::string_view(client_id));
  if (it == by_id_.end() || (*it)->gen > gen) {
    // Its CONNECT has not attached yet (or a newer one holds the id): it must not attach.
    auto& t = tombstones_[client_id];
    t = std::max(t, gen);
    return nullptr;
  }
  Session& s = **it;
  if (Conn* c = s.conn) {
    add(counters.takeovers);
    c->taken_over = true;
    // A will held back by a Will Delay: a clean start ends the session, and with it the
    // delay, so the will goes now; a resumed session cancels it (MQTT-3.1.3-9). (Without a
    // delay it goes when the connection closes, as on any abnormal close.)
    if (c->will && c->will->delay_s > 0 && !(keep && s.persistent)) {
      publish_will(c->will->msg);
      c->will.reset();
    }
    if (c->version == cm::Version::v5) c->write(cm::Disconnect{.reason = cm::reason::session_taken_over});
    c->session = nullptr;
    s.conn = nullptr;
    c->end();
  }
  // A delayed will: a resumed session cancels it (MQTT-3.1.3-9); a clean start ends the
  // session, and with it the delay.
  if (s.offline && s.offline->will && !(keep && s.persistent)) publish_will(s.offline->will);
  std::unique_ptr<SessionState> st;
  if (keep && s.persistent) {
    st = std::make_unique<SessionState>();
    for (auto& [filter, sub] : s.view().subscriptions) st->subscriptions.emplace_back(filter, sub);
    st->inflight = std::move(s.flows().inflight);
    st->queue = std::move(s.flows().queue);
    st->incoming_qos2 = std::move(s.flows().incoming_qos2);
    st->last_packet_id = s.last_packet_id;
    st->next_seq = next_seq_;
  }
  free_session(s);
  return st;
}

// ---- sessions ----

Session* ShardBroker::new_session(const std::string& client_id, std::uint64_t gen) {
  if (by_id_.size() >= opts.max_sessions) return nullptr;
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = std::uint32_t(slots_.size());
    slots_.emplace_back();
  }
  slots_[slot] = std::make_unique<Session>();
  Session* s = slots_[slot].get();
  s->client_id = client_id;
  s->slot = slot;
  s->gen = gen;
  // The newest session of an id is the one found (an older one may still be on its way out).
  if (auto old = by_id_.find(std::string_view(client_id)); old != by_id_.end()) by_id_.erase(old);
  by_id_.insert(s);
  add(counters.sessions);
  return s;
}

void ShardBroker::free_session(Session& s) {
  for (auto& [filter, sub] : s.view().subscriptions) {
    (void)sub;
    if (is_share(filter)) {
      subtract(counters.subscriptions);
      unsubscribe_shared(s, filter);
      continue;
    }
    auto r = subs_.unsubscribe(filter, s.slot);
    if (r.removed) subtract(counters.subscriptions);
    if (r.filter_empty) {
      for (unsigned t = 0; t < outbox_.size(); ++t) {
        if (t == id_) continue;
        send(t, [f = filter, me = id_](ShardBroker& tb) { tb.interest_.unsubscribe(f, me); });
      }
    }
  }
  auto it = by_id_.find(std::string_view(s.client_id));
  if (it != by_id_.end() && *it == &s) by_id_.erase(it);
  const std::uint32_t slot = s.slot;
  slots_[slot].reset();
  free_slots_.push_back(slot);
  subtract(counters.sessions);
}

void ShardBroker::end_session(Session& s, MessagePtr delayed_will, std::uint32_t will_delay_s) {
  s.conn = nullptr;
  if (s.persistent && !stopping_) {
    keep_offline(s, std::move(delayed_will), will_delay_s);
    return;
  }
  if (delayed_will && !stopping_) publish_will(delayed_will);  // the session ends: so does the delay
  const unsigned home = home_of(s.client_id);
  const bool ended = !s.persistent;  // not at a stop: the stored session stays
  if (home == id_) {
    release(s.client_id, id_, s.gen);
    if (ended) persist_end(s.client_id, s.gen);
  } else {
    send(home, [id = s.client_id, me = id_, gen = s.gen, ended](ShardBroker& h) {
      h.release(id, me, gen);
      if (ended) h.persist_end(id, gen);
    });
  }
  free_session(s);
}

unsigned ShardBroker::home_of(std::string_view client_id) const {
  return unsigned(std::hash<std::string_view>{}(client_id) % outbox_.size());
}

bool ShardBroker::record_subscription(Session& s, const std::string& filter, Subscriber& sub, bool& existed) {
  existed = s.view().subscriptions.contains(filter);
  if (!existed && s.view().subscriptions.size() >= opts.max_subscriptions) return false;
  sub.session = s.slot;
  s.flows().subscriptions[filter] = sub;
  log_subscription(s, filter, &sub);
  if (!existed) add(counters.subscriptions);
  return true;
}

ShardBroker::Added ShardBroker::add_subscription(Session& s, const std::string& filter, Subscriber sub) {
  bool existed = false;
  if (!record_subscription(s, filter, sub, existed)) return Added::refused;
  const bool first = subs_.subscribe(filter, sub);
  return first && outbox_.size() > 1 ? Added::announce : Added::added;
}

Task<void> ShardBroker::announce(std::string filter) {
  // The other shards must know before SUBACK: a PUBLISH that a client sends on another
  // shard after our SUBACK then reaches this subscriber.
  Acks acks;
  acks.pending = unsigned(outbox_.size()) - 1;
  for (unsigned t = 0; t < outbox_.size(); ++t) {
    if (t == id_) continue;
    send(t, [f = filter, me = id_, a = &acks](ShardBroker& tb) {
      tb.interest_.subscribe(f, Subscriber{.session = me});
      tb.send(me, [a](ShardBroker&) { a->done_one(); });
    });
    flush(t);
  }
  co_await AcksAwaiter{&acks};
}

Task<bool> ShardBroker::subscribe(Session& s, std::string filter, Subscriber sub) {
  if (is_share(filter)) {  // a share moving with its session, or restored
    const bool joined = co_await subscribe_shared(s, filter, sub);
    co_return joined;
  }
  const Added r = add_subscription(s, filter, sub);
  if (r == Added::announce) co_await announce(std::move(filter));
  co_return r != Added::refused;
}

void ShardBroker::unsubscribe(Session& s, const std::string& filter) {
  auto it = s.flows().subscriptions.find(filter);
  if (it == s.flows().subscriptions.end()) return;
  s.flows().subscriptions.erase(it);
  log_subscription(s, filter, nullptr);
  if (is_share(filter)) {
    subtract(counters.subscriptions);
    unsubscribe_shared(s, filter);
    return;
  }
  auto r = subs_.unsubscribe(filter, s.slot);
  if (r.removed) subtract(counters.subscriptions);
  if (!r.filter_empty) return;
  for (unsigned t = 0; t < outbox_.size(); ++t) {
    if (t == id_) continue;
    send(t, [f = filter, me = id_](ShardBroker& tb) { tb.interest_.unsubscribe(f, me); });
  }
}

// ---- routing ----

void ShardBroker::publish(const MessagePtr& m) {
  if (m->retain) set_retained(*m);
  deliver_local(m);
  const unsigned n = unsigned(outbox_.size());
  if (n == 1) return;
  std::uint64_t mask = 0;
  interest_.match(m->topic, [&](const Subscriber& s) { mask |= std::uint64_t{1} << (s.session & 63); });
  for (unsigned t = 0; t < n; ++t) {
    if (t == id_) continue;
    const bool interested = (mask >> (t & 63)) & 1u;
    if (!interested && !m->retain) continue;
    // What an item holds, roughly: empty payloads count too, so the bound holds for them.
    const std::size_t cost = m->payload.size() + m->topic.size() + 64;
    if (m->qos == 0 && !m->retain && backlog_bytes_[t] + cost > opts.max_cross_shard_bytes &&
        !outbox_[t].items.empty()) {
      add(counters.dropped);
      continue;
    }
    backlog_bytes_[t] += cost;
    // With persistence, the target holds our PUBLISH's wait until its records are durable.
    const std::uint64_t w = cur_wait_;
    if (w) hold(w);
    send(t, [m, interested, me = id_, w](ShardBroker& tb) { tb.run_forwarded(m, interested, me, w); });
  }
}

void ShardBroker::set_retained(const Message& m) {
  log_retained(m, retained_.set(m.topic, m.qos, m.payload, m.properties, m.expires_ms));
  counters.retained.store(retained_.size(), std::memory_order_relaxed);
}

void ShardBroker::deliver_local(const MessagePtr& m) {
  deliver_shared(m);  // the groups this shard owns
  matched_.clear();
  subs_.match(m->topic, [&](const Subscriber& s) { matched_.push_back(s); });
  if (matched_.empty()) return;
  // A session matched through overlapping filters gets the message once, at the highest QoS.
  std::sort(matched_.begin(), matched_.end(), [](const Subscriber& a, const Subscriber& b) {
    return a.session != b.session ? a.session < b.session : a.qos > b.qos;
  });
  std::uint32_t last = UINT32_MAX;
  for (const Subscriber& s : matched_) {
    if (s.session == last) continue;
    last = s.session;
    Session* ss = s.session < slots_.size() ? slots_[s.session].get() : nullptr;
    if (!ss) continue;
    if (!may_read(*ss, m->topic)) continue;
    constexpr std::uint8_t kNoLocal = 1, kRetainAsPublished = 2;
    if ((s.options & kNoLocal) && m->origin_shard == id_ && m->origin_session == ss->slot) continue;
    const bool retain = (s.options & kRetainAsPublished) ? m->retain : false;
    deliver(*ss, m, std::min(s.qos, m->qos), retain, s.subscription_id);
  }
}

std::uint16_t ShardBroker::next_packet_id(Session& s) {
  for (;;) {
    s.last_packet_id = std::uint16_t(s.last_packet_id + 1);
    if (s.last_packet_id == 0) continue;
    const auto id = s.last_packet_id;
    const bool used = std::any_of(s.view().inflight.begin(), s.view().inflight.end(), [id](const Inflight& f) { return f.packet_id == id; });
    if (!used) return id;
  }
}

void ShardBroker::send_publish(Conn& c, const Message& m, std::uint8_t qos, bool retain, bool dup, std::uint16_t id,
                               std::uint32_t subscription_id) {
  cm::Publish p{.dup = dup, .qos = qos, .retain = retain, .topic = m.topic, .packet_id = id, .payload = m.payload};
  if (c.version == cm::Version::v5) {
    p.properties.raw = properties_to_send(m, seconds_left(m, steady_now_ms()), props_scratch_);
    if (subscription_id != 0) p.properties.subscription_identifiers = std::span(&subscription_id, 1);
  }
  if (c.client_max_packet != 0 && cm::packet_size(p, c.version) > c.client_max_packet) {
    add(counters.dropped);  // MQTT-3.1.2-25: a packet over the client's limit is not sent
    return;
  }
  add(counters.publish_out);
  c.write(p);
}

void ShardBroker::deliver(Session& s, const MessagePtr& m, std::uint8_t qos, bool retain, std::uint32_t subscription_id) {
  if (lapsed(*m)) return;
  Conn* c = s.conn;
  if (qos == 0) {
    if (!c || c->out_bytes() > opts.max_out_bytes) {
      add(counters.dropped);
      return;
    }
    send_publish(*c, *m, 0, retain, false, 0, subscription_id);
    return;
  }
  const bool direct = c && s.flows().queue.empty() && s.flows().inflight.size() < c->send_window;
  if (!direct && s.flows().queue.size() >= opts.max_queued_messages) {
    add(counters.dropped);
    return;
  }
  std::uint64_t seq = 0;
  if (store_ && s.persistent && !stopping_) {
    seq = next_seq_++;
    log_queued(s, seq, m, qos, retain, subscription_id);
  }
  if (direct) {
    const auto id = next_packet_id(s);
    s.flows().inflight.push_back(Inflight{.packet_id = id, .qos = qos, .retain = retain, .msg = m, .subscription_id = subscription_id, .seq = seq});
    send_publish(*c, *m, qos, retain, false, id, subscription_id);
    return;
  }
  s.flows().queue.push_back(Queued{.msg = m, .qos = qos, .retain = retain, .subscription_id = subscription_id, .seq = seq});
}

void ShardBroker::pump(Session& s) {
  Conn* c = s.conn;
  if (!c) return;
  while (!s.view().queue.empty() && s.view().inflight.size() < c->send_window) {
    Queued q = std::move(s.flows().queue.front());
    s.flows().queue.pop_front();
    if (lapsed(*q.msg)) {  // MQTT-3.3.2-5: not started on its way, so it goes
      log_acked(s, q.seq);
      continue;
    }
    const auto id = next_packet_id(s);
    s.flows().inflight.push_back(Inflight{.packet_id = id, .qos = q.qos, .retain = q.retain, .msg = q.msg, .subscription_id = q.subscription_id, .seq = q.seq});
    send_publish(*c, *q.msg, q.qos, q.retain, false, id, q.subscription_id);
  }
}

void ShardBroker::resend_inflight(Session& s) {
  // A resumed session (MQTT-4.4.0-1): unacknowledged PUBLISH again with DUP, PUBREL again.
  Conn* c = s.conn;
  if (!c) return;
  for (const Inflight& f : s.view().inflight) {
    if (f.released) c->ack(cm::PacketType::pubrel, f.packet_id);
    else send_publish(*c, *f.msg, f.qos, f.retain, true, f.packet_id, f.subscription_id);
  }
  pump(s);
}

}  // namespace detail

// ---- Broker ----

Broker::Broker(unsigned shard_count, BrokerOptions opts) : opts_(std::move(opts)) {
  if (shard_count == 0) shard_count = 1;
  parts_.reserve(shard_count);
  for (unsigned i = 0; i < shard_count; ++i) parts_.push_back(std::make_unique<detail::ShardBroker>(*this, i, shard_count));
}

Broker::~Broker() = default;

Result<void> Broker::start(Shard& shard, const std::vector<std::string>& listen_addrs) {
  if (shard.id() >= parts_.size()) return std::make_error_code(std::errc::invalid_argument);
  if (!opts_.persistence.dir.empty() && !restored_) return std::make_error_code(std::errc::invalid_argument);
  return parts_[shard.id()]->start(shard, listen_addrs);
}

Result<void> Broker::start_tls(Shard& shard, const std::vector<std::string>& tls_addrs, const tls::ServerConfig& tls) {
  if (shard.id() >= parts_.size()) return std::make_error_code(std::errc::invalid_argument);
  return parts_[shard.id()]->start_tls(shard, tls_addrs, tls);
}

const BrokerCounters& Broker::counters(unsigned shard) const { return parts_[shard]->counters; }

BrokerTotals Broker::totals() const {
  BrokerTotals t;
  for (std::size_t i = 0; i < parts_.size(); ++i) {
    BrokerTotals::each(
        [&](const CounterInfo& info, std::uint64_t& total, const std::atomic<std::uint64_t>& c) {
          if (!info.replicated || i == 0) total += c.load(std::memory_order_relaxed);
        },
        t, parts_[i]->counters);
  }
  return t;
}

std::string Broker::metrics() const {
  BrokerTotals t = totals();
  std::string out;
  BrokerTotals::each(
      [&](const CounterInfo& info, std::uint64_t v) {
        const char* type = info.gauge ? "gauge" : "counter";
        out += fmt::format("# HELP zproto_mqtt_{0} {1}\n# TYPE zproto_mqtt_{0} {2}\nzproto_mqtt_{0} {3}\n", info.metric,
                           info.help, type, v);
      },
      t);
  return out;
}

}  // namespace zp::mqtt
