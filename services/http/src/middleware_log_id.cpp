// The access-log and request-id middlewares: what a request leaves behind to trace it.
#include <sys/random.h>

#include <cstdio>
#include <memory>

#include "access_log.h"
#include "zp/engine/log.h"
#include "zp/http/middleware.h"

namespace zp::http {

MiddlewareFactory access_log(std::string path) {
  return [path = std::move(path)](Shard& shard, const ServerOptions&) -> Result<Middleware> {
    auto log = std::make_shared<AccessLog>(path);
    if (auto r = log->start(shard, log); !r) {
      ZP_LOG_ERROR("http: access log {}: {}", path, r.error().message());
      return r.error();
    }
    return Middleware([log](Context& c, Next next) -> Task<void> {
      co_await next();
      log->add(c.peer(), c.request(), c.status(), c.body_bytes());
    });
  };
}

namespace {

// An incoming id is kept when it is 1..128 bytes of a conservative alphabet (no field
// delimiters, nothing a log reader would misparse).
bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              std::string_view("-_.:+/=").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

struct RequestIds {
  char prefix[48];
  int prefix_len = 0;
  uint64_t counter = 0;
};

}  // namespace

MiddlewareFactory request_id() {
  return [](Shard& shard, const ServerOptions&) -> Result<Middleware> {
    auto ids = std::make_shared<RequestIds>();
    // The random part tells restarts apart; the shard id and counter make ids unique per run.
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, 0) != sizeof r) r = uint64_t(shard.now().time_since_epoch().count());
    ids->prefix_len = std::snprintf(ids->prefix, sizeof ids->prefix, "%u-%016llx-", shard.id(), (unsigned long long)r);
    return Middleware([ids](Context& c, Next next) -> Task<void> {
      auto in = c.header("X-Request-Id");
      if (in && valid_request_id(*in)) {
        c.set_header("X-Request-Id", *in);
      } else {
        char id[80];
        int n = std::snprintf(id, sizeof id, "%.*s%llx", ids->prefix_len, ids->prefix,
                              (unsigned long long)++ids->counter);
        c.set_header("X-Request-Id", std::string_view(id, size_t(n)));
      }
      co_await next();
    });
  };
}

}  // namespace zp::http
