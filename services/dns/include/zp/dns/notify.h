/// \file
/// NOTIFY (RFC 1996) from a primary: the message (opcode NOTIFY, AA, the zone's SOA in the
/// answer section), the check of a secondary's acknowledgement, and a task that sends one
/// NOTIFY over UDP and retries with a doubling timeout until it is acknowledged.
/// \code
///   auto r = co_await zp::dns::send_notify(zone, *zp::SocketAddr::parse("127.0.0.1:5300"), {});
///   if (!r) log(r.error());   // ETIMEDOUT: no acknowledgement after every attempt
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "zp/dns/xfr.h"
#include "zp/dns/zone.h"
#include "zp/engine/net.h"
#include "zp/engine/task.h"
#include "zp/result.h"

namespace zp::dns {

/// The NOTIFY for `z`'s current version (question: apex SOA IN; answer: the SOA) with `id`
/// into `out`; its size, or EMSGSIZE when `out` is too small.
Result<std::size_t> build_notify(const Zone& z, std::uint16_t id, std::span<std::byte> out);

/// True when `reply` acknowledges the NOTIFY `id` for `z`: QR, opcode NOTIFY, the same ID and
/// question name. Its RCODE is returned through `rcode` (NOERROR = accepted).
bool is_notify_reply(std::span<const std::byte> reply, const Zone& z, std::uint16_t id, std::uint16_t& rcode) noexcept;

/// How NOTIFY is retried.
struct NotifyOptions {
  std::int64_t timeout_ms = 1000;  ///< first wait for the acknowledgement; doubles each retry
  unsigned max_attempts = 5;       ///< RFC 1996 §3.6: retry a bounded number of times
};

/// Sends NOTIFY for `z` to `target` from an ephemeral UDP socket on the current shard and
/// waits for the acknowledgement, retrying (a new ID each time) until acked or
/// max_attempts are spent. Ok on an acknowledgement with any RCODE (logged when not
/// NOERROR: the secondary refused it); ETIMEDOUT after the last attempt; socket errors.
Task<Result<void>> send_notify(std::shared_ptr<const Zone> z, SocketAddr target, NotifyOptions options);

/// Sends NOTIFY to every target of every zone of `now` whose serial grew since `before`
/// (a zone new in `now` counts as grown), as tasks on the current shard; outcomes are logged.
/// Targets are "HOST:PORT" in ZoneTransfer::notify.
void notify_changed(const ZoneSet* before, const std::shared_ptr<const ZoneSet>& now, const NotifyOptions& options);

}  // namespace zp::dns
