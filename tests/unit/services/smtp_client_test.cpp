// The SMTP client on every backend: against our server (services/smtp, in a runtime on
// another thread: delivery into Maildir, several recipients with a result each, pipelining,
// RSET between messages, SIZE, STARTTLS required/opportunistic, implicit TLS, the blocking
// call, compose), against a scripted server for what ours never answers (HELO only, AUTH
// mechanisms, 421, malformed and silent servers), and MX routes through a scripted DNS.
#include "zp/smtp/client.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <filesystem>
#include <set>
#include <string>

#include "../../common/test_certs.h"
#include "../../common/test_net.h"
#include "dns_resolver_test_util.h"
#include "engine_test_util.h"
#include "runtime_thread.h"
#include "smtp_fake_server.h"
#include "smtp_test_client.h"
#include "zp/engine/runtime.h"
#include "zp/service/password_file.h"
#include "zp/smtp/server.h"

namespace zp {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using smtp::Client;
using smtp::ClientErrc;
using smtp::ClientOptions;
using smtp::Envelope;
using smtp::TlsMode;
using test::smtp::FakeSmtp;
using test::smtp::new_messages;
using test::smtp::read_file;
using test::smtp::body_of;

#define CO_ASSERT(cond)                            \
  do {                                             \
    if (!(cond)) {                                 \
      ADD_FAILURE() << "assertion failed: " #cond; \
      co_return;                                   \
    }                                              \
  } while (0)
#define CO_ASSERT_OK(r)                                                          \
  do {                                                                           \
    if (!(r)) {                                                                  \
      ADD_FAILURE() << #r ": " << (r).error().message();                         \
      co_return;                                                                 \
    }                                                                            \
  } while (0)

const char kMessage[] =
    "From: a@example.org\r\nTo: alice@local.test\r\nSubject: hi\r\n\r\n.leading dot\r\nbare lf\nend\r\n";
const char kStored[] = "From: a@example.org\r\nTo: alice@local.test\r\nSubject: hi\r\n\r\n.leading dot\r\nbare lf\r\nend\r\n";

ClientOptions plain_options() {
  ClientOptions o;
  o.helo_name = "client.example";
  o.tls = TlsMode::off;
  o.timeouts.connect_ms = 5000;
  o.timeouts.greeting_ms = o.timeouts.command_ms = o.timeouts.data_init_ms = o.timeouts.data_block_ms =
      o.timeouts.data_end_ms = 10000;
  o.resolver.hosts = dns::Hosts{};
  o.resolver.config = dns::ResolvConf{};
  return o;
}

class SmtpClientTest : public ::testing::TestWithParam<test::BackendParam> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_smtpc_test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    opts_.hostname = "mx.local.test";
    opts_.policy.domains = {"local.test", "other.local"};
    opts_.policy.mailboxes = {{"@local.test", (dir_ / "all").string()},
                              {"bob@other.local", (dir_ / "bob").string()}};
    opts_.delivery_threads = 1;
    opts_.tls.alpn.clear();  // SMTP clients send no ALPN
    shard_ = test::make_shard(GetParam());
    ASSERT_TRUE(shard_);
  }
  void TearDown() override {
    if (shard_) {
      shard_->request_stop(0);
      shard_->run();
      shard_.reset();
    }
    rt_.stop();
    server_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
    if (!certs_.empty()) fs::remove_all(certs_, ec);
  }
  // Our server on port_ (and tls_port_ for implicit TLS when `tls`).
  void start_server(bool tls = false) {
    port_ = test::free_port();
    opts_.listen = {"127.0.0.1:" + std::to_string(port_)};
    if (tls) {
      certs_ = test::make_test_certs();
      ASSERT_FALSE(certs_.empty());
      opts_.tls.certs = {{certs_ + "/leaf.pem", certs_ + "/leaf.key"}};
      tls_port_ = test::free_port();
      opts_.tls_listen = {"127.0.0.1:" + std::to_string(tls_port_)};
    }
    auto s = smtp::Server::create(opts_);
    ASSERT_TRUE(s);
    server_ = *s;
    RuntimeOptions o;
    o.shards = 1;
    o.backend = BackendKind::epoll;  // the server's backend is not under test here
    o.drain_timeout = 1000ms;
    ASSERT_TRUE(rt_.start(o, [this](Shard& sh) { return server_->start(sh); }));
  }
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  void run(Task<void> t) { shard_->block_on(std::move(t)); }
  fs::path all() const { return dir_ / "all"; }
  ClientOptions tls_options(TlsMode m) const {
    ClientOptions o = plain_options();
    o.tls = m;
    o.tls_config.ca_file = certs_ + "/ca.pem";
    o.tls_server_name = "localhost";
    return o;
  }

  fs::path dir_;
  std::string certs_;
  smtp::ServerOptions opts_;
  std::shared_ptr<smtp::Server> server_;
  std::uint16_t port_ = 0;
  std::uint16_t tls_port_ = 0;
  test::RuntimeThread rt_;
  std::unique_ptr<Shard> shard_;
};

Task<void> deliver_three(std::string addr, ClientOptions o, bool expect_pipelining) {
  auto c = co_await Client::connect(addr, o);
  CO_ASSERT_OK(c);
  EXPECT_TRUE(c->info().esmtp);
  EXPECT_EQ(c->info().pipelining, expect_pipelining);
  EXPECT_EQ(c->info().greeting.code, 220u);
  EXPECT_TRUE(c->info().size);
  Envelope e;
  e.from = "a@example.org";
  e.to = {"alice@local.test", "bob@other.local", "x@remote.example"};
  auto r = co_await c->send(e, kMessage);
  CO_ASSERT_OK(r);
  EXPECT_TRUE(r->delivered);
  EXPECT_EQ(r->mail.code, 250u);
  EXPECT_EQ(r->accepted, 2u);
  CO_ASSERT(r->recipients.size() == 3);
  EXPECT_TRUE(r->recipients[0].accepted());
  EXPECT_TRUE(r->recipients[1].accepted());
  EXPECT_FALSE(r->recipients[2].accepted());
  EXPECT_EQ(r->recipients[2].reply.code, 554u);  // relay denied
  EXPECT_EQ(r->recipients[2].reply.enhanced, "5.7.1");
  EXPECT_EQ(r->data.code, 250u);
  // The same session again: RSET first, then the next transaction.
  Envelope e2;
  e2.from = "";
  e2.to = {"carol@local.test"};
  auto r2 = co_await c->send(e2, "Subject: two\r\n\r\nsecond\r\n");
  CO_ASSERT_OK(r2);
  EXPECT_EQ(c->messages_sent(), 2u);
  auto q = co_await c->quit();
  EXPECT_TRUE(q) << q.error().message();
  EXPECT_FALSE(c->connected());
  auto again = co_await c->noop();
  EXPECT_EQ(again.error(), ClientErrc::not_connected);
}

TEST_P(SmtpClientTest, DeliversWithResultPerRecipientAndReusesTheSession) {
  start_server();
  run(deliver_three(addr(), plain_options(), true));
  const auto msgs = new_messages(all());
  ASSERT_EQ(msgs.size(), 2u);  // alice, then carol
  const std::string m0 = read_file(msgs[0]);
  const std::string m1 = read_file(msgs[1]);
  const bool first = body_of(m0) == kStored;
  EXPECT_TRUE(first || body_of(m1) == kStored) << m0 << "\n---\n" << m1;
  EXPECT_EQ(body_of(first ? m1 : m0), "Subject: two\r\n\r\nsecond\r\n");
  EXPECT_NE((first ? m1 : m0).find("Return-Path: <>"), std::string::npos);
  const auto bob = new_messages(dir_ / "bob");
  ASSERT_EQ(bob.size(), 1u);
  EXPECT_EQ(body_of(read_file(bob[0])), kStored);
}

TEST_P(SmtpClientTest, WithoutPipeliningTheSameResults) {
  start_server();
  ClientOptions o = plain_options();
  o.pipelining = false;
  run(deliver_three(addr(), o, true));  // offered, not used
  EXPECT_EQ(new_messages(all()).size(), 2u);
}

// Many messages on one session, each in tiny blocks (every split of CRLF and of a line-start
// dot falls on a block boundary somewhere): each arrives byte-exact.
Task<void> many_small_blocks(std::string addr, ClientOptions o, std::vector<std::string> messages) {
  auto c = co_await Client::connect(addr, o);
  CO_ASSERT_OK(c);
  Envelope e;
  e.from = "a@example.org";
  e.to = {"alice@local.test"};
  for (const auto& m : messages) {
    auto r = co_await c->send(e, m);
    CO_ASSERT_OK(r);
  }
  EXPECT_EQ(c->messages_sent(), messages.size());
  (void)co_await c->quit();
}

TEST_P(SmtpClientTest, BlocksSplitAnywhereAndSessionReuse) {
  start_server();
  std::vector<std::string> messages;
  std::vector<std::string> expected;
  for (int i = 0; i < 40; ++i) {
    std::string m = "Subject: " + std::to_string(i) + "\r\n\r\n";
    std::string x = m;
    for (int j = 0; j < 5; ++j) {
      m += "." + std::string(std::size_t(i % 7), 'd') + "\r\n..\r\nline\n\r\n.";
      x += "." + std::string(std::size_t(i % 7), 'd') + "\r\n..\r\nline\r\n\r\n.";
    }
    m += "end";  // no final line end: the client adds it
    x += "end\r\n";
    messages.push_back(m);
    expected.push_back(x);
  }
  ClientOptions o = plain_options();
  for (std::size_t block : {std::size_t(1), std::size_t(2), std::size_t(7)}) {
    o.block_bytes = block;
    run(many_small_blocks(addr(), o, messages));
  }
  const auto msgs = new_messages(all());
  ASSERT_EQ(msgs.size(), 3 * messages.size());
  std::multiset<std::string> got;
  for (const auto& p : msgs) got.insert(body_of(read_file(p)));
  for (const auto& x : expected) EXPECT_EQ(got.count(x), 3u) << x;
}

Task<void> size_refused_before_sending(std::string addr) {
  auto c = co_await Client::connect(addr, plain_options());
  CO_ASSERT_OK(c);
  EXPECT_EQ(c->info().max_size, 1000u);
  Envelope e;
  e.from = "a@example.org";
  e.to = {"alice@local.test"};
  const std::string big = "Subject: big\r\n\r\n" + std::string(2000, 'x') + "\r\n";
  auto r = co_await c->send(e, big);
  EXPECT_EQ(r.error(), ClientErrc::message_too_large);
  EXPECT_TRUE(c->connected());
  auto ok = co_await c->send(e, "Subject: small\r\n\r\nsmall\r\n");
  EXPECT_TRUE(ok) << ok.error().message();
  // Every recipient refused: an error, and each refusal in last_send().
  Envelope bad;
  bad.from = "a@example.org";
  bad.to = {"x@remote.example", "nobody@other.local"};
  auto none = co_await c->send(bad, "x\r\n");
  EXPECT_EQ(none.error(), ClientErrc::recipients_refused);
  CO_ASSERT(c->last_send().recipients.size() == 2);
  EXPECT_EQ(c->last_send().recipients[0].reply.code, 554u);
  EXPECT_EQ(c->last_send().recipients[1].reply.code, 550u);
  EXPECT_TRUE(c->connected());
  (void)co_await c->quit();
}

TEST_P(SmtpClientTest, SizeCheckedBeforeSendingAndAllRecipientsRefused) {
  opts_.limits.max_message_bytes = 1000;
  start_server();
  run(size_refused_before_sending(addr()));
  EXPECT_EQ(new_messages(all()).size(), 1u);
}

Task<void> bad_input(std::string addr) {
  auto c = co_await Client::connect(addr, plain_options());
  CO_ASSERT_OK(c);
  Envelope e;
  e.from = "a@example.org";
  e.to = {"alice@local.test\r\nRCPT TO:<bob@other.local>"};
  auto r = co_await c->send(e, "x\r\n");
  EXPECT_EQ(r.error(), ClientErrc::bad_input);
  e.to = {"alice@local.test"};
  e.from = std::string("a\0b@example.org", 15);
  r = co_await c->send(e, "x\r\n");
  EXPECT_EQ(r.error(), ClientErrc::bad_input);
  e.from = "not an address";
  r = co_await c->send(e, "x\r\n");
  EXPECT_EQ(r.error(), ClientErrc::bad_mailbox);
  e.from = "a@example.org";
  e.to.clear();
  r = co_await c->send(e, "x\r\n");
  EXPECT_EQ(r.error(), ClientErrc::no_recipients);
  e.to = {"alice@local.test"};
  const std::string long_line = "Subject: x\r\n\r\n" + std::string(999, 'a') + "\r\n";
  r = co_await c->send(e, long_line);
  EXPECT_EQ(r.error(), ClientErrc::line_too_long);
  const std::string just_fits = "Subject: x\r\n\r\n" + std::string(998, 'a') + "\r\n";
  r = co_await c->send(e, just_fits);
  EXPECT_TRUE(r) << r.error().message();
  EXPECT_TRUE(c->connected());
  (void)co_await c->quit();
  ClientOptions o = plain_options();
  o.helo_name = "evil\r\nMAIL FROM:<x@y>";
  auto d = co_await Client::connect(addr, o);
  EXPECT_EQ(d.error(), ClientErrc::bad_input);
  auto b = co_await Client::connect("no-port-here", plain_options());
  EXPECT_EQ(b.error(), ClientErrc::bad_address);
  // By address: the same session.
  auto byaddr = co_await Client::connect(*SocketAddr::parse(addr), plain_options());
  CO_ASSERT_OK(byaddr);
  EXPECT_EQ(byaddr->info().server, "127.0.0.1");
  auto bq = co_await byaddr->quit();
  EXPECT_TRUE(bq);
}

TEST_P(SmtpClientTest, RefusesCrLfNulAndBadAddressesAtTheApi) {
  start_server();
  run(bad_input(addr()));
  EXPECT_EQ(new_messages(all()).size(), 1u);  // only the 998-octet line
}

Task<void> tls_session(std::string addr, ClientOptions o, bool implicit) {
  auto c = co_await Client::connect(addr, o);
  CO_ASSERT_OK(c);
  EXPECT_TRUE(c->info().tls);
  EXPECT_FALSE(c->info().tls_version.empty());
  EXPECT_EQ(c->info().starttls, !implicit);
  Envelope e;
  e.from = "a@example.org";
  e.to = {"alice@local.test"};
  auto r = co_await c->send(e, kMessage);
  CO_ASSERT_OK(r);
  EXPECT_TRUE(r->delivered);
  (void)co_await c->quit();
}

TEST_P(SmtpClientTest, StarttlsRequiredAndImplicitTls) {
  start_server(true);
  run(tls_session(addr(), tls_options(TlsMode::required), false));
  run(tls_session(addr(), tls_options(TlsMode::opportunistic), false));
  run(tls_session("127.0.0.1:" + std::to_string(tls_port_), tls_options(TlsMode::implicit), true));
  EXPECT_EQ(new_messages(all()).size(), 3u);
}

// AUTH against our own server (its password file): PLAIN and LOGIN after STARTTLS succeed
// and the message is delivered; a wrong password (535) ends connect() with auth_failed.
Task<void> auth_session(std::string addr, ClientOptions o, smtp::AuthMechanism mech, std::string password, bool good) {
  smtp::Credentials cred;
  cred.user = "carol";
  cred.password = std::move(password);
  cred.mechanism = mech;
  o.auth = cred;
  auto c = co_await Client::connect(addr, o);
  if (!good) {
    EXPECT_EQ(c.error(), ClientErrc::auth_failed);
    co_return;
  }
  CO_ASSERT_OK(c);
  Envelope e;
  e.from = "carol@example.org";
  e.to = {"alice@local.test"};
  auto r = co_await c->send(e, kMessage);
  CO_ASSERT_OK(r);
  EXPECT_TRUE(r->delivered);
  (void)co_await c->quit();
}

TEST_P(SmtpClientTest, AuthPlainAndLoginAgainstOurServer) {
  const std::uint8_t salt[12] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};
  const std::string_view pw = "carol's pw";
  auto passwords = std::make_shared<service::PasswordFile>();
  ASSERT_EQ(service::PasswordFile::parse("carol:" + service::PasswordFile::make_hash(std::as_bytes(std::span(pw)), salt, 100) + "\n",
                                         "test.pw", {}, *passwords),
            "");
  opts_.passwords = passwords;
  opts_.limits.auth_failure_delay_ms = 0;
  start_server(true);
  run(auth_session(addr(), tls_options(TlsMode::required), smtp::AuthMechanism::plain, std::string(pw), true));
  run(auth_session(addr(), tls_options(TlsMode::required), smtp::AuthMechanism::login, std::string(pw), true));
  run(auth_session(addr(), tls_options(TlsMode::required), smtp::AuthMechanism::automatic, std::string(pw), true));
  run(auth_session(addr(), tls_options(TlsMode::required), smtp::AuthMechanism::plain, "wrong", false));
  EXPECT_EQ(server_->counters().auth_successes.load(), 3u);
  EXPECT_EQ(server_->counters().auth_failures.load(), 1u);
  EXPECT_EQ(new_messages(all()).size(), 3u);
}

Task<void> starttls_missing(std::string addr, ClientOptions required, ClientOptions opportunistic) {
  auto c = co_await Client::connect(addr, required);
  EXPECT_EQ(c.error(), ClientErrc::starttls_unavailable);
  auto d = co_await Client::connect(addr, opportunistic);
  CO_ASSERT_OK(d);
  EXPECT_FALSE(d->info().tls);
  // Credentials never go over plaintext unless allowed; allowed, the server has no AUTH.
  ClientOptions with_auth = opportunistic;
  smtp::Credentials cred;
  cred.user = "u";
  cred.password = "p";
  with_auth.auth = cred;
  auto a = co_await Client::connect(addr, with_auth);
  EXPECT_EQ(a.error(), ClientErrc::auth_needs_tls);
  with_auth.auth->allow_plaintext = true;
  auto b = co_await Client::connect(addr, with_auth);
  EXPECT_EQ(b.error(), ClientErrc::auth_unavailable);
}

TEST_P(SmtpClientTest, StarttlsRequiredIsNeverDowngraded) {
  start_server();  // no certificate: no STARTTLS offered
  ClientOptions req = plain_options();
  req.tls = TlsMode::required;
  ClientOptions opp = plain_options();
  opp.tls = TlsMode::opportunistic;
  run(starttls_missing(addr(), req, opp));
}

// A TCP relay between the client and our server that appends `inject` to the server's reply
// to STARTTLS, in the same segment: plaintext that must never be read as if it came over TLS
// (the STARTTLS response injection class, CVE-2020-15953 / CVE-2020-14954).
class InjectingRelay {
 public:
  InjectingRelay(std::uint16_t upstream, std::string inject) : upstream_(upstream), inject_(std::move(inject)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(fd_, 4) == 0) {
      socklen_t len = sizeof a;
      getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
      port_ = ntohs(a.sin_port);
    }
    thread_ = std::thread([this] { loop(); });
  }
  ~InjectingRelay() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  bool injected() const { return injected_.load(); }

 private:
  void loop() {
    pollfd p{fd_, POLLIN, 0};
    while (!stop_) {
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      const int s = test::connect_loopback(upstream_);
      if (s >= 0) relay(c, s);
      ::close(c);
      if (s >= 0) ::close(s);
    }
  }
  void relay(int c, int s) {
    pollfd p[2] = {{c, POLLIN, 0}, {s, POLLIN, 0}};
    char b[65536];
    while (!stop_) {
      if (::poll(p, 2, 50) <= 0) continue;
      for (int i = 0; i < 2; ++i) {
        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const ssize_t n = ::recv(p[i].fd, b, sizeof b, 0);
        if (n <= 0) return;
        std::string chunk(b, std::size_t(n));
        if (i == 1 && !injected_ && chunk.find("220 2.0.0 Ready to start TLS\r\n") != std::string::npos) {
          chunk += inject_;
          injected_ = true;
        }
        if (::send(p[1 - i].fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) != ssize_t(chunk.size())) return;
      }
    }
  }
  std::uint16_t upstream_;
  std::string inject_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> injected_{false};
  std::thread thread_;
};

TEST_P(SmtpClientTest, PlaintextAfterStarttlsReplyIsDropped) {
  start_server(true);
  // A forged EHLO reply (no SIZE limit, AUTH PLAIN) and a forged 250 for the MAIL to come.
  InjectingRelay relay(port_, "250-evil.example\r\n250 AUTH PLAIN\r\n250 2.0.0 forged\r\n");
  // The bytes the client had read with the 220 are dropped. On the fault backends a short
  // read may leave the rest in the socket: the TLS layer then gets them and the handshake
  // fails (bad_record): safe too, the forged lines are never read as replies.
  bool failed_closed = false;
  run([](std::string a, ClientOptions o, bool short_reads, bool* failed) -> Task<void> {
    auto c = co_await Client::connect(a, o);
    if (!c && short_reads && c.error() == tls::Errc::bad_record) {
      *failed = true;
      co_return;
    }
    CO_ASSERT_OK(c);
    EXPECT_TRUE(c->info().tls);
    EXPECT_EQ(c->info().auth, "");            // the forged AUTH line was not read
    EXPECT_EQ(c->info().max_size, 10485760u); // the real EHLO, over TLS
    Envelope e;
    e.from = "a@example.org";
    e.to = {"alice@local.test"};
    auto r = co_await c->send(e, kMessage);
    CO_ASSERT_OK(r);
    EXPECT_EQ(r->mail.text, "Ok");  // the server's, not the forged one
    (void)co_await c->quit();
  }(relay.address(), tls_options(TlsMode::required), GetParam().faults, &failed_closed));
  EXPECT_TRUE(relay.injected());
  EXPECT_EQ(new_messages(all()).size(), failed_closed ? 0u : 1u);
}

TEST_P(SmtpClientTest, TlsNameMismatchFails) {
  start_server(true);
  ClientOptions o = tls_options(TlsMode::required);
  o.tls_server_name = "other.example";
  run([](std::string a, ClientOptions o) -> Task<void> {
    auto c = co_await Client::connect(a, o);
    EXPECT_FALSE(c);
    if (!c) {
      EXPECT_EQ(c.error(), tls::Errc::name_mismatch) << c.error().message();
    }
  }(addr(), o));
}

TEST_P(SmtpClientTest, BlockingSendAndCompose) {
  start_server();
  smtp::Compose m;
  m.from = "Ann <a@example.org>";
  m.to = {"alice@local.test"};
  m.subject = "Grüße";
  m.text = "Hello\n.dot line\n";
  m.attachments.push_back({"notes.txt", "text/plain", "attached bytes"});
  m.message_id_domain = "example.org";
  auto msg = smtp::compose(m);
  ASSERT_TRUE(msg) << msg.error().message();
  EXPECT_NE(msg->find("Subject: =?UTF-8?B?"), std::string::npos);
  EXPECT_NE(msg->find("Message-ID: <"), std::string::npos);
  EXPECT_NE(msg->find("@example.org>"), std::string::npos);
  Envelope e;
  e.from = "a@example.org";
  e.to = {"alice@local.test"};
  auto r = smtp::send_mail(addr(), e, *msg, plain_options());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->delivered);
  const auto msgs = new_messages(all());
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(body_of(read_file(msgs[0])), *msg);
  // Header injection refused at the API.
  smtp::Compose bad = m;
  bad.subject = "hi\r\nBcc: victim@example.org";
  EXPECT_EQ(smtp::compose(bad).error(), ClientErrc::bad_input);
  bad = m;
  bad.to = {"x@y\nBcc: v@example.org"};
  EXPECT_EQ(smtp::compose(bad).error(), ClientErrc::bad_input);
  // A server that is not there: a socket error.
  ClientOptions o = plain_options();
  auto none = smtp::send_mail("127.0.0.1:" + std::to_string(test::free_port()), e, *msg, o);
  EXPECT_EQ(none.error(), std::errc::connection_refused);
  EXPECT_TRUE(smtp::is_transient(none.error()));
}

// ---- the scripted server ----

const std::string kEhlo = "250-fake.test\r\n250-PIPELINING\r\n250-SIZE 100000\r\n250 8BITMIME\r\n";

template <class F>
FakeSmtp::Handler with_standard(F special, std::string ehlo = kEhlo) {
  return [special, ehlo](const std::string& line) {
    std::string r = special(line);
    return r.empty() ? test::smtp::standard_reply(line, ehlo) : r;
  };
}

Task<void> send_one(std::string addr, ClientOptions o, Error want_connect, Error want_send = {}) {
  auto c = co_await Client::connect(addr, o);
  if (want_connect) {
    EXPECT_FALSE(c);
    if (!c) {
      EXPECT_EQ(c.error(), want_connect) << c.error().message();
    }
    co_return;
  }
  CO_ASSERT_OK(c);
  Envelope e;
  e.from = "a@example.org";
  e.to = {"b@example.net"};
  auto r = co_await c->send(e, "Subject: x\r\n\r\nbody\r\n");
  if (want_send) {
    EXPECT_FALSE(r);
    if (!r) {
      EXPECT_EQ(r.error(), want_send) << r.error().message();
    }
  } else {
    EXPECT_TRUE(r) << r.error().message();
  }
  if (c->connected()) (void)co_await c->quit();
}

TEST_P(SmtpClientTest, HeloFallbackWithoutPipelining) {
  FakeSmtp f("220 fake.test ready\r\n", [](const std::string& line) {
    if (line.starts_with("EHLO")) return std::string("502 5.5.1 no EHLO here\r\n");
    return test::smtp::standard_reply(line, "");
  });
  run(send_one(f.address(), plain_options(), {}));
  const auto lines = f.lines();
  ASSERT_GE(lines.size(), 7u);
  EXPECT_EQ(lines[0], "EHLO client.example");
  EXPECT_EQ(lines[1], "HELO client.example");
  EXPECT_EQ(lines[2], "MAIL FROM:<a@example.org>");  // no SIZE without ESMTP
  EXPECT_EQ(lines[3], "RCPT TO:<b@example.net>");
  EXPECT_EQ(lines[4], "DATA");
  EXPECT_EQ(lines[5], "DATA-BODY:Subject: x\r\n\r\nbody\r\n");
  EXPECT_EQ(lines[6], "QUIT");
  // One command per write without PIPELINING (short writes of the fault backends aside).
  if (!GetParam().faults)
    for (const auto& ch : f.chunks())
      if (!ch.starts_with("Subject")) {
        EXPECT_EQ(ch.find("\r\n"), ch.size() - 2) << ch;
      }
}

TEST_P(SmtpClientTest, PipelinedEnvelopeInOneWrite) {
  FakeSmtp f("220 fake.test ready\r\n", with_standard([](const std::string& line) {
               if (line == "RCPT TO:<no@example.net>") return std::string("550 5.1.1 no such user\r\n");
               return std::string();
             }));
  run([](std::string a) -> Task<void> {
    auto c = co_await Client::connect(a, plain_options());
    CO_ASSERT_OK(c);
    EXPECT_TRUE(c->info().pipelining);
    Envelope e;
    e.from = "a@example.org";
    e.to = {"b@example.net", "no@example.net", "c@example.net"};
    auto r = co_await c->send(e, "x\r\n");
    CO_ASSERT_OK(r);
    EXPECT_EQ(r->accepted, 2u);
    EXPECT_EQ(r->recipients[1].reply.code, 550u);
    EXPECT_EQ(r->recipients[1].reply.enhanced, "5.1.1");
    EXPECT_EQ(r->recipients[1].reply.text, "no such user");
    auto r2 = co_await c->send(e, "y\r\n");
    CO_ASSERT_OK(r2);
    (void)co_await c->quit();
  }(f.address()));
  const auto lines = f.lines();
  const auto rset = std::find(lines.begin(), lines.end(), "RSET");
  ASSERT_NE(rset, lines.end());
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "DATA"), 2);
  EXPECT_EQ(std::find(lines.begin(), rset, "DATA-BODY:x\r\n") - lines.begin(), 6) << "first message before RSET";
  const auto chunks = f.chunks();
  if (GetParam().faults) return;  // short writes split the batch
  const std::string envelope = "MAIL FROM:<a@example.org> SIZE=3\r\nRCPT TO:<b@example.net>\r\n"
                               "RCPT TO:<no@example.net>\r\nRCPT TO:<c@example.net>\r\nDATA\r\n";
  EXPECT_NE(std::find(chunks.begin(), chunks.end(), envelope), chunks.end());
  EXPECT_NE(std::find(chunks.begin(), chunks.end(), "RSET\r\n" + envelope), chunks.end()) << "RSET before the second";
}

TEST_P(SmtpClientTest, EightBitNeedsEightBitMimeAndUtf8NeedsSmtputf8) {
  FakeSmtp f("220 fake.test ready\r\n", with_standard([](const std::string&) { return std::string(); }));
  run([](std::string a) -> Task<void> {
    auto c = co_await Client::connect(a, plain_options());
    CO_ASSERT_OK(c);
    Envelope e;
    e.from = "a@example.org";
    e.to = {"b@example.net"};
    const std::string msg = "Subject: caf\xc3\xa9\r\n\r\n\xc3\xa9\r\n";
    auto r = co_await c->send(e, msg);
    CO_ASSERT_OK(r);
    e.to = {"\xc3\xa9@example.net"};
    auto u = co_await c->send(e, "x\r\n");
    EXPECT_EQ(u.error(), ClientErrc::smtputf8_unsupported);
    (void)co_await c->quit();
  }(f.address()));
  const auto lines = f.lines();
  EXPECT_NE(std::find(lines.begin(), lines.end(), "MAIL FROM:<a@example.org> SIZE=22 BODY=8BITMIME"), lines.end());
}

TEST_P(SmtpClientTest, SizeLimitOfTheServerChecked) {
  FakeSmtp f("220 fake.test ready\r\n", with_standard([](const std::string&) { return std::string(); },
                                                      "250-fake.test\r\n250 SIZE 10\r\n"));
  run(send_one(f.address(), plain_options(), {}, ClientErrc::message_too_large));
  for (const auto& l : f.lines()) EXPECT_FALSE(l.starts_with("MAIL")) << l;
}

const std::string kAuthEhlo = "250-fake.test\r\n250-AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2\r\n250 PIPELINING\r\n";

ClientOptions auth_options(smtp::AuthMechanism m) {
  ClientOptions o = plain_options();
  smtp::Credentials c;
  c.user = "tim";
  c.password = "tanstaaftanstaaf";
  c.mechanism = m;
  c.allow_plaintext = true;
  o.auth = c;
  return o;
}

TEST_P(SmtpClientTest, AuthPlainWithInitialResponse) {
  FakeSmtp f("220 fake.test\r\n", with_standard([](const std::string& line) {
               if (line.starts_with("AUTH")) return std::string("235 2.7.0 ok\r\n");
               return std::string();
             }, kAuthEhlo));
  run([](std::string a) -> Task<void> {
    auto c = co_await Client::connect(a, auth_options(smtp::AuthMechanism::automatic));
    CO_ASSERT_OK(c);
    EXPECT_TRUE(c->info().authenticated);
    // Over plaintext CRAM-MD5 is preferred; PLAIN asked for by name.
    EXPECT_EQ(c->info().mechanism, "CRAM-MD5");
    (void)co_await c->quit();
    auto d = co_await Client::connect(a, auth_options(smtp::AuthMechanism::plain));
    CO_ASSERT_OK(d);
    EXPECT_EQ(d->info().mechanism, "PLAIN");
    (void)co_await d->quit();
  }(f.address()));
  const auto lines = f.lines();
  // base64("\0tim\0tanstaaftanstaaf")
  EXPECT_NE(std::find(lines.begin(), lines.end(), "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm"), lines.end());
}

TEST_P(SmtpClientTest, AuthLoginAndCramMd5) {
  FakeSmtp f("220 fake.test\r\n", with_standard([](const std::string& line) {
               if (line == "AUTH LOGIN") return std::string("334 VXNlcm5hbWU6\r\n");
               if (line == "dGlt") return std::string("334 UGFzc3dvcmQ6\r\n");
               if (line == "dGFuc3RhYWZ0YW5zdGFhZg==") return std::string("235 2.7.0 ok\r\n");
               // RFC 2195's example challenge and its answer.
               if (line == "AUTH CRAM-MD5")
                 return std::string("334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n");
               if (line == "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw") return std::string("235 2.7.0 ok\r\n");
               // Any other AUTH, or a SASL answer that is not the expected one.
               bool verb = false;
               for (const char* v : {"EHLO", "HELO", "MAIL", "RCPT", "DATA", "QUIT", "RSET", "NOOP"})
                 verb = verb || line.starts_with(v);
               if (!verb) return std::string("535 5.7.8 bad\r\n");
               return std::string();
             }, kAuthEhlo));
  run(send_one(f.address(), auth_options(smtp::AuthMechanism::login), {}));
  run(send_one(f.address(), auth_options(smtp::AuthMechanism::cram_md5), {}));
  ClientOptions wrong = auth_options(smtp::AuthMechanism::cram_md5);
  wrong.auth->password = "wrong";
  run(send_one(f.address(), wrong, ClientErrc::auth_failed));
}

TEST_P(SmtpClientTest, AuthXoauth2AndItsFailure) {
  FakeSmtp f("220 fake.test\r\n", with_standard([](const std::string& line) {
               // base64("user=tim\1auth=Bearer good\1\1")
               if (line == "AUTH XOAUTH2 dXNlcj10aW0BYXV0aD1CZWFyZXIgZ29vZAEB") return std::string("235 2.7.0 ok\r\n");
               if (line.starts_with("AUTH XOAUTH2")) return std::string("334 eyJzdGF0dXMiOiI0MDEifQ==\r\n");
               if (line.empty()) return std::string("535 5.7.8 invalid token\r\n");
               return std::string();
             }, kAuthEhlo));
  ClientOptions o = auth_options(smtp::AuthMechanism::automatic);
  o.auth->oauth_token = "good";
  run(send_one(f.address(), o, {}));
  o.auth->oauth_token = "bad";
  run(send_one(f.address(), o, ClientErrc::auth_failed));
  // No mechanism in common.
  ClientOptions none = auth_options(smtp::AuthMechanism::automatic);
  FakeSmtp g("220 fake.test\r\n", with_standard([](const std::string&) { return std::string(); },
                                                "250-fake.test\r\n250 AUTH GSSAPI\r\n"));
  run(send_one(g.address(), none, ClientErrc::auth_unavailable));
}

TEST_P(SmtpClientTest, StarttlsRefusedWhenRequired) {
  const std::string ehlo = "250-fake.test\r\n250 STARTTLS\r\n";
  FakeSmtp f("220 fake.test\r\n", with_standard([](const std::string& line) {
               if (line == "STARTTLS") return std::string("454 4.7.0 TLS not available\r\n");
               return std::string();
             }, ehlo));
  ClientOptions req = plain_options();
  req.tls = TlsMode::required;
  run(send_one(f.address(), req, ClientErrc::starttls_refused));
  ClientOptions opp = plain_options();
  opp.tls = TlsMode::opportunistic;
  run(send_one(f.address(), opp, {}));  // goes on in plaintext
}

TEST_P(SmtpClientTest, ServerRefusalsAndClosing) {
  // A 554 greeting.
  FakeSmtp g("554 5.3.2 go away\r\n", with_standard([](const std::string&) { return std::string(); }));
  run(send_one(g.address(), plain_options(), smtp::reply_error(554)));
  // 421 at MAIL: the session ends.
  FakeSmtp f("220 fake.test\r\n", with_standard([](const std::string& line) {
               if (line.starts_with("MAIL")) return std::string("421 4.3.2 shutting down\r\n");
               return std::string();
             }));
  ClientOptions o = plain_options();
  o.pipelining = false;
  run([](std::string a, ClientOptions o) -> Task<void> {
    auto c = co_await Client::connect(a, o);
    CO_ASSERT_OK(c);
    Envelope e;
    e.from = "a@example.org";
    e.to = {"b@example.net"};
    auto r = co_await c->send(e, "x\r\n");
    EXPECT_EQ(r.error(), smtp::reply_error(421));
    EXPECT_EQ(smtp::reply_code_of(r.error()), 421u);
    EXPECT_TRUE(smtp::is_transient(r.error()));
    EXPECT_FALSE(c->connected());
    EXPECT_EQ(c->last_reply().text, "shutting down");
  }(f.address(), o));
  // The message refused after the dot (452): transient.
  FakeSmtp d("220 fake.test\r\n", with_standard([](const std::string& line) {
               if (line.starts_with("DATA-BODY:")) return std::string("452 4.3.1 out of storage\r\n");
               return std::string();
             }));
  run(send_one(d.address(), plain_options(), {}, smtp::reply_error(452)));
  // The server drops the connection at DATA.
  FakeSmtp x("220 fake.test\r\n", with_standard([](const std::string& line) {
               if (line == "DATA") return std::string("CLOSE");
               return std::string();
             }));
  run(send_one(x.address(), plain_options(), {}, ClientErrc::connection_closed));
}

TEST_P(SmtpClientTest, MalformedAndSilentServers) {
  FakeSmtp bad("hello there\r\n", [](const std::string&) { return std::string(); });
  run(send_one(bad.address(), plain_options(), ClientErrc::protocol_error));
  FakeSmtp lf("220 bare lf\n", [](const std::string&) { return std::string(); });
  run(send_one(lf.address(), plain_options(), ClientErrc::protocol_error));
  // A multi-line reply without end is cut at the line limit, not buffered forever.
  std::string endless = "220-x\r\n";
  for (int i = 0; i < 100; ++i) endless += "220-more\r\n";
  FakeSmtp longer(endless, [](const std::string&) { return std::string(); });
  run(send_one(longer.address(), plain_options(), ClientErrc::protocol_error));
  // One endless line: cut at 512 octets.
  FakeSmtp endless_line("220 " + std::string(2000, 'x'), [](const std::string&) { return std::string(); });
  run(send_one(endless_line.address(), plain_options(), ClientErrc::protocol_error));
  // A refused RSET under PIPELINING: the replies behind it would be out of step, so the
  // session ends.
  FakeSmtp rset("220 fake.test\r\n", with_standard([](const std::string& line) {
                  if (line == "RSET") return std::string("500 5.5.1 no RSET\r\n");
                  return std::string();
                }));
  run([](std::string a) -> Task<void> {
    auto c = co_await Client::connect(a, plain_options());
    CO_ASSERT_OK(c);
    Envelope e;
    e.from = "a@example.org";
    e.to = {"b@example.net"};
    auto r = co_await c->send(e, "x\r\n");
    CO_ASSERT_OK(r);
    auto r2 = co_await c->send(e, "y\r\n");
    EXPECT_EQ(r2.error(), smtp::reply_error(500));
    EXPECT_FALSE(c->connected());
  }(rset.address()));
  // Silence: the greeting timeout.
  FakeSmtp silent("", [](const std::string&) { return std::string(); });
  ClientOptions o = plain_options();
  o.timeouts.greeting_ms = 300;
  run(send_one(silent.address(), o, make_error_code(std::errc::timed_out)));
  // Silence after DATA: the data initiation timeout (RFC 5321 4.5.3.2.4 as a parameter).
  FakeSmtp stall("220 fake.test\r\n", with_standard([](const std::string& line) {
                   if (line == "DATA") return std::string(" ");  // one byte, never a whole reply
                   return std::string();
                 }));
  o = plain_options();
  o.timeouts.data_init_ms = 300;
  run(send_one(stall.address(), o, {}, make_error_code(std::errc::timed_out)));
}

// ---- MX routes ----

using namespace test::dnsr;

dns::ResolverOptions resolver_for(const FakeDns& d) {
  dns::ResolverOptions o;
  dns::ResolvConf c;
  c.servers.push_back(*SocketAddr::parse(d.address()));
  c.timeout_ms = 2000;
  c.attempts = 1;
  o.config = c;
  o.hosts = dns::Hosts{};
  return o;
}

TEST_P(SmtpClientTest, MxByPreferenceFallbackToImplicitMxNullMx) {
  start_server();
  std::mutex mu;
  std::vector<std::string> asked;
  FakeDns dns([&](const Bytes& q, bool) {
    auto a = parse_query(q);
    {
      std::lock_guard lk(mu);
      asked.push_back(a.qname + std::to_string(a.qtype));
    }
    Msg m = reply_to(a);
    const bool nodata_soa = true;
    if (a.qname == "local.test." && a.qtype == 15) {
      // mx2 is preferred but refuses connections (nothing on 127.0.0.2): mx1 takes it.
      m.answer = {{a.qname, 15, 300, rd_mx(20, "mx1.local.test.")}, {a.qname, 15, 300, rd_mx(10, "mx2.local.test.")}};
    } else if (a.qname == "mx1.local.test." && a.qtype == 1) {
      m.answer = {{a.qname, 1, 300, rd_a("127.0.0.1")}};
    } else if (a.qname == "mx2.local.test." && a.qtype == 1) {
      m.answer = {{a.qname, 1, 300, rd_a("127.0.0.2")}};
    } else if (a.qname == "other.local." && a.qtype == 1) {
      m.answer = {{a.qname, 1, 300, rd_a("127.0.0.1")}};
    } else if (a.qname == "nomail.test." && a.qtype == 15) {
      m.answer = {{a.qname, 15, 300, rd_mx(0, ".")}};
    } else if (a.qname.ends_with("nx.test.")) {
      m.flags = 0x8183;
      m.authority = {{"test.", 6, 600, rd_soa(120)}};
    } else if (nodata_soa) {
      m.authority = {{"test.", 6, 600, rd_soa(120)}};
    }
    return std::vector<Bytes>{m.build()};
  });
  ClientOptions o = plain_options();
  o.resolver = resolver_for(dns);
  o.mx_port = port_;
  run([](ClientOptions o) -> Task<void> {
    auto c = co_await Client::connect_mx("local.test", o);
    CO_ASSERT_OK(c);
    EXPECT_EQ(c->info().server, "mx1.local.test");
    Envelope e;
    e.from = "a@example.org";
    e.to = {"alice@local.test"};
    auto r = co_await c->send(e, kMessage);
    EXPECT_TRUE(r) << r.error().message();
    (void)co_await c->quit();
    // No MX: the domain's own address (the implicit MX).
    auto d = co_await Client::connect_mx("other.local", o);
    CO_ASSERT_OK(d);
    EXPECT_EQ(d->info().server, "other.local");
    (void)co_await d->quit();
    auto n = co_await Client::connect_mx("nomail.test", o);
    EXPECT_EQ(n.error(), ClientErrc::null_mx);
    auto x = co_await Client::connect_mx("nx.test", o);
    EXPECT_EQ(x.error(), ClientErrc::host_not_found);
    auto bad = co_await Client::connect_mx("not a domain", o);
    EXPECT_EQ(bad.error(), ClientErrc::bad_input);
  }(o));
  {
    std::lock_guard lk(mu);
    auto at = [&](const std::string& s) { return std::find(asked.begin(), asked.end(), s) - asked.begin(); };
    EXPECT_LT(at("mx2.local.test.1"), at("mx1.local.test.1")) << "preference 10 before 20";
  }
  EXPECT_EQ(new_messages(all()).size(), 1u);
  // The blocking call per recipient domain.
  Envelope e;
  e.from = "a@example.org";
  e.to = {"alice@local.test", "bob@other.local"};
  auto r = smtp::send_mail_mx(e, kMessage, o);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->size(), 2u);
  EXPECT_EQ(new_messages(all()).size(), 2u);
  EXPECT_EQ(new_messages(dir_ / "bob").size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, SmtpClientTest, ::testing::ValuesIn(test::all_backends()), test::param_name);

}  // namespace
}  // namespace zp
