// Character classes of RFC 9110/9112 as one 256-entry table (internal to the codec).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace zp::codec::http1::detail {

enum : std::uint8_t {
  kToken = 1,   // tchar (RFC 9110 §5.6.2)
  kValue = 2,   // field-vchar / obs-text / SP / HTAB (RFC 9110 §5.5)
  kTarget = 4,  // VCHAR: request-target bytes (RFC 3986 characters, checked loosely)
  kHost = 8,    // uri-host [":" port]: unreserved / pct / sub-delims / ":" / "[" / "]"
  kHex = 16,
  kOws = 32,    // SP / HTAB
};

constexpr std::array<std::uint8_t, 256> make_table() {
  std::array<std::uint8_t, 256> t{};
  constexpr std::string_view tchar_extra = "!#$%&'*+-.^_`|~";
  constexpr std::string_view host_extra = "-._~%!$&'()*+,;=:[]";
  for (int c = 0; c < 256; ++c) {
    std::uint8_t v = 0;
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    if (alpha || digit || tchar_extra.find(static_cast<char>(c)) != std::string_view::npos) v |= kToken;
    if (c == '\t' || (c >= 0x20 && c != 0x7f)) v |= kValue;
    if (c > 0x20 && c < 0x7f) v |= kTarget;
    if (alpha || digit || host_extra.find(static_cast<char>(c)) != std::string_view::npos) v |= kHost;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) v |= kHex;
    if (c == ' ' || c == '\t') v |= kOws;
    t[static_cast<std::size_t>(c)] = v;
  }
  return t;
}
inline constexpr std::array<std::uint8_t, 256> kChars = make_table();

inline bool is(char c, std::uint8_t cls) noexcept {
  return (kChars[static_cast<unsigned char>(c)] & cls) != 0;
}

inline int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  return (c | 0x20) - 'a' + 10;
}

// `s` equals the lower-case token `lower` ignoring ASCII case. Exact for tokens: only
// upper-case letters map onto lower-case letters under |0x20.
inline bool iequals_lower(std::string_view s, std::string_view lower) noexcept {
  if (s.size() != lower.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if ((s[i] | 0x20) != lower[i]) return false;
  return true;
}

inline std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace zp::codec::http1::detail
