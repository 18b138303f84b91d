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

/// Limits and timeouts of the broker (service parameters).
struct BrokerOptions {
  codec::mqtt::Limits limits{};            ///< packets: size, topics, filters per SUBSCRIBE, properties
  std::size_t max_connections = 100000;    ///< per shard; beyond, new connections are closed at once
  std::int64_t connect_timeout_ms = 10000; ///< from accept to a complete CONNECT
  std::uint16_t max_keepalive_s = 0;       ///< 0: the client's keepalive; else larger (or 0) ones are lowered to it (5.0 tells the client)
  std::uint16_t max_inflight = 32;         ///< unacknowledged QoS 1/2 messages towards one client (also our 5.0 Receive Maximum)
  std::size_t max_queued_messages = 1000;  ///< per session: QoS 1/2 messages behind the inflight window or offline; beyond, dropped and counted
  std::size_t max_out_bytes = 1u << 20;    ///< unsent bytes per connection: a QoS 0 message beyond is dropped and counted
  std::size_t max_sessions = 100000;       ///< sessions per shard, online and offline; beyond, CONNACK "server unavailable"
  std::size_t max_subscriptions = 1000;    ///< filters per session; beyond, SUBACK 0x80 (5.0: 0x97 quota exceeded)
  std::size_t max_cross_shard_bytes = 8u << 20;  ///< payload bytes waiting for one busy shard: QoS 0 beyond is dropped
  RetainedLimits retained{};               ///< per shard (every shard holds every retained message)
  std::shared_ptr<const Access> access{};  ///< passwords and ACL (Access::load); null: anyone, every topic but $SYS
};

/// One shard's counters; written by that shard, read from any thread (metrics).
struct BrokerCounters {
  std::atomic<std::uint64_t> connections{0};        ///< open network connections now
  std::atomic<std::uint64_t> connects{0};           ///< CONNACK 0 sent
  std::atomic<std::uint64_t> connect_refused{0};    ///< CONNACK with an error code
  std::atomic<std::uint64_t> protocol_errors{0};    ///< connections closed for a malformed packet or a protocol violation
  std::atomic<std::uint64_t> takeovers{0};          ///< sessions ended by a CONNECT with the same client id
  std::atomic<std::uint64_t> keepalive_timeouts{0}; ///< connections closed for silence past 1.5 x keepalive
  std::atomic<std::uint64_t> publish_in{0};         ///< PUBLISH packets received (duplicates of QoS 2 not counted)
  std::atomic<std::uint64_t> publish_out{0};        ///< PUBLISH packets sent
  std::atomic<std::uint64_t> dropped{0};            ///< messages not delivered: a full output, queue or cross-shard backlog
  std::atomic<std::uint64_t> wills{0};              ///< will messages published
  std::atomic<std::uint64_t> sessions{0};           ///< sessions on this shard now
  std::atomic<std::uint64_t> subscriptions{0};      ///< (filter, session) pairs on this shard now
  std::atomic<std::uint64_t> retained{0};           ///< retained messages on this shard now
  std::atomic<std::uint64_t> cross_shard_batches{0};  ///< batches sent to other shards
  std::atomic<std::uint64_t> acl_denied{0};         ///< PUBLISH, SUBSCRIBE filters and deliveries refused by the ACL
  std::atomic<std::uint64_t> tls_handshake_failures{0};  ///< TLS listener: handshakes that failed
};

/// Sums of every shard's counters (plain numbers).
struct BrokerTotals {
  std::uint64_t connections = 0;        ///< open network connections now
  std::uint64_t connects = 0;           ///< CONNACK 0 sent
  std::uint64_t connect_refused = 0;    ///< CONNACK with an error code
  std::uint64_t protocol_errors = 0;    ///< closed for a malformed packet or protocol violation
  std::uint64_t takeovers = 0;          ///< sessions taken over
  std::uint64_t keepalive_timeouts = 0; ///< closed for keepalive
  std::uint64_t publish_in = 0;         ///< PUBLISH received
  std::uint64_t publish_out = 0;        ///< PUBLISH sent
  std::uint64_t dropped = 0;            ///< messages dropped
  std::uint64_t wills = 0;              ///< wills published
  std::uint64_t sessions = 0;           ///< sessions now
  std::uint64_t subscriptions = 0;      ///< subscriptions now
  std::uint64_t retained = 0;           ///< retained messages (of shard 0: every shard holds all)
  std::uint64_t cross_shard_batches = 0;  ///< cross-shard batches sent
  std::uint64_t acl_denied = 0;           ///< refused by the ACL
  std::uint64_t tls_handshake_failures = 0;  ///< failed TLS handshakes
};

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

  /// On shard `shard`'s own thread (Runtime::run's setup): binds one SO_REUSEPORT listener
  /// per "HOST:PORT" / "[V6]:PORT" and serves MQTT on it. EADDRINUSE, EINVAL (a shard id
  /// beyond shard_count)...
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
};

}  // namespace zp::mqtt
