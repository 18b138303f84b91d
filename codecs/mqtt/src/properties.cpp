// MQTT 5.0 properties (2.2.2): the id table, parsing with the spec's checks, sizing and
// writing.
#include <array>

#include "wire.h"
#include "zp/codec/mqtt/properties.h"

namespace zp::codec::mqtt {

namespace {

enum class Type : std::uint8_t { none, byte, two, four, varint, utf8, binary, pair };

struct Spec {
  Type type = Type::none;
  std::uint16_t contexts = 0;  // bit per PropertyContext
};

constexpr std::uint16_t bit(PropertyContext c) { return static_cast<std::uint16_t>(1u << static_cast<unsigned>(c)); }

using C = PropertyContext;
constexpr std::uint16_t kPublishWill = bit(C::publish) | bit(C::will);
constexpr std::uint16_t kAcks = bit(C::puback) | bit(C::pubrec) | bit(C::pubrel) | bit(C::pubcomp);
constexpr std::uint16_t kAll = 0x3FFF;  // user properties: every context

// The table of 2.2.2.2, indexed by id.
constexpr std::array<Spec, 0x2B> kSpecs = [] {
  std::array<Spec, 0x2B> t{};
  auto set = [&t](PropertyId id, Type type, std::uint16_t ctx) { t[static_cast<std::size_t>(id)] = {type, ctx}; };
  using P = PropertyId;
  set(P::payload_format_indicator, Type::byte, kPublishWill);
  set(P::message_expiry_interval, Type::four, kPublishWill);
  set(P::content_type, Type::utf8, kPublishWill);
  set(P::response_topic, Type::utf8, kPublishWill);
  set(P::correlation_data, Type::binary, kPublishWill);
  set(P::subscription_identifier, Type::varint, bit(C::publish) | bit(C::subscribe));
  set(P::session_expiry_interval, Type::four, bit(C::connect) | bit(C::connack) | bit(C::disconnect));
  set(P::assigned_client_identifier, Type::utf8, bit(C::connack));
  set(P::server_keep_alive, Type::two, bit(C::connack));
  set(P::authentication_method, Type::utf8, bit(C::connect) | bit(C::connack) | bit(C::auth));
  set(P::authentication_data, Type::binary, bit(C::connect) | bit(C::connack) | bit(C::auth));
  set(P::request_problem_information, Type::byte, bit(C::connect));
  set(P::will_delay_interval, Type::four, bit(C::will));
  set(P::request_response_information, Type::byte, bit(C::connect));
  set(P::response_information, Type::utf8, bit(C::connack));
  set(P::server_reference, Type::utf8, bit(C::connack) | bit(C::disconnect));
  set(P::reason_string, Type::utf8,
      bit(C::connack) | kAcks | bit(C::suback) | bit(C::unsuback) | bit(C::disconnect) | bit(C::auth));
  set(P::receive_maximum, Type::two, bit(C::connect) | bit(C::connack));
  set(P::topic_alias_maximum, Type::two, bit(C::connect) | bit(C::connack));
  set(P::topic_alias, Type::two, bit(C::publish));
  set(P::maximum_qos, Type::byte, bit(C::connack));
  set(P::retain_available, Type::byte, bit(C::connack));
  set(P::user_property, Type::pair, kAll);
  set(P::maximum_packet_size, Type::four, bit(C::connect) | bit(C::connack));
  set(P::wildcard_subscription_available, Type::byte, bit(C::connack));
  set(P::subscription_identifier_available, Type::byte, bit(C::connack));
  set(P::shared_subscription_available, Type::byte, bit(C::connack));
  return t;
}();

const Spec* spec_of(std::uint32_t id) noexcept {
  if (id >= kSpecs.size() || kSpecs[id].type == Type::none) return nullptr;
  return &kSpecs[id];
}

// Reads one property's value by its type; `v` gets it.
void read_value(wire::Reader& r, Type type, PropertyView& v) noexcept {
  switch (type) {
    case Type::byte: v.number = r.u8(); break;
    case Type::two: v.number = r.u16(); break;
    case Type::four: v.number = r.u32(); break;
    case Type::varint: v.number = r.varint(); break;
    case Type::utf8: v.text = r.utf8(); break;
    case Type::binary: v.data = r.binary(); break;
    case Type::pair:
      v.name = r.utf8();
      v.text = r.utf8();
      break;
    case Type::none: break;
  }
}

bool is_bool(std::uint32_t v) noexcept { return v <= 1; }

// The range rules of 3.1.2.11, 3.2.2.3, 3.3.2.3: a value that is out of range is a protocol
// error; response topics are topic names (MQTT-3.3.2-14).
Errc check_value(const PropertyView& v) noexcept {
  using P = PropertyId;
  switch (v.id) {
    case P::payload_format_indicator:
    case P::request_problem_information:
    case P::request_response_information:
    case P::maximum_qos:
    case P::retain_available:
    case P::wildcard_subscription_available:
    case P::subscription_identifier_available:
    case P::shared_subscription_available:
      return is_bool(v.number) ? Errc::ok : Errc::bad_property_value;
    case P::topic_alias:  // its own reason code, 0x94 (3.3.2.3.4)
      return v.number != 0 ? Errc::ok : Errc::bad_topic_alias;
    case P::receive_maximum:
    case P::maximum_packet_size:
    case P::subscription_identifier:
      return v.number != 0 ? Errc::ok : Errc::bad_property_value;
    case P::response_topic: {
      const Errc e = check_topic_name(v.text, {});
      return e == Errc::ok ? e : Errc::bad_property_value;
    }
    default:
      return Errc::ok;
  }
}

void store(const PropertyView& v, Properties& p) noexcept {
  using P = PropertyId;
  switch (v.id) {
    case P::payload_format_indicator: p.payload_format_indicator = static_cast<std::uint8_t>(v.number); break;
    case P::message_expiry_interval: p.message_expiry_interval = v.number; break;
    case P::content_type: p.content_type = v.text; break;
    case P::response_topic: p.response_topic = v.text; break;
    case P::correlation_data: p.correlation_data = v.data; break;
    case P::subscription_identifier:
      if (p.subscription_identifier_count++ == 0) p.subscription_identifier = v.number;
      break;
    case P::session_expiry_interval: p.session_expiry_interval = v.number; break;
    case P::assigned_client_identifier: p.assigned_client_identifier = v.text; break;
    case P::server_keep_alive: p.server_keep_alive = static_cast<std::uint16_t>(v.number); break;
    case P::authentication_method: p.authentication_method = v.text; break;
    case P::authentication_data: p.authentication_data = v.data; break;
    case P::request_problem_information: p.request_problem_information = static_cast<std::uint8_t>(v.number); break;
    case P::will_delay_interval: p.will_delay_interval = v.number; break;
    case P::request_response_information: p.request_response_information = static_cast<std::uint8_t>(v.number); break;
    case P::response_information: p.response_information = v.text; break;
    case P::server_reference: p.server_reference = v.text; break;
    case P::reason_string: p.reason_string = v.text; break;
    case P::receive_maximum: p.receive_maximum = static_cast<std::uint16_t>(v.number); break;
    case P::topic_alias_maximum: p.topic_alias_maximum = static_cast<std::uint16_t>(v.number); break;
    case P::topic_alias: p.topic_alias = static_cast<std::uint16_t>(v.number); break;
    case P::maximum_qos: p.maximum_qos = static_cast<std::uint8_t>(v.number); break;
    case P::retain_available: p.retain_available = static_cast<std::uint8_t>(v.number); break;
    case P::user_property: ++p.user_property_count; break;
    case P::maximum_packet_size: p.maximum_packet_size = v.number; break;
    case P::wildcard_subscription_available: p.wildcard_subscription_available = static_cast<std::uint8_t>(v.number); break;
    case P::subscription_identifier_available: p.subscription_identifier_available = static_cast<std::uint8_t>(v.number); break;
    case P::shared_subscription_available: p.shared_subscription_available = static_cast<std::uint8_t>(v.number); break;
  }
}

// The fields of a Properties built by hand, in id order, through either sink.
template <class Sink>
void write_fields(Sink& s, const Properties& p) {
  using P = PropertyId;
  for (std::size_t id = 0; id < kSpecs.size(); ++id) {
    const auto pid = static_cast<P>(id);
    if (pid == P::user_property || pid == P::subscription_identifier || !p.has(pid)) continue;
    const Spec* sp = spec_of(static_cast<std::uint32_t>(id));
    if (!sp) {
      s.fail();
      continue;
    }
    s.u8(static_cast<std::uint8_t>(id));
    switch (pid) {
      case P::payload_format_indicator: s.u8(p.payload_format_indicator); break;
      case P::message_expiry_interval: s.u32(p.message_expiry_interval); break;
      case P::content_type: s.utf8(p.content_type); break;
      case P::response_topic: s.utf8(p.response_topic); break;
      case P::correlation_data: s.binary(p.correlation_data); break;
      case P::session_expiry_interval: s.u32(p.session_expiry_interval); break;
      case P::assigned_client_identifier: s.utf8(p.assigned_client_identifier); break;
      case P::server_keep_alive: s.u16(p.server_keep_alive); break;
      case P::authentication_method: s.utf8(p.authentication_method); break;
      case P::authentication_data: s.binary(p.authentication_data); break;
      case P::request_problem_information: s.u8(p.request_problem_information); break;
      case P::will_delay_interval: s.u32(p.will_delay_interval); break;
      case P::request_response_information: s.u8(p.request_response_information); break;
      case P::response_information: s.utf8(p.response_information); break;
      case P::server_reference: s.utf8(p.server_reference); break;
      case P::reason_string: s.utf8(p.reason_string); break;
      case P::receive_maximum: s.u16(p.receive_maximum); break;
      case P::topic_alias_maximum: s.u16(p.topic_alias_maximum); break;
      case P::topic_alias: s.u16(p.topic_alias); break;
      case P::maximum_qos: s.u8(p.maximum_qos); break;
      case P::retain_available: s.u8(p.retain_available); break;
      case P::maximum_packet_size: s.u32(p.maximum_packet_size); break;
      case P::wildcard_subscription_available: s.u8(p.wildcard_subscription_available); break;
      case P::subscription_identifier_available: s.u8(p.subscription_identifier_available); break;
      case P::shared_subscription_available: s.u8(p.shared_subscription_available); break;
      default: break;
    }
  }
}

// The block's content (after its length).
template <class Sink>
void write_content(Sink& s, const Properties& p) {
  if (!p.raw.empty()) {
    s.raw(p.raw);
  } else {
    write_fields(s, p);
    for (const UserProperty& u : p.user) {
      s.u8(static_cast<std::uint8_t>(PropertyId::user_property));
      s.utf8(u.name);
      s.utf8(u.value);
    }
  }
  for (std::uint32_t id : p.subscription_identifiers) {
    if (id == 0) s.fail();
    s.u8(static_cast<std::uint8_t>(PropertyId::subscription_identifier));
    s.varint(id);
  }
}

std::size_t content_size(const Properties& p, bool& bad) noexcept {
  wire::Counter c;
  write_content(c, p);
  bad = c.bad() || c.size() > kMaxVarint;
  return c.size();
}

}  // namespace

bool property_allowed(PropertyId id, PropertyContext ctx) noexcept {
  const Spec* s = spec_of(static_cast<std::uint32_t>(id));
  return s && (s->contexts & bit(ctx));
}

bool PropertyIterator::next(PropertyView& out) noexcept {
  if (pos_ >= raw_.size()) return false;
  wire::Reader r(raw_.subspan(pos_));
  out = {};
  const std::uint32_t id = r.varint();
  const Spec* s = spec_of(id);
  if (!s) return false;  // not a block parse_properties accepted
  out.id = static_cast<PropertyId>(id);
  read_value(r, s->type, out);
  if (r.error() != Errc::ok) return false;
  pos_ += r.pos();
  return true;
}

Errc parse_properties(std::span<const std::byte> in, PropertyContext ctx, const PropertyLimits& limits,
                      Properties& out, std::size_t& consumed) noexcept {
  out = {};
  consumed = 0;
  wire::Reader head(in);
  const std::uint32_t length = head.varint();
  if (head.error() != Errc::ok) return head.error();
  if (length > head.left()) return Errc::truncated;
  out.raw = in.subspan(head.pos(), length);
  wire::Reader r(out.raw);
  std::size_t count = 0;
  while (r.left() > 0) {
    // Ids are varints on the wire (2.2.2.2); every defined one fits in one byte.
    const std::uint32_t id = r.varint();
    if (r.error() != Errc::ok) return r.error();
    const Spec* s = spec_of(id);
    const auto pid = static_cast<PropertyId>(id);
    if (!s || !(s->contexts & bit(ctx))) return Errc::bad_property;
    if (++count > limits.max_properties) return Errc::too_many_properties;
    PropertyView v;
    v.id = pid;
    read_value(r, s->type, v);
    if (r.error() != Errc::ok) return r.error();
    if (pid == PropertyId::user_property) {
      if (out.user_property_count >= limits.max_user_properties) return Errc::too_many_properties;
    } else if (out.has(pid) && !(pid == PropertyId::subscription_identifier && ctx == PropertyContext::publish)) {
      return Errc::duplicate_property;  // only these two may repeat (2.2.2.2, 3.3.2.3.8)
    }
    if (const Errc e = check_value(v); e != Errc::ok) return e;
    out.set(pid);
    store(v, out);
  }
  consumed = head.pos() + length;
  return Errc::ok;
}

std::size_t properties_size(const Properties& p) noexcept {
  bool bad = false;
  const std::size_t n = content_size(p, bad);
  if (bad) return 0;
  return varint_size(static_cast<std::uint32_t>(n)) + n;
}

std::size_t write_properties(const Properties& p, std::span<std::byte> out) noexcept {
  const std::size_t n = properties_size(p);
  if (n == 0 || out.size() < n) return 0;
  return static_cast<std::size_t>(wire::put_properties(p, out.data()) - out.data());
}

namespace wire {
std::byte* put_properties(const Properties& p, std::byte* out) noexcept {
  bool bad = false;
  const std::size_t n = content_size(p, bad);
  Writer w(out);
  w.varint(static_cast<std::uint32_t>(n));
  write_content(w, p);
  return w.pos();
}
}  // namespace wire

}  // namespace zp::codec::mqtt
