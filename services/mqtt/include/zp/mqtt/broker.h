/// \file
/// The MQTT broker (3.1.1 and 5.0) on the engine, one part per shard. A connection lives on
/// the shard that accepted it; a PUBLISH is matched there against that shard's subscribers
/// and forwarded, in batches over the engine's cross-shard queues, to the shards that have a
/// matching subscription (each shard knows which filters the others hold). Retained
/// messages are replicated to every shard; a client id's session is found through its home
/// shard (hash of the id), so a second CONNECT with the same id ends the first wherever it is.
/// \code
///   auto broker = std::make_shared<zp::mqtt::Broker>(runtime_shards, zp::mqtt::BrokerOptions{});
///   rt.run([&](zp::Shard& s) { return broker->start(s, {"127.0.0.1:1883"}); });
/// \endcode
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "zp/codec/mqtt/packet.h"
#include "zp/engine/shard.h"
#include "zp/engine/tls.h"
#include "zp/mqtt/access.h"
#include "zp/mqtt/retained.h"
#include "zp/result.h"

namespace zp::mqtt {

/// Persistence of retained messages and persistent sessions (off while `dir` is empty).
/// Each shard keeps an append-only log `<dir>/shard-N.log` and a snapshot `shard-N.snap`;
/// a QoS 1/2 PUBLISH whose message was logged is acknowledged (PUBACK / PUBREC) only once
/// the log was written (and, with `fsync`, fdatasync'ed).
struct PersistenceOptions {
  std::string dir;                         ///< the directory (created if missing); "" = no persistence
  bool fsync = true;                       ///< fdatasync each batch before acknowledging; false: written, not synced
  std::uint64_t max_log_bytes = 64u << 20; ///< a log beyond this is compacted into a new snapshot
};

/// Limits and timeouts of the broker (service parameters).
struct BrokerOptions {
  codec::mqtt::Limits limits{};            ///< packets: size, topics, filters per SUBSCRIBE, properties
  std::size_t max_connections = 100000;    ///< per shard; beyond, new connections are closed at once
  std::int64_t connect_timeout_ms = 10000; ///< from accept to a complete CONNECT
  std::uint16_t max_keepalive_s = 0;       ///< 0: the client's keepalive; else larger (or 0) ones are lowered to it (5.0 tells the client)
  std::uint16_t max_inflight = 32;         ///< unacknowledged QoS 1/2 messages towards one client; from one, 8x + 64 unreleased QoS 2 (our 5.0 Receive Maximum)
  std::size_t max_queued_messages = 1000;  ///< per session: QoS 1/2 messages behind the inflight window or offline; beyond, dropped and counted
  std::size_t max_out_bytes = 1u << 20;    ///< unsent bytes per connection: a QoS 0 message beyond is dropped and counted
  std::size_t max_sessions = 100000;       ///< sessions per shard, online and offline; beyond, CONNACK "server unavailable"
  std::uint16_t max_topic_alias = 10;      ///< 5.0 Topic Alias Maximum announced to clients (mosquitto's default); 0: none
  std::size_t max_subscriptions = 1000;    ///< filters per session; beyond, SUBACK 0x80 (5.0: 0x97 quota exceeded)
  std::size_t max_cross_shard_bytes = 8u << 20;  ///< payload bytes waiting for one busy shard: beyond, QoS 0 is dropped and publishers on this shard are paused
  RetainedLimits retained{};               ///< per shard (every shard holds every retained message)
  /// Seconds between publishes of the counters as retained `$SYS/broker/...` messages
  /// (mosquitto's sys_interval; the service's default is 10); 0: none.
  std::uint32_t sys_interval_s = 0;
  std::shared_ptr<const Access> access{};  ///< passwords and ACL (Access::load); null: anyone, every topic but $SYS
  PersistenceOptions persistence{};        ///< off by default
};

/// What one broker counter is: its names in the metrics and under `$SYS/broker/`, and how it
/// adds up over shards.
struct CounterInfo {
  const char* metric;  ///< after `zproto_mqtt_` (counters end in `_total`)
  const char* sys;     ///< the topic after `$SYS/broker/` (mosquitto's names where it has one)
  const char* help;    ///< one line for the metrics' HELP
  bool gauge;          ///< a level now (else a count since start)
  bool replicated;     ///< every shard holds the same value: the total is shard 0's
};

/// The broker's counters, as atomics (BrokerCounters, one per shard: written by that shard,
/// read from any thread) or as plain sums (BrokerTotals). Each field is listed once more,
/// with its CounterInfo, in each(): totals, metrics and `$SYS` all go through it.
template <class V>
struct BrokerCountersOf {
  V connections{};         ///< open network connections now
  V connects{};            ///< CONNACK 0 sent
  V connect_refused{};     ///< CONNACK with an error code
  V protocol_errors{};     ///< connections closed for a malformed packet or a protocol violation
  V takeovers{};           ///< sessions ended by a CONNECT with the same client id
  V keepalive_timeouts{};  ///< connections closed for silence past 1.5 x keepalive
  V publish_in{};          ///< PUBLISH packets received (duplicates of QoS 2 not counted)
  V publish_out{};         ///< PUBLISH packets sent
  V dropped{};             ///< messages not delivered: a full output, queue or cross-shard backlog
  V wills{};               ///< will messages published
  V sessions{};            ///< sessions on this shard now, online and offline
  V subscriptions{};       ///< (filter, session) pairs on this shard now
  V retained{};            ///< retained messages (every shard holds all)
  V cross_shard_batches{}; ///< batches sent to other shards
  V publisher_pauses{};    ///< reads from a publisher paused: a backlog for another shard was over its bound
  V acl_denied{};          ///< PUBLISH, SUBSCRIBE filters and deliveries refused by the ACL
  V tls_handshake_failures{};  ///< TLS listener: handshakes that failed
  V expired{};             ///< 5.0 deliveries dropped because the Message Expiry passed first (one per subscriber, per retained copy)
  V sessions_expired{};    ///< offline sessions ended by their 5.0 Session Expiry Interval

  /// Calls f(info, field of each of objs...) for every counter, in a fixed order.
  template <class F, class... S>
  static void each(F&& f, S&... objs) {
    f(CounterInfo{"connections", "clients/connected", "Open MQTT network connections.", true, false}, objs.connections...);
    f(CounterInfo{"connects_total", "connects", "CONNECT accepted (CONNACK 0).", false, false}, objs.connects...);
    f(CounterInfo{"connect_refused_total", "connects/refused", "CONNECT refused with a CONNACK error.", false, false},
      objs.connect_refused...);
    f(CounterInfo{"protocol_errors_total", "clients/protocol_errors",
                  "Connections closed for a malformed packet or protocol violation.", false, false},
      objs.protocol_errors...);
    f(CounterInfo{"takeovers_total", "clients/taken_over", "Sessions taken over by a CONNECT with the same client id.",
                  false, false},
      objs.takeovers...);
    f(CounterInfo{"keepalive_timeouts_total", "clients/expired", "Connections closed after 1.5 x keepalive of silence.",
                  false, false},
      objs.keepalive_timeouts...);
    f(CounterInfo{"publish_received_total", "publish/messages/received", "PUBLISH packets received.", false, false},
      objs.publish_in...);
    f(CounterInfo{"publish_sent_total", "publish/messages/sent", "PUBLISH packets sent.", false, false}, objs.publish_out...);
    f(CounterInfo{"dropped_total", "publish/messages/dropped", "Messages dropped (full output, queue or cross-shard backlog).",
                  false, false},
      objs.dropped...);
    f(CounterInfo{"wills_total", "publish/wills", "Will messages published.", false, false}, objs.wills...);
    f(CounterInfo{"sessions", "clients/total", "Sessions, online and offline.", true, false}, objs.sessions...);
    f(CounterInfo{"subscriptions", "subscriptions/count", "Subscriptions (filter, session).", true, false},
      objs.subscriptions...);
    f(CounterInfo{"retained", "retained messages/count", "Retained messages.", true, true}, objs.retained...);
    f(CounterInfo{"cross_shard_batches_total", "cross_shard/batches", "Batches of work sent to other shards.", false, false},
      objs.cross_shard_batches...);
    f(CounterInfo{"publisher_pauses_total", "publish/pauses",
                  "Reads from a publisher paused while another shard's backlog was over its bound.", false, false},
      objs.publisher_pauses...);
    f(CounterInfo{"acl_denied_total", "acl/denied", "PUBLISH, SUBSCRIBE filters and deliveries refused by the ACL.", false,
                  false},
      objs.acl_denied...);
    f(CounterInfo{"tls_handshake_failures_total", "tls/handshake_failures", "TLS handshakes that failed.", false, false},
      objs.tls_handshake_failures...);
    f(CounterInfo{"expired_total", "publish/messages/expired", "Deliveries (one per subscriber) dropped because the Message Expiry passed first.",
                  false, false},
      objs.expired...);
    f(CounterInfo{"sessions_expired_total", "clients/sessions_expired", "Offline sessions ended by their Session Expiry.",
                  false, false},
      objs.sessions_expired...);
  }
};

/// One shard's counters; written by that shard, read from any thread (metrics).
using BrokerCounters = BrokerCountersOf<std::atomic<std::uint64_t>>;
/// Sums of every shard's counters (plain numbers).
using BrokerTotals = BrokerCountersOf<std::uint64_t>;

namespace detail {
class ShardBroker;
}

/// The broker: one part per shard, made before the shards start. It must outlive the
/// runtime that runs it (the shards' tasks use it until they end).
class Broker {
 public:
  /// A broker for a runtime of `shard_count` shards (at least 1).
  Broker(unsigned shard_count, BrokerOptions opts = {});
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  /// With persistence on: opens `<dir>` (creating it), loads every shard's snapshot and log
  /// (a torn tail is cut off, with a warning in the log) and restores the retained messages
  /// and persistent sessions (offline, at their home shard). Call once, before the shards
  /// run. Returns "" or what went wrong (a directory written by another shard count, a
  /// damaged snapshot, an I/O error). Without persistence: "" at once.
  std::string restore();
  /// On shard `shard`'s own thread (Runtime::run's setup): binds one SO_REUSEPORT listener
  /// per "HOST:PORT" / "[V6]:PORT" and serves MQTT on it. EADDRINUSE, EINVAL (a shard id
  /// beyond shard_count, or persistence on and restore() not called)...
  Result<void> start(Shard& shard, const std::vector<std::string>& listen_addrs);
  /// After start() on the same shard: MQTT over TLS on each "HOST:PORT" of `tls_addrs`
  /// (a per-shard context made from `tls`; bad_cert_file, bad_key_file... EADDRINUSE).
  Result<void> start_tls(Shard& shard, const std::vector<std::string>& tls_addrs, const tls::ServerConfig& tls);

  const BrokerOptions& options() const { return opts_; }  ///< its limits
  unsigned shard_count() const { return unsigned(parts_.size()); }  ///< shards it was made for
  const BrokerCounters& counters(unsigned shard) const;  ///< shard's counters
  BrokerTotals totals() const;  ///< every shard's counters summed
  /// The counters in the Prometheus text format (`zproto_mqtt_*`).
  std::string metrics() const;

  /// \cond internal
  detail::ShardBroker& part(unsigned shard) { return *parts_[shard]; }
  /// \endcond

 private:
  BrokerOptions opts_;
  std::vector<std::unique_ptr<detail::ShardBroker>> parts_;
  bool restored_ = false;
};

}  // namespace zp::mqtt
