// The zproto HTTPS server against real clients on loopback: curl (TLS 1.2 and 1.3, ALPN,
// a 3 MiB file read and encrypted instead of sendfile), wget, openssl s_client (SNI picks
// the certificate, ALPN, -sess_out/-sess_in resumption reported as "Reused" across two
// shards), plain HTTP and garbage on the TLS port (a clean close, not a hang), and a
// certificate reload on SIGHUP that keeps a live connection. Certificates come from a
// test CA made at test time. Clients run by pid with a time bound; a missing one fails.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../common/test_certs.h"
#include "../common/test_files.h"
#include "../common/test_net.h"
#include "../common/test_process.h"
#include "zp/engine/net.h"
#include "zp/engine/shard.h"
#include "zp/engine/tls.h"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using zp::test::free_port;
using zp::test::port_open;
using zp::test::random_bytes;
using zp::test::slurp;
using zp::test::spawn;
using zp::test::which;
using zp::test::wait_exit;
using zp::test::write_file;

struct Outcome {
  int rc = -1;
  std::string out;
};

class HttpsInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_https_interop.XXXXXX";
    dir_ = mkdtemp(tmpl);
    certs_ = zp::test::make_test_certs();
    ASSERT_FALSE(certs_.empty()) << "openssl could not make the test certificates";
    root_ = dir_ / "www";
    write_file(root_ / "hello.txt", "hello, tls\n");
    big_ = random_bytes(3 << 20, 9);  // beyond the in-memory cache: the file path
    write_file(root_ / "big.bin", big_);
    // The served certificate is a copy, so the reload test can replace it.
    fs::copy_file(certs_ + "/leaf.pem", dir_ / "site.pem");
    fs::copy_file(certs_ + "/leaf.key", dir_ / "site.key");
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
      port_ = free_port();
      write_file(dir_ / "zproto.json",
                 "{ \"state_dir\": \"" + (dir_ / "state").string() + "\",\n"
                 "  \"http\": { \"root\": \"" + root_.string() + "\",\n"
                 "    \"tls\": { \"listen\": [\"127.0.0.1:" + std::to_string(port_) + "\"],\n"
                 "             \"cert\": \"" + (dir_ / "site.pem").string() + "\", \"key\": \"" +
                     (dir_ / "site.key").string() + "\",\n"
                 "             \"certs\": [{\"cert\": \"" + certs_ + "/other.pem\", \"key\": \"" + certs_ +
                     "/other.key\"}] } } }\n");
      pid_ = zp::test::spawn_listening({ZPROTO_BIN, "serve", "-c", (dir_ / "zproto.json").string(), "-s", "2"},
                                       (dir_ / "server.log").string(), port_);
    }
    ASSERT_GT(pid_, 0) << slurp((dir_ / "server.log").string());
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      EXPECT_EQ(wait_exit(pid_, 10s), 0) << slurp((dir_ / "server.log").string());
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
    if (!certs_.empty()) fs::remove_all(certs_, ec);
  }

  std::string url(const std::string& path, const std::string& host = "localhost") const {
    return "https://" + host + ":" + std::to_string(port_) + path;
  }
  std::string ca() const { return certs_ + "/ca.pem"; }
  std::string hostport() const { return "127.0.0.1:" + std::to_string(port_); }

  Outcome run(const std::string& prog, std::vector<std::string> args, std::chrono::milliseconds limit = 60s,
              const std::string& stdin_text = {}) {
    Outcome r;
    std::string bin = which(prog);
    if (bin.empty()) {
      ADD_FAILURE() << prog << " is not installed (tools/zp installs it)";
      return r;
    }
    if (!stdin_text.empty()) {
      // sh -c 'printf ... | prog args' keeps the stdin handling in one place.
      std::string cmd = "printf '%s' \"$ZP_IN\" | exec \"$0\" \"$@\"";
      args.insert(args.begin(), bin);
      args.insert(args.begin(), cmd);
      args.insert(args.begin(), "-c");
      args.insert(args.begin(), "/bin/sh");
      ::setenv("ZP_IN", stdin_text.c_str(), 1);
    } else {
      args.insert(args.begin(), bin);
    }
    std::string out = (dir_ / (prog + ".out")).string();
    pid_t pid = spawn(args, out, dir_.string());
    r.rc = wait_exit(pid, limit);
    r.out = slurp(out);
    EXPECT_NE(r.rc, -1) << prog << " did not finish in time";
    return r;
  }

  // openssl s_client with one request (Connection: close) on stdin.
  Outcome s_client(std::vector<std::string> extra) {
    std::vector<std::string> args = {"s_client", "-connect", hostport(), "-CAfile", ca(), "-ign_eof"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run("openssl", args, 20s, "GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  }

  fs::path dir_, root_;
  std::string certs_, big_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(HttpsInterop, CurlTls12And13WithAlpn) {
  for (auto [min, max, want] : {std::tuple{"--tlsv1.2", "1.2", "TLSv1.2"}, {"--tlsv1.3", "1.3", "TLSv1.3"}}) {
    Outcome r = run("curl", {"-sS", "-v", "--cacert", ca(), min, "--tls-max", max, url("/hello.txt")});
    ASSERT_EQ(r.rc, 0) << r.out;
    EXPECT_NE(r.out.find("hello, tls"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(std::string("SSL connection using ") + want), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("ALPN: server accepted http/1.1"), std::string::npos) << r.out;
  }
}

TEST_F(HttpsInterop, CurlLargeFileAndKeepAlive) {
  std::string body = (dir_ / "big.out").string();
  Outcome r = run("curl", {"-sS", "--cacert", ca(), "-o", body, url("/big.bin")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(slurp(body), big_);
  // Three requests on one connection (curl reuses it).
  r = run("curl", {"-sS", "-v", "--cacert", ca(), url("/hello.txt"), url("/hello.txt"), url("/hello.txt")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("Re-using existing connection"), std::string::npos) << r.out;
}

TEST_F(HttpsInterop, CurlRefusesAnUntrustedServer) {
  Outcome r = run("curl", {"-sS", url("/hello.txt")});  // the system bundle does not know the test CA
  EXPECT_EQ(r.rc, 60) << r.out;  // CURLE_PEER_FAILED_VERIFICATION
}

TEST_F(HttpsInterop, WgetDownload) {
  std::string body = (dir_ / "wget.body").string();
  Outcome r = run("wget", {"-nv", "--ca-certificate=" + ca(), "-O", body, url("/big.bin")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(slurp(body), big_);
}

TEST_F(HttpsInterop, OpensslSniPicksTheCertificate) {
  Outcome r = s_client({"-servername", "other.zp.example", "-verify_hostname", "other.zp.example", "-verify_return_error"});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("CN = other"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Verify return code: 0 (ok)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("HTTP/1.1 200 OK"), std::string::npos) << r.out;
  r = s_client({"-servername", "localhost", "-verify_hostname", "localhost", "-verify_return_error"});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("CN = leaf"), std::string::npos) << r.out;
}

TEST_F(HttpsInterop, OpensslAlpnAndVersions) {
  for (auto v : {"-tls1_2", "-tls1_3"}) {
    Outcome r = s_client({v, "-servername", "localhost", "-alpn", "h2,http/1.1"});
    ASSERT_EQ(r.rc, 0) << r.out;
    EXPECT_NE(r.out.find("ALPN protocol: http/1.1"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(std::string("Protocol  : ") + (v[6] == '2' ? "TLSv1.2" : "TLSv1.3")), std::string::npos) << v
        << r.out;
  }
  // TLS 1.1 is refused.
  Outcome old = s_client({"-tls1_1"});
  EXPECT_NE(old.rc, 0) << old.out;
}

TEST_F(HttpsInterop, OpensslResumptionIsReused) {
  for (auto v : {"-tls1_2", "-tls1_3"}) {
    std::string sess = (dir_ / "session.pem").string();
    fs::remove(sess);
    Outcome first = s_client({v, "-servername", "localhost", "-sess_out", sess});
    ASSERT_EQ(first.rc, 0) << first.out;
    EXPECT_NE(first.out.find("New, TLSv1."), std::string::npos) << first.out;
    // Several times: with two shards the kernel spreads the connections, and every shard
    // derives the same ticket keys.
    for (int i = 0; i < 4; ++i) {
      Outcome again = s_client({v, "-servername", "localhost", "-sess_in", sess});
      ASSERT_EQ(again.rc, 0) << again.out;
      EXPECT_NE(again.out.find("Reused, TLSv1."), std::string::npos) << v << "\n" << again.out;
      EXPECT_NE(again.out.find("HTTP/1.1 200 OK"), std::string::npos) << again.out;
    }
  }
}

// Sends bytes on a plain TCP connection to the TLS port; returns how the server ended it:
// 0 for EOF or a reset within 3 s, -1 for a hang.
int plain_then_close(uint16_t port, const std::string& bytes) {
  int fd = zp::test::connect_loopback(port);
  if (fd < 0) return -2;
  (void)!::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  auto start = std::chrono::steady_clock::now();
  char buf[4096];
  int result = -1;
  while (std::chrono::steady_clock::now() - start < 3s) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) {
      result = 0;
      break;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;  // the 3 s receive timeout
  }
  ::close(fd);
  return result;
}

TEST_F(HttpsInterop, PlainHttpAndGarbageGetACleanClose) {
  EXPECT_EQ(plain_then_close(port_, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"), 0);
  EXPECT_EQ(plain_then_close(port_, std::string(200, '\x01')), 0);
  std::string fake("\x16\x03\x01\x00\x40", 5);
  fake += std::string(64, 'x');
  EXPECT_EQ(plain_then_close(port_, fake), 0);
  // And the server still serves.
  Outcome r = run("curl", {"-sS", "--cacert", ca(), url("/hello.txt")});
  EXPECT_EQ(r.rc, 0) << r.out;
}

// A keep-alive request over our own TLS client; "" on success, else what failed.
zp::Task<std::string> request(zp::Stream& s) {
  const char req[] = "GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n\r\n";
  auto w = co_await s.send(std::as_bytes(std::span(req, sizeof req - 1)));
  if (!w) co_return "send: " + w.error().message();
  std::string got;
  while (got.find("hello, tls\n") == std::string::npos) {
    auto b = co_await s.recv();
    if (!b) co_return "recv: " + b.error().message();
    if (b->eof()) co_return "eof after: " + got;
    got += b->text();
  }
  co_return "";
}

TEST_F(HttpsInterop, SighupReloadsCertificatesAndKeepsLiveConnections) {
  auto backend = zp::make_backend(zp::BackendKind::automatic, {});
  ASSERT_TRUE(backend);
  zp::Shard shard(0, 1, std::move(*backend));
  zp::tls::ClientConfig cc;
  cc.ca_file = ca();
  auto ctx = zp::tls::ClientContext::create(cc);
  ASSERT_TRUE(ctx);
  auto addr = *zp::SocketAddr::parse(hostport());
  auto open = [&](std::string name, zp::Stream* out) -> zp::Task<zp::Result<zp::tls::Info>> {
    auto s = co_await zp::Stream::connect(addr);
    if (!s) co_return s.error();
    *out = std::move(*s);
    co_return co_await zp::tls::connect(*out, *ctx, name);
  };
  zp::Stream live;
  auto first = shard.block_on(open("localhost", &live));
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(shard.block_on(request(live)), "");
  // Serve `wrongname` instead, reload.
  fs::copy_file(certs_ + "/wrongname.pem", dir_ / "site.pem", fs::copy_options::overwrite_existing);
  fs::copy_file(certs_ + "/wrongname.key", dir_ / "site.key", fs::copy_options::overwrite_existing);
  ASSERT_EQ(kill(pid_, SIGHUP), 0);
  bool reloaded = false;
  for (int i = 0; i < 200 && !reloaded; ++i) {
    reloaded = slurp((dir_ / "server.log").string()).find("certificates for") != std::string::npos;
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(reloaded) << slurp((dir_ / "server.log").string());
  std::this_thread::sleep_for(100ms);  // every shard has run its reload
  // The live connection still works...
  EXPECT_EQ(shard.block_on(request(live)), "");
  // ...and new ones get the new certificate (on every shard).
  for (int i = 0; i < 4; ++i) {
    zp::Stream s;
    auto r = shard.block_on(open("localhost", &s));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), zp::tls::make_error(zp::tls::Errc::name_mismatch)) << r.error().message();
    zp::Stream s2;
    auto ok = shard.block_on(open("wrong.example", &s2));
    EXPECT_TRUE(ok) << ok.error().message();
  }
  live.close();
  shard.request_stop(0);
  shard.run();
}

}  // namespace

namespace {

// `serve http --tls` without a certificate: a self-signed one is made in the state directory
// at first start (and said in the log), reused at the next, and curl accepts it as a CA.
TEST(HttpsDefault, SelfSignedCertificateInTheStateDirectory) {
  char tmpl[] = "/tmp/zp_https_default.XXXXXX";
  fs::path dir = mkdtemp(tmpl);
  write_file(dir / "www" / "index.html", "self-signed hello\n");
  std::string first_key;
  for (int start = 0; start < 2; ++start) {
    uint16_t port = free_port();
    std::string log = (dir / ("server" + std::to_string(start) + ".log")).string();
    pid_t pid = spawn({ZPROTO_BIN, "serve", "http", "--tls", "--listen", "127.0.0.1:" + std::to_string(port), "--root",
                       (dir / "www").string(), "--state-dir", (dir / "state").string(), "-s", "1"},
                      log);
    bool up = false;
    for (int i = 0; i < 500 && !up; ++i) {
      up = port_open(port);
      if (!up) std::this_thread::sleep_for(10ms);
    }
    ASSERT_TRUE(up) << slurp(log);
    // The log is written by a logger thread: the line may land after the port opens.
    auto log_says = [&](const std::string& what) {
      for (int i = 0; i < 200; ++i) {
        if (slurp(log).find(what) != std::string::npos) return true;
        std::this_thread::sleep_for(10ms);
      }
      return false;
    };
    fs::path cert = dir / "state" / "tls" / "self-signed.pem";
    fs::path key = dir / "state" / "tls" / "self-signed.key";
    ASSERT_TRUE(fs::exists(cert)) << slurp(log);
    EXPECT_EQ(fs::status(key).permissions() & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
    if (start == 0) {
      EXPECT_TRUE(log_says("created a self-signed one")) << slurp(log);
      first_key = slurp(key.string());
    } else {
      EXPECT_TRUE(log_says("using the self-signed one")) << slurp(log);
      EXPECT_EQ(slurp(key.string()), first_key) << "made again instead of reused";
    }
    std::string out = (dir / "curl.out").string();
    pid_t c = spawn({"/usr/bin/curl", "-sS", "--cacert", cert.string(), "https://localhost:" + std::to_string(port) + "/"},
                    out);
    EXPECT_EQ(wait_exit(c, 30s), 0) << slurp(out);
    EXPECT_EQ(slurp(out), "self-signed hello\n");
    kill(pid, SIGTERM);
    EXPECT_EQ(wait_exit(pid, 10s), 0) << slurp(log);
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
