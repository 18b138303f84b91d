// Example: the SMTP client inside an application's own engine loop. Shows: our SMTP server
// and a client on one shard, one session (EHLO, PIPELINING) sending two messages with RSET
// between them, a result per recipient (a local one accepted, a remote one refused: no open
// relay), the size limit checked before sending, and errors as values (CR/LF in an address
// is refused by the client before anything is sent).
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "../common/free_port.h"
#include "zp/engine/runtime.h"
#include "zp/smtp/client.h"
#include "zp/smtp/server.h"

namespace {

zp::Task<void> app(zp::Runtime& rt, std::string addr) {
  zp::smtp::ClientOptions o;
  o.helo_name = "app.example.org";
  o.tls = zp::smtp::TlsMode::off;  // loopback; TlsMode::required for a real smarthost
  auto c = co_await zp::smtp::Client::connect(addr, o);
  if (!c) {
    std::printf("connect: %s\n", c.error().message().c_str());
    rt.stop();
    co_return;
  }
  std::printf("connected: ESMTP %d, pipelining %d, size limit %llu\n", c->info().esmtp, c->info().pipelining,
              static_cast<unsigned long long>(c->info().max_size));
  zp::smtp::Envelope e;
  e.from = "app@example.org";
  e.to = {"ops@local.test", "someone@elsewhere.example"};
  const std::string first = "Subject: disk almost full\r\n\r\n/var is at 91%.\r\n";
  auto r = co_await c->send(e, first);
  if (r) {
    for (const auto& rc : r->recipients)
      std::printf("  %s: %u %s\n", rc.address.c_str(), rc.reply.code, rc.reply.enhanced.c_str());
    std::printf("message 1: %u %s\n", r->data.code, r->data.enhanced.c_str());
  }
  e.to = {"ops@local.test"};
  const std::string second = "Subject: disk fine again\r\n\r\n/var is at 60%.\r\n";
  auto r2 = co_await c->send(e, second);
  std::printf("message 2: %s\n", r2 ? "accepted" : r2.error().message().c_str());
  const std::string huge = "Subject: core dump\r\n\r\n" + std::string(200000, 'x') + "\r\n";
  auto big = co_await c->send(e, huge);
  std::printf("200 kB message: %s\n", big.error().message().c_str());
  e.to = {"ops@local.test>\r\nRCPT TO:<victim@elsewhere.example"};
  auto bad = co_await c->send(e, second);
  std::printf("injected address: %s\n", bad.error().message().c_str());
  std::printf("messages sent on this session: %llu\n", static_cast<unsigned long long>(c->messages_sent()));
  auto q = co_await c->quit();
  std::printf("quit: %s\n", q ? "221" : q.error().message().c_str());
  rt.stop();
}

}  // namespace

int main() {
  char tmpl[] = "/tmp/zp_example_smtp.XXXXXX";
  if (!mkdtemp(tmpl)) return 1;
  const std::filesystem::path dir = tmpl;
  zp::smtp::ServerOptions so;
  const std::string addr = "127.0.0.1:" + std::to_string(example::free_loopback_port());
  so.listen = {addr};
  so.hostname = "mx.local.test";
  so.policy.domains = {"local.test"};
  so.policy.mailboxes = {{"@local.test", (dir / "ops").string()}};
  so.limits.max_message_bytes = 100000;
  so.delivery_threads = 1;
  so.tls.alpn.clear();
  auto server = zp::smtp::Server::create(so);
  if (!server) return std::fprintf(stderr, "server: %s\n", server.error().message().c_str()), 1;
  zp::RuntimeOptions o;
  o.shards = 1;
  o.pin_threads = false;
  o.handle_signals = false;
  zp::Runtime rt(o);
  auto r = rt.run([&](zp::Shard& s) -> zp::Result<void> {
    if (auto st = (*server)->start(s); !st) return st;
    auto h = s.spawn(app(rt, addr));
    if (!h) return h.error();
    return {};
  });
  if (!r) return std::fprintf(stderr, "runtime: %s\n", r.error().message().c_str()), 1;
  std::size_t stored = 0;
  for ([[maybe_unused]] const auto& f : std::filesystem::directory_iterator(dir / "ops" / "new")) ++stored;
  std::printf("in the Maildir: %zu messages\n", stored);
  std::filesystem::remove_all(dir);
  std::printf("stopped cleanly\n");
  return 0;
}
