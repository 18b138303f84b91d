// The TCP side of zone transfers: the plan from xfr.cpp, then one framed message at a time
// with a send timeout per message, and a log line per transfer.
#include "xfr_serve.h"

#include <algorithm>
#include <chrono>
#include <string>

#include "zp/engine/log.h"

namespace zp::dns {

namespace {

Task<Result<std::size_t>> send_all(Stream& s, std::span<const std::byte> data) { co_return co_await s.send(data); }

const char* kind_name(XfrKind k) {
  switch (k) {
    case XfrKind::axfr: return "AXFR";
    case XfrKind::ixfr_incremental: return "IXFR (incremental)";
    case XfrKind::ixfr_full: return "IXFR (full zone)";
    case XfrKind::soa_only: return "IXFR (SOA only)";
  }
  return "?";
}

}  // namespace

Task<bool> serve_transfer(Stream& s, std::shared_ptr<const ZoneSet> zones, std::vector<std::byte> query,
                          std::size_t& active, const ServerOptions& opts, IdleGuard& idle) {
  auto peer = s.peer_addr();
  const std::string who = peer ? peer->to_string() : std::string("?");
  std::vector<std::byte> buf(2 + 65535);
  std::span<std::byte> body(buf.data() + 2, 65535);
  XfrOptions xo;
  xo.max_message_bytes = opts.xfr_max_message_bytes;
  xo.udp_payload_size = opts.udp_payload_size;
  xo.busy = active >= opts.xfr_max_concurrent;
  XfrPlan plan = plan_transfer(std::move(zones), query, peer ? peer->sa() : nullptr, Transport::tcp, body, xo);
  const auto timeout = std::chrono::milliseconds(std::max<int64_t>(1, opts.xfr_send_timeout_ms));
  if (!plan.stream) {
    if (plan.reply_size == 0) co_return true;
    if (plan.rcode != 0) ZP_LOG_INFO("dns: transfer request from {} answered with RCODE {}", who, plan.rcode);
    buf[0] = static_cast<std::byte>(plan.reply_size >> 8);
    buf[1] = static_cast<std::byte>(plan.reply_size & 0xFF);
    auto w = co_await with_timeout(timeout, send_all(s, std::span<const std::byte>(buf.data(), plan.reply_size + 2)));
    co_return bool(w);
  }
  XfrStream& x = *plan.stream;
  std::string zone;
  codec::dns::name_to_text(x.zone().apex(), zone);
  ++active;
  // The idle timer must not end a transfer that is sending: stretch it past one send.
  const int64_t saved_idle = idle.timeout_ms;
  idle.timeout_ms = std::max(saved_idle, timeout.count() + 1000);
  bool ok = true;
  std::string why;
  for (;;) {
    auto n = x.next(body);
    if (!n) {
      ok = false;
      why = n.error().message();
      break;
    }
    if (*n == 0) break;
    buf[0] = static_cast<std::byte>(*n >> 8);
    buf[1] = static_cast<std::byte>(*n & 0xFF);
    idle.touch();
    auto w = co_await with_timeout(timeout, send_all(s, std::span<const std::byte>(buf.data(), *n + 2)));
    if (!w) {
      ok = false;
      why = w.error().message();
      break;
    }
  }
  idle.timeout_ms = saved_idle;
  idle.touch();
  --active;
  if (ok) {
    ZP_LOG_INFO("dns: {} of {} serial {} to {}: {} messages, {} records", kind_name(x.kind()), zone, x.serial(), who,
                x.messages(), x.records_sent());
  } else {
    ZP_LOG_WARN("dns: {} of {} serial {} to {} stopped after {} messages: {}", kind_name(x.kind()), zone, x.serial(),
                who, x.messages(), why);
  }
  co_return ok;
}

}  // namespace zp::dns
