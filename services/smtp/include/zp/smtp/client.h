/// \file
/// SMTP sending client (RFC 5321) on the engine: EHLO (HELO when refused), STARTTLS required /
/// opportunistic / off and implicit TLS (RFC 3207, 8314), AUTH PLAIN, LOGIN, CRAM-MD5 and
/// XOAUTH2 (RFC 4954), PIPELINING (RFC 2920), SIZE (RFC 1870), 8BITMIME, SMTPUTF8, a result
/// per recipient, dot-stuffing, the RFC 5321 4.5.3.2 timeouts, connection reuse (RSET between
/// messages), and the route: a smarthost "HOST:PORT", or a domain's MX hosts with the A/AAAA
/// fallback (RFC 5321 5.1) through our resolver. Every failure is a Result error.
/// \code
///   auto c = co_await zp::smtp::Client::connect("127.0.0.1:2525", {.helo_name = "me.example"});
///   if (!c) co_return;                                 // c.error().message() says why
///   auto r = co_await c->send({.from = "a@example.org", .to = {"b@local.test"}}, message);
///   co_await c->quit();
///   auto s = zp::smtp::send_mail("127.0.0.1:2525", envelope, message);   // blocking, no engine
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "zp/codec/mime/build.h"
#include "zp/codec/smtp/reply.h"
#include "zp/dns/resolver.h"
#include "zp/engine/net.h"
#include "zp/engine/task.h"
#include "zp/engine/tls.h"
#include "zp/result.h"

namespace zp::smtp {

/// Errors of the client (category "zp.smtp.client"). Timeouts come as std::errc::timed_out,
/// socket errors as errno values, TLS failures as zp::tls::Errc.
enum class ClientErrc : int {
  ok = 0,
  connection_closed = 1,     ///< the server closed the connection
  protocol_error = 2,        ///< a malformed reply (no code, bare LF, over the line limits)
  bad_address = 3,           ///< a server not "HOST:PORT" / "[V6]:PORT"
  host_not_found = 4,        ///< no address for the host (NXDOMAIN, NODATA)
  resolver_failed = 5,       ///< DNS failed otherwise (SERVFAIL, timeout, no server)
  null_mx = 6,               ///< the domain accepts no mail (RFC 7505 "MX 0 .")
  bad_input = 7,             ///< CR, LF or NUL in a caller's address, header or name
  bad_mailbox = 8,           ///< an address that is not an RFC 5321 mailbox
  no_recipients = 9,         ///< an envelope without recipients
  starttls_unavailable = 10, ///< STARTTLS required, the server does not offer it
  starttls_refused = 11,     ///< STARTTLS required, the server refused it
  auth_unavailable = 12,     ///< credentials given, no mechanism in common (or no AUTH)
  auth_needs_tls = 13,       ///< credentials would go over plaintext (allow_plaintext off)
  auth_failed = 14,          ///< the server refused the credentials (535 and the like)
  message_too_large = 15,    ///< over the server's SIZE, checked before sending
  eight_bit_unsupported = 16,///< 8-bit message, no 8BITMIME
  smtputf8_unsupported = 17, ///< UTF-8 address, no SMTPUTF8
  recipients_refused = 18,   ///< every RCPT was refused (see Client::last_send())
  not_connected = 19,        ///< the client was closed (quit() or an earlier error)
  line_too_long = 20,        ///< a message line over 998 octets (RFC 5321 4.5.3.1.6), nothing sent
  /// The server refused a step: reply_base + the reply code (e.g. 1550); last_reply() has
  /// the text. 4xx is transient (try later), 5xx permanent.
  reply_base = 1000,
};
const std::error_category& client_category() noexcept;  ///< the category of ClientErrc ("zp.smtp.client")
/// An error_code of `e` (lets ClientErrc convert to std::error_code).
inline std::error_code make_error_code(ClientErrc e) noexcept { return {static_cast<int>(e), client_category()}; }
/// The error of a refusal with reply `code` (its text names the code).
std::error_code reply_error(unsigned code) noexcept;
/// The reply code of a reply_error (0 for other errors).
unsigned reply_code_of(const Error& e) noexcept;
/// True for errors worth another try later (4xx replies, timeouts, socket errors, DNS
/// failures), false for permanent ones (5xx, bad input, TLS verification).
bool is_transient(const Error& e) noexcept;

/// TLS on the connection.
enum class TlsMode : std::uint8_t {
  off,            ///< plain SMTP, STARTTLS never sent
  opportunistic,  ///< STARTTLS when offered; plain when not offered or refused (RFC 7435)
  required,       ///< STARTTLS or fail (starttls_unavailable / starttls_refused): never downgraded
  implicit,       ///< TLS from the first byte (RFC 8314, port 465)
};

/// SASL mechanisms (RFC 4954).
enum class AuthMechanism : std::uint8_t { automatic, plain, login, cram_md5, xoauth2 };

/// What to authenticate with. automatic takes XOAUTH2 when a token is set, else the first
/// of PLAIN, LOGIN, CRAM-MD5 the server offers (CRAM-MD5 first over plaintext).
struct Credentials {
  std::string user{};            ///< authentication identity
  std::string password{};        ///< PLAIN, LOGIN, CRAM-MD5
  std::string oauth_token{};     ///< XOAUTH2 bearer token
  AuthMechanism mechanism = AuthMechanism::automatic;  ///< one mechanism, or automatic
  /// Off by default: credentials only over TLS (a downgraded server gets none).
  bool allow_plaintext = false;
};

/// RFC 5321 4.5.3.2 timeouts (defaults are the RFC's minimums) and ours.
struct Timeouts {
  std::int64_t connect_ms = 30000;       ///< TCP connect (and TLS handshake), each address
  std::int64_t greeting_ms = 300000;     ///< 220 greeting (4.5.3.2.1: 5 min)
  std::int64_t command_ms = 300000;      ///< EHLO, MAIL, RCPT, AUTH, RSET... (4.5.3.2.2/3: 5 min)
  std::int64_t data_init_ms = 120000;    ///< 354 after DATA (4.5.3.2.4: 2 min)
  std::int64_t data_block_ms = 180000;   ///< each block of the message sent (4.5.3.2.5: 3 min)
  std::int64_t data_end_ms = 600000;     ///< reply after the final dot (4.5.3.2.6: 10 min)
};

/// How a Client connects and what it bounds.
struct ClientOptions {
  std::string helo_name = "localhost";  ///< EHLO/HELO domain (a domain or an address literal)
  TlsMode tls = TlsMode::opportunistic; ///< STARTTLS policy, or implicit TLS
  tls::ClientConfig tls_config{};       ///< CAs, verification, versions (verify on by default)
  std::string tls_server_name{};        ///< SNI and certificate name; "": the host connected to
  std::optional<Credentials> auth{};    ///< authenticate after EHLO (and TLS) when set
  bool pipelining = true;               ///< use PIPELINING when offered
  Timeouts timeouts{};                  ///< per step
  codec::smtp::ReplyLimits reply_limits{};  ///< a hostile server's replies stay bounded
  std::size_t block_bytes = 64 * 1024;  ///< message bytes per send during DATA
  /// Leniency, off by default: send lines over RFC 5321's 1000 octets (many servers refuse
  /// or split them).
  bool allow_long_lines = false;
  std::uint16_t mx_port = 25;           ///< port of the MX hosts (connect_mx)
  std::size_t max_mx_hosts = 10;        ///< MX hosts tried at most
  /// How host names resolve: hosts file first, then resolv.conf's servers.
  dns::ResolverOptions resolver{};
};

/// A reply, owned.
struct Reply {
  unsigned code = 0;         ///< 200..599; 0 when none came
  std::string enhanced{};    ///< "2.1.5" when the server sent one
  std::string text{};        ///< the lines' text without code and enhanced code, joined by "\n"
  bool positive() const { return code >= 200 && code < 400; }  ///< 2xx or 3xx
};

/// The envelope of one message (RFC 5321 3.3). Addresses bare: "a@example.org" (no angle
/// brackets); an empty `from` is the null reverse-path.
struct Envelope {
  std::string from{};              ///< reverse-path
  std::vector<std::string> to{};   ///< forward-paths
};

/// One recipient's outcome.
struct RecipientResult {
  std::string address{};  ///< as given
  Reply reply{};          ///< the RCPT reply
  bool accepted() const { return reply.code >= 200 && reply.code < 300; }  ///< 2xx
};

/// What send() did: the MAIL, RCPT and final replies. Set also when send() failed after
/// the MAIL command (see Client::last_send()).
struct SendResult {
  Reply mail{};                              ///< MAIL FROM's reply
  std::vector<RecipientResult> recipients{}; ///< in envelope order
  Reply data{};                              ///< the reply after the final dot (or DATA's refusal)
  std::size_t accepted = 0;                  ///< recipients with a 2xx
  bool delivered = false;                    ///< the final reply was 2xx
};

/// What connect() negotiated.
struct SessionInfo {
  std::string server{};         ///< the host connected to
  SocketAddr addr{};            ///< its address
  Reply greeting{};             ///< 220
  bool esmtp = false;           ///< EHLO accepted (false: HELO)
  bool tls = false;             ///< the connection is encrypted (STARTTLS or implicit)
  std::string tls_version{};    ///< "TLSv1.3"
  bool authenticated = false;   ///< AUTH succeeded
  std::string mechanism{};      ///< the SASL mechanism used
  bool pipelining = false;      ///< PIPELINING offered (used unless options.pipelining is off)
  bool size = false;            ///< SIZE offered
  std::uint64_t max_size = 0;   ///< SIZE's limit (0: none given)
  bool eight_bit_mime = false;  ///< 8BITMIME offered
  bool smtputf8 = false;        ///< SMTPUTF8 offered
  bool starttls = false;        ///< STARTTLS offered (before TLS)
  std::string auth{};           ///< AUTH's mechanism list
};

namespace detail {
struct ClientImpl;
}

/// One SMTP session, bound to the shard it was made on: use (and destroy) it on that
/// shard's thread only; one call at a time.
class Client {
 public:
  /// Connects to a smarthost "HOST:PORT" / "[V6]:PORT" (HOST a literal or a name: hosts file,
  /// then DNS; each address in turn, IPv6 and IPv4 interleaved, while the failure is a
  /// socket error), reads the greeting, EHLO (HELO when EHLO gets 5xx), STARTTLS per
  /// options.tls (EHLO again), AUTH when options.auth is set. Errors: bad_address,
  /// host_not_found, resolver_failed, reply_error(code) for a refused greeting or EHLO,
  /// starttls_*, auth_*, TLS errors, ETIMEDOUT, socket errors.
  static Task<Result<Client>> connect(std::string host_port, ClientOptions options = {});
  /// The same to an address.
  static Task<Result<Client>> connect(SocketAddr addr, ClientOptions options = {});
  /// Delivery to `domain` (RFC 5321 5.1): its MX hosts by preference (options.mx_port);
  /// without MX records its own A/AAAA (the implicit MX); a host is skipped while the
  /// failure is a socket error, a timeout or a 4xx greeting. Errors: null_mx, host_not_found
  /// (no MX and no address), resolver_failed, or the last host's error.
  static Task<Result<Client>> connect_mx(std::string domain, ClientOptions options = {});

  Client(Client&& o) noexcept;             ///< takes o's session; o is left empty
  Client& operator=(Client&& o) noexcept;  ///< closes ours, takes o's
  ~Client();                               ///< closes the connection without QUIT
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Sends one message (an RFC 5322 message, CRLF or LF line ends; dot-stuffed and made CRLF
  /// here) to the envelope's recipients: RSET first when the session had a transaction,
  /// MAIL (SIZE=, BODY=8BITMIME, SMTPUTF8 as needed), the RCPTs, DATA, the message, the
  /// dot; with PIPELINING, MAIL to DATA go in one write. The SendResult when the message was
  /// accepted for at least one recipient (others refused are in `recipients`). Errors:
  /// bad_input / bad_mailbox / no_recipients, message_too_large, line_too_long,
  /// eight_bit_unsupported, smtputf8_unsupported (nothing sent), reply_error(code) for a
  /// refused MAIL, DATA or message, recipients_refused, ETIMEDOUT, connection errors
  /// (the session is then closed). last_send() holds the replies in every case.
  Task<Result<SendResult>> send(const Envelope& envelope, std::string_view message);
  /// QUIT, waits for 221 (bounded by command_ms), closes. not_connected if closed.
  Task<Result<void>> quit();
  /// NOOP: the reply (keeps an idle session alive, or checks it).
  Task<Result<Reply>> noop();

  bool connected() const;                ///< false after quit(), a 421 or a connection error
  const SessionInfo& info() const;       ///< what was negotiated
  const Reply& last_reply() const;       ///< the last reply read (a refusal's text)
  const SendResult& last_send() const;   ///< the replies of the last send()
  std::uint64_t messages_sent() const;   ///< messages accepted on this session

 private:
  explicit Client(std::unique_ptr<detail::ClientImpl> impl);
  std::unique_ptr<detail::ClientImpl> impl_{};
};

/// Checks a caller's address for the envelope: bad_input for CR, LF or NUL, bad_mailbox
/// when the address in angle brackets is not an RFC 5321 path (UTF-8 allowed when `utf8`).
Result<void> check_mailbox(std::string_view address, bool utf8 = true);

/// A message to compose (the codec's mime::Message with owned strings and a clock).
struct Compose {
  std::string from{};          ///< From: (e.g. "Ann &lt;a@example.org&gt;")
  std::vector<std::string> to{};   ///< To: addresses
  std::vector<std::string> cc{};   ///< Cc: addresses
  std::string subject{};       ///< UTF-8
  std::string text{};          ///< text/plain body
  std::string html{};          ///< text/html alternative (optional)
  /// Attachments: file name, type, content.
  struct File {
    std::string name{};                                  ///< file name (UTF-8)
    std::string content_type = "application/octet-stream";  ///< type/subtype
    std::string data{};                                  ///< the octets
  };
  std::vector<File> attachments{};  ///< after the body
  std::string message_id_domain = "localhost";  ///< right side of Message-ID
};
/// Builds `m` into an RFC 5322 message with a Date (now, UTC) and a unique Message-ID.
/// bad_input for CR, LF or NUL in a header field or address (header injection).
Result<std::string> compose(const Compose& m);

/// Blocking: connects to `server` ("HOST:PORT"), sends, QUITs. Runs a private one-shard
/// engine (on a helper thread when called from a shard thread). Errors as connect()/send().
Result<SendResult> send_mail(const std::string& server, const Envelope& envelope, std::string_view message,
                             const ClientOptions& options = {});
/// Blocking delivery through the MX hosts of each recipient's domain (one session per
/// domain). The results by domain in order of first appearance; the first error stops.
Result<std::vector<SendResult>> send_mail_mx(const Envelope& envelope, std::string_view message,
                                             const ClientOptions& options = {});

}  // namespace zp::smtp

/// \cond internal
template <>
struct std::is_error_code_enum<zp::smtp::ClientErrc> : std::true_type {};
/// \endcond
