// The SMTP server with a certificate (STARTTLS on the plain port, implicit TLS on a second
// one), on every backend; the test PKI is made once per test program with openssl
// (tests/common/make_test_certs.sh), and a password file for AUTH is written per test.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "../../common/service_fixture.h"
#include "../../common/test_certs.h"
#include "engine_test_util.h"
#include "smtp_test_client.h"
#include "zp/service/password_file.h"
#include "zp/smtp/server.h"

namespace zp::test::smtp {

// The certificates of the whole program (made on first use, removed at exit). The string is
// never destroyed: the exit handler still reads it.
inline const std::string& certs_dir() {
  static const std::string* dir = [] {
    auto* d = new std::string(make_test_certs());
    if (!d->empty()) std::atexit([] {
        std::error_code ec;
        std::filesystem::remove_all(certs_dir(), ec);
      });
    return d;
  }();
  return *dir;
}

class TlsServerTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ASSERT_FALSE(certs_dir().empty()) << "openssl could not make the test certificates";
    char tmpl[] = "/tmp/zp_smtp_tls_test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    opts_.hostname = "mx.local.test";
    opts_.policy.domains = {"local.test"};
    opts_.policy.mailboxes = {{"@local.test", (dir_ / "all").string()}};
    opts_.delivery_threads = 2;
    opts_.limits.auth_failure_delay_ms = 0;  // AuthFailureIsSlow tests the delay
    opts_.tls.alpn.clear();
    opts_.tls.certs = {{certs_dir() + "/leaf.pem", certs_dir() + "/leaf.key"}};
  }
  void TearDown() override {
    stop_service();
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  // Users alice/secret and bob/hunter2 (PBKDF2, few iterations: the test is about the protocol).
  void with_passwords() {
    const std::uint8_t salt[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    std::string text = "# test users\n";
    for (auto [user, pw] : {std::pair{"alice", "secret"}, std::pair{"bob", "hunter2"}}) {
      const std::string_view p(pw);
      text += std::string(user) + ":" + service::PasswordFile::make_hash(std::as_bytes(std::span(p)), salt, 100) + "\n";
    }
    auto f = std::make_shared<service::PasswordFile>();
    ASSERT_EQ(service::PasswordFile::parse(text, "test.pw", {}, *f), "");
    ASSERT_EQ(f->size(), 2u);
    opts_.passwords = f;
  }
  void start() {
    start_service([this](Shard& shard, uint16_t port) {
      auto o = opts_;
      tls_port_ = free_port();
      o.listen = {"127.0.0.1:" + std::to_string(port)};
      o.tls_listen = {"127.0.0.1:" + std::to_string(tls_port_)};
      auto s = zp::smtp::Server::create(o);
      if (!s) return false;
      server_ = *s;
      return bool(server_->start(shard));
    });
  }
  std::string ca() const { return certs_dir() + "/ca.pem"; }
  // Connected to the plain port, greeted, EHLO'd, STARTTLS done, EHLO'd again.
  std::unique_ptr<Client> starttls_session() {
    auto c = std::make_unique<Client>(port_);
    EXPECT_TRUE(c->ok());
    EXPECT_EQ(c->code(), 220);
    EXPECT_EQ(c->cmd("EHLO client.example"), 250);
    EXPECT_EQ(c->cmd("STARTTLS"), 220);
    EXPECT_TRUE(c->start_tls(ca()));
    EXPECT_EQ(c->cmd("EHLO client.example"), 250);
    return c;
  }
  // Connected to the implicit TLS port, handshake done, greeted, EHLO'd.
  std::unique_ptr<Client> implicit_session() {
    auto c = std::make_unique<Client>(tls_port_);
    EXPECT_TRUE(c->ok());
    EXPECT_TRUE(c->start_tls(ca()));
    EXPECT_EQ(c->code(), 220);
    EXPECT_EQ(c->cmd("EHLO client.example"), 250);
    return c;
  }
  std::filesystem::path all() const { return dir_ / "all"; }

  std::filesystem::path dir_;
  zp::smtp::ServerOptions opts_;
  std::shared_ptr<zp::smtp::Server> server_;
  uint16_t tls_port_ = 0;
};

// base64 of `s` (test side: the codec has its own, this one checks it independently).
inline std::string b64(std::string_view s) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    const unsigned v = unsigned(std::uint8_t(s[i])) << 16 | unsigned(std::uint8_t(s[i + 1])) << 8 | std::uint8_t(s[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out += a[(v >> k) & 63];
  }
  if (i + 1 == s.size()) {
    const unsigned v = unsigned(std::uint8_t(s[i])) << 16;
    out += a[(v >> 18) & 63];
    out += a[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == s.size()) {
    const unsigned v = unsigned(std::uint8_t(s[i])) << 16 | unsigned(std::uint8_t(s[i + 1])) << 8;
    out += a[(v >> 18) & 63];
    out += a[(v >> 12) & 63];
    out += a[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

}  // namespace zp::test::smtp
