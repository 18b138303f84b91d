/// \file
/// Counters of the HTTP server, one block per shard, written only by its shard (single
/// writer: relaxed load+store, no locked instruction) and read by the admin listener on
/// any shard. The blocks live in a table made before the shards start and shared by them.
/// \code
///   auto m = std::make_shared<zp::http::Metrics>(shard_count);
///   opts.metrics = m; opts.admin_listen = "127.0.0.1:9100";   // GET /metrics
/// \endcode
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace zp::http {

/// The server's counters on one shard, written only by that shard.
struct alignas(64) ShardCounters {
  std::atomic<uint64_t> accepted{0};  ///< connections accepted
  std::atomic<uint64_t> open{0};  ///< connections open now
  std::atomic<uint64_t> requests{0};  ///< requests answered
  std::atomic<uint64_t> status_class[6]{};  ///< by status class: [1..5] for 1xx..5xx
  std::atomic<uint64_t> body_bytes{0};  ///< response body bytes sent
  std::atomic<uint64_t> bad_requests{0};     ///< closed for a malformed head
  std::atomic<uint64_t> status_code[600]{};  ///< by status code (100..599)
  /// Request duration (head received → response sent) as a Prometheus histogram: counts per
  /// bucket (not cumulative; render() sums), and the sum in microseconds.
  static constexpr uint64_t kLatencyBoundsUs[] = {100, 250, 500, 1000, 2500, 5000, 10000, 25000,
                                                  50000, 100000, 250000, 500000, 1000000, 2500000, 10000000};
  static constexpr size_t kLatencyBuckets = std::size(kLatencyBoundsUs) + 1;  ///< + "+Inf"
  std::atomic<uint64_t> latency_bucket[kLatencyBuckets]{};  ///< request durations, per bucket of kLatencyBoundsUs
  std::atomic<uint64_t> latency_sum_us{0};  ///< their sum in microseconds
  /// The owning shard is the only writer.
  static void bump(std::atomic<uint64_t>& c, uint64_t by = 1) {
    c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }
  /// Counts one request that took `us` microseconds.
  void observe_latency_us(uint64_t us) {
    size_t i = 0;
    while (i < std::size(kLatencyBoundsUs) && us > kLatencyBoundsUs[i]) ++i;
    bump(latency_bucket[i]);
    bump(latency_sum_us, us);
  }
};

/// The server's counters, one ShardCounters block per shard.
class Metrics {
 public:
  explicit Metrics(unsigned shards) : shards_(shards) {}  ///< counters for `shards` shards
  ShardCounters& shard(unsigned id) { return shards_[id]; }  ///< the block of shard `id`
  unsigned shards() const { return unsigned(shards_.size()); }  ///< blocks held
  /// Prometheus text exposition format (version 0.0.4), summed over shards.
  std::string render() const;

 private:
  std::vector<ShardCounters> shards_;
};

}  // namespace zp::http
