/// \file
/// Echo service: a TCP server that writes back every byte it receives. The smallest
/// service on the engine, used by `zproto serve` and the engine's smoke tests.
/// \code
///   auto r = rt.run([&](zp::Shard& s) { return zp::echo::start(s, {"127.0.0.1:7007"}); });
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "zp/engine/shard.h"
#include "zp/result.h"

namespace zp::echo {

/// Binds one SO_REUSEPORT listener per address ("HOST:PORT", "[V6]:PORT") on this shard
/// and spawns its accept loop; connections live on this shard until closed. Call on the
/// shard's own thread (from Runtime::run's setup). Returns the first bind/listen error
/// (e.g. EADDRINUSE, EACCES); listeners already bound are closed again on failure.
/// Listeners close when the shard stops.
struct Options {
  int64_t idle_timeout_ms = 60000;     ///< a connection silent this long is closed
  size_t max_connections = 100000;     ///< per shard; beyond, new connections are closed at once
};
/// Binds every address and echoes each connection's bytes until it closes. EADDRINUSE, EINVAL...
Result<void> start(Shard& shard, const std::vector<std::string>& listen_addrs, Options opts = {});

}  // namespace zp::echo
