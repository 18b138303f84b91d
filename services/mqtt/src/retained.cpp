// Retained messages: set, replace and delete within the store's bounds.
#include "zp/mqtt/retained.h"

namespace zp::mqtt {

namespace {
std::size_t weight(std::span<const std::byte> payload, std::span<const std::byte> properties) {
  return payload.size() + properties.size();
}
}  // namespace

RetainedStore::SetResult RetainedStore::set(std::string_view topic, std::uint8_t qos, std::span<const std::byte> payload,
                                            std::span<const std::byte> properties, std::int64_t expires_ms) {
  const auto it = messages_.find(topic);
  if (payload.empty()) {
    if (it == messages_.end()) return SetResult::absent;
    bytes_ -= it->first.size() + weight(it->second.payload, it->second.properties);
    messages_.erase(it);
    return SetResult::deleted;
  }
  if (it != messages_.end()) {
    // An update may grow the store past max_bytes only by what the new message adds.
    const std::size_t next = bytes_ - weight(it->second.payload, it->second.properties) + weight(payload, properties);
    if (next > limits_.max_bytes) return ++refused_, SetResult::refused;
    it->second.payload.assign(payload.begin(), payload.end());
    it->second.properties.assign(properties.begin(), properties.end());
    it->second.qos = qos;
    it->second.expires_ms = expires_ms;
    bytes_ = next;
    return SetResult::stored;
  }
  const std::size_t add = topic.size() + weight(payload, properties);
  if (messages_.size() >= limits_.max_messages || bytes_ + add > limits_.max_bytes) return ++refused_, SetResult::refused;
  RetainedMessage m{std::string(topic), qos, std::vector<std::byte>(payload.begin(), payload.end()),
                    std::vector<std::byte>(properties.begin(), properties.end()), expires_ms};
  messages_.emplace(m.topic, std::move(m));
  bytes_ += add;
  return SetResult::stored;
}

}  // namespace zp::mqtt
