/// \file
/// The SMTP receiving server (RFC 5321): a session per connection on its shard, the RFC 5321
/// command order, PIPELINING (replies batched per read), SIZE, 8BITMIME, SMTPUTF8,
/// ENHANCEDSTATUSCODES, CHUNKING (BDAT), STARTTLS and implicit TLS (RFC 8314), AUTH PLAIN and
/// LOGIN against a password file (after TLS only, unless configured), the recipient policy
/// (policy.h) and durable delivery (store.h): a 250 after the data means the message is on
/// stable storage.
/// \code
///   zp::smtp::ServerOptions o;
///   o.listen = {"127.0.0.1:2525"};
///   o.policy.domains = {"local.test"};
///   o.policy.mailboxes = {{"@local.test", "/var/mail/all"}};
///   auto srv = zp::smtp::Server::create(o);             // creates the Maildirs
///   srv->start(shard);                                  // on each shard
/// \endcode
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "zp/engine/blocking.h"
#include "zp/engine/shard.h"
#include "zp/engine/tls.h"
#include "zp/result.h"
#include "zp/service/password_file.h"
#include "zp/smtp/policy.h"
#include "zp/smtp/store.h"

namespace zp::smtp {

/// Limits and timeouts of a session (RFC 5321 4.5.3); each is a config key.
struct SessionLimits {
  std::uint64_t max_message_bytes = 10u << 20;  ///< SIZE, and 552 5.3.4 beyond
  std::size_t max_recipients = 100;             ///< per message; 452 4.5.3 beyond (RFC: at least 100)
  std::size_t max_errors = 10;                  ///< refused commands per session, then 421 and close
  std::size_t max_line_bytes = 512;             ///< command line, CRLF included (500 5.5.6 beyond)
  std::size_t max_text_line_bytes = 1000;       ///< DATA text line, CRLF included
  std::int64_t command_timeout_ms = 300000;     ///< waiting for a command (4.5.3.2.7: 5 min)
  std::int64_t data_timeout_ms = 180000;        ///< waiting for a data block (4.5.3.2.5: 3 min)
  std::int64_t auth_failure_delay_ms = 1000;    ///< a 535 is sent this late (slows password guessing)
};

/// What the server is configured with.
struct ServerOptions {
  std::vector<std::string> listen;      ///< plain SMTP (STARTTLS offered when `tls` has a certificate)
  std::vector<std::string> tls_listen;  ///< implicit TLS (RFC 8314, port 465)
  tls::ServerConfig tls;                ///< certificate for STARTTLS and tls_listen; no certs: no TLS
  std::string hostname;                 ///< in the greeting and Received:; "" = gethostname()
  Policy policy;                        ///< local domains, mailboxes, relay networks
  /// Users for AUTH PLAIN and LOGIN (RFC 4954); null: no AUTH. Authenticated clients may relay.
  std::shared_ptr<const service::PasswordFile> passwords;
  bool auth_plaintext = false;          ///< offer AUTH without TLS too (passwords in clear: off by default)
  /// Maildir receiving the messages for relayed recipients (the outbound queue's input: each
  /// file starts with X-Envelope-From and X-Envelope-To lines); "": relaying refused (554 5.7.1).
  std::string relay_queue;
  SessionLimits limits;                 ///< per session
  std::size_t max_connections = 10000;  ///< per shard
  unsigned delivery_threads = 4;        ///< BlockingPool threads for Maildir writes and fsyncs
};

/// The server's counters (atomics: every shard adds to them, /metrics reads them).
struct Counters {
  std::atomic<std::uint64_t> sessions{0};           ///< open sessions (a gauge)
  std::atomic<std::uint64_t> sessions_total{0};     ///< sessions accepted
  std::atomic<std::uint64_t> messages_accepted{0};  ///< messages answered 250 after delivery
  std::atomic<std::uint64_t> bytes_accepted{0};     ///< their size (as stored, headers included)
  std::atomic<std::uint64_t> relay_denied{0};       ///< RCPT refused with 554 5.7.1
  std::atomic<std::uint64_t> delivery_failures{0};  ///< store errors (answered 451)
  std::atomic<std::uint64_t> tls_handshakes{0};     ///< STARTTLS and implicit TLS handshakes done
  std::atomic<std::uint64_t> tls_failures{0};       ///< handshakes failed
  std::atomic<std::uint64_t> timeouts{0};           ///< sessions closed with 421 after a timeout
  std::atomic<std::uint64_t> auth_successes{0};     ///< AUTH answered 235
  std::atomic<std::uint64_t> auth_failures{0};      ///< AUTH answered 535 (bad user name or password)
  std::atomic<std::uint64_t> messages_relayed{0};   ///< accepted messages with relayed recipients (queued)
  /// Refusals by reply code: index = code - 400 (400..599).
  std::atomic<std::uint64_t> refusals[200]{};
  /// Counts a refusal with reply `code` (4xx/5xx; others ignored).
  void refused(unsigned code) {
    if (code >= 400 && code < 600) refusals[code - 400].fetch_add(1, std::memory_order_relaxed);
  }
  /// The counters in the Prometheus text format (zproto_smtp_*).
  std::string render() const;
};

/// The server: options, store, counters, shared by every shard; start() on each.
class Server : public std::enable_shared_from_this<Server> {
 public:
  /// Creates every configured Maildir (tmp/, new/, cur/) and resolves the host name; the
  /// error names the directory that could not be made.
  static Result<std::shared_ptr<Server>> create(ServerOptions opts, std::string* error = nullptr);
  /// Binds `listen` and `tls_listen` on `shard` (its own thread) and serves them.
  Result<void> start(Shard& shard);
  const ServerOptions& options() const { return opts_; }   ///< what it runs with
  Counters& counters() { return counters_; }               ///< its counters
  MailStore& store() { return *store_; }                   ///< where messages go
  /// Replaces the store (tests, embedders); before start().
  void set_store(std::shared_ptr<MailStore> s) { store_ = std::move(s); }
  const std::string& hostname() const { return hostname_; }  ///< in the greeting and Received:

 private:
  Server() = default;
  ServerOptions opts_;
  std::string hostname_;
  std::shared_ptr<MailStore> store_;
  std::shared_ptr<BlockingPool> pool_;
  Counters counters_;
};

}  // namespace zp::smtp
