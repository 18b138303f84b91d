/// \file
/// The static-file HTTP(S) server as `zproto serve` runs it: the "http" config section and
/// `zproto serve http`.
/// \code
///   "http": { "root": "/srv/www", "listen": ["0.0.0.0:8080"], "index": "index.html",
///             "cache_control": "max-age=60", "allow_dotfiles": false,
///             "symlinks_outside_root": false, "header_timeout_ms": 10000,
///             "idle_timeout_ms": 60000, "max_connections": 50000,
///             "max_body_bytes": 67108864, "body_timeout_ms": 30000, "request_id": true,
///             "security_headers": true,   // or {"frame_options": "SAMEORIGIN", ...}
///             "rate_limit": {"rps": 100, "burst": 200, "max_clients": 10000},
///             "basic_auth": {"realm": "staff", "users": {"ann": "{sha256}<64 hex>"}},
///             "middleware_order": ["access_log", "request_id", "security_headers",
///                                  "rate_limit", "basic_auth"],
///             "admin_listen": "127.0.0.1:9100",
///             // HTTPS listeners (an object, or an array of them for several certificate
///             // sets); without "cert"/"certs" a self-signed certificate is made in state_dir
///             "tls": { "listen": ["0.0.0.0:8443"], "cert": "/etc/zproto/site.pem",
///                      "key": "/etc/zproto/site.key",
///                      "certs": [{"cert": "b.pem", "key": "b.key"}],  // more, by SNI
///                      "client_ca": "/etc/zproto/clients-ca.pem", "client_cert_required": true,
///                      "min_version": "1.2", "max_version": "1.3", "ciphers": "",
///                      "alpn": ["http/1.1"], "handshake_timeout_ms": 10000,
///                      "session_tickets": true } }
/// \endcode
#pragma once

#include <string>
#include <vector>

#include "zp/http/server.h"
#include "zp/service/service.h"

namespace zp::http {

/// The HTTP server as `zproto serve http` runs it (see the file comment).
class HttpService final : public service::Service {
 public:
  ServerOptions options;  ///< admin_listen is served by zproto's shared admin listener
  std::string admin;      ///< HOST:PORT serving GET /metrics; empty: none

  std::string load(const service::Environment& env) override;
  std::string prepare(const service::Environment& env) override;
  std::string summary() const override;
  Result<void> start(Shard& shard) override { return http::start(shard, options); }
  std::string admin_listen() const override { return admin; }
  std::function<std::string()> metrics() const override;
};

/// The HTTP service's registry entry (config section, flags, defaults).
const service::Definition& service_definition();

/// Fills TLS listeners that name no certificate with a self-signed one from
/// \<state_dir\>/tls/self-signed.{pem,key}, made (and logged) at first use. An error text, or "".
std::string ensure_self_signed(std::vector<TlsListen>& listeners, const std::string& state_dir);

}  // namespace zp::http
