// Variable byte integers, MQTT UTF-8 strings and topic rules (MQTT 3.1.1/5.0 §1.5, §4.7).
#include "zp/codec/mqtt/encoding.h"

#include "zp/codec/utf8.h"

namespace zp::codec::mqtt {

namespace {

constexpr std::string_view kSharePrefix = "$share/";

// One pass over an ASCII topic: '+' and '#' placement level by level, the level count, NUL.
// A topic with a byte >= 0x80 is validated as UTF-8 once more (rare in practice); a UTF-8
// error is reported ahead of a placement error, as if validation ran first.
Errc check_levels(std::string_view s, bool filter, const TopicLimits& limits) noexcept {
  std::size_t levels = 1;
  bool ascii = true;
  Errc e = Errc::ok;
  for (std::size_t i = 0; i < s.size() && e == Errc::ok; ++i) {
    const char c = s[i];
    if (c == '/') {
      if (++levels > limits.max_levels) e = Errc::topic_too_long;
      continue;
    }
    if (c == '\0') return Errc::bad_utf8;  // MQTT-1.5.4-2
    if (static_cast<unsigned char>(c) >= 0x80) ascii = false;
    if (c != '+' && c != '#') continue;
    const bool starts_level = i == 0 || s[i - 1] == '/';
    const bool ends_level = i + 1 == s.size() || s[i + 1] == '/';
    if (!filter) e = Errc::bad_topic_name;
    else if (!starts_level || !ends_level || (c == '#' && i + 1 != s.size())) e = Errc::bad_topic_filter;
  }
  if (!ascii || e != Errc::ok) {
    if (!valid_utf8(s)) return Errc::bad_utf8;
  }
  return e;
}

Errc check_topic(std::string_view s, bool filter, const TopicLimits& limits) noexcept {
  if (s.empty()) return filter ? Errc::bad_topic_filter : Errc::bad_topic_name;
  if (s.size() > limits.max_length) return Errc::topic_too_long;
  return check_levels(s, filter, limits);
}

}  // namespace

std::size_t encode_varint(std::uint32_t v, std::span<std::byte> out) noexcept {
  const std::size_t n = varint_size(v);
  if (n == 0 || out.size() < n) return 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint8_t b = v % 128;
    v /= 128;
    if (i + 1 < n) b |= 0x80;
    out[i] = std::byte{b};
  }
  return n;
}

VarintResult decode_varint(std::span<const std::byte> in) noexcept {
  std::uint32_t value = 0;
  std::uint32_t scale = 1;
  for (std::size_t i = 0; i < 4; ++i) {
    if (i == in.size()) return {};  // more input needed
    const auto b = static_cast<std::uint8_t>(in[i]);
    value += (b & 0x7Fu) * scale;
    if ((b & 0x80u) == 0) {
      // Overlong: a last byte of 0 after a continuation adds nothing (0x80 0x00 == 0x00).
      if (i > 0 && b == 0) return {.error = Errc::bad_varint};
      return {.error = Errc::ok, .size = static_cast<std::uint8_t>(i + 1), .value = value};
    }
    scale *= 128;
  }
  return {.error = Errc::bad_varint};  // a continuation bit on the fourth byte
}

bool valid_utf8(std::string_view s) noexcept {
  return s.find('\0') == std::string_view::npos && codec::valid_utf8(s);  // MQTT-1.5.4-2: no U+0000
}

Errc check_topic_name(std::string_view topic, const TopicLimits& limits) noexcept {
  return check_topic(topic, false, limits);
}

SharedFilter split_shared(std::string_view filter) noexcept {
  if (!filter.starts_with(kSharePrefix)) return {};
  const std::string_view rest = filter.substr(kSharePrefix.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return {.group = rest, .filter = {}};
  return {.group = rest.substr(0, slash), .filter = rest.substr(slash + 1)};
}

Errc check_topic_filter(std::string_view filter, const TopicLimits& limits) noexcept {
  if (const Errc e = check_topic(filter, true, limits); e != Errc::ok) return e;
  if (!filter.starts_with(kSharePrefix)) return Errc::ok;
  const SharedFilter sh = split_shared(filter);
  if (sh.group.empty() || sh.group.find_first_of("+#") != std::string_view::npos) {
    return Errc::bad_topic_filter;
  }
  if (sh.filter.empty()) return Errc::bad_topic_filter;
  return check_topic(sh.filter, true, limits);
}

bool topic_matches(std::string_view filter, std::string_view topic) noexcept {
  if (!topic.empty() && topic.front() == '$' && !filter.empty() &&
      (filter.front() == '+' || filter.front() == '#')) {
    return false;  // MQTT-4.7.2-1
  }
  std::size_t f = 0, t = 0;
  for (;;) {
    const std::size_t fe = filter.find('/', f);
    const std::string_view flevel = filter.substr(f, fe == std::string_view::npos ? fe : fe - f);
    if (flevel == "#") return true;  // this level and every one below, or none ("a/#" ~ "a")
    const std::size_t te = topic.find('/', t);
    const std::string_view tlevel = topic.substr(t, te == std::string_view::npos ? te : te - t);
    if (flevel != "+" && flevel != tlevel) return false;
    const bool fend = fe == std::string_view::npos, tend = te == std::string_view::npos;
    if (fend || tend) {
      if (fend && tend) return true;
      // The filter goes on: only "/#" may follow the topic's last level.
      return tend && filter.substr(fe + 1) == "#";
    }
    f = fe + 1;
    t = te + 1;
  }
}

}  // namespace zp::codec::mqtt
