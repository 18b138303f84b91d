/// \file
/// Retained messages of one shard (MQTT 3.3.1.3): the last retained PUBLISH per topic, set
/// or deleted (an empty payload) as publishes arrive, and served to a new subscription.
/// Bounded by count and bytes: a new topic past either bound, or an update that would pass
/// max_bytes, is refused and counted; the message stored before stays.
/// \code
///   zp::mqtt::RetainedStore store({.max_messages = 10'000, .max_bytes = 64 << 20});
///   store.set("a/b", 1, payload);
///   store.for_each_match("a/+", [](const zp::mqtt::RetainedMessage& m) { send(m); });
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zp/codec/mqtt/encoding.h"

namespace zp::mqtt {

/// Bounds of a RetainedStore (service parameters).
struct RetainedLimits {
  std::size_t max_messages = 100'000;      ///< topics with a retained message
  std::size_t max_bytes = 256u << 20;      ///< topic + payload + properties bytes of all of them
};

/// One retained message.
struct RetainedMessage {
  std::string topic;               ///< its topic name
  std::uint8_t qos = 0;            ///< the QoS it was published with
  std::vector<std::byte> payload;  ///< never empty (an empty payload deletes)
  std::vector<std::byte> properties;  ///< 5.0 PUBLISH properties, sent with it
  std::int64_t expires_ms = 0;     ///< 5.0 Message Expiry: when it lapses, on the caller's clock; 0: never
};

/// The retained messages of one shard, by topic.
class RetainedStore {
 public:
  /// An empty store with `limits`.
  explicit RetainedStore(RetainedLimits limits = {}) : limits_(limits) {}

  /// What set() did.
  enum class SetResult : std::uint8_t {
    stored,    ///< stored or replaced
    deleted,   ///< an empty payload removed the topic's message (MQTT-3.3.1-10)
    absent,    ///< an empty payload for a topic without one: nothing to do
    refused,   ///< over a bound: not stored (counted in refused())
  };
  /// Stores, replaces or deletes the retained message of `topic`, with its 5.0 properties
  /// and the time it lapses (0: never). Properties count towards max_bytes.
  SetResult set(std::string_view topic, std::uint8_t qos, std::span<const std::byte> payload,
                std::span<const std::byte> properties = {}, std::int64_t expires_ms = 0);

  /// Calls fn(const RetainedMessage&) for each stored message whose topic matches `filter`
  /// and that has not lapsed at `now_ms` (MQTT-3.3.2-5).
  template <class Fn>
  void for_each_match(std::string_view filter, Fn&& fn, std::int64_t now_ms = 0) const {
    const auto live = [now_ms](const RetainedMessage& m) { return m.expires_ms == 0 || m.expires_ms > now_ms; };
    // A filter without wildcards names one topic.
    if (filter.find_first_of("+#") == std::string_view::npos) {
      const auto it = messages_.find(filter);
      if (it != messages_.end() && live(it->second)) fn(it->second);
      return;
    }
    for (const auto& [topic, m] : messages_)
      if (live(m) && codec::mqtt::topic_matches(filter, topic)) fn(m);
  }

  std::size_t size() const noexcept { return messages_.size(); }     ///< retained topics
  std::size_t bytes() const noexcept { return bytes_; }               ///< their topic + payload + properties bytes
  std::uint64_t refused() const noexcept { return refused_; }         ///< sets refused by a bound

 private:
  RetainedLimits limits_;
  std::map<std::string, RetainedMessage, std::less<>> messages_;
  std::size_t bytes_ = 0;
  std::uint64_t refused_ = 0;
};

}  // namespace zp::mqtt
