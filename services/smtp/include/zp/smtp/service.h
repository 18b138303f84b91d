/// \file
/// The SMTP server as `zproto serve` runs it: the "smtp" config section and `zproto serve smtp`.
/// Not in the embedded default config (it needs a Maildir to deliver into).
/// \code
///   "smtp": { "listen": ["127.0.0.1:2525"], "domains": ["local.test"], "maildir": "/var/mail/all",
///             "mailboxes": { "alice@local.test": "/var/mail/alice" },
///             "relay_networks": [], "max_message_bytes": 10485760, "max_recipients": 100,
///             "tls_listen": ["127.0.0.1:4465"], "tls": { "cert": "cert.pem", "key": "key.pem" },
///             "password_file": "users.pw", "auth_plaintext": false, "relay_queue": "/var/spool/zp-relay" }
/// \endcode
#pragma once

#include <memory>
#include <string>

#include "zp/service/service.h"
#include "zp/smtp/server.h"

namespace zp::smtp {

/// A TLS server config without ALPN (SMTP clients do not send it).
inline tls::ServerConfig no_alpn() {
  tls::ServerConfig c;
  c.alpn.clear();
  return c;
}

/// The SMTP server as `zproto serve smtp` runs it.
class SmtpService final : public service::Service {
 public:
  ServerOptions options = defaults();  ///< listeners, policy, limits
  std::string maildir;                 ///< the catch-all Maildir of every local domain without one; "" none
  std::string admin;                   ///< GET /metrics listener, "" none
  std::string password_file;           ///< AUTH users (read by load()); "" no AUTH
  /// ServerOptions with TLS without ALPN.
  static ServerOptions defaults() {
    ServerOptions o;
    o.tls = no_alpn();
    return o;
  }
  /// Completes the policy (the `maildir` catch-alls), reads the password file and creates
  /// every Maildir; the error names the file (and line) or directory.
  std::string load(const service::Environment& env) override;
  std::string summary() const override;
  Result<void> start(Shard& shard) override;
  std::string admin_listen() const override { return admin; }
  std::function<std::string()> metrics() const override;
  /// The server (after load()).
  const std::shared_ptr<Server>& server() const { return server_; }

 private:
  std::shared_ptr<Server> server_;
};

/// The SMTP service's registry entry.
const service::Definition& service_definition();

}  // namespace zp::smtp
