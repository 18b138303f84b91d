// The bridge's run on shard 0: a client to the remote broker and one to our own listener,
// a pump each way, and a watcher for the connected gauge.
//
// Why a loopback client rather than a hook inside the broker: the broker's connection path
// already gives the local side everything it needs (QoS flows, the inflight window and
// queue bound as back-pressure, no-local so that what we publish is not handed back to us,
// retain-as-published, the ACL, matching and cross-shard forwarding, persistence) and the
// broker stays as it is; the cost is one loopback hop per bridged message.
#include "zp/mqtt/bridge.h"

#include <algorithm>
#include <chrono>
#include <coroutine>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "zp/codec/mqtt/encoding.h"
#include "zp/engine/log.h"
#include "zp/mqtt/client.h"

namespace zp::mqtt {

namespace cm = codec::mqtt;

namespace detail {

// Parks one task until notify() (a notify with nobody waiting is kept for the next wait);
// a cancelled task resumes at once.
struct Gate {
  Shard* shard = nullptr;
  std::coroutine_handle<> h{};
  TaskCtx* ctx = nullptr;
  bool fired = false;
  void notify() {
    fired = true;
    if (h) shard->schedule(std::exchange(h, {}));
  }
};

// co_await GateWait(&g): true when the waiting task was cancelled.
struct GateWait {
  explicit GateWait(Gate* gate) : g(gate) {}
  Gate* g;
  bool cancelled = false;
  bool await_ready() const noexcept { return g->fired; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    TaskCtx* ctx = h.promise().ctx;
    if (ctx && ctx->cancelled) {
      cancelled = true;
      return false;
    }
    g->h = h;
    g->ctx = ctx;
    if (ctx) {
      ctx->cancel_hook = &GateWait::on_cancel;
      ctx->cancel_arg = g;
    }
    return true;
  }
  static void on_cancel(void* a) { static_cast<Gate*>(a)->notify(); }
  bool await_resume() noexcept {
    TaskCtx* ctx = std::exchange(g->ctx, nullptr);
    g->h = {};
    g->fired = false;
    if (ctx && ctx->cancel_arg == g) {
      ctx->cancel_hook = nullptr;
      ctx->cancel_arg = nullptr;
    }
    return cancelled || (ctx && ctx->cancelled);
  }
};

// A topic of the config with its two filters spelled out.
struct Route {
  BridgeTopic topic;
  std::string local_filter;   // local_prefix + filter
  std::string remote_filter;  // remote_prefix + filter
};

struct BridgeState {
  explicit BridgeState(BridgeConfig c) : cfg(std::move(c)) {
    if (cfg.client_id.empty()) cfg.client_id = "zproto-bridge-" + cfg.name;
    if (cfg.local_client_id.empty()) cfg.local_client_id = "local." + cfg.client_id;
    for (const BridgeTopic& t : cfg.topics) routes.push_back(Route{t, t.local_prefix + t.filter, t.remote_prefix + t.filter});
  }
  BridgeConfig cfg;
  std::vector<Route> routes;
  BridgeCounters counters;
  std::string local_address;
  Shard* shard = nullptr;
  TaskCtx* task = nullptr;  // the running bridge's, cancelled at the shard's stop
  bool started = false;
};

namespace {

void bump(std::atomic<std::uint64_t>& c) { c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }

bool goes(BridgeDirection d, bool outward) {
  return d == BridgeDirection::both || d == (outward ? BridgeDirection::out : BridgeDirection::in);
}

// The topic and QoS on the other side of a message, from the first route that matches it.
struct Mapped {
  std::string topic;
  std::uint8_t qos = 0;
};
std::optional<Mapped> map_topic(const BridgeState& st, const Message& m, bool outward) {
  for (const Route& r : st.routes) {
    if (!goes(r.topic.direction, outward)) continue;
    const std::string& from = outward ? r.local_filter : r.remote_filter;
    const std::string& from_prefix = outward ? r.topic.local_prefix : r.topic.remote_prefix;
    const std::string& to_prefix = outward ? r.topic.remote_prefix : r.topic.local_prefix;
    if (!m.topic.starts_with(from_prefix) || !cm::topic_matches(from, m.topic)) continue;
    Mapped out;
    out.topic = to_prefix + m.topic.substr(from_prefix.size());
    out.qos = std::min(m.qos, r.topic.qos);
    return out;
  }
  return std::nullopt;
}

// The subscriptions one side needs: each filter once, at the highest QoS asked for it.
std::map<std::string, std::uint8_t> filters_for(const BridgeState& st, bool local_side) {
  std::map<std::string, std::uint8_t> f;
  for (const Route& r : st.routes) {
    if (!goes(r.topic.direction, local_side)) continue;  // local side subscribes for "out"
    auto& q = f[local_side ? r.local_filter : r.remote_filter];
    q = std::max(q, r.topic.qos);
  }
  return f;
}

// QoS 1/2 forwards in flight in one direction, and the pump waiting for room.
struct Window {
  Gate room;
  std::size_t outstanding = 0;
};

Task<void> forward(Client* to, std::shared_ptr<BridgeState> st, std::shared_ptr<Window> w, std::string topic,
                   std::string payload, std::uint8_t qos, bool retain, bool outward) {
  auto r = co_await to->publish(std::move(topic), std::move(payload), qos, retain);
  if (r) bump(outward ? st->counters.out : st->counters.in);
  else bump(st->counters.dropped);
  --w->outstanding;
  w->room.notify();
}

// Takes messages from `from` and publishes them on `to`; ends when `from` has ended or the
// task is cancelled. QoS 1/2 go out without waiting for their acknowledgement, at most
// max_inflight at a time: beyond, we stop taking messages, so `from`'s queue fills, its
// reading pauses and the broker behind it holds the rest (its own window and queue bound).
Task<void> pump(Client* from, Client* to, std::shared_ptr<BridgeState> st, bool outward, Gate* done) {
  auto w = std::make_shared<Window>();
  w->room.shard = st->shard;
  const std::size_t window = std::max<std::size_t>(st->cfg.max_inflight, 1);
  for (;;) {
    auto m = co_await from->next_message();
    if (!m) break;
    auto mapped = map_topic(*st, *m, outward);
    if (!mapped) {  // "a/#" also matches "a" itself, which has no prefix "a/" to take off
      bump(st->counters.dropped);
      continue;
    }
    if (mapped->qos == 0) {
      auto r = co_await to->publish(std::move(mapped->topic), std::move(m->payload), 0, m->retain);
      if (r) bump(outward ? st->counters.out : st->counters.in);
      else bump(st->counters.dropped);
      continue;
    }
    bool cancelled = false;
    while (w->outstanding >= window) {
      cancelled = co_await GateWait(&w->room);
      if (cancelled) break;
    }
    if (cancelled) break;
    ++w->outstanding;
    // It runs until its first wait, so the PUBLISH is written now, in order.
    auto h = st->shard->spawn(forward(to, st, w, std::move(mapped->topic), std::move(m->payload), mapped->qos,
                                      m->retain, outward));
    if (!h) {
      --w->outstanding;
      bump(st->counters.dropped);
    }
  }
  // Forwards still in flight finish on their own (the Window is theirs too).
  done->notify();
}

// Keeps the connected gauge and the connection count; logs the changes.
Task<void> watch(Client* local, Client* remote, std::shared_ptr<BridgeState> st, Gate* done) {
  bool was = true;
  std::uint64_t reconnects = 0;
  for (;;) {
    const bool now = local->connected() && remote->connected();
    if (now != was) {
      if (now) ZP_LOG_INFO("mqtt bridge {}: connected again to {}", st->cfg.name, st->cfg.address);
      else ZP_LOG_WARN("mqtt bridge {}: connection lost, reconnecting", st->cfg.name);
      was = now;
    }
    st->counters.connected.store(now ? 1 : 0, std::memory_order_relaxed);
    const std::uint64_t r = remote->stats().reconnects;
    if (r != reconnects) {
      st->counters.connects.store(st->counters.connects.load(std::memory_order_relaxed) + (r - reconnects),
                                  std::memory_order_relaxed);
      reconnects = r;
    }
    if (local->error() || remote->error()) break;  // one has given up: the bridge starts again
    auto s = co_await sleep(std::chrono::milliseconds(100));
    if (!s) break;
  }
  done->notify();
}

ClientOptions remote_options(const BridgeConfig& c) {
  ClientOptions o;
  o.client_id = c.client_id;
  o.version = c.version;
  o.clean_start = c.clean_start;
  o.session_expiry_s = c.session_expiry_s;
  o.keepalive_s = c.keepalive_s;
  o.username = c.username;
  o.password = c.password;
  o.max_inflight = c.max_inflight;
  o.tls = c.tls;
  o.tls_server_name = c.tls_server_name;
  o.reconnect.enabled = true;
  o.reconnect.initial_backoff_ms = c.reconnect_initial_ms;
  o.reconnect.max_backoff_ms = c.reconnect_max_ms;
  return o;
}

ClientOptions local_options(const BridgeConfig& c) {
  ClientOptions o;
  o.client_id = c.local_client_id;
  o.version = cm::Version::v5;  // for no-local and retain-as-published
  o.username = c.local_username;
  o.password = c.local_password;
  o.max_inflight = c.max_inflight;
  o.reconnect.enabled = true;
  o.reconnect.initial_backoff_ms = 50;
  o.reconnect.max_backoff_ms = 2000;
  return o;
}

// Subscribes one side; a refused filter is logged and the rest go on.
Task<bool> subscribe_side(Client* c, const std::map<std::string, std::uint8_t>& filters, bool v5, const char* side,
                          const std::string& name) {
  for (const auto& [filter, qos] : filters) {
    SubscribeOptions so;
    so.qos = qos;
    so.no_local = v5;             // what we publish on this side does not come back to us
    so.retain_as_published = v5;  // the retain flag crosses with the message
    auto g = co_await c->subscribe(filter, so);
    if (!g) {
      if (!c->error()) {
        ZP_LOG_WARN("mqtt bridge {}: {} broker refused the subscription to \"{}\": {}", name, side, filter,
                    g.error().message());
        continue;
      }
      co_return false;
    }
  }
  co_return true;
}

// One connection of the bridge: both clients, their subscriptions, the pumps; returns when
// a side has given up (or the task is cancelled). True when the remote side had connected.
Task<bool> session(std::shared_ptr<BridgeState> st) {
  const BridgeConfig& cfg = st->cfg;
  auto local = co_await Client::connect(st->local_address, local_options(cfg));
  if (!local) {
    ZP_LOG_WARN("mqtt bridge {}: cannot connect to our own listener {}: {}", cfg.name, st->local_address,
                local.error().message());
    co_return false;
  }
  auto remote = co_await Client::connect(cfg.address, remote_options(cfg));
  if (!remote) {
    ZP_LOG_WARN("mqtt bridge {}: cannot connect to {}: {}", cfg.name, cfg.address, remote.error().message());
    co_return false;
  }
  bump(st->counters.connects);
  ZP_LOG_INFO("mqtt bridge {}: connected to {} as \"{}\"{}", cfg.name, cfg.address, remote->client_id(),
              remote->session_present() ? " (session resumed)" : "");
  const bool remote_v5 = cfg.version == cm::Version::v5;
  bool ok = co_await subscribe_side(&*remote, filters_for(*st, false), remote_v5, "the remote", cfg.name);
  if (ok) ok = co_await subscribe_side(&*local, filters_for(*st, true), true, "our", cfg.name);
  if (!ok) {
    ZP_LOG_WARN("mqtt bridge {}: connection ended while subscribing", cfg.name);
    co_return true;
  }
  Gate done;
  done.shard = st->shard;
  std::vector<TaskHandle> tasks;
  for (int i = 0; i < 3; ++i) {
    Result<TaskHandle> h = i == 0   ? st->shard->spawn(pump(&*local, &*remote, st, true, &done))
                           : i == 1 ? st->shard->spawn(pump(&*remote, &*local, st, false, &done))
                                    : st->shard->spawn(watch(&*local, &*remote, st, &done));
    if (h) tasks.push_back(std::move(*h));
  }
  if (tasks.size() == 3) {
    (void)co_await GateWait(&done);  // a pump or the watcher ended, or we were cancelled
  }
  for (auto& t : tasks) t.cancel();
  for (auto& t : tasks) co_await t.join();
  st->counters.connected.store(0, std::memory_order_relaxed);
  if (remote->connected()) (void)co_await remote->disconnect();
  if (local->connected()) (void)co_await local->disconnect();
  co_return true;
}

Task<void> run(std::shared_ptr<BridgeState> st, TaskCtx* ctx) {
  st->task = ctx;
  std::int64_t backoff = std::max<std::int64_t>(st->cfg.reconnect_initial_ms, 1);
  for (;;) {
    if (ctx->cancelled) break;
    const bool connected = co_await session(st);
    if (ctx->cancelled) break;
    if (connected) backoff = std::max<std::int64_t>(st->cfg.reconnect_initial_ms, 1);
    auto s = co_await sleep(std::chrono::milliseconds(backoff));
    if (!s) break;
    backoff = std::min(backoff * 2, std::max(st->cfg.reconnect_max_ms, backoff));
  }
  st->task = nullptr;
}

}  // namespace

}  // namespace detail

Bridge::Bridge(BridgeConfig cfg) : st_(std::make_shared<detail::BridgeState>(std::move(cfg))) {}
Bridge::~Bridge() = default;

const BridgeConfig& Bridge::config() const { return st_->cfg; }
const BridgeCounters& Bridge::counters() const { return st_->counters; }

Result<void> Bridge::start(Shard& shard, std::string local_address) {
  if (st_->started) return std::make_error_code(std::errc::connection_already_in_progress);
  st_->started = true;
  st_->shard = &shard;
  st_->local_address = std::move(local_address);
  auto st = st_;
  auto h = shard.spawn_with_ctx([&](TaskCtx* ctx) { return detail::run(st, ctx); });
  if (!h) return h.error();
  shard.on_stop([st] {
    if (st->task) st->task->cancel();
  });
  ZP_LOG_INFO("mqtt bridge {}: to {} ({} topics)", st->cfg.name, st->cfg.address, st->cfg.topics.size());
  return {};
}

std::string Bridge::metrics(const std::vector<std::shared_ptr<Bridge>>& bridges) {
  if (bridges.empty()) return {};
  struct Row {
    const char* name;
    const char* type;
    const char* help;
    const std::atomic<std::uint64_t> BridgeCounters::*field;
  };
  static constexpr Row rows[] = {
      {"bridge_connected", "gauge", "1 while the bridge is connected to both brokers.", &BridgeCounters::connected},
      {"bridge_messages_out_total", "counter", "Messages forwarded to the remote broker.", &BridgeCounters::out},
      {"bridge_messages_in_total", "counter", "Messages forwarded from the remote broker.", &BridgeCounters::in},
      {"bridge_dropped_total", "counter", "Messages the bridge could not forward.", &BridgeCounters::dropped},
      {"bridge_connects_total", "counter", "Connections made to the remote broker, reconnects included.",
       &BridgeCounters::connects},
  };
  std::string out;
  for (const Row& r : rows) {
    out += fmt::format("# HELP zproto_mqtt_{0} {1}\n# TYPE zproto_mqtt_{0} {2}\n", r.name, r.help, r.type);
    for (const auto& b : bridges) {
      out += fmt::format("zproto_mqtt_{}{{bridge=\"{}\"}} {}\n", r.name, b->config().name,
                         (b->counters().*r.field).load(std::memory_order_relaxed));
    }
  }
  return out;
}

std::string loopback_of(const std::string& listen_address) {
  if (listen_address.starts_with("0.0.0.0:")) return "127.0.0.1" + listen_address.substr(7);
  if (listen_address.starts_with("[::]:")) return "[::1]" + listen_address.substr(4);
  return listen_address;
}

}  // namespace zp::mqtt
