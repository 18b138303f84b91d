// Helpers shared by the codecs/url tests: reading vector files (ZP_CODEC_VECTORS_DIR) and
// their quoted, C-escaped strings.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

namespace zp_url_test {

// Non-empty lines of a vector file that do not start with '#'.
inline std::vector<std::string> read_lines(const std::string& name) {
  std::ifstream f(std::string(ZP_CODEC_VECTORS_DIR) + "/" + name);
  EXPECT_TRUE(f) << "missing vector file " << name;
  std::vector<std::string> out;
  for (std::string line; std::getline(f, line);)
    if (!line.empty() && line[0] != '#') out.push_back(line);
  return out;
}

// Undoes \r \n \t \0 \\ \" \xNN.
inline std::string unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    switch (s[++i]) {
      case 'r': out += '\r'; break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case '0': out += '\0'; break;
      case 'x':
        out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
        i += 2;
        break;
      default: out += s[i];
    }
  }
  return out;
}

// Splits `<word> "<quoted>"` into word and the unescaped quoted text.
inline bool split_vector(const std::string& line, std::string& word, std::string& text) {
  const auto sp = line.find(" \"");
  if (sp == std::string::npos || line.size() < sp + 3 || line.back() != '"') return false;
  word = unescape(line.substr(0, sp));
  text = unescape(line.substr(sp + 2, line.size() - sp - 3));
  return true;
}

}  // namespace zp_url_test
