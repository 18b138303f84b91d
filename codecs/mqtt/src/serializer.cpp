// MQTT 3.1.1 / 5.0 packet serializer. Each packet's body is one template run twice: through
// a Counter (size, and whether the packet can be encoded) and then through a Writer.
#include "wire.h"
#include "zp/codec/mqtt/packet.h"

namespace zp::codec::mqtt {

namespace {

using wire::Counter;
using wire::Writer;

bool is_v5(Version v) noexcept { return v == Version::v5; }

void props(Counter& c, const Properties& p) noexcept {
  const std::size_t n = properties_size(p);
  if (n == 0) c.fail();
  c.skip(n);
}
void props(Writer& w, const Properties& p) noexcept { w.skip(static_cast<std::size_t>(wire::put_properties(p, w.pos()) - w.pos())); }

template <class S>
void packet_id(S& s, std::uint16_t id) {
  if (id == 0) s.fail(Errc::zero_packet_id);
  s.u16(id);
}

template <class S>
void body(S& s, const Connect& c, Version) {
  const bool v5 = is_v5(c.version);
  if (c.version != Version::v311 && !v5) s.fail(Errc::bad_protocol_version);
  if (c.will_qos > 2) s.fail(Errc::bad_qos);
  if (!c.has_will && (c.will_qos != 0 || c.will_retain)) s.fail(Errc::bad_connect_flags);
  if (!v5 && c.has_password && !c.has_username) s.fail(Errc::password_without_username);
  std::uint8_t flags = 0;
  if (c.clean_start) flags |= 0x02;
  if (c.has_will) flags |= static_cast<std::uint8_t>(0x04 | (c.will_qos << 3) | (c.will_retain ? 0x20 : 0));
  if (c.has_password) flags |= 0x40;
  if (c.has_username) flags |= 0x80;
  s.utf8("MQTT");
  s.u8(static_cast<std::uint8_t>(c.version));
  s.u8(flags);
  s.u16(c.keepalive);
  if (v5) props(s, c.properties);
  s.utf8(c.client_id);
  if (c.has_will) {
    if (v5) props(s, c.will_properties);
    s.utf8(c.will_topic);
    s.binary(c.will_payload);
  }
  if (c.has_username) s.utf8(c.username);
  if (c.has_password) s.binary(c.password);
}

template <class S>
void body(S& s, const Connack& c, Version v) {
  s.u8(c.session_present ? 1 : 0);
  s.u8(c.reason);
  if (is_v5(v)) props(s, c.properties);
}

template <class S>
void publish_head(S& s, const Publish& p, Version v) {
  if (p.qos > 2) s.fail(Errc::bad_qos);
  if (p.dup && p.qos == 0) s.fail(Errc::dup_with_qos0);
  s.utf8(p.topic);
  if (p.qos > 0) packet_id(s, p.packet_id);
  if (is_v5(v)) props(s, p.properties);
}

template <class S>
void body(S& s, const Publish& p, Version v) {
  publish_head(s, p, v);
  s.raw(p.payload);
}

// 5.0 leaves out a success code without properties (3.4.2.1); DISCONNECT and AUTH likewise.
template <class S>
void reason_and_props(S& s, std::uint8_t reason, const Properties& p) {
  const bool has_props = !p.empty();
  if (reason == 0 && !has_props) return;
  s.u8(reason);
  if (has_props) props(s, p);
}

template <class S>
void body(S& s, const Ack& a, Version v) {
  packet_id(s, a.packet_id);
  if (is_v5(v)) reason_and_props(s, a.reason, a.properties);
}

template <class S>
void body(S& s, const Subscribe& p, Version v) {
  packet_id(s, p.packet_id);
  if (is_v5(v)) props(s, p.properties);
  if (p.subscriptions.empty()) s.fail(Errc::no_subscriptions);
  for (const Subscription& sub : p.subscriptions) {
    if (sub.qos > 2) s.fail(Errc::bad_qos);
    if (sub.retain_handling > 2) s.fail(Errc::bad_subscription_options);
    std::uint8_t o = sub.qos;
    if (is_v5(v)) {
      if (sub.no_local) o |= 0x04;
      if (sub.retain_as_published) o |= 0x08;
      o |= static_cast<std::uint8_t>(sub.retain_handling << 4);
    }
    s.utf8(sub.filter);
    s.u8(o);
  }
}

template <class S>
void body(S& s, const SubAck& p, Version v) {
  packet_id(s, p.packet_id);
  if (p.type == PacketType::unsuback && !is_v5(v)) return;  // 3.1.1: the packet id only
  if (is_v5(v)) props(s, p.properties);
  if (p.reasons.empty()) s.fail(Errc::no_subscriptions);
  s.raw(p.reasons);
}

template <class S>
void body(S& s, const Unsubscribe& p, Version v) {
  packet_id(s, p.packet_id);
  if (is_v5(v)) props(s, p.properties);
  if (p.filters.empty()) s.fail(Errc::no_subscriptions);
  for (std::string_view f : p.filters) s.utf8(f);
}

template <class S>
void body(S&, const Ping&, Version) {}

template <class S>
void body(S& s, const Disconnect& d, Version v) {
  if (d.type == PacketType::auth && !is_v5(v)) s.fail(Errc::bad_packet_type);
  if (is_v5(v)) reason_and_props(s, d.reason, d.properties);
}

std::uint8_t first_byte(const Connect&) { return 0x10; }
std::uint8_t first_byte(const Connack&) { return 0x20; }
std::uint8_t first_byte(const Publish& p) {
  return static_cast<std::uint8_t>(0x30 | (p.dup ? 0x08 : 0) | ((p.qos & 0x03) << 1) | (p.retain ? 0x01 : 0));
}
std::uint8_t first_byte(const Ack& a) {
  const auto t = static_cast<std::uint8_t>(a.type);
  return static_cast<std::uint8_t>(t << 4 | (a.type == PacketType::pubrel ? 0x02 : 0));
}
std::uint8_t first_byte(const Subscribe&) { return 0x82; }
std::uint8_t first_byte(const SubAck& s) { return static_cast<std::uint8_t>(static_cast<std::uint8_t>(s.type) << 4); }
std::uint8_t first_byte(const Unsubscribe&) { return 0xA2; }
std::uint8_t first_byte(const Ping& p) { return static_cast<std::uint8_t>(static_cast<std::uint8_t>(p.type) << 4); }
std::uint8_t first_byte(const Disconnect& d) { return static_cast<std::uint8_t>(static_cast<std::uint8_t>(d.type) << 4); }

bool type_ok(const Ack& a) {
  return a.type == PacketType::puback || a.type == PacketType::pubrec || a.type == PacketType::pubrel ||
         a.type == PacketType::pubcomp;
}
bool type_ok(const SubAck& s) { return s.type == PacketType::suback || s.type == PacketType::unsuback; }
bool type_ok(const Ping& p) { return p.type == PacketType::pingreq || p.type == PacketType::pingresp; }
bool type_ok(const Disconnect& d) { return d.type == PacketType::disconnect || d.type == PacketType::auth; }
template <class P>
bool type_ok(const P&) {
  return true;
}

// The body's size, or the reason it cannot be encoded.
template <class P>
Counter count(const P& p, Version v) {
  Counter c;
  if (!type_ok(p)) c.fail(Errc::bad_packet_type);
  body(c, p, v);
  if (c.size() > kMaxVarint) c.fail(Errc::value_too_large);
  return c;
}

template <class P>
std::size_t size_of(const P& p, Version v) noexcept {
  const Counter c = count(p, v);
  if (c.bad()) return 0;
  return 1 + varint_size(static_cast<std::uint32_t>(c.size())) + c.size();
}

template <class P>
Result<std::size_t> write(const P& p, Version v, std::span<std::byte> out) noexcept {
  const Counter c = count(p, v);
  if (c.bad()) return make_error_code(c.error());
  const auto remaining = static_cast<std::uint32_t>(c.size());
  const std::size_t total = 1 + varint_size(remaining) + remaining;
  if (out.size() < total) return make_error_code(Errc::buffer_too_small);
  Writer w(out.data());
  w.u8(first_byte(p));
  w.varint(remaining);
  body(w, p, v);
  return total;
}

}  // namespace

Result<std::size_t> serialize(const Connect& p, std::span<std::byte> out) noexcept { return write(p, p.version, out); }
Result<std::size_t> serialize(const Connack& p, Version v, std::span<std::byte> out) noexcept { return write(p, v, out); }
Result<std::size_t> serialize(const Publish& p, Version v, std::span<std::byte> out) noexcept { return write(p, v, out); }
Result<std::size_t> serialize(const Ack& p, Version v, std::span<std::byte> out) noexcept { return write(p, v, out); }
Result<std::size_t> serialize(const Subscribe& p, Version v, std::span<std::byte> out) noexcept { return write(p, v, out); }
Result<std::size_t> serialize(const SubAck& p, Version v, std::span<std::byte> out) noexcept { return write(p, v, out); }
Result<std::size_t> serialize(const Unsubscribe& p, Version v, std::span<std::byte> out) noexcept { return write(p, v, out); }
Result<std::size_t> serialize(const Ping& p, std::span<std::byte> out) noexcept { return write(p, Version::v311, out); }
Result<std::size_t> serialize(const Disconnect& p, Version v, std::span<std::byte> out) noexcept { return write(p, v, out); }

Result<std::size_t> serialize(const Packet& p, Version v, std::span<std::byte> out) noexcept {
  return std::visit([&](const auto& b) { return write(b, v, out); }, p.body);
}

std::size_t packet_size(const Connect& p) noexcept { return size_of(p, p.version); }
std::size_t packet_size(const Connack& p, Version v) noexcept { return size_of(p, v); }
std::size_t packet_size(const Publish& p, Version v) noexcept { return size_of(p, v); }
std::size_t packet_size(const Ack& p, Version v) noexcept { return size_of(p, v); }
std::size_t packet_size(const Subscribe& p, Version v) noexcept { return size_of(p, v); }
std::size_t packet_size(const SubAck& p, Version v) noexcept { return size_of(p, v); }
std::size_t packet_size(const Unsubscribe& p, Version v) noexcept { return size_of(p, v); }
std::size_t packet_size(const Ping& p) noexcept { return size_of(p, Version::v311); }
std::size_t packet_size(const Disconnect& p, Version v) noexcept { return size_of(p, v); }

Result<std::size_t> serialize_publish_header(const Publish& p, Version v, std::size_t payload_size,
                                             std::span<std::byte> out) noexcept {
  Counter c;
  publish_head(c, p, v);
  if (c.size() + payload_size > kMaxVarint) c.fail(Errc::value_too_large);
  if (c.bad()) return make_error_code(c.error());
  const auto remaining = static_cast<std::uint32_t>(c.size() + payload_size);
  const std::size_t header = 1 + varint_size(remaining) + c.size();
  if (out.size() < header) return make_error_code(Errc::buffer_too_small);
  Writer w(out.data());
  w.u8(first_byte(p));
  w.varint(remaining);
  publish_head(w, p, v);
  return header;
}

}  // namespace zp::codec::mqtt
