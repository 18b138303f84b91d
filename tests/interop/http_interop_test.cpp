// The zproto HTTP server against real clients on loopback: curl (GET, HEAD, ranges,
// conditionals, keep-alive reuse, POST → 405), wget (byte-exact download), ab -k and
// h2load --h1 (load with keep-alive and pipelining: no failures). Every client runs by
// pid with a time bound. A missing client fails the test: CI installs them (tools/zp).
// HttpRoutesInterop runs the server in process with routes: curl uploads (Content-Length,
// chunked, 100-continue) to an echo route and Basic auth with curl -u.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>
#include "../common/test_files.h"
#include "../common/test_process.h"
#include "../common/test_net.h"
#include "zp/engine/runtime.h"
#include "zp/http/router.h"
#include "zp/http/server.h"

namespace {

using zp::test::port_open;
using zp::test::spawn;
using zp::test::which;
using zp::test::slurp;
using zp::test::write_file;
using zp::test::random_bytes;

using zp::test::free_port;
using zp::test::wait_exit;

using namespace std::chrono_literals;
namespace fs = std::filesystem;


struct Outcome {
  int rc = -1;
  std::string out;
};

class HttpInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_http_interop.XXXXXX";
    dir_ = mkdtemp(tmpl);
    root_ = dir_ / "www";
    write_file(root_ / "index.html", "<!doctype html><title>zproto</title>\n");
    write_file(root_ / "hello.txt", "hello, interop\n");
    write_file(root_ / "alpha.txt", "0123456789abcdefghijklmnopqrstuvwxyz");
    big_ = random_bytes(3 << 20, 5);  // beyond the in-memory cache: sendfile
    write_file(root_ / "big.bin", big_);
    write_file(root_ / "small.bin", random_bytes(4096, 6));
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
      port_ = free_port();
      pid_ = zp::test::spawn_listening({ZPROTO_BIN, "serve", "http", "--root", root_.string(), "--listen",
                                       "127.0.0.1:" + std::to_string(port_), "--shards", "2"},
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
  }

  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

  // Runs a client by name (it must be installed), bounded in time.
  Outcome run(const std::string& prog, std::vector<std::string> args, std::chrono::milliseconds limit = 60s) {
    Outcome r;
    std::string bin = which(prog);
    if (bin.empty()) {
      ADD_FAILURE() << prog << " is not installed (tools/zp installs it: " << prog << ")";
      return r;
    }
    args.insert(args.begin(), bin);
    std::string out = (dir_ / (prog + ".out")).string();
    pid_t pid = spawn(args, out, dir_.string());
    r.rc = wait_exit(pid, limit);
    r.out = slurp(out);
    EXPECT_NE(r.rc, -1) << prog << " did not finish in time";
    return r;
  }

  fs::path dir_, root_;
  std::string big_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(HttpInterop, CurlGetHeadAndBody) {
  std::string body = (dir_ / "body").string();
  Outcome r = run("curl", {"-sS", "--http1.1", "-D", "-", "-o", body, url("/hello.txt")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("HTTP/1.1 200 OK"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Content-Length: 15"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ETag: \""), std::string::npos) << r.out;
  EXPECT_EQ(slurp(body), "hello, interop\n");

  r = run("curl", {"-sS", "--http1.1", "-I", url("/hello.txt")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("HTTP/1.1 200 OK"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Content-Length: 15"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("hello, interop"), std::string::npos) << r.out;

  r = run("curl", {"-sS", "--http1.1", "-o", "/dev/null", "-w", "%{http_code}", url("/nope.txt")});
  EXPECT_EQ(r.out, "404");
  r = run("curl", {"-sS", "--http1.1", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", url("/")});
  EXPECT_EQ(r.out.substr(0, 3), "200");
  // Large file through curl: byte-exact.
  r = run("curl", {"-sS", "--http1.1", "-o", body, url("/big.bin")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_TRUE(slurp(body) == big_);
}

TEST_F(HttpInterop, CurlRanges) {
  Outcome r = run("curl", {"-sS", "--http1.1", "-r", "5-9", "-w", "\n%{http_code}", url("/alpha.txt")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(r.out, "56789\n206");
  r = run("curl", {"-sS", "--http1.1", "-r", "-4", "-w", "\n%{http_code}", url("/alpha.txt")});
  EXPECT_EQ(r.out, "wxyz\n206");
  r = run("curl", {"-sS", "--http1.1", "-r", "30-", "-w", "\n%{http_code}", url("/alpha.txt")});
  EXPECT_EQ(r.out, "uvwxyz\n206");
  r = run("curl", {"-sS", "--http1.1", "-r", "0-1,4-5", "-D", "-", url("/alpha.txt")});
  EXPECT_NE(r.out.find("multipart/byteranges; boundary="), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Content-Range: bytes 4-5/36\r\n\r\n45"), std::string::npos) << r.out;
  r = run("curl", {"-sS", "--http1.1", "-r", "100-", "-D", "-", "-o", "/dev/null", url("/alpha.txt")});
  EXPECT_NE(r.out.find("416"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Content-Range: bytes */36"), std::string::npos) << r.out;
  // A range of the large file (sendfile with an offset).
  std::string body = (dir_ / "part").string();
  r = run("curl", {"-sS", "--http1.1", "-r", "1048576-2097151", "-o", body, url("/big.bin")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_TRUE(slurp(body) == big_.substr(1048576, 1048576));
  // Resuming a partial download (-C -): the rest comes as 206 and the file is whole.
  write_file(dir_ / "resume.bin", big_.substr(0, 1000000));
  r = run("curl", {"-sS", "--http1.1", "-C", "-", "-o", (dir_ / "resume.bin").string(), url("/big.bin")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_TRUE(slurp((dir_ / "resume.bin").string()) == big_);
}

TEST_F(HttpInterop, CurlConditionals) {
  std::string etags = (dir_ / "etags").string();
  Outcome r = run("curl", {"-sS", "--http1.1", "--etag-save", etags, "-o", "/dev/null", url("/hello.txt")});
  ASSERT_EQ(r.rc, 0) << r.out;
  std::string etag = slurp(etags);
  while (!etag.empty() && (etag.back() == '\n' || etag.back() == '\r')) etag.pop_back();
  ASSERT_FALSE(etag.empty());
  r = run("curl", {"-sS", "--http1.1", "--etag-compare", etags, "-o", "/dev/null", "-w", "%{http_code}", url("/hello.txt")});
  EXPECT_EQ(r.out, "304");
  r = run("curl", {"-sS", "--http1.1", "-H", "If-None-Match: " + etag, "-o", "/dev/null", "-w", "%{http_code}",
                   url("/hello.txt")});
  EXPECT_EQ(r.out, "304");
  r = run("curl", {"-sS", "--http1.1", "-H", "If-None-Match: \"nope\"", "-o", "/dev/null", "-w", "%{http_code}",
                   url("/hello.txt")});
  EXPECT_EQ(r.out, "200");
  // -z with the file's own time: not modified since; with an old date: modified.
  r = run("curl", {"-sS", "--http1.1", "-z", (root_ / "hello.txt").string(), "-o", "/dev/null", "-w", "%{http_code}",
                   url("/hello.txt")});
  EXPECT_EQ(r.out, "304");
  r = run("curl", {"-sS", "--http1.1", "-z", "Sat, 01 Jan 2000 00:00:00 GMT", "-o", "/dev/null", "-w", "%{http_code}",
                   url("/hello.txt")});
  EXPECT_EQ(r.out, "200");
}

TEST_F(HttpInterop, CurlReusesTheConnection) {
  Outcome r = run("curl", {"-sS", "-v", "--http1.1", "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null", "-o",
                       "/dev/null", "-w", "%{num_connects}\n", url("/hello.txt"), url("/alpha.txt"), url("/big.bin"),
                       url("/index.html")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("Re-using existing connection"), std::string::npos) << r.out;
  // num_connects: 1 for the first transfer, 0 for each reuse.
  std::regex lines("^([0-9]+)$", std::regex::multiline);
  int total = 0, count = 0;
  for (auto it = std::sregex_iterator(r.out.begin(), r.out.end(), lines); it != std::sregex_iterator(); ++it) {
    total += std::stoi((*it)[1]);
    ++count;
  }
  EXPECT_EQ(count, 4) << r.out;
  EXPECT_EQ(total, 1) << r.out;
}

TEST_F(HttpInterop, CurlPostIs405) {
  write_file(dir_ / "payload", random_bytes(100000, 9));
  Outcome r = run("curl", {"-sS", "--http1.1", "--data-binary", "@" + (dir_ / "payload").string(), "-D", "-", "-o",
                       "/dev/null", url("/hello.txt")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("HTTP/1.1 405"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Allow: GET, HEAD, OPTIONS"), std::string::npos) << r.out;
}

TEST_F(HttpInterop, WgetDownloadsByteExact) {
  Outcome r = run("wget", {"-q", "-O", (dir_ / "big.got").string(), url("/big.bin")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_TRUE(slurp((dir_ / "big.got").string()) == big_);
  r = run("wget", {"-q", "-O", (dir_ / "hello.got").string(), url("/hello.txt")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(slurp((dir_ / "hello.got").string()), "hello, interop\n");
  r = run("wget", {"-q", "-O", (dir_ / "missing.got").string(), url("/missing")});
  EXPECT_EQ(r.rc, 8) << r.out;  // server issued an error response
}

TEST_F(HttpInterop, ApacheBenchKeepAlive) {
  Outcome r = run("ab", {"-n", "2000", "-c", "16", "-k", "-s", "10", url("/small.bin")}, 120s);
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("Complete requests:      2000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Failed requests:        0"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Non-2xx responses"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Keep-Alive requests:    2000"), std::string::npos) << r.out;
}

TEST_F(HttpInterop, H2loadPipelined) {
  Outcome r = run("h2load", {"--h1", "-n", "2000", "-c", "8", "-m", "4", url("/small.bin")}, 120s);
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored, 0 timeout"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("status codes: 2000 2xx"), std::string::npos) << r.out;
  // Mixed: a larger file and 404s pipelined too.
  r = run("h2load", {"--h1", "-n", "400", "-c", "4", "-m", "8", url("/alpha.txt"), url("/nope")}, 120s);
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("400 total, 400 started, 400 done, 200 succeeded, 200 failed, 0 errored, 0 timeout"),
            std::string::npos)
      << r.out;  // h2load counts the 404s as "failed"
  EXPECT_NE(r.out.find("status codes: 200 2xx, 0 3xx, 200 4xx, 0 5xx"), std::string::npos) << r.out;
}

// ---- routes in process ----

uint64_t fnv(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) h = (h ^ uint8_t(c)) * 1099511628211ull;
  return h;
}

std::string echo_line(std::string_view body) { return std::to_string(body.size()) + " " + std::to_string(fnv(body)); }

class HttpRoutesInterop : public HttpInterop {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_http_routes.XXXXXX";
    dir_ = mkdtemp(tmpl);
    root_ = dir_ / "www";
    write_file(root_ / "hello.txt", "hello, interop\n");
    auto router = std::make_shared<zp::http::Router>();
    router->post("/echo", [](zp::http::Context& c) -> zp::Task<void> {
      auto body = co_await c.read_body(64u << 20);
      if (body) c.send(200, echo_line(*body));
    });
    router->get("/private/data", [](zp::http::Context& c) -> zp::Task<void> {
      c.send(200, "secret data\n");
      co_return;
    });
    // Basic auth on /private/ only: the built-in middleware wrapped by path.
    router->use([](zp::Shard& s, const zp::http::ServerOptions& o) -> zp::Result<zp::http::Middleware> {
      auto auth = zp::http::basic_auth({.realm = "interop", .users = {{"user", "pass"}}})(s, o);
      if (!auth) return auth.error();
      return zp::http::Middleware([auth = std::move(*auth)](zp::http::Context& c, zp::http::Next next) -> zp::Task<void> {
        if (c.path().starts_with("/private/")) co_await auth(c, next);
        else co_await next();
      });
    });
    router->static_files("/");
    zp::http::ServerOptions opts;
    opts.root = root_.string();
    zp::RuntimeOptions ro;
    ro.shards = 1;
    ro.handle_signals = false;
    ro.pin_threads = false;
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = free_port();
      opts.listen = {"127.0.0.1:" + std::to_string(port_)};
      rt_ = std::make_unique<zp::Runtime>(ro);
      auto done = std::make_shared<std::promise<bool>>();
      auto result = done->get_future();
      server_ = std::thread([this, opts, router, done] {
        auto r = rt_->run([&](zp::Shard& s) { return zp::http::start(s, opts, router); });
        done->set_value(bool(r));
      });
      bool up = false;
      for (int i = 0; i < 500 && !up; ++i) {
        if (result.wait_for(0ms) == std::future_status::ready) break;  // the port was taken
        up = port_open(port_);
        if (!up) std::this_thread::sleep_for(10ms);
      }
      if (up) {
        result_ = std::move(result);
        return;
      }
      rt_->stop();
      server_.join();
    }
    FAIL() << "the in-process server did not start";
  }
  void TearDown() override {
    if (server_.joinable()) {
      rt_->stop();
      server_.join();
      EXPECT_TRUE(result_.get());
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::unique_ptr<zp::Runtime> rt_;
  std::thread server_;
  std::future<bool> result_;
};

TEST_F(HttpRoutesInterop, CurlPostsBodiesToAnEchoRoute) {
  const std::string small = "name=zproto&x=1";
  Outcome r = run("curl", {"-sS", "--http1.1", "-d", small, url("/echo")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(r.out, echo_line(small));
  // A large file by Content-Length (curl sends Expect: 100-continue for it) and chunked.
  const std::string big = random_bytes(3 << 20, 11);
  write_file(dir_ / "upload.bin", big);
  r = run("curl", {"-sS", "--http1.1", "--data-binary", "@" + (dir_ / "upload.bin").string(), url("/echo")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(r.out, echo_line(big));
  r = run("curl", {"-sS", "--http1.1", "-H", "Transfer-Encoding: chunked", "--data-binary",
                   "@" + (dir_ / "upload.bin").string(), url("/echo")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(r.out, echo_line(big));
  // Two uploads and a GET on one connection: the bodies keep the framing.
  r = run("curl", {"-sS", "-v", "--http1.1", "-d", "one", url("/echo"), "--next", "--http1.1", "-H",
                   "Transfer-Encoding: chunked", "-d", "two!", url("/echo"), "--next", "--http1.1", url("/hello.txt")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find(echo_line("one")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(echo_line("two!")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("hello, interop"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Re-using existing connection"), std::string::npos) << r.out;
}

TEST_F(HttpRoutesInterop, CurlBasicAuth) {
  Outcome r = run("curl", {"-sS", "--http1.1", "-o", "/dev/null", "-D", "-", url("/private/data")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("HTTP/1.1 401"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("WWW-Authenticate: Basic realm=\"interop\""), std::string::npos) << r.out;
  r = run("curl", {"-sS", "--http1.1", "-u", "user:pass", url("/private/data")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(r.out, "secret data\n");
  r = run("curl", {"-sS", "--http1.1", "-u", "user:wrong", "-o", "/dev/null", "-w", "%{http_code}", url("/private/data")});
  EXPECT_EQ(r.out, "401");
  r = run("curl", {"-sS", "--http1.1", "-o", "/dev/null", "-w", "%{http_code}", url("/hello.txt")});
  EXPECT_EQ(r.out, "200");  // outside /private/: no credentials needed
}

// The zproto binary with middlewares from its config file: Basic auth (a {sha256} user),
// security headers, request ids and a rate limit, seen through curl.
class HttpConfigInterop : public HttpInterop {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_http_config.XXXXXX";
    dir_ = mkdtemp(tmpl);
    root_ = dir_ / "www";
    write_file(root_ / "hello.txt", "hello, interop\n");
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
      port_ = free_port();
      // sha256("secret")
      write_file(dir_ / "zproto.json", R"({ "http": { "root": ")" + root_.string() + R"(", "listen": ["127.0.0.1:)" +
                                            std::to_string(port_) + R"("],
          "access_log": ")" + (dir_ / "access.log").string() + R"(",
          "request_id": true, "security_headers": { "frame_options": "SAMEORIGIN" },
          "rate_limit": { "rps": 0.01, "burst": 5 },
          "basic_auth": { "realm": "cfg", "users": {
            "bob": "{sha256}2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b" } },
          "middleware_order": ["access_log", "security_headers", "request_id", "rate_limit", "basic_auth"] } })");
      pid_ = zp::test::spawn_listening({ZPROTO_BIN, "serve", "-c", (dir_ / "zproto.json").string(), "-s", "1"},
                                       (dir_ / "server.log").string(), port_);
    }
    ASSERT_GT(pid_, 0) << slurp((dir_ / "server.log").string());
  }
};

TEST_F(HttpConfigInterop, CurlAgainstConfiguredMiddlewares) {
  Outcome r = run("curl", {"-sS", "--http1.1", "-D", "-", "-o", "/dev/null", url("/hello.txt")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("HTTP/1.1 401"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("WWW-Authenticate: Basic realm=\"cfg\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("X-Frame-Options: SAMEORIGIN"), std::string::npos) << r.out;  // also on the 401
  EXPECT_NE(r.out.find("X-Request-Id: "), std::string::npos) << r.out;
  r = run("curl", {"-sS", "--http1.1", "-u", "bob:secret", "-D", "-", url("/hello.txt")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("HTTP/1.1 200"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("X-Content-Type-Options: nosniff"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("hello, interop"), std::string::npos) << r.out;
  r = run("curl", {"-sS", "--http1.1", "-u", "bob:wrong", "-o", "/dev/null", "-w", "%{http_code}", url("/hello.txt")});
  EXPECT_EQ(r.out, "401");
  // 3 requests so far of a burst of 5 (refilled at one per 100 s): the 3rd in a row is refused.
  std::string codes;
  for (int i = 0; i < 6; ++i) {
    r = run("curl", {"-sS", "--http1.1", "-u", "bob:secret", "-o", "/dev/null", "-w", "%{http_code} ", url("/hello.txt")});
    codes += r.out;
  }
  EXPECT_EQ(codes, "200 200 429 429 429 429 ") << codes;
}

}  // namespace
