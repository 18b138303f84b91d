// The blocking API: a private one-shard engine per call, torn down before returning.
#include <thread>

#include "zp/engine/backend.h"
#include "zp/engine/shard.h"
#include "zp/http/client.h"

namespace zp::http::client {

Result<Response> fetch(Request req, const Options& options) {
  if (Shard::current()) {
    // A shard thread must not block in a nested loop: run the private engine elsewhere.
    Result<Response> out = fail(ECANCELED);
    std::thread t([&] { out = fetch(std::move(req), options); });
    t.join();
    return out;
  }
  // Small rings: one connection at a time.
  BackendOptions bo;
  bo.sq_entries = 64;
  bo.cq_entries = 256;
  bo.recv_buffer_bytes = 16384;
  bo.recv_buffer_count = 64;
  bo.fixed_buffer_count = 2;
  auto backend = make_backend(BackendKind::automatic, bo);
  if (!backend) return backend.error();
  Shard shard(0, 1, std::move(*backend));
  Result<Response> out = fail(ECANCELED);
  {
    Client c(shard, options);
    out = shard.block_on(c.request(std::move(req)));
  }
  // Let closed sockets' last operations complete before the shard goes away.
  shard.request_stop(0);
  shard.run();
  return out;
}

Result<Response> fetch(std::string url, const Options& options) {
  Request r;
  r.url = std::move(url);
  return fetch(std::move(r), options);
}

}  // namespace zp::http::client
