// The recipient policy: local domains, the mailbox table, relay networks.
#include "zp/smtp/policy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace zp::smtp {

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return out;
}

Result<Network> Network::parse(std::string_view text) {
  Network n;
  std::string_view addr = text;
  const std::size_t slash = text.find('/');
  bool has_prefix = false;
  if (slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    const std::string_view p = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n.prefix);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size()) return fail(EINVAL);
    has_prefix = true;
  }
  const std::string a(addr);
  if (inet_pton(AF_INET, a.c_str(), n.addr) == 1) {
    if (!has_prefix) n.prefix = 32;
    if (n.prefix > 32) return fail(EINVAL);
  } else if (inet_pton(AF_INET6, a.c_str(), n.addr) == 1) {
    n.v6 = true;
    if (!has_prefix) n.prefix = 128;
    if (n.prefix > 128) return fail(EINVAL);
  } else {
    return fail(EINVAL);
  }
  return n;
}

bool Network::contains(const SocketAddr& peer) const {
  std::uint8_t a[16]{};
  bool is_v6 = false;
  if (peer.family() == AF_INET) {
    std::memcpy(a, &reinterpret_cast<const sockaddr_in*>(peer.sa())->sin_addr, 4);
  } else if (peer.family() == AF_INET6) {
    const auto* in6 = &reinterpret_cast<const sockaddr_in6*>(peer.sa())->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(in6)) {
      std::memcpy(a, in6->s6_addr + 12, 4);
    } else {
      std::memcpy(a, in6->s6_addr, 16);
      is_v6 = true;
    }
  } else {
    return false;
  }
  if (is_v6 != v6) return false;
  unsigned bits = prefix;
  for (unsigned i = 0; bits > 0; ++i) {
    const unsigned take = std::min(bits, 8u);
    const std::uint8_t mask = std::uint8_t(0xff << (8 - take));
    if ((a[i] & mask) != (addr[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

bool Policy::is_local(std::string_view domain) const {
  const std::string d = ascii_lower(domain);
  return std::find(domains.begin(), domains.end(), d) != domains.end();
}

Decision Policy::route(std::string_view local_part, std::string_view domain, const SocketAddr& peer,
                       bool authenticated) const {
  Decision d;
  // <Postmaster> without a domain (RFC 5321 4.1.1.3) is the first local domain's.
  std::string dom = domain.empty() && !domains.empty() ? domains.front() : ascii_lower(domain);
  if (std::find(domains.begin(), domains.end(), dom) != domains.end()) {
    auto it = mailboxes.find(ascii_lower(local_part) + "@" + dom);
    if (it == mailboxes.end()) it = mailboxes.find("@" + dom);
    if (it == mailboxes.end()) {
      d.route = Route::unknown_user;
      return d;
    }
    d.route = Route::local;
    d.mailbox = it->second;
    return d;
  }
  const bool may_relay = authenticated || std::any_of(relay_networks.begin(), relay_networks.end(),
                                                      [&](const Network& n) { return n.contains(peer); });
  d.route = may_relay ? Route::relay : Route::relay_denied;
  return d;
}

std::vector<std::string> Policy::maildirs() const {
  std::vector<std::string> out;
  for (const auto& [key, dir] : mailboxes)
    if (std::find(out.begin(), out.end(), dir) == out.end()) out.push_back(dir);
  return out;
}

}  // namespace zp::smtp
