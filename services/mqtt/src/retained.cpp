// Retained messages: set, replace and delete within the store's bounds.
#include "zp/mqtt/retained.h"

namespace zp::mqtt {

RetainedStore::SetResult RetainedStore::set(std::string_view topic, std::uint8_t qos, std::span<const std::byte> payload) {
  const auto it = messages_.find(topic);
  if (payload.empty()) {
    if (it == messages_.end()) return SetResult::absent;
    bytes_ -= it->first.size() + it->second.payload.size();
    messages_.erase(it);
    return SetResult::deleted;
  }
  if (it != messages_.end()) {
    // An update may grow the store past max_bytes only by what the new payload adds.
    const std::size_t next = bytes_ - it->second.payload.size() + payload.size();
    if (next > limits_.max_bytes) return ++refused_, SetResult::refused;
    it->second.payload.assign(payload.begin(), payload.end());
    it->second.qos = qos;
    bytes_ = next;
    return SetResult::stored;
  }
  const std::size_t add = topic.size() + payload.size();
  if (messages_.size() >= limits_.max_messages || bytes_ + add > limits_.max_bytes) return ++refused_, SetResult::refused;
  RetainedMessage m{std::string(topic), qos, std::vector<std::byte>(payload.begin(), payload.end())};
  messages_.emplace(m.topic, std::move(m));
  bytes_ += add;
  return SetResult::stored;
}

}  // namespace zp::mqtt
