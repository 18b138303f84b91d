// Prefix parsing and matching for the transfer ACLs; everything as 16-octet IPv6 so an
// IPv4 entry and an IPv4-mapped peer compare the same way.
#include "zp/dns/acl.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace zp::dns {

std::optional<Prefix> Prefix::parse(std::string_view text) {
  std::string_view host = text;
  std::optional<unsigned> len;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    host = text.substr(0, slash);
    std::string_view l = text.substr(slash + 1);
    unsigned v = 0;
    auto [p, ec] = std::from_chars(l.data(), l.data() + l.size(), v);
    if (l.empty() || ec != std::errc() || p != l.data() + l.size()) return std::nullopt;
    len = v;
  }
  if (host.empty() || host.size() > 45) return std::nullopt;
  const std::string h(host);
  Prefix out;
  in_addr a4{};
  in6_addr a6{};
  if (inet_pton(AF_INET, h.c_str(), &a4) == 1) {
    if (len && *len > 32) return std::nullopt;
    out.addr[10] = out.addr[11] = 0xFF;
    std::memcpy(out.addr.data() + 12, &a4, 4);
    out.bits = static_cast<std::uint8_t>(96 + (len ? *len : 32));
  } else if (inet_pton(AF_INET6, h.c_str(), &a6) == 1) {
    if (len && *len > 128) return std::nullopt;
    std::memcpy(out.addr.data(), &a6, 16);
    out.bits = static_cast<std::uint8_t>(len ? *len : 128);
  } else {
    return std::nullopt;
  }
  // Host bits below the length are a typo more often than an intent ("10.1.2.3/8").
  for (unsigned i = out.bits; i < 128; ++i) {
    if (out.addr[i / 8] & (0x80 >> (i % 8))) return std::nullopt;
  }
  return out;
}

bool Prefix::contains(const std::array<std::uint8_t, 16>& a) const noexcept {
  const unsigned full = bits / 8, rest = bits % 8;
  if (std::memcmp(a.data(), addr.data(), full) != 0) return false;
  if (rest == 0) return true;
  const std::uint8_t mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  return (a[full] & mask) == (addr[full] & mask);
}

AclParse Acl::parse(const std::vector<std::string>& entries) {
  Acl acl;
  for (const auto& e : entries) {
    auto p = Prefix::parse(e);
    if (!p) return {std::nullopt, "'" + e + "' is not an IP address or prefix (like 10.0.0.0/8 or ::1/128)"};
    acl.prefixes_.push_back(*p);
  }
  return {std::move(acl), {}};
}

bool Acl::allows(const sockaddr* peer) const noexcept {
  if (!peer) return false;
  std::array<std::uint8_t, 16> a{};
  if (peer->sa_family == AF_INET) {
    const auto* s = reinterpret_cast<const sockaddr_in*>(peer);
    a[10] = a[11] = 0xFF;
    std::memcpy(a.data() + 12, &s->sin_addr, 4);
  } else if (peer->sa_family == AF_INET6) {
    const auto* s = reinterpret_cast<const sockaddr_in6*>(peer);
    std::memcpy(a.data(), &s->sin6_addr, 16);
  } else {
    return false;
  }
  for (const auto& p : prefixes_) {
    if (p.contains(a)) return true;
  }
  return false;
}

}  // namespace zp::dns
