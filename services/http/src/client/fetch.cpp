// The blocking API: a private one-shard engine per call, torn down before returning.
#include "zp/engine/private_shard.h"
#include "zp/http/client.h"

namespace zp::http::client {

Result<Response> fetch(Request req, const Options& options) {
  // The client lives in the task's frame: it is gone before the shard stops.
  auto make = [&](Shard& shard) -> Task<Result<Response>> {
    Client c(shard, options);
    co_return co_await c.request(std::move(req));
  };
  return run_on_private_shard<Response>(make);
}

Result<Response> fetch(std::string url, const Options& options) {
  Request r;
  r.url = std::move(url);
  return fetch(std::move(r), options);
}

}  // namespace zp::http::client
