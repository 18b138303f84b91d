// The TLS stream layer over loopback on every backend (and behind the fault layer): the
// handshake, data both ways past one record, close_notify, the handshake timeout, plain
// text and garbage on the TLS port, each certificate failure as its own error, SNI, ALPN,
// client certificates, session resumption and the STARTTLS injection case.
#include "zp/engine/tls.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "../../common/test_certs.h"
#include "engine_test_util.h"
#include "zp/engine/net.h"
#include "zp/engine/shard.h"

namespace zp {
namespace {

using namespace std::chrono_literals;
using test::BackendParam;

std::string g_certs;  // the test PKI, made once for the whole program

std::string cert(const std::string& name) { return g_certs + "/" + name; }

class TlsEnv : public ::testing::Environment {
 public:
  void SetUp() override { g_certs = test::make_test_certs(); }
  void TearDown() override {
    if (!g_certs.empty()) std::filesystem::remove_all(g_certs);
  }
};
const auto* const g_env = ::testing::AddGlobalTestEnvironment(new TlsEnv);

SocketAddr loopback() { return *SocketAddr::parse("127.0.0.1:0"); }

// Runs the shard until the spawned task has finished.
void join(Shard& shard, const Result<TaskHandle>& h) {
  auto wait = [](const TaskHandle* t) -> Task<void> { co_await t->join(); };
  shard.block_on(wait(&*h));
}

std::vector<std::byte> pattern(size_t n, unsigned seed = 7) {
  std::vector<std::byte> v(n);
  uint32_t x = seed;
  for (auto& b : v) {
    x = x * 1103515245u + 12345u;
    b = std::byte(x >> 24);
  }
  return v;
}

tls::ServerConfig server_cfg(const std::string& name = "leaf") {
  tls::ServerConfig c;
  c.certs = {{cert(name + ".pem"), cert(name + ".key")}};
  return c;
}

tls::ClientConfig client_cfg() {
  tls::ClientConfig c;
  c.ca_file = cert("ca.pem");
  return c;
}

std::shared_ptr<tls::ServerContext> server_ctx(const tls::ServerConfig& c) {
  auto r = tls::ServerContext::create(c);
  EXPECT_TRUE(r) << r.error().message();
  return r ? *r : nullptr;
}
std::shared_ptr<tls::ClientContext> client_ctx(const tls::ClientConfig& c) {
  auto r = tls::ClientContext::create(c);
  EXPECT_TRUE(r) << r.error().message();
  return r ? *r : nullptr;
}

// What one server connection saw.
struct ServerSide {
  Result<tls::Info> info = fail(EAGAIN);
  std::string received;  // plaintext until EOF
  bool eof = false;
  bool clean_close = false;
};

// Accepts one connection, runs the TLS handshake and echoes plaintext until EOF.
Task<void> tls_echo_server(Listener& l, std::shared_ptr<tls::ServerContext> ctx, ServerSide* out) {
  auto s = co_await l.accept();
  if (!s) co_return;
  out->info = co_await tls::accept(*s, ctx);
  if (!out->info) co_return;
  for (;;) {
    auto b = co_await s->recv();
    if (!b) break;
    if (b->eof()) {
      out->eof = true;
      out->clean_close = tls::closed_cleanly(*s);
      break;
    }
    out->received.append(b->text());
    auto w = co_await s->send(b->bytes());
    if (!w) break;
  }
}

// Connects, handshakes, sends data and reads it back; returns the client's Info.
Task<Result<tls::Info>> tls_round_trip(SocketAddr addr, std::shared_ptr<tls::ClientContext> ctx, std::string name,
                                       std::vector<std::byte> data) {
  auto s = co_await Stream::connect(addr);
  if (!s) co_return s.error();
  auto info = co_await tls::connect(*s, ctx, name);
  if (!info) co_return info.error();
  Shard* shard = Shard::current();
  auto writer = [&]() -> Task<void> {
    auto w = co_await s->send(data);
    EXPECT_TRUE(w) << (w ? "" : w.error().message());
  };
  auto wt = writer();
  auto h = shard->spawn(std::move(wt));
  std::vector<std::byte> got;
  while (got.size() < data.size()) {
    auto b = co_await s->recv();
    if (!b) co_return b.error();
    if (b->eof()) co_return fail(EPIPE);
    EXPECT_LE(b->size(), 16384u);  // one record's plaintext at most
    got.insert(got.end(), b->bytes().begin(), b->bytes().end());
  }
  co_await h->join();
  if (got != data) co_return fail(EBADMSG);
  s->close();  // close_notify goes out
  co_return info;
}

class TlsTest : public ::testing::TestWithParam<BackendParam> {
 protected:
  void SetUp() override { ASSERT_FALSE(g_certs.empty()) << "openssl could not make the test certificates"; }
};

TEST_P(TlsTest, HandshakeAndDataBothWaysPastOneRecord) {
  auto shard = test::make_shard(GetParam());
  for (auto v : {tls::Version::tls13, tls::Version::tls12}) {
    auto l = Listener::bind(*shard, loopback());
    ASSERT_TRUE(l);
    auto scfg = server_cfg();
    scfg.max_version = v;
    auto sctx = server_ctx(scfg);
    ServerSide side;
    auto srv = shard->spawn(tls_echo_server(*l, sctx, &side));
    auto ccfg = client_cfg();
    ccfg.alpn = {"http/1.1"};
    auto r = shard->block_on(tls_round_trip(l->local_addr(), client_ctx(ccfg), "localhost", pattern(300000)));
    ASSERT_TRUE(r) << r.error().message();
    join(*shard, srv);
    EXPECT_EQ(r->version, v == tls::Version::tls13 ? "TLSv1.3" : "TLSv1.2");
    EXPECT_EQ(r->alpn, "http/1.1");
    ASSERT_TRUE(side.info) << side.info.error().message();
    EXPECT_EQ(side.info->sni, "localhost");
    EXPECT_EQ(side.received.size(), 300000u);
    EXPECT_TRUE(side.eof);
    EXPECT_TRUE(side.clean_close) << "the client's close sent close_notify";
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, TlsTest, ::testing::ValuesIn(test::all_backends()), test::param_name);

class TlsCase : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(g_certs.empty()) << "openssl could not make the test certificates";
    shard = test::make_shard({BackendKind::automatic, false});
  }
  // One handshake of a client (ca_file trusted, server_name) against a server with `server_cert`.
  std::pair<Result<tls::Info>, Result<tls::Info>> handshake(const tls::ServerConfig& scfg, const tls::ClientConfig& ccfg,
                                                            const std::string& name) {
    auto l = Listener::bind(*shard, loopback());
    EXPECT_TRUE(l);
    ServerSide side;
    auto sctx = server_ctx(scfg);
    auto srv = shard->spawn(tls_echo_server(*l, sctx, &side));
    auto r = shard->block_on(tls_round_trip(l->local_addr(), client_ctx(ccfg), name, pattern(100)));
    srv->cancel();
    join(*shard, srv);
    return {std::move(r), std::move(side.info)};
  }
  std::unique_ptr<Shard> shard;
};

TEST_F(TlsCase, EachCertificateFailureIsItsOwnError) {
  struct Case {
    const char* server_cert;
    const char* name;
    tls::Errc want;
  } cases[] = {
      {"expired", "localhost", tls::Errc::cert_expired},
      {"wrongname", "localhost", tls::Errc::name_mismatch},
      {"self", "localhost", tls::Errc::unknown_ca},
      {"untrusted", "localhost", tls::Errc::unknown_ca},
      {"leaf", "nothere.example", tls::Errc::name_mismatch},
  };
  for (const Case& c : cases) {
    auto [client, server] = handshake(server_cfg(c.server_cert), client_cfg(), c.name);
    ASSERT_FALSE(client) << c.server_cert;
    EXPECT_EQ(client.error(), tls::make_error(c.want))
        << c.server_cert << ": got " << client.error().message() << " (" << client.error().value() << ")";
    EXPECT_FALSE(server) << c.server_cert;
  }
  // The valid ones: a direct leaf, a chain through an intermediate, a wildcard name.
  for (auto [server_cert, name] : {std::pair{"leaf", "localhost"}, {"chain", "localhost"}, {"leaf", "a.zp.test"},
                                   {"rsa", "localhost"}}) {
    auto [client, server] = handshake(server_cfg(server_cert), client_cfg(), name);
    EXPECT_TRUE(client) << server_cert << " " << name << ": " << client.error().message();
    EXPECT_TRUE(server) << server_cert;
  }
  // A wildcard covers one label only (RFC 6125).
  auto [deep, s2] = handshake(server_cfg("leaf"), client_cfg(), "a.b.zp.test");
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error(), tls::make_error(tls::Errc::name_mismatch));
}

TEST_F(TlsCase, MessagesSayWhatFailed) {
  EXPECT_NE(tls::make_error(tls::Errc::cert_expired).message().find("expired"), std::string::npos);
  EXPECT_NE(tls::make_error(tls::Errc::unknown_ca).message().find("unknown CA"), std::string::npos);
  EXPECT_NE(tls::alert_error(40).message().find("handshake_failure"), std::string::npos);
  EXPECT_NE(tls::make_error(tls::Errc::name_mismatch).message(), tls::make_error(tls::Errc::unknown_ca).message());
}

TEST_F(TlsCase, InsecureClientAcceptsAnything) {
  auto ccfg = client_cfg();
  ccfg.verify = false;
  auto [client, server] = handshake(server_cfg("self"), ccfg, "whatever.example");
  EXPECT_TRUE(client) << client.error().message();
}

TEST_F(TlsCase, SniPicksTheCertificate) {
  auto scfg = server_cfg("leaf");
  scfg.certs.push_back({cert("other.pem"), cert("other.key")});
  auto [client, server] = handshake(scfg, client_cfg(), "other.zp.example");
  ASSERT_TRUE(client) << client.error().message();  // verified against other's name
  ASSERT_TRUE(server);
  EXPECT_EQ(server->sni, "other.zp.example");
  auto [c2, s2] = handshake(scfg, client_cfg(), "localhost");  // the default
  EXPECT_TRUE(c2) << c2.error().message();
}

TEST_F(TlsCase, ClientCertificates) {
  auto scfg = server_cfg();
  scfg.client_ca_file = cert("ca.pem");
  auto [without, s1] = handshake(scfg, client_cfg(), "localhost");
  EXPECT_FALSE(without);
  ASSERT_FALSE(s1);
  EXPECT_EQ(s1.error(), tls::make_error(tls::Errc::no_peer_certificate)) << s1.error().message();
  auto ccfg = client_cfg();
  ccfg.cert_file = cert("client.pem");
  ccfg.key_file = cert("client.key");
  auto [with, s2] = handshake(scfg, ccfg, "localhost");
  EXPECT_TRUE(with) << with.error().message();
  EXPECT_TRUE(s2);
}

TEST_F(TlsCase, VersionsOutOfRangeFail) {
  auto scfg = server_cfg();
  scfg.min_version = tls::Version::tls13;
  auto ccfg = client_cfg();
  ccfg.max_version = tls::Version::tls12;
  auto [client, server] = handshake(scfg, ccfg, "localhost");
  EXPECT_FALSE(client);
  EXPECT_FALSE(server);
}

TEST_F(TlsCase, BadConfigurationIsRefusedAtCreation) {
  tls::ServerConfig none;
  EXPECT_EQ(tls::ServerContext::create(none).error(), tls::make_error(tls::Errc::bad_config));
  EXPECT_EQ(tls::ServerContext::create(server_cfg("nosuch")).error(), tls::make_error(tls::Errc::bad_cert_file));
  tls::ServerConfig mismatch;
  mismatch.certs = {{cert("leaf.pem"), cert("other.key")}};
  EXPECT_EQ(tls::ServerContext::create(mismatch).error(), tls::make_error(tls::Errc::bad_key_file));
  tls::ClientConfig badca;
  badca.ca_file = g_certs + "/nosuch.pem";
  EXPECT_EQ(tls::ClientContext::create(badca).error(), tls::make_error(tls::Errc::bad_ca_file));
  auto badcipher = server_cfg();
  badcipher.cipher_list = "NOT-A-CIPHER";
  EXPECT_EQ(tls::ServerContext::create(badcipher).error(), tls::make_error(tls::Errc::bad_config));
  // The system bundle loads.
  EXPECT_TRUE(tls::ClientContext::create({}));
}

// A client that connects and sends `bytes` (then waits); the server's accept result.
Result<tls::Info> accept_after(Shard& shard, int64_t timeout_ms, std::string bytes, int64_t* elapsed_ms = nullptr,
                               bool* client_saw_close = nullptr) {
  auto l = Listener::bind(shard, loopback());
  if (!l) return l.error();
  auto scfg = server_cfg();
  scfg.handshake_timeout_ms = timeout_ms;
  auto sctx = server_ctx(scfg);
  Result<tls::Info> out = fail(EAGAIN);
  auto server = [&]() -> Task<void> {
    auto s = co_await l->accept();
    if (!s) co_return;
    out = co_await tls::accept(*s, sctx);
  };
  auto sv = server();
  auto h = shard.spawn(std::move(sv));
  auto client = [&]() -> Task<void> {
    auto s = co_await Stream::connect(l->local_addr());
    if (!s) co_return;
    if (!bytes.empty()) {
      auto w = co_await s->send(std::as_bytes(std::span(bytes)));
      (void)w;
    }
    // The server must close (not hang): EOF, or a reset, or its alert then EOF.
    for (;;) {
      auto b = co_await s->recv();
      if (!b || b->eof()) break;
    }
    if (client_saw_close) *client_saw_close = true;
  };
  auto start = std::chrono::steady_clock::now();
  shard.block_on(client());
  join(shard, h);
  if (elapsed_ms)
    *elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  return out;
}

TEST_F(TlsCase, HandshakeTimeout) {
  int64_t ms = 0;
  bool closed = false;
  auto r = accept_after(*shard, 300, "", &ms, &closed);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), tls::make_error(tls::Errc::handshake_timeout)) << r.error().message();
  EXPECT_GE(ms, 250);
  EXPECT_LT(ms, 3000);
  EXPECT_TRUE(closed);
  // A ClientHello that trickles in and stops halfway is bounded by the same deadline.
  r = accept_after(*shard, 300, std::string("\x16\x03\x01\x01\x00\x01", 6), &ms, &closed);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), tls::make_error(tls::Errc::handshake_timeout));
}

TEST_F(TlsCase, PlainHttpAndGarbageGetACleanClose) {
  bool closed = false;
  int64_t ms = 0;
  auto r = accept_after(*shard, 5000, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", &ms, &closed);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), tls::make_error(tls::Errc::not_tls));
  EXPECT_TRUE(closed);
  EXPECT_LT(ms, 2000);
  // A record header that claims TLS, then nonsense inside.
  std::string junk("\x16\x03\x01\x00\x20", 5);
  junk += std::string(32, '\x7f');
  r = accept_after(*shard, 5000, junk, &ms, &closed);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error(), tls::make_error(tls::Errc::handshake_timeout)) << r.error().message();
  EXPECT_LT(ms, 2000);
  // An oversized record length.
  r = accept_after(*shard, 5000, std::string("\x16\x03\x01\xff\xff", 5), &ms, &closed);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), tls::make_error(tls::Errc::bad_record));
}

TEST_F(TlsCase, ResumptionWithASavedSession) {
  for (auto v : {tls::Version::tls13, tls::Version::tls12}) {
    auto l = Listener::bind(*shard, loopback());
    ASSERT_TRUE(l);
    auto scfg = server_cfg();
    scfg.max_version = v;
    auto sctx = server_ctx(scfg);
    auto server = [&]() -> Task<void> {
      for (int i = 0; i < 2; ++i) {
        auto s = co_await l->accept();
        if (!s) co_return;
        auto info = co_await tls::accept(*s, sctx);
        if (!info) co_return;
        auto w = co_await s->send(std::as_bytes(std::span("hello", 5)));
        (void)w;
        auto b = co_await s->recv();  // until the client closes
        (void)b;
      }
    };
    auto sv = server();
    auto h = shard->spawn(std::move(sv));
    auto cctx = client_ctx(client_cfg());
    auto client = [&](std::shared_ptr<void> session, std::shared_ptr<void>* saved) -> Task<Result<tls::Info>> {
      auto s = co_await Stream::connect(l->local_addr());
      if (!s) co_return s.error();
      auto info = co_await tls::connect(*s, cctx, "localhost", session);
      if (!info) co_return info.error();
      auto b = co_await s->recv();  // the data (and, in TLS 1.3, the ticket before it)
      if (!b) co_return b.error();
      *saved = tls::save_session(*s);
      co_return info;
    };
    std::shared_ptr<void> sess, sess2;
    auto first = shard->block_on(client(nullptr, &sess));
    ASSERT_TRUE(first) << first.error().message();
    EXPECT_FALSE(first->resumed);
    ASSERT_TRUE(sess);
    auto second = shard->block_on(client(sess, &sess2));
    ASSERT_TRUE(second) << second.error().message();
    EXPECT_TRUE(second->resumed) << (v == tls::Version::tls13 ? "TLS 1.3" : "TLS 1.2");
    join(*shard, h);
  }
}

// CVE-2011-0411 and kin: plaintext sent after STARTTLS, before the handshake, must never be
// read as if it had come through TLS.
TEST_F(TlsCase, StarttlsDiscardsPlaintextInjectedBeforeTheHandshake) {
  auto l = Listener::bind(*shard, loopback());
  ASSERT_TRUE(l);
  auto sctx = server_ctx(server_cfg());
  std::string first_command_over_tls;
  Result<tls::Info> sinfo = fail(EAGAIN);
  auto server = [&]() -> Task<void> {
    auto s = co_await l->accept();
    if (!s) co_return;
    auto w = co_await s->send(std::as_bytes(std::span("220 hi\r\n", 8)));
    auto cmd = co_await s->recv();
    if (!cmd || cmd->text() != "STARTTLS\r\n") co_return;
    cmd->reset();
    auto pause = co_await sleep(100ms);  // the injected line arrives meanwhile and waits unread
    (void)pause;
    w = co_await s->send(std::as_bytes(std::span("220 go ahead\r\n", 14)));
    sinfo = co_await tls::starttls_server(*s, sctx);
    if (!sinfo) co_return;
    auto b = co_await s->recv();
    if (b && !b->eof()) first_command_over_tls = std::string(b->text());
    (void)w;
  };
  auto sv = server();
  auto h = shard->spawn(std::move(sv));
  auto cctx = client_ctx(client_cfg());
  auto client = [&]() -> Task<Result<void>> {
    auto s = co_await Stream::connect(l->local_addr());
    if (!s) co_return s.error();
    std::string got;
    while (got.find("220 hi\r\n") == std::string::npos) {
      auto b = co_await s->recv();
      if (!b || b->eof()) co_return fail(EPIPE);
      got += b->text();
    }
    // The command and, as an attacker in the path would, a command of its own behind it.
    auto w1 = co_await s->send(std::as_bytes(std::span("STARTTLS\r\n", 10)));
    auto pause = co_await sleep(20ms);
    (void)pause;
    auto w2 = co_await s->send(std::as_bytes(std::span("RCPT TO:<attacker@evil>\r\n", 25)));
    got.clear();
    while (got.find("220 go ahead\r\n") == std::string::npos) {
      auto b = co_await s->recv();
      if (!b || b->eof()) co_return fail(EPIPE);
      got += b->text();
    }
    auto info = co_await tls::starttls_client(*s, cctx, "localhost");
    if (!info) co_return info.error();
    auto w3 = co_await s->send(std::as_bytes(std::span("EHLO over-tls\r\n", 15)));
    if (!w1 || !w2 || !w3) co_return fail(EPIPE);
    co_return Result<void>{};
  };
  auto r = shard->block_on(client());
  ASSERT_TRUE(r) << r.error().message();
  join(*shard, h);
  ASSERT_TRUE(sinfo) << sinfo.error().message();
  EXPECT_EQ(sinfo->discarded_plaintext, 25u);
  EXPECT_EQ(first_command_over_tls, "EHLO over-tls\r\n");
}

TEST_F(TlsCase, SelfSignedGeneratedByCertgen) {
  std::string c = g_certs + "/gen.pem", k = g_certs + "/gen.key";
  ASSERT_TRUE(tls::make_self_signed(c, k, {"localhost", "zp.local"}));
  EXPECT_EQ(std::filesystem::status(k).permissions() & std::filesystem::perms::others_read, std::filesystem::perms::none);
  tls::ServerConfig scfg;
  scfg.certs = {{c, k}};
  tls::ClientConfig ccfg;
  ccfg.ca_file = c;  // trust it explicitly
  auto [client, server] = handshake(scfg, ccfg, "zp.local");
  EXPECT_TRUE(client) << client.error().message();
  // Untrusted by default: a self-signed certificate is an unknown CA.
  auto [c2, s2] = handshake(scfg, client_cfg(), "localhost");
  ASSERT_FALSE(c2);
  EXPECT_EQ(c2.error(), tls::make_error(tls::Errc::unknown_ca));
}

}  // namespace
}  // namespace zp
