/// \file
/// MQTT 5.0 properties (2.2.2) and reason codes (2.4). A parsed Properties holds the known
/// single-valued properties decoded and the raw property bytes, through which the repeated
/// ones (user properties, subscription identifiers in PUBLISH) are iterated as views into
/// the input. For serializing, the caller fills the same fields and points `user` at its
/// own array of pairs; a Properties with `raw` set (a parsed one) is written back verbatim.
/// \code
///   if (pkt.properties.has(PropertyId::topic_alias)) alias = pkt.properties.topic_alias;
///   for_each_user_property(pkt.properties, [](std::string_view k, std::string_view v) { ... });
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "zp/codec/mqtt/errc.h"

namespace zp::codec::mqtt {

/// Protocol level of CONNECT: decides the encoding of every later packet.
enum class Version : std::uint8_t { v311 = 4, v5 = 5 };

/// Property identifiers (2.2.2.2). Types: byte, two-byte, four-byte, varint, UTF-8 string,
/// string pair, binary data.
enum class PropertyId : std::uint8_t {
  payload_format_indicator = 0x01, message_expiry_interval = 0x02, content_type = 0x03,
  response_topic = 0x08, correlation_data = 0x09, subscription_identifier = 0x0B,
  session_expiry_interval = 0x11, assigned_client_identifier = 0x12, server_keep_alive = 0x13,
  authentication_method = 0x15, authentication_data = 0x16, request_problem_information = 0x17,
  will_delay_interval = 0x18, request_response_information = 0x19, response_information = 0x1A,
  server_reference = 0x1C, reason_string = 0x1F, receive_maximum = 0x21,
  topic_alias_maximum = 0x22, topic_alias = 0x23, maximum_qos = 0x24, retain_available = 0x25,
  user_property = 0x26, maximum_packet_size = 0x27, wildcard_subscription_available = 0x28,
  subscription_identifier_available = 0x29, shared_subscription_available = 0x2A,
};

/// Where a property appears: the packet types plus the will properties of CONNECT.
enum class PropertyContext : std::uint8_t {
  connect, connack, publish, will, puback, pubrec, pubrel, pubcomp, subscribe, suback,
  unsubscribe, unsuback, disconnect, auth,
};

/// True when property `id` may appear in `ctx` (the table of 2.2.2.2).
bool property_allowed(PropertyId id, PropertyContext ctx) noexcept;

/// A user property: a name/value pair of UTF-8 strings.
struct UserProperty {
  std::string_view name{};   ///< its name
  std::string_view value{};  ///< its value
};

/// The properties of one packet. `present` has bit (id) set for every single-valued property
/// that was there (has()); repeated ones are counted and iterated from `raw`.
struct Properties {
  std::uint64_t present = 0;                     ///< bit n set: property id n present
  std::uint32_t message_expiry_interval = 0;     ///< 0x02
  std::uint32_t session_expiry_interval = 0;     ///< 0x11
  std::uint32_t will_delay_interval = 0;         ///< 0x18
  std::uint32_t maximum_packet_size = 0;         ///< 0x27, non-zero
  std::uint32_t subscription_identifier = 0;     ///< 0x0B, the first (1..268,435,455)
  std::uint16_t receive_maximum = 0;             ///< 0x21, non-zero
  std::uint16_t topic_alias_maximum = 0;         ///< 0x22
  std::uint16_t topic_alias = 0;                 ///< 0x23, non-zero
  std::uint16_t server_keep_alive = 0;           ///< 0x13
  std::uint8_t payload_format_indicator = 0;     ///< 0x01: 0 bytes, 1 UTF-8
  std::uint8_t request_problem_information = 1;  ///< 0x17: 0/1
  std::uint8_t request_response_information = 0; ///< 0x19: 0/1
  std::uint8_t maximum_qos = 2;                  ///< 0x24: 0/1
  std::uint8_t retain_available = 1;             ///< 0x25: 0/1
  std::uint8_t wildcard_subscription_available = 1;  ///< 0x28: 0/1
  std::uint8_t subscription_identifier_available = 1;  ///< 0x29: 0/1
  std::uint8_t shared_subscription_available = 1;  ///< 0x2A: 0/1
  std::uint16_t user_property_count = 0;         ///< 0x26 pairs in raw
  std::uint16_t subscription_identifier_count = 0;  ///< 0x0B in raw (PUBLISH may repeat it)
  std::string_view content_type{};               ///< 0x03
  std::string_view response_topic{};             ///< 0x08, a topic name
  std::span<const std::byte> correlation_data{}; ///< 0x09
  std::string_view assigned_client_identifier{}; ///< 0x12
  std::string_view authentication_method{};      ///< 0x15
  std::span<const std::byte> authentication_data{};  ///< 0x16
  std::string_view response_information{};      ///< 0x1A
  std::string_view server_reference{};           ///< 0x1C
  std::string_view reason_string{};              ///< 0x1F
  /// Parsed: the property bytes after the length (iterate repeated ones from here). When
  /// set, serializing writes these bytes and ignores the fields above and `user`.
  std::span<const std::byte> raw{};
  /// Serializing: user properties to write (parsed ones stay in raw).
  std::span<const UserProperty> user{};
  /// Serializing: subscription identifiers to write after everything else (a PUBLISH
  /// towards a client gets the ids of the subscriptions it matched).
  std::span<const std::uint32_t> subscription_identifiers{};

  bool has(PropertyId id) const noexcept { return (present >> static_cast<unsigned>(id)) & 1u; }  ///< present?
  void set(PropertyId id) noexcept { present |= std::uint64_t{1} << static_cast<unsigned>(id); }  ///< marks id present (serializing)
  bool empty() const noexcept { return present == 0 && user.empty() && subscription_identifiers.empty() && raw.empty(); }  ///< nothing to write
};

/// One property of a property block, as PropertyIterator yields it.
struct PropertyView {
  PropertyId id{};                  ///< which property
  std::uint32_t number = 0;         ///< the value of a byte, two-byte, four-byte or varint property
  std::string_view name{};          ///< a user property's name
  std::string_view text{};          ///< a UTF-8 property's value, a user property's value
  std::span<const std::byte> data{};  ///< a binary property's value
};

/// Walks a property block that parse_properties accepted (Properties::raw), in order.
class PropertyIterator {
 public:
  /// Iterates `raw` (the bytes after the property length).
  explicit PropertyIterator(std::span<const std::byte> raw) noexcept : raw_(raw) {}
  /// The next property into `out`; false at the end.
  bool next(PropertyView& out) noexcept;
  /// Where the next property starts in `raw`: the bytes between two calls are one property,
  /// so a caller can copy a block without some of them.
  std::size_t offset() const noexcept { return pos_; }

 private:
  std::span<const std::byte> raw_;
  std::size_t pos_ = 0;
};

/// Calls fn(name, value) for each user property of a parsed Properties, in order.
template <class Fn>
void for_each_user_property(const Properties& p, Fn&& fn) {
  if (p.user_property_count == 0) return;
  PropertyIterator it(p.raw);
  for (PropertyView v; it.next(v);)
    if (v.id == PropertyId::user_property) fn(v.name, v.text);
}
/// Calls fn(id) for each subscription identifier of a parsed PUBLISH's Properties, in order.
template <class Fn>
void for_each_subscription_identifier(const Properties& p, Fn&& fn) {
  if (p.subscription_identifier_count == 0) return;
  PropertyIterator it(p.raw);
  for (PropertyView v; it.next(v);)
    if (v.id == PropertyId::subscription_identifier) fn(v.number);
}

/// Bounds on one property block (service parameters).
struct PropertyLimits {
  std::uint16_t max_properties = 64;       ///< properties in one block, user properties included
  std::uint16_t max_user_properties = 32;  ///< user properties in one block
};

/// Parses a property block (length varint then properties) from the front of `in` for
/// context `ctx`; `consumed` gets the bytes used. Checks ids against the context,
/// duplicates, value ranges, UTF-8 and the limits.
Errc parse_properties(std::span<const std::byte> in, PropertyContext ctx, const PropertyLimits& limits,
                      Properties& out, std::size_t& consumed) noexcept;
/// Bytes of the property block (length varint included) that serializing `p` writes; 0
/// when it cannot be written (a string over 65,535 bytes, a block over the varint range).
std::size_t properties_size(const Properties& p) noexcept;
/// Writes the property block of `p` into `out`, which holds at least properties_size(p)
/// bytes; returns the bytes written.
std::size_t write_properties(const Properties& p, std::span<std::byte> out) noexcept;

/// Reason codes (2.4) the broker and client use by name.
namespace reason {
inline constexpr std::uint8_t success = 0x00;                ///< also normal disconnection, granted QoS 0
inline constexpr std::uint8_t granted_qos1 = 0x01;           ///< SUBACK
inline constexpr std::uint8_t granted_qos2 = 0x02;           ///< SUBACK
inline constexpr std::uint8_t disconnect_with_will = 0x04;   ///< DISCONNECT
inline constexpr std::uint8_t no_matching_subscribers = 0x10;  ///< PUBACK/PUBREC
inline constexpr std::uint8_t no_subscription_existed = 0x11;  ///< UNSUBACK
inline constexpr std::uint8_t continue_authentication = 0x18;  ///< AUTH
inline constexpr std::uint8_t reauthenticate = 0x19;         ///< AUTH
inline constexpr std::uint8_t unspecified_error = 0x80;      ///< also 3.1.1 SUBACK failure
inline constexpr std::uint8_t malformed_packet = 0x81;  ///< malformed packet
inline constexpr std::uint8_t protocol_error = 0x82;  ///< protocol error
inline constexpr std::uint8_t implementation_specific_error = 0x83;  ///< implementation specific error
inline constexpr std::uint8_t unsupported_protocol_version = 0x84;  ///< unsupported protocol version
inline constexpr std::uint8_t client_identifier_not_valid = 0x85;  ///< client identifier not valid
inline constexpr std::uint8_t bad_user_name_or_password = 0x86;  ///< bad user name or password
inline constexpr std::uint8_t not_authorized = 0x87;  ///< not authorized
inline constexpr std::uint8_t server_unavailable = 0x88;  ///< server unavailable
inline constexpr std::uint8_t server_busy = 0x89;  ///< server busy
inline constexpr std::uint8_t banned = 0x8A;  ///< banned
inline constexpr std::uint8_t server_shutting_down = 0x8B;  ///< server shutting down
inline constexpr std::uint8_t bad_authentication_method = 0x8C;  ///< bad authentication method
inline constexpr std::uint8_t keep_alive_timeout = 0x8D;  ///< keep alive timeout
inline constexpr std::uint8_t session_taken_over = 0x8E;  ///< session taken over
inline constexpr std::uint8_t topic_filter_invalid = 0x8F;  ///< topic filter invalid
inline constexpr std::uint8_t topic_name_invalid = 0x90;  ///< topic name invalid
inline constexpr std::uint8_t packet_identifier_in_use = 0x91;  ///< packet identifier in use
inline constexpr std::uint8_t packet_identifier_not_found = 0x92;  ///< packet identifier not found
inline constexpr std::uint8_t receive_maximum_exceeded = 0x93;  ///< receive maximum exceeded
inline constexpr std::uint8_t topic_alias_invalid = 0x94;  ///< topic alias invalid
inline constexpr std::uint8_t packet_too_large = 0x95;  ///< packet too large
inline constexpr std::uint8_t message_rate_too_high = 0x96;  ///< message rate too high
inline constexpr std::uint8_t quota_exceeded = 0x97;  ///< quota exceeded
inline constexpr std::uint8_t administrative_action = 0x98;  ///< administrative action
inline constexpr std::uint8_t payload_format_invalid = 0x99;  ///< payload format invalid
inline constexpr std::uint8_t retain_not_supported = 0x9A;  ///< retain not supported
inline constexpr std::uint8_t qos_not_supported = 0x9B;  ///< qos not supported
inline constexpr std::uint8_t use_another_server = 0x9C;  ///< use another server
inline constexpr std::uint8_t server_moved = 0x9D;  ///< server moved
inline constexpr std::uint8_t shared_subscriptions_not_supported = 0x9E;  ///< shared subscriptions not supported
inline constexpr std::uint8_t connection_rate_exceeded = 0x9F;  ///< connection rate exceeded
inline constexpr std::uint8_t maximum_connect_time = 0xA0;  ///< maximum connect time
inline constexpr std::uint8_t subscription_identifiers_not_supported = 0xA1;  ///< subscription identifiers not supported
inline constexpr std::uint8_t wildcard_subscriptions_not_supported = 0xA2;  ///< wildcard subscriptions not supported
}  // namespace reason

/// 3.1.1 CONNACK return codes (3.2.2.3).
namespace connack311 {
inline constexpr std::uint8_t accepted = 0;  ///< accepted
inline constexpr std::uint8_t unacceptable_protocol_version = 1;  ///< unacceptable protocol version
inline constexpr std::uint8_t identifier_rejected = 2;  ///< identifier rejected
inline constexpr std::uint8_t server_unavailable = 3;  ///< server unavailable
inline constexpr std::uint8_t bad_user_name_or_password = 4;  ///< bad user name or password
inline constexpr std::uint8_t not_authorized = 5;  ///< not authorized
}  // namespace connack311

}  // namespace zp::codec::mqtt
