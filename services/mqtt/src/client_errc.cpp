// The client's error category: texts for its own errors and for every CONNACK code.
#include <cstdio>
#include <string>

#include "zp/mqtt/client.h"

namespace zp::mqtt {

namespace {

class ClientCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "zp.mqtt.client"; }
  std::string message(int v) const override {
    if (v >= int(ClientErrc::connack_refused) && v < int(ClientErrc::connack_refused) + 256) {
      const auto code = std::uint8_t(v - int(ClientErrc::connack_refused));
      std::string_view text = connack_reason_text(code);
      if (text.empty()) text = "refused";
      return "connection refused by the broker: " + std::string(text) + " (CONNACK " + std::to_string(code) + ")";
    }
    if (v >= int(ClientErrc::disconnected) && v < int(ClientErrc::disconnected) + 256) {
      const auto code = std::uint8_t(v - int(ClientErrc::disconnected));
      std::string_view text = connack_reason_text(code);
      if (code == 0) text = "normal disconnection";
      if (text.empty()) text = "closed";
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", code);
      return "disconnected by the broker: " + std::string(text) + " (DISCONNECT " + hex + ")";
    }
    switch (ClientErrc(v)) {
      case ClientErrc::ok: return "ok";
      case ClientErrc::connection_closed: return "connection closed by the broker";
      case ClientErrc::protocol_error: return "protocol error: the broker sent a malformed or unexpected packet";
      case ClientErrc::bad_topic: return "invalid topic name";
      case ClientErrc::bad_filter: return "invalid topic filter";
      case ClientErrc::subscribe_refused: return "subscription refused by the broker (SUBACK failure)";
      case ClientErrc::publish_refused: return "publish refused by the broker";
      case ClientErrc::not_connected: return "not connected";
      case ClientErrc::too_large: return "packet too large";
      case ClientErrc::bad_address: return "bad broker address (want HOST:PORT or [V6]:PORT)";
      case ClientErrc::bad_qos: return "QoS must be 0, 1 or 2";
      case ClientErrc::host_not_found: return "host name not found (no address for it)";
      case ClientErrc::resolver_failed: return "DNS resolution failed (SERVFAIL, REFUSED, timeout or no server)";
      default: return "unknown MQTT client error " + std::to_string(v);
    }
  }
};

}  // namespace

const std::error_category& client_category() noexcept {
  static const ClientCategory c;
  return c;
}

std::error_code connack_error(std::uint8_t code) noexcept {
  return {int(ClientErrc::connack_refused) + code, client_category()};
}

std::error_code disconnect_error(std::uint8_t reason) noexcept {
  return {int(ClientErrc::disconnected) + reason, client_category()};
}

std::string_view connack_reason_text(std::uint8_t code) noexcept {
  switch (code) {
    // 3.1.1 return codes
    case 1: return "unacceptable protocol version";
    case 2: return "identifier rejected";
    case 3: return "server unavailable";
    case 4: return "bad user name or password";
    case 5: return "not authorized";
    // 5.0 reason codes
    case 0x80: return "unspecified error";
    case 0x81: return "malformed packet";
    case 0x82: return "protocol error";
    case 0x83: return "implementation specific error";
    case 0x84: return "unsupported protocol version";
    case 0x85: return "client identifier not valid";
    case 0x86: return "bad user name or password";
    case 0x87: return "not authorized";
    case 0x88: return "server unavailable";
    case 0x89: return "server busy";
    case 0x8A: return "banned";
    case 0x8B: return "server shutting down";
    case 0x8C: return "bad authentication method";
    case 0x8D: return "keep alive timeout";
    case 0x8E: return "session taken over";
    case 0x8F: return "topic filter invalid";
    case 0x90: return "topic name invalid";
    case 0x93: return "receive maximum exceeded";
    case 0x94: return "topic alias invalid";
    case 0x95: return "packet too large";
    case 0x96: return "message rate too high";
    case 0x97: return "quota exceeded";
    case 0x99: return "payload format invalid";
    case 0x9A: return "retain not supported";
    case 0x9B: return "QoS not supported";
    case 0x9C: return "use another server";
    case 0x9D: return "server moved";
    case 0x9E: return "shared subscriptions not supported";
    case 0x9F: return "connection rate exceeded";
    case 0xA0: return "maximum connect time";
    case 0xA1: return "subscription identifiers not supported";
    case 0xA2: return "wildcard subscriptions not supported";
    default: return "";
  }
}

}  // namespace zp::mqtt
