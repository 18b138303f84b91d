// A message as the broker keeps it: immutable once made, shared by every session (on any
// shard) it goes to, and by the store's model when it is persisted.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "zp/codec/mqtt/properties.h"

namespace zp::mqtt::detail {

struct Message {
  std::string topic;
  std::vector<std::byte> payload;
  // 5.0 PUBLISH properties as kept (keep_properties): a Message Expiry Interval first, so
  // that each delivery rewrites its four bytes with what remains; no Topic Alias.
  std::vector<std::byte> properties;
  std::int64_t expires_ms = 0;        // steady_ms() when it lapses; 0: never
  std::uint8_t qos = 0;
  bool retain = false;
  std::uint32_t origin_shard = 0;     // for 5.0 no-local
  std::uint32_t origin_session = UINT32_MAX;
};
using MessagePtr = std::shared_ptr<const Message>;

// The steady clock in milliseconds: one time base for every shard (a message crosses them).
inline std::int64_t steady_ms(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// m.properties from a received PUBLISH's (or will's) properties, and m.expires_ms from its
// Message Expiry Interval counted from now_ms. A Topic Alias (it names a topic on one
// connection only) and a Will Delay Interval (not a PUBLISH property) are left out.
void keep_properties(const codec::mqtt::Properties& p, std::int64_t now_ms, Message& m);
// For a message restored from disk: when it lapses, from the interval in its kept
// properties counted from now_ms (the time before the restart is not known); 0: never.
std::int64_t restarted_expiry(std::span<const std::byte> kept, std::int64_t now_ms);
// The same for a stored message: a copy with expires_ms set when it has an expiry.
MessagePtr restart_expiry(MessagePtr m, std::int64_t now_ms);
// Whole seconds left (at least 1 while not lapsed); 0 once lapsed. A message without
// expiry never lapses (UINT32_MAX).
std::uint32_t seconds_left(const Message& m, std::int64_t now_ms);
// The properties to send for m: its kept ones, with the remaining interval written into
// `scratch` when it has an expiry.
std::span<const std::byte> properties_to_send(const Message& m, std::uint32_t seconds_left,
                                              std::vector<std::byte>& scratch);

}  // namespace zp::mqtt::detail
