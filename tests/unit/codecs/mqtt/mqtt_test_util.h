// Helpers of the MQTT codec tests: packets written as hex with quoted ASCII.
#pragma once

#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace zp::codec::mqtt::test {

// "10 0c 'MQTT' 04": hex byte pairs and 'quoted text', separated by spaces.
inline std::vector<std::byte> wire(std::string_view s) {
  std::vector<std::byte> out;
  std::size_t i = 0;
  auto hex = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10; };
  while (i < s.size()) {
    if (s[i] == ' ') {
      ++i;
    } else if (s[i] == '\'') {
      const std::size_t end = s.find('\'', i + 1);
      for (std::size_t j = i + 1; j < end; ++j) out.push_back(static_cast<std::byte>(s[j]));
      i = end + 1;
    } else {
      out.push_back(static_cast<std::byte>(hex(s[i]) * 16 + hex(s[i + 1])));
      i += 2;
    }
  }
  return out;
}

inline std::string text(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

}  // namespace zp::codec::mqtt::test
