/// \file
/// Echo as `zproto serve` runs it: the "echo" config section and `zproto serve echo`.
/// \code
///   "echo": { "listen": ["127.0.0.1:7007", "[::1]:7007"], "idle_timeout_ms": 60000,
///             "max_connections": 100000 }
/// \endcode
#pragma once

#include <string>
#include <vector>

#include "zp/echo/echo.h"
#include "zp/service/service.h"

namespace zp::echo {

/// The echo server as `zproto serve echo` runs it.
class EchoService final : public service::Service {
 public:
  std::vector<std::string> listen;  ///< at least one
  Options options;  ///< its limits

  std::string summary() const override;
  Result<void> start(Shard& shard) override { return echo::start(shard, listen, options); }
};

/// The echo service's registry entry.
const service::Definition& service_definition();

}  // namespace zp::echo
