// The resolver's error category and IpAddress helpers.
#include <arpa/inet.h>

#include <cstring>
#include <string>

#include "zp/dns/ip_address.h"
#include "zp/dns/resolver_errc.h"

namespace zp::dns {

namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "zp.dns.resolver"; }
  std::string message(int v) const override {
    switch (static_cast<ResolverErrc>(v)) {
      case ResolverErrc::ok: return "ok";
      case ResolverErrc::nxdomain: return "no such domain (NXDOMAIN)";
      case ResolverErrc::nodata: return "no records of that type (NODATA)";
      case ResolverErrc::servfail: return "the DNS server failed (SERVFAIL)";
      case ResolverErrc::refused: return "the DNS server refused the query (REFUSED)";
      case ResolverErrc::timeout: return "no reply from the DNS servers (timeout)";
      case ResolverErrc::malformed_reply: return "malformed DNS reply";
      case ResolverErrc::no_servers: return "no DNS server configured";
      case ResolverErrc::bad_name: return "not a valid domain name";
      case ResolverErrc::cname_loop: return "CNAME chain too long or looping";
      case ResolverErrc::not_implemented: return "the DNS server does not implement the query (FORMERR/NOTIMP)";
      case ResolverErrc::bad_config: return "resolver configuration unreadable or too large";
      case ResolverErrc::too_many_queries: return "too many DNS queries in flight";
      case ResolverErrc::bad_reply_name: return "a name in the DNS reply is not a valid host name";
    }
    return "unknown resolver error";
  }
};

}  // namespace

const std::error_category& resolver_category() noexcept {
  static const Category c;
  return c;
}

std::string_view resolver_errc_name(ResolverErrc e) noexcept {
  static constexpr std::string_view names[] = {
      "ok", "nxdomain", "nodata", "servfail", "refused", "timeout", "malformed_reply", "no_servers",
      "bad_name", "cname_loop", "not_implemented", "bad_config", "too_many_queries", "bad_reply_name"};
  const auto i = static_cast<std::size_t>(e);
  return i < std::size(names) ? names[i] : std::string_view();
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  char buf[46];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = 0;
  IpAddress a;
  if (inet_pton(AF_INET, buf, a.bytes.data()) == 1) {
    a.family = AF_INET;
    return a;
  }
  if (inet_pton(AF_INET6, buf, a.bytes.data()) == 1) {
    a.family = AF_INET6;
    return a;
  }
  return std::nullopt;
}

IpAddress IpAddress::v4(const std::uint8_t (&b)[4]) {
  IpAddress a;
  a.family = AF_INET;
  std::memcpy(a.bytes.data(), b, 4);
  return a;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family != AF_INET && family != AF_INET6) return {};
  inet_ntop(family, bytes.data(), buf, sizeof buf);
  return buf;
}

SocketAddr IpAddress::with_port(std::uint16_t port) const {
  SocketAddr s;
  if (family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&s.storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, bytes.data(), 4);
    s.len = sizeof(sockaddr_in);
  } else if (family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&s.storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    std::memcpy(&in6->sin6_addr, bytes.data(), 16);
    s.len = sizeof(sockaddr_in6);
  }
  return s;
}

}  // namespace zp::dns
