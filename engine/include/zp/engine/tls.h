/// \file
/// TLS as a stream layer (target zproto::tls, wolfSSL): records flow through the stream's own
/// recv (provided buffers) and send, wolfSSL sees only memory (custom I/O callbacks); no
/// blocking call, no thread, no socket handed to wolfSSL. After the handshake the Stream
/// reads and writes plaintext through the same API, so a service does not know.
/// \code
///   auto srv = zp::tls::ServerContext::create(cfg);        // one per shard
///   auto r = co_await zp::tls::accept(stream, **srv);      // stream now speaks TLS
///   auto c = co_await zp::tls::connect(stream, *client_ctx, "example.org");
/// \endcode
/// STARTTLS: the same calls on a live plain stream after the protocol's own negotiation;
/// plaintext received past the upgrade point is discarded (never read as if encrypted).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "zp/engine/net.h"
#include "zp/engine/task.h"
#include "zp/result.h"

namespace zp::tls {

/// Every failure is its own value (category "zp.tls"); message() says it in words.
enum class Errc {
  ok = 0,
  handshake_timeout = 1,  ///< the handshake did not finish in time
  not_tls,                ///< the peer's first bytes are no TLS record (plain HTTP, garbage)
  bad_record,             ///< a malformed or undecryptable record
  protocol_version,       ///< no common protocol version (we speak TLS 1.2 and 1.3 only)
  no_shared_cipher,       ///< no common cipher suite or group
  cert_expired,           ///< the peer's certificate (or one in its chain) has expired
  cert_not_yet_valid,     ///< ... is not valid yet
  unknown_ca,             ///< the chain does not lead to a trusted CA (self-signed, untrusted intermediate)
  name_mismatch,          ///< the certificate is not for the name we asked for
  bad_certificate,        ///< the certificate could not be verified otherwise (signature, format)
  no_peer_certificate,    ///< a certificate was required and the peer sent none
  peer_closed,            ///< the peer closed the connection during the handshake
  truncated,              ///< the peer closed without close_notify after the handshake
  handshake_failed,       ///< another handshake failure
  too_large,              ///< a buffer bound was hit (handshake message, queued output)
  /// Configuration (ServerContext/ClientContext::create)
  bad_cert_file,          ///< unreadable or unparsable certificate (PEM)
  bad_key_file,           ///< unreadable or unparsable private key, or not the certificate's key
  bad_ca_file,            ///< unreadable CA file or directory
  bad_config,             ///< versions, cipher list or ALPN rejected
  /// The peer sent this fatal alert: alert_base + the alert's number (RFC 8446 §6).
  alert_base = 1000,
};
const std::error_category& category() noexcept;  ///< the category of Errc ("zp.tls")
inline Error make_error(Errc e) { return Error(int(e), category()); }  ///< an Error of `e`
/// The error for a fatal alert the peer sent (e.g. 40 handshake_failure, 48 unknown_ca).
inline Error alert_error(int alert) { return Error(int(Errc::alert_base) + alert, category()); }
/// The alert's name ("handshake_failure"), or "alert N".
std::string alert_name(int alert);

/// TLS protocol versions.
enum class Version { tls12, tls13 };

/// One certificate chain and its key (PEM files). The names it serves for SNI are read from
/// the certificate (subjectAltName DNS entries, else the CN).
struct CertKey {
  std::string cert_file{};  ///< leaf first, then intermediates
  std::string key_file{};  ///< its private key (PEM)
};

/// What a TLS server offers.
struct ServerConfig {
  std::vector<CertKey> certs{};                    ///< the first is the default (no or unknown SNI)
  std::vector<std::string> alpn = {"http/1.1"};  ///< offered in preference order; empty: no ALPN
  std::string client_ca_file{};                    ///< set: ask for and verify client certificates
  bool client_cert_required = true;              ///< with client_ca_file: refuse clients without one
  Version min_version = Version::tls12;  ///< lowest version accepted
  Version max_version = Version::tls13;  ///< highest version accepted
  std::string cipher_list{};                       ///< OpenSSL-style names; empty: modern AEAD suites
  int64_t handshake_timeout_ms = 10000;  ///< a handshake must finish within this
  bool session_tickets = true;                   ///< resumption (keys rotate every ticket_key_lifetime_s)
  uint32_t ticket_key_lifetime_s = 3600;  ///< ticket keys rotate this often
  size_t max_queued_output_bytes = 256 * 1024;   ///< encrypted bytes waiting to be sent, per connection
};

/// How a TLS client connects.
struct ClientConfig {
  bool verify = true;       ///< false: no certificate or name check (warned about loudly)
  std::string ca_file{};      ///< PEM bundle; empty: the system's (/etc/ssl/certs)
  std::string cert_file{};    ///< client certificate (optional)
  std::string key_file{};  ///< the client certificate's key
  std::vector<std::string> alpn{};  ///< e.g. {"http/1.1"}; empty: no ALPN
  Version min_version = Version::tls12;  ///< lowest version accepted
  Version max_version = Version::tls13;  ///< highest version accepted
  std::string cipher_list{};  ///< OpenSSL-style names; empty: modern AEAD suites
  int64_t handshake_timeout_ms = 10000;  ///< a handshake must finish within this
  size_t max_queued_output_bytes = 256 * 1024;  ///< encrypted bytes waiting to be sent, per connection
};

struct PlainPool;
struct ContextImpl;

/// Per-shard server state: one wolfSSL context per certificate, the plaintext buffer pool.
/// Create one per shard (contexts are not shared between threads); to reload certificates,
/// create a new one and use it for new connections: live ones keep theirs.
class ServerContext {
 public:
  /// bad_cert_file, bad_key_file, bad_ca_file, bad_config (the message names the file).
  static Result<std::shared_ptr<ServerContext>> create(const ServerConfig& cfg);
  ~ServerContext();
  const ServerConfig& config() const;  ///< what it was made from
  ContextImpl& impl() { return *impl_; }  ///< internal: the wolfSSL state

 private:
  ServerContext() = default;
  std::unique_ptr<ContextImpl> impl_;
};

/// Per-shard client state: the wolfSSL context, the session cache.
class ClientContext {
 public:
  /// Reads the CA bundle and the optional client certificate. bad_ca_file, bad_cert_file, bad_key_file, bad_config.
  static Result<std::shared_ptr<ClientContext>> create(const ClientConfig& cfg);
  ~ClientContext();
  const ClientConfig& config() const;  ///< what it was made from
  ContextImpl& impl() { return *impl_; }  ///< internal: the wolfSSL state

 private:
  ClientContext() = default;
  std::unique_ptr<ContextImpl> impl_;
};

/// What a finished handshake agreed on.
struct Info {
  std::string version;       ///< "TLSv1.3"
  std::string cipher;        ///< "TLS_AES_128_GCM_SHA256"
  std::string alpn;          ///< empty: none
  std::string sni;           ///< server: the name the client asked for
  bool resumed = false;      ///< an earlier session was resumed
  size_t discarded_plaintext = 0;  ///< STARTTLS: plaintext bytes dropped at the upgrade point
};

/// Runs the server side of the handshake on s (fresh from accept, or after a protocol's
/// STARTTLS), within cfg.handshake_timeout_ms. On success s carries TLS from now on. On
/// failure s is closed and the error says why (an Errc or a peer alert; ETIMEDOUT becomes
/// handshake_timeout).
Task<Result<Info>> accept(Stream& s, std::shared_ptr<ServerContext> ctx);
/// The client side: server_name goes into SNI and is verified against the certificate
/// (unless verification is off). session: an earlier session to resume (from
/// save_session), or empty.
Task<Result<Info>> connect(Stream& s, std::shared_ptr<ClientContext> ctx, std::string server_name,
                           std::shared_ptr<void> session = {});
/// STARTTLS: drops whatever plaintext the stream holds unread (the injection class of
/// CVE-2011-0411), then accept()/connect(). The caller drops its own parse buffer too.
Task<Result<Info>> starttls_server(Stream& s, std::shared_ptr<ServerContext> ctx);
Task<Result<Info>> starttls_client(Stream& s, std::shared_ptr<ClientContext> ctx, std::string server_name);  ///< the same for a client

/// The session of a TLS stream's client side, for resumption on a later connect(); empty if
/// none (not TLS, no ticket yet).
std::shared_ptr<void> save_session(const Stream& s);

/// Whether the peer ended the TLS stream with close_notify (false: not TLS, not yet, or a
/// bare TCP close, which recv() also reports as EOF).
bool closed_cleanly(const Stream& s);

/// Writes a self-signed ECDSA P-256 certificate and its key (PEM) for `names` (SAN DNS
/// entries; the first is the CN), valid for `days` (wolfSSL certgen).
Result<void> make_self_signed(const std::string& cert_file, const std::string& key_file,
                              const std::vector<std::string>& names, int days = 365);

}  // namespace zp::tls

/// \cond internal
template <>
struct std::is_error_code_enum<zp::tls::Errc> : std::true_type {};
/// \endcond
namespace zp::tls {
inline std::error_code make_error_code(Errc e) { return make_error(e); }  ///< an error_code of `e` (lets Errc convert to std::error_code)
}  // namespace zp::tls
