// A message as the broker keeps it: immutable once made, shared by every session (on any
// shard) it goes to, and by the store's model when it is persisted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace zp::mqtt::detail {

struct Message {
  std::string topic;
  std::vector<std::byte> payload;
  std::vector<std::byte> properties;  // 5.0 PUBLISH properties as received (forwarded as is)
  std::uint8_t qos = 0;
  bool retain = false;
  std::uint32_t origin_shard = 0;     // for 5.0 no-local
  std::uint32_t origin_session = UINT32_MAX;
};
using MessagePtr = std::shared_ptr<const Message>;

}  // namespace zp::mqtt::detail
