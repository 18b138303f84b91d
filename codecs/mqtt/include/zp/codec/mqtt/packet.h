/// \file
/// MQTT 3.1.1 and 5.0 control packets: parse and serialize, sans-I/O and zero-copy. One call
/// parses one packet from the front of the bytes received so far into views of them; arrays
/// (subscriptions, unsubscribe filters) are the caller's, so parsing never allocates.
/// \code
///   zp::codec::mqtt::Subscription subs[32];
///   std::string_view filters[32];
///   zp::codec::mqtt::Scratch scratch{subs, filters};
///   zp::codec::mqtt::Packet pkt;
///   auto r = parse_packet(buf, Version::v311, limits, pkt, scratch);
///   if (r.need_more()) { /* read more, call again with the whole buffer */ }
///   else if (r.error != Errc::ok) { /* close */ }
///   else if (auto* p = std::get_if<Publish>(&pkt.body)) { ... }  // r.consumed bytes used
/// \endcode
/// The first packet of a connection is CONNECT: its own protocol level decides how it is
/// parsed (whatever `version` says); use Connect::version for every later packet. When a
/// CONNECT fails with bad_protocol_version, bad_client_id or a later error, Connect::version
/// already holds its level, so the server can answer with the right CONNACK.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>

#include "zp/codec/mqtt/encoding.h"
#include "zp/codec/mqtt/errc.h"
#include "zp/codec/mqtt/properties.h"
#include "zp/result.h"

namespace zp::codec::mqtt {

/// Control packet types (fixed header bits 7-4).
enum class PacketType : std::uint8_t {
  connect = 1, connack = 2, publish = 3, puback = 4, pubrec = 5, pubrel = 6, pubcomp = 7,
  subscribe = 8, suback = 9, unsubscribe = 10, unsuback = 11, pingreq = 12, pingresp = 13,
  disconnect = 14, auth = 15,
};

/// Limits of the parser: every one is a parameter of the service.
struct Limits {
  std::uint32_t max_packet_size = 1u << 20;  ///< whole packet (fixed header included); spec max 268,435,460
  TopicLimits topic{};                       ///< topic names and filters
  std::uint16_t max_subscriptions = 64;      ///< filters in one SUBSCRIBE/UNSUBSCRIBE
  PropertyLimits properties{};               ///< each property block (5.0)
};

/// The fixed header (2.1): type, flags and the remaining length.
struct FixedHeader {
  PacketType type{};                ///< bits 7-4
  std::uint8_t flags = 0;           ///< bits 3-0
  std::uint32_t remaining = 0;      ///< remaining length
  std::uint8_t size = 0;            ///< bytes of the fixed header itself (2..5)
};

/// CONNECT (3.1). Strings are views into the input.
struct Connect {
  Version version = Version::v311;   ///< protocol level 4 or 5 (3 for "MQIsdp" is refused)
  bool clean_start = true;           ///< 3.1.1 clean session, 5.0 clean start
  std::uint16_t keepalive = 0;       ///< seconds, 0 = off
  std::string_view client_id{};      ///< may be empty
  bool has_will = false;             ///< a will message follows
  std::uint8_t will_qos = 0;         ///< 0..2
  bool will_retain = false;          ///< the will is published retained
  std::string_view will_topic{};     ///< a topic name
  std::span<const std::byte> will_payload{};  ///< binary data
  Properties will_properties{};      ///< 5.0 will properties
  bool has_username = false;         ///< user name flag
  std::string_view username{};       ///< UTF-8 string
  bool has_password = false;         ///< password flag
  std::span<const std::byte> password{};  ///< binary data
  Properties properties{};           ///< 5.0 CONNECT properties
};

/// CONNACK (3.2): 3.1.1 return code 0-5 or a 5.0 reason code.
struct Connack {
  bool session_present = false;      ///< the server had a session for this client
  std::uint8_t reason = 0;           ///< 3.1.1 return code or 5.0 reason code
  Properties properties{};           ///< 5.0 only
};

/// PUBLISH (3.3).
struct Publish {
  bool dup = false;                  ///< a redelivery (QoS > 0 only)
  std::uint8_t qos = 0;              ///< 0..2
  bool retain = false;               ///< retained message
  std::string_view topic{};          ///< a topic name; empty under 5.0 when a topic alias stands for it
  std::uint16_t packet_id = 0;       ///< non-zero for QoS 1 and 2, absent for 0
  Properties properties{};           ///< 5.0 only
  std::span<const std::byte> payload{};  ///< the rest of the packet
};

/// PUBACK, PUBREC, PUBREL, PUBCOMP (3.4-3.7): a packet id, and under 5.0 a reason code.
struct Ack {
  PacketType type = PacketType::puback;  ///< which of the four
  std::uint16_t packet_id = 0;       ///< non-zero
  std::uint8_t reason = 0;           ///< 5.0 reason code (0 success; omitted on the wire when 0 and no properties)
  Properties properties{};           ///< 5.0 only
};

/// One topic filter of a SUBSCRIBE with its options (3.8.3.1).
struct Subscription {
  std::string_view filter{};         ///< a topic filter, "$share/group/filter" included
  std::uint8_t qos = 0;              ///< maximum QoS 0..2
  bool no_local = false;             ///< 5.0: not sent back to its own publisher
  bool retain_as_published = false;  ///< 5.0: keep the retain flag when forwarding
  std::uint8_t retain_handling = 0;  ///< 5.0: 0 send retained, 1 only if new, 2 never
};

/// SUBSCRIBE (3.8). `subscriptions` is the filled prefix of the caller's Scratch array.
struct Subscribe {
  std::uint16_t packet_id = 0;       ///< non-zero
  Properties properties{};           ///< 5.0: subscription identifier, user properties
  std::span<Subscription> subscriptions{};  ///< at least one
};

/// SUBACK (3.9) and UNSUBACK (3.11): one return/reason code per filter (UNSUBACK under 3.1.1
/// has none).
struct SubAck {
  PacketType type = PacketType::suback;  ///< suback or unsuback
  std::uint16_t packet_id = 0;       ///< the SUBSCRIBE's / UNSUBSCRIBE's
  Properties properties{};           ///< 5.0 only
  std::span<const std::byte> reasons{};  ///< one byte per filter, in order
};

/// UNSUBSCRIBE (3.10). `filters` is the filled prefix of the caller's Scratch array.
struct Unsubscribe {
  std::uint16_t packet_id = 0;       ///< non-zero
  Properties properties{};           ///< 5.0 user properties
  std::span<std::string_view> filters{};  ///< at least one
};

/// PINGREQ, PINGRESP (3.12, 3.13): no body.
struct Ping {
  PacketType type = PacketType::pingreq;  ///< pingreq or pingresp
};

/// DISCONNECT (3.14) and AUTH (3.15, 5.0 only): a reason code and properties.
struct Disconnect {
  PacketType type = PacketType::disconnect;  ///< disconnect or auth
  std::uint8_t reason = 0;           ///< 0 normal; 0x04 disconnect with will (5.0); AUTH: 0x00/0x18/0x19
  Properties properties{};           ///< 5.0 only
};

/// A parsed packet.
struct Packet {
  FixedHeader header{};  ///< as received
  std::variant<Connect, Connack, Publish, Ack, Subscribe, SubAck, Unsubscribe, Ping, Disconnect> body{};  ///< the typed body
};

/// The caller's arrays for the lists inside SUBSCRIBE and UNSUBSCRIBE; a packet with more
/// entries than these hold fails with too_many_subscriptions.
struct Scratch {
  std::span<Subscription> subscriptions{};  ///< SUBSCRIBE's filters
  std::span<std::string_view> filters{};    ///< UNSUBSCRIBE's filters
};

/// What parse_packet did.
struct ParseResult {
  Errc error = Errc::ok;   ///< ok, or why the input is not a valid packet
  std::size_t consumed = 0;  ///< bytes of the packet when complete; 0 when more input is needed
  /// When more bytes are needed: how many the whole packet has, once the fixed header is
  /// complete (so the caller can size its buffer), else 0.
  std::size_t wanted = 0;
  bool need_more() const noexcept { return error == Errc::ok && consumed == 0; }  ///< the input holds no complete packet yet
};

/// Parses the fixed header at the front of `in`. need_more when it is incomplete; errors
/// for a bad type, bad flags, a bad varint or a packet over limits.max_packet_size.
ParseResult parse_fixed_header(std::span<const std::byte> in, Version version, const Limits& limits,
                               FixedHeader& out) noexcept;

/// Parses one whole packet from the front of `in` into `out` (views into `in`).
ParseResult parse_packet(std::span<const std::byte> in, Version version, const Limits& limits,
                         Packet& out, const Scratch& scratch) noexcept;

/// Serializers: each writes one whole packet into `out` and returns its size, or an error
/// (buffer_too_small, value_too_large, or a field the packet cannot carry). packet_size()
/// gives the exact size first, so a caller can take a buffer of the right size.
Result<std::size_t> serialize(const Connect& p, std::span<std::byte> out) noexcept;
Result<std::size_t> serialize(const Connack& p, Version v, std::span<std::byte> out) noexcept;  ///< CONNACK
Result<std::size_t> serialize(const Publish& p, Version v, std::span<std::byte> out) noexcept;  ///< PUBLISH
Result<std::size_t> serialize(const Ack& p, Version v, std::span<std::byte> out) noexcept;  ///< PUBACK/PUBREC/PUBREL/PUBCOMP
Result<std::size_t> serialize(const Subscribe& p, Version v, std::span<std::byte> out) noexcept;  ///< SUBSCRIBE
Result<std::size_t> serialize(const SubAck& p, Version v, std::span<std::byte> out) noexcept;  ///< SUBACK/UNSUBACK
Result<std::size_t> serialize(const Unsubscribe& p, Version v, std::span<std::byte> out) noexcept;  ///< UNSUBSCRIBE
Result<std::size_t> serialize(const Ping& p, std::span<std::byte> out) noexcept;  ///< PINGREQ/PINGRESP
Result<std::size_t> serialize(const Disconnect& p, Version v, std::span<std::byte> out) noexcept;  ///< DISCONNECT/AUTH
/// The serialized size of a packet (the same overloads; 0 when it cannot be serialized).
std::size_t packet_size(const Connect& p) noexcept;
std::size_t packet_size(const Connack& p, Version v) noexcept;      ///< CONNACK
std::size_t packet_size(const Publish& p, Version v) noexcept;      ///< PUBLISH
std::size_t packet_size(const Ack& p, Version v) noexcept;          ///< the four acks
std::size_t packet_size(const Subscribe& p, Version v) noexcept;    ///< SUBSCRIBE
std::size_t packet_size(const SubAck& p, Version v) noexcept;       ///< SUBACK/UNSUBACK
std::size_t packet_size(const Unsubscribe& p, Version v) noexcept;  ///< UNSUBSCRIBE
std::size_t packet_size(const Ping& p) noexcept;                     ///< PINGREQ/PINGRESP (2)
std::size_t packet_size(const Disconnect& p, Version v) noexcept;   ///< DISCONNECT/AUTH

/// Serializes any parsed or built packet (dispatches on the body).
Result<std::size_t> serialize(const Packet& p, Version v, std::span<std::byte> out) noexcept;

/// Serializes a PUBLISH header (fixed header, topic, packet id, properties) for a payload
/// of `payload_size` bytes sent separately — the broker's zero-copy fan-out writes one
/// header per subscriber and the same payload bytes. Returns the header's size.
Result<std::size_t> serialize_publish_header(const Publish& p, Version v, std::size_t payload_size,
                                             std::span<std::byte> out) noexcept;

}  // namespace zp::codec::mqtt
