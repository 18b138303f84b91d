// What one shard's listeners and sessions share.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "zp/engine/local_rc.h"
#include "zp/engine/net.h"
#include "zp/engine/task.h"
#include "zp/smtp/server.h"

namespace zp::smtp::detail {

struct ShardState {
  std::shared_ptr<Server> server;           // options, counters
  std::shared_ptr<MailStore> store;         // where messages go
  std::shared_ptr<BlockingPool> pool;       // delivery threads (shared by the shards)
  std::shared_ptr<tls::ServerContext> tls;  // this shard's; null without a certificate
  std::string hostname;
  std::size_t connections = 0;
  std::vector<Listener> listeners;
};

// One session, to its end; `implicit_tls`: a TLS listener's (handshake first).
Task<void> serve_session(LocalRc<ShardState> st, Stream s, bool implicit_tls);

}  // namespace zp::smtp::detail
