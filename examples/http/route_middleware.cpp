// Example: custom routes behind a custom middleware.
// Shows: Router patterns with a parameter (":name") and a wildcard ("*"), a middleware made
// per shard by its factory (its counter needs no lock) that stamps every response and
// short-circuits /admin/* without the right X-Api-Key (401, the router never runs), the
// built-in request_id middleware before it, and the router's own 404 and 405 (with Allow).
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

namespace http = zp::http;

// The middleware's state: one per shard, touched by that shard only.
struct Guard {
  unsigned shard = 0;
  unsigned long served = 0;
};

zp::Task<void> guard(Guard& g, http::Context& c, http::Next next) {
  c.set_header("X-Served", "shard " + std::to_string(g.shard) + ", response " + std::to_string(++g.served));
  if (c.path().starts_with("/admin/") && c.header("X-Api-Key").value_or("") != "let-me-in") {
    c.send_view(401, "api key required\n");  // answered here: the rest of the chain is skipped
    co_return;
  }
  co_await next();
}

http::MiddlewareFactory make_guard() {
  return [](zp::Shard& shard, const http::ServerOptions&) -> zp::Result<http::Middleware> {
    auto g = std::make_shared<Guard>(Guard{shard.id()});
    // Not a coroutine lambda: it hands over to one whose arguments live in its own frame.
    return http::Middleware([g](http::Context& c, http::Next next) { return guard(*g, c, next); });
  };
}

zp::Task<void> hello(http::Context& c) {
  c.send(200, "hello, " + std::string(c.param("name")) + "\n");
  co_return;
}

zp::Task<void> admin(http::Context& c) {
  c.send(200, "admin page " + std::string(c.rest()) + "\n");
  co_return;
}

struct Call {
  const char* method;
  const char* path;
  const char* api_key;  // nullptr: none
};

zp::Task<void> run_calls(http::Client& client, std::string base) {
  const Call calls[] = {{"GET", "/hello/world", nullptr}, {"GET", "/admin/stats", nullptr},
                        {"GET", "/admin/stats", "let-me-in"}, {"DELETE", "/hello/world", nullptr},
                        {"GET", "/nowhere", nullptr}};
  for (const Call& call : calls) {
    http::client::Request req{.method = call.method, .url = base + call.path};
    if (call.api_key) req.headers.push_back({"X-Api-Key", call.api_key});
    auto r = co_await client.request(std::move(req));
    if (!r) {
      std::printf("%s %s: error %s\n", call.method, call.path, r.error().message().c_str());
      continue;
    }
    std::string body = r->body.ends_with('\n') ? r->body.substr(0, r->body.size() - 1) : r->body;
    std::printf("%s %s%s -> %d \"%s\" [X-Served: %s]%s%s\n", call.method, call.path, call.api_key ? " (key)" : "",
                r->status, body.c_str(), std::string(r->header("X-Served")).c_str(),
                r->header("Allow").empty() ? "" : " Allow: ", std::string(r->header("Allow")).c_str());
    std::printf("  X-Request-Id present: %s\n", r->header("X-Request-Id").empty() ? "no" : "yes");
  }
}

}  // namespace

int main() {
  auto backend = zp::make_backend(zp::BackendKind::automatic, {});
  if (!backend) return std::fprintf(stderr, "backend: %s\n", backend.error().message().c_str()), 1;
  zp::Shard shard(0, 1, std::move(*backend));

  auto router = std::make_shared<http::Router>();
  router->get("/hello/:name", hello).get("/admin/*", admin).use(make_guard());
  http::ServerOptions so;
  so.request_id = true;  // a built-in middleware; it runs before the router's own use() ones
  auto port = example::start_on_free_port([&](std::string addr) {
    so.listen = {addr};
    return http::start(shard, so, router);
  });
  if (!port) return std::fprintf(stderr, "server: %s\n", port.error().message().c_str()), 1;

  {
    http::Client client(shard);
    shard.block_on(run_calls(client, "http://127.0.0.1:" + std::to_string(*port)));
  }
  shard.request_stop(0);
  shard.run();
  std::printf("stopped cleanly\n");
  return 0;
}
