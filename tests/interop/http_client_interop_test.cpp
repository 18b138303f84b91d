// The zproto HTTP client against real nginx (Debian nginx-light) started by the test from a
// temporary config on 127.0.0.1 and a free port, stopped by pid, bounded in time: GETs of
// 0 B .. 1 MiB, HEAD, ranges, bodies (POST proxied to a WebDAV PUT and PUT, buffer/file/
// chunked: nginx writes them to disk and the test compares the bytes), redirects (nginx
// `return 301`), keep-alive reuse (nginx's $connection / $connection_requests in response
// fields), and `zproto get` itself. nginx missing at /usr/sbin/nginx is a failure.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../common/test_files.h"
#include "../common/test_net.h"
#include "zp/engine/backend.h"
#include "zp/engine/shard.h"
#include "zp/http/client.h"

namespace zp {
namespace {

using zp::test::slurp;
using zp::test::write_file;
using zp::test::random_bytes;

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace hc = http::client;

constexpr const char* kNginx = "/usr/sbin/nginx";

// nginx in the foreground without a master (runs as the test's user), on a free port.
class Nginx {
 public:
  Nginx() {
    dir_ = fs::temp_directory_path() / ("zp_nginx_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "www" / "files");
    fs::create_directories(dir_ / "dav");
    fs::create_directories(dir_ / "tmp");
    port_ = test::free_port();
    const std::string d = dir_.string();
    const std::string p = std::to_string(port_);
    std::ofstream(dir_ / "nginx.conf") <<
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid " << d << "/nginx.pid;\n"
        "error_log " << d << "/error.log warn;\n"
        "events { worker_connections 128; }\n"
        "http {\n"
        "  access_log " << d << "/access.log;\n"
        "  client_body_temp_path " << d << "/tmp/body;\n  proxy_temp_path " << d << "/tmp/proxy;\n"
        "  fastcgi_temp_path " << d << "/tmp/fcgi;\n  uwsgi_temp_path " << d << "/tmp/uwsgi;\n"
        "  scgi_temp_path " << d << "/tmp/scgi;\n"
        "  keepalive_requests 1000;\n"
        "  server {\n"
        "    listen 127.0.0.1:" << p << ";\n"
        "    root " << d << "/www;\n"
        "    add_header X-Conn $connection always;\n"
        "    add_header X-Conn-Requests $connection_requests always;\n"
        "    location /dav/ { root " << d << "; dav_methods PUT; create_full_put_path on;\n"
        "                     client_max_body_size 16m; client_body_buffer_size 2m; }\n"
        "    location = /post { client_max_body_size 16m; proxy_method PUT;\n"
        "                       proxy_pass http://127.0.0.1:" << p << "/dav/posted.bin; }\n"
        "    location = /old { return 301 /files/small.bin; }\n"
        "    location = /chain { return 302 /old; }\n"
        "    location = /loop { return 302 /loop; }\n"
        "  }\n"
        "}\n";
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // a test that crashes must not leave nginx behind
      execl(kNginx, kNginx, "-p", d.c_str(), "-c", (d + "/nginx.conf").c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    int fd = test::connect_retry(port_);
    started_ = fd >= 0;
    if (fd >= 0) ::close(fd);
  }
  ~Nginx() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      test::wait_exit(pid_, 5s);
    }
    fs::remove_all(dir_);
  }
  bool started() const { return started_; }
  std::string url(std::string_view path) const { return "http://127.0.0.1:" + std::to_string(port_) + std::string(path); }
  const fs::path& dir() const { return dir_; }
  std::string error_log() const { return slurp(dir_ / "error.log"); }

 private:
  fs::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  bool started_ = false;
};

class NginxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::access(kNginx, X_OK), 0) << kNginx << " is missing: install nginx-light (tools/zp)";
    nginx_ = std::make_unique<Nginx>();
    ASSERT_TRUE(nginx_->started()) << "nginx did not start: " << nginx_->error_log();
    auto b = make_backend(BackendKind::automatic, {});
    ASSERT_TRUE(b);
    shard_ = std::make_unique<Shard>(0, 1, std::move(*b));
  }
  void TearDown() override {
    if (shard_) {
      shard_->request_stop(0);
      shard_->run();
    }
  }
  Result<hc::Response> run(hc::Client& c, hc::Request r) { return shard_->block_on(c.request(std::move(r))); }
  std::unique_ptr<Nginx> nginx_;
  std::unique_ptr<Shard> shard_;
};

TEST_F(NginxTest, GetSizesOnOneConnection) {
  std::vector<size_t> sizes = {0, 1, 1000, 65536, 1 << 20};
  for (size_t n : sizes) write_file(nginx_->dir() / "www" / "files" / (std::to_string(n) + ".bin"), random_bytes(n, unsigned(n)));
  hc::Client c(*shard_);
  std::string conn;
  for (size_t n : sizes) {
    auto r = run(c, {.url = nginx_->url("/files/" + std::to_string(n) + ".bin")});
    ASSERT_TRUE(r) << n << ": " << r.error().message();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body.size(), n);
    EXPECT_TRUE(r->body == random_bytes(n, unsigned(n))) << n;
    if (conn.empty()) conn = r->header("X-Conn");
    EXPECT_EQ(r->header("X-Conn"), conn);  // keep-alive: nginx saw one connection
  }
  EXPECT_EQ(c.stats().connections_opened, 1u);
  auto h = run(c, {.method = "HEAD", .url = nginx_->url("/files/1048576.bin")});
  ASSERT_TRUE(h);
  EXPECT_EQ(h->header("Content-Length"), "1048576");
  EXPECT_TRUE(h->body.empty());
  EXPECT_EQ(h->header("X-Conn-Requests"), "6");
  auto nf = run(c, {.url = nginx_->url("/files/missing")});
  ASSERT_TRUE(nf);
  EXPECT_EQ(nf->status, 404);
}

TEST_F(NginxTest, Ranges) {
  const std::string data = random_bytes(10000, 1);
  write_file(nginx_->dir() / "www" / "r.bin", data);
  hc::Client c(*shard_);
  auto r = run(c, {.url = nginx_->url("/r.bin"), .headers = {{"Range", "bytes=100-199"}}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 206);
  EXPECT_EQ(r->header("Content-Range"), "bytes 100-199/10000");
  EXPECT_TRUE(r->body == data.substr(100, 100));
  auto s = run(c, {.url = nginx_->url("/r.bin"), .headers = {{"Range", "bytes=-10"}}});
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->body == data.substr(9990));
}

TEST_F(NginxTest, BodiesArriveByteExact) {
  hc::Client c(*shard_);
  const fs::path dav = nginx_->dir() / "dav";
  // Buffer: POST, proxied by nginx as a PUT into its WebDAV location.
  const std::string post = random_bytes(300000, 2);
  auto p = run(c, {.method = "POST", .url = nginx_->url("/post"), .body = post});
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_TRUE(p->status == 201 || p->status == 204) << p->status;
  EXPECT_TRUE(slurp(dav / "posted.bin") == post);
  // File: PUT with Content-Length from the file.
  const fs::path src = nginx_->dir() / "upload.src";
  const std::string file = random_bytes(1 << 20, 3);
  write_file(src, file);
  auto f = run(c, {.method = "PUT", .url = nginx_->url("/dav/file.bin"), .body_file = src.string()});
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_EQ(f->status, 201);
  EXPECT_TRUE(slurp(dav / "file.bin") == file);
  // Chunked stream from a producer.
  const std::string stream = random_bytes(500000, 4);
  size_t off = 0;
  hc::Request req{.method = "PUT", .url = nginx_->url("/dav/chunked.bin")};
  req.body_stream = [&](std::span<char> out) -> Result<size_t> {
    size_t n = std::min<size_t>({out.size(), stream.size() - off, 10000});
    std::memcpy(out.data(), stream.data() + off, n);
    off += n;
    return n;
  };
  auto ch = run(c, std::move(req));
  ASSERT_TRUE(ch) << ch.error().message();
  EXPECT_EQ(ch->status, 201);
  EXPECT_TRUE(slurp(dav / "chunked.bin") == stream);
}

TEST_F(NginxTest, Redirects) {
  write_file(nginx_->dir() / "www" / "files" / "small.bin", "small");
  {
    hc::Client c(*shard_);
    auto r = run(c, {.url = nginx_->url("/old")});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 301);  // off by default
    EXPECT_EQ(r->header("Location"), nginx_->url("/files/small.bin"));
  }
  hc::Client c(*shard_, {.follow_redirects = true});
  auto r = run(c, {.url = nginx_->url("/chain")});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "small");
  EXPECT_EQ(r->redirects, 2u);
  EXPECT_EQ(r->url, nginx_->url("/files/small.bin"));
  EXPECT_EQ(r->header("X-Conn-Requests"), "3");  // redirect bodies drained, one connection
  auto loop = run(c, {.url = nginx_->url("/loop")});
  ASSERT_FALSE(loop);
  EXPECT_EQ(loop.error(), hc::Errc::too_many_redirects);
}

TEST_F(NginxTest, BlockingFetch) {
  write_file(nginx_->dir() / "www" / "b.bin", random_bytes(100000, 5));
  auto r = http::fetch(nginx_->url("/b.bin"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->body == random_bytes(100000, 5));
}

// Runs the zproto binary; its exit code (or -1 after a 20 s bound). stdout/stderr to files.
int zproto(const std::vector<std::string>& args, const fs::path& out, const fs::path& err) {
  pid_t pid = fork();
  if (pid == 0) {
    freopen(out.c_str(), "w", stdout);
    freopen(err.c_str(), "w", stderr);
    std::vector<char*> argv{const_cast<char*>(ZPROTO_BIN)};
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(ZPROTO_BIN, argv.data());
    _exit(127);
  }
  return test::wait_exit(pid, 20s);
}

TEST_F(NginxTest, ZprotoGetCli) {
  const std::string data = random_bytes(200000, 6);
  write_file(nginx_->dir() / "www" / "files" / "small.bin", data);
  const fs::path out = nginx_->dir() / "cli.out", err = nginx_->dir() / "cli.err", file = nginx_->dir() / "cli.bin";
  // -o, -L across nginx's absolute redirect.
  ASSERT_EQ(zproto({"get", "-L", "-o", file.string(), nginx_->url("/old")}, out, err), 0) << slurp(err);
  EXPECT_TRUE(slurp(file) == data);
  // Without -L the 301 body is printed and the exit code is 0, like curl.
  ASSERT_EQ(zproto({"get", nginx_->url("/old")}, out, err), 0);
  EXPECT_NE(slurp(out).find("301"), std::string::npos);
  // -I: the head on stdout; -v: heads with prefixes on stderr.
  ASSERT_EQ(zproto({"get", "-I", "-v", nginx_->url("/files/small.bin")}, out, err), 0);
  EXPECT_EQ(slurp(out).rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(slurp(out).find("Content-Length: 200000\r\n"), std::string::npos);
  EXPECT_NE(slurp(err).find("> HEAD /files/small.bin HTTP/1.1\n"), std::string::npos);
  EXPECT_NE(slurp(err).find("< HTTP/1.1 200 OK\n"), std::string::npos);
  // -d posts form data (nginx stores it through the proxy); -H adds a field; -X overrides.
  ASSERT_EQ(zproto({"get", "-d", "a=1", "-d", "b=2", "-H", "X-Extra: yes", nginx_->url("/post")}, out, err), 0);
  EXPECT_EQ(slurp(nginx_->dir() / "dav" / "posted.bin"), "a=1&b=2");
  ASSERT_EQ(zproto({"get", "-X", "PUT", "-d", "put-body", nginx_->url("/dav/x.txt")}, out, err), 0);
  EXPECT_EQ(slurp(nginx_->dir() / "dav" / "x.txt"), "put-body");
  // Failures: one line on stderr and curl's exit codes.
  EXPECT_EQ(zproto({"get", "http://127.0.0.1:" + std::to_string(test::free_port()) + "/"}, out, err), 7);
  const std::string one_line = slurp(err);
  EXPECT_EQ(std::count(one_line.begin(), one_line.end(), '\n'), 1) << one_line;
  EXPECT_EQ(zproto({"get", "-L", nginx_->url("/loop")}, out, err), 47);
  EXPECT_EQ(zproto({"get", "ftp://127.0.0.1/"}, out, err), 1);
}

}  // namespace
}  // namespace zp
