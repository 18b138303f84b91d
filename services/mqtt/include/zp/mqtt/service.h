/// \file
/// The MQTT broker as `zproto serve` runs it: the "mqtt" config section and `zproto serve mqtt`.
/// \code
///   "mqtt": { "listen": ["127.0.0.1:1883"], "admin_listen": "127.0.0.1:9102",
///             "max_connections": 100000, "max_packet_size": 1048576, "max_inflight": 32,
///             "max_queued_messages": 1000, "connect_timeout_ms": 10000, "max_keepalive": 0,
///             "max_subscriptions": 1000, "retained_max_messages": 100000, "sys_interval": 10,
///             "password_file": "/etc/zproto/mqtt.passwd", "acl_file": "/etc/zproto/mqtt.acl",
///             "allow_anonymous": false, "tls_listen": ["127.0.0.1:8883"],
///             "tls": { "cert": "cert.pem", "key": "key.pem" },
///             "bridges": [ { "name": "b1", "address": "10.0.0.2:1883",
///                            "topics": [ { "filter": "sensors/#", "direction": "out", "qos": 1 } ] } ] }
/// \endcode
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "zp/engine/tls.h"
#include "zp/mqtt/access.h"
#include "zp/mqtt/bridge.h"
#include "zp/mqtt/broker.h"
#include "zp/service/service.h"

namespace zp::mqtt {

/// A TLS server config without ALPN (MQTT clients rarely send it; "mqtt" may be set in "alpn").
inline tls::ServerConfig no_alpn() {
  tls::ServerConfig c;
  c.alpn.clear();
  return c;
}

/// The broker as `zproto serve mqtt` runs it.
class MqttService final : public service::Service {
 public:
  std::vector<std::string> listen;  ///< plain MQTT (this or tls_listen non-empty)
  std::vector<std::string> tls_listen;  ///< MQTT over TLS
  tls::ServerConfig tls = no_alpn();    ///< the TLS listeners' certificate and settings
  std::string admin;                ///< GET /metrics listener, "" none
  BrokerOptions options = defaults();  ///< its limits
  AccessConfig access;              ///< password file, ACL file, anonymous policy (read at load())
  std::vector<BridgeConfig> bridges;  ///< bridges to other brokers (run on shard 0)
  /// The broker's options as the service starts them: as BrokerOptions, plus `$SYS` every 10 s.
  static BrokerOptions defaults() {
    BrokerOptions o;
    o.sys_interval_s = 10;
    return o;
  }

  std::string load(const service::Environment& env) override;
  /// With persistence on: loads the directory (Broker::restore), after logging starts so
  /// that a cut-off torn record is logged.
  std::string prepare(const service::Environment& env) override;
  std::string summary() const override;
  Result<void> start(Shard& shard) override;
  std::string admin_listen() const override { return admin; }
  std::function<std::string()> metrics() const override;
  /// The running broker (after load()).
  const std::shared_ptr<Broker>& broker() const { return broker_; }

 private:
  std::shared_ptr<Broker> broker_;
  std::vector<std::shared_ptr<Bridge>> bridges_;
};

/// The MQTT service's registry entry.
const service::Definition& service_definition();

}  // namespace zp::mqtt
