/// \file
/// For clients that connect to a name resolved with Resolver::lookup_host (the HTTP and MQTT
/// clients): which lookup errors mean "no such host", and the order to try its addresses in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zp/engine/net.h"
#include "zp/result.h"

namespace zp::dns {

/// True when a lookup_host() error says the name has no address (NXDOMAIN, NODATA, not a host
/// name, a reply naming something that is not one), as against the lookup itself failing.
bool is_no_such_host(const Error& e) noexcept;

/// A client's "HOST:PORT" or "[V6]:PORT": the host (without brackets) and the port.
struct HostPort {
  std::string host;        ///< a name or an address literal, without brackets
  std::uint16_t port = 0;  ///< 1..65535
};
/// Splits s; nullopt when there is no host, no port, or a port outside 1..65535 (a bare
/// IPv6 literal without brackets too: its colons are ambiguous).
std::optional<HostPort> split_host_port(std::string_view s);

/// `addrs` in RFC 8305 §4 attempt order: IPv6 first, then the families alternating.
std::vector<SocketAddr> interleave_families(std::vector<SocketAddr> addrs);

}  // namespace zp::dns
