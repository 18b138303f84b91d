/// \file
/// An IPv4 or IPv6 address without a port: what the hosts file and A/AAAA records hold.
/// \code
///   auto a = zp::dns::IpAddress::parse("2001:db8::1");   // nullopt for anything else
///   zp::SocketAddr sa = a->with_port(443);
/// \endcode
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "zp/engine/net.h"

namespace zp::dns {

/// An IPv4 or IPv6 address without a port.
struct IpAddress {
  int family = 0;                       ///< AF_INET or AF_INET6
  std::array<std::uint8_t, 16> bytes{};  ///< IPv4 in the first 4 octets

  /// A dotted quad or an RFC 4291 text IPv6 address (no brackets, no zone); nullopt otherwise.
  static std::optional<IpAddress> parse(std::string_view text);
  static IpAddress v4(const std::uint8_t (&b)[4]);  ///< from four octets
  std::string to_string() const;  ///< "192.0.2.1", "2001:db8::1"
  SocketAddr with_port(std::uint16_t port) const;  ///< the socket address of this address and `port`
  bool operator==(const IpAddress& o) const = default;  ///< same family and octets
};

}  // namespace zp::dns
