#include "zp/engine/listen.h"

#include <chrono>
#include <utility>

#include "zp/engine/log.h"

namespace zp {

Result<std::vector<Listener>> bind_listeners(Shard& shard, std::string_view service,
                                             std::span<const std::string> addrs, ListenOptions opts) {
  std::vector<Listener> out;
  out.reserve(addrs.size());
  for (const std::string& text : addrs) {
    auto addr = SocketAddr::parse(text);
    if (!addr) {
      ZP_LOG_ERROR("{}: bad listen address '{}'", service, text);
      return addr.error();
    }
    auto l = Listener::bind(shard, *addr, opts);
    if (!l) {
      ZP_LOG_ERROR("{}: listen on {}: {}", service, text, l.error().message());
      return l.error();
    }
    out.push_back(std::move(*l));
  }
  return out;
}

namespace {

Task<void> accept_loop(std::string_view service, Listener* l, AcceptHandler handler) {
  Shard* shard = Shard::current();
  for (;;) {
    auto s = co_await l->accept();
    if (!s) {
      if (s.error() == std::errc::operation_canceled) break;  // closed: the shard is stopping
      ZP_LOG_WARN("{}: accept on {}: {}", service, l->local_addr().to_string(), s.error().message());
      if (s.error() == std::errc::too_many_files_open) {
        auto paused = co_await sleep(std::chrono::milliseconds(10));
        (void)paused;
      }
      continue;
    }
    if (handler.admit && !handler.admit()) continue;  // the stream closes on scope exit
    auto make = [&handler, &s](TaskCtx* ctx) { return handler.serve(std::move(*s), ctx); };
    auto h = shard->spawn_with_ctx(make);
    if (!h) ZP_LOG_WARN("{}: cannot start a connection task: {}", service, h.error().message());
  }
}

}  // namespace

Result<void> start_accepting(Shard& shard, std::string_view service, Listener& l, AcceptHandler handler) {
  if (shard.id() == 0) ZP_LOG_INFO("{}: listening on {}", service, l.local_addr().to_string());
  auto h = shard.spawn(accept_loop(service, &l, std::move(handler)));
  if (!h) return h.error();
  return {};
}

}  // namespace zp
