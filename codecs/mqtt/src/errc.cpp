// The error category of codecs/mqtt, enumerator names, and the reason code per error.
#include <array>
#include <string>

#include "zp/codec/mqtt/errc.h"

namespace zp::codec::mqtt {

namespace {

struct Entry {
  std::string_view name;
  std::string_view message;
  std::uint8_t reason;  // MQTT 5 reason code a server disconnects with
};

// Indexed by Errc; the static_assert below keeps it in step with the enum.
constexpr std::array<Entry, 30> entries{{
    {"ok", "ok", 0x00},
    {"bad_packet_type", "reserved or unknown packet type", 0x81},
    {"bad_fixed_header_flags", "fixed-header flags not allowed for the packet type", 0x81},
    {"bad_varint", "malformed variable byte integer", 0x81},
    {"packet_too_large", "packet larger than the maximum packet size", 0x95},
    {"truncated", "a field runs past the remaining length", 0x81},
    {"trailing_bytes", "bytes after the last field of the packet", 0x81},
    {"bad_utf8", "string not valid MQTT UTF-8", 0x81},
    {"bad_topic_name", "invalid topic name", 0x90},
    {"bad_topic_filter", "invalid topic filter", 0x8F},
    {"topic_too_long", "topic longer or deeper than allowed", 0x90},
    {"bad_protocol_name", "protocol name not MQTT", 0x84},
    {"bad_protocol_version", "unsupported protocol version", 0x84},
    {"bad_connect_flags", "invalid CONNECT flags", 0x81},
    {"bad_client_id", "client identifier not valid", 0x85},
    {"password_without_username", "password without user name", 0x81},
    {"bad_qos", "QoS 3", 0x81},
    {"dup_with_qos0", "DUP set on a QoS 0 PUBLISH", 0x81},
    {"zero_packet_id", "packet identifier 0", 0x81},
    {"no_subscriptions", "SUBSCRIBE or UNSUBSCRIBE without a topic filter", 0x82},
    {"too_many_subscriptions", "too many topic filters in one packet", 0x97},
    {"bad_subscription_options", "invalid subscription options", 0x81},
    {"bad_reason_code", "reason code not allowed for the packet type", 0x81},
    {"bad_property", "property not allowed for the packet type", 0x81},
    {"duplicate_property", "property included more than once", 0x82},
    {"bad_property_value", "property value out of range", 0x82},
    {"too_many_properties", "too many properties", 0x97},
    {"buffer_too_small", "output buffer too small", 0x83},
    {"value_too_large", "value too large to encode", 0x83},
    {"bad_topic_alias", "topic alias 0", 0x94},
}};
static_assert(entries.size() == static_cast<std::size_t>(Errc::bad_topic_alias) + 1);

const Entry* entry(Errc e) noexcept {
  const int v = static_cast<int>(e);
  if (v < 0 || static_cast<std::size_t>(v) >= entries.size()) return nullptr;
  return &entries[static_cast<std::size_t>(v)];
}

class MqttCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "zp.codec.mqtt"; }
  std::string message(int ev) const override {
    const Entry* e = entry(static_cast<Errc>(ev));
    return e ? std::string(e->message) : "unknown mqtt codec error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const MqttCategory c;
  return c;
}

std::string_view errc_name(Errc e) noexcept {
  const Entry* x = entry(e);
  return x ? x->name : std::string_view();
}

std::uint8_t reason_for(Errc e) noexcept {
  const Entry* x = entry(e);
  return x ? x->reason : 0x81;
}

}  // namespace zp::codec::mqtt
