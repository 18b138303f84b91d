// The zproto server configuration: a JSON file parsed into Config.
//   auto r = zp::cli::load_config_file("/etc/zproto/zproto.json");
//   if (!r) { fmt::print(stderr, "{}\n", r.error); return 2; }
//   run(*r.config);
//
// Schema (every key optional; unknown keys are errors):
//   { "shards": 4,                       // 0 or absent: one per online core
//     "backend": "auto",                 // "auto" | "io_uring" | "epoll"
//     "log_level": "info",               // trace | debug | info | warn | error | off
//     "log_file": "/var/log/zproto.log", // absent or "": stderr
//     "user": "zproto", "group": "zproto",  // privilege drop when started as root
//     "state_dir": "/var/lib/zproto",    // generated state (the self-signed certificate);
//                                        // default /var/lib/zproto as root, else
//                                        // $XDG_STATE_HOME/zproto or ~/.local/state/zproto
//     "echo": { "listen": ["127.0.0.1:7007", "[::1]:7007"] },
//     "http": { "root": "/srv/www", "listen": ["0.0.0.0:8080"], "index": "index.html",
//               "cache_control": "max-age=60", "allow_dotfiles": false,
//               "symlinks_outside_root": false, "header_timeout_ms": 10000,
//               "idle_timeout_ms": 60000, "max_connections": 50000,
//               "max_body_bytes": 67108864, "body_timeout_ms": 30000, "request_id": true,
//               "security_headers": true,   // or {"frame_options": "SAMEORIGIN", ...}
//               "rate_limit": {"rps": 100, "burst": 200, "max_clients": 10000},
//               "basic_auth": {"realm": "staff", "users": {"ann": "{sha256}<64 hex>"}},
//               "middleware_order": ["access_log", "request_id", "security_headers",
//                                    "rate_limit", "basic_auth"],
//               // HTTPS listeners (an object, or an array of them for several certificate
//               // sets); without "cert"/"certs" a self-signed certificate is made in state_dir
//               "tls": { "listen": ["0.0.0.0:8443"], "cert": "/etc/zproto/site.pem",
//                        "key": "/etc/zproto/site.key",
//                        "certs": [{"cert": "b.pem", "key": "b.key"}],  // more, by SNI
//                        "client_ca": "/etc/zproto/clients-ca.pem", "client_cert_required": true,
//                        "min_version": "1.2", "max_version": "1.3", "ciphers": "",
//                        "alpn": ["http/1.1"], "handshake_timeout_ms": 10000,
//                        "session_tickets": true } },
//     "dns": { "zones": [{"name": "example.test.", "file": "/etc/zproto/example.test.zone",
//                          "allow_transfer": ["127.0.0.1", "10.0.0.0/8"],   // AXFR/IXFR ACL
//                          "notify": ["127.0.0.1:5300"]}],                 // secondaries
//              "listen": ["127.0.0.1:53", "[::1]:53"], "tcp_idle_timeout_ms": 10000,
//              "tcp_max_connections": 1000, "tcp_max_message_bytes": 65535,
//              "udp_payload_size": 1232, "xfr_max_concurrent": 4, "xfr_send_timeout_ms": 10000,
//              "xfr_max_message_bytes": 16384,
//              "ixfr_max_versions": 16, "ixfr_max_bytes": 16777216,
//              "notify_timeout_ms": 1000, "notify_max_attempts": 5,
//              "admin_listen": "127.0.0.1:9100",
//              "rrl": {"responses_per_second": 20, "slip": 2, "window": 15,
//                      "ipv4_prefix": 24, "ipv6_prefix": 56, "table_size": 65536} } }
// When "http" and "dns" both name an admin_listen, one listener (per distinct address)
// serves both services' counters.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zp/engine/backend.h"
#include "zp/engine/log.h"
#include "zp/dns/server.h"
#include "zp/http/server.h"

namespace zp::cli {

inline constexpr unsigned kMaxShards = 1024;

struct EchoConfig {
  std::vector<std::string> listen;  // "HOST:PORT" or "[V6HOST]:PORT", at least one
};

// The authoritative DNS server: zones (apex and file) and UDP+TCP listen addresses.
struct DnsConfig {
  std::vector<dns::ZoneConfig> zones;  // at least one
  std::vector<std::string> listen;     // at least one
  int64_t tcp_idle_timeout_ms = 10000;
  size_t tcp_max_connections = 1000;
  size_t tcp_max_message_bytes = 65535;
  uint16_t udp_payload_size = 1232;
  std::string admin_listen;  // HOST:PORT serving GET /metrics; empty: none
  dns::RrlOptions rrl;       // responses_per_second 0: off
  size_t xfr_max_concurrent = 4;      // AXFR/IXFR at once per shard
  int64_t xfr_send_timeout_ms = 10000;  // per transfer message
  size_t xfr_max_message_bytes = 16384;  // each transfer message (512..65535)
  dns::HistoryLimits history;         // IXFR history per zone (ixfr_max_versions, ixfr_max_bytes)
  dns::NotifyOptions notify;          // notify_timeout_ms (doubling), notify_max_attempts
};

struct Config {
  unsigned shards = 0;  // 0: one per online core
  BackendKind backend = BackendKind::automatic;
  log::Level log_level = log::Level::info;
  std::string log_file;  // empty: stderr
  std::string user;      // empty: keep the starting user
  std::string group;     // empty: the user's primary group
  std::string state_dir; // empty: default_state_dir()
  std::optional<EchoConfig> echo;
  std::optional<http::ServerOptions> http;
  std::optional<DnsConfig> dns;
};

// Used when no --config is given: the docs/ folder over HTTP on 127.0.0.1:8080 and over
// HTTPS on 127.0.0.1:8443 (a self-signed certificate made at first start), echo
// on 127.0.0.1:7007 and the demo zone zproto.test. (docs/demo.zone) over DNS on
// 127.0.0.1:5353, everything else default.
inline constexpr std::string_view kDefaultConfig = R"({
  "backend": "auto",
  "log_level": "info",
  "echo": { "listen": ["127.0.0.1:7007"] },
  "http": { "root": "docs", "listen": ["127.0.0.1:8080"], "tls": { "listen": ["127.0.0.1:8443"] } },
  "dns": { "zones": [{ "name": "zproto.test.", "file": "docs/demo.zone" }], "listen": ["127.0.0.1:5353"] }
}
)";

struct [[nodiscard]] ConfigResult {
  std::optional<Config> config;  // set on success
  // On failure: "<source>:<line>:<column>: <what>", naming the offending key.
  std::string error;
  explicit operator bool() const { return config.has_value(); }
};

// Parses JSON text. `source` names the input in error messages (a path or "<default>").
// Never throws.
ConfigResult parse_config(std::string_view json, std::string_view source = "<config>");
// Reads and parses a file; a read error is reported as "<path>: <strerror>".
ConfigResult load_config_file(const std::string& path);

// "auto" | "io_uring" | "epoll"; std::nullopt otherwise.
std::optional<BackendKind> parse_backend(std::string_view name) noexcept;
std::string_view backend_name(BackendKind kind) noexcept;

// Where generated state goes: /var/lib/zproto for root, else $XDG_STATE_HOME/zproto or
// $HOME/.local/state/zproto (./.zproto-state without HOME).
std::string default_state_dir();

// Fills TLS listeners that name no certificate with a self-signed one from
// <state_dir>/tls/self-signed.{pem,key}, made (and logged) at first use. An error text, or "".
std::string ensure_self_signed(std::vector<http::TlsListen>& listeners, const std::string& state_dir);

// True for "HOST:PORT" / "[V6]:PORT" with a port in 1..65535 and a non-empty host.
bool is_host_port(std::string_view addr) noexcept;

}  // namespace zp::cli
