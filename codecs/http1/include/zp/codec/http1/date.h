/// \file
/// HTTP dates (RFC 9110 §5.6.7): IMF-fixdate formatting with a one-second cache (the Date
/// field), and a parser for the three accepted formats (If-Modified-Since, If-Range, ...).
/// \code
///   DateCache dc;                                    // one per shard
///   std::string_view d = dc.get(now_seconds);        // "Sun, 06 Nov 1994 08:49:37 GMT"
///   auto t = parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT");   // optional<int64_t>
/// \endcode
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <span>
#include <string_view>

namespace zp::codec::http1 {

/// Length of an IMF-fixdate.
inline constexpr std::size_t imf_fixdate_bytes = 29;

/// Writes the IMF-fixdate of `t` (seconds since the epoch, UTC) into `out`. Years outside
/// 0..9999 are clamped to that range's ends.
void format_imf_fixdate(std::time_t t, std::span<char, imf_fixdate_bytes> out) noexcept;

/// Formats once per second: get() returns the cached text while `t` stays the same second.
/// Not thread-safe: one per shard. The view lives until the next get() with another second.
class DateCache {
 public:
  /// The IMF-fixdate of `t`, formatted again only when the second changed.
  std::string_view get(std::time_t t) noexcept {
    if (t != cached_ || !valid_) {
      format_imf_fixdate(t, std::span<char, imf_fixdate_bytes>(text_));
      cached_ = t;
      valid_ = true;
    }
    return {text_.data(), text_.size()};
  }

 private:
  std::array<char, imf_fixdate_bytes> text_{};
  std::time_t cached_ = 0;
  bool valid_ = false;
};

/// Parses an HTTP-date in any of the three formats of RFC 9110 §5.6.7: IMF-fixdate
/// ("Sun, 06 Nov 1994 08:49:37 GMT"), RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT"; the codec
/// has no clock, so two-digit years map to a fixed window: 00-69 → 20xx, 70-99 → 19xx) and
/// asctime ("Sun Nov  6 08:49:37 1994").
/// Returns seconds since the epoch, or nullopt when malformed (wrong weekday name, field out
/// of range, trailing bytes). The weekday is not checked against the date.
std::optional<std::int64_t> parse_http_date(std::string_view s) noexcept;

}  // namespace zp::codec::http1
