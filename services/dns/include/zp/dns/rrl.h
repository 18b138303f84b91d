/// \file
/// Response rate limiting (RRL) for UDP answers, after BIND's and Knot's model: responses are
/// accounted per (client prefix, response class, name) in a bounded per-shard table of token
/// buckets; past `responses_per_second` a response is dropped, except every `slip`-th one,
/// which goes out truncated (TC=1, no records) so a real client retries over TCP, where no
/// limit applies. A spoofed victim therefore gets at most a trickle of small replies.
/// \code
///   zp::dns::Rrl rrl({.responses_per_second = 20});
///   auto act = rrl.check(peer.sa(), a.kind, a.qtype, a.rrl_name, shard.now_ms());
///   if (act == zp::dns::RrlAction::drop) continue;
///   if (act == zp::dns::RrlAction::slip) size = zp::dns::Rrl::slip_response(reply, size);
/// \endcode
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "zp/dns/answer.h"

namespace zp::dns {

/// Response rate limiting (RRL) over UDP.
struct RrlOptions {
  std::uint32_t responses_per_second = 0;  ///< per bucket; 0: RRL off
  std::uint32_t slip = 2;                  ///< every slip-th limited response is sent with TC; 0: none
  std::uint32_t window_s = 15;             ///< a flooding client stays limited up to this long after
  std::uint8_t ipv4_prefix = 24;           ///< client addresses are grouped by these prefixes
  std::uint8_t ipv6_prefix = 56;  ///< IPv6 client grouping prefix
  std::size_t table_size = 65536;          ///< buckets per shard (rounded up to a power of two)
};

/// What to do with a response: send it, send it truncated (slip), or drop it.
enum class RrlAction : std::uint8_t { send, slip, drop };

/// One shard's limiter. Not thread-safe; allocation happens only in the constructor.
class Rrl {
 public:
  /// A limiter with its table sized from `o`.
  explicit Rrl(const RrlOptions& o);

  /// Accounts one response to `peer` (AF_INET or AF_INET6; IPv4-mapped IPv6 counts as IPv4)
  /// of class `kind` (with `qtype` and `name` — the lower-cased wire QNAME for answers, the
  /// zone apex for NXDOMAIN, NODATA and referrals, empty for errors) at `now_ms` (any
  /// monotonic millisecond clock). send: under the rate; slip: over it, send it truncated;
  /// drop: over it, send nothing. Other address families are always `send`.
  RrlAction check(const sockaddr* peer, ResponseKind kind, std::uint16_t qtype, std::span<const std::byte> name,
                  std::int64_t now_ms) noexcept;

  /// Rewrites the response `msg[0, size)` into its truncated form: header (TC set, counts
  /// zeroed but QDCOUNT) and the question only. Returns the new size (12 when the question
  /// cannot be found; `size` itself when it is shorter than a header).
  static std::size_t slip_response(std::span<std::byte> msg, std::size_t size) noexcept;

  std::size_t capacity() const noexcept { return buckets_.size(); }  ///< buckets in the table
  /// Buckets taken over from another key because the probed ones were all in use.
  std::uint64_t evictions() const noexcept { return evictions_; }

 private:
  struct Bucket {
    std::uint64_t key = 0;       // 0: free
    std::int64_t stamp_ms = 0;   // last refill
    std::int64_t balance = 0;    // tokens × 1000; below 0: limited
    std::uint32_t limited = 0;   // limited responses since the bucket last had credit
  };
  RrlOptions opts_;
  std::vector<Bucket> buckets_;
  std::uint64_t evictions_ = 0;
  std::uint64_t seed_ = 0;
};

}  // namespace zp::dns
