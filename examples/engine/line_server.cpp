// Example: a TCP line protocol on the engine in under 100 lines.
// Shows: making a Shard by hand (the application's own thread), Listener::bind on port 0,
// one coroutine per connection (Stream::recv/send), a client with Stream::connect, and
// block_on to drive it all from main(). The server upper-cases each line it receives.
#include <cctype>
#include <cstdio>
#include <string>
#include <string_view>

#include "zp/engine/backend.h"
#include "zp/engine/net.h"
#include "zp/engine/shard.h"

namespace {

// One connection: answers each complete line with its upper-case copy, until EOF.
zp::Task<void> serve_connection(zp::Stream s) {
  std::string pending;  // bytes of a line not yet complete
  for (;;) {
    auto b = co_await s.recv();
    if (!b || b->eof()) co_return;
    pending.append(b->text());
    for (size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1)) {
      std::string reply = pending.substr(0, nl + 1);
      for (char& c : reply) c = char(std::toupper(static_cast<unsigned char>(c)));
      if (!co_await s.send(std::as_bytes(std::span(reply)))) co_return;
    }
  }
}

// Accepts until the listener closes (ECANCELED at shard stop).
zp::Task<void> accept_loop(zp::Listener& l) {
  for (;;) {
    auto s = co_await l.accept();
    if (!s) co_return;
    (void)zp::Shard::current()->spawn(serve_connection(std::move(*s)));
  }
}

// The client: sends a few lines, reads until every reply line has arrived.
zp::Task<zp::Result<std::string>> client(zp::SocketAddr server) {
  auto s = co_await zp::Stream::connect(server);
  if (!s) co_return s.error();
  std::string_view lines = "hello\nline protocol\nbye\n";
  if (auto w = co_await s->send(std::as_bytes(std::span(lines))); !w) co_return w.error();
  std::string got;
  while (got.size() < lines.size()) {
    auto b = co_await s->recv();
    if (!b) co_return b.error();
    if (b->eof()) co_return zp::fail(EPIPE);
    got.append(b->text());
  }
  co_return got;
}

}  // namespace

int main() {
  auto backend = zp::make_backend(zp::BackendKind::automatic, {});
  if (!backend) return std::fprintf(stderr, "backend: %s\n", backend.error().message().c_str()), 1;
  zp::Shard shard(0, 1, std::move(*backend));  // this thread's shard
  std::printf("backend: %s\n", shard.backend().info().name.c_str());

  auto l = zp::Listener::bind(shard, *zp::SocketAddr::parse("127.0.0.1:0"));  // a free port
  if (!l) return std::fprintf(stderr, "bind: %s\n", l.error().message().c_str()), 1;
  std::printf("listening on %s\n", l->local_addr().to_string().c_str());
  auto server = shard.spawn(accept_loop(*l));

  auto r = shard.block_on(client(l->local_addr()));
  if (!r) return std::fprintf(stderr, "client: %s\n", r.error().message().c_str()), 1;
  std::printf("replies:\n%s", r->c_str());

  shard.request_stop(0);  // closes the listener; the accept loop ends
  shard.run();
  std::printf("stopped cleanly\n");
  return 0;
}
