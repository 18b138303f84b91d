// The zproto HTTPS client (and `zproto get`) against real TLS servers on loopback, with a
// test CA made at test time: nginx-light with ssl (keep-alive, a large file, session
// resumption seen through nginx's $ssl_session_reused, TLS 1.2 and 1.3) and openssl
// s_server -www with each bad certificate (expired, wrong name, self-signed, untrusted
// intermediate) giving its own error, and a valid chain through an intermediate. Servers
// run by pid with a time bound; a missing one is a failure.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "../common/test_certs.h"
#include "../common/test_files.h"
#include "../common/test_net.h"
#include "../common/test_process.h"
#include "zp/engine/backend.h"
#include "zp/engine/shard.h"
#include "zp/engine/tls.h"
#include "zp/http/client.h"

namespace zp {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace hc = http::client;
using test::random_bytes;
using test::slurp;
using test::write_file;

constexpr const char* kNginx = "/usr/sbin/nginx";
constexpr const char* kOpenssl = "/usr/bin/openssl";

// A child started for the test, stopped by pid.
struct Child {
  pid_t pid = -1;
  ~Child() { stop(); }
  void stop() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      test::wait_exit(pid, 5s);
    }
    pid = -1;
  }
};

pid_t start(const std::vector<std::string>& args, const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // a crashed test leaves no server behind
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    dup2(devnull, 0);  // s_server reads commands from stdin
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

class HttpsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    certs_ = test::make_test_certs();
    ASSERT_FALSE(certs_.empty()) << "openssl could not make the test certificates";
    dir_ = fs::temp_directory_path() / ("zp_https_client_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "www");
    auto b = make_backend(BackendKind::automatic, {});
    ASSERT_TRUE(b);
    shard_ = std::make_unique<Shard>(0, 1, std::move(*b));
  }
  void TearDown() override {
    nginx_.stop();
    s_server_.stop();
    if (shard_) {
      shard_->request_stop(0);
      shard_->run();
    }
    fs::remove_all(dir_);
    fs::remove_all(certs_);
  }

  // nginx with ssl on a free port serving dir_/www; false if it did not start.
  bool start_nginx(const std::string& protocols = "TLSv1.2 TLSv1.3") {
    if (::access(kNginx, X_OK) != 0) return false;
    port_ = test::free_port();
    const std::string d = dir_.string();
    std::ofstream(dir_ / "nginx.conf")
        << "daemon off;\nmaster_process off;\nworker_processes 1;\npid " << d << "/nginx.pid;\n"
        << "error_log " << d << "/error.log warn;\nevents { worker_connections 128; }\n"
        << "http {\n  access_log off;\n  client_body_temp_path " << d << "/b;\n  proxy_temp_path " << d << "/p;\n"
        << "  fastcgi_temp_path " << d << "/f;\n  uwsgi_temp_path " << d << "/u;\n  scgi_temp_path " << d << "/s;\n"
        << "  server {\n    listen 127.0.0.1:" << port_ << " ssl;\n"
        << "    ssl_certificate " << certs_ << "/leaf.pem;\n    ssl_certificate_key " << certs_ << "/leaf.key;\n"
        << "    ssl_protocols " << protocols << ";\n    ssl_session_cache shared:zp:1m;\n"
        << "    root " << d << "/www;\n"
        << "    add_header X-Reused $ssl_session_reused always;\n"
        << "    add_header X-Conn $connection always;\n"
        << "    add_header X-Proto $ssl_protocol always;\n"
        << "  }\n}\n";
    nginx_.pid = start({kNginx, "-p", d, "-c", d + "/nginx.conf"}, d + "/nginx.out");
    int fd = test::connect_retry(port_);
    if (fd < 0) return false;
    ::close(fd);
    return true;
  }

  // openssl s_server -www with cert NAME on a free port.
  bool start_s_server(const std::string& name, std::vector<std::string> extra = {}) {
    s_server_.stop();
    port_ = test::free_port();
    std::vector<std::string> args = {kOpenssl, "s_server", "-accept", "127.0.0.1:" + std::to_string(port_),
                                     "-cert", certs_ + "/" + name + ".pem", "-key", certs_ + "/" + name + ".key", "-www"};
    // -cert sends the leaf only: the intermediates of a chain file go with -cert_chain.
    if (name == "chain" || name == "untrusted") {
      args.push_back("-cert_chain");
      args.push_back(certs_ + "/" + (name == "chain" ? "inter.pem" : "rogueinter.pem"));
    }
    args.insert(args.end(), extra.begin(), extra.end());
    s_server_.pid = start(args, (dir_ / "s_server.out").string());
    int fd = test::connect_retry(port_);
    if (fd < 0) return false;
    ::close(fd);
    return true;
  }

  std::string url(const std::string& path, const std::string& host = "localhost") const {
    return "https://" + host + ":" + std::to_string(port_) + path;
  }
  hc::Options trusting() const {
    hc::Options o;
    o.tls.ca_file = certs_ + "/ca.pem";
    return o;
  }
  Result<hc::Response> get(hc::Client& c, const std::string& u) { return shard_->block_on(c.get(u)); }

  std::string certs_;
  fs::path dir_;
  uint16_t port_ = 0;
  Child nginx_, s_server_;
  std::unique_ptr<Shard> shard_;
};

TEST_F(HttpsClientTest, NginxKeepAliveLargeFileAndVersions) {
  ASSERT_EQ(::access(kNginx, X_OK), 0) << "install nginx-light (tools/zp)";
  std::string big = random_bytes(5 << 20, 3);
  write_file(dir_ / "www" / "big.bin", big);
  write_file(dir_ / "www" / "small.txt", "small\n");
  ASSERT_TRUE(start_nginx()) << slurp(dir_ / "error.log");
  hc::Client c(*shard_, trusting());
  auto r1 = get(c, url("/small.txt"));
  ASSERT_TRUE(r1) << r1.error().message();
  EXPECT_EQ(r1->status, 200);
  EXPECT_EQ(r1->body, "small\n");
  EXPECT_EQ(r1->header("X-Proto"), "TLSv1.3");
  auto r2 = get(c, url("/big.bin"));
  ASSERT_TRUE(r2) << r2.error().message();
  EXPECT_EQ(r2->body.size(), big.size());
  EXPECT_TRUE(r2->body == big);
  EXPECT_TRUE(r2->reused_connection);
  EXPECT_EQ(r2->header("X-Conn"), r1->header("X-Conn")) << "one TLS connection for both";
  EXPECT_EQ(c.stats().connections_opened, 1u);
  // An IP literal is checked against the certificate's IP entries.
  auto r3 = get(c, url("/small.txt", "127.0.0.1"));
  EXPECT_TRUE(r3) << r3.error().message();
  nginx_.stop();
  ASSERT_TRUE(start_nginx("TLSv1.2")) << slurp(dir_ / "error.log");
  hc::Client c12(*shard_, trusting());
  auto r4 = get(c12, url("/small.txt"));
  ASSERT_TRUE(r4) << r4.error().message();
  EXPECT_EQ(r4->header("X-Proto"), "TLSv1.2");
}

TEST_F(HttpsClientTest, NginxSessionResumptionAcrossConnections) {
  ASSERT_EQ(::access(kNginx, X_OK), 0) << "install nginx-light (tools/zp)";
  write_file(dir_ / "www" / "a.txt", "a\n");
  for (std::string proto : {"TLSv1.3", "TLSv1.2"}) {
    nginx_.stop();
    ASSERT_TRUE(start_nginx(proto)) << slurp(dir_ / "error.log");
    hc::Options o = trusting();
    o.keep_alive = false;  // a new connection (and handshake) per request
    hc::Client c(*shard_, o);
    auto first = get(c, url("/a.txt"));
    ASSERT_TRUE(first) << first.error().message();
    EXPECT_EQ(first->header("X-Reused"), ".");
    for (int i = 0; i < 3; ++i) {
      auto again = get(c, url("/a.txt"));
      ASSERT_TRUE(again) << again.error().message();
      EXPECT_EQ(again->header("X-Reused"), "r") << proto << ": the session was not resumed";
      EXPECT_EQ(again->header("X-Proto"), proto);
    }
  }
}

TEST_F(HttpsClientTest, UntrustedByDefaultAndInsecureSwitch) {
  ASSERT_EQ(::access(kNginx, X_OK), 0) << "install nginx-light (tools/zp)";
  write_file(dir_ / "www" / "a.txt", "a\n");
  ASSERT_TRUE(start_nginx()) << slurp(dir_ / "error.log");
  hc::Client strict(*shard_);  // the system bundle: our test CA is not in it
  auto r = get(strict, url("/a.txt"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), tls::make_error(tls::Errc::unknown_ca)) << r.error().message();
  hc::Options o;
  o.tls.verify = false;
  hc::Client loose(*shard_, o);
  auto ok = get(loose, url("/a.txt"));
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->body, "a\n");
}

TEST_F(HttpsClientTest, OpensslSServerCertificateCases) {
  ASSERT_EQ(::access(kOpenssl, X_OK), 0) << "install openssl (tools/zp)";
  struct Case {
    const char* cert;
    const char* host;
    Error want;  // empty: success
  } cases[] = {
      {"leaf", "localhost", {}},
      {"chain", "localhost", {}},
      {"rsa", "localhost", {}},
      {"expired", "localhost", tls::make_error(tls::Errc::cert_expired)},
      {"wrongname", "localhost", tls::make_error(tls::Errc::name_mismatch)},
      {"self", "localhost", tls::make_error(tls::Errc::unknown_ca)},
      {"untrusted", "localhost", tls::make_error(tls::Errc::unknown_ca)},
      {"leaf", "other.zp.test.invalid", tls::make_error(tls::Errc::name_mismatch)},
  };
  for (const Case& k : cases) {
    ASSERT_TRUE(start_s_server(k.cert)) << slurp(dir_ / "s_server.out");
    hc::Client c(*shard_, trusting());
    // The name to check differs from where we connect: resolve it ourselves (localhost).
    std::string u = url("/", "localhost");
    hc::Request req;
    req.url = u;
    if (std::string_view(k.host) != "localhost") {
      // Check another name against the same server: connect by IP, verify that name.
      hc::Options o = trusting();
      hc::Client other(*shard_, o);
      auto s = shard_->block_on([](uint16_t port) -> Task<Result<Stream>> {
        co_return co_await Stream::connect(*SocketAddr::parse("127.0.0.1:" + std::to_string(port)));
      }(port_));
      ASSERT_TRUE(s);
      tls::ClientConfig cc;
      cc.ca_file = certs_ + "/ca.pem";
      auto ctx = tls::ClientContext::create(cc);
      ASSERT_TRUE(ctx);
      auto info = shard_->block_on(tls::connect(*s, *ctx, k.host));
      ASSERT_FALSE(info) << k.cert << " " << k.host;
      EXPECT_EQ(info.error(), k.want) << info.error().message();
      continue;
    }
    auto r = shard_->block_on(c.request(std::move(req)));
    if (!k.want) {
      ASSERT_TRUE(r) << k.cert << ": " << r.error().message();
      EXPECT_EQ(r->status, 200) << k.cert;
      EXPECT_NE(r->body.find("s_server"), std::string::npos) << k.cert << r->body;
    } else {
      ASSERT_FALSE(r) << k.cert;
      EXPECT_EQ(r.error(), k.want) << k.cert << ": " << r.error().message();
      EXPECT_FALSE(r.error().message().empty());
    }
  }
}

TEST_F(HttpsClientTest, OpensslSServerTls12And13) {
  ASSERT_EQ(::access(kOpenssl, X_OK), 0) << "install openssl (tools/zp)";
  for (const char* v : {"-tls1_2", "-tls1_3"}) {
    ASSERT_TRUE(start_s_server("leaf", {v})) << slurp(dir_ / "s_server.out");
    hc::Client c(*shard_, trusting());
    auto r = get(c, url("/"));
    ASSERT_TRUE(r) << v << ": " << r.error().message();
    EXPECT_NE(r->body.find(v[5] == '2' ? "TLSv1.2" : "TLSv1.3"), std::string::npos) << r->body;
  }
}

// `zproto get` over https, as a user runs it.
int zproto_get(const std::vector<std::string>& args, const std::string& out) {
  std::vector<std::string> full = {ZPROTO_BIN, "get"};
  full.insert(full.end(), args.begin(), args.end());
  pid_t pid = test::spawn(full, out);
  return test::wait_exit(pid, 30s);
}

TEST_F(HttpsClientTest, ZprotoGetCacertAndInsecure) {
  ASSERT_EQ(::access(kNginx, X_OK), 0) << "install nginx-light (tools/zp)";
  write_file(dir_ / "www" / "a.txt", "hello over tls\n");
  ASSERT_TRUE(start_nginx()) << slurp(dir_ / "error.log");
  std::string out = (dir_ / "get.out").string();
  EXPECT_EQ(zproto_get({"--cacert", certs_ + "/ca.pem", url("/a.txt")}, out), 0) << slurp(out);
  EXPECT_EQ(slurp(out), "hello over tls\n");
  EXPECT_EQ(zproto_get({url("/a.txt")}, out), 60) << slurp(out);
  EXPECT_NE(slurp(out).find("unknown CA"), std::string::npos) << slurp(out);
  EXPECT_EQ(zproto_get({"-k", url("/a.txt")}, out), 0) << slurp(out);
  EXPECT_NE(slurp(out).find("NOT verified"), std::string::npos) << slurp(out);
  EXPECT_EQ(zproto_get({"--cacert", certs_ + "/ca.pem", url("/a.txt", "127.0.0.2")}, out), 7) << slurp(out);
}

}  // namespace
}  // namespace zp
