/// \file
/// Address access lists for zone transfers: IPv4 and IPv6 prefixes ("10.0.0.0/8",
/// "::1/128", a bare address = a host). An IPv4-mapped IPv6 peer (::ffff:a.b.c.d, from a
/// dual-stack listener) matches the IPv4 entries. An empty list allows nobody.
/// \code
///   auto acl = zp::dns::Acl::parse({"127.0.0.1", "::1/128", "10.0.0.0/8"});
///   if (!acl) fail(acl.error_text);
///   if (acl.acl->allows(peer.sa())) serve_transfer();
/// \endcode
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zp::dns {

/// One prefix: 16 address octets (IPv4 as `::ffff:a.b.c.d`) and a length in bits of those 16.
struct Prefix {
  std::array<std::uint8_t, 16> addr{};  ///< the 16 address octets
  std::uint8_t bits = 0;  ///< 0..128 (IPv4 prefixes are 96 + their length)
  /// "192.0.2.0/24", "2001:db8::/32", "127.0.0.1" (/32), "::1" (/128); nullopt otherwise
  /// (bad address, length out of range, host bits set below the length).
  static std::optional<Prefix> parse(std::string_view text);
  bool contains(const std::array<std::uint8_t, 16>& a) const noexcept;  ///< whether `a` (16 octets, IPv4 mapped) lies in the prefix
};

struct AclParse;

/// A list of prefixes a peer must be in (zone transfer ACLs).
class Acl {
 public:
  /// Every entry must parse; the first bad one is the error.
  static AclParse parse(const std::vector<std::string>& entries);

  /// True when the peer (AF_INET or AF_INET6; anything else is never allowed) is in a prefix.
  bool allows(const sockaddr* peer) const noexcept;
  bool empty() const noexcept { return prefixes_.empty(); }  ///< true when it allows nobody
  std::size_t size() const noexcept { return prefixes_.size(); }  ///< prefixes in the list

 private:
  std::vector<Prefix> prefixes_;
};

/// What Acl::parse() returns: the list, or why it is bad.
struct AclParse {
  std::optional<Acl> acl;  ///< the list, when every entry parsed
  std::string error_text;  ///< "'10.0.0.0/33' is not an IP address or prefix (...)"
  explicit operator bool() const noexcept { return acl.has_value(); }  ///< true when the list parsed
};

}  // namespace zp::dns
