/// \file
/// MQTT 3.1.1 and 5.0 client on the engine: connect, publish at QoS 0/1/2 (waiting for the
/// broker's acknowledgement), subscribe and unsubscribe, and an ordered stream of incoming
/// messages (QoS 1 acknowledged, QoS 2 delivered exactly once). Keepalive pings run by
/// themselves; a broker that stops answering ends the connection with ETIMEDOUT. Every input
/// is bounded: incoming packet size, queued incoming messages, publishes in flight. Optional
/// automatic reconnection resends what was in flight (ReconnectOptions).
/// \code
///   auto c = co_await zp::mqtt::Client::connect("127.0.0.1:1883", {.client_id = "me"});
///   if (!c) co_return;                                       // c.error().message() says why
///   co_await c->subscribe("sensors/#", 1);                   // Result<granted QoS>
///   co_await c->publish("sensors/t", "21.5", 1);             // returns after PUBACK
///   auto m = co_await c->next_message();                     // Result<Message>
///   auto r = zp::mqtt::publish_once("127.0.0.1:1883", "t", "x", 1);  // blocking, no engine needed
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "zp/codec/mqtt/properties.h"
#include "zp/dns/resolver.h"
#include "zp/engine/net.h"
#include "zp/engine/task.h"
#include "zp/engine/tls.h"
#include "zp/result.h"

namespace zp::mqtt {

/// Errors of the client (category "zp.mqtt.client"). Timeouts (connect, keepalive) come as
/// std::errc::timed_out, socket errors as errno values.
enum class ClientErrc : int {
  ok = 0,
  connection_closed = 1,   ///< the broker closed the connection
  protocol_error = 2,      ///< the broker sent a malformed or unexpected packet
  bad_topic = 3,           ///< a topic name the client refuses to send (empty, wildcards, bad UTF-8)
  bad_filter = 4,          ///< a topic filter the client refuses to send
  subscribe_refused = 5,   ///< SUBACK 0x80 (or a 5.0 failure reason)
  publish_refused = 6,     ///< 5.0: PUBACK/PUBREC with a failure reason
  not_connected = 8,       ///< the client was disconnected (by disconnect() or an earlier error)
  too_large = 9,           ///< a packet over the broker's (or our) maximum packet size
  bad_address = 10,        ///< not "HOST:PORT" or "[V6]:PORT" (no host, no port 1..65535)
  bad_qos = 11,            ///< QoS over 2
  host_not_found = 12,     ///< the host name has no address (NXDOMAIN, NODATA, not a host name)
  resolver_failed = 13,    ///< DNS failed otherwise: SERVFAIL, REFUSED, timeout, no server, bad resolv.conf
  /// CONNACK refusals: 256 + the return code (3.1.1: 1..5) or reason code (5.0: 0x80..).
  connack_refused = 256,
  /// 5.0: the broker sent DISCONNECT: 512 + its reason code.
  disconnected = 512,
};
const std::error_category& client_category() noexcept;  ///< the category of ClientErrc ("zp.mqtt.client")
/// An error_code of `e` (lets ClientErrc convert to std::error_code).
inline std::error_code make_error_code(ClientErrc e) noexcept { return {static_cast<int>(e), client_category()}; }
/// The error of a CONNACK refusal with return/reason code `code` (its text names the code).
std::error_code connack_error(std::uint8_t code) noexcept;
/// The error of a DISCONNECT from the broker with reason code `reason` (its text names it).
std::error_code disconnect_error(std::uint8_t reason) noexcept;
/// The text of a CONNACK return/reason code ("identifier rejected"), "" for unknown ones.
std::string_view connack_reason_text(std::uint8_t code) noexcept;

/// A will message: the broker publishes it when the connection ends without DISCONNECT.
struct Will {
  std::string topic{};    ///< a topic name
  std::string payload{};  ///< the message
  std::uint8_t qos = 0;   ///< 0..2
  bool retain = false;    ///< published retained
};

/// Automatic reconnection (off by default). A lost connection (not disconnect()) is made
/// again with exponential backoff and jitter; publishes, subscribes and unsubscribes in
/// flight are sent again (PUBLISH with DUP, PUBREL for a QoS 2 already released); when the
/// broker has no session for us (session present 0) the subscriptions are made again. Calls
/// made meanwhile wait; next_message() keeps waiting. A CONNACK refusal, or max_attempts
/// failed attempts in a row, end the client with that error.
struct ReconnectOptions {
  bool enabled = false;                ///< reconnect at all
  std::int64_t initial_backoff_ms = 100;  ///< wait before the second attempt (the first is at once)
  std::int64_t max_backoff_ms = 10000;    ///< the doubling stops here
  unsigned max_attempts = 0;           ///< failed attempts in a row before giving up (0: never)
};

/// How a Client connects and what it bounds.
struct ClientOptions {
  std::string client_id{};  ///< may be empty (3.1.1 then requires clean_start; 5.0 gets one assigned)
  codec::mqtt::Version version = codec::mqtt::Version::v311;  ///< 3.1.1 (level 4) or 5.0
  bool clean_start = true;        ///< 3.1.1 clean session, 5.0 clean start
  std::uint32_t session_expiry_s = 0;  ///< 5.0 Session Expiry Interval (0: the session ends with the connection)
  std::uint16_t keepalive_s = 60; ///< 0: no pings; the broker's 5.0 Server Keep Alive replaces it
  std::optional<std::string> username{};  ///< user name, sent when set
  std::optional<std::string> password{};  ///< password, sent when set
  std::optional<Will> will{};     ///< the will, sent when set
  std::uint32_t max_packet_size = 1u << 20;  ///< largest packet accepted from the broker (5.0 tells it)
  std::uint16_t max_inflight = 32;  ///< our QoS 1/2 publishes awaiting acknowledgement; more wait (5.0: also the broker's Receive Maximum)
  std::size_t max_queued_messages = 1000;  ///< received, not yet taken by next_message() (at least 1); beyond, reading pauses
  std::int64_t connect_timeout_ms = 10000;  ///< name resolution; TCP connect + CONNECT/CONNACK (each address, each attempt)
  ReconnectOptions reconnect{};   ///< automatic reconnection (off by default)
  /// Set: TLS on the connection (the certificate chain and name are checked unless
  /// tls->verify is false; tls->ca_file empty: the system's CAs). Never falls back to plain.
  std::optional<tls::ClientConfig> tls{};
  std::string tls_server_name{};  ///< SNI and the name the certificate must carry; "": the host given to connect()
  /// How connect("HOST:PORT") resolves a host name: hosts file first (so localhost needs no
  /// DNS server), then resolv.conf's servers (see docs/dns_resolver.md).
  dns::ResolverOptions resolver{};
};

/// A received message (owned copies).
struct Message {
  std::string topic{};    ///< the topic name
  std::string payload{};  ///< the payload bytes
  std::uint8_t qos = 0;   ///< the QoS it was delivered with
  bool retain = false;    ///< a retained message (sent because of a new subscription)
  bool dup = false;       ///< the broker marked it as a redelivery
};

/// A subscription's options. The 5.0 ones (no-local, retain-as-published, retain handling)
/// are not sent under 3.1.1.
struct SubscribeOptions {
  std::uint8_t qos = 0;               ///< maximum QoS 0..2
  bool no_local = false;              ///< 5.0: not sent our own publishes back
  bool retain_as_published = false;   ///< 5.0: forwarded messages keep their retain flag
  std::uint8_t retain_handling = 0;   ///< 5.0: 0 send retained, 1 only if new, 2 never
};

/// Counters of one client, for tests and tools.
struct ClientStats {
  std::uint64_t pings_sent = 0;      ///< PINGREQ sent
  std::uint64_t pongs_received = 0;  ///< PINGRESP received
  std::uint64_t published = 0;       ///< PUBLISH sent (acknowledged for QoS 1/2)
  std::uint64_t received = 0;        ///< PUBLISH delivered to the queue (QoS 2 duplicates not counted)
  std::uint64_t qos2_duplicates = 0; ///< QoS 2 redeliveries recognised and not delivered again
  std::uint64_t reconnects = 0;      ///< connections made again after a loss
  std::uint64_t resent = 0;          ///< packets sent again after a reconnect (PUBLISH with DUP, PUBREL, SUBSCRIBE...)
};

namespace detail {
struct ClientImpl;
}

/// One connection to a broker, bound to the shard it was made on: use (and destroy) it on
/// that shard's thread only, before the shard goes away. Calls may overlap (several
/// publishes in flight); next_message() has one caller at a time.
class Client {
 public:
  /// Connects to addr and completes CONNECT/CONNACK within options.connect_timeout_ms.
  /// Errors: a refused CONNACK (connack_error(code): "identifier rejected (CONNACK 2)"),
  /// ETIMEDOUT, ECONNREFUSED, ClientErrc::protocol_error / connection_closed.
  static Task<Result<Client>> connect(SocketAddr addr, ClientOptions options = {});
  /// The same for "HOST:PORT" or "[V6]:PORT", HOST a literal address or a name resolved
  /// through options.resolver (hosts file, then DNS); each address is tried in turn, IPv6
  /// and IPv4 interleaved, while the failure is a socket error (refused, unreachable, timed
  /// out); the broker's refusal or a TLS failure ends it. The reconnects use the address that
  /// answered. Errors: bad_address, host_not_found, resolver_failed, or the last attempt's.
  static Task<Result<Client>> connect(std::string host_port, ClientOptions options = {});

  Client(Client&& o) noexcept;  ///< takes o's connection; o is left empty
  Client& operator=(Client&& o) noexcept;  ///< closes ours, takes o's
  ~Client();  ///< closes the connection without DISCONNECT (the will goes out)
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Publishes; QoS 0 returns once queued for sending, QoS 1 after PUBACK, QoS 2 after
  /// PUBCOMP. Waits while max_inflight publishes are unacknowledged. Errors: bad_topic,
  /// bad_qos, too_large, publish_refused (5.0), the connection's error.
  Task<Result<void>> publish(std::string topic, std::string payload, std::uint8_t qos = 0, bool retain = false);
  /// Subscribes to filter with maximum QoS qos; the granted QoS, or subscribe_refused,
  /// bad_filter, the connection's error.
  Task<Result<std::uint8_t>> subscribe(std::string filter, std::uint8_t qos = 0);
  /// The same with subscription options (kept for the resubscribe after a reconnect);
  /// bad_qos for a QoS over 2 or a retain handling over 2.
  Task<Result<std::uint8_t>> subscribe(std::string filter, SubscribeOptions options);
  /// Removes a subscription; returns after UNSUBACK.
  Task<Result<void>> unsubscribe(std::string filter);
  /// The next message, in the order received. When the connection has ended: its error
  /// (connection_closed, ETIMEDOUT for a missed PINGRESP, disconnect_error(...)) once the
  /// queued messages are taken; ECANCELED when the calling task is cancelled.
  Task<Result<Message>> next_message();
  /// Sends DISCONNECT (the will is discarded), flushes and closes; not_connected if closed.
  Task<Result<void>> disconnect();

  bool connected() const;        ///< true while connected (false while reconnecting, after an error or disconnect())
  bool session_present() const;  ///< CONNACK's session-present flag
  const std::string& client_id() const;  ///< ours, or the one the 5.0 broker assigned
  std::uint16_t keepalive_s() const;  ///< in effect (the broker's 5.0 Server Keep Alive wins)
  ClientStats stats() const;  ///< counters
  Error error() const;  ///< why the connection ended (default when connected)

 private:
  explicit Client(std::shared_ptr<detail::ClientImpl> impl);
  static Task<Result<Client>> connect_impl(SocketAddr addr, ClientOptions options);
  std::shared_ptr<detail::ClientImpl> impl_{};
};

/// Blocking: connects, publishes one message (waiting for its acknowledgement), disconnects.
/// Runs a private one-shard engine (on a helper thread when called from a shard thread).
Result<void> publish_once(const std::string& host_port, const std::string& topic, const std::string& payload,
                          std::uint8_t qos = 0, bool retain = false, const ClientOptions& options = {});

/// One filter of subscribe_blocking.
struct SubscribeSpec {
  std::string filter{};   ///< a topic filter
  std::uint8_t qos = 0;   ///< maximum QoS
};

/// Blocking: connects, subscribes, and calls on_message for each message until it returns
/// false or timeout_ms passes (0: no limit); then disconnects. Returns the number of
/// messages handled, ETIMEDOUT when the time ran out, or the connection's error.
/// on_subscribed (optional) runs once every SUBACK arrived (tests publish from there).
Result<std::size_t> subscribe_blocking(const std::string& host_port, const std::vector<SubscribeSpec>& filters,
                                       const std::function<bool(const Message&)>& on_message,
                                       const ClientOptions& options = {}, std::int64_t timeout_ms = 0,
                                       const std::function<void()>& on_subscribed = {});

}  // namespace zp::mqtt

/// \cond internal
template <>
struct std::is_error_code_enum<zp::mqtt::ClientErrc> : std::true_type {};
/// \endcond
