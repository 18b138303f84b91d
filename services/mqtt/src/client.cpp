// The MQTT client: CONNECT/CONNACK in the caller's task, then a reader task that parses the
// broker's packets (acks wake the operations waiting under their packet id, PUBLISHes go to
// the queue next_message() takes from) and a short-lived writer task per burst of output.
// With reconnect on, a lost connection hands over to a reconnect task (a new generation:
// the old tasks' last words are ignored) that resends what was in flight.
#include <algorithm>
#include <chrono>
#include <cstring>

#include "client_impl.h"
#include "client_resolve.h"
#include "zp/codec/mqtt/encoding.h"

namespace zp::mqtt {

namespace detail {

namespace {

constexpr std::int64_t kFlushTimeoutMs = 1000;  // disconnect(): DISCONNECT's bytes get this long

std::span<const std::byte> bytes_of(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }
std::string text_of(std::span<const std::byte> b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

Task<void> write_loop(std::shared_ptr<ClientImpl> self) {
  ClientImpl& c = *self;
  const std::uint32_t my_gen = c.gen;
  for (;;) {
    if (c.out.empty() || c.write_failed) break;
    c.sending.swap(c.out);
    auto r = co_await c.stream.send(c.sending);
    c.sending.clear();
    if (!r) {
      c.write_failed = true;
      c.lost(r.error(), my_gen);
      break;
    }
  }
  c.writer_running = false;
  if (c.flush_wait) c.wake(*c.flush_wait);
}

// Appends a received chunk to the partial packet kept in c.in.
void append(ClientImpl& c, std::span<const std::byte> b) { c.in.insert(c.in.end(), b.begin(), b.end()); }

Task<void> read_loop(std::shared_ptr<ClientImpl> self) {
  ClientImpl& c = *self;
  cm::Packet pkt;
  cm::Subscription subs[1];
  std::string_view filters[1];
  cm::Scratch scratch;
  scratch.subscriptions = std::span<cm::Subscription>(subs);
  scratch.filters = std::span<std::string_view>(filters);
  const std::uint32_t my_gen = c.gen;
  bool open = !c.error;
  while (open) {
    // Every complete packet we hold, pausing while the message queue is full.
    std::size_t pos = 0;
    for (;;) {
      if (c.queue.size() >= std::max<std::size_t>(c.opts.max_queued_messages, 1)) {
        Waiter w;
        c.room_wait = &w;
        Wait a(&c, &w);
        co_await a;
        c.room_wait = nullptr;
        if (a.cancelled || c.error) {
          if (a.cancelled && my_gen == c.gen) c.end(make_error_code(ClientErrc::not_connected));
          open = false;
          break;
        }
        continue;
      }
      const auto r = cm::parse_packet(std::span<const std::byte>(c.in).subspan(pos), c.version, c.limits, pkt, scratch);
      if (r.need_more()) break;
      if (r.error != cm::Errc::ok) {
        if (c.version == cm::Version::v5) (void)c.write(cm::Disconnect{.reason = cm::reason_for(r.error)});
        c.lost(r.error == cm::Errc::packet_too_large ? make_error_code(ClientErrc::too_large)
                                                      : make_error_code(ClientErrc::protocol_error),
               my_gen);
        open = false;
        break;
      }
      pos += r.consumed;
      if (!c.on_packet(pkt)) {
        open = false;
        break;
      }
    }
    if (!open) break;
    c.in.erase(c.in.begin(), c.in.begin() + std::ptrdiff_t(pos));
    auto got = co_await c.stream.recv();
    if (!got) {
      // Cancelled: the client ended (or the shard stops); otherwise the connection failed.
      if (got.error() == std::errc::operation_canceled) {
        if (my_gen == c.gen) c.end(make_error_code(ClientErrc::not_connected));
      } else {
        c.lost(got.error(), my_gen);
      }
      break;
    }
    if (got->eof()) {
      c.lost(make_error_code(ClientErrc::connection_closed), my_gen);
      break;
    }
    append(c, got->bytes());
  }
  // A reconnect owns the stream now; else let a last DISCONNECT out (bounded: the writer
  // was cancelled) and close.
  if (my_gen != c.gen || c.reconnecting) co_return;
  if (c.writer && !c.writer->done()) co_await c.writer->join();
  c.stream.close();
}

// CONNECT on c.stream and its CONNACK; applies what the broker says (5.0 properties).
// A 3.1.1 CONNACK refusing the connection: 0x20, length 2, flags 0, a non-zero return code.
bool old_broker_refusal(const std::vector<std::byte>& in) {
  return in.size() >= 4 && in[0] == std::byte{0x20} && in[1] == std::byte{0x02} && in[2] == std::byte{0} &&
         in[3] != std::byte{0} && std::uint8_t(in[3]) <= 5;
}

Task<Result<void>> handshake(std::shared_ptr<ClientImpl> self) {
  ClientImpl& c = *self;
  const ClientOptions& o = c.opts;
  const bool v5 = o.version == cm::Version::v5;
  c.send_window = o.max_inflight == 0 ? 1 : o.max_inflight;
  c.server_max_packet = 0;
  c.keepalive_s = o.keepalive_s;
  cm::Connect cn;
  cn.version = o.version;
  cn.clean_start = o.clean_start;
  cn.keepalive = o.keepalive_s;
  cn.client_id = c.client_id;  // after a 5.0 assignment, the assigned one
  if (o.will) {
    cn.has_will = true;
    cn.will_topic = o.will->topic;
    cn.will_payload = bytes_of(o.will->payload);
    cn.will_qos = o.will->qos;
    cn.will_retain = o.will->retain;
  }
  if (o.username) {
    cn.has_username = true;
    cn.username = *o.username;
  }
  if (o.password) {
    cn.has_password = true;
    cn.password = bytes_of(*o.password);
  }
  if (v5) {
    auto& pr = cn.properties;
    if (o.session_expiry_s > 0) {
      pr.session_expiry_interval = o.session_expiry_s;
      pr.set(cm::PropertyId::session_expiry_interval);
    }
    pr.maximum_packet_size = o.max_packet_size;
    pr.set(cm::PropertyId::maximum_packet_size);
    if (o.max_queued_messages < 65535) {  // the broker's QoS 1/2 window towards us
      pr.receive_maximum = std::uint16_t(std::max<std::size_t>(o.max_queued_messages, 1));
      pr.set(cm::PropertyId::receive_maximum);
    }
  }
  if (!c.write(cn)) co_return make_error_code(ClientErrc::too_large);

  cm::Packet pkt;
  const cm::Scratch scratch;
  for (;;) {
    const auto r = cm::parse_packet(c.in, c.version, c.limits, pkt, scratch);
    if (r.error != cm::Errc::ok) {
      // A 3.1.1-only broker answers a 5.0 CONNECT with its own CONNACK, "unacceptable
      // protocol version" (MQTT-3.1.2-2), which is short as a 5.0 one: say that, not "malformed".
      if (v5 && old_broker_refusal(c.in)) co_return connack_error(std::uint8_t(c.in[3]));
      co_return make_error_code(ClientErrc::protocol_error);
    }
    if (!r.need_more()) {
      if (pkt.header.type != cm::PacketType::connack) co_return make_error_code(ClientErrc::protocol_error);
      const auto& ack = std::get<cm::Connack>(pkt.body);
      if (ack.reason != 0) co_return connack_error(ack.reason);
      c.session_present = ack.session_present;
      if (v5) {
        const auto& pr = ack.properties;
        if (pr.has(cm::PropertyId::assigned_client_identifier)) c.client_id.assign(pr.assigned_client_identifier);
        if (pr.has(cm::PropertyId::server_keep_alive)) c.keepalive_s = pr.server_keep_alive;
        if (pr.has(cm::PropertyId::receive_maximum)) c.send_window = std::min<std::uint16_t>(c.send_window, pr.receive_maximum);
        if (pr.has(cm::PropertyId::maximum_packet_size)) c.server_max_packet = pr.maximum_packet_size;
      }
      c.in.erase(c.in.begin(), c.in.begin() + std::ptrdiff_t(r.consumed));
      co_return Result<void>();
    }
    auto got = co_await c.stream.recv_more();
    if (!got) co_return got.error();
    if (got->eof()) co_return make_error_code(ClientErrc::connection_closed);
    append(c, got->bytes());
  }
}

// TCP, then TLS when configured: the stream the MQTT handshake runs on.
Task<Result<void>> open_stream(std::shared_ptr<ClientImpl> self) {
  auto s = co_await Stream::connect(self->addr);
  if (!s) co_return s.error();
  self->stream = std::move(*s);
  if (self->tls_ctx) {
    auto t = co_await tls::connect(self->stream, self->tls_ctx, self->server_name);
    if (!t) co_return t.error();
  }
  co_return Result<void>();
}

Task<Result<void>> attempt(std::shared_ptr<ClientImpl> self) {
  auto s = co_await open_stream(self);
  if (!s) co_return s.error();
  co_return co_await handshake(self);
}

bool is_refusal(const Error& e) {
  return &e.category() == &client_category() && e.value() >= int(ClientErrc::connack_refused) &&
         e.value() < int(ClientErrc::disconnected);
}

// The reconnect: the old connection's tasks end first, then attempts with backoff.
Task<void> reconnect_loop(std::shared_ptr<ClientImpl> self) {
  ClientImpl& c = *self;
  if (c.reader && !c.reader->done()) co_await c.reader->join();
  if (c.writer && !c.writer->done()) co_await c.writer->join();
  const ReconnectOptions& ro = c.opts.reconnect;
  std::int64_t backoff = std::max<std::int64_t>(ro.initial_backoff_ms, 2);
  const std::int64_t ceiling = std::max(backoff, ro.max_backoff_ms);
  const std::int64_t timeout_ms = c.opts.connect_timeout_ms > 0 ? c.opts.connect_timeout_ms : 10000;
  for (unsigned attempt_no = 1;; ++attempt_no) {
    if (c.error) co_return;
    c.stream.close();
    c.in.clear();
    c.out.clear();
    c.write_failed = false;
    auto r = co_await with_timeout(std::chrono::milliseconds(timeout_ms), attempt(self));
    if (c.error) co_return;
    if (r) {
      c.reconnecting = false;
      ++c.stats.reconnects;
      c.resend();
      c.start_session();
      for (Waiter* w : c.online_waiters) c.wake(*w);
      c.online_waiters.clear();
      co_return;
    }
    const Error e = r.error();
    if (is_refusal(e) || (ro.max_attempts != 0 && attempt_no >= ro.max_attempts)) {
      c.end(e);
      co_return;
    }
    if (c.writer && !c.writer->done()) {
      c.writer->cancel();
      co_await c.writer->join();
    }
    // Full jitter over the upper half: [backoff/2, backoff].
    const std::int64_t delay = backoff / 2 + std::int64_t(c.rng() % std::uint64_t(backoff / 2 + 1));
    auto slept = co_await sleep(std::chrono::milliseconds(delay));
    if (!slept) {  // cancelled: the client ended, or the shard stops
      c.end(make_error_code(ClientErrc::not_connected));
      co_return;
    }
    backoff = std::min(backoff * 2, ceiling);
  }
}

}  // namespace

ClientImpl::ClientImpl(Shard* s, ClientOptions o) : shard(s), opts(std::move(o)), version(opts.version) {
  rng.seed(std::uint32_t(reinterpret_cast<std::uintptr_t>(this) ^ std::uintptr_t(s->now_ms())));
  limits.max_packet_size = opts.max_packet_size;
  client_id = opts.client_id;
  keepalive_s = opts.keepalive_s;
  send_window = opts.max_inflight == 0 ? 1 : opts.max_inflight;
  ka_timer.arg = this;
  ka_timer.fire = &ClientImpl::on_keepalive;
}

ClientImpl::~ClientImpl() { shard->timers().remove(ka_timer); }

void ClientImpl::wake(Waiter& w) {
  w.woken = true;
  if (w.h) shard->schedule(std::exchange(w.h, {}));
}

void ClientImpl::wake_window() {
  if (window_waiters.empty() || inflight + window_handoffs >= send_window) return;
  Waiter* w = window_waiters.front();
  window_waiters.pop_front();
  ++window_handoffs;
  wake(*w);
}

void ClientImpl::lost(Error e, std::uint32_t from) {
  if (error || from != gen || reconnecting) return;
  if (!opts.reconnect.enabled || disconnecting) {
    end(e);
    return;
  }
  begin_reconnect(e);
}

void ClientImpl::begin_reconnect(Error e) {
  reconnecting = true;
  ++gen;
  ping_sent_ms = -1;
  shard->timers().remove(ka_timer);
  if (writer) writer->cancel();
  if (reader) reader->cancel();
  auto h = shard->spawn(reconnect_loop(shared_from_this()));
  if (!h) {
    end(e);
    return;
  }
  reconnector.emplace(std::move(*h));
}

void ClientImpl::start_session() {
  auto h = shard->spawn(read_loop(shared_from_this()));
  if (!h) {
    end(h.error());
    return;
  }
  reader.emplace(std::move(*h));
  last_send_ms = shard->now_ms();
  arm_keepalive();
}

void ClientImpl::resend() {
  // Our own SUBSCRIBEs of an earlier reconnect are forgotten (made again below if needed).
  for (auto& r : resubscribes) {
    for (auto it = ops.begin(); it != ops.end(); ++it) {
      if (it->second == &r.op) {
        ops.erase(it);
        break;
      }
    }
  }
  resubscribes.clear();
  std::vector<std::pair<std::uint16_t, Op*>> pending(ops.begin(), ops.end());
  std::sort(pending.begin(), pending.end(), [](const auto& a, const auto& b) { return a.second->seq < b.second->seq; });
  for (auto& [id, op] : pending) {
    bool sent = false;
    if (op->publish && op->released) {
      sent = write(cm::Ack{.type = cm::PacketType::pubrel, .packet_id = id});
    } else if (op->publish) {
      cm::Publish p = *op->publish;
      p.dup = true;  // MQTT-3.3.1-1
      sent = write(p);
    } else if (op->subscribe) {
      sent = write(*op->subscribe);
    } else if (op->unsubscribe) {
      sent = write(*op->unsubscribe);
    }
    if (sent) ++stats.resent;
  }
  if (session_present) return;
  // A new session: the broker forgot our subscriptions and its QoS 2 ids.
  incoming_qos2.clear();
  for (const auto& [filter, so] : subscriptions) {
    auto& r = resubscribes.emplace_back();
    r.filter = filter;
    r.sub.filter = r.filter;
    r.sub.qos = so.qos;
    r.sub.no_local = so.no_local;
    r.sub.retain_as_published = so.retain_as_published;
    r.sub.retain_handling = so.retain_handling;
    r.packet.subscriptions = std::span<cm::Subscription>(&r.sub, 1);
    r.op.kind = Op::Kind::subscribe;
    r.packet.packet_id = alloc_id();
    ops[r.packet.packet_id] = &r.op;
    if (write(r.packet)) ++stats.resent;
  }
}

void ClientImpl::end(Error e) {
  if (error) return;
  error = disconnecting ? make_error_code(ClientErrc::not_connected) : e;
  reconnecting = false;
  if (reconnector) reconnector->cancel();
  for (Waiter* w : online_waiters) wake(*w);
  online_waiters.clear();
  shard->timers().remove(ka_timer);
  for (auto& [id, op] : ops) {
    if (!op->error) op->error = error;
    wake(op->w);
  }
  ops.clear();
  for (Waiter* w : window_waiters) wake(*w);
  window_waiters.clear();
  if (msg_wait) wake(*msg_wait);
  if (room_wait) wake(*room_wait);
  // disconnect() flushed already: whatever is left is not waited for.
  if (writer) writer->cancel();
  if (reader) reader->cancel();
}

void ClientImpl::kick() {
  if (writer_running || write_failed || out.empty()) return;
  writer_running = true;
  // The writer holds the state alive: a Client destroyed meanwhile does not free it under it.
  auto h = shard->spawn(write_loop(shared_from_this()));
  if (!h) {
    writer_running = false;
    write_failed = true;
    end(h.error());
    return;
  }
  writer.emplace(std::move(*h));
}

std::uint16_t ClientImpl::alloc_id() {
  // 1..65535 with wrap, skipping ids still waiting for their answer. Callers keep fewer than
  // 65535 operations (the inflight window and one per awaiting call), so this ends.
  for (;;) {
    if (++next_id == 0) next_id = 1;
    if (!ops.contains(next_id)) return next_id;
  }
}

void ClientImpl::arm_keepalive() {
  if (keepalive_s == 0 || error) return;
  const std::int64_t ka = std::int64_t(keepalive_s) * 1000;
  shard->timers().add(ka_timer, (ping_sent_ms >= 0 ? ping_sent_ms : last_send_ms) + ka);
}

void ClientImpl::on_keepalive(Timer* t) {
  auto* c = static_cast<ClientImpl*>(t->arg);
  const std::int64_t now = c->shard->now_ms();
  const std::int64_t ka = std::int64_t(c->keepalive_s) * 1000;
  if (c->ping_sent_ms >= 0) {
    if (now - c->ping_sent_ms >= ka) {  // no PINGRESP within keepalive: the link is dead
      c->lost(errno_error(ETIMEDOUT));
      return;
    }
  } else if (now - c->last_send_ms >= ka) {
    if (c->write(cm::Ping{.type = cm::PacketType::pingreq})) {
      c->ping_sent_ms = now;
      ++c->stats.pings_sent;
    }
  }
  c->arm_keepalive();
}

Op* ClientImpl::find_op(std::uint16_t id, Op::Kind kind) {
  auto it = ops.find(id);
  if (it == ops.end() || it->second->kind != kind) return nullptr;
  return it->second;
}

void ClientImpl::complete(std::uint16_t id, Op& op) {
  ops.erase(id);
  wake(op.w);
}

bool ClientImpl::on_publish(const cm::Publish& p) {
  if (p.topic.empty()) {  // a 5.0 topic alias: we announced Topic Alias Maximum 0
    lost(make_error_code(ClientErrc::protocol_error));
    return false;
  }
  if (p.qos == 2) {
    if (std::find(incoming_qos2.begin(), incoming_qos2.end(), p.packet_id) != incoming_qos2.end()) {
      ++stats.qos2_duplicates;  // delivered already; PUBREL not seen yet (MQTT-4.3.3)
      (void)write(cm::Ack{.type = cm::PacketType::pubrec, .packet_id = p.packet_id});
      return true;
    }
    if (incoming_qos2.size() >= opts.max_queued_messages + 64u) {  // the broker ignores our Receive Maximum
      lost(make_error_code(ClientErrc::protocol_error));
      return false;
    }
  }
  Message m;
  m.topic.assign(p.topic);
  m.payload = text_of(p.payload);
  m.qos = p.qos;
  m.retain = p.retain;
  m.dup = p.dup;
  queue.push_back(std::move(m));
  ++stats.received;
  if (msg_wait) wake(*msg_wait);
  if (p.qos == 1) {
    (void)write(cm::Ack{.type = cm::PacketType::puback, .packet_id = p.packet_id});
  } else if (p.qos == 2) {
    incoming_qos2.push_back(p.packet_id);
    (void)write(cm::Ack{.type = cm::PacketType::pubrec, .packet_id = p.packet_id});
  }
  return true;
}

bool ClientImpl::on_ack(const cm::Ack& a) {
  const bool v5 = version == cm::Version::v5;
  switch (a.type) {
    case cm::PacketType::puback:
      if (Op* op = find_op(a.packet_id, Op::Kind::publish1)) {
        if (v5 && a.reason >= 0x80) op->error = make_error_code(ClientErrc::publish_refused);
        complete(a.packet_id, *op);
      }
      break;
    case cm::PacketType::pubrec: {
      Op* op = find_op(a.packet_id, Op::Kind::publish2);
      if (op && v5 && a.reason >= 0x80) {  // refused: the flow ends here
        op->error = make_error_code(ClientErrc::publish_refused);
        complete(a.packet_id, *op);
        break;
      }
      if (op) op->released = true;
      (void)write(cm::Ack{.type = cm::PacketType::pubrel, .packet_id = a.packet_id,
                          .reason = std::uint8_t(op || !v5 ? 0 : cm::reason::packet_identifier_not_found)});
      break;
    }
    case cm::PacketType::pubcomp:
      if (Op* op = find_op(a.packet_id, Op::Kind::publish2); op && op->released) complete(a.packet_id, *op);
      break;
    case cm::PacketType::pubrel: {
      auto at = std::find(incoming_qos2.begin(), incoming_qos2.end(), a.packet_id);
      const bool known = at != incoming_qos2.end();
      if (known) incoming_qos2.erase(at);
      (void)write(cm::Ack{.type = cm::PacketType::pubcomp, .packet_id = a.packet_id,
                          .reason = std::uint8_t(known || !v5 ? 0 : cm::reason::packet_identifier_not_found)});
      break;
    }
    default:
      break;
  }
  return true;
}

bool ClientImpl::on_suback(const cm::SubAck& s) {
  const bool sub = s.type == cm::PacketType::suback;
  Op* op = find_op(s.packet_id, sub ? Op::Kind::subscribe : Op::Kind::unsubscribe);
  if (!op) return true;  // an answer to a call that gave up (cancelled)
  if (sub) {
    if (s.reasons.empty()) {
      lost(make_error_code(ClientErrc::protocol_error));
      return false;
    }
    op->granted = std::uint8_t(s.reasons[0]);
    if (op->granted >= 0x80) op->error = make_error_code(ClientErrc::subscribe_refused);
  }
  complete(s.packet_id, *op);
  return true;
}

bool ClientImpl::on_packet(const cm::Packet& pkt) {
  switch (pkt.header.type) {
    case cm::PacketType::publish:
      return on_publish(std::get<cm::Publish>(pkt.body));
    case cm::PacketType::puback:
    case cm::PacketType::pubrec:
    case cm::PacketType::pubrel:
    case cm::PacketType::pubcomp:
      return on_ack(std::get<cm::Ack>(pkt.body));
    case cm::PacketType::suback:
    case cm::PacketType::unsuback:
      return on_suback(std::get<cm::SubAck>(pkt.body));
    case cm::PacketType::pingresp:
      ping_sent_ms = -1;
      ++stats.pongs_received;
      return true;
    case cm::PacketType::disconnect:  // 5.0: the broker says why it closes
      lost(disconnect_error(std::get<cm::Disconnect>(pkt.body).reason));
      return false;
    default:  // CONNECT, CONNACK again, SUBSCRIBE, PINGREQ, AUTH: not from a broker
      lost(make_error_code(ClientErrc::protocol_error));
      return false;
  }
}

}  // namespace detail

using detail::ClientImpl;
using detail::Op;
using detail::Wait;
using detail::Waiter;
namespace cm = codec::mqtt;

namespace {

// "HOST:PORT" / "[V6]:PORT" -> HOST / V6.
std::string host_of(std::string_view hp) {
  if (hp.starts_with('[')) return std::string(hp.substr(1, hp.find(']') - 1));
  return std::string(hp.substr(0, hp.rfind(':')));
}

// The operation's answer arrived, the connection ended, or the caller was cancelled.
Error await_result(const Op& op, const Wait& a) {
  if (op.error) return op.error;
  if (!op.w.woken && a.cancelled) return errno_error(ECANCELED);
  return {};
}

}  // namespace

Client::Client(std::shared_ptr<ClientImpl> impl) : impl_(std::move(impl)) {}
Client::Client(Client&& o) noexcept = default;
Client& Client::operator=(Client&& o) noexcept {
  if (this != &o) {
    if (impl_) impl_->end(make_error_code(ClientErrc::not_connected));
    impl_ = std::move(o.impl_);
  }
  return *this;
}
Client::~Client() {
  if (impl_) impl_->end(make_error_code(ClientErrc::not_connected));
}

bool Client::connected() const { return impl_ && !impl_->error && !impl_->reconnecting; }
bool Client::session_present() const { return impl_ && impl_->session_present; }
const std::string& Client::client_id() const { return impl_->client_id; }
std::uint16_t Client::keepalive_s() const { return impl_ ? impl_->keepalive_s : 0; }
ClientStats Client::stats() const { return impl_ ? impl_->stats : ClientStats{}; }
Error Client::error() const { return impl_ ? impl_->error : make_error_code(ClientErrc::not_connected); }

Task<Result<Client>> Client::connect(std::string host_port, ClientOptions options) {
  auto hp = dns::split_host_port(host_port);
  if (!hp) co_return make_error_code(ClientErrc::bad_address);
  if (options.tls && options.tls_server_name.empty()) options.tls_server_name = hp->host;
  const std::int64_t ms = options.connect_timeout_ms > 0 ? options.connect_timeout_ms : 10000;
  auto addrs = co_await with_timeout(std::chrono::milliseconds(ms), detail::resolve_broker(*hp, options.resolver));
  if (!addrs) co_return addrs.error() == std::errc::timed_out ? make_error_code(ClientErrc::resolver_failed) : addrs.error();
  Error last = make_error_code(ClientErrc::host_not_found);
  for (const SocketAddr& a : *addrs) {
    auto c = co_await connect(a, options);
    if (c) co_return std::move(c);
    last = c.error();
    if (!detail::try_next_address(last)) break;
  }
  co_return last;
}

Task<Result<Client>> Client::connect(SocketAddr addr, ClientOptions options) {
  const std::int64_t ms = options.connect_timeout_ms > 0 ? options.connect_timeout_ms : 10000;
  co_return co_await with_timeout(std::chrono::milliseconds(ms), connect_impl(addr, std::move(options)));
}

Task<Result<Client>> Client::connect_impl(SocketAddr addr, ClientOptions options) {
  if (options.will && options.will->qos > 2) co_return make_error_code(ClientErrc::bad_qos);
  if (options.will && cm::check_topic_name(options.will->topic, cm::TopicLimits{}) != cm::Errc::ok)
    co_return make_error_code(ClientErrc::bad_topic);
  std::shared_ptr<tls::ClientContext> tls_ctx;
  std::string server_name;
  if (options.tls) {
    auto ctx = tls::ClientContext::create(*options.tls);
    if (!ctx) co_return ctx.error();
    tls_ctx = std::move(*ctx);
    server_name = options.tls_server_name.empty() ? host_of(addr.to_string()) : options.tls_server_name;
  }
  auto impl = std::make_shared<ClientImpl>(Shard::current(), std::move(options));
  impl->addr = addr;
  impl->tls_ctx = std::move(tls_ctx);
  impl->server_name = std::move(server_name);
  auto s = co_await detail::open_stream(impl);
  if (!s) co_return s.error();
  auto r = co_await detail::handshake(impl);
  if (!r) co_return r.error();
  impl->start_session();  // a failure shows as the client's error on its first use
  co_return Client(std::move(impl));
}

namespace {
// Resumes at once when connected, after the reconnect otherwise; the client's error when it
// ended, ECANCELED when the caller was cancelled.
Task<Result<void>> wait_online(ClientImpl* c) {
  for (;;) {
    if (c->error) co_return c->error;
    if (!c->reconnecting) co_return Result<void>();
    Waiter w;
    c->online_waiters.push_back(&w);
    Wait a(c, &w);
    co_await a;
    if (auto it = std::find(c->online_waiters.begin(), c->online_waiters.end(), &w); it != c->online_waiters.end())
      c->online_waiters.erase(it);
    if (a.cancelled) co_return errno_error(ECANCELED);
  }
}
}  // namespace

Task<Result<void>> Client::publish(std::string topic, std::string payload, std::uint8_t qos, bool retain) {
  std::shared_ptr<ClientImpl> self = impl_;
  if (!self) co_return make_error_code(ClientErrc::not_connected);
  ClientImpl& c = *self;
  if (c.error) co_return c.error;
  if (qos > 2) co_return make_error_code(ClientErrc::bad_qos);
  if (cm::check_topic_name(topic, c.limits.topic) != cm::Errc::ok) co_return make_error_code(ClientErrc::bad_topic);
  cm::Publish p;
  p.qos = qos;
  p.retain = retain;
  p.topic = topic;
  p.payload = detail::bytes_of(payload);
  bool handed = false;  // wake_window() gave us a slot
  for (;;) {  // connected, and a slot in the inflight window
    auto on = co_await wait_online(&c);
    if (!on) co_return on.error();
    if (qos == 0) break;
    // In call order: a new call waits behind the waiting ones, and behind the woken ones
    // that have not run yet (a free slot beside theirs would let it write before them).
    if (handed ? c.inflight < c.send_window
               : c.window_waiters.empty() && c.window_handoffs == 0 && c.inflight < c.send_window)
      break;
    Waiter w;
    c.window_waiters.push_back(&w);
    Wait a(&c, &w);
    co_await a;
    if (auto it = std::find(c.window_waiters.begin(), c.window_waiters.end(), &w); it != c.window_waiters.end())
      c.window_waiters.erase(it);
    if (w.woken && !c.error) {
      --c.window_handoffs;
      handed = true;
    }
    if (a.cancelled) {
      c.wake_window();  // a wake meant for us goes to the next one
      co_return errno_error(ECANCELED);
    }
  }
  if (qos == 0) {
    if (!c.write(p)) co_return make_error_code(ClientErrc::too_large);
    ++c.stats.published;
    co_return Result<void>();
  }
  Op op;
  op.kind = qos == 1 ? Op::Kind::publish1 : Op::Kind::publish2;
  op.seq = c.next_seq++;
  op.publish = &p;
  const std::uint16_t id = c.alloc_id();
  p.packet_id = id;
  if (!c.write(p)) co_return make_error_code(ClientErrc::too_large);
  c.ops[id] = &op;
  ++c.inflight;
  c.wake_window();  // a slot left over goes to the next waiter (a call made behind us)
  Wait a(&c, &op.w);
  co_await a;
  if (auto it = c.ops.find(id); it != c.ops.end() && it->second == &op) c.ops.erase(it);
  --c.inflight;
  c.wake_window();
  if (Error e = await_result(op, a)) co_return e;
  ++c.stats.published;
  co_return Result<void>();
}

namespace {
// SUBSCRIBE / UNSUBSCRIBE: once online, sends `p` under a fresh packet id and waits for its
// acknowledgement (op records what came back).
template <class P>
Task<Error> request(ClientImpl* cp, Op* opp, P* pp) {
  ClientImpl& c = *cp;
  Op& op = *opp;
  P& p = *pp;
  auto on = co_await wait_online(&c);
  if (!on) co_return on.error();
  op.seq = c.next_seq++;
  const std::uint16_t id = c.alloc_id();
  p.packet_id = id;
  if (!c.write(p)) co_return make_error_code(ClientErrc::too_large);
  c.ops[id] = &op;
  Wait a(&c, &op.w);
  co_await a;
  if (auto it = c.ops.find(id); it != c.ops.end() && it->second == &op) c.ops.erase(it);
  co_return await_result(op, a);
}

}  // namespace

Task<Result<std::uint8_t>> Client::subscribe(std::string filter, std::uint8_t qos) {
  SubscribeOptions so;
  so.qos = qos;
  co_return co_await subscribe(std::move(filter), so);
}

Task<Result<std::uint8_t>> Client::subscribe(std::string filter, SubscribeOptions so) {
  std::shared_ptr<ClientImpl> self = impl_;
  if (!self) co_return make_error_code(ClientErrc::not_connected);
  ClientImpl& c = *self;
  if (c.error) co_return c.error;
  if (so.qos > 2 || so.retain_handling > 2) co_return make_error_code(ClientErrc::bad_qos);
  if (cm::check_topic_filter(filter, c.limits.topic) != cm::Errc::ok) co_return make_error_code(ClientErrc::bad_filter);
  cm::Subscription sub;
  sub.filter = filter;
  sub.qos = so.qos;
  sub.no_local = so.no_local;
  sub.retain_as_published = so.retain_as_published;
  sub.retain_handling = so.retain_handling;
  cm::Subscribe p;
  p.subscriptions = std::span<cm::Subscription>(&sub, 1);
  Op op;
  op.kind = Op::Kind::subscribe;
  op.subscribe = &p;
  if (Error e = co_await request(&c, &op, &p)) co_return e;
  c.subscriptions[filter] = so;  // made again after a reconnect without a session
  co_return op.granted;
}

Task<Result<void>> Client::unsubscribe(std::string filter) {
  std::shared_ptr<ClientImpl> self = impl_;
  if (!self) co_return make_error_code(ClientErrc::not_connected);
  ClientImpl& c = *self;
  if (c.error) co_return c.error;
  if (cm::check_topic_filter(filter, c.limits.topic) != cm::Errc::ok) co_return make_error_code(ClientErrc::bad_filter);
  std::string_view f = filter;
  cm::Unsubscribe p;
  p.filters = std::span<std::string_view>(&f, 1);
  Op op;
  op.kind = Op::Kind::unsubscribe;
  op.unsubscribe = &p;
  if (Error e = co_await request(&c, &op, &p)) co_return e;
  c.subscriptions.erase(filter);
  co_return Result<void>();
}

Task<Result<Message>> Client::next_message() {
  std::shared_ptr<ClientImpl> self = impl_;
  if (!self) co_return make_error_code(ClientErrc::not_connected);
  ClientImpl& c = *self;
  for (;;) {
    if (!c.queue.empty()) {
      Message m = std::move(c.queue.front());
      c.queue.pop_front();
      if (c.room_wait) c.wake(*c.room_wait);
      co_return m;
    }
    if (c.error) co_return c.error;
    Waiter w;
    c.msg_wait = &w;
    Wait a(&c, &w);
    co_await a;
    c.msg_wait = nullptr;
    if (a.cancelled) co_return errno_error(ECANCELED);
  }
}

namespace {
// Resumes once the output is sent (or the writer failed).
Task<Result<void>> flush(std::shared_ptr<ClientImpl> self) {
  ClientImpl& c = *self;
  for (;;) {
    if (!c.writer_running && c.out.empty()) break;
    if (c.write_failed) break;
    Waiter w;
    c.flush_wait = &w;
    Wait a(&c, &w);
    co_await a;
    c.flush_wait = nullptr;
    if (a.cancelled) co_return errno_error(ECANCELED);
  }
  co_return Result<void>();
}
}  // namespace

Task<Result<void>> Client::disconnect() {
  std::shared_ptr<ClientImpl> self = impl_;
  if (!self || self->error) co_return make_error_code(ClientErrc::not_connected);
  ClientImpl& c = *self;
  c.disconnecting = true;
  if (c.reconnecting) {  // nothing to say goodbye on
    c.end(make_error_code(ClientErrc::not_connected));
    co_return Result<void>();
  }
  (void)c.write(cm::Disconnect{});
  auto r = co_await with_timeout(std::chrono::milliseconds(detail::kFlushTimeoutMs), flush(self));
  c.end(make_error_code(ClientErrc::not_connected));
  co_return r;
}

}  // namespace zp::mqtt
