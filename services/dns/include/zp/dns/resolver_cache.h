/// \file
/// The stub resolver's per-shard cache (Unbound's semantics, scaled down): positive answers
/// for min(TTL, max_ttl_s), TTL 0 not stored, negative answers (NXDOMAIN, NODATA) for the
/// RFC 2308 TTL capped at max_negative_ttl_s, SERVFAIL for servfail_ttl_s; TTLs counted
/// down on reads; bounded in entries and bytes, the least recently used evicted first. No
/// clock of its own: every call takes now_ms, so tests drive time by hand.
/// \code
///   ResolverCache c({});
///   c.put(answer, now_ms);                          // or put_negative(...)
///   if (auto hit = c.get("www.example.test.", rrtype::a, now_ms)) ...
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "zp/dns/resolver_answer.h"

namespace zp::dns {

/// Size and TTL bounds of the resolver's cache.
struct CacheOptions {
  std::size_t max_entries = 10000;  ///< entries kept at most
  std::size_t max_bytes = std::size_t{8} << 20;  ///< approximate (Answer::approx_bytes)
  std::uint32_t max_ttl_s = 86400;               ///< positive TTL cap
  std::uint32_t max_negative_ttl_s = 3600;       ///< RFC 2308 §5 suggests 1-3 hours at most
  std::uint32_t servfail_ttl_s = 5;              ///< RFC 2308 §7.1 "brief"; 0: not cached
};

/// Cache counters.
struct CacheStats {
  /// Lookups found and missed, entries inserted, evicted and expired.
  ///@{
  std::uint64_t hits = 0, misses = 0, inserts = 0, evictions = 0, expired = 0;
  ///@}
  /// Entries held and their approximate bytes.
  ///@{
  std::size_t entries = 0, bytes = 0;
  ///@}
};

/// One cached result: status ok with the answer (TTLs decremented), or a negative status.
struct CacheHit {
  ResolverErrc status = ResolverErrc::ok;  ///< ok, or the negative result cached
  Answer answer;  ///< the answer (status ok)
  std::uint32_t ttl_left_s = 0;  ///< seconds the entry has left
};

/// A per-shard cache of answers and negative results, bounded by CacheOptions.
class ResolverCache {
 public:
  /// An empty cache.
  explicit ResolverCache(CacheOptions o = {}) : opts_(o) {}

  /// The live entry for (name, type), any case; nullopt when absent or expired (then removed).
  std::optional<CacheHit> get(std::string_view name, std::uint16_t type, std::int64_t now_ms);
  /// Stores a positive answer under (answer.qname, answer.qtype) for min(answer.ttl,
  /// max_ttl_s); TTL 0 or an answer bigger than max_bytes is not stored.
  void put(const Answer& answer, std::int64_t now_ms);
  /// Stores nxdomain/nodata for min(ttl_s, max_negative_ttl_s) or servfail for
  /// servfail_ttl_s; other statuses are not cached.
  void put_negative(std::string_view name, std::uint16_t type, ResolverErrc status, std::uint32_t ttl_s,
                    std::int64_t now_ms);
  void clear();  ///< drops every entry
  CacheStats stats() const;  ///< its counters

 private:
  struct Entry {
    std::string key;
    ResolverErrc status;
    Answer answer;
    std::int64_t stored_ms;
    std::int64_t expires_ms;
    std::size_t bytes;
  };
  static std::string make_key(std::string_view name, std::uint16_t type);
  void insert(Entry e);
  void erase(std::list<Entry>::iterator it);

  CacheOptions opts_;
  std::list<Entry> lru_;  ///< most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  std::size_t bytes_ = 0;
  CacheStats stats_;
};

}  // namespace zp::dns
