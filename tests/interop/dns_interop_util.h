// Helpers of the DNS interop tests: regex checks, and kdig
// output normalized for comparing two servers (ID, timings and peer dropped; each
// section's lines sorted, as RR order within a section carries no meaning).
#pragma once

#include <algorithm>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace zp::test {

inline bool has(const std::string& out, const std::string& re) { return std::regex_search(out, std::regex(re)); }

inline std::string normalize_kdig(const std::string& out) {
  std::map<std::string, std::vector<std::string>> sections;
  std::string section = "header";
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.starts_with(";; Received") || line.starts_with(";; Time") ||
        line.starts_with(";; From")) {
      continue;
    }
    line = std::regex_replace(line, std::regex("id: [0-9]+"), "id: N");
    line = std::regex_replace(line, std::regex("\\s+"), " ");
    if (line.starts_with(";; ") && line.find("SECTION") != std::string::npos) {
      section = line;
      continue;
    }
    sections[section].push_back(line);
  }
  std::string norm;
  for (auto& [name, lines] : sections) {
    std::sort(lines.begin(), lines.end());
    norm += name + "\n";
    for (const auto& l : lines) norm += "  " + l + "\n";
  }
  return norm;
}

}  // namespace zp::test
