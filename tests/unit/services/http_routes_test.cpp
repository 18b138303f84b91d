// The HTTP server with routes, request bodies and middlewares, in process on every backend
// (also behind the fault layer): route parameters, wildcards, 404/405, HEAD→GET; bodies by
// Content-Length and chunked (with trailers, split at every byte, pipelined after), 413,
// the body timeout (408), 100-continue, a body on a static GET; streamed responses; a
// handler that waits; request id, security headers, rate limit, Basic auth, the access log
// of a routed request, middleware order; and the /metrics histogram and status counters.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "engine_test_util.h"
#include "http_test_util.h"
#include "zp/engine/shard.h"
#include "zp/http/router.h"
#include "zp/http/server.h"

namespace zp {
namespace {

using namespace std::chrono_literals;
using test::Conn;
using test::fetch;
using test::get;
using test::lower;
using test::random_bytes;
using test::Reply;
using test::write_file;
namespace fs = std::filesystem;

// FNV-1a, for bodies too large to echo.
uint64_t fnv(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) h = (h ^ uint8_t(c)) * 1099511628211ull;
  return h;
}

std::string echo_line(std::string_view body) { return std::to_string(body.size()) + " " + std::to_string(fnv(body)) + "\n"; }

// A request with a Content-Length body.
std::string post(std::string_view path, std::string_view body, std::string_view extra = {}) {
  std::string r = "POST " + std::string(path) + " HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) +
                  "\r\n" + std::string(extra) + "\r\n";
  r += body;
  return r;
}

// The same body chunked in pieces of `piece` bytes, with a trailer field.
std::string post_chunked(std::string_view path, std::string_view body, size_t piece, std::string_view extra = {}) {
  std::string r = "POST " + std::string(path) + " HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n" +
                  std::string(extra) + "\r\n";
  for (size_t i = 0; i < body.size(); i += piece) {
    std::string_view p = body.substr(i, piece);
    char hex[32];
    std::snprintf(hex, sizeof hex, "%zx;ext=1\r\n", p.size());
    r += hex;
    r += p;
    r += "\r\n";
  }
  r += "0\r\nX-Checksum: abc\r\n\r\n";
  return r;
}

class HttpRoutesTest : public test::HttpServerFixture {
 protected:
  void SetUp() override {
    HttpServerFixture::SetUp();
    write_file(root_ / "a.txt", "static-a");
    write_file(root_ / "assets" / "app.js", "js!");
    router_ = std::make_shared<http::Router>();
  }
  // The routes most tests use.
  void add_routes() {
    auto& r = *router_;
    r.get("/users/:id", [](http::Context& c) -> Task<void> {
      c.send(200, "user " + std::string(c.param("id")) + " q=" + std::string(c.query()) + "\n");
      co_return;
    });
    r.get("/users/me", [](http::Context& c) -> Task<void> {
      c.send_view(200, "me\n");
      co_return;
    });
    r.get("/files/*", [](http::Context& c) -> Task<void> {
      c.send(200, "rest=" + std::string(c.rest()) + "\n");
      co_return;
    });
    // Reads the whole body (bounded): its length and hash.
    r.post("/echo", [](http::Context& c) -> Task<void> {
      auto body = co_await c.read_body(1 << 20);
      if (!body) co_return;  // the server answers the body's error
      c.send(200, echo_line(*body));
    });
    r.put("/echo", [](http::Context& c) -> Task<void> {
      auto body = co_await c.read_body(1 << 20);
      if (!body) co_return;
      c.send(200, echo_line(*body));
    });
    // Reads the body in pieces: how many pieces and the hash.
    r.post("/pieces", [](http::Context& c) -> Task<void> {
      std::string all;
      size_t pieces = 0;
      for (;;) {
        auto p = co_await c.read_some();
        if (!p) co_return;
        if (p->empty()) break;
        ++pieces;
        all += *p;
      }
      c.send(200, echo_line(all));
      (void)pieces;
    });
    r.post("/small", [](http::Context& c) -> Task<void> {
      auto body = co_await c.read_body(10);
      if (!body) co_return;
      c.send(200, "ok\n");
    });
    // Ignores its body: the server drops it.
    r.post("/ignore", [](http::Context& c) -> Task<void> {
      c.send(202, "ignored\n");
      co_return;
    });
    r.get("/slow", [](http::Context& c) -> Task<void> {
      auto slept = co_await sleep(50ms);
      c.send(200, slept ? "slept\n" : "cancelled\n");
    });
    r.get("/stream", [](http::Context& c) -> Task<void> {
      if (!co_await c.begin_stream(200, "text/plain")) co_return;
      for (int i = 0; i < 3; ++i) {
        auto slept = co_await sleep(5ms);
        (void)slept;
        if (!co_await c.write("part" + std::to_string(i) + "\n")) co_return;
      }
      (void)co_await c.end_stream();
    });
    r.get("/file", [](http::Context& c) -> Task<void> {
      c.send_file("a.txt");
      co_return;
    });
    r.static_files("/assets/").static_files("/");
  }
};

TEST_P(HttpRoutesTest, ParamsWildcardAndExactRoutes) {
  add_routes();
  start();
  Reply r = fetch(port_, "/users/42?x=1");
  ASSERT_EQ(r.status, 200) << r.head;
  EXPECT_EQ(r.body, "user 42 q=x=1\n");
  EXPECT_EQ(r.field("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(fetch(port_, "/users/me").body, "me\n");
  EXPECT_EQ(fetch(port_, "/users/caf%C3%A9").body, "user caf\xC3\xA9 q=\n");  // decoded
  EXPECT_EQ(fetch(port_, "/files/a/b/c.txt").body, "rest=a/b/c.txt\n");
  EXPECT_EQ(fetch(port_, "/files/x/../y").body, "rest=y\n");  // dot segments removed first
  // Static files: the mount at "/" and at "/assets/".
  EXPECT_EQ(fetch(port_, "/a.txt").body, "static-a");
  EXPECT_EQ(fetch(port_, "/assets/app.js").body, "js!");
  EXPECT_EQ(fetch(port_, "/file").body, "static-a");
  EXPECT_EQ(fetch(port_, "/missing").status, 404);
  Reply d = fetch(port_, "/assets");  // a directory below the root mount: redirected
  EXPECT_EQ(d.status, 301);
  EXPECT_EQ(d.field("Location"), "/assets/");
}

TEST_P(HttpRoutesTest, NotFoundMethodNotAllowedHeadAndOptions) {
  router_->get("/only-get", [](http::Context& c) -> Task<void> {
    c.send(200, "body of get\n");
    co_return;
  });
  router_->post("/only-get/:x", [](http::Context& c) -> Task<void> {
    c.send(200, "x\n");
    co_return;
  });
  start();
  EXPECT_EQ(fetch(port_, "/nothing").status, 404);  // no static mount here
  Reply r = fetch(port_, "/only-get", {}, "DELETE");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.field("Allow"), "GET, HEAD, OPTIONS");
  r = fetch(port_, "/only-get", {}, "HEAD");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.field("Content-Length"), "12");
  EXPECT_TRUE(r.body.empty());
  r = fetch(port_, "/only-get", {}, "OPTIONS");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.field("Allow"), "GET, HEAD, OPTIONS");
  r = fetch(port_, "/only-get/1");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.field("Allow"), "POST, OPTIONS");
  EXPECT_EQ(fetch(port_, "/%zz").status, 400);  // undecodable path
  // HEAD and the keep-alive after it: the next response is read correctly.
  Conn c(port_);
  ASSERT_TRUE(c.send(get("/only-get", {}, "HEAD") + get("/only-get")));
  EXPECT_EQ(c.read(true).status, 200);
  EXPECT_EQ(c.read().body, "body of get\n");
}

TEST_P(HttpRoutesTest, ContentLengthAndChunkedBodies) {
  add_routes();
  start();
  const std::string body = random_bytes(200000, 3);
  Conn c(port_);
  ASSERT_TRUE(c.send(post("/echo", "hello")));
  Reply r = c.read();
  EXPECT_EQ(r.body, echo_line("hello"));
  ASSERT_TRUE(c.send(post("/echo", body)));
  EXPECT_EQ(c.read().body, echo_line(body));
  ASSERT_TRUE(c.send(post_chunked("/echo", body, 7000)));
  EXPECT_EQ(c.read().body, echo_line(body));
  ASSERT_TRUE(c.send(post_chunked("/pieces", body, 65536)));
  EXPECT_EQ(c.read().body, echo_line(body));
  ASSERT_TRUE(c.send(post_chunked("/echo", "", 1)));  // only the last chunk and a trailer
  EXPECT_EQ(c.read().body, echo_line(""));
  ASSERT_TRUE(c.send(post("/echo", "")));
  EXPECT_EQ(c.read().body, echo_line(""));
  // A body the handler never reads is dropped; the connection goes on.
  ASSERT_TRUE(c.send(post("/ignore", body.substr(0, 5000))));
  EXPECT_EQ(c.read().status, 202);
  ASSERT_TRUE(c.send(post_chunked("/ignore", body.substr(0, 5000), 100)));
  EXPECT_EQ(c.read().status, 202);
  ASSERT_TRUE(c.send(get("/users/1")));
  EXPECT_EQ(c.read().body, "user 1 q=\n");
}

TEST_P(HttpRoutesTest, PipelinedRequestsAfterBodies) {
  add_routes();
  start();
  Conn c(port_);
  std::string all = post("/echo", "first") + post_chunked("/echo", "second body", 3) + get("/users/7") +
                    post("/ignore", "dropped") + post_chunked("/pieces", "xyz", 1) + get("/a.txt") +
                    get("/a.txt", {}, "HEAD") + post("/echo", "last", "Connection: close\r\n");
  ASSERT_TRUE(c.send(all));
  EXPECT_EQ(c.read().body, echo_line("first"));
  EXPECT_EQ(c.read().body, echo_line("second body"));
  EXPECT_EQ(c.read().body, "user 7 q=\n");
  EXPECT_EQ(c.read().status, 202);
  EXPECT_EQ(c.read().body, echo_line("xyz"));
  EXPECT_EQ(c.read().body, "static-a");
  EXPECT_EQ(c.read(true).field("Content-Length"), "8");
  Reply last = c.read();
  EXPECT_EQ(last.body, echo_line("last"));
  EXPECT_EQ(last.field("Connection"), "close");
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_P(HttpRoutesTest, ChunkedBodySplitAtEveryByte) {
  add_routes();
  start();
  const std::string req = post_chunked("/echo", "split me anywhere", 5) + get("/users/9");
  for (size_t at = 1; at < req.size(); ++at) {
    Conn c(port_);
    ASSERT_TRUE(c.send(req.substr(0, at)));
    std::this_thread::sleep_for(1ms);  // most often two reads on the server
    ASSERT_TRUE(c.send(req.substr(at)));
    Reply r = c.read();
    ASSERT_EQ(r.body, echo_line("split me anywhere")) << "split at " << at;
    ASSERT_EQ(c.read().body, "user 9 q=\n") << "split at " << at;
  }
  // And one byte per send.
  Conn c(port_);
  for (char ch : req) ASSERT_TRUE(c.send(std::string(1, ch)));
  EXPECT_EQ(c.read().body, echo_line("split me anywhere"));
  EXPECT_EQ(c.read().body, "user 9 q=\n");
}

TEST_P(HttpRoutesTest, TooLargeBodiesAre413) {
  add_routes();
  opts_.limits.max_body_bytes = 1000;
  start();
  {  // Declared too large: 413 from the head alone, and closed.
    Conn c(port_);
    ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n\r\n"));
    Reply r = c.read();
    EXPECT_EQ(r.status, 413);
    EXPECT_TRUE(c.closed_by_peer());
  }
  {  // Chunked past the limit: 413 once it is passed, and closed (framing in doubt).
    Conn c(port_);
    ASSERT_TRUE(c.send(post_chunked("/echo", std::string(1500, 'x'), 500)));
    Reply r = c.read();
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.field("Connection"), "close");
    EXPECT_TRUE(c.closed_by_peer());
  }
  {  // Over the handler's own bound (10 bytes).
    Conn c(port_);
    ASSERT_TRUE(c.send(post("/small", "0123456789abc")));
    Reply r = c.read();
    EXPECT_EQ(r.status, 413);
    EXPECT_TRUE(c.closed_by_peer());
    Conn d(port_);
    ASSERT_TRUE(d.send(post("/small", "0123456789")));
    EXPECT_EQ(d.read().body, "ok\n");
  }
  {  // Bad chunked framing: 400 and closed.
    Conn c(port_);
    ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"));
    EXPECT_EQ(c.read().status, 400);
    EXPECT_TRUE(c.closed_by_peer());
  }
}

TEST_P(HttpRoutesTest, BodyTimeoutIs408) {
  add_routes();
  opts_.body_timeout_ms = 200;
  opts_.header_timeout_ms = 5000;
  start();
  Conn c(port_);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc"));
  Reply r = c.read();
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.status, 408);
  EXPECT_EQ(r.field("Connection"), "close");
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_GE(waited, 150ms);
  EXPECT_LT(waited, 3s);
  // Chunked, stalled inside a chunk.
  Conn d(port_);
  ASSERT_TRUE(d.send("POST /pieces HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc"));
  EXPECT_EQ(d.read().status, 408);
}

// The shard's cached clock is from before its wait: after a quiet second the body deadline
// must still count from the head's arrival.
TEST_P(HttpRoutesTest, BodyTimeoutCountsFromTheHeadAfterAnIdleWait) {
  add_routes();
  opts_.body_timeout_ms = 1500;
  start();
  Conn c(port_);
  ASSERT_TRUE(c.send(get("/users/1")));
  EXPECT_EQ(c.read().status, 200);
  std::this_thread::sleep_for(1200ms);  // the shard waits with nothing to do
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc"));
  Reply r = c.read();
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.status, 408);
  EXPECT_GE(waited, 1400ms);
  EXPECT_LT(waited, 4s);
}

TEST_P(HttpRoutesTest, ExpectContinue) {
  add_routes();
  opts_.limits.max_body_bytes = 1000;
  start();
  {
    Conn c(port_);
    ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
    Reply interim = c.read();
    EXPECT_EQ(interim.status, 100);
    EXPECT_TRUE(interim.head.starts_with("HTTP/1.1 100 Continue\r\n")) << interim.head;
    ASSERT_TRUE(c.send("hello"));
    EXPECT_EQ(c.read().body, echo_line("hello"));
    ASSERT_TRUE(c.send(get("/users/3")));
    EXPECT_EQ(c.read().body, "user 3 q=\n");
  }
  {  // Too large: 413 at once, never 100.
    Conn c(port_);
    ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n"));
    Reply r = c.read();
    EXPECT_EQ(r.status, 413);
    EXPECT_TRUE(c.closed_by_peer());
    EXPECT_EQ(r.head.find("100 Continue"), std::string::npos);
  }
  {  // The handler answers without reading: no 100, and the connection closes (the client
     // may or may not send the body).
    Conn c(port_);
    ASSERT_TRUE(c.send("POST /ignore HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
    Reply r = c.read();
    EXPECT_EQ(r.status, 202);
    EXPECT_EQ(r.field("Connection"), "close");
    EXPECT_TRUE(c.closed_by_peer());
  }
  {  // Other expectations: 417.
    Conn c(port_);
    ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: something\r\n\r\n"));
    EXPECT_EQ(c.read().status, 417);
  }
}

// Without routes or middleware (the fast path), a body on a GET is read and dropped.
TEST_P(HttpRoutesTest, BodyOnGetToTheStaticHandler) {
  router_.reset();  // plain start(shard, options)
  start();
  Conn c(port_);
  ASSERT_TRUE(c.send("GET /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 19\r\n\r\nGET /a.txt HTTP/1.1"));
  Reply r = c.read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "static-a");
  EXPECT_FALSE(r.has("Connection"));
  ASSERT_TRUE(c.send(post_chunked("/a.txt", "xyz", 1) + "HEAD /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nzz" +
                     get("/a.txt")));
  EXPECT_EQ(c.read().status, 405);
  EXPECT_EQ(c.read(true).status, 200);
  EXPECT_EQ(c.read().body, "static-a");
  EXPECT_TRUE(c.buf.empty()) << c.buf;
  // A body larger than the server drops: answered, then closed.
  Conn big(port_);
  ASSERT_TRUE(big.send("GET /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 50000000\r\n\r\n"));
  Reply b = big.read();
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(b.field("Connection"), "close");
  EXPECT_TRUE(big.closed_by_peer());
}

TEST_P(HttpRoutesTest, StreamedAndWaitingHandlers) {
  add_routes();
  start();
  Conn c(port_);
  ASSERT_TRUE(c.send(get("/stream") + get("/slow") + get("/stream", {}, "HEAD") + get("/users/5")));
  Reply s = c.read();
  ASSERT_TRUE(s.ok) << s.head;
  EXPECT_EQ(s.field("Transfer-Encoding"), "chunked");
  EXPECT_EQ(s.body, "part0\npart1\npart2\n");
  EXPECT_EQ(c.read().body, "slept\n");
  Reply h = c.read(true);
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.field("Transfer-Encoding"), "chunked");
  EXPECT_EQ(c.read().body, "user 5 q=\n");
  // HTTP/1.0: no chunked coding; the body ends at close.
  Conn old(port_);
  ASSERT_TRUE(old.send("GET /stream HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(old.closed_by_peer());
  EXPECT_NE(old.buf.find("\r\n\r\npart0\npart1\npart2\n"), std::string::npos) << old.buf;
  EXPECT_EQ(old.buf.find("chunked"), std::string::npos) << old.buf;
}

TEST_P(HttpRoutesTest, RequestIdIsKeptOrGenerated) {
  add_routes();
  opts_.request_id = true;
  start();
  Reply a = fetch(port_, "/users/1"), b = fetch(port_, "/a.txt");
  ASSERT_FALSE(a.field("X-Request-Id").empty());
  ASSERT_FALSE(b.field("X-Request-Id").empty());
  EXPECT_NE(a.field("X-Request-Id"), b.field("X-Request-Id"));
  EXPECT_EQ(fetch(port_, "/users/1", "X-Request-Id: abc-123.x\r\n").field("X-Request-Id"), "abc-123.x");
  std::string bad = fetch(port_, "/users/1", "X-Request-Id: has space\r\n").field("X-Request-Id");
  EXPECT_NE(bad, "has space");
  EXPECT_FALSE(bad.empty());
  EXPECT_NE(fetch(port_, "/users/1", "X-Request-Id: " + std::string(200, 'a') + "\r\n").field("X-Request-Id"),
            std::string(200, 'a'));
  EXPECT_FALSE(fetch(port_, "/nope/nope").field("X-Request-Id").empty());  // also on a 404
}

TEST_P(HttpRoutesTest, SecurityHeadersOnEveryResponse) {
  add_routes();
  http::SecurityHeaderOptions sh;
  sh.strict_transport_security = "max-age=63072000";
  sh.content_security_policy = "default-src 'self'";
  opts_.security_headers = sh;
  start();
  for (const char* path : {"/users/1", "/a.txt", "/missing"}) {
    Reply r = fetch(port_, path);
    EXPECT_EQ(r.field("X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(r.field("X-Frame-Options"), "DENY") << path;
    EXPECT_EQ(r.field("Referrer-Policy"), "no-referrer") << path;
    EXPECT_EQ(r.field("Strict-Transport-Security"), "max-age=63072000") << path;
    EXPECT_EQ(r.field("Content-Security-Policy"), "default-src 'self'") << path;
    EXPECT_EQ(r.fields.count("x-frame-options"), 1u) << path;
  }
  Reply s = fetch(port_, "/stream");
  EXPECT_EQ(s.field("X-Content-Type-Options"), "nosniff");
}

TEST_P(HttpRoutesTest, RateLimitReturns429AfterTheBurstAndRecovers) {
  add_routes();
  opts_.rate_limit = http::RateLimitOptions{.rps = 10, .burst = 3, .max_clients = 4};
  start();
  Conn c(port_);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send(get("/users/1")));
    EXPECT_EQ(c.read().status, 200) << i;
  }
  ASSERT_TRUE(c.send(get("/users/1")));
  Reply r = c.read();
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.field("Retry-After"), "1");
  EXPECT_EQ(fetch(port_, "/a.txt").status, 429);  // the same client on another connection
  std::this_thread::sleep_for(250ms);              // 10/s: two tokens back
  ASSERT_TRUE(c.send(get("/users/1")));
  EXPECT_EQ(c.read().status, 200);
  ASSERT_TRUE(c.send(get("/users/1")));
  EXPECT_EQ(c.read().status, 200);
}

TEST_P(HttpRoutesTest, BasicAuth) {
  add_routes();
  opts_.basic_auth = http::BasicAuthOptions{
      .realm = "zp test",
      .users = {{"alice", "wonderland"},
                // sha256("secret")
                {"bob", "{sha256}2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"}}};
  opts_.access_log = (base_ / "access.log").string();
  start();
  Reply r = fetch(port_, "/users/1");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.field("WWW-Authenticate"), "Basic realm=\"zp test\", charset=\"UTF-8\"");
  // alice:wonderland, bob:secret, alice:wrong, nobody:wonderland, garbage.
  EXPECT_EQ(fetch(port_, "/users/1", "Authorization: Basic YWxpY2U6d29uZGVybGFuZA==\r\n").status, 200);
  EXPECT_EQ(fetch(port_, "/a.txt", "Authorization: basic Ym9iOnNlY3JldA==\r\n").status, 200);
  EXPECT_EQ(fetch(port_, "/users/1", "Authorization: Basic YWxpY2U6d3Jvbmc=\r\n").status, 401);
  EXPECT_EQ(fetch(port_, "/users/1", "Authorization: Basic bm9ib2R5OndvbmRlcmxhbmQ=\r\n").status, 401);
  EXPECT_EQ(fetch(port_, "/users/1", "Authorization: Basic !!!\r\n").status, 401);
  EXPECT_EQ(fetch(port_, "/users/1", "Authorization: Bearer YWxpY2U6d29uZGVybGFuZA==\r\n").status, 401);
  stop();
  std::ifstream f(opts_.access_log);
  std::stringstream all;
  all << f.rdbuf();
  EXPECT_NE(all.str().find("\"GET /users/1 HTTP/1.1\" 401 "), std::string::npos) << all.str();
  EXPECT_NE(all.str().find("\"GET /users/1 HTTP/1.1\" 200 "), std::string::npos) << all.str();
  // Credentials never reach the log.
  EXPECT_EQ(all.str().find("YWxpY2U6d29uZGVybGFuZA"), std::string::npos);
  EXPECT_EQ(all.str().find("wonderland"), std::string::npos);
}

TEST_P(HttpRoutesTest, AccessLogLineOfARoutedRequest) {
  add_routes();
  opts_.access_log = (base_ / "access.log").string();
  start();
  EXPECT_EQ(fetch(port_, "/users/42?x=1", "User-Agent: t/1\r\nReferer: http://r/\r\n").status, 200);
  {
    Conn c(port_);
    ASSERT_TRUE(c.send(post("/echo", "12345")));
    EXPECT_EQ(c.read().status, 200);
  }
  stop();
  std::ifstream f(opts_.access_log);
  std::string l1, l2;
  ASSERT_TRUE(std::getline(f, l1));
  ASSERT_TRUE(std::getline(f, l2));
  // 127.0.0.1 - - [25/Nov/2026:22:40:00 +0000] "GET /users/42?x=1 HTTP/1.1" 200 14 "http://r/" "t/1"
  EXPECT_TRUE(l1.starts_with("127.0.0.1 - - [")) << l1;
  EXPECT_TRUE(l1.ends_with("] \"GET /users/42?x=1 HTTP/1.1\" 200 14 \"http://r/\" \"t/1\"")) << l1;
  std::string echoed = echo_line("12345");
  EXPECT_TRUE(l2.ends_with("] \"POST /echo HTTP/1.1\" 200 " + std::to_string(echoed.size()) + " \"-\" \"-\"")) << l2;
}

TEST_P(HttpRoutesTest, MiddlewareOrderAndShortCircuit) {
  add_routes();
  // Two middlewares: the first tags responses, the second refuses /users/13 itself.
  router_->use([](Shard&, const http::ServerOptions&) -> Result<http::Middleware> {
    return http::Middleware([](http::Context& c, http::Next next) -> Task<void> {
      c.set_header("X-Order", "first");
      co_await next();
      c.set_header("X-After", std::to_string(c.status()));  // too late for the head: not sent
    });
  });
  router_->use([](Shard& s, const http::ServerOptions&) -> Result<http::Middleware> {
    unsigned shard = s.id();
    return http::Middleware([shard](http::Context& c, http::Next next) -> Task<void> {
      if (c.param("id") == "13" || c.path() == "/users/13") {
        c.send(403, "no\n");
        co_return;
      }
      c.set_header("X-Order", "second-on-" + std::to_string(shard));
      co_await next();
    });
  });
  opts_.request_id = true;
  opts_.middleware_order = {"request_id"};
  start();
  Reply r = fetch(port_, "/users/1");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.field("X-Order"), "second-on-0");
  EXPECT_FALSE(r.has("X-After"));
  EXPECT_FALSE(r.field("X-Request-Id").empty());
  r = fetch(port_, "/users/13");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, "no\n");
  EXPECT_EQ(r.field("X-Order"), "first");
}

TEST_P(HttpRoutesTest, MetricsHistogramAndStatusCodes) {
  add_routes();
  opts_.metrics = std::make_shared<http::Metrics>(1);
  start();
  EXPECT_EQ(fetch(port_, "/users/1").status, 200);
  EXPECT_EQ(fetch(port_, "/a.txt").status, 200);
  EXPECT_EQ(fetch(port_, "/nope").status, 404);
  EXPECT_EQ(fetch(port_, "/slow").status, 200);
  // A response is counted once its send completed, which can be just after the client read it.
  std::string text;
  for (int i = 0; i < 200; ++i) {
    text = opts_.metrics->render();
    if (text.find("zproto_http_request_duration_seconds_count 4\n") != std::string::npos) break;
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_NE(text.find("zproto_http_responses_by_code_total{code=\"200\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("zproto_http_responses_by_code_total{code=\"404\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE zproto_http_request_duration_seconds histogram\n"), std::string::npos) << text;
  EXPECT_NE(text.find("zproto_http_request_duration_seconds_bucket{le=\"+Inf\"} 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("zproto_http_request_duration_seconds_count 4\n"), std::string::npos) << text;
  // /slow waited 50 ms: at most 3 requests fall in the 25 ms bucket.
  size_t at = text.find("zproto_http_request_duration_seconds_bucket{le=\"0.025\"} ");
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_LE(std::stoi(text.substr(at + 56)), 3) << text;
}

TEST_P(HttpRoutesTest, BadRouterOrOrderFailsToStart) {
  router_->get("nope", [](http::Context&) -> Task<void> { co_return; });
  auto shard = test::make_shard(GetParam());
  ASSERT_TRUE(shard);
  EXPECT_FALSE(http::start(*shard, opts_, router_));
  auto ok = std::make_shared<http::Router>();
  ok->static_files("/");
  opts_.middleware_order = {"request_id", "nonsense"};
  EXPECT_FALSE(http::start(*shard, opts_, ok));
  opts_.middleware_order = {};
  opts_.basic_auth = http::BasicAuthOptions{.realm = "bad\"realm", .users = {}};
  EXPECT_FALSE(http::start(*shard, opts_, ok));
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpRoutesTest, ::testing::ValuesIn(test::all_backends()), test::param_name);

}  // namespace
}  // namespace zp
