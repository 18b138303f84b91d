// hosts(5) parsing into a lower-cased name table, and host-name validation.
#include <algorithm>
#include <fstream>

#include "zp/dns/hosts.h"
#include "zp/dns/resolver_errc.h"

namespace zp::dns {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string normalise(std::string_view name) {
  if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
  std::string s(name);
  for (auto& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return s;
}

}  // namespace

bool is_host_name(std::string_view name) noexcept {
  if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return false;
  std::size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return label > 0;
}

std::span<const IpAddress> Hosts::lookup(std::string_view name) const {
  auto it = map_.find(normalise(name));
  if (it == map_.end()) return {};
  return it->second;
}

bool Hosts::add(std::string_view name, const IpAddress& a, const HostsLimits& limits) {
  if (entries_ >= limits.max_entries) return false;
  auto& v = map_[normalise(name)];
  if (std::find(v.begin(), v.end(), a) != v.end()) return true;
  if (v.size() >= limits.max_addresses_per_name) return false;
  v.push_back(a);
  ++entries_;
  return true;
}

Hosts parse_hosts(std::string_view text, const HostsLimits& limits) {
  Hosts h;
  std::size_t lineno = 0;
  bool full_noted = false;
  while (!text.empty()) {
    auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    ++lineno;
    const std::string where = "line " + std::to_string(lineno) + ": ";
    if (line.size() > limits.max_line_bytes) {
      h.warnings.push_back(where + "longer than " + std::to_string(limits.max_line_bytes) + " bytes, ignored");
      continue;
    }
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && is_space(line[i])) ++i;
      std::size_t j = i;
      while (j < line.size() && !is_space(line[j])) ++j;
      if (j > i) words.push_back(line.substr(i, j - i));
      i = j;
    }
    if (words.empty()) continue;
    std::string_view addr_text = words[0];
    // A zone index ("fe80::1%eth0") means nothing to a connect by name: drop the line.
    auto addr = IpAddress::parse(addr_text);
    if (!addr) {
      h.warnings.push_back(where + "bad address '" + std::string(addr_text) + "'");
      continue;
    }
    if (words.size() < 2) {
      h.warnings.push_back(where + "address without a name");
      continue;
    }
    for (std::size_t k = 1; k < words.size(); ++k) {
      if (k > limits.max_names_per_line) {
        h.warnings.push_back(where + "more than " + std::to_string(limits.max_names_per_line) + " names, the rest ignored");
        break;
      }
      if (!is_host_name(words[k])) {
        h.warnings.push_back(where + "bad host name '" + std::string(words[k]) + "' ignored");
        continue;
      }
      if (!h.add(words[k], *addr, limits) && !full_noted) {
        h.warnings.push_back(where + "table full (max_entries or max_addresses_per_name), entry ignored");
        full_noted = true;
      }
    }
  }
  return h;
}

Result<Hosts> load_hosts(const std::string& path, const HostsLimits& limits) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Hosts{};
  std::string text(limits.max_file_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return make_error_code(ResolverErrc::bad_config);
  if (static_cast<std::size_t>(in.gcount()) > limits.max_file_bytes) return make_error_code(ResolverErrc::bad_config);
  text.resize(static_cast<std::size_t>(in.gcount()));
  return parse_hosts(text, limits);
}

}  // namespace zp::dns
