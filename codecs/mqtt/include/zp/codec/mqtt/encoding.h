/// \file
/// MQTT data representation (MQTT 3.1.1 §1.5, MQTT 5.0 §1.5): variable byte integers, UTF-8
/// strings, and the rules for topic names and topic filters (§4.7). The packet parser and
/// the broker's topic tree both check topics with these.
/// \code
///   std::byte buf[4];
///   size_t n = zp::codec::mqtt::encode_varint(321, buf);          // 2 bytes: C1 02
///   auto e = zp::codec::mqtt::check_topic_filter("a/+/#", {});     // Errc::ok
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "zp/codec/mqtt/errc.h"

namespace zp::codec::mqtt {

/// The largest value a variable byte integer holds (four bytes).
inline constexpr std::uint32_t kMaxVarint = 268'435'455;

/// Writes v as a variable byte integer into out; returns the bytes used (1..4), or 0 when
/// v > kMaxVarint or out is too small (nothing meaningful is written then).
std::size_t encode_varint(std::uint32_t v, std::span<std::byte> out) noexcept;
/// The bytes encode_varint uses for v (1..4), 0 when v > kMaxVarint.
constexpr std::size_t varint_size(std::uint32_t v) noexcept {
  return v < 128 ? 1 : v < 16'384 ? 2 : v < 2'097'152 ? 3 : v <= kMaxVarint ? 4 : 0;
}

/// What decode_varint found.
struct VarintResult {
  Errc error = Errc::ok;     ///< ok, or bad_varint (a fifth byte, or an overlong encoding)
  std::uint8_t size = 0;     ///< bytes used; 0 with ok when the input ends inside the integer
  std::uint32_t value = 0;   ///< the value when size > 0
};
/// Reads a variable byte integer from the front of in. An encoding longer than needed (a
/// trailing 0x80 0x00 group) is refused, so every value has exactly one encoding.
VarintResult decode_varint(std::span<const std::byte> in) noexcept;

/// True for an MQTT UTF-8 string: well-formed UTF-8 (no overlong forms, nothing above
/// U+10FFFF), no surrogates U+D800..U+DFFF, no U+0000 (MQTT-1.5.4-1, -2).
bool valid_utf8(std::string_view s) noexcept;

/// Bounds on topic names and filters (service parameters).
struct TopicLimits {
  std::uint16_t max_length = 65535;  ///< bytes (the string length field allows 65,535)
  std::uint16_t max_levels = 128;    ///< '/'-separated levels
};

/// A topic name a PUBLISH may carry: non-empty (MQTT-4.7.3-1), no '+' or '#' (MQTT-3.3.2-2),
/// valid UTF-8, within limits (topic_too_long). Errc::ok, bad_topic_name, bad_utf8 or
/// topic_too_long.
Errc check_topic_name(std::string_view topic, const TopicLimits& limits) noexcept;

/// A topic filter a SUBSCRIBE may carry: non-empty, '+' only as a whole level
/// (MQTT-4.7.1-3), '#' only as the whole last level (MQTT-4.7.1-2), valid UTF-8, within
/// limits. A shared subscription "$share/{group}/{filter}" (MQTT 5.0 §4.8.2) needs a
/// non-empty group without '/', '+' or '#' and a valid filter after it.
Errc check_topic_filter(std::string_view filter, const TopicLimits& limits) noexcept;

/// A shared subscription split into its parts; both empty when `filter` is not one.
struct SharedFilter {
  std::string_view group{};   ///< the share name
  std::string_view filter{};  ///< the topic filter after it
};
/// Splits "$share/group/filter"; the parts are views into `filter`.
SharedFilter split_shared(std::string_view filter) noexcept;

/// True when topic name `topic` matches `filter` (§4.7): '+' one level, '#' this level and
/// every one below (including the parent: "a/#" matches "a"), and a topic starting with '$'
/// not matched by a filter starting with a wildcard (MQTT-4.7.2-1).
bool topic_matches(std::string_view filter, std::string_view topic) noexcept;

}  // namespace zp::codec::mqtt
