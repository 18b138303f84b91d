// Example: sending mail from a program without an engine of its own. Shows: compose() (a
// UTF-8 subject, a text body, an attachment, Date and a unique Message-ID), header injection
// refused at the API, and the blocking send_mail() on a private engine, here to our SMTP
// server running on another thread (a smarthost "HOST:PORT" in real use; send_mail_mx()
// delivers through the recipient domains' MX hosts).
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <future>
#include <string>
#include <thread>

#include "../common/free_port.h"
#include "zp/engine/runtime.h"
#include "zp/smtp/client.h"
#include "zp/smtp/server.h"

int main() {
  char tmpl[] = "/tmp/zp_example_smtp.XXXXXX";
  if (!mkdtemp(tmpl)) return 1;
  const std::filesystem::path dir = tmpl;
  zp::smtp::ServerOptions so;
  const std::string addr = "127.0.0.1:" + std::to_string(example::free_loopback_port());
  so.listen = {addr};
  so.hostname = "mx.local.test";
  so.policy.domains = {"local.test"};
  so.policy.mailboxes = {{"@local.test", (dir / "inbox").string()}};
  so.delivery_threads = 1;
  so.tls.alpn.clear();
  auto server = zp::smtp::Server::create(so);
  if (!server) return std::fprintf(stderr, "server: %s\n", server.error().message().c_str()), 1;

  // The server on its own thread (an application would talk to a remote one).
  zp::RuntimeOptions o;
  o.shards = 1;
  o.pin_threads = false;
  o.handle_signals = false;
  std::promise<void> ready;
  o.after_setup = [&ready]() -> zp::Result<void> {
    ready.set_value();
    return {};
  };
  zp::Runtime server_rt(o);
  std::thread t([&] { (void)server_rt.run([&](zp::Shard& s) { return (*server)->start(s); }); });
  ready.get_future().wait();

  zp::smtp::Compose m;
  m.from = "Build bot <bot@example.org>";
  m.to = {"team@local.test"};
  m.subject = "Build #42 ✓";
  m.text = "All 1234 tests passed.\n";
  m.attachments.push_back({"summary.txt", "text/plain", "passed 1234\nfailed 0\n"});
  m.message_id_domain = "example.org";
  auto msg = zp::smtp::compose(m);
  if (!msg) return std::printf("compose: %s\n", msg.error().message().c_str()), 1;
  std::printf("composed %s message with a Message-ID: %s\n", msg->size() > 500 ? "a multipart" : "a short",
              msg->find("Message-ID: <") != std::string::npos ? "yes" : "no");

  zp::smtp::Compose evil = m;
  evil.subject = "hi\r\nBcc: everyone@example.net";
  auto refused = zp::smtp::compose(evil);
  std::printf("subject with CRLF: %s\n", refused ? "composed?" : refused.error().message().c_str());

  zp::smtp::Envelope e;
  e.from = "bot@example.org";
  e.to = {"team@local.test"};
  zp::smtp::ClientOptions co;
  co.helo_name = "ci.example.org";
  co.tls = zp::smtp::TlsMode::off;  // loopback
  auto r = zp::smtp::send_mail(addr, e, *msg, co);
  if (!r) return std::printf("send: %s\n", r.error().message().c_str()), 1;
  std::printf("sent: %u %s, %zu of %zu recipients\n", r->data.code, r->data.enhanced.c_str(), r->accepted,
              r->recipients.size());

  server_rt.stop();
  t.join();
  std::size_t stored = 0;
  for ([[maybe_unused]] const auto& f : std::filesystem::directory_iterator(dir / "inbox" / "new")) ++stored;
  std::printf("in the Maildir: %zu message\n", stored);
  std::filesystem::remove_all(dir);
  std::printf("done\n");
  return 0;
}
