// The resolver cache: an LRU list plus an index by lower-cased "name/type".
#include <algorithm>

#include "zp/dns/resolver_cache.h"

namespace zp::dns {

std::string ResolverCache::make_key(std::string_view name, std::uint16_t type) {
  if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
  std::string k;
  k.reserve(name.size() + 6);
  for (char c : name) k.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  k.push_back('/');
  k += std::to_string(type);
  return k;
}

std::optional<CacheHit> ResolverCache::get(std::string_view name, std::uint16_t type, std::int64_t now_ms) {
  auto it = index_.find(make_key(name, type));
  if (it == index_.end()) {
    ++stats_.misses;
    return std::nullopt;
  }
  auto e = it->second;
  if (now_ms >= e->expires_ms) {
    ++stats_.expired;
    ++stats_.misses;
    erase(e);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, e);
  ++stats_.hits;
  CacheHit hit;
  hit.status = e->status;
  hit.ttl_left_s = static_cast<std::uint32_t>((e->expires_ms - now_ms) / 1000);
  if (e->status == ResolverErrc::ok) {
    hit.answer = e->answer;
    hit.answer.from_cache = true;
    // TTLs count down (RFC 1035 §3.2.1: the time left, not the time given).
    const auto elapsed = static_cast<std::uint32_t>((now_ms - e->stored_ms) / 1000);
    auto dec = [&](std::uint32_t t) { return std::min(t > elapsed ? t - elapsed : 0, hit.ttl_left_s); };
    hit.answer.ttl = dec(hit.answer.ttl);
    for (auto& r : hit.answer.cnames) r.ttl = dec(r.ttl);
    for (auto& r : hit.answer.records) r.ttl = dec(r.ttl);
  }
  return hit;
}

void ResolverCache::put(const Answer& answer, std::int64_t now_ms) {
  const std::uint32_t ttl = std::min(answer.ttl, opts_.max_ttl_s);
  if (ttl == 0 || answer.records.empty()) return;
  Entry e{make_key(answer.qname, answer.qtype), ResolverErrc::ok, answer, now_ms,
          now_ms + std::int64_t{ttl} * 1000, 0};
  e.answer.from_cache = false;
  e.bytes = e.key.size() + answer.approx_bytes();
  insert(std::move(e));
}

void ResolverCache::put_negative(std::string_view name, std::uint16_t type, ResolverErrc status, std::uint32_t ttl_s,
                                 std::int64_t now_ms) {
  std::uint32_t ttl = 0;
  if (status == ResolverErrc::nxdomain || status == ResolverErrc::nodata) ttl = std::min(ttl_s, opts_.max_negative_ttl_s);
  else if (status == ResolverErrc::servfail) ttl = opts_.servfail_ttl_s;
  if (ttl == 0) return;
  Entry e{make_key(name, type), status, Answer{}, now_ms, now_ms + std::int64_t{ttl} * 1000, 0};
  e.bytes = e.key.size() + sizeof(Entry);
  insert(std::move(e));
}

void ResolverCache::insert(Entry e) {
  if (e.bytes > opts_.max_bytes || opts_.max_entries == 0) return;
  if (auto it = index_.find(e.key); it != index_.end()) erase(it->second);
  while (!lru_.empty() && (lru_.size() >= opts_.max_entries || bytes_ + e.bytes > opts_.max_bytes)) {
    ++stats_.evictions;
    erase(std::prev(lru_.end()));
  }
  bytes_ += e.bytes;
  lru_.push_front(std::move(e));
  index_.emplace(lru_.front().key, lru_.begin());
  ++stats_.inserts;
}

void ResolverCache::erase(std::list<Entry>::iterator it) {
  bytes_ -= it->bytes;
  index_.erase(it->key);
  lru_.erase(it);
}

void ResolverCache::clear() {
  lru_.clear();
  index_.clear();
  bytes_ = 0;
}

CacheStats ResolverCache::stats() const {
  CacheStats s = stats_;
  s.entries = lru_.size();
  s.bytes = bytes_;
  return s;
}

}  // namespace zp::dns
