/// \file
/// /etc/resolv.conf as glibc reads it (resolv.conf(5)): nameserver (IPv4, IPv6 with an
/// optional %zone, and — our extension — "[v6]:port" / "v4:port"), search, domain (the last
/// of search/domain wins), options ndots: timeout: attempts: rotate edns0. A sans-I/O parser
/// over text plus a bounded file loader; unknown keywords and options are ignored as glibc
/// does, each noted in `warnings`.
/// \code
///   auto c = zp::dns::parse_resolv_conf("nameserver 192.0.2.53\nsearch example.test\n");
///   c->servers[0].port() == 53; c->search == {"example.test"}
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zp/engine/net.h"
#include "zp/result.h"

namespace zp::dns {

/// Limits of the resolv.conf parser.
struct ResolvConfLimits {
  std::size_t max_servers = 3;          ///< glibc's MAXNS; later nameserver lines are ignored
  std::size_t max_search = 6;           ///< glibc's MAXDNSRCH
  std::size_t max_search_bytes = 256;   ///< search list, all names together
  std::size_t max_line_bytes = 1024;    ///< longer lines are skipped (a warning)
  std::size_t max_lines = 4096;         ///< later lines are ignored (a warning)
  std::size_t max_file_bytes = 65536;   ///< load_resolv_conf: bigger is bad_config
};

/// What resolv.conf says (see the file comment).
struct ResolvConf {
  std::vector<SocketAddr> servers;      ///< in file order; empty file: 127.0.0.1:53 and [::1]:53
  std::vector<std::string> search;      ///< without trailing dots, lower case kept as written
  unsigned ndots = 1;                   ///< capped at 15 (glibc)
  unsigned timeout_ms = 5000;           ///< per try; "timeout:N" seconds, capped at 30 s
  unsigned attempts = 2;                ///< rounds over the servers; capped at 5
  bool rotate = false;                  ///< start each query at the next server
  bool edns0 = false;                   ///< as written; the resolver sends EDNS regardless (see ResolverOptions)
  std::vector<std::string> warnings;    ///< "line 3: unknown option 'foo'" ...
};

/// Parses the text of a resolv.conf. Never fails: bad lines become warnings.
ResolvConf parse_resolv_conf(std::string_view text, const ResolvConfLimits& limits = {});
/// Reads and parses `path`. A missing file gives the defaults (glibc: a local server);
/// ResolverErrc::bad_config when the file is bigger than max_file_bytes or unreadable.
Result<ResolvConf> load_resolv_conf(const std::string& path, const ResolvConfLimits& limits = {});

}  // namespace zp::dns
