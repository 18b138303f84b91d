/// \file
/// A bridge from our broker to another one (mosquitto's `connection`/`address`/`topic`):
/// chosen topics are forwarded out, in or both ways, with prefixes put on and taken off on
/// the way across (mosquitto's `topic pattern direction qos local-prefix remote-prefix`).
/// It runs on shard 0 with two MQTT clients: one to the remote broker, one to our own
/// listener on loopback (MQTT 5, no-local, retain-as-published), so what it publishes locally
/// is matched and forwarded across shards like any client's PUBLISH.
/// \code
///   zp::mqtt::BridgeConfig cfg;
///   cfg.name = "b1"; cfg.address = "10.0.0.2:1883";
///   cfg.topics.push_back({.filter = "sensors/#", .direction = zp::mqtt::BridgeDirection::out, .qos = 1});
///   auto bridge = std::make_shared<zp::mqtt::Bridge>(cfg);
///   bridge->start(shard0, "127.0.0.1:1883");  // our own listener
/// \endcode
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "zp/codec/mqtt/packet.h"
#include "zp/engine/shard.h"
#include "zp/engine/tls.h"
#include "zp/result.h"

namespace zp::mqtt {

/// Which way a bridged topic goes.
enum class BridgeDirection : std::uint8_t {
  out,   ///< from our broker to the remote one
  in,    ///< from the remote broker to ours
  both,  ///< both ways (towards a 3.1.1 broker what goes out comes back once: no no-local there)
};

/// One bridged topic: `filter` matched as local_prefix + filter on our side and as
/// remote_prefix + filter on the remote side; a message crossing has the one prefix taken
/// off its topic and the other put on.
struct BridgeTopic {
  std::string filter{};         ///< a topic filter (wildcards allowed)
  BridgeDirection direction = BridgeDirection::out;  ///< which way
  std::uint8_t qos = 0;         ///< the subscriptions' QoS: messages cross at min(theirs, this)
  std::string local_prefix{};   ///< put before `filter` on our side (no wildcards)
  std::string remote_prefix{};  ///< put before `filter` on the remote side (no wildcards)
};

/// Bounds of the "bridges" config (service parameters).
struct BridgeLimits {
  static constexpr std::size_t max_bridges = 64;        ///< bridges per broker
  static constexpr std::size_t max_topics = 256;        ///< topics per bridge
  static constexpr std::size_t max_name = 64;           ///< bytes of a bridge's name
  static constexpr std::size_t max_prefix = 1024;       ///< bytes of a prefix
  static constexpr std::size_t max_client_id = 256;     ///< bytes of a client id
};

/// One bridge: the remote broker, how to connect to it, what crosses.
struct BridgeConfig {
  std::string name{};      ///< unique; in the log and the metrics' `bridge` label
  std::string address{};   ///< the remote broker, "HOST:PORT" / "[V6]:PORT"
  codec::mqtt::Version version = codec::mqtt::Version::v5;  ///< towards the remote broker
  std::string client_id{};  ///< ours at the remote broker ("" -> "zproto-bridge-<name>")
  bool clean_start = true;  ///< false: the remote keeps our session across reconnects
  std::uint32_t session_expiry_s = 0;  ///< 5.0: how long the remote keeps it (0: with the connection)
  std::uint16_t keepalive_s = 60;      ///< towards the remote broker
  std::optional<std::string> username{};  ///< at the remote broker
  std::optional<std::string> password{};  ///< at the remote broker
  std::optional<tls::ClientConfig> tls{};  ///< set: TLS to the remote broker (verified unless verify false)
  std::string tls_server_name{};           ///< SNI and the certificate's name ("": the host of `address`)
  std::uint16_t max_inflight = 32;  ///< QoS 1/2 messages in flight each way; beyond, reading the other side pauses
  std::int64_t reconnect_initial_ms = 500;  ///< backoff before the second attempt, doubled up to ...
  std::int64_t reconnect_max_ms = 30000;    ///< ... this
  std::string local_client_id{};  ///< ours at our broker ("" -> "local.<client_id>", as mosquitto)
  std::optional<std::string> local_username{};  ///< at our broker (a password file refuses anonymous clients)
  std::optional<std::string> local_password{};  ///< at our broker
  std::vector<BridgeTopic> topics{};  ///< at least one
};

/// A bridge's counters; written on shard 0, read from any thread.
struct BridgeCounters {
  std::atomic<std::uint64_t> connected{0};  ///< 1 while both sides are connected
  std::atomic<std::uint64_t> out{0};        ///< messages forwarded to the remote broker (acknowledged for QoS 1/2)
  std::atomic<std::uint64_t> in{0};         ///< messages forwarded from the remote broker to ours
  std::atomic<std::uint64_t> dropped{0};    ///< messages that could not be forwarded (refused, a topic that does not map, connection ended)
  std::atomic<std::uint64_t> connects{0};   ///< connections made to the remote broker, reconnects included
};

namespace detail {
struct BridgeState;
}

/// A running bridge. Make it before the shards start; it must outlive the runtime.
class Bridge {
 public:
  /// A bridge for `cfg` (checked by the config parser: see docs/mqtt.md "Bridge").
  explicit Bridge(BridgeConfig cfg);
  ~Bridge();
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;

  /// On the shard's own thread (Runtime::run's setup, after the broker's listeners): starts
  /// connecting, to `local_address` (our own listener, "HOST:PORT") and to the remote broker,
  /// again with backoff whenever either fails; a stop of the shard ends it. ENOMEM when the
  /// shard has no room for the task; EALREADY when started already.
  Result<void> start(Shard& shard, std::string local_address);

  const BridgeConfig& config() const;      ///< what it was made from
  const BridgeCounters& counters() const;  ///< its counters (any thread)

  /// Every bridge's counters in the Prometheus text format (`zproto_mqtt_bridge_*`, one
  /// line per bridge with a `bridge` label); "" without bridges.
  static std::string metrics(const std::vector<std::shared_ptr<Bridge>>& bridges);

 private:
  std::shared_ptr<detail::BridgeState> st_;
};

/// The address a bridge's local client uses for a listen address: 0.0.0.0 -> 127.0.0.1,
/// [::] -> [::1], others as they are.
std::string loopback_of(const std::string& listen_address);

}  // namespace zp::mqtt
