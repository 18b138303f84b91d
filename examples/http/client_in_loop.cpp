// Example: the HTTP client inside an application's own engine loop.
// Shows: an application thread that owns a Shard and drives it with block_on between its
// own work; an HTTP server (a small Router) and zp::http::Client on that same shard; the
// client's keep-alive pool surviving from one block_on to the next (the second and third
// requests reuse the first connection); a POST with a body; a 404 as a response, not an error.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "../common/free_port.h"
#include "zp/engine/backend.h"
#include "zp/engine/shard.h"
#include "zp/http/client.h"
#include "zp/http/router.h"
#include "zp/http/server.h"

namespace {

// The POST handler: answers with the size of what it received.
zp::Task<void> count_bytes(zp::http::Context& c) {
  auto body = co_await c.read_body(1 << 20);
  if (!body) co_return;  // the server answers 413/408/400 itself
  c.send(200, "received " + std::to_string(body->size()) + " bytes\n");
}

zp::Task<void> hello(zp::http::Context& c) {
  c.send_view(200, "hello from the same shard\n");
  co_return;
}

void print(const char* what, const zp::Result<zp::http::client::Response>& r) {
  if (!r) {
    std::printf("%s: error %s\n", what, r.error().message().c_str());
    return;
  }
  std::printf("%s: %d %s | %s", what, r->status, r->reused_connection ? "(reused connection)" : "(new connection)",
              r->body.c_str());
}

}  // namespace

int main() {
  auto backend = zp::make_backend(zp::BackendKind::automatic, {});
  if (!backend) return std::fprintf(stderr, "backend: %s\n", backend.error().message().c_str()), 1;
  zp::Shard shard(0, 1, std::move(*backend));

  auto router = std::make_shared<zp::http::Router>();
  router->get("/hello", hello).post("/upload", count_bytes);
  zp::http::ServerOptions so;
  auto port = example::start_on_free_port([&](std::string addr) {
    so.listen = {addr};
    return zp::http::start(shard, so, router);
  });
  if (!port) return std::fprintf(stderr, "server: %s\n", port.error().message().c_str()), 1;
  const std::string base = "http://127.0.0.1:" + std::to_string(*port);

  {
    zp::http::Client client(shard, {.read_timeout_ms = 5000});  // lives on this shard
    // The application's loop: its own work, then a turn of the engine for each request.
    const std::vector<std::string> paths = {"/hello", "/hello", "/missing"};
    for (const auto& path : paths) {
      auto r = shard.block_on(client.get(base + path));
      print(("GET " + path).c_str(), r);
      if (r && r->status == 404) std::printf("\n");  // the 404 page body has no newline of ours
    }
    zp::http::client::Request post{.method = "POST", .url = base + "/upload", .body = std::string(1000, 'x')};
    print("POST /upload", shard.block_on(client.request(std::move(post))));
    auto st = client.stats();
    std::printf("client pool: %llu connection(s) opened, %llu reuse(s)\n",
                (unsigned long long)st.connections_opened, (unsigned long long)st.connections_reused);
  }  // the client (and its pooled connections) go before the shard stops

  shard.request_stop(0);
  shard.run();
  std::printf("stopped cleanly\n");
  return 0;
}
