// Internal: one AXFR/IXFR query answered on a TCP connection of the server (server.cpp
// calls it from the connection loop when is_transfer_query() holds).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "zp/dns/server.h"
#include "zp/engine/idle_guard.h"
#include "zp/engine/net.h"

namespace zp::dns {

// Answers `query` on `s`: an error reply, or the whole transfer streamed message by
// message, each send bounded by opts.xfr_send_timeout_ms (the idle timeout is stretched to
// cover one send meanwhile, so a slow but progressing transfer goes on). `active` counts
// this shard's transfers (bounded by opts.xfr_max_concurrent). False: close the connection
// (a send failed or timed out, or the stream failed half way).
Task<bool> serve_transfer(Stream& s, std::shared_ptr<const ZoneSet> zones, std::vector<std::byte> query,
                          std::size_t& active, const ServerOptions& opts, IdleGuard& idle);

}  // namespace zp::dns
