// The broker's part on one shard: its sessions, subscription trie, the other shards'
// interest, the retained replica and the ordered cross-shard outboxes. Private to
// services/mqtt; everything here runs on the shard's own thread.
#pragma once

#include <chrono>
#include <coroutine>
#include <functional>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "keepalive.h"
#include "message.h"
#include "store.h"
#include "zp/codec/mqtt/packet.h"
#include "zp/engine/listen.h"
#include "zp/engine/net.h"
#include "zp/engine/shard.h"
#include "zp/engine/task.h"
#include "zp/engine/timer_wheel.h"
#include "zp/mqtt/broker.h"
#include "zp/mqtt/retained.h"
#include "zp/mqtt/topic_tree.h"

namespace zp::mqtt::detail {

namespace cm = zp::codec::mqtt;

std::int64_t unix_now_ms();  // the wall clock, for what a restart must not reset

// Counters have one writer (their shard): a load and a store, no read-modify-write.
inline void add(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}
inline void subtract(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) {
  c.store(c.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
}

class ShardBroker;
struct Conn;

// A QoS 1/2 message sent and not yet acknowledged.
struct Inflight {
  std::uint16_t packet_id = 0;
  std::uint8_t qos = 1;
  bool retain = false;
  bool released = false;  // QoS 2: PUBREC received, PUBREL sent
  MessagePtr msg;
  std::uint32_t subscription_id = 0;
  std::uint64_t seq = 0;  // its record in the session's store (0: not persisted)
};
// A QoS 1/2 message waiting for room in the inflight window (or for the client to return).
struct Queued {
  MessagePtr msg;
  std::uint8_t qos = 1;
  bool retain = false;
  std::uint32_t subscription_id = 0;
  std::uint64_t seq = 0;  // its record in the session's store (0: not persisted)
};

// A FIFO on a vector: empty costs nothing (a std::deque allocates ~600 B up front, per
// session), pops advance a head that is compacted now and then.
template <class T>
class Fifo {
 public:
  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }
  T& front() { return items_[head_]; }
  void push_back(T v) { items_.push_back(std::move(v)); }
  void pop_front() {
    items_[head_++] = T{};
    if (head_ == items_.size()) {
      items_.clear();
      head_ = 0;
    } else if (head_ >= 64 && head_ * 2 >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + std::ptrdiff_t(head_));
      head_ = 0;
    }
  }
  auto begin() { return items_.begin() + std::ptrdiff_t(head_); }
  auto end() { return items_.end(); }

 private:
  std::vector<T> items_;
  std::size_t head_ = 0;
};

// What a session carries to another shard when its client reconnects there.
struct SessionState {
  std::vector<std::pair<std::string, Subscriber>> subscriptions;
  std::vector<Inflight> inflight;  // at most the send window, oldest first
  Fifo<Queued> queue;
  std::vector<std::uint16_t> incoming_qos2;
  std::uint16_t last_packet_id = 0;
  std::uint64_t next_seq = 1;  // persistence: the old shard's next record number (see next_seq_)
};

// What an offline persistent session waits for (offline.cpp): its 5.0 Session Expiry and a
// delayed will. Made only for a session that has such a deadline.
struct Offline {
  std::int64_t expires_ms = 0;  // Shard::now_ms() when the session ends; 0: never
  std::int64_t will_at_ms = 0;  // when `will` goes out (0: no will waiting)
  MessagePtr will;
};

// A session's subscriptions and messages under way, made at first use: a session without
// them (an idle client) pays one pointer.
struct SessionFlows {
  std::unordered_map<std::string, Subscriber> subscriptions;
  std::vector<Inflight> inflight;  // at most the send window, oldest first
  Fifo<Queued> queue;
  std::vector<std::uint16_t> incoming_qos2;  // QoS 2 ids received, PUBREL not yet
  static const SessionFlows& none() {
    static const SessionFlows empty;
    return empty;
  }
};

// A client's session on this shard, connected (conn set) or kept for a persistent client.
struct Session {
  std::string client_id;
  std::uint32_t slot = 0;
  std::uint64_t gen = 0;  // its claim at the home shard
  cm::Version version = cm::Version::v311;
  bool persistent = false;  // survives the connection
  std::uint16_t last_packet_id = 0;
  Conn* conn = nullptr;
  std::unique_ptr<const std::string> username;  // with an ACL only: the CONNECT's (null: none)
  std::uint32_t expiry_s = UINT32_MAX;  // persistent: 5.0 Session Expiry Interval (UINT32_MAX: never; 3.1.1)
  std::unique_ptr<Offline> offline;     // offline with a deadline
  std::unique_ptr<SessionFlows> flows_;

  SessionFlows& flows() {
    if (!flows_) flows_ = std::make_unique<SessionFlows>();
    return *flows_;
  }
  const SessionFlows& view() const { return flows_ ? *flows_ : SessionFlows::none(); }  // reads: no allocation
};

// A connection's byte buffers: taken from the shard's pool at the first partial packet or
// write, given back when the connection parks with nothing left in them (an idle
// connection holds none).
struct ConnIo {
  std::vector<std::byte> in;       // a partial packet carried to the next receive
  std::vector<std::byte> out;      // bytes waiting for the writer
  std::vector<std::byte> sending;  // bytes the writer is sending
};

// One network connection. Idle, it is parked on its stream (no task, no frame); input
// starts a task that handles it and parks again (connection.cpp). Freed by that task when
// the connection ends.
struct Conn : ReadyHook, KeepaliveLink {
  Conn(ShardBroker* b, Stream s);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  ShardBroker* broker = nullptr;
  Stream stream;
  TaskCtx* ctx = nullptr;  // the input task's while one runs: cancelled to end the connection
  Session* session = nullptr;
  cm::Version version = cm::Version::v311;
  bool connected = false;  // CONNECT accepted
  bool parked = false;     // waiting on the stream with no task
  bool ending = false;     // end() was called
  bool abandoned = false;  // no task could run for it: the writer frees it
  std::uint16_t send_window = 0;       // min(our inflight bound, client's Receive Maximum)
  std::uint32_t client_max_packet = 0; // 0: no limit (5.0 Maximum Packet Size)
  std::unique_ptr<ConnIo> io;          // null while there is nothing to buffer
  bool writer_running = false;
  bool write_failed = false;
  bool taken_over = false;
  bool clean_disconnect = false;  // DISCONNECT received (no will, unless 5.0 reason 0x04)
  std::unique_ptr<std::string[]> aliases;  // 5.0 topic aliases from the client, made at the first
  struct Will {
    MessagePtr msg;
    std::uint32_t delay_s = 0;  // 5.0 Will Delay Interval
  };
  std::unique_ptr<Will> will;  // null: none (most clients)
  TaskCtx* writer_ctx = nullptr;         // the running writer's (cancelled when a close waits too long)
  std::coroutine_handle<> writer_done;   // resumed when the writer ends

  // Appends one packet to `out` and starts the writer.
  template <class P>
  void write(const P& p) {
    const std::size_t n = packet_size(p, version);
    if (n == 0) return;
    std::vector<std::byte>& out = buffers().out;
    const std::size_t at = out.size();
    out.resize(at + n);
    (void)cm::serialize(p, version, std::span(out).subspan(at));
    kick();
  }
  ConnIo& buffers();  // io, taken from the shard's pool when there is none
  std::size_t out_bytes() const { return io ? io->out.size() : 0; }
  // Parked with nothing buffered and no writer: the buffers go back to the pool.
  void release_io();
  // PUBACK, PUBREC, PUBREL, PUBCOMP; the reason code goes out under 5.0 only.
  void ack(cm::PacketType type, std::uint16_t packet_id, std::uint8_t reason = 0) {
    write(cm::Ack{.type = type, .packet_id = packet_id, .reason = version == cm::Version::v5 ? reason : std::uint8_t(0)});
  }
  void write_ping_response();
  void kick();
  // Ends the connection: cancels its input task, or starts one to close it when parked.
  void end();
  // Parked, input arrived (ReadyHook::fire).
  static void on_ready(ReadyHook* h);
  bool start_input();  // false: no task could be spawned
  void abandon();
};

// True for "$share/GROUP/FILTER" (the codec checked its parts: cm::split_shared).
inline bool is_share(std::string_view f) { return !cm::split_shared(f).group.empty(); }

// A member of a shared subscription's group, at the group's owner shard.
struct SharedMember {
  unsigned shard = 0;
  std::uint32_t slot = 0;  // its session on `shard`
  std::uint64_t gen = 0;
  Subscriber sub;
};
struct SharedGroup {
  std::shared_ptr<const std::string> name;  // "$share/G/F": a late delivery checks the member still has it
  std::string filter;
  std::vector<SharedMember> members;
  std::size_t next = 0;    // round robin
  std::uint32_t slot = 0;  // Subscriber::session in shared_
  bool announced = false;  // every shard routes the filter here
  std::vector<std::function<void()>> waiting;  // joins waiting for that
};
// Awaits the end of a connection's writer.
struct WriterDone {
  Conn* c;
  bool await_ready() const noexcept { return !c->writer_running; }
  void await_suspend(std::coroutine_handle<> h) noexcept { c->writer_done = h; }
  void await_resume() const noexcept {}
};

// An item of cross-shard work, run on the target shard in the order it was sent.
struct Work {
  virtual ~Work() = default;
  virtual void run(ShardBroker& target) = 0;
};
template <class F>
struct WorkFn final : Work {
  F fn;
  explicit WorkFn(F f) : fn(std::move(f)) {}
  void run(ShardBroker& target) override { fn(target); }
};

class ShardBroker {
 public:
  ShardBroker(Broker& group, unsigned id, unsigned count);
  ~ShardBroker();

  Result<void> start(Shard& shard, const std::vector<std::string>& listen);
  Result<void> start_tls(Shard& shard, const std::vector<std::string>& listen, const tls::ServerConfig& cfg);

  // Cross-shard: queue fn(ShardBroker& target) for shard `target` (in order per target) and
  // send what is queued at the next flush.
  template <class F>
  void send(unsigned target, F fn) {
    outbox_[target].items.push_back(std::make_unique<WorkFn<F>>(std::move(fn)));
  }
  void flush_all();
  // True while a backlog for some shard is over max_cross_shard_bytes: publishers here wait.
  bool congested() const {
    for (std::size_t b : backlog_bytes_)
      if (b > opts.max_cross_shard_bytes) return true;
    return false;
  }

  // Runs fn(ShardBroker&) on shard `target` and resumes with its result.
  template <class R, class F>
  Task<R> call(unsigned target, F fn);

  // Routing.
  void publish(const MessagePtr& m);
  void deliver_local(const MessagePtr& m);
  void set_retained(const Message& m);

  // Sessions.
  unsigned home_of(std::string_view client_id) const;
  // Adds the subscription (refused when the session has max_subscriptions filters); a
  // filter new on this shard must then be announced to the other shards.
  enum class Added : std::uint8_t { refused, added, announce };
  Added add_subscription(Session& s, const std::string& filter, Subscriber sub);
  // Tells the other shards of a filter new here; returns once all of them know.
  Task<void> announce(std::string filter);
  // add_subscription() and, when needed, announce(); false when refused.
  Task<bool> subscribe(Session& s, std::string filter, Subscriber sub);
  void unsubscribe(Session& s, const std::string& filter);
  // Shared subscriptions (shared.cpp).
  Task<bool> subscribe_shared(Session& s, const std::string& share, Subscriber sub);
  void unsubscribe_shared(Session& s, const std::string& share);
  // unsubscribe() of a share that returns once its group's owner has taken the member out.
  Task<void> leave_shared(Session& s, std::string share);
  void deliver(Session& s, const MessagePtr& m, std::uint8_t qos, bool retain, std::uint32_t subscription_id);
  void pump(Session& s);
  void resend_inflight(Session& s);
  // A connection's end: a persistent session stays offline (until its expiry, with its
  // delayed will if given); another ends here.
  void end_session(Session& s, MessagePtr delayed_will = {}, std::uint32_t will_delay_s = 0);
  // The ACL's word on delivering a message on `topic` to s (a refusal is counted).
  bool may_read(const Session& s, std::string_view topic) {
    const Access* a = opts.access.get();
    if (!a || !a->has_acl() || a->may_read(Identity{s.client_id, s.username.get()}, topic)) return true;
    add(counters.acl_denied);
    return false;
  }

  // The steady clock in ms at this loop turn (message expiry: one time base for all shards).
  std::int64_t steady_now_ms() const { return steady_ms(shard_->now()); }
  // True (and counted) when m's Message Expiry has passed.
  bool lapsed(const Message& m) {
    if (m.expires_ms == 0 || m.expires_ms > steady_now_ms()) return false;
    add(counters.expired);
    return true;
  }

  BrokerCounters counters;
  const BrokerOptions& opts;

  // ---- persistence (persist.cpp); all no-ops without a store ----
  // Takes this shard's store (Broker::restore) and, once every part has one, its sessions.
  void adopt_store(std::unique_ptr<Store> st);
  void restore_sessions();
  void start_restored();  // in start(): restored sessions' expiry deadlines
  void restore_retained(const StoreModel& m);
  const StoreModel& store_model() const { return store_->model(); }
  // On the home shard, when a CONNECT claims the id: a clean start or a non-persistent
  // session ends the stored one; a new persistent session is created there.
  void persist_connect(const std::string& client_id, std::uint64_t gen, bool persistent, bool clean_start,
                       cm::Version v, std::uint32_t expiry_s);
  // A 5.0 DISCONNECT changed the Session Expiry Interval of a persistent session.
  void log_session_expiry(Session& s);
  // On the home shard: a session that is not kept has ended.
  void persist_end(const std::string& client_id, std::uint64_t gen);
  // Publishes m and sends its PUBACK (qos 1) / PUBREC (qos 2) once every record it caused,
  // on any shard, is durable, in the order the PUBLISH packets came.
  void publish_acked(Conn& c, const MessagePtr& m, std::uint8_t qos, std::uint16_t packet_id);
  // An acknowledgement that needs no record, behind the ones still waiting on c.
  void ack_ordered(Conn& c, cm::PacketType type, std::uint16_t packet_id);
  void conn_closed(Conn& c);  // its waiting acknowledgements are dropped
  void log_acked(Session& s, std::uint64_t seq);
  void log_released(Session& s, std::uint64_t seq);

 private:
  friend class ConnLoop;
  friend struct Conn;
  struct Outbox {
    std::vector<std::unique_ptr<Work>> items;
  };
  // One word: a registry entry (one per client id homed here) is a 48-byte node.
  struct Owner {
    std::uint64_t shard : 8 = 0;  // shards are at most 64 (the interest masks)
    std::uint64_t gen : 56 = 0;
  };
  struct Claim {
    std::uint64_t gen = 0;
    std::optional<Owner> previous;
  };

  Claim claim(const std::string& client_id, unsigned shard);
  void release(const std::string& client_id, unsigned shard, std::uint64_t gen);
  std::unique_ptr<SessionState> detach(const std::string& client_id, std::uint64_t gen, bool keep);
  Session* new_session(const std::string& client_id, std::uint64_t gen);
  void free_session(Session& s);
  void flush(unsigned target);
  void arm_retry();
  // Offline sessions' deadlines (offline.cpp).
  void keep_offline(Session& s, MessagePtr will, std::uint32_t will_delay_s);
  void arm_deadlines();
  void run_deadlines();
  void publish_will(const MessagePtr& will);
  void start_sys_topics();
  void publish_sys_topics();
  std::uint16_t next_packet_id(Session& s);
  void send_publish(Conn& c, const Message& m, std::uint8_t qos, bool retain, bool dup, std::uint16_t id,
                    std::uint32_t subscription_id);

  // A PUBLISH's wait for its records: a root (a connection's acknowledgement) or a part of
  // a parent's on another shard (a forwarded PUBLISH), done when `pending` reaches 0.
  struct DurableWait {
    unsigned pending = 1;
    bool ok = true;
    bool done = false;  // root: durable; its ack goes once the ones before it went
    unsigned parent_shard = 0;
    std::uint64_t parent = 0;  // 0: a root
    Conn* conn = nullptr;      // root: null once the connection closed
    cm::PacketType ack = cm::PacketType::puback;
    std::uint16_t packet_id = 0;
  };
  template <class F>
  void to_home(const Session& s, F fn);
  void hold(std::uint64_t wait);
  void release_wait(std::uint64_t wait, bool ok);
  void drain_acks(Conn& c);
  void on_durable(std::span<const DurableWaiter> ws, bool ok);
  void run_forwarded(const MessagePtr& m, bool interested, unsigned origin, std::uint64_t parent);
  void log_queued(Session& s, std::uint64_t seq, const MessagePtr& m, std::uint8_t qos, bool retain,
                  std::uint32_t subscription_id);
  void log_subscription(Session& s, const std::string& filter, const Subscriber* sub);
  void log_retained(const Message& m, RetainedStore::SetResult r);
  std::uint64_t unix_expiry(const Message& m);  // m's Message Expiry on the wall clock (0: none)

  // Shared subscriptions: the groups this shard owns (shared.cpp).
  static constexpr std::uint32_t kSharedInterest = 64;  // interest_ session id: shard + this
  unsigned owner_of_share(std::string_view share) const;
  // On the owner: adds or updates member m; `done` once every shard routes the filter here.
  void join_group(const std::string& share, std::string_view filter, SharedMember m, std::function<void()> done,
                  bool restoring = false);
  void leave_group(const std::string& share, unsigned shard, std::uint32_t slot, std::uint64_t gen);
  void deliver_shared(const MessagePtr& m);
  // The session's own record of a subscription (its map, the store, the count); false when
  // it would pass max_subscriptions. `existed`: it replaced one for the same filter.
  bool record_subscription(Session& s, const std::string& filter, Subscriber& sub, bool& existed);
  // Runs fn with records it causes holding `parent` (a wait on shard `origin`; 0: none).
  template <class F>
  void under_wait(unsigned origin, std::uint64_t parent, F fn) {
    std::uint64_t w = 0;
    if (parent) {
      w = ++next_wait_;
      waits_.emplace(w, DurableWait{.parent_shard = origin, .parent = parent});
    }
    cur_wait_ = w;
    fn();
    cur_wait_ = 0;
    if (w) release_wait(w, true);
  }
  void deliver_member(const MessagePtr& m, const std::string& share, std::uint32_t slot, std::uint64_t gen, std::uint8_t qos,
                      bool retain, std::uint32_t subscription_id);
  std::unordered_map<std::string, SharedGroup> groups_;  // by the whole "$share/G/F"
  TopicTree shared_;                                      // filter -> Subscriber{session = group slot}
  std::vector<SharedGroup*> group_slots_;
  std::vector<std::uint32_t> free_group_slots_;
  std::vector<std::uint32_t> matched_groups_;

  std::unique_ptr<Store> store_;
  std::unique_ptr<Keepalives> keepalives_;  // made in start(), on the shard
  std::vector<std::uint32_t> restored_;  // slots of sessions loaded at restore: their expiry starts at start()
  std::vector<std::unique_ptr<ConnIo>> io_pool_;  // free connection buffers (bounded)
  // Message record numbers: per shard, not per session (8 B less in every session); a
  // session arriving from another shard raises it past that shard's, so a session's
  // numbers keep growing, its queue order, and never repeat one still in its store.
  std::uint64_t next_seq_ = 1;
  std::uint64_t cur_wait_ = 0;  // the PUBLISH being routed here: records it causes hold it
  std::uint64_t next_wait_ = 0;
  std::unordered_map<std::uint64_t, DurableWait> waits_;
  std::unordered_map<const Conn*, Fifo<std::uint64_t>> ack_queues_;  // per connection, in PUBLISH order

  Broker& group_;
  unsigned id_;
  Shard* shard_ = nullptr;
  TopicTree subs_;      // Subscriber::session = session slot
  TopicTree interest_;  // Subscriber::session = the shard holding the filter
  RetainedStore retained_;
  std::vector<std::unique_ptr<Session>> slots_;
  std::vector<std::uint32_t> free_slots_;
  // Sessions by client id: the key is the session's own client_id (a set of pointers, not
  // a second copy of every id).
  struct ById {
    using is_transparent = void;
    std::size_t operator()(std::string_view id) const noexcept { return std::hash<std::string_view>{}(id); }
    std::size_t operator()(const Session* s) const noexcept { return (*this)(std::string_view(s->client_id)); }
  };
  struct SameId {
    using is_transparent = void;
    static std::string_view id(std::string_view v) { return v; }
    static std::string_view id(const Session* s) { return s->client_id; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept { return id(a) == id(b); }
  };
  std::unordered_set<Session*, ById, SameId> by_id_;
  std::unordered_map<std::string, std::uint64_t> tombstones_;  // claims ended before they attached
  // Client ids homed here -> where the session lives. A hash the table need not cache (it
  // would be a word more in every node).
  struct IdHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view id) const noexcept { return std::hash<std::string_view>{}(id); }
  };
  std::unordered_map<std::string, Owner, IdHash, std::equal_to<>> registry_;
  std::uint64_t next_gen_ = 0;
  std::uint64_t next_client_ = 0;
  std::vector<Outbox> outbox_;
  std::vector<std::size_t> backlog_bytes_;  // per target: bytes of messages waiting (refused by a full inbox)
  Timer retry_timer_;
  bool retry_armed_ = false;
  struct Deadline {
    std::int64_t at_ms = 0;
    std::uint32_t slot = 0;
    std::uint64_t gen = 0;
    bool operator>(const Deadline& o) const { return at_ms > o.at_ms; }
  };
  std::vector<Deadline> deadlines_;  // a min-heap; entries whose session moved on are skipped
  Timer deadline_timer_;
  Timer sys_timer_;  // shard 0 only: the next $SYS publish
  std::chrono::steady_clock::time_point started_{};
  std::vector<std::uint64_t> sys_last_;  // the values last published under $SYS
  bool stopping_ = false;
  // Scratch of one shard: a match, and the parse of one packet (a handler copies what it
  // keeps before its first wait, so connections share these).
  std::vector<Subscriber> matched_;
  std::vector<std::byte> props_scratch_;  // a delivery's properties with its remaining expiry
  cm::Packet packet_;
  std::vector<cm::Subscription> parse_subscriptions_;
  std::vector<std::string_view> parse_filters_;
};

// Waits for other shards to acknowledge: an announcement (subscribe()), a share's join or
// leave at its owner (pending 1).
struct Acks {
  unsigned pending = 0;
  std::coroutine_handle<> waiter;
  void done_one() {
    if (--pending == 0 && waiter) waiter.resume();
  }
};
struct AcksAwaiter {
  Acks* acks;
  bool await_ready() const noexcept { return acks->pending == 0; }
  void await_suspend(std::coroutine_handle<> h) noexcept { acks->waiter = h; }
  void await_resume() const noexcept {}
};

// call(): the awaited state lives in the caller's frame; the reply resumes it.
template <class R>
struct CallState {
  std::optional<R> result;
  std::coroutine_handle<> waiter;
};
template <class R>
struct CallAwaiter {
  CallState<R>* st;
  bool await_ready() const noexcept { return st->result.has_value(); }
  void await_suspend(std::coroutine_handle<> h) noexcept { st->waiter = h; }
  R await_resume() { return std::move(*st->result); }
};

template <class R, class F>
Task<R> ShardBroker::call(unsigned target, F fn) {
  if (target == id_) co_return fn(*this);
  CallState<R> st;
  const unsigned origin = id_;
  send(target, [stp = &st, origin, fn = std::move(fn)](ShardBroker& t) mutable {
    t.send(origin, [stp, r = fn(t)](ShardBroker&) mutable {
      stp->result.emplace(std::move(r));
      if (stp->waiter) stp->waiter.resume();
    });
  });
  flush(target);
  co_return co_await CallAwaiter<R>{&st};
}

}  // namespace zp::mqtt::detail
