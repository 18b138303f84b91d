// MQTT 5 shared subscriptions ("$share/GROUP/FILTER", MQTT 4.8.2): each message matching the
// filter goes to one member of the group, whichever shard the members live on. One shard
// owns the group (a hash of its name and filter): the members' shards tell it of joins and
// leaves, every shard sends it what matches the filter (an interest entry for the owner,
// marked apart from the owner's own subscriptions), and it picks the members in turn and
// forwards each message to the member's shard. Durability waits follow the message there.
#include "shard_broker.h"

namespace zp::mqtt::detail {

unsigned ShardBroker::owner_of_share(std::string_view share) const {
  return unsigned(std::hash<std::string_view>{}(share) % outbox_.size());
}

// On the owner: adds (or updates) a member; `done` runs once every shard routes the
// group's filter here (at once when it already does).
void ShardBroker::join_group(const std::string& share, std::string_view filter, SharedMember m,
                             std::function<void()> done, bool restoring) {
  auto [it, created] = groups_.try_emplace(share);
  SharedGroup& g = it->second;
  if (created) {
    g.name = std::make_shared<const std::string>(share);
    g.filter.assign(filter);
    if (!free_group_slots_.empty()) {
      g.slot = free_group_slots_.back();
      free_group_slots_.pop_back();
      group_slots_[g.slot] = &g;
    } else {
      g.slot = std::uint32_t(group_slots_.size());
      group_slots_.push_back(&g);
    }
    shared_.subscribe(g.filter, Subscriber{.session = g.slot});
  }
  auto same = [&](const SharedMember& o) { return o.shard == m.shard && o.slot == m.slot; };
  if (auto at = std::find_if(g.members.begin(), g.members.end(), same); at != g.members.end()) *at = m;
  else g.members.push_back(m);
  if (g.announced || outbox_.size() == 1 || restoring) {  // restoring: the caller sets the interest
    g.announced = true;
    done();
    return;
  }
  g.waiting.push_back(std::move(done));
  if (!created) return;  // its announcement is on its way
  // Interest "for a group on shard id_" is kept apart from our own subscriptions' (session
  // id_ + kSharedInterest), so either can go without the other. Sent from here only, so it
  // reaches each shard in order with the retraction when the group ends.
  auto pending = std::make_shared<unsigned>(unsigned(outbox_.size()) - 1);
  for (unsigned t = 0; t < outbox_.size(); ++t) {
    if (t == id_) continue;
    send(t, [f = g.filter, me = id_, share, pending](ShardBroker& tb) {
      tb.interest_.subscribe(f, Subscriber{.session = me + kSharedInterest});
      tb.send(me, [share, pending](ShardBroker& o) {
        if (--*pending != 0) return;
        auto gi = o.groups_.find(share);
        if (gi == o.groups_.end()) return;
        gi->second.announced = true;
        for (auto& w : std::exchange(gi->second.waiting, {})) w();
      });
    });
    flush(t);
  }
}

// On the owner: a member left (unsubscribed, or its session ended or moved).
void ShardBroker::leave_group(const std::string& share, unsigned shard, std::uint32_t slot, std::uint64_t gen) {
  auto it = groups_.find(share);
  if (it == groups_.end()) return;
  SharedGroup& g = it->second;
  std::erase_if(g.members, [&](const SharedMember& o) { return o.shard == shard && o.slot == slot && o.gen <= gen; });
  if (!g.members.empty() || !g.waiting.empty()) return;
  // Another group here with the same filter keeps the interest (and its entry in shared_).
  const bool filter_used = !shared_.unsubscribe(g.filter, g.slot).filter_empty;
  group_slots_[g.slot] = nullptr;
  free_group_slots_.push_back(g.slot);
  if (!filter_used) {
    for (unsigned t = 0; t < outbox_.size(); ++t) {
      if (t == id_) continue;
      send(t, [f = g.filter, me = id_](ShardBroker& tb) { tb.interest_.unsubscribe(f, me + kSharedInterest); });
    }
  }
  groups_.erase(it);
}

Task<bool> ShardBroker::subscribe_shared(Session& s, const std::string& share, Subscriber sub) {
  const cm::SharedFilter name = cm::split_shared(share);
  bool existed = false;
  if (!record_subscription(s, share, sub, existed)) co_return false;
  const unsigned owner = owner_of_share(share);
  const SharedMember m{.shard = id_, .slot = s.slot, .gen = s.gen, .sub = sub};
  Acks joined;
  joined.pending = 1;
  if (owner == id_) {
    join_group(share, name.filter, m, [a = &joined] { a->done_one(); });
  } else {
    send(owner, [share, filter = std::string(name.filter), m, me = id_, a = &joined](ShardBroker& o) {
      o.join_group(share, filter, m, [&o, me, a] {
        o.send(me, [a](ShardBroker&) { a->done_one(); });
        o.flush(me);
      });
    });
    flush(owner);
  }
  co_await AcksAwaiter{&joined};
  co_return true;
}

void ShardBroker::unsubscribe_shared(Session& s, const std::string& share) {
  const unsigned owner = owner_of_share(share);
  if (owner == id_) {
    leave_group(share, id_, s.slot, s.gen);
    return;
  }
  send(owner, [share, me = id_, slot = s.slot, gen = s.gen](ShardBroker& o) { o.leave_group(share, me, slot, gen); });
}

Task<void> ShardBroker::leave_shared(Session& s, std::string share) {
  const unsigned owner = owner_of_share(share);
  const unsigned me = id_;
  auto it = s.flows().subscriptions.find(share);
  if (it == s.flows().subscriptions.end()) co_return;
  s.flows().subscriptions.erase(it);
  log_subscription(s, share, nullptr);
  subtract(counters.subscriptions);
  if (owner == id_) {
    leave_group(share, id_, s.slot, s.gen);
    co_return;
  }
  Acks left;
  left.pending = 1;
  // The owner's answer comes behind every delivery it sent us before the leave.
  send(owner, [share, me, slot = s.slot, gen = s.gen, a = &left](ShardBroker& o) {
    o.leave_group(share, me, slot, gen);
    o.send(me, [a](ShardBroker&) { a->done_one(); });
    o.flush(me);
  });
  flush(owner);
  co_await AcksAwaiter{&left};
}

// On the owner, for a message routed here: one member of each matching group gets it.
void ShardBroker::deliver_shared(const MessagePtr& m) {
  if (groups_.empty()) return;
  matched_groups_.clear();
  shared_.match(m->topic, [&](const Subscriber& s) { matched_groups_.push_back(s.session); });
  for (std::uint32_t slot : matched_groups_) {
    SharedGroup* g = slot < group_slots_.size() ? group_slots_[slot] : nullptr;
    if (!g || g->members.empty()) continue;
    const SharedMember& mb = g->members[g->next++ % g->members.size()];
    const std::uint8_t qos = std::min(mb.sub.qos, m->qos);
    constexpr std::uint8_t kRetainAsPublished = 2;
    const bool retain = (mb.sub.options & kRetainAsPublished) ? m->retain : false;
    if (mb.shard == id_) {
      deliver_member(m, *g->name, mb.slot, mb.gen, qos, retain, mb.sub.subscription_id);
      continue;
    }
    const std::uint64_t w = cur_wait_;
    if (w) hold(w);
    send(mb.shard, [m, name = g->name, slot = mb.slot, gen = mb.gen, qos, retain, sid = mb.sub.subscription_id, origin = id_,
                    w](ShardBroker& t) {
      t.under_wait(origin, w, [&] { t.deliver_member(m, *name, slot, gen, qos, retain, sid); });
    });
  }
}

void ShardBroker::deliver_member(const MessagePtr& m, const std::string& share, std::uint32_t slot, std::uint64_t gen,
                                 std::uint8_t qos, bool retain, std::uint32_t subscription_id) {
  Session* s = slot < slots_.size() ? slots_[slot].get() : nullptr;
  // It left meanwhile (its leave was on its way to the owner): not delivered after its UNSUBACK.
  if (!s || s->gen != gen || !s->view().subscriptions.contains(share)) {
    add(counters.dropped);
    return;
  }
  if (!may_read(*s, m->topic)) return;
  deliver(*s, m, qos, retain, subscription_id);
}

}  // namespace zp::mqtt::detail
