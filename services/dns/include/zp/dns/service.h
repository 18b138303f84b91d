/// \file
/// The authoritative DNS server as `zproto serve` runs it: the "dns" config section and
/// `zproto serve dns`.
/// \code
///   "dns": { "zones": [{"name": "example.test.", "file": "/etc/zproto/example.test.zone",
///                        "allow_transfer": ["127.0.0.1", "10.0.0.0/8"],   // AXFR/IXFR ACL
///                        "notify": ["127.0.0.1:5300"]}],                 // secondaries
///            "listen": ["127.0.0.1:53", "[::1]:53"], "tcp_idle_timeout_ms": 10000,
///            "tcp_max_connections": 1000, "tcp_max_message_bytes": 65535,
///            "udp_payload_size": 1232, "xfr_max_concurrent": 4, "xfr_send_timeout_ms": 10000,
///            "xfr_max_message_bytes": 16384, "ixfr_max_versions": 16, "ixfr_max_bytes": 16777216,
///            "notify_timeout_ms": 1000, "notify_max_attempts": 5,
///            "admin_listen": "127.0.0.1:9100",
///            "rrl": {"responses_per_second": 20, "slip": 2, "window": 15,
///                    "ipv4_prefix": 24, "ipv6_prefix": 56, "table_size": 65536} }
/// \endcode
#pragma once

#include <string>
#include <vector>

#include "zp/dns/server.h"
#include "zp/service/service.h"

namespace zp::dns {

/// The DNS server as `zproto serve dns` runs it (see the file comment).
class DnsService final : public service::Service {
 public:
  std::vector<ZoneConfig> zones;  ///< at least one
  HistoryLimits history;          ///< IXFR history per zone
  std::string admin;              ///< HOST:PORT serving GET /metrics; empty: none
  ServerOptions options;          ///< listen and limits; store and metrics are made by load()

  std::string load(const service::Environment& env) override;
  std::string summary() const override;
  Result<void> start(Shard& shard) override { return dns::start(shard, options); }
  std::string admin_listen() const override { return admin; }
  std::function<std::string()> metrics() const override;
};

/// The DNS service's registry entry (config section, flags, defaults).
const service::Definition& service_definition();

}  // namespace zp::dns
