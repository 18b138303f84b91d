// NOTIFY to secondaries (RFC 1996): the message, the acknowledgement check, and a task per
// (zone, secondary) that retries with a doubling timeout.
#include "zp/dns/notify.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>
#include <string>

#include "zp/codec/dns/message.h"
#include "zp/codec/dns/writer.h"
#include "zp/dns/xfr.h"
#include "zp/engine/log.h"

namespace zp::dns {

namespace {

using codec::dns::Header;
using codec::dns::MessageWriter;
using codec::dns::Record;
using codec::dns::Section;

std::string zone_text(const Zone& z) {
  std::string s;
  codec::dns::name_to_text(z.apex(), s);
  return s;
}

bool same_peer(const SocketAddr& a, const SocketAddr& b) {
  if (a.family() != b.family() || a.port() != b.port()) return false;
  if (a.family() == AF_INET) {
    return std::memcmp(&reinterpret_cast<const sockaddr_in*>(a.sa())->sin_addr,
                       &reinterpret_cast<const sockaddr_in*>(b.sa())->sin_addr, sizeof(in_addr)) == 0;
  }
  if (a.family() == AF_INET6) {
    return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(a.sa())->sin6_addr,
                       &reinterpret_cast<const sockaddr_in6*>(b.sa())->sin6_addr, sizeof(in6_addr)) == 0;
  }
  return false;
}

// Holds what the detached task needs; the task owns it.
Task<void> notify_task(std::shared_ptr<const Zone> z, std::string target_text, NotifyOptions o) {
  auto addr = SocketAddr::parse(target_text);
  if (!addr) {
    ZP_LOG_ERROR("dns: notify {}: bad address '{}'", zone_text(*z), target_text);
    co_return;
  }
  auto r = co_await send_notify(z, *addr, o);
  if (r) {
    ZP_LOG_INFO("dns: notify {} serial {} to {}: acknowledged", zone_text(*z), z->serial(), target_text);
  } else if (r.error() == std::errc::operation_canceled) {
    ZP_LOG_INFO("dns: notify {} serial {} to {}: stopped (the server is stopping)", zone_text(*z), z->serial(),
                target_text);
  } else {
    ZP_LOG_WARN("dns: notify {} serial {} to {}: {} (gave up after {} attempts)", zone_text(*z), z->serial(),
                target_text, r.error().message(), o.max_attempts);
  }
}

}  // namespace

Result<std::size_t> build_notify(const Zone& z, std::uint16_t id, std::span<std::byte> out) {
  MessageWriter w(out, std::min<std::size_t>(out.size(), 512));
  Header h;
  h.id = id;
  h.set_opcode(kOpcodeNotify);
  h.set_flag(Header::aa_bit, true);
  if (!w.add_question(z.apex(), codec::dns::rrtype::soa, codec::dns::rrclass::in)) return fail(EMSGSIZE);
  // RFC 1996 §3.7: the SOA in the answer section is a hint of the new serial.
  if (!w.add_record(Section::answer, z.records(z.soa())[0])) return fail(EMSGSIZE);
  w.set_header(h);
  auto wire = w.finish();
  if (!wire) return wire.error();
  return wire->size();
}

bool is_notify_reply(std::span<const std::byte> reply, const Zone& z, std::uint16_t id, std::uint16_t& rcode) noexcept {
  Record storage[8];
  codec::dns::Message m;
  codec::dns::Limits lim;
  const auto pr = codec::dns::parse_message(reply, m, storage, lim);
  if (!pr.ok()) return false;
  const Header& h = m.header;
  if (!h.qr() || h.opcode() != kOpcodeNotify || h.id != id) return false;
  // RFC 1996 §4.7 lets the reply's question be the NOTIFY's; require it when present.
  if (!m.question.empty() && !m.question[0].owner.equals(z.apex())) return false;
  rcode = m.rcode();
  return true;
}

Task<Result<void>> send_notify(std::shared_ptr<const Zone> z, SocketAddr target, NotifyOptions o) {
  Shard* shard = Shard::current();
  SocketAddr local;
  {
    auto l = SocketAddr::parse(target.family() == AF_INET6 ? "[::]:0" : "0.0.0.0:0");
    if (!l) co_return l.error();
    local = *l;
  }
  auto sock = UdpSocket::bind(*shard, local, false);
  if (!sock) co_return sock.error();
  std::random_device rd;
  std::byte query[512], reply[4096];
  std::int64_t wait_ms = o.timeout_ms > 0 ? o.timeout_ms : 1000;
  const unsigned attempts = o.max_attempts > 0 ? o.max_attempts : 1;
  for (unsigned attempt = 0; attempt < attempts; ++attempt) {
    const auto id = static_cast<std::uint16_t>(rd());
    auto n = build_notify(*z, id, query);
    if (!n) co_return n.error();
    Datagram d;
    d.peer = target;
    d.data = std::span<std::byte>(query, *n);
    d.size = *n;
    auto s = co_await sock->send_batch(std::span<const Datagram>(&d, 1));
    if (!s) {
      if (s.error() == std::errc::operation_canceled) co_return s.error();
      ZP_LOG_DEBUG("dns: notify {} to {}: send: {}", zone_text(*z), target.to_string(), s.error().message());
    }
    // Wait for the acknowledgement until the deadline; other datagrams are ignored.
    const std::int64_t deadline = shard->now_ms() + wait_ms;
    for (;;) {
      const std::int64_t left = deadline - shard->now_ms();
      if (left <= 0) break;
      Datagram in;
      in.data = std::span<std::byte>(reply, sizeof reply);
      auto r = co_await with_timeout(std::chrono::milliseconds(left), sock->recv_batch(std::span<Datagram>(&in, 1)));
      if (!r) {
        if (r.error() == std::errc::timed_out) break;
        if (r.error() == std::errc::operation_canceled) co_return r.error();
        continue;  // ECONNREFUSED from an ICMP error and the like: wait out the deadline
      }
      std::uint16_t rcode = 0;
      if (!same_peer(in.peer, target) || !is_notify_reply(std::span<const std::byte>(reply, in.size), *z, id, rcode)) {
        continue;
      }
      if (rcode != 0) {
        ZP_LOG_WARN("dns: notify {} to {}: answered with RCODE {}", zone_text(*z), target.to_string(), rcode);
      }
      co_return Result<void>{};
    }
    wait_ms *= 2;
  }
  co_return fail(ETIMEDOUT);
}

void notify_changed(const ZoneSet* before, const std::shared_ptr<const ZoneSet>& now, const NotifyOptions& options) {
  Shard* shard = Shard::current();
  if (!now || !shard) return;
  for (const auto& z : now->zones()) {
    const ZoneTransfer& t = now->transfer(z.get());
    if (t.notify.empty()) continue;
    const Zone* old = before ? before->find(z->apex_key()) : nullptr;
    const bool same = old && std::ranges::equal(old->apex_key(), z->apex_key());
    if (same && !serial_lt(old->serial(), z->serial())) continue;  // unchanged (or went back)
    for (const auto& target : t.notify) {
      auto h = shard->spawn(notify_task(z, target, options));
      if (!h) ZP_LOG_WARN("dns: notify {} to {}: cannot start: {}", zone_text(*z), target, h.error().message());
    }
  }
}

}  // namespace zp::dns
