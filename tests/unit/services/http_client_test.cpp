// The HTTP/1.1 client against servers started in the test on loopback: a scripted raw-socket
// server (edge cases: chunked, close-delimited, malformed, slow, redirects, Connection: close,
// stale keep-alive) and the zproto static server. Core tests run on every backend, also
// behind the fault layer. The client runs on a Shard in the test thread (block_on).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../../common/test_files.h"
#include "../../common/test_net.h"
#include "engine_test_util.h"
#include "zp/dns/connect_order.h"
#include "zp/codec/http1/errc.h"
#include "zp/engine/blocking.h"
#include "zp/engine/net.h"
#include "zp/engine/runtime.h"
#include "zp/http/client.h"
#include "zp/http/server.h"
#include "../../../services/http/src/client/connect.h"

namespace zp {
namespace {

using zp::test::random_bytes;

using namespace std::chrono_literals;
using test::BackendParam;
namespace hc = http::client;
namespace fs = std::filesystem;

// ------------------------------------------------------------------ scripted server

// A request as the scripted server saw it (body de-chunked).
struct Seen {
  std::string method, target, head, body;
  int conn = 0;        // connection number, from 1
  int on_conn = 0;     // request number on that connection, from 1
  bool chunked = false;
};

// One accepted connection of the scripted server, blocking with a receive timeout.
struct Peer {
  int fd = -1;
  std::string buf;
  bool fill() {
    char tmp[65536];
    for (;;) {
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buf.append(tmp, size_t(n));
      return true;
    }
  }
  bool send(std::string_view s) {
    while (!s.empty()) {
      ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      s.remove_prefix(size_t(n));
    }
    return true;
  }
  static std::string lower(std::string s) {
    for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  // Reads one request; false at EOF or on garbage.
  bool read_request(Seen& out) {
    size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return false;
    }
    out.head = buf.substr(0, end + 4);
    buf.erase(0, end + 4);
    auto sp1 = out.head.find(' ');
    auto sp2 = out.head.find(' ', sp1 + 1);
    out.method = out.head.substr(0, sp1);
    out.target = out.head.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string lh = lower(out.head);
    out.body.clear();
    out.chunked = lh.find("transfer-encoding: chunked") != std::string::npos;
    if (out.chunked) {
      for (;;) {
        size_t le;
        while ((le = buf.find("\r\n")) == std::string::npos) {
          if (!fill()) return false;
        }
        size_t n = std::stoul(buf.substr(0, le), nullptr, 16);
        buf.erase(0, le + 2);
        while (buf.size() < n + 2) {
          if (!fill()) return false;
        }
        out.body += buf.substr(0, n);
        buf.erase(0, n + 2);
        if (n == 0) break;
      }
    } else if (auto p = lh.find("content-length: "); p != std::string::npos) {
      size_t n = std::stoul(lh.substr(p + 16));
      while (buf.size() < n) {
        if (!fill()) return false;
      }
      out.body = buf.substr(0, n);
      buf.erase(0, n);
    }
    return true;
  }
};

// Answers each request with whatever the handler sends on the peer; the handler returns
// false to close the connection. Serves connections one at a time, each on the accept thread.
class ScriptServer {
 public:
  using Handler = std::function<bool(Peer&, const Seen&)>;
  explicit ScriptServer(Handler h, bool ipv6 = false) : handler_(std::move(h)) {
    fd_ = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_storage ss{};
    socklen_t len;
    if (ipv6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_addr = in6addr_loopback;
      len = sizeof *a;
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof *a;
    }
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len), 0);
    EXPECT_EQ(::listen(fd_, 64), 0);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
    port_ = ntohs(ipv6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~ScriptServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    // The client's pooled connection closes only when its shard turns again: do not wait.
    if (int c = current_.load(); c >= 0) ::shutdown(c, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  std::string url(std::string_view path) const { return "http://127.0.0.1:" + std::to_string(port_) + std::string(path); }
  std::vector<Seen> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }
  int connections() const { return conns_.load(); }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      timeval tv{5, 0};
      setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      current_ = c;
      if (stop_) ::shutdown(c, SHUT_RDWR);
      Peer peer{c, {}};
      const int conn = ++conns_;
      for (int n = 1; !stop_; ++n) {
        Seen s;
        if (!peer.read_request(s)) break;
        s.conn = conn;
        s.on_conn = n;
        {
          std::lock_guard lock(mu_);
          seen_.push_back(s);
        }
        if (!handler_(peer, s)) break;
      }
      current_ = -1;
      ::close(c);
    }
  }
  Handler handler_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> conns_{0};
  std::atomic<int> current_{-1};
  std::thread thread_;
  std::mutex mu_;
  std::vector<Seen> seen_;
};

std::string reply(int status, std::string_view body, std::string_view extra = "") {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         std::string(extra) + "\r\n" + std::string(body);
}

// A standard handler: routes by target.
bool standard(Peer& p, const Seen& s) {
  const std::string& t = s.target;
  if (t == "/hello") return p.send(reply(200, "hello", "X-Test: yes\r\n"));
  if (t == "/big") return p.send(reply(200, random_bytes(1 << 20, 7)));
  if (t == "/echo") return p.send(reply(200, s.body, "X-Method: " + s.method + "\r\nX-Chunked: " + (s.chunked ? "1" : "0") + "\r\n"));
  if (t == "/chunked") {
    return p.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: 1\r\n\r\n");
  }
  if (t == "/close-delimited") {
    p.send("HTTP/1.1 200 OK\r\n\r\nuntil the end");
    return false;
  }
  if (t == "/close") return p.send(reply(200, "bye", "Connection: close\r\n")) && false;
  if (t == "/head") return p.send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");  // HEAD: no body follows
  if (t == "/204") return p.send("HTTP/1.1 204 No Content\r\n\r\n");
  if (t == "/304") return p.send("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n");
  if (t == "/continue") return p.send("HTTP/1.1 100 Continue\r\n\r\n" + reply(200, "after 100"));
  if (t == "/malformed") return p.send("HTTP/1.1 2x0 OK\r\n\r\n") && false;
  if (t == "/smuggle") return p.send("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n") && false;
  if (t == "/extra") return p.send(reply(200, "ok") + "HTTP/1.1 200 OK\r\n") ;
  if (t == "/silent") {
    std::this_thread::sleep_for(1500ms);
    return false;
  }
  if (t == "/dribble") {  // a byte every 100 ms: never silent for long, slow in total
    p.send("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n");
    for (int i = 0; i < 20; ++i) {
      std::this_thread::sleep_for(100ms);
      if (!p.send("x")) return false;
    }
    return true;
  }
  if (t == "/r1") return p.send(reply(302, "", "Location: /r2\r\n"));
  if (t == "/r2") return p.send(reply(301, "moved", "Location: r3?q=1\r\n"));
  if (t == "/r3?q=1") return p.send(reply(200, "final"));
  if (t == "/loop") return p.send(reply(302, "", "Location: /loop\r\n"));
  if (t == "/see-other") return p.send(reply(303, "", "Location: /echo\r\n"));
  if (t == "/temp") return p.send(reply(307, "", "Location: /echo\r\n"));
  if (t == "/perm") return p.send(reply(308, "", "Location: /echo\r\n"));
  if (t == "/found") return p.send(reply(302, "", "Location: /echo\r\n"));
  return p.send(reply(404, "not found"));
}

// ------------------------------------------------------------------ fixtures

class ClientTest : public ::testing::TestWithParam<BackendParam> {
 protected:
  void SetUp() override {
    shard_ = test::make_shard(GetParam());
    ASSERT_TRUE(shard_);
  }
  void TearDown() override {
    shard_->request_stop(0);
    shard_->run();
  }
  Result<hc::Response> run(hc::Client& c, hc::Request r) { return shard_->block_on(c.request(std::move(r))); }
  Result<hc::Response> get(hc::Client& c, std::string url) { return shard_->block_on(c.get(std::move(url))); }
  std::unique_ptr<Shard> shard_;
};

INSTANTIATE_TEST_SUITE_P(Backends, ClientTest, ::testing::ValuesIn(test::all_backends()), test::param_name);

TEST_P(ClientTest, GetWithContentLength) {
  ScriptServer srv(standard);
  hc::Client c(*shard_);
  auto r = get(c, srv.url("/hello"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
  EXPECT_EQ(r->header("x-test"), "yes");
  auto seen = srv.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_NE(seen[0].head.find("Host: 127.0.0.1:" + std::to_string(srv.port()) + "\r\n"), std::string::npos);
  EXPECT_NE(seen[0].head.find("User-Agent: zproto/"), std::string::npos);
}

TEST_P(ClientTest, OneMebibyteBody) {
  ScriptServer srv(standard);
  hc::Client c(*shard_);
  auto r = get(c, srv.url("/big"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->body, random_bytes(1 << 20, 7));
}

TEST_P(ClientTest, ChunkedResponse) {
  ScriptServer srv(standard);
  hc::Client c(*shard_);
  auto r = get(c, srv.url("/chunked"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->body, "hello world");
  // The connection stays usable after a chunked body with trailers.
  auto r2 = get(c, srv.url("/hello"));
  ASSERT_TRUE(r2);
  EXPECT_EQ(c.stats().connections_opened, 1u);
}

TEST_P(ClientTest, CloseDelimitedBodyIsNotReused) {
  ScriptServer srv(standard);
  hc::Client c(*shard_);
  auto r = get(c, srv.url("/close-delimited"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->body, "until the end");
  EXPECT_EQ(c.stats().idle_connections, 0u);
  ASSERT_TRUE(get(c, srv.url("/hello")));
  EXPECT_EQ(c.stats().connections_opened, 2u);
}

TEST_P(ClientTest, HeadAnd204And304HaveNoBody) {
  ScriptServer srv(standard);
  hc::Client c(*shard_);
  auto h = run(c, {.method = "HEAD", .url = srv.url("/head")});
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_EQ(h->header("content-length"), "100");
  EXPECT_TRUE(h->body.empty());
  auto a = get(c, srv.url("/204"));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 204);
  auto b = get(c, srv.url("/304"));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 304);
  EXPECT_TRUE(b->body.empty());
  // All on one connection: no framing was in doubt.
  EXPECT_EQ(c.stats().connections_opened, 1u);
  EXPECT_EQ(srv.connections(), 1);
}

TEST_P(ClientTest, InterimResponseSkipped) {
  ScriptServer srv(standard);
  hc::Client c(*shard_);
  auto r = get(c, srv.url("/continue"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "after 100");
}

TEST_P(ClientTest, KeepAliveReuse) {
  ScriptServer srv(standard);
  hc::Client c(*shard_);
  for (int i = 0; i < 5; ++i) {
    auto r = get(c, srv.url("/hello"));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->reused_connection, i > 0);
  }
  EXPECT_EQ(c.stats().connections_opened, 1u);
  EXPECT_EQ(c.stats().connections_reused, 4u);
  EXPECT_EQ(srv.connections(), 1);
  EXPECT_EQ(srv.seen().back().on_conn, 5);
}

TEST_P(ClientTest, ConnectionCloseIsNotReused) {
  ScriptServer srv(standard);
  hc::Client c(*shard_);
  ASSERT_TRUE(get(c, srv.url("/close")));
  EXPECT_EQ(c.stats().idle_connections, 0u);
  ASSERT_TRUE(get(c, srv.url("/hello")));
  EXPECT_EQ(c.stats().connections_opened, 2u);
  EXPECT_EQ(c.stats().retries, 0u);
}

TEST_P(ClientTest, ExtraBytesAfterResponseAreNotReused) {
  ScriptServer srv(standard);
  hc::Client c(*shard_);
  auto r = get(c, srv.url("/extra"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "ok");
  ASSERT_TRUE(get(c, srv.url("/hello")));
  EXPECT_EQ(c.stats().connections_opened, 2u);
}

TEST_P(ClientTest, StaleConnectionRetriedOnceForIdempotent) {
  // Answers once per connection, then closes without saying so.
  ScriptServer srv([](Peer& p, const Seen& s) {
    standard(p, s);
    std::this_thread::sleep_for(20ms);
    return false;
  });
  hc::Client c(*shard_);
  ASSERT_TRUE(get(c, srv.url("/hello")));
  // Let the close arrive; the pooled connection is now stale.
  shard_->block_on([]() -> Task<void> { (void)co_await sleep(100ms); }());
  auto r = get(c, srv.url("/hello"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->body, "hello");
  EXPECT_EQ(c.stats().retries, 1u);
  EXPECT_EQ(c.stats().connections_opened, 2u);
  // POST is not retried: the stale connection's error comes back.
  shard_->block_on([]() -> Task<void> { (void)co_await sleep(100ms); }());
  auto p = run(c, {.method = "POST", .url = srv.url("/echo"), .body = "x"});
  ASSERT_FALSE(p);
  EXPECT_EQ(c.stats().retries, 1u);
}

TEST_P(ClientTest, PostPutPatchDeleteBodies) {
  ScriptServer srv(standard);
  hc::Client c(*shard_);
  for (std::string m : {"POST", "PUT", "PATCH", "DELETE"}) {
    auto r = run(c, {.method = m, .url = srv.url("/echo"), .body = "payload-" + m});
    ASSERT_TRUE(r) << m << ": " << r.error().message();
    EXPECT_EQ(r->body, "payload-" + m);
    EXPECT_EQ(r->header("X-Method"), m);
  }
  // POST without a body still says Content-Length: 0.
  auto e = run(c, {.method = "POST", .url = srv.url("/echo")});
  ASSERT_TRUE(e);
  EXPECT_NE(srv.seen().back().head.find("Content-Length: 0\r\n"), std::string::npos);
}

TEST_P(ClientTest, ChunkedUploadFromProducer) {
  ScriptServer srv(standard);
  hc::Client c(*shard_);
  const std::string data = random_bytes(100000, 3);
  size_t off = 0;
  hc::Request req{.method = "PUT", .url = srv.url("/echo")};
  req.body_stream = [&](std::span<char> out) -> Result<size_t> {
    size_t n = std::min<size_t>({out.size(), data.size() - off, 7000});
    std::memcpy(out.data(), data.data() + off, n);
    off += n;
    return n;
  };
  auto r = run(c, std::move(req));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->header("X-Chunked"), "1");
  EXPECT_EQ(r->body, data);
}

TEST_P(ClientTest, FileBody) {
  ScriptServer srv(standard);
  hc::Client c(*shard_);
  const fs::path p = fs::temp_directory_path() / ("zp_client_body_" + std::to_string(getpid()));
  const std::string data = random_bytes(200000, 5);
  std::ofstream(p, std::ios::binary) << data;
  auto r = run(c, {.method = "POST", .url = srv.url("/echo"), .body_file = p.string()});
  fs::remove(p);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->body, data);
}

TEST_P(ClientTest, BodySinkStreams) {
  ScriptServer srv(standard);
  hc::Client c(*shard_);
  std::string got;
  size_t pieces = 0;
  hc::Request req{.url = srv.url("/big")};
  req.on_body = [&](std::span<const char> d) -> Result<void> {
    got.append(d.data(), d.size());
    ++pieces;
    return {};
  };
  auto r = run(c, std::move(req));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->body.empty());
  EXPECT_EQ(got, random_bytes(1 << 20, 7));
  EXPECT_GT(pieces, 1u);
}

TEST_P(ClientTest, BodyLimitInCollectMode) {
  ScriptServer srv(standard);
  hc::Client c(*shard_, {.max_body_bytes = 1000});
  auto r = get(c, srv.url("/big"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), hc::Errc::body_too_large);
  auto ch = hc::Client(*shard_, {.max_body_bytes = 5});
  auto r2 = get(ch, srv.url("/chunked"));
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error(), hc::Errc::body_too_large);
}

TEST_P(ClientTest, HeadLimits) {
  ScriptServer srv([](Peer& p, const Seen&) {
    std::string head = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i < 50; ++i) head += "X-F" + std::to_string(i) + ": v\r\n";
    return p.send(head + "Content-Length: 0\r\n\r\n");
  });
  hc::Options o;
  o.limits.max_header_count = 10;
  hc::Client c(*shard_, o);
  auto r = get(c, srv.url("/"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), codec::http1::Errc::too_many_headers);
}

TEST_P(ClientTest, MalformedResponses) {
  ScriptServer srv(standard);
  hc::Client c(*shard_);
  auto r = get(c, srv.url("/malformed"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), codec::http1::Errc::bad_status_line);
  auto s = get(c, srv.url("/smuggle"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), codec::http1::Errc::content_length_and_transfer_encoding);
}

TEST_P(ClientTest, ReadTimeout) {
  ScriptServer srv(standard);
  hc::Client c(*shard_, {.read_timeout_ms = 200});
  auto t0 = std::chrono::steady_clock::now();
  auto r = get(c, srv.url("/silent"));
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::timed_out);
  EXPECT_LT(took, 1200ms);
}

TEST_P(ClientTest, TotalTimeoutAgainstADribblingServer) {
  ScriptServer srv(standard);
  hc::Client c(*shard_, {.read_timeout_ms = 1000, .total_timeout_ms = 400});
  auto t0 = std::chrono::steady_clock::now();
  auto r = get(c, srv.url("/dribble"));
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::timed_out);
  EXPECT_GE(took, 350ms);
  EXPECT_LT(took, 1500ms);
}

TEST_P(ClientTest, RedirectsOffByDefault) {
  ScriptServer srv(standard);
  hc::Client c(*shard_);
  auto r = get(c, srv.url("/r1"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(r->header("location"), "/r2");
}

TEST_P(ClientTest, RedirectChainFollowed) {
  ScriptServer srv(standard);
  hc::Client c(*shard_, {.follow_redirects = true});
  auto r = get(c, srv.url("/r1#frag"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "final");
  EXPECT_EQ(r->redirects, 2u);
  EXPECT_EQ(r->url, srv.url("/r3?q=1"));
  EXPECT_EQ(c.stats().connections_opened, 1u);  // redirect bodies drained, connection kept
}

TEST_P(ClientTest, RedirectLoopBounded) {
  ScriptServer srv(standard);
  hc::Client c(*shard_, {.follow_redirects = true, .max_redirects = 5});
  auto r = get(c, srv.url("/loop"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), hc::Errc::too_many_redirects);
  EXPECT_EQ(srv.seen().size(), 6u);
}

TEST_P(ClientTest, RedirectMethodRules) {
  ScriptServer srv(standard);
  hc::Client c(*shard_, {.follow_redirects = true});
  auto post = [&](std::string method, std::string path) {
    return run(c, {.method = method, .url = srv.url(path), .headers = {{"Content-Type", "text/plain"}}, .body = "data"});
  };
  auto a = post("POST", "/see-other");  // 303: GET without body
  ASSERT_TRUE(a);
  EXPECT_EQ(a->header("X-Method"), "GET");
  EXPECT_EQ(a->body, "");
  EXPECT_EQ(srv.seen().back().head.find("Content-Type"), std::string::npos);
  auto b = post("POST", "/found");  // 302 POST: GET
  ASSERT_TRUE(b);
  EXPECT_EQ(b->header("X-Method"), "GET");
  auto d = post("PUT", "/found");  // 302 PUT: kept
  ASSERT_TRUE(d);
  EXPECT_EQ(d->header("X-Method"), "PUT");
  EXPECT_EQ(d->body, "data");
  for (std::string path : {"/temp", "/perm"}) {  // 307/308: method and body kept
    auto e = post("POST", path);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->header("X-Method"), "POST");
    EXPECT_EQ(e->body, "data");
  }
  auto h = run(c, {.method = "HEAD", .url = srv.url("/see-other")});  // 303 HEAD stays HEAD
  ASSERT_TRUE(h);
  EXPECT_EQ(srv.seen().back().method, "HEAD");
}

TEST_P(ClientTest, MaxConnectionsPerHostQueues) {
  std::atomic<int> in_flight{0}, peak{0};
  // One connection at a time is served by the scripted server anyway; the pool must not
  // open more than one, and all three requests must complete on it.
  ScriptServer srv([&](Peer& p, const Seen& s) {
    int now = ++in_flight;
    peak = std::max(peak.load(), now);
    std::this_thread::sleep_for(20ms);
    --in_flight;
    return standard(p, s);
  });
  hc::Client c(*shard_, {.max_connections_per_host = 1});
  int ok = 0;
  auto one = [&]() -> Task<void> {
    auto r = co_await c.get(srv.url("/hello"));
    if (r && r->body == "hello") ++ok;
  };
  shard_->block_on([&]() -> Task<void> {
    auto h1 = Shard::current()->spawn(one());
    auto h2 = Shard::current()->spawn(one());
    auto h3 = Shard::current()->spawn(one());
    co_await h1->join();
    co_await h2->join();
    co_await h3->join();
  }());
  EXPECT_EQ(ok, 3);
  EXPECT_EQ(c.stats().connections_opened, 1u);
  EXPECT_EQ(srv.connections(), 1);
}

TEST_P(ClientTest, IdleConnectionsEvicted) {
  ScriptServer srv(standard);
  hc::Client c(*shard_, {.idle_timeout_ms = 50});
  ASSERT_TRUE(get(c, srv.url("/hello")));
  EXPECT_EQ(c.stats().idle_connections, 1u);
  shard_->block_on([]() -> Task<void> { (void)co_await sleep(200ms); }());
  EXPECT_EQ(c.stats().idle_connections, 0u);
  ASSERT_TRUE(get(c, srv.url("/hello")));
  EXPECT_EQ(c.stats().connections_opened, 2u);
}

TEST_P(ClientTest, Ipv6Literal) {
  ScriptServer srv(standard, /*ipv6=*/true);
  hc::Client c(*shard_);
  auto r = get(c, "http://[::1]:" + std::to_string(srv.port()) + "/hello");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->body, "hello");
  EXPECT_NE(srv.seen()[0].head.find("Host: [::1]:" + std::to_string(srv.port())), std::string::npos);
}

TEST_P(ClientTest, NameResolvedOffTheShard) {
  ScriptServer srv(standard);
  hc::Client c(*shard_);
  // "localhost" comes from the DNS resolver (hosts file, RFC 6761 loopback); ::1 refuses
  // (the server is on 127.0.0.1), so happy eyeballs moves on to IPv4 at once. ".invalid"
  // is NXDOMAIN without a packet (RFC 6761 §6.4).
  auto r = get(c, "http://localhost:" + std::to_string(srv.port()) + "/hello");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->body, "hello");
  auto bad = get(c, "http://no-such-host.invalid/");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), hc::Errc::host_not_found);
}

TEST_P(ClientTest, ConnectRefused) {
  hc::Client c(*shard_);
  auto r = get(c, "http://127.0.0.1:" + std::to_string(test::free_port()) + "/");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::connection_refused);
}

// ------------------------------------------------------------------ not per backend

TEST(ClientUrl, Rejected) {
  auto shard = test::make_shard({BackendKind::epoll, false});
  hc::Client c(*shard);
  auto go = [&](std::string url) { return shard->block_on(c.get(url)); };
  auto s = go("ftp://example.com/");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), hc::Errc::unsupported_scheme);
  auto u = go("http://user:secret@127.0.0.1/");
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error(), hc::Errc::userinfo_in_url);
  EXPECT_EQ(u.error().message().find("secret"), std::string::npos);
  auto rel = go("/just/a/path");
  ASSERT_FALSE(rel);
  auto sp = go("http://127.0.0.1/a b");
  ASSERT_FALSE(sp);
  auto m = shard->block_on(c.request({.method = "GE T", .url = "http://127.0.0.1:1/"}));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error(), hc::Errc::bad_request);
  shard->request_stop(0);
  shard->run();
}

// A listener on [::1] whose accept queue is full: SYNs to it are dropped, so a connect
// hangs (the "broken IPv6" case of RFC 8305).
struct BlackholeV6 {
  int lfd = -1;
  std::vector<int> fillers;
  uint16_t port = 0;
  BlackholeV6() {
    lfd = ::socket(AF_INET6, SOCK_STREAM, 0);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    ::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(lfd, 0);
    socklen_t len = sizeof a;
    getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin6_port);
    for (int i = 0; i < 4; ++i) {
      int f = ::socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
      ::connect(f, reinterpret_cast<sockaddr*>(&a), sizeof a);
      fillers.push_back(f);
    }
    std::this_thread::sleep_for(50ms);
  }
  ~BlackholeV6() {
    for (int f : fillers) ::close(f);
    ::close(lfd);
  }
};

TEST_P(ClientTest, HappyEyeballsFallsBackToIpv4AfterDelay) {
  BlackholeV6 hole;
  ScriptServer srv(standard);
  auto v6 = *SocketAddr::parse("[::1]:" + std::to_string(hole.port));
  auto v4 = *SocketAddr::parse("127.0.0.1:" + std::to_string(srv.port()));
  auto order = dns::interleave_families({v4, v6});
  ASSERT_EQ(order[0].family(), AF_INET6);  // IPv6 first
  auto t0 = std::chrono::steady_clock::now();
  auto s = shard_->block_on(hc::connect_happy(order, 250));
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->peer_addr()->family(), AF_INET);
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 2s);
  // With a working IPv6 address it wins at once.
  ScriptServer srv6(standard, true);
  auto t1 = std::chrono::steady_clock::now();
  auto s6 = shard_->block_on(
      hc::connect_happy({*SocketAddr::parse("[::1]:" + std::to_string(srv6.port())), v4}, 250));
  ASSERT_TRUE(s6);
  EXPECT_EQ(s6->peer_addr()->family(), AF_INET6);
  EXPECT_LT(std::chrono::steady_clock::now() - t1, 200ms);
}

TEST_P(ClientTest, ConnectTimeout) {
  BlackholeV6 hole;
  hc::Client c(*shard_, {.connect_timeout_ms = 200});
  auto t0 = std::chrono::steady_clock::now();
  auto r = get(c, "http://[::1]:" + std::to_string(hole.port) + "/");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms);
}

TEST(BlockingPool, RunsOffTheShardAndBounds) {
  for (auto p : test::all_backends()) {
    if (p.faults) continue;
    auto shard = test::make_shard(p);
    BlockingPool pool({.threads = 1, .max_queued = 1});
    const auto self = std::this_thread::get_id();
    auto r = shard->block_on(run_blocking(pool, [&]() -> Result<bool> { return std::this_thread::get_id() != self; }));
    ASSERT_TRUE(r);
    EXPECT_TRUE(*r);
    // A full queue is EAGAIN; a cancelled wait is ECANCELED while the job still runs.
    std::atomic<bool> release{false};
    int eagain = 0, cancelled = 0;
    shard->block_on([&]() -> Task<void> {
      auto slow = [&]() -> Result<int> {
        while (!release) std::this_thread::sleep_for(1ms);
        return 1;
      };
      auto waiter = [&]() -> Task<void> {
        auto x = co_await with_timeout(50ms, run_blocking(pool, slow));
        if (!x && x.error() == std::errc::timed_out) ++cancelled;
      };
      auto h1 = Shard::current()->spawn(waiter());  // runs
      (void)co_await sleep(10ms);
      auto h2 = Shard::current()->spawn(waiter());  // queued
      auto h3 = co_await run_blocking(pool, slow);  // over the bound
      if (!h3 && h3.error() == std::errc::resource_unavailable_try_again) ++eagain;
      co_await h1->join();
      co_await h2->join();
      release = true;
    }());
    EXPECT_EQ(eagain, 1);
    EXPECT_EQ(cancelled, 2);
    shard->request_stop(0);
    shard->run();
  }
}

// The blocking API against the zproto static server on its own runtime thread.
TEST(ClientFetch, StaticServer) {
  const fs::path root = fs::temp_directory_path() / ("zp_client_root_" + std::to_string(getpid()));
  fs::create_directories(root);
  const std::string data = random_bytes(300000, 9);
  std::ofstream(root / "f.bin", std::ios::binary) << data;
  const uint16_t port = test::free_port();
  http::ServerOptions so;
  so.root = root.string();
  so.listen = {"127.0.0.1:" + std::to_string(port)};
  RuntimeOptions ro;
  ro.shards = 1;
  ro.pin_threads = false;
  ro.handle_signals = false;
  Runtime rt(std::move(ro));
  std::thread t([&] { (void)rt.run([&](Shard& s) { return http::start(s, so); }); });
  int fd = test::connect_retry(port);
  ASSERT_GE(fd, 0);
  ::close(fd);
  auto r = http::fetch("http://127.0.0.1:" + std::to_string(port) + "/f.bin");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, data);
  hc::Request range{.url = "http://127.0.0.1:" + std::to_string(port) + "/f.bin", .headers = {{"Range", "bytes=10-19"}}};
  auto rr = http::fetch(range);
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->status, 206);
  EXPECT_EQ(rr->body, data.substr(10, 10));
  auto nf = http::fetch("http://127.0.0.1:" + std::to_string(port) + "/missing");
  ASSERT_TRUE(nf);
  EXPECT_EQ(nf->status, 404);
  rt.stop();
  t.join();
  fs::remove_all(root);
}

// The pool tracks at most max_origins origins: a new one pushes out those with nothing in
// use (closing their idle connections); when every tracked origin is busy it is refused.
TEST_P(ClientTest, FullPoolForgetsIdleOrigins) {
  ScriptServer a(standard), b(standard);
  hc::Client c(*shard_, {.max_origins = 1});
  ASSERT_TRUE(get(c, a.url("/hello")));
  EXPECT_EQ(c.stats().idle_connections, 1u);
  auto rb = get(c, b.url("/hello"));
  ASSERT_TRUE(rb) << rb.error().message();
  EXPECT_EQ(rb->body, "hello");
  EXPECT_EQ(c.stats().idle_connections, 1u);  // b's; a's went with its origin
  auto ra = get(c, a.url("/hello"));
  ASSERT_TRUE(ra) << ra.error().message();
  EXPECT_FALSE(ra->reused_connection);
  EXPECT_EQ(c.stats().connections_opened, 3u);
  EXPECT_EQ(a.connections(), 2);
}

TEST_P(ClientTest, FullPoolOfBusyOriginsRefuses) {
  std::atomic<bool> release{false};
  ScriptServer a([&](Peer& p, const Seen& s) {
    while (!release) std::this_thread::sleep_for(1ms);  // holds a's request until told
    return standard(p, s);
  });
  ScriptServer b(standard);
  hc::Client c(*shard_, {.max_origins = 1});
  Result<hc::Response> ra = fail(EINVAL), rb = fail(EINVAL);
  auto get_a = [&]() -> Task<void> { ra = co_await c.get(a.url("/hello")); };  // outlives its task
  shard_->block_on([&]() -> Task<void> {
    auto h = Shard::current()->spawn(get_a());
    while (a.seen().empty()) (void)co_await sleep(1ms);  // a's request is in flight
    rb = co_await c.get(b.url("/hello"));
    release = true;
    co_await h->join();
  }());
  ASSERT_FALSE(rb);
  EXPECT_EQ(rb.error(), hc::Errc::too_many_origins);
  ASSERT_TRUE(ra) << ra.error().message();
  EXPECT_EQ(ra->body, "hello");
  EXPECT_EQ(b.connections(), 0);
}

}  // namespace
}  // namespace zp
