// TLS configuration failures, each its own error (ServerContext/ClientContext::create), and
// the self-signed certificate generator: argument checks, long subjectAltName lists (DER
// long-form lengths, read back by openssl), the size bound, and a key file that cannot be
// written.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "zp/engine/tls.h"

namespace zp {
namespace {

namespace fs = std::filesystem;

class TlsConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_tls_config_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    cert_ = dir_ + "/a.pem";
    key_ = dir_ + "/a.key";
    ASSERT_TRUE(tls::make_self_signed(cert_, key_, {"a.test"}));
    ASSERT_TRUE(tls::make_self_signed(dir_ + "/b.pem", dir_ + "/b.key", {"b.test"}));
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_, cert_, key_;
};

std::error_code server_error(const tls::ServerConfig& cfg) {
  auto r = tls::ServerContext::create(cfg);
  return r ? std::error_code{} : r.error();
}
std::error_code client_error(const tls::ClientConfig& cfg) {
  auto r = tls::ClientContext::create(cfg);
  return r ? std::error_code{} : r.error();
}

TEST_F(TlsConfig, ServerFailuresNameTheirFile) {
  tls::ServerConfig ok;
  ok.certs = {{cert_, key_}};
  auto ctx = tls::ServerContext::create(ok);
  ASSERT_TRUE(ctx) << ctx.error().message();
  EXPECT_EQ((*ctx)->config().certs.at(0).cert_file, cert_);
  tls::ServerConfig c = ok;
  c.min_version = tls::Version::tls13;
  c.max_version = tls::Version::tls12;
  EXPECT_EQ(server_error(c), tls::Errc::bad_config);
  c = ok;
  c.certs = {{cert_, dir_ + "/missing.key"}};
  EXPECT_EQ(server_error(c), tls::Errc::bad_key_file);
  c.certs = {{cert_, cert_}};  // a certificate where the key should be
  EXPECT_EQ(server_error(c), tls::Errc::bad_key_file);
  c.certs = {{cert_, dir_ + "/b.key"}};  // a key, but not this certificate's
  EXPECT_EQ(server_error(c), tls::Errc::bad_key_file);
  c = ok;
  c.client_ca_file = dir_ + "/missing-ca.pem";
  EXPECT_EQ(server_error(c), tls::Errc::bad_ca_file);
  c.client_ca_file = key_;  // no certificate in it
  EXPECT_EQ(server_error(c), tls::Errc::bad_ca_file);
}

TEST_F(TlsConfig, ClientFailuresNameTheirFile) {
  tls::ClientConfig ok;
  ok.ca_file = cert_;
  ok.cert_file = cert_;
  ok.key_file = key_;
  auto ctx = tls::ClientContext::create(ok);
  ASSERT_TRUE(ctx) << ctx.error().message();
  EXPECT_EQ((*ctx)->config().key_file, key_);
  tls::ClientConfig c = ok;
  c.cert_file = dir_ + "/missing.pem";
  EXPECT_EQ(client_error(c), tls::Errc::bad_cert_file);
  c.cert_file = key_;
  EXPECT_EQ(client_error(c), tls::Errc::bad_cert_file);
  c = ok;
  c.key_file = dir_ + "/b.key";  // another certificate's key
  EXPECT_EQ(client_error(c), tls::Errc::bad_key_file);
  c.key_file = dir_ + "/missing.key";
  EXPECT_EQ(client_error(c), tls::Errc::bad_key_file);
  c = ok;
  c.min_version = tls::Version::tls13;
  c.max_version = tls::Version::tls12;
  EXPECT_EQ(client_error(c), tls::Errc::bad_config);
}

std::string run(const std::string& cmd) {
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    ::pclose(p);
  }
  return out;
}

TEST_F(TlsConfig, SelfSignedArgumentsAndLimits) {
  const std::string c = dir_ + "/g.pem", k = dir_ + "/g.key";
  EXPECT_EQ(tls::make_self_signed(c, k, {}).error().value(), EINVAL);
  EXPECT_EQ(tls::make_self_signed(c, k, {"a.test"}, 0).error().value(), EINVAL);
  EXPECT_EQ(tls::make_self_signed(c, k, {"a.test", ""}).error().value(), EINVAL);
  EXPECT_EQ(tls::make_self_signed(c, k, {std::string(254, 'a')}).error().value(), EINVAL);
  // More names than the certificate's subjectAltName room (16 KiB).
  const std::string label(63, 'x');
  const std::string long_name = label + "." + label + "." + label + "." + std::string(56, 'y') + ".test";
  ASSERT_EQ(long_name.size(), 253u);
  EXPECT_EQ(tls::make_self_signed(c, k, std::vector<std::string>(70, long_name)).error().value(), EINVAL);
  EXPECT_FALSE(fs::exists(c));
  // The key goes first; a key file that cannot be written fails the call.
  auto full = tls::make_self_signed(c, "/dev/full", {"a.test"});
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().value(), ENOSPC);
  EXPECT_FALSE(fs::exists(c));
}

TEST_F(TlsConfig, SelfSignedWithLongNames) {
  // Names of 128+ octets and a list over 255 octets: DER long-form lengths (0x81, 0x82).
  const std::string label(63, 'n');
  const std::vector<std::string> names = {label + "." + label + ".one.test", label + "." + label + ".two.test",
                                          "short.test"};
  const std::string c = dir_ + "/long.pem", k = dir_ + "/long.key";
  ASSERT_TRUE(tls::make_self_signed(c, k, names));
  tls::ServerConfig cfg;
  cfg.certs = {{c, k}};
  auto ctx = tls::ServerContext::create(cfg);
  ASSERT_TRUE(ctx) << ctx.error().message();
  const std::string text = run("openssl x509 -noout -ext subjectAltName -in " + c + " 2>&1");
  for (const auto& n : names) EXPECT_NE(text.find("DNS:" + n), std::string::npos) << n << " in\n" << text;
}

}  // namespace
}  // namespace zp
