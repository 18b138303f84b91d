/// \file
/// /etc/hosts (hosts(5)): "address canonical_name [aliases...]" with '#' comments. A
/// sans-I/O parser into a case-insensitive name → addresses table, and a bounded loader.
/// Lines with a bad address or a bad host name are skipped and noted in `warnings`.
/// \code
///   auto h = zp::dns::parse_hosts("127.0.0.1 localhost\n::1 localhost ip6-localhost\n");
///   h.lookup("LOCALHOST.")   // {127.0.0.1, ::1}, file order
/// \endcode
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "zp/dns/ip_address.h"
#include "zp/result.h"

namespace zp::dns {

/// Limits of the hosts-file parser.
struct HostsLimits {
  std::size_t max_entries = 8192;       ///< (name, address) pairs; later ones are ignored
  std::size_t max_names_per_line = 35;  ///< glibc's MAXALIASES
  std::size_t max_addresses_per_name = 16;  ///< addresses kept per name
  std::size_t max_line_bytes = 1024;    ///< longer lines are skipped (a warning)
  std::size_t max_file_bytes = 1 << 20; ///< load_hosts: bigger is bad_config
};

/// A hosts file as a name → addresses table.
class Hosts {
 public:
  /// The addresses of `name` (any case, trailing dot optional) in file order; empty if none.
  std::span<const IpAddress> lookup(std::string_view name) const;
  std::size_t size() const noexcept { return entries_; }  ///< (name, address) pairs held
  std::vector<std::string> warnings;  ///< "line N: what" for each line skipped

  /// For the parser: adds one pair within the limits; false when a limit refused it.
  bool add(std::string_view name, const IpAddress& a, const HostsLimits& limits);

 private:
  std::unordered_map<std::string, std::vector<IpAddress>> map_;
  std::size_t entries_ = 0;
};

/// Parses hosts-file text. Never fails: bad lines become warnings.
Hosts parse_hosts(std::string_view text, const HostsLimits& limits = {});
/// Reads and parses `path`: a missing file gives an empty table; ResolverErrc::bad_config
/// when bigger than max_file_bytes or unreadable.
Result<Hosts> load_hosts(const std::string& path, const HostsLimits& limits = {});

/// True when `name` (trailing dot optional) is a valid host name for lookups: labels of
/// letters, digits, '-' and '_' (SRV/DKIM labels), 1..63 octets, at most 253 in all.
bool is_host_name(std::string_view name) noexcept;

}  // namespace zp::dns
