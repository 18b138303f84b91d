// The client's connection state, shared by the Client object, its reader task and its
// writer task (each holds a reference: the last one out frees it). Shard thread only.
#pragma once

#include <coroutine>
#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "zp/codec/mqtt/packet.h"
#include "zp/engine/shard.h"
#include "zp/mqtt/client.h"

namespace zp::mqtt::detail {

namespace cm = zp::codec::mqtt;

// A task parked on the client until something happens (an ack, room, a message).
struct Waiter {
  std::coroutine_handle<> h{};
  bool woken = false;
};

// An operation that waits for the broker's answer under its packet id.
struct Op {
  enum class Kind : std::uint8_t { publish1, publish2, subscribe, unsubscribe };
  Kind kind = Kind::publish1;
  std::uint64_t seq = 0;  // send order, for resending after a reconnect
  // The packet, in the waiting caller's frame, for resending after a reconnect.
  const cm::Publish* publish = nullptr;
  const cm::Subscribe* subscribe = nullptr;
  const cm::Unsubscribe* unsubscribe = nullptr;
  bool released = false;  // QoS 2: PUBREC seen, PUBREL sent
  std::uint8_t granted = 0;  // SUBACK's code
  Error error{};
  Waiter w{};
};

struct ClientImpl : std::enable_shared_from_this<ClientImpl> {
  ClientImpl(Shard* s, ClientOptions o);
  ~ClientImpl();
  ClientImpl(const ClientImpl&) = delete;
  ClientImpl& operator=(const ClientImpl&) = delete;

  // Ends the client with e (the first error wins): every waiter wakes, the tasks are
  // cancelled; the reader closes the stream on its way out.
  void end(Error e);
  // The connection of generation `from` failed: reconnect when enabled, else end(e). Calls
  // from an older connection's tasks are ignored.
  void lost(Error e, std::uint32_t from);
  void lost(Error e) { lost(e, gen); }
  void begin_reconnect(Error e);
  void start_session();  // a reader for the current stream, keepalive armed
  void resend();         // after a reconnect: what was in flight, the lost subscriptions
  void wake(Waiter& w);
  void wake_window();  // the first publish waiting for a free slot
  // Appends one packet to the output and starts the writer; false if it cannot be
  // serialized (too large for the broker's maximum, or a field it cannot carry).
  template <class P>
  bool write(const P& p);
  void kick();
  std::uint16_t alloc_id();
  void arm_keepalive();
  static void on_keepalive(Timer* t);
  // The reader's packet handler; false when the connection must end (end() done).
  bool on_packet(const cm::Packet& pkt);
  bool on_publish(const cm::Publish& p);
  bool on_ack(const cm::Ack& a);
  bool on_suback(const cm::SubAck& s);
  Op* find_op(std::uint16_t id, Op::Kind kind);
  void complete(std::uint16_t id, Op& op);

  Shard* shard;
  ClientOptions opts;
  SocketAddr addr{};
  std::shared_ptr<tls::ClientContext> tls_ctx{};  // set: every connection speaks TLS
  std::string server_name{};                     // for TLS: SNI and the certificate's name
  std::uint32_t gen = 0;  // connection generation: bumped by each reconnect
  bool reconnecting = false;
  std::optional<TaskHandle> reconnector{};
  std::vector<Waiter*> online_waiters{};  // calls waiting for the reconnect
  std::map<std::string, SubscribeOptions> subscriptions{};  // acknowledged filters, made again without a session
  // SUBSCRIBEs the client sends by itself after a reconnect (stable addresses).
  struct Resubscribe {
    std::string filter;
    cm::Subscription sub;
    cm::Subscribe packet;
    Op op;
  };
  std::deque<Resubscribe> resubscribes{};
  std::uint64_t next_seq = 0;
  std::minstd_rand rng{};
  cm::Version version;
  cm::Limits limits{};
  Stream stream{};
  std::string client_id;
  std::uint16_t keepalive_s = 0;
  bool session_present = false;
  std::uint16_t send_window = 1;   // min(max_inflight, the broker's 5.0 Receive Maximum)
  std::uint32_t server_max_packet = 0;  // 5.0 Maximum Packet Size (0: none)
  Error error{};  // set: the connection has ended
  bool disconnecting = false;  // disconnect() called: the broker's close is expected
  ClientStats stats{};

  // Output: packets queue in `out`; a short-lived writer task sends them.
  std::vector<std::byte> out{};
  std::vector<std::byte> sending{};
  bool writer_running = false;
  bool write_failed = false;
  std::optional<TaskHandle> writer{};
  Waiter* flush_wait = nullptr;  // disconnect() waits for the output to drain

  // Input: the bytes of a partial packet, the messages not yet taken.
  std::vector<std::byte> in{};
  std::optional<TaskHandle> reader{};
  std::deque<Message> queue{};
  Waiter* msg_wait = nullptr;   // next_message()
  Waiter* room_wait = nullptr;  // the reader, while the queue is full
  std::vector<std::uint16_t> incoming_qos2{};  // QoS 2 ids received, PUBREL not yet

  // Our operations by packet id; publishes in flight and those waiting for a slot.
  std::unordered_map<std::uint16_t, Op*> ops{};
  std::uint16_t next_id = 0;
  std::size_t inflight = 0;
  std::deque<Waiter*> window_waiters{};
  std::size_t window_handoffs = 0;  // slots given to woken waiters that have not run yet

  // Keepalive: PINGREQ after keepalive_s without sending; no PINGRESP within it: dead.
  Timer ka_timer{};
  std::int64_t last_send_ms = 0;
  std::int64_t ping_sent_ms = -1;
};

// co_await Wait(c, w): parks the task on w until c.wake(w) or the task is cancelled.
struct Wait {
  Wait(ClientImpl* client, Waiter* waiter) : c(client), w(waiter) {}
  ClientImpl* c;
  Waiter* w;
  TaskCtx* ctx = nullptr;
  bool cancelled = false;
  bool await_ready() noexcept { return w->woken; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    ctx = h.promise().ctx;
    if (ctx && ctx->cancelled) {
      cancelled = true;
      return false;
    }
    w->h = h;
    if (ctx) {
      ctx->cancel_hook = &Wait::on_cancel;
      ctx->cancel_arg = this;
    }
    return true;
  }
  static void on_cancel(void* a) {
    auto* self = static_cast<Wait*>(a);
    self->cancelled = true;
    if (self->w->h) self->c->shard->schedule(std::exchange(self->w->h, {}));
  }
  void await_resume() noexcept {
    if (ctx && ctx->cancel_arg == this) {
      ctx->cancel_hook = nullptr;
      ctx->cancel_arg = nullptr;
    }
    w->h = {};
  }
};

template <class P>
bool ClientImpl::write(const P& p) {
  constexpr bool unversioned = std::is_same_v<P, cm::Connect> || std::is_same_v<P, cm::Ping>;
  std::size_t n = 0;
  if constexpr (unversioned) n = cm::packet_size(p);
  else n = cm::packet_size(p, version);
  if (n == 0 || (server_max_packet != 0 && n > server_max_packet)) return false;
  const std::size_t at = out.size();
  out.resize(at + n);
  Result<std::size_t> r = zp::fail(EINVAL);
  if constexpr (unversioned) r = cm::serialize(p, std::span(out).subspan(at));
  else r = cm::serialize(p, version, std::span(out).subspan(at));
  if (!r) {
    out.resize(at);
    return false;
  }
  last_send_ms = shard->now_ms();
  kick();
  return true;
}

}  // namespace zp::mqtt::detail
