/// \file
/// Errors of the DNS stub resolver (category "zp.dns.resolver"): what a lookup ended with
/// when it produced no answer. NXDOMAIN and NODATA are answers of the DNS, the rest are
/// failures to get one.
/// \code
///   auto a = co_await resolver.query("example.test", zp::codec::dns::rrtype::mx);
///   if (!a && a.error() == zp::dns::ResolverErrc::nxdomain) { ... }
/// \endcode
#pragma once

#include <string_view>
#include <system_error>
#include <type_traits>

namespace zp::dns {

/// What a resolver call failed with (category "zp.dns.resolver").
enum class ResolverErrc : int {
  ok = 0,
  nxdomain = 1,          ///< the name does not exist (RCODE 3)
  nodata = 2,            ///< the name exists, without records of the type asked for
  servfail = 3,          ///< every server answered SERVFAIL (RCODE 2)
  refused = 4,           ///< every server answered REFUSED (RCODE 5)
  timeout = 5,           ///< no usable reply within the attempts and timeouts
  malformed_reply = 6,   ///< replies with our ID and question that do not parse (FORMERR-class)
  no_servers = 7,        ///< no nameserver configured (or none of the query's address family)
  bad_name = 8,          ///< the name asked is not a valid domain or host name
  cname_loop = 9,        ///< a CNAME chain longer than ResolverOptions::max_cname_chain or looping
  not_implemented = 10,  ///< the server answered FORMERR or NOTIMP even without EDNS
  bad_config = 11,       ///< resolv.conf or hosts file unreadable or over its size bound
  too_many_queries = 12, ///< more queries in flight than ResolverOptions::max_inflight
  bad_reply_name = 13,   ///< a name used as a host name in the reply is not one (CVE-2021-3672)
};
const std::error_category& resolver_category() noexcept;  ///< the category of ResolverErrc
inline std::error_code make_error_code(ResolverErrc e) noexcept {  ///< an error_code of `e` (lets ResolverErrc convert to std::error_code)
  return {static_cast<int>(e), resolver_category()};
}
/// "nxdomain", ... for logs and tests; "" when out of range.
std::string_view resolver_errc_name(ResolverErrc e) noexcept;

}  // namespace zp::dns

/// \cond internal
template <>
struct std::is_error_code_enum<zp::dns::ResolverErrc> : std::true_type {};
/// \endcond
