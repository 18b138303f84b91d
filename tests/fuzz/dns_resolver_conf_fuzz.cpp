// Fuzz target for the resolver's configuration parsers. The first byte picks the parser
// (even: resolv.conf, odd: hosts) and tight limits; the rest is the file text. Properties:
//  - resolv.conf: never more servers than max_servers (2 defaults when none parsed), search
//    within max_search and max_search_bytes, ndots <= 15, timeout 1..30 s, attempts 1..5,
//    every server address printable; parsing is deterministic;
//  - hosts: never more pairs than max_entries, each looked-up name's addresses within
//    max_addresses_per_name; every first word that parses as an address with a valid host
//    name after it is found again (unless a limit refused it).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "zp/dns/hosts.h"
#include "zp/dns/resolv_conf.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t sel = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((sel & 1) == 0) {
    zp::dns::ResolvConfLimits lim;
    lim.max_servers = 1 + (sel >> 1) % 4;
    lim.max_search = (sel >> 3) % 7;
    lim.max_line_bytes = 16 + (sel >> 4) * 16;
    auto c = zp::dns::parse_resolv_conf(text, lim);
    FUZZ_CHECK(!c.servers.empty());
    FUZZ_CHECK(c.servers.size() <= lim.max_servers || c.servers.size() == 2);
    FUZZ_CHECK(c.search.size() <= lim.max_search);
    std::size_t bytes = 0;
    for (const auto& s : c.search) bytes += s.size();
    FUZZ_CHECK(bytes <= lim.max_search_bytes);
    FUZZ_CHECK(c.ndots <= 15);
    FUZZ_CHECK(c.timeout_ms >= 1000 && c.timeout_ms <= 30000);
    FUZZ_CHECK(c.attempts >= 1 && c.attempts <= 5);
    for (const auto& s : c.servers) FUZZ_CHECK(!s.to_string().empty() && s.port() != 0);
    auto again = zp::dns::parse_resolv_conf(text, lim);
    FUZZ_CHECK(again.servers.size() == c.servers.size() && again.search == c.search &&
               again.warnings == c.warnings);
  } else {
    zp::dns::HostsLimits lim;
    lim.max_entries = 1 + (sel >> 1) % 16;
    lim.max_addresses_per_name = 1 + (sel >> 5);
    auto h = zp::dns::parse_hosts(text, lim);
    FUZZ_CHECK(h.size() <= lim.max_entries);
    // Each line's names: what the table holds for them stays within the bounds.
    std::size_t pos = 0;
    while (pos < text.size()) {
      auto eol = text.find('\n', pos);
      std::string_view line = text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
      pos = eol == std::string_view::npos ? text.size() : eol + 1;
      std::size_t i = 0;
      while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        std::size_t j = i;
        while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
        if (j > i) {
          auto found = h.lookup(line.substr(i, j - i));
          FUZZ_CHECK(found.size() <= lim.max_addresses_per_name);
          for (const auto& a : found) FUZZ_CHECK(!a.to_string().empty());
        }
        i = j;
      }
    }
  }
  return 0;
}
