// One MQTT connection on its shard: read and parse packets, run each through the broker,
// write the answers through a short-lived writer task. An idle connection has no task at
// all: it is parked on its stream (Stream::park), and input starts a task that handles it.
#include <algorithm>

#include "shard_broker.h"
#include "zp/engine/log.h"
#include "zp/engine/tls.h"

namespace zp::mqtt::detail {

namespace {

constexpr std::int64_t kFinalFlushMs = 1000;  // a closing connection's last bytes get this long

Task<void> write_loop(Conn* c) {
  for (;;) {
    ConnIo& io = *c->io;  // kept while the writer runs (release_io)
    if (io.out.empty() || c->write_failed) break;
    io.sending.swap(io.out);
    auto r = co_await c->stream.send(io.sending);
    io.sending.clear();
    if (!r) {
      c->write_failed = true;
      c->end();
      break;
    }
  }
  c->writer_running = false;
  c->writer_ctx = nullptr;
  if (c->abandoned) {  // closed with no task of its own (Conn::start_input)
    delete c;
    co_return;
  }
  if (c->parked) c->release_io();
  if (auto w = std::exchange(c->writer_done, {})) w.resume();  // finish() waits for us
}

// QoS 2 PUBLISHes a client may leave unreleased (PUBREL not yet seen); one more is "receive
// maximum exceeded" (0x93). 5.0 clients are told in CONNACK, so the bound is one they keep.
std::size_t incoming_qos2_limit(const BrokerOptions& o) {
  return std::min<std::size_t>(std::size_t(o.max_inflight) * 8 + 64, 65535);
}

// What a packet asks of the loop.
enum class Next : std::uint8_t { go_on, close, connect, subscribe, unsubscribe };

}  // namespace

void Conn::kick() {
  if (writer_running || write_failed || out_bytes() == 0) return;
  writer_running = true;
  // Spawned, not kept: a finished writer leaves nothing behind (finish() waits through
  // writer_done).
  if (auto h = Shard::current()->spawn_with_ctx([this](TaskCtx* ctx) {
        writer_ctx = ctx;
        return write_loop(this);
      });
      !h) {
    writer_running = false;
    write_failed = true;
    end();
  }
}

void Conn::write_ping_response() {
  const cm::Ping p{.type = cm::PacketType::pingresp};
  std::vector<std::byte>& out = buffers().out;
  const std::size_t at = out.size();
  out.resize(at + cm::packet_size(p));
  (void)cm::serialize(p, std::span(out).subspan(at));
  kick();
}

// A bounded pool per shard: a busy connection parks and wakes many times a second.
constexpr std::size_t kIoPoolMax = 256;
constexpr std::size_t kIoKeepCapacity = 16 * 1024;  // larger buffers are not kept in the pool

ConnIo& Conn::buffers() {
  if (!io) {
    auto& pool = broker->io_pool_;
    if (pool.empty()) {
      io = std::make_unique<ConnIo>();
    } else {
      io = std::move(pool.back());
      pool.pop_back();
    }
  }
  return *io;
}

void Conn::release_io() {
  if (!io || writer_running || !io->out.empty() || !io->in.empty()) return;
  auto& pool = broker->io_pool_;
  if (pool.size() >= kIoPoolMax) {
    io.reset();
    return;
  }
  for (auto* v : {&io->in, &io->out, &io->sending}) {
    v->clear();
    if (v->capacity() > kIoKeepCapacity) std::vector<std::byte>().swap(*v);
  }
  pool.push_back(std::move(io));
}

// The packet handlers of one connection; lives in the connection task's frame.
class ConnLoop {
 public:
  ConnLoop(ShardBroker& b, Conn& c) : b_(b), c_(c), opts_(b.opts) {}

  Task<void> run();
  Task<bool> on_bytes(const RecvBuf& got);
  // The parts of finish() that need no wait (also for a connection no task can run for).
  void finish_now();

 private:
  Next handle(const cm::Packet& pkt);
  Next on_publish(const cm::Publish& p);
  Next on_ack(const cm::Ack& a);
  Task<bool> on_unsubscribe(const cm::Unsubscribe& u);
  Next on_disconnect(const cm::Disconnect& d);
  Task<bool> on_connect(const cm::Connect& cn);
  Task<bool> on_subscribe(const cm::Subscribe& sub);
  Next protocol_error(std::uint8_t reason);
  void refuse_connect(std::uint8_t v311_code, std::uint8_t v5_reason);
  // Access (access.h): credentials and the will at CONNECT; topics of PUBLISH and SUBSCRIBE.
  bool admit(const cm::Connect& cn, std::string_view client_id);
  bool may_publish(std::string_view client_id, std::string_view topic);
  bool may_subscribe(std::string_view filter);
  Next publish_denied(const cm::Publish& p);
  Task<void> finish();

  ShardBroker& b_;
  Conn& c_;
  const BrokerOptions& opts_;
};

Next ConnLoop::protocol_error(std::uint8_t reason) {
  add(b_.counters.protocol_errors);
  if (c_.version == cm::Version::v5 && c_.connected) c_.write(cm::Disconnect{.reason = reason});
  return Next::close;
}

void ConnLoop::refuse_connect(std::uint8_t v311_code, std::uint8_t v5_reason) {
  add(b_.counters.connect_refused);
  c_.write(cm::Connack{.reason = c_.version == cm::Version::v5 ? v5_reason : v311_code});
}

// The user name and password against the password file, and the will's topic against the
// ACL; a refusal's CONNACK is written here.
bool ConnLoop::admit(const cm::Connect& cn, std::string_view client_id) {
  if (const Access* a = opts_.access.get()) {
    const std::string_view user = cn.username;
    const std::span<const std::byte> password = cn.password;
    const Login l = a->login(cn.has_username ? &user : nullptr, cn.has_password ? &password : nullptr);
    if (l == Login::bad_credentials) {
      refuse_connect(cm::connack311::bad_user_name_or_password, cm::reason::bad_user_name_or_password);
      return false;
    }
    if (l == Login::not_authorized) {
      refuse_connect(cm::connack311::not_authorized, cm::reason::not_authorized);
      return false;
    }
  }
  if (cn.has_will) {
    const std::string user(cn.username);
    const Identity who{client_id, cn.has_username ? &user : nullptr};
    const bool ok = !Access::is_sys_topic(cn.will_topic) &&
                    (!opts_.access || opts_.access->may_publish(who, cn.will_topic));
    if (!ok) {
      add(b_.counters.acl_denied);
      refuse_connect(cm::connack311::not_authorized, cm::reason::not_authorized);
      return false;
    }
  }
  return true;
}

bool ConnLoop::may_publish(std::string_view client_id, std::string_view topic) {
  const Access* a = opts_.access.get();
  const bool ok = a ? a->may_publish(Identity{client_id, c_.session->username.get()}, topic) : !Access::is_sys_topic(topic);
  if (!ok) add(b_.counters.acl_denied);
  return ok;
}

bool ConnLoop::may_subscribe(std::string_view filter) {
  const Access* a = opts_.access.get();
  if (!a || a->may_subscribe(Identity{c_.session->client_id, c_.session->username.get()}, filter)) return true;
  add(b_.counters.acl_denied);
  return false;
}

// A PUBLISH the ACL refuses: 3.1.1 acknowledges and drops it (as mosquitto does); 5.0
// answers 0x87 Not authorized (QoS 1 and 2; QoS 0 is dropped).
Next ConnLoop::publish_denied(const cm::Publish& p) {
  if (p.qos == 1) {
    c_.ack(cm::PacketType::puback, p.packet_id, cm::reason::not_authorized);
  } else if (p.qos == 2) {
    Session* s = c_.session;
    if (c_.version != cm::Version::v5) {  // the flow goes on to PUBREL/PUBCOMP
      if (s->flows().incoming_qos2.size() >= incoming_qos2_limit(opts_)) return protocol_error(cm::reason::receive_maximum_exceeded);
      if (std::find(s->flows().incoming_qos2.begin(), s->flows().incoming_qos2.end(), p.packet_id) == s->flows().incoming_qos2.end())
        s->flows().incoming_qos2.push_back(p.packet_id);
    }
    c_.ack(cm::PacketType::pubrec, p.packet_id, cm::reason::not_authorized);
  }
  return Next::go_on;
}

Next ConnLoop::handle(const cm::Packet& pkt) {
  const cm::PacketType type = pkt.header.type;
  if (!c_.connected) {
    if (type != cm::PacketType::connect) return protocol_error(cm::reason::protocol_error);  // MQTT-3.1.0-1
    return Next::connect;
  }
  switch (type) {
    case cm::PacketType::connect:
      return protocol_error(cm::reason::protocol_error);  // MQTT-3.1.0-2
    case cm::PacketType::publish:
      return on_publish(std::get<cm::Publish>(pkt.body));
    case cm::PacketType::puback:
    case cm::PacketType::pubrec:
    case cm::PacketType::pubrel:
    case cm::PacketType::pubcomp:
      return on_ack(std::get<cm::Ack>(pkt.body));
    case cm::PacketType::subscribe:
      return Next::subscribe;
    case cm::PacketType::unsubscribe:
      return Next::unsubscribe;
    case cm::PacketType::pingreq:
      c_.write_ping_response();
      return Next::go_on;
    case cm::PacketType::disconnect:
      return on_disconnect(std::get<cm::Disconnect>(pkt.body));
    default:  // CONNACK, SUBACK, UNSUBACK, PINGRESP, AUTH: not from a client (we offer no enhanced auth)
      return protocol_error(cm::reason::protocol_error);
  }
}

Next ConnLoop::on_publish(const cm::Publish& p) {
  Session* s = c_.session;
  if (!s) return Next::close;
  std::string_view topic = p.topic;
  if (c_.version == cm::Version::v5) {
    if (p.properties.has(cm::PropertyId::topic_alias)) {
      const std::uint16_t alias = p.properties.topic_alias;
      if (alias == 0 || alias > opts_.max_topic_alias) return protocol_error(cm::reason::topic_alias_invalid);  // MQTT-3.3.2-9
      if (!c_.aliases) c_.aliases = std::make_unique<std::string[]>(opts_.max_topic_alias);
      std::string& named = c_.aliases[alias - 1];
      if (topic.empty()) {
        if (named.empty()) return protocol_error(cm::reason::protocol_error);  // an alias never set
        topic = named;
      } else {
        named.assign(topic);  // MQTT-3.3.2-12: a name with an alias sets the mapping
      }
    } else if (topic.empty()) {
      return protocol_error(cm::reason::protocol_error);  // MQTT-3.3.2-1
    }
    if (p.properties.subscription_identifier_count > 0) return protocol_error(cm::reason::protocol_error);  // MQTT-3.3.4-6
  }
  if (!may_publish(s->client_id, topic)) return publish_denied(p);
  if (p.qos == 2) {
    const auto& pending = s->view().incoming_qos2;
    const bool seen = std::find(pending.begin(), pending.end(), p.packet_id) != pending.end();
    if (seen) {  // a redelivery before our PUBREC arrived: deliver once (MQTT-4.3.3-2)
      b_.ack_ordered(c_, cm::PacketType::pubrec, p.packet_id);
      return Next::go_on;
    }
    if (s->flows().incoming_qos2.size() >= incoming_qos2_limit(opts_)) return protocol_error(cm::reason::receive_maximum_exceeded);
  }
  auto m = std::make_shared<Message>();
  m->topic.assign(topic);
  m->payload.assign(p.payload.begin(), p.payload.end());
  if (c_.version == cm::Version::v5) keep_properties(p.properties, b_.steady_now_ms(), *m);
  m->qos = p.qos;
  m->retain = p.retain;
  m->origin_shard = b_.id_;
  m->origin_session = s->slot;
  add(b_.counters.publish_in);
  if (p.qos == 2) s->flows().incoming_qos2.push_back(p.packet_id);
  b_.publish_acked(c_, m, p.qos, p.packet_id);  // PUBACK / PUBREC now, or once its records are durable
  return Next::go_on;
}

Next ConnLoop::on_ack(const cm::Ack& a) {
  Session* s = c_.session;
  if (!s) return Next::close;
  auto& fl = s->flows().inflight;
  auto it = std::find_if(fl.begin(), fl.end(), [&](const Inflight& f) { return f.packet_id == a.packet_id; });
  switch (a.type) {
    case cm::PacketType::puback:
      if (it != fl.end() && it->qos == 1) {
        b_.log_acked(*s, it->seq);
        fl.erase(it);
        b_.pump(*s);
      }
      break;
    case cm::PacketType::pubrec:
      if (it != fl.end() && it->qos == 2 && !it->released) {
        if (a.reason >= 0x80) {  // 5.0: the receiver refused it; the flow ends here
          b_.log_acked(*s, it->seq);
          fl.erase(it);
          b_.pump(*s);
          break;
        }
        it->released = true;
        b_.log_released(*s, it->seq);
      }
      c_.ack(cm::PacketType::pubrel, a.packet_id, it == fl.end() ? cm::reason::packet_identifier_not_found : 0);
      break;
    case cm::PacketType::pubcomp:
      if (it != fl.end() && it->released) {
        b_.log_acked(*s, it->seq);
        fl.erase(it);
        b_.pump(*s);
      }
      break;
    case cm::PacketType::pubrel: {
      auto& in = s->flows().incoming_qos2;
      auto at = std::find(in.begin(), in.end(), a.packet_id);
      const bool known = at != in.end();
      if (known) in.erase(at);
      c_.ack(cm::PacketType::pubcomp, a.packet_id, known ? 0 : cm::reason::packet_identifier_not_found);
      break;
    }
    default:
      break;
  }
  return Next::go_on;
}

// A shared subscription's leave is acknowledged by its group's owner before UNSUBACK: no
// message is sent to this member after it (MQTT-3.10.4-2).
Task<bool> ConnLoop::on_unsubscribe(const cm::Unsubscribe& u) {
  if (!c_.session) co_return false;
  std::vector<std::string> filters(u.filters.begin(), u.filters.end());  // before the first wait
  const std::uint16_t packet_id = u.packet_id;
  std::byte reasons[256];
  const std::size_t n = std::min<std::size_t>(filters.size(), sizeof reasons);
  for (std::size_t i = 0; i < filters.size(); ++i) {
    Session* s = c_.session;
    if (!s) co_return false;
    const bool had = s->view().subscriptions.contains(filters[i]);
    if (had && is_share(filters[i])) co_await b_.leave_shared(*s, filters[i]);
    else b_.unsubscribe(*s, filters[i]);
    if (i < n) reasons[i] = std::byte(had ? cm::reason::success : cm::reason::no_subscription_existed);
  }
  if (!c_.session) co_return false;
  cm::SubAck ack{.type = cm::PacketType::unsuback, .packet_id = packet_id};
  if (c_.version == cm::Version::v5) ack.reasons = std::span<const std::byte>(reasons, n);
  c_.write(ack);
  co_return true;
}

Next ConnLoop::on_disconnect(const cm::Disconnect& d) {
  c_.clean_disconnect = d.reason != cm::reason::disconnect_with_will;
  if (!c_.clean_disconnect) return Next::close;
  c_.will.reset();  // MQTT-3.14.4-3: a normal DISCONNECT discards the will
  if (Session* s = c_.session; s && c_.version == cm::Version::v5 && d.properties.has(cm::PropertyId::session_expiry_interval)) {
    const std::uint32_t expiry = d.properties.session_expiry_interval;
    if (!s->persistent && expiry > 0) return protocol_error(cm::reason::protocol_error);  // MQTT-3.14.2-2: 0 stays 0
    s->persistent = expiry > 0;
    s->expiry_s = expiry;
    if (s->persistent) b_.log_session_expiry(*s);
  }
  return Next::close;
}

Task<bool> ConnLoop::on_connect(const cm::Connect& cn) {
  c_.version = cn.version;
  const bool v5 = cn.version == cm::Version::v5;
  std::string client_id(cn.client_id);
  bool assigned = false;
  if (client_id.empty()) {  // MQTT-3.1.3-6 (3.1.1 clean session 1; 5.0 any): we assign one
    client_id = "zp-" + std::to_string(b_.id_) + "-" + std::to_string(++b_.next_client_);
    assigned = true;
  }
  if (!admit(cn, client_id)) co_return false;
  std::unique_ptr<const std::string> acl_user;  // copied now: the packet's views end at the first wait
  if (cn.has_username && opts_.access && opts_.access->has_acl()) acl_user = std::make_unique<const std::string>(cn.username);
  std::uint16_t keepalive = cn.keepalive;
  const bool lowered = opts_.max_keepalive_s != 0 && (keepalive == 0 || keepalive > opts_.max_keepalive_s);
  if (lowered) keepalive = opts_.max_keepalive_s;
  if (cn.has_will) {
    auto w = std::make_shared<Message>();
    w->topic.assign(cn.will_topic);
    w->payload.assign(cn.will_payload.begin(), cn.will_payload.end());
    // The will's properties go out with it, except Will Delay (not a PUBLISH property); its
    // Message Expiry counts from when it is published (publish_will).
    std::uint32_t delay_s = 0;
    if (v5) {
      keep_properties(cn.will_properties, 0, *w);
      w->expires_ms = 0;  // set when it is published
      delay_s = cn.will_properties.will_delay_interval;
    }
    w->qos = cn.will_qos;
    w->retain = cn.will_retain;
    w->origin_shard = b_.id_;
    c_.will = std::make_unique<Conn::Will>(Conn::Will{.msg = std::move(w), .delay_s = delay_s});
  }
  const bool persistent = v5 ? cn.properties.session_expiry_interval > 0 : !cn.clean_start;
  const bool clean_start = cn.clean_start;
  c_.send_window = opts_.max_inflight == 0 ? 1 : opts_.max_inflight;
  if (v5 && cn.properties.has(cm::PropertyId::receive_maximum))
    c_.send_window = std::min<std::uint16_t>(c_.send_window, cn.properties.receive_maximum);
  if (v5 && cn.properties.has(cm::PropertyId::maximum_packet_size)) c_.client_max_packet = cn.properties.maximum_packet_size;

  // The client id's home shard knows where its session is; claim it there, then end the
  // session where it was (its connection, or the offline session) and take its state.
  const unsigned me = b_.id_;
  const unsigned home = b_.home_of(client_id);
  const std::uint32_t expiry_s = v5 && persistent ? cn.properties.session_expiry_interval : UINT32_MAX;
  auto claim_fn = [client_id, me, persistent, clean_start, v = cn.version, expiry_s](ShardBroker& h) {
    ShardBroker::Claim c = h.claim(client_id, me);
    h.persist_connect(client_id, c.gen, persistent, clean_start, v, expiry_s);
    return c;
  };
  const ShardBroker::Claim claim = co_await b_.call<ShardBroker::Claim>(home, std::move(claim_fn));
  std::unique_ptr<SessionState> previous;
  if (claim.previous) {
    auto detach_fn = [client_id, gen = claim.previous->gen, keep = !clean_start](ShardBroker& p) {
      return p.detach(client_id, gen, keep);
    };
    previous = co_await b_.call<std::unique_ptr<SessionState>>(claim.previous->shard, std::move(detach_fn));
  }
  if (auto t = b_.tombstones_.find(client_id); t != b_.tombstones_.end()) {
    const bool superseded = t->second >= claim.gen;
    b_.tombstones_.erase(t);
    if (superseded) {  // a newer CONNECT with this id won while we waited
      add(b_.counters.takeovers);
      co_return false;
    }
  }
  if (c_.ctx->cancelled) co_return false;
  Session* s = b_.new_session(client_id, claim.gen);
  if (!s) {
    auto release_fn = [client_id, me, gen = claim.gen](ShardBroker& h) {
      h.release(client_id, me, gen);
      return true;
    };
    (void)co_await b_.call<bool>(home, std::move(release_fn));
    refuse_connect(cm::connack311::server_unavailable, cm::reason::server_unavailable);
    co_return false;
  }
  s->version = c_.version;
  s->persistent = persistent;
  // (Not from `cn`: the packet is the shard's parse buffer, another connection's by now.)
  if (v5 && persistent) s->expiry_s = expiry_s;  // 0xFFFFFFFF: never
  s->username = std::move(acl_user);
  const bool session_present = previous != nullptr;
  if (previous) {
    // Subscriptions first (the other shards learn of them), while no connection takes
    // deliveries: they queue until CONNACK is out.
    for (auto& [filter, sub] : previous->subscriptions) (void)co_await b_.subscribe(*s, filter, sub);
    s->flows().inflight = std::move(previous->inflight);
    for (auto& q : previous->queue) {
      if (s->flows().queue.size() < opts_.max_queued_messages) s->flows().queue.push_back(std::move(q));
      else add(b_.counters.dropped);
    }
    s->flows().incoming_qos2 = std::move(previous->incoming_qos2);
    s->last_packet_id = previous->last_packet_id;
    b_.next_seq_ = std::max(b_.next_seq_, previous->next_seq);
  }
  if (c_.ctx->cancelled) {  // taken over meanwhile: the session was handed on already
    co_return false;
  }
  cm::Connack ack{.session_present = session_present, .reason = 0};
  if (v5) {
    auto& pr = ack.properties;
    if (assigned) {
      pr.assigned_client_identifier = s->client_id;
      pr.set(cm::PropertyId::assigned_client_identifier);
    }
    if (lowered) {
      pr.server_keep_alive = keepalive;
      pr.set(cm::PropertyId::server_keep_alive);
    }
    pr.maximum_packet_size = opts_.limits.max_packet_size;
    pr.set(cm::PropertyId::maximum_packet_size);
    pr.receive_maximum = std::uint16_t(incoming_qos2_limit(opts_));
    pr.set(cm::PropertyId::receive_maximum);
    pr.shared_subscription_available = 1;
    pr.set(cm::PropertyId::shared_subscription_available);
    if (opts_.max_topic_alias > 0) {
      pr.topic_alias_maximum = opts_.max_topic_alias;
      pr.set(cm::PropertyId::topic_alias_maximum);
    }
  }
  c_.write(ack);
  c_.connected = true;
  add(b_.counters.connects);
  c_.session = s;
  s->conn = &c_;
  b_.resend_inflight(*s);
  b_.keepalives_->set(c_, std::int64_t(keepalive) * 1500);  // MQTT-3.1.2-24 (0: none)
  co_return true;
}

Task<bool> ConnLoop::on_subscribe(const cm::Subscribe& sub) {
  // Copied before the first wait: the packet's views and the shard's parse scratch are
  // only valid until then.
  struct Want {
    std::string filter;
    cm::Subscription opts;
    bool existed = false;
    std::uint8_t reason = 0;
  };
  std::vector<Want> wants;
  wants.reserve(sub.subscriptions.size());
  for (const auto& s : sub.subscriptions) wants.push_back(Want{std::string(s.filter), s, false, 0});
  const std::uint16_t packet_id = sub.packet_id;
  const std::uint32_t subscription_id = sub.properties.subscription_identifier;  // 0: none
  const bool v5 = c_.version == cm::Version::v5;
  for (auto& w : wants) {
    Session* s = c_.session;
    if (!s) co_return false;
    if (const cm::SharedFilter share = cm::split_shared(w.filter); !share.group.empty()) {  // the codec checked it
      if (!may_subscribe(share.filter)) {
        w.reason = v5 ? cm::reason::not_authorized : cm::reason::unspecified_error;
        continue;
      }
      // No retained messages for a share (MQTT 4.8.2).
      const std::uint8_t options = w.opts.retain_as_published ? 2 : 0;
      const Subscriber entry{.session = s->slot, .qos = w.opts.qos, .options = options, .subscription_id = subscription_id};
      const bool joined = co_await b_.subscribe_shared(*s, w.filter, entry);
      w.reason = joined ? w.opts.qos : (v5 ? 0x97 : cm::reason::unspecified_error);
      continue;
    }
    if (!may_subscribe(w.filter)) {
      w.reason = v5 ? cm::reason::not_authorized : cm::reason::unspecified_error;  // 0x87 / 0x80
      continue;
    }
    w.existed = s->view().subscriptions.contains(w.filter);
    const std::uint8_t options = std::uint8_t((w.opts.no_local ? 1 : 0) | (w.opts.retain_as_published ? 2 : 0));
    Subscriber entry{.session = s->slot, .qos = w.opts.qos, .options = options, .subscription_id = subscription_id};
    const auto added = b_.add_subscription(*s, w.filter, entry);
    if (added == ShardBroker::Added::refused) {
      w.reason = v5 ? 0x97 : cm::reason::unspecified_error;
      continue;
    }
    w.reason = w.opts.qos;
    // Retained messages (MQTT-3.3.1-6) at once, in the same turn as the subscription is
    // added: a retained PUBLISH arriving from another shard while the announcement below
    // is awaited is then delivered live only, never also as the retained copy, and never
    // ahead of an older retained one. (A PUBLISH may precede the SUBACK: MQTT-3.8.4.)
    if (!(w.opts.retain_handling == 2 || (w.opts.retain_handling == 1 && w.existed))) {
      const auto send_retained = [&](const RetainedMessage& rm) {
        if (!b_.may_read(*s, rm.topic)) return;
        auto m = std::make_shared<Message>();
        m->topic = rm.topic;
        m->payload = rm.payload;
        m->properties = rm.properties;
        m->expires_ms = rm.expires_ms;
        m->qos = rm.qos;
        m->retain = true;
        b_.deliver(*s, m, std::min(rm.qos, w.opts.qos), true, subscription_id);
      };
      b_.retained_.for_each_match(w.filter, send_retained, b_.steady_now_ms());
    }
    if (added == ShardBroker::Added::announce) co_await b_.announce(w.filter);
  }
  Session* s = c_.session;
  if (!s) co_return false;
  std::vector<std::byte> reasons;
  for (const auto& w : wants) reasons.push_back(std::byte(w.reason));
  c_.write(cm::SubAck{.type = cm::PacketType::suback, .packet_id = packet_id, .reasons = reasons});
  co_return true;
}

// The packets of one receive. Its own frame, alive only while they are handled: the idle
// connection's frame holds the pending receive and the keepalive guard, little else.
Task<bool> ConnLoop::on_bytes(const RecvBuf& got) {
  cm::Packet& pkt = b_.packet_;
  const cm::Scratch scratch{b_.parse_subscriptions_, b_.parse_filters_};
  const bool buffered = c_.io && !c_.io->in.empty();
  if (buffered) c_.io->in.insert(c_.io->in.end(), got.bytes().begin(), got.bytes().end());
  const std::span<const std::byte> data = buffered ? std::span<const std::byte>(c_.io->in) : got.bytes();
  std::size_t pos = 0;
  bool open = true;
  for (;;) {
    const auto r = cm::parse_packet(data.subspan(pos), c_.version, opts_.limits, pkt, scratch);
    if (r.need_more()) break;
    if (r.error != cm::Errc::ok) {
      if (const auto* cn = std::get_if<cm::Connect>(&pkt.body); !c_.connected && cn && pkt.header.type == cm::PacketType::connect) {
        c_.version = cn->version;
        if (r.error == cm::Errc::bad_protocol_version) {
          refuse_connect(cm::connack311::unacceptable_protocol_version, cm::reason::unsupported_protocol_version);
        } else if (r.error == cm::Errc::bad_client_id) {
          refuse_connect(cm::connack311::identifier_rejected, cm::reason::client_identifier_not_valid);
        } else if (cn->version == cm::Version::v5) {
          refuse_connect(0, cm::reason_for(r.error));
        }
      }
      protocol_error(cm::reason_for(r.error));
      open = false;
      break;
    }
    pos += r.consumed;
    Next next = handle(pkt);
    if (next == Next::connect) {
      const bool ok = co_await on_connect(std::get<cm::Connect>(pkt.body));
      next = ok ? Next::go_on : Next::close;
    } else if (next == Next::subscribe) {
      const bool ok = co_await on_subscribe(std::get<cm::Subscribe>(pkt.body));
      next = ok ? Next::go_on : Next::close;
    } else if (next == Next::unsubscribe) {
      const bool ok = co_await on_unsubscribe(std::get<cm::Unsubscribe>(pkt.body));
      next = ok ? Next::go_on : Next::close;
    }
    if (next == Next::close) {
      open = false;
      break;
    }
  }
  b_.flush_all();
  if (!open) co_return false;
  if (b_.congested()) {
    // Another shard's inbox from us is full and our backlog for it is over its bound: stop
    // reading this publisher (TCP pushes back on it) instead of queueing without bound.
    add(b_.counters.publisher_pauses);
    for (;;) {
      b_.keepalives_->touch(c_);  // the client is not silent: we are not reading
      auto slept = co_await sleep(std::chrono::milliseconds(1));
      if (!slept) co_return false;
      if (!b_.congested()) break;
    }
  }
  if (buffered) c_.io->in.erase(c_.io->in.begin(), c_.io->in.begin() + std::ptrdiff_t(pos));
  else if (pos < data.size()) c_.buffers().in.assign(data.begin() + std::ptrdiff_t(pos), data.end());
  co_return true;
}

// Handles input until there is none, then parks the connection (and ends: the idle
// connection has no frame), or until the connection ends (and frees it).
Task<void> ConnLoop::run() {
  for (;;) {
    if (c_.ending || c_.ctx->cancelled) break;
    // Nothing to read: wait with no task (TLS cannot: it reads on). Marked parked first, so
    // a hook that fired at once would find the connection without its task.
    c_.parked = true;
    TaskCtx* mine = std::exchange(c_.ctx, nullptr);
    if (c_.stream.park(c_)) {
      c_.release_io();
      co_return;
    }
    c_.parked = false;
    c_.ctx = mine;
    auto got = co_await c_.stream.recv();
    if (!got || got->eof()) break;
    b_.keepalives_->touch(c_);
    if (!co_await on_bytes(*got)) break;
  }
  co_await finish();
  delete &c_;
}

void ConnLoop::finish_now() {
  // The will goes out unless the client said DISCONNECT (5.0: without "with will"). A 5.0
  // Will Delay holds it back while the session lives on: offline (end_session), or in the
  // connection that took the session over (then it never goes).
  b_.keepalives_->remove(c_);
  Session* s = c_.session;
  const std::unique_ptr<Conn::Will> given = std::move(c_.will);
  MessagePtr will = given ? std::move(given->msg) : MessagePtr{};
  const std::uint32_t will_delay_s = given ? given->delay_s : 0;
  const bool will_due = will && !c_.clean_disconnect && !b_.stopping_;
  const bool delayed = will_due && will_delay_s > 0 && ((s && s->persistent) || c_.taken_over);
  if (will_due && !delayed) b_.publish_will(will);
  b_.conn_closed(c_);
  if (s) {
    c_.session = nullptr;
    b_.end_session(*s, delayed ? std::move(will) : MessagePtr{}, will_delay_s);
  }
  b_.flush_all();
}

Task<void> ConnLoop::finish() {
  finish_now();
  // Let the last bytes (CONNACK refusal, DISCONNECT) out, for a bounded time.
  c_.kick();
  if (c_.writer_running) {
    Timer t;
    t.arg = &c_;
    t.fire = [](Timer* tm) {
      auto* c = static_cast<Conn*>(tm->arg);
      if (c->writer_running && c->writer_ctx) c->writer_ctx->cancel();
    };
    b_.shard_->timers().add(t, b_.shard_->now_ms() + kFinalFlushMs);
    co_await WriterDone{&c_};
    b_.shard_->timers().remove(t);
  }
}

Task<void> serve_input(Conn* c, TaskCtx* ctx) {
  c->ctx = ctx;
  // Started by end(): its caller (a loop over connections, acknowledgements...) goes on
  // with this connection still in place; the close runs on the next turn.
  if (c->ending) co_await Shard::current()->yield();
  ConnLoop loop(*c->broker, *c);
  co_await loop.run();
}

void Conn::on_ready(ReadyHook* h) {
  auto* c = static_cast<Conn*>(h);
  c->parked = false;
  if (!c->start_input()) c->abandon();
}

bool Conn::start_input() {
  auto make = [this](TaskCtx* t) { return serve_input(this, t); };
  return bool(Shard::current()->spawn_with_ctx(make));
}

// No task to run it in (the shard's task bound): closed here, without the final flush.
void Conn::abandon() {
  ZP_LOG_WARN("mqtt: no task for a connection's input: closing it");
  ConnLoop(*broker, *this).finish_now();
  stream.close();
  if (writer_running) {
    abandoned = true;  // the writer frees it
    if (writer_ctx) writer_ctx->cancel();
  } else {
    delete this;
  }
}

void Conn::end() {
  ending = true;
  if (ctx) {
    ctx->cancel();
  } else if (parked) {
    parked = false;
    stream.unpark();
    // Not now if there is no task for it: end()'s caller may be walking this connection.
    if (!start_input()) Shard::current()->post_external([this] { abandon(); });
  }
}

void on_keepalive_expired(KeepaliveLink* l) {
  auto* c = static_cast<Conn*>(l);
  add(c->broker->counters.keepalive_timeouts);
  c->end();
}

// A new connection: its state on the heap (an idle one keeps only that and its stream),
// its first input handled in the accepting task.
Task<void> serve_connection(ShardBroker* b, Stream s, TaskCtx* ctx) {
  auto* c = new Conn(b, std::move(s));
  co_await serve_input(c, ctx);
}

Conn::Conn(ShardBroker* b, Stream s) : broker(b), stream(std::move(s)) {
  fire = &Conn::on_ready;
  add(b->counters.connections);
  b->keepalives_->set(*this, b->opts.connect_timeout_ms);
}

Conn::~Conn() { subtract(broker->counters.connections); }

// MQTT over TLS: the handshake (bounded by the TLS config's timeout), then the same
// connection over the encrypted stream.
Task<void> serve_tls_connection(ShardBroker* b, std::shared_ptr<tls::ServerContext> tls_ctx, Stream s, TaskCtx* ctx) {
  auto r = co_await tls::accept(s, std::move(tls_ctx));
  if (!r) {
    add(b->counters.tls_handshake_failures);
    ZP_LOG_DEBUG("mqtt: TLS handshake failed: {}", r.error().message());
    co_return;
  }
  co_await serve_connection(b, std::move(s), ctx);
}

Result<void> ShardBroker::start_tls(Shard& shard, const std::vector<std::string>& listen, const tls::ServerConfig& cfg) {
  if (listen.empty()) return {};
  if (!keepalives_) keepalives_ = std::make_unique<Keepalives>(shard, &on_keepalive_expired);
  auto tls_ctx = tls::ServerContext::create(cfg);
  if (!tls_ctx) {
    ZP_LOG_ERROR("mqtt: TLS: {}", tls_ctx.error().message());
    return tls_ctx.error();
  }
  auto bound = bind_listeners(shard, "mqtts", listen);
  if (!bound) return bound.error();
  auto held = std::make_shared<std::vector<Listener>>(std::move(*bound));
  std::shared_ptr<tls::ServerContext> ctx = std::move(*tls_ctx);
  for (auto& l : *held) {
    AcceptHandler h{.admit = [this] { return counters.connections.load(std::memory_order_relaxed) < opts.max_connections; },
                    .serve = [this, held, ctx](Stream s, TaskCtx* tctx) { return serve_tls_connection(this, ctx, std::move(s), tctx); }};
    if (auto r = start_accepting(shard, "mqtts", l, std::move(h)); !r) return r;
  }
  return {};
}

Result<void> ShardBroker::start(Shard& shard, const std::vector<std::string>& listen) {
  shard_ = &shard;
  if (!keepalives_) keepalives_ = std::make_unique<Keepalives>(shard, &on_keepalive_expired);
  auto bound = bind_listeners(shard, "mqtt", listen);
  if (!bound) return bound.error();
  // Held by the accept loops: closed on this shard when the last loop ends.
  auto held = std::make_shared<std::vector<Listener>>(std::move(*bound));
  for (auto& l : *held) {
    AcceptHandler h{.admit = [this] { return counters.connections.load(std::memory_order_relaxed) < opts.max_connections; },
                    .serve = [this, held](Stream s, TaskCtx* ctx) { return serve_connection(this, std::move(s), ctx); }};
    if (auto r = start_accepting(shard, "mqtt", l, std::move(h)); !r) return r;
  }
  start_sys_topics();
  start_restored();
  shard.on_stop([this] {
    stopping_ = true;
    // Parked connections have no task for the shard to cancel: end each (a task closes it).
    keepalives_->take_all([](KeepaliveLink* l) { static_cast<Conn*>(l)->end(); });
    keepalives_->stop();
    if (retry_armed_) {
      shard_->timers().remove(retry_timer_);
      retry_armed_ = false;
    }
    if (sys_timer_.armed) shard_->timers().remove(sys_timer_);
    if (deadline_timer_.armed) shard_->timers().remove(deadline_timer_);
  });
  return {};
}

}  // namespace zp::mqtt::detail
