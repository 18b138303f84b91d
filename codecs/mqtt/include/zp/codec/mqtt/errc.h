/// \file
/// MQTT codec (MQTT 3.1.1 OASIS 2014, MQTT 5.0 OASIS 2019) — error codes and the MQTT 5
/// reason code a server closes the connection with for each of them.
/// \code
///   auto v = zp::codec::mqtt::decode_varint(buf);
///   if (v.error != Errc::ok) send_disconnect(reason_for(v.error));  // 0x81 malformed packet
/// \endcode
#pragma once

#include <cstdint>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace zp::codec::mqtt {

/// Errors of the MQTT codec (category "zp.codec.mqtt"). Every one is a protocol violation
/// after which the connection is closed (MQTT 5: DISCONNECT with reason_for(e) first).
enum class Errc : int {
  ok = 0,
  // framing
  bad_packet_type = 1,        ///< fixed-header type 0, or AUTH (15) under 3.1.1
  bad_fixed_header_flags = 2, ///< flags other than the ones the type requires (MQTT-2.2.2-1/2)
  bad_varint = 3,             ///< variable byte integer over 4 bytes, or overlong (MQTT-1.5.5-1)
  packet_too_large = 4,       ///< remaining length over Limits::max_packet_size
  truncated = 5,              ///< a field runs past the packet's remaining length
  trailing_bytes = 6,         ///< bytes after the last field inside the remaining length
  // strings and topics
  bad_utf8 = 7,               ///< not UTF-8, a surrogate, U+0000 (MQTT-1.5.4-1/2)
  bad_topic_name = 8,         ///< empty, or contains + or # (MQTT-3.3.2-2)
  bad_topic_filter = 9,       ///< empty, + or # not a whole level, # not last (MQTT-4.7.1)
  topic_too_long = 10,        ///< over Limits::max_topic_length or max_topic_levels
  // CONNECT
  bad_protocol_name = 11,     ///< not "MQTT" (or "MQIsdp" for 3.1)
  bad_protocol_version = 12,  ///< level not 4 or 5 (CONNACK 0x01 / reason 0x84)
  bad_connect_flags = 13,     ///< reserved bit set, will QoS 3, will flags without will (MQTT-3.1.2-3, -11..15)
  bad_client_id = 14,         ///< empty client id with clean session 0 under 3.1.1 (MQTT-3.1.3-8)
  password_without_username = 15,  ///< 3.1.1: password flag without user name flag (MQTT-3.1.2-22)
  // packets
  bad_qos = 16,               ///< QoS 3 in PUBLISH or a subscription (MQTT-3.3.1-4)
  dup_with_qos0 = 17,         ///< DUP set on a QoS 0 PUBLISH (MQTT-3.3.1-2)
  zero_packet_id = 18,        ///< packet identifier 0 where one is required (MQTT-2.3.1-1)
  no_subscriptions = 19,      ///< SUBSCRIBE/UNSUBSCRIBE with no filter (MQTT-3.8.3-3, 3.10.3-2)
  too_many_subscriptions = 20,  ///< more than Limits::max_subscriptions (or the caller's array)
  bad_subscription_options = 21,  ///< reserved bits, retain handling 3, no-local on a shared subscription
  bad_reason_code = 22,       ///< a reason code the packet type does not allow
  // MQTT 5 properties
  bad_property = 23,          ///< unknown id, or an id the packet type does not allow
  duplicate_property = 24,    ///< a property present twice where the spec allows one
  bad_property_value = 25,    ///< out of range (e.g. Receive Maximum 0, Maximum QoS 2, bool not 0/1)
  too_many_properties = 26,   ///< over Limits::max_properties / max_user_properties
  // serializer
  buffer_too_small = 27,      ///< the output buffer cannot hold the packet
  value_too_large = 28,       ///< a string over 65,535 bytes, a packet over 268,435,455
  // parser (added after the serializer's: the numbers stay)
  bad_topic_alias = 29,       ///< a Topic Alias of 0 (3.3.2.3.4: DISCONNECT 0x94, not 0x82)
};
const std::error_category& category() noexcept;  ///< the category of Errc ("zp.codec.mqtt")
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), category()}; }  ///< an error_code of `e`

/// The enumerator's name ("bad_varint"), for logs and test vectors; "" when out of range.
std::string_view errc_name(Errc e) noexcept;

/// The MQTT 5 reason code a server sends in DISCONNECT (or CONNACK while connecting) for a
/// parse error: 0x81 malformed packet for framing/encoding errors, 0x82 protocol error for
/// rule violations, 0x84 unsupported protocol version, 0x85 client identifier not valid,
/// 0x95 packet too large, 0x90 topic name invalid, 0x94 topic alias invalid.
std::uint8_t reason_for(Errc e) noexcept;

}  // namespace zp::codec::mqtt

/// \cond internal
template <>
struct std::is_error_code_enum<zp::codec::mqtt::Errc> : std::true_type {};
/// \endcond
