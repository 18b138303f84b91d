// Character classes of RFC 3986 §2 shared by url.cpp and path.cpp (private header).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace zp::codec::url::detail {

enum : std::uint8_t {
  k_unreserved = 1,  // ALPHA DIGIT - . _ ~
  k_sub_delim = 2,   // ! $ & ' ( ) * + , ; =
  k_colon = 4,       // :
  k_at = 8,          // @
  k_slash = 16,      // /
  k_question = 32,   // ?
  k_pchar = k_unreserved | k_sub_delim | k_colon | k_at,
};

constexpr std::array<std::uint8_t, 256> make_table() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = k_unreserved;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = k_unreserved;
  for (int c = '0'; c <= '9'; ++c) t[c] = k_unreserved;
  for (char c : std::string_view("-._~")) t[static_cast<unsigned char>(c)] = k_unreserved;
  for (char c : std::string_view("!$&'()*+,;=")) t[static_cast<unsigned char>(c)] = k_sub_delim;
  t[':'] = k_colon;
  t['@'] = k_at;
  t['/'] = k_slash;
  t['?'] = k_question;
  return t;
}
inline constexpr std::array<std::uint8_t, 256> char_class = make_table();

inline bool has_class(char c, std::uint8_t mask) noexcept {
  return (char_class[static_cast<unsigned char>(c)] & mask) != 0;
}

// Value of a hex digit, or -1.
inline int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

inline char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

enum class Check { ok, bad_char, bad_percent };

// Every byte of s is in `mask` or starts a valid %XX escape.
inline Check check_component(std::string_view s, std::uint8_t mask) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (s.size() - i < 3) return Check::bad_percent;
      if (hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0) return Check::bad_percent;
      i += 2;
    } else if (!has_class(c, mask)) {
      return Check::bad_char;
    }
  }
  return Check::ok;
}

}  // namespace zp::codec::url::detail
