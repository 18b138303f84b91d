/// \file
/// DNS stub resolver on the caller's shard: resolv.conf servers, the hosts file, a per-shard
/// cache with coalescing of identical queries in flight, search-list and ndots expansion,
/// and a transport that sends each query from a fresh socket (a kernel-chosen random source
/// port) with a random ID, accepts only replies matching ID, question (any case) and server,
/// sends EDNS0 (1232 octets) and retries without on FORMERR/NOTIMP, retries over TCP on
/// TC=1, and backs off over attempts x servers, least-failing server first.
/// \code
///   zp::dns::Resolver r(shard);                                        // reads /etc/resolv.conf
///   auto mx = co_await r.query("example.test", zp::codec::dns::rrtype::mx);  // Result<Answer>
///   auto ips = co_await r.lookup_host("www.example.test");                  // A + AAAA, hosts first
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zp/dns/hosts.h"
#include "zp/dns/ip_address.h"
#include "zp/dns/resolv_conf.h"
#include "zp/dns/resolver_answer.h"
#include "zp/dns/resolver_cache.h"
#include "zp/dns/resolver_errc.h"
#include "zp/engine/net.h"
#include "zp/engine/shard.h"
#include "zp/engine/task.h"
#include "zp/result.h"

namespace zp::dns {

/// How one query goes over the wire (exchange()).
struct ExchangeOptions {
  unsigned timeout_ms = 5000;      ///< first round, per server; doubled each round (backoff)
  unsigned max_timeout_ms = 30000; ///< backoff cap per try
  unsigned attempts = 2;           ///< rounds over the servers
  bool edns = true;                ///< OPT with udp_payload; dropped after FORMERR/NOTIMP
  std::uint16_t udp_payload = 1232;  ///< our EDNS UDP payload size
  bool tcp = false;                ///< TCP from the start (dig +tcp)
  bool recursion_desired = true;  ///< the RD bit of the queries
  std::size_t max_udp_bytes = 4096;   ///< receive buffer per UDP query
  std::size_t max_tcp_bytes = 65535;  ///< one TCP reply
};

/// A reply that matched its query: ID, question and server. `wire` owns the bytes.
struct Reply {
  std::vector<std::byte> wire;  ///< the reply's octets
  SocketAddr server;  ///< the server that answered
  bool tcp = false;  ///< it came over TCP
  bool edns_sent = false;  ///< the query carried an OPT record
  unsigned tries = 0;             ///< datagrams/connections used
};

/// What the transport keeps between queries: per-server health (consecutive failures order
/// the servers), the rotation point, random IDs drawn from getrandom in batches, and a few
/// idle connected UDP sockets. A socket (its random source port) serves at most
/// max_socket_uses queries, one at a time, and is closed after a timeout or error, so the
/// port keeps changing (c-ares reuses one socket without a bound by default).
struct TransportState {
  TransportState() = default;
  TransportState(const TransportState&) = delete;
  TransportState& operator=(const TransportState&) = delete;
  ~TransportState();

  std::vector<std::uint32_t> failures;  ///< index as the server list
  std::size_t next = 0;                 ///< rotate: first server of the next query
  std::uint16_t ids[64] = {};           ///< unused random IDs: ids[0, ids_left)
  std::size_t ids_left = 0;  ///< how many of `ids` are left
  /// A connected UDP socket kept for the next query to the same server.
  struct IdleSocket {
    SocketAddr server;  ///< the server it is connected to
    int fd = -1;  ///< the socket
    std::uint32_t uses = 0;  ///< queries it served
  };
  std::vector<IdleSocket> idle;         ///< at most max_idle_sockets
  std::size_t max_idle_sockets = 8;  ///< idle sockets kept at most
  std::uint32_t max_socket_uses = 32;   ///< 1: a fresh socket (and port) for every query
};

/// Sends (name, type, IN) to `servers` per `o` and returns the first acceptable reply:
/// NOERROR or NXDOMAIN, or (when every server failed so) the last SERVFAIL/REFUSED/NOTIMP.
/// Errors: timeout, malformed_reply (every matching reply was malformed), no_servers,
/// bad_name, ECANCELED. `name` is presentation format (final dot optional). `state` may be
/// null (no failure tracking, no rotation, one getrandom per ID).
Task<Result<Reply>> exchange(std::vector<SocketAddr> servers, std::string name, std::uint16_t type,
                             ExchangeOptions o, TransportState* state = nullptr, bool rotate = false);

/// Where the resolver reads its configuration, and its limits.
struct ResolverOptions {
  std::string resolv_conf_path = "/etc/resolv.conf";  ///< read when `config` is not set
  std::string hosts_path = "/etc/hosts";  ///< read when `hosts` is not set
  std::optional<ResolvConf> config;   ///< set: used instead of reading resolv_conf_path
  std::optional<Hosts> hosts;         ///< set: used instead of reading hosts_path
  bool use_hosts = true;              ///< lookup_host() consults the hosts table first
  ResolvConfLimits resolv_conf_limits{};  ///< limits of the resolv.conf parser
  HostsLimits hosts_limits{};  ///< limits of the hosts parser
  CacheOptions cache{};  ///< the cache's size and TTL bounds
  bool edns = true;                   ///< EDNS0 on every query (glibc needs "options edns0")
  std::uint16_t udp_payload = 1232;   ///< the DNS flag day 2020 value
  std::size_t max_cname_chain = 8;  ///< CNAME steps followed in one answer
  std::size_t max_inflight = 1024;    ///< distinct queries on the wire at once
  unsigned max_timeout_ms = 30000;  ///< backoff cap per try
  std::uint32_t max_socket_uses = 32;  ///< queries per UDP socket (source port); 1: fresh each time
};

/// Counters of one resolver.
struct ResolverStats {
  std::uint64_t queries = 0;        ///< query()/lookup_host() questions asked
  std::uint64_t cache_hits = 0;  ///< answered from the cache
  std::uint64_t coalesced = 0;      ///< waited on a query already in flight
  std::uint64_t sent = 0;           ///< questions that went to the wire
  std::uint64_t hosts_hits = 0;  ///< answered from the hosts table
};

/// A resolver bound to one shard: use (and destroy) it on that shard's thread. Queries still
/// in flight when it is destroyed end with ECANCELED.
class Resolver {
 public:
  /// A resolver on `shard`, reading its configuration now; a bad one shows in config_error().
  explicit Resolver(Shard& shard, ResolverOptions options = {});
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  /// The RRset of `type` for `name` with the search list applied (a name with a final dot,
  /// or with at least ndots dots, is tried as is first). The answer, or ResolverErrc
  /// (nxdomain, nodata, servfail, refused, timeout, malformed_reply, no_servers, bad_name,
  /// cname_loop, bad_reply_name, too_many_queries, bad_config) or ECANCELED.
  Task<Result<Answer>> query(std::string name, std::uint16_t type);
  /// The same without the search list: `name` is absolute.
  Task<Result<Answer>> query_exact(std::string name, std::uint16_t type);
  /// getaddrinfo-like: a literal address as is; then the hosts table; then A and AAAA in
  /// parallel (search list applied), IPv6 first. nxdomain/nodata when neither has an address.
  Task<Result<std::vector<IpAddress>>> lookup_host(std::string name);
  /// PTR names of `addr` (in-addr.arpa / ip6.arpa).
  Task<Result<std::vector<std::string>>> reverse(IpAddress addr);

  const ResolvConf& config() const;  ///< the configuration in use
  ResolverStats stats() const;  ///< its counters
  CacheStats cache_stats() const;  ///< the cache's counters
  /// The configuration error the constructor met (empty when none); queries then fail with it.
  Error config_error() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

/// The names query() tries for `name`, in order (resolv.conf(5)): only `name` itself when it
/// ends with a dot; else as is first when it has at least ndots dots, then name + each
/// search domain, then as is (when it had fewer dots). Every candidate ends with a dot.
std::vector<std::string> search_names(std::string_view name, const ResolvConf& conf);

/// "4.3.2.1.in-addr.arpa." / nibble form under "ip6.arpa." (RFC 1035 §3.5, RFC 3596 §2.5).
std::string reverse_name(const IpAddress& addr);

}  // namespace zp::dns
