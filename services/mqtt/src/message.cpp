// The 5.0 properties a broker message keeps, and its Message Expiry on each delivery
// (MQTT-3.3.2-6: the interval sent is what remains).
#include "message.h"

namespace zp::mqtt::detail {

namespace cm = zp::codec::mqtt;

namespace {

constexpr std::byte kExpiryId{0x02};  // Message Expiry Interval: id, then four bytes
constexpr std::size_t kExpiryBytes = 5;

void put_u32be(std::byte* at, std::uint32_t v) {
  at[0] = std::byte(v >> 24);
  at[1] = std::byte(v >> 16);
  at[2] = std::byte(v >> 8);
  at[3] = std::byte(v);
}

bool leads_with_expiry(std::span<const std::byte> kept) { return kept.size() >= kExpiryBytes && kept[0] == kExpiryId; }

std::uint32_t leading_expiry(std::span<const std::byte> kept) {
  return std::uint32_t(kept[1]) << 24 | std::uint32_t(kept[2]) << 16 | std::uint32_t(kept[3]) << 8 | std::uint32_t(kept[4]);
}

}  // namespace

void keep_properties(const cm::Properties& p, std::int64_t now_ms, Message& m) {
  m.properties.clear();
  m.expires_ms = 0;
  if (p.raw.empty()) return;
  m.properties.reserve(p.raw.size());
  if (p.has(cm::PropertyId::message_expiry_interval)) {
    m.properties.resize(kExpiryBytes);
    m.properties[0] = kExpiryId;
    put_u32be(m.properties.data() + 1, p.message_expiry_interval);
    m.expires_ms = now_ms + std::int64_t(p.message_expiry_interval) * 1000;
  }
  cm::PropertyIterator it(p.raw);
  for (;;) {
    const std::size_t from = it.offset();
    cm::PropertyView v;
    if (!it.next(v)) break;
    if (v.id == cm::PropertyId::topic_alias || v.id == cm::PropertyId::message_expiry_interval ||
        v.id == cm::PropertyId::will_delay_interval)
      continue;
    m.properties.insert(m.properties.end(), p.raw.begin() + std::ptrdiff_t(from), p.raw.begin() + std::ptrdiff_t(it.offset()));
  }
}

std::int64_t restarted_expiry(std::span<const std::byte> kept, std::int64_t now_ms) {
  return leads_with_expiry(kept) ? now_ms + std::int64_t(leading_expiry(kept)) * 1000 : 0;
}

MessagePtr restart_expiry(MessagePtr m, std::int64_t now_ms) {
  if (!m || !leads_with_expiry(m->properties)) return m;
  auto copy = std::make_shared<Message>(*m);
  copy->expires_ms = restarted_expiry(m->properties, now_ms);
  return copy;
}

std::uint32_t seconds_left(const Message& m, std::int64_t now_ms) {
  if (m.expires_ms == 0) return UINT32_MAX;
  const std::int64_t left = m.expires_ms - now_ms;
  if (left <= 0) return 0;
  return std::uint32_t((left + 999) / 1000);
}

std::span<const std::byte> properties_to_send(const Message& m, std::uint32_t left, std::vector<std::byte>& scratch) {
  if (m.expires_ms == 0 || !leads_with_expiry(m.properties)) return m.properties;
  scratch.assign(m.properties.begin(), m.properties.end());
  put_u32be(scratch.data() + 1, left == 0 ? 1 : left);
  return scratch;
}

}  // namespace zp::mqtt::detail
