/// \file
/// Authoritative DNS server on the engine: UDP on every shard (SO_REUSEPORT, batched
/// recvmmsg/sendmmsg, answers built into per-shard buffers) and TCP (RFC 7766: 2-octet
/// framing, pipelined queries answered in order, idle timeout, size and connection caps),
/// IPv4 and IPv6. Zones live in a ZoneStore shared by the shards; reload() re-reads every
/// zone file and keeps the old zone of a file that no longer parses. Outbound AXFR/IXFR over
/// TCP to each zone's allow_transfer ACL (xfr.h, src/xfr_serve.cpp) and NOTIFY to its notify
/// targets after a reload that raised the serial (notify.h).
/// \code
///   auto store = std::make_shared<zp::dns::ZoneStore>(std::vector<zp::dns::ZoneConfig>{{"example.test.", "db"}});
///   if (auto e = store->load(); !e.empty()) fail(e);
///   zp::dns::ServerOptions o; o.store = store; o.listen = {"127.0.0.1:5353"};
///   auto r = rt.run([&](zp::Shard& s) { return zp::dns::start(s, o); });
/// \endcode
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "zp/dns/answer.h"
#include "zp/dns/notify.h"
#include "zp/dns/rrl.h"
#include "zp/dns/xfr.h"
#include "zp/dns/zone.h"
#include "zp/engine/shard.h"
#include "zp/result.h"

namespace zp::dns {

/// One zone the server loads from a file.
struct ZoneConfig {
  std::string name;  ///< the apex, "example.test." (final dot optional)
  std::string file;  ///< zone file path
  /// Who may AXFR/IXFR the zone: addresses or prefixes ("127.0.0.1", "10.0.0.0/8",
  /// "::1/128"); empty: nobody (REFUSED).
  std::vector<std::string> allow_transfer = {};
  /// Secondaries to NOTIFY (RFC 1996) when a reload raises the serial: "HOST:PORT".
  std::vector<std::string> notify = {};
};

/// The current ZoneSet and how to rebuild it. Thread-safe; readers take a snapshot
/// (snapshot()) and keep it until generation() changes, so the hot path reads one relaxed
/// atomic per batch and takes no lock.
class ZoneStore {
 public:
  /// A store of `zones`, empty until load().
  explicit ZoneStore(std::vector<ZoneConfig> zones, HistoryLimits history = {})
      : configs_(std::move(zones)), history_limits_(history) {}
  /// A store serving already built zones (tests, embedders); reload() keeps them.
  explicit ZoneStore(std::shared_ptr<const ZoneSet> set) : current_(std::move(set)) {}

  /// Reads every zone file. On first load, any error fails the load (returned, one line per
  /// zone: "file:line:col: what"; a bad allow_transfer entry or notify address too); on
  /// reload a zone whose file fails keeps its old data and the error is returned too. Empty
  /// string: every zone loaded. A reloaded zone whose serial grew gets the difference added
  /// to its IXFR history (bounded by the HistoryLimits); an unchanged serial keeps the
  /// history (secondaries see no change either); a serial that went back empties it.
  std::string load();
  /// The current ZoneSet (never null after a successful load()).
  std::shared_ptr<const ZoneSet> snapshot() const {
    std::lock_guard lock(mu_);
    return current_;
  }
  std::uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }  ///< bumped by every load() that changed something

 private:
  std::vector<ZoneConfig> configs_;
  HistoryLimits history_limits_;
  std::mutex load_mu_;  ///< one load at a time
  mutable std::mutex mu_;
  std::shared_ptr<const ZoneSet> current_;
  std::atomic<std::uint64_t> generation_{0};
};

/// Query types counted one by one in the metrics; the rest are "other".
inline constexpr std::uint16_t kCountedQtypes[] = {1, 2, 5, 6, 12, 15, 16, 28, 33, 35, 43, 46, 48, 52, 64, 65, 255};
inline constexpr std::size_t kQtypeSlots = std::size(kCountedQtypes) + 1;  ///< counter slots by query type: the counted ones and "other"
/// The counter slot of `qtype`: its index in kCountedQtypes, or the last slot ("other").
constexpr std::size_t qtype_slot(std::uint16_t qtype) noexcept {
  for (std::size_t i = 0; i < std::size(kCountedQtypes); ++i)
    if (kCountedQtypes[i] == qtype) return i;
  return kQtypeSlots - 1;
}

/// Counters, one block per shard, written only by its shard (relaxed load + store).
struct alignas(64) ShardCounters {
  std::atomic<std::uint64_t> queries_udp{0};  ///< queries received over UDP
  std::atomic<std::uint64_t> queries_tcp{0};  ///< queries received over TCP
  std::atomic<std::uint64_t> rcode[17]{};  ///< by RCODE; [16] BADVERS
  std::atomic<std::uint64_t> truncated{0};  ///< responses sent with TC
  std::atomic<std::uint64_t> dropped{0};   ///< no answer (a response, a runt)
  std::atomic<std::uint64_t> tcp_connections{0};  ///< TCP connections accepted
  std::atomic<std::uint64_t> rrl_dropped{0};  ///< UDP responses RRL withheld
  std::atomic<std::uint64_t> rrl_slipped{0};  ///< UDP responses RRL sent truncated instead
  std::atomic<std::uint64_t> qtype[kQtypeSlots]{};  ///< by qtype_slot()
  /// Adds `by` to c (the owning shard is the only writer).
  static void bump(std::atomic<std::uint64_t>& c, std::uint64_t by = 1) {
    c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }
};

/// The server's counters, one ShardCounters block per shard.
class Metrics {
 public:
  explicit Metrics(unsigned shards) : shards_(shards) {}  ///< counters for `shards` shards
  ShardCounters& shard(unsigned id) { return shards_[id]; }  ///< the block of shard `id`
  unsigned shards() const { return unsigned(shards_.size()); }  ///< blocks held
  /// Prometheus text format, summed over shards: zproto_dns_queries_total{transport}, _responses_total{rcode},
  /// _queries_by_type_total{type}, _truncated_total, _dropped_total, _tcp_connections_total,
  /// _rrl_dropped_total, _rrl_slipped_total.
  std::string render() const;

 private:
  std::vector<ShardCounters> shards_;
};

/// Where and how the authoritative server serves.
struct ServerOptions {
  std::shared_ptr<ZoneStore> store;           ///< required, loaded
  std::vector<std::string> listen = {"127.0.0.1:5353"};  ///< UDP and TCP on each
  bool udp = true;  ///< serve over UDP
  bool tcp = true;  ///< serve over TCP
  std::uint16_t udp_payload_size = 1232;      ///< our EDNS size; caps UDP replies
  int64_t tcp_idle_timeout_ms = 10000;        ///< RFC 7766 §6.2.3: a few seconds
  std::size_t tcp_max_connections = 1000;     ///< per shard; beyond, new ones are closed
  std::size_t tcp_max_message_bytes = 65535;  ///< a larger length prefix closes the connection
  std::size_t udp_batch = 32;                 ///< datagrams per recvmmsg/sendmmsg
  std::shared_ptr<Metrics> metrics;           ///< optional (sized for every shard)
  RrlOptions rrl;                             ///< response rate limiting over UDP (off by default)
  /// Zone transfers (AXFR/IXFR over TCP, to the zones' allow_transfer ACLs).
  std::size_t xfr_max_concurrent = 4;         ///< per shard; beyond, SERVFAIL (the client retries)
  int64_t xfr_send_timeout_ms = 10000;        ///< per message: a stalled client ends the transfer
  std::size_t xfr_max_message_bytes = 16384;  ///< each message of a transfer (≤ 65535)
  NotifyOptions notify;                       ///< NOTIFY retries after a reload raised a serial
  /// Reload the store on this shard's reload event (SIGHUP); set on one shard only.
  bool reload_on_signal = true;
};

/// Binds UDP and TCP on every listen address on this shard (SO_REUSEPORT) and serves until
/// the shard stops. Call on the shard's thread. EADDRINUSE, EINVAL (bad address, no store).
/// Shard 0 reloads the store on the shard's reload event when reload_on_signal is set, on a
/// helper thread (serving goes on meanwhile; the shards pick the new zones up when it is done).
Result<void> start(Shard& shard, const ServerOptions& options);

}  // namespace zp::dns
