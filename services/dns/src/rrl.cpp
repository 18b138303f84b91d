// Response rate limiting: a bounded open-addressed table of token buckets keyed by a seeded
// hash of (client prefix, response class, name), with a short probe and eviction of the
// stalest bucket when every probed one is taken.
#include "zp/dns/rrl.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <random>

namespace zp::dns {

namespace {

constexpr std::size_t kProbe = 4;  // buckets looked at per key

std::uint64_t mix(std::uint64_t h, std::uint64_t v) noexcept {
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 31);
}

std::uint64_t mix_bytes(std::uint64_t h, const std::byte* p, std::size_t n) noexcept {
  while (n >= 8) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    h = mix(h, v);
    p += 8;
    n -= 8;
  }
  std::uint64_t tail = n;
  for (std::size_t i = 0; i < n; ++i) tail = (tail << 8) | std::uint64_t(p[i]);
  return mix(h, tail);
}

// The client's address masked to `bits`, into `out` (16 octets); its family tag, or 0.
int client_prefix(const sockaddr* sa, std::uint8_t v4_bits, std::uint8_t v6_bits, std::byte* out) noexcept {
  const std::byte* addr = nullptr;
  std::size_t len = 0;
  std::uint8_t bits = 0;
  int tag = 0;
  if (sa->sa_family == AF_INET) {
    addr = reinterpret_cast<const std::byte*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr);
    len = 4;
    bits = v4_bits;
    tag = 4;
  } else if (sa->sa_family == AF_INET6) {
    const in6_addr& a6 = reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
    addr = reinterpret_cast<const std::byte*>(&a6);
    if (IN6_IS_ADDR_V4MAPPED(&a6)) {  // a dual-stack socket's IPv4 client
      addr += 12;
      len = 4;
      bits = v4_bits;
      tag = 4;
    } else {
      len = 16;
      bits = v6_bits;
      tag = 6;
    }
  } else {
    return 0;
  }
  std::memset(out, 0, 16);
  bits = std::min<std::uint8_t>(bits, std::uint8_t(len * 8));
  const std::size_t whole = bits / 8;
  std::memcpy(out, addr, whole);
  if (bits % 8) out[whole] = addr[whole] & std::byte(0xFF << (8 - bits % 8));
  return tag;
}

}  // namespace

Rrl::Rrl(const RrlOptions& o) : opts_(o) {
  std::size_t n = 16;
  while (n < o.table_size && n < (std::size_t(1) << 26)) n <<= 1;
  buckets_.resize(n);
  opts_.window_s = std::max<std::uint32_t>(o.window_s, 1);
  std::random_device rd;  // the seed keeps outsiders from aiming keys at one bucket
  seed_ = (std::uint64_t(rd()) << 32) | rd();
}

RrlAction Rrl::check(const sockaddr* peer, ResponseKind kind, std::uint16_t qtype, std::span<const std::byte> name,
                     std::int64_t now_ms) noexcept {
  const std::int64_t rate = opts_.responses_per_second;
  if (rate == 0 || !peer) return RrlAction::send;
  std::byte prefix[16];
  const int tag = client_prefix(peer, opts_.ipv4_prefix, opts_.ipv6_prefix, prefix);
  if (tag == 0) return RrlAction::send;
  std::uint64_t h = mix(seed_, std::uint64_t(tag) << 8 | std::uint64_t(kind));
  h = mix_bytes(h, prefix, tag == 4 ? 4 : 16);
  if (kind == ResponseKind::answer) h = mix(h, qtype);
  h = mix_bytes(h, name.data(), name.size());
  const std::uint64_t key = h ? h : 1;

  const std::size_t mask = buckets_.size() - 1;
  Bucket* b = nullptr;
  Bucket* victim = nullptr;
  for (std::size_t i = 0; i < kProbe; ++i) {
    Bucket& c = buckets_[(key + i) & mask];
    if (c.key == key) {
      b = &c;
      break;
    }
    if (!victim || (victim->key != 0 && (c.key == 0 || c.stamp_ms < victim->stamp_ms))) victim = &c;
  }
  const std::int64_t full = rate * 1000;
  if (!b) {
    if (victim->key != 0) ++evictions_;
    b = victim;
    *b = Bucket{key, now_ms, full, 0};
  }
  // Refill at `rate` tokens a second (×1000: `rate` per millisecond), up to one second's worth.
  const std::int64_t elapsed = std::clamp<std::int64_t>(now_ms - b->stamp_ms, 0, std::int64_t(opts_.window_s + 1) * 1000);
  b->balance = std::min(full, b->balance + elapsed * rate);
  b->stamp_ms = std::max(b->stamp_ms, now_ms);
  // Debt is kept for up to `window_s` seconds of the rate: a flood must stop that long to clear.
  b->balance = std::max(b->balance - 1000, -full * std::int64_t(opts_.window_s));
  if (b->balance >= 0) {
    b->limited = 0;
    return RrlAction::send;
  }
  ++b->limited;
  if (opts_.slip != 0 && b->limited % opts_.slip == 0) return RrlAction::slip;
  return RrlAction::drop;
}

std::size_t Rrl::slip_response(std::span<std::byte> msg, std::size_t size) noexcept {
  if (size < 12 || size > msg.size()) return size;
  msg[2] |= std::byte{0x02};  // TC
  for (std::size_t i = 6; i < 12; ++i) msg[i] = std::byte{0};  // ANCOUNT, NSCOUNT, ARCOUNT
  const bool one_question = msg[4] == std::byte{0} && msg[5] == std::byte{1};
  if (!one_question) {
    msg[4] = msg[5] = std::byte{0};
    return 12;
  }
  // The question's name is the message's first: labels or a pointer, never after one.
  std::size_t p = 12;
  bool ended = false;
  while (p < size && !ended) {
    const auto len = std::uint8_t(msg[p]);
    if (len == 0) {
      ++p;
      ended = true;
    } else if ((len & 0xC0) == 0xC0) {
      p += 2;
      ended = true;
    } else if (len > 63) {
      break;
    } else {
      p += 1 + len;
    }
  }
  if (!ended || p + 4 > size) {
    msg[4] = msg[5] = std::byte{0};
    return 12;
  }
  return p + 4;
}

}  // namespace zp::dns
