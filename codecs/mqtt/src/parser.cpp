// MQTT 3.1.1 / 5.0 packet parser: the fixed header (2.1) and every packet's variable header
// and payload (chapter 3), with the normative checks a receiver makes.
#include "wire.h"
#include "zp/codec/mqtt/packet.h"

namespace zp::codec::mqtt {

namespace {

constexpr std::uint8_t kMaxType = 15;

// Fixed-header flags each type requires (2.2.2); PUBLISH carries its own (checked later).
bool flags_ok(PacketType t, std::uint8_t flags) noexcept {
  switch (t) {
    case PacketType::publish: return true;
    case PacketType::pubrel:
    case PacketType::subscribe:
    case PacketType::unsubscribe: return flags == 0b0010;
    default: return flags == 0;
  }
}

bool is_v5(Version v) noexcept { return v == Version::v5; }

// The packet's fields must end exactly at its remaining length.
Errc finish(const wire::Reader& r) noexcept {
  if (r.error() != Errc::ok) return r.error();
  return r.left() == 0 ? Errc::ok : Errc::trailing_bytes;
}

Errc read_properties(wire::Reader& r, PropertyContext ctx, const Limits& limits, Properties& out) noexcept {
  if (r.error() != Errc::ok) return r.error();
  std::size_t used = 0;
  const Errc e = parse_properties(r.peek(), ctx, limits.properties, out, used);
  if (e == Errc::ok) r.skip(used);
  return e;
}

Errc parse_connect(wire::Reader& r, const Limits& limits, Connect& c) noexcept {
  const std::string_view name = r.utf8();
  const std::uint8_t level = r.u8();
  if (r.error() != Errc::ok) return r.error();
  if (name != "MQTT") {
    // MQTT 3.1 ("MQIsdp", level 3) is a protocol we do not speak: CONNACK 0x01 (3.1.2-2).
    return name == "MQIsdp" ? Errc::bad_protocol_version : Errc::bad_protocol_name;
  }
  if (level != 4 && level != 5) return Errc::bad_protocol_version;
  c.version = static_cast<Version>(level);
  const std::uint8_t flags = r.u8();
  c.keepalive = r.u16();
  if (r.error() != Errc::ok) return r.error();
  if (flags & 0x01) return Errc::bad_connect_flags;  // MQTT-3.1.2-3
  c.clean_start = flags & 0x02;
  c.has_will = flags & 0x04;
  c.will_qos = (flags >> 3) & 0x03;
  c.will_retain = flags & 0x20;
  c.has_password = flags & 0x40;
  c.has_username = flags & 0x80;
  if (c.will_qos == 3) return Errc::bad_connect_flags;                           // MQTT-3.1.2-14
  if (!c.has_will && (c.will_qos != 0 || c.will_retain)) return Errc::bad_connect_flags;  // MQTT-3.1.2-11, -13, -15
  if (c.version == Version::v311 && c.has_password && !c.has_username) return Errc::password_without_username;  // MQTT-3.1.2-22
  if (is_v5(c.version)) {
    if (const Errc e = read_properties(r, PropertyContext::connect, limits, c.properties); e != Errc::ok) return e;
  }
  c.client_id = r.utf8();  // MQTT-3.1.3-4
  if (r.error() != Errc::ok) return r.error();
  // 3.1.1 allows an empty id only with a clean session (MQTT-3.1.3-8: CONNACK 0x02). 5.0
  // leaves the choice to the server (3.1.3.1), which assigns one.
  if (c.version == Version::v311 && c.client_id.empty() && !c.clean_start) return Errc::bad_client_id;
  if (c.has_will) {
    if (is_v5(c.version)) {
      if (const Errc e = read_properties(r, PropertyContext::will, limits, c.will_properties); e != Errc::ok) return e;
    }
    c.will_topic = r.utf8();
    c.will_payload = r.binary();
    if (r.error() != Errc::ok) return r.error();
    if (const Errc e = check_topic_name(c.will_topic, limits.topic); e != Errc::ok) return e;  // MQTT-3.1.3-11
  }
  if (c.has_username) c.username = r.utf8();  // MQTT-3.1.3-11
  if (c.has_password) c.password = r.binary();
  return finish(r);
}

Errc parse_connack(wire::Reader& r, Version v, Connack& c) noexcept {
  const std::uint8_t flags = r.u8();
  c.reason = r.u8();
  if (r.error() != Errc::ok) return r.error();
  if (flags & 0xFE) return Errc::bad_connect_flags;  // reserved bits of the acknowledge flags (3.2.2.1)
  c.session_present = flags & 0x01;
  if (is_v5(v)) {
    if (const Errc e = read_properties(r, PropertyContext::connack, Limits{}, c.properties); e != Errc::ok) return e;
  } else if (c.reason > 5) {
    return Errc::bad_reason_code;  // 3.2.2.3: 0..5, 6-255 reserved
  }
  return finish(r);
}

Errc parse_publish(wire::Reader& r, Version v, std::uint8_t flags, const Limits& limits, Publish& p) noexcept {
  p.dup = flags & 0x08;
  p.qos = (flags >> 1) & 0x03;
  p.retain = flags & 0x01;
  if (p.qos == 3) return Errc::bad_qos;               // MQTT-3.3.1-4
  if (p.dup && p.qos == 0) return Errc::dup_with_qos0;  // MQTT-3.3.1-2
  const auto topic = r.binary();
  p.topic = {reinterpret_cast<const char*>(topic.data()), topic.size()};
  if (p.qos > 0) {
    if (const Errc e = r.packet_id(p.packet_id); e != Errc::ok) return e;
  }
  if (is_v5(v)) {
    if (const Errc e = read_properties(r, PropertyContext::publish, limits, p.properties); e != Errc::ok) return e;
  }
  if (r.error() != Errc::ok) return r.error();
  // 5.0: an empty topic stands for the one a Topic Alias names (3.3.2.3.4); the receiver
  // resolves the alias, the codec only checks that there is one.
  if (!(p.topic.empty() && is_v5(v) && p.properties.has(PropertyId::topic_alias))) {
    if (const Errc e = check_topic_name(p.topic, limits.topic); e != Errc::ok) return e;  // MQTT-3.3.2-1, -2
  }
  p.payload = r.rest();
  return Errc::ok;
}

// Reason codes each acknowledgement may carry (3.4.2.1, 3.5.2.1, 3.6.2.1, 3.7.2.1).
bool ack_reason_ok(PacketType t, std::uint8_t rc) noexcept {
  if (t == PacketType::pubrel || t == PacketType::pubcomp) return rc == 0x00 || rc == 0x92;
  switch (rc) {
    case 0x00: case 0x10: case 0x80: case 0x83: case 0x87: case 0x90: case 0x91: case 0x97: case 0x99:
      return true;
    default:
      return false;
  }
}

PropertyContext ack_context(PacketType t) noexcept {
  switch (t) {
    case PacketType::pubrec: return PropertyContext::pubrec;
    case PacketType::pubrel: return PropertyContext::pubrel;
    case PacketType::pubcomp: return PropertyContext::pubcomp;
    default: return PropertyContext::puback;
  }
}

Errc parse_ack(wire::Reader& r, Version v, const Limits& limits, Ack& a) noexcept {
  if (const Errc e = r.packet_id(a.packet_id); e != Errc::ok) return e;
  // 5.0: the reason code and the properties may be left out (3.4.2.1, 3.4.2.2.1).
  if (is_v5(v) && r.left() > 0) {
    a.reason = r.u8();
    if (!ack_reason_ok(a.type, a.reason)) return Errc::bad_reason_code;
    if (r.left() > 0) {
      if (const Errc e = read_properties(r, ack_context(a.type), limits, a.properties); e != Errc::ok) return e;
    }
  }
  return finish(r);
}

// Subscription options (3.8.3.1): 3.1.1 has only the QoS and reserved bits.
Errc read_options(std::uint8_t o, Version v, Subscription& s) noexcept {
  s.qos = o & 0x03;
  if (s.qos == 3) return Errc::bad_qos;  // MQTT-3.8.3-4 (3.1.1), 3.8.3.1 (5.0)
  if (!is_v5(v)) return (o & 0xFC) ? Errc::bad_subscription_options : Errc::ok;  // MQTT-3.8.3-4
  s.no_local = o & 0x04;
  s.retain_as_published = o & 0x08;
  s.retain_handling = (o >> 4) & 0x03;
  if (s.retain_handling == 3 || (o & 0xC0)) return Errc::bad_subscription_options;
  return Errc::ok;
}

Errc parse_subscribe(wire::Reader& r, Version v, const Limits& limits, const Scratch& scratch, Subscribe& s) noexcept {
  if (const Errc e = r.packet_id(s.packet_id); e != Errc::ok) return e;
  if (is_v5(v)) {
    if (const Errc e = read_properties(r, PropertyContext::subscribe, limits, s.properties); e != Errc::ok) return e;
  }
  const std::size_t cap = std::min<std::size_t>(limits.max_subscriptions, scratch.subscriptions.size());
  std::size_t n = 0;
  while (r.error() == Errc::ok && r.left() > 0) {
    if (n == cap) return Errc::too_many_subscriptions;
    Subscription& sub = scratch.subscriptions[n];
    sub = {};
    sub.filter = r.utf8();
    const std::uint8_t options = r.u8();
    if (r.error() != Errc::ok) break;
    if (const Errc e = check_topic_filter(sub.filter, limits.topic); e != Errc::ok) return e;
    if (const Errc e = read_options(options, v, sub); e != Errc::ok) return e;
    // No Local on a shared subscription is a protocol error (MQTT-3.8.3-4, 5.0).
    if (sub.no_local && !split_shared(sub.filter).group.empty()) return Errc::bad_subscription_options;
    ++n;
  }
  if (r.error() != Errc::ok) return r.error();
  if (n == 0) return Errc::no_subscriptions;  // MQTT-3.8.3-3
  s.subscriptions = scratch.subscriptions.first(n);
  return Errc::ok;
}

bool suback_reason_ok(Version v, std::uint8_t rc) noexcept {
  if (!is_v5(v)) return rc <= 2 || rc == 0x80;  // 3.9.3
  switch (rc) {
    case 0x00: case 0x01: case 0x02: case 0x80: case 0x83: case 0x87: case 0x8F: case 0x91:
    case 0x97: case 0x9E: case 0xA1: case 0xA2:
      return true;
    default:
      return false;
  }
}

bool unsuback_reason_ok(std::uint8_t rc) noexcept {
  switch (rc) {
    case 0x00: case 0x11: case 0x80: case 0x83: case 0x87: case 0x8F: case 0x91:
      return true;
    default:
      return false;
  }
}

Errc parse_suback(wire::Reader& r, Version v, const Limits& limits, SubAck& s) noexcept {
  if (const Errc e = r.packet_id(s.packet_id); e != Errc::ok) return e;
  const bool sub = s.type == PacketType::suback;
  if (!sub && !is_v5(v)) return finish(r);  // 3.1.1 UNSUBACK: the packet id only (3.11.2)
  if (is_v5(v)) {
    const auto ctx = sub ? PropertyContext::suback : PropertyContext::unsuback;
    if (const Errc e = read_properties(r, ctx, limits, s.properties); e != Errc::ok) return e;
  }
  s.reasons = r.rest();
  if (s.reasons.empty()) return Errc::truncated;  // one code per filter, and there is at least one
  for (std::byte b : s.reasons) {
    const auto rc = static_cast<std::uint8_t>(b);
    if (sub ? !suback_reason_ok(v, rc) : !unsuback_reason_ok(rc)) return Errc::bad_reason_code;
  }
  return Errc::ok;
}

Errc parse_unsubscribe(wire::Reader& r, Version v, const Limits& limits, const Scratch& scratch, Unsubscribe& u) noexcept {
  if (const Errc e = r.packet_id(u.packet_id); e != Errc::ok) return e;
  if (is_v5(v)) {
    if (const Errc e = read_properties(r, PropertyContext::unsubscribe, limits, u.properties); e != Errc::ok) return e;
  }
  const std::size_t cap = std::min<std::size_t>(limits.max_subscriptions, scratch.filters.size());
  std::size_t n = 0;
  while (r.error() == Errc::ok && r.left() > 0) {
    if (n == cap) return Errc::too_many_subscriptions;
    const std::string_view f = r.utf8();
    if (r.error() != Errc::ok) break;
    if (const Errc e = check_topic_filter(f, limits.topic); e != Errc::ok) return e;
    scratch.filters[n++] = f;
  }
  if (r.error() != Errc::ok) return r.error();
  if (n == 0) return Errc::no_subscriptions;  // MQTT-3.10.3-2
  u.filters = scratch.filters.first(n);
  return Errc::ok;
}

bool disconnect_reason_ok(std::uint8_t rc) noexcept {
  switch (rc) {
    case 0x00: case 0x04: case 0x80: case 0x81: case 0x82: case 0x83: case 0x87: case 0x89:
    case 0x8B: case 0x8D: case 0x8E: case 0x8F: case 0x90: case 0x93: case 0x94: case 0x95:
    case 0x96: case 0x97: case 0x98: case 0x99: case 0x9A: case 0x9B: case 0x9C: case 0x9D:
    case 0x9E: case 0x9F: case 0xA0: case 0xA1: case 0xA2:
      return true;
    default:
      return false;
  }
}

// DISCONNECT (3.14) and AUTH (3.15): 5.0 may leave out the reason code (then 0x00) and the
// properties; 3.1.1 DISCONNECT has no body.
Errc parse_disconnect(wire::Reader& r, Version v, const Limits& limits, Disconnect& d) noexcept {
  if (!is_v5(v) || r.left() == 0) return finish(r);
  d.reason = r.u8();
  const bool auth = d.type == PacketType::auth;
  if (auth ? !(d.reason == 0x00 || d.reason == 0x18 || d.reason == 0x19) : !disconnect_reason_ok(d.reason))
    return Errc::bad_reason_code;
  if (r.left() > 0) {
    const auto ctx = auth ? PropertyContext::auth : PropertyContext::disconnect;
    if (const Errc e = read_properties(r, ctx, limits, d.properties); e != Errc::ok) return e;
  }
  return finish(r);
}

Errc parse_body(std::span<const std::byte> body, Version v, const Limits& limits, Packet& out, const Scratch& scratch) noexcept {
  wire::Reader r(body);
  const FixedHeader& h = out.header;
  switch (h.type) {
    case PacketType::connect: {
      auto& c = out.body.emplace<Connect>();
      return parse_connect(r, limits, c);
    }
    case PacketType::connack: return parse_connack(r, v, out.body.emplace<Connack>());
    case PacketType::publish: return parse_publish(r, v, h.flags, limits, out.body.emplace<Publish>());
    case PacketType::puback:
    case PacketType::pubrec:
    case PacketType::pubrel:
    case PacketType::pubcomp: {
      auto& a = out.body.emplace<Ack>();
      a.type = h.type;
      return parse_ack(r, v, limits, a);
    }
    case PacketType::subscribe: return parse_subscribe(r, v, limits, scratch, out.body.emplace<Subscribe>());
    case PacketType::suback:
    case PacketType::unsuback: {
      auto& s = out.body.emplace<SubAck>();
      s.type = h.type;
      return parse_suback(r, v, limits, s);
    }
    case PacketType::unsubscribe: return parse_unsubscribe(r, v, limits, scratch, out.body.emplace<Unsubscribe>());
    case PacketType::pingreq:
    case PacketType::pingresp:
      out.body.emplace<Ping>().type = h.type;
      return finish(r);  // no body (3.12, 3.13)
    case PacketType::disconnect:
    case PacketType::auth: {
      auto& d = out.body.emplace<Disconnect>();
      d.type = h.type;
      return parse_disconnect(r, v, limits, d);
    }
  }
  return Errc::bad_packet_type;
}

}  // namespace

ParseResult parse_fixed_header(std::span<const std::byte> in, Version version, const Limits& limits,
                               FixedHeader& out) noexcept {
  if (in.empty()) return {};
  const auto first = static_cast<std::uint8_t>(in[0]);
  const std::uint8_t type = first >> 4;
  out.flags = first & 0x0F;
  if (type == 0 || type > kMaxType) return {.error = Errc::bad_packet_type};
  out.type = static_cast<PacketType>(type);
  if (out.type == PacketType::auth && !is_v5(version)) return {.error = Errc::bad_packet_type};  // 3.1.1 has no AUTH
  if (!flags_ok(out.type, out.flags)) return {.error = Errc::bad_fixed_header_flags};  // MQTT-2.2.2-1, -2
  const VarintResult len = decode_varint(in.subspan(1));
  if (len.error != Errc::ok) return {.error = len.error};
  if (len.size == 0) return {};
  out.remaining = len.value;
  out.size = static_cast<std::uint8_t>(1 + len.size);
  const std::size_t total = std::size_t{out.size} + out.remaining;
  if (total > limits.max_packet_size) return {.error = Errc::packet_too_large};
  return {.error = Errc::ok, .consumed = 0, .wanted = total};
}

ParseResult parse_packet(std::span<const std::byte> in, Version version, const Limits& limits, Packet& out,
                         const Scratch& scratch) noexcept {
  const ParseResult h = parse_fixed_header(in, version, limits, out.header);
  if (h.error != Errc::ok || h.wanted == 0) return h;
  if (in.size() < h.wanted) return h;  // need more: `wanted` tells how much the packet has
  const Errc e = parse_body(in.subspan(out.header.size, out.header.remaining), version, limits, out, scratch);
  if (e != Errc::ok) return {.error = e};
  return {.error = Errc::ok, .consumed = h.wanted, .wanted = h.wanted};
}

}  // namespace zp::codec::mqtt
