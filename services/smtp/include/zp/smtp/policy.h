/// \file
/// Who may send mail to whom through the SMTP server: the local domains, the mailbox of each
/// local recipient (an exact address, or a domain's catch-all), and the networks allowed to
/// relay. Recipients map through this table only: an address never becomes a path.
/// \code
///   zp::smtp::Policy p;
///   p.domains = {"local.test"};
///   p.mailboxes = {{"alice@local.test", "/var/mail/alice"}, {"@local.test", "/var/mail/all"}};
///   auto d = p.route("Alice@Local.Test", peer);   // Route::local, d.mailbox "/var/mail/alice"
/// \endcode
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "zp/engine/net.h"
#include "zp/result.h"

namespace zp::smtp {

/// An IPv4 or IPv6 network (CIDR); IPv4-mapped IPv6 peers match IPv4 networks.
struct Network {
  bool v6 = false;           ///< an IPv6 network
  std::uint8_t addr[16]{};   ///< network address (the first 4 octets for IPv4)
  unsigned prefix = 0;       ///< prefix length in bits
  /// Parses "192.0.2.0/24", "2001:db8::/32" or a bare address (a host network); EINVAL otherwise.
  static Result<Network> parse(std::string_view text);
  /// True when `peer` (AF_INET or AF_INET6) lies in the network.
  bool contains(const SocketAddr& peer) const;
};

/// What route() decided for one recipient.
enum class Route : std::uint8_t {
  local,         ///< a local mailbox: `mailbox` names its Maildir
  unknown_user,  ///< a local domain without this user and without a catch-all (550 5.1.1)
  relay,         ///< another domain, and the client may relay
  relay_denied,  ///< another domain, and the client may not relay (554 5.7.1)
};

/// The result of route().
struct Decision {
  Route route = Route::relay_denied;  ///< what to do
  std::string mailbox;                ///< local: the Maildir directory
};

/// The recipient policy (read-only once the server runs; shared by every shard).
struct Policy {
  std::vector<std::string> domains;               ///< local domains, lower case
  /// "user@domain" (lower case) or "@domain" (that domain's catch-all) -> Maildir directory.
  std::map<std::string, std::string, std::less<>> mailboxes;
  std::vector<Network> relay_networks;            ///< clients that may relay; empty: none (not even loopback)
  /// True when `domain` (any case) is one of `domains`.
  bool is_local(std::string_view domain) const;
  /// Routes `local_part@domain` for a client at `peer`; `authenticated`: it logged in (AUTH).
  /// The local part is compared without case; quoted local parts are looked up as sent.
  Decision route(std::string_view local_part, std::string_view domain, const SocketAddr& peer,
                 bool authenticated) const;
  /// Every distinct Maildir directory of `mailboxes`.
  std::vector<std::string> maildirs() const;
};

/// `s` in ASCII lower case.
std::string ascii_lower(std::string_view s);

}  // namespace zp::smtp
