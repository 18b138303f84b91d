// The HTTP server's start-up failures (each returns its error: a missing root, bad listen
// addresses, an address not on this host, unusable certificates; the admin listener's too),
// access-log escaping of client fields, and, with routes: the request-target forms of
// RFC 9112 §3.2 (absolute-form served by its path, OPTIONS * answered by the server, a path
// over the 4 KiB path buffer 414), what a handler sees, and a field that would split the
// response head (a bare 500 that closes).
#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <string>

#include "engine_test_util.h"
#include "http_test_util.h"
#include "zp/http/admin.h"
#include "zp/http/router.h"
#include "zp/http/server.h"

namespace zp {
namespace {

using test::Conn;
using test::Reply;
using test::lower;
namespace fs = std::filesystem;

std::error_code start_error(http::ServerOptions opts) {
  auto shard = test::make_shard({BackendKind::epoll, false});
  if (!shard) return std::make_error_code(std::errc::io_error);
  auto r = http::start(*shard, opts);
  return r ? std::error_code{} : r.error();
}

TEST(HttpServerStart, FailuresReturnTheirError) {
  const fs::path root = fs::temp_directory_path();
  http::ServerOptions o;
  o.root = (root / "zp-no-such-root").string();
  o.listen = {"127.0.0.1:0"};
  EXPECT_EQ(start_error(o), std::errc::no_such_file_or_directory);
  o.root = root.string();
  o.listen = {"127.0.0.1"};  // no port
  EXPECT_EQ(start_error(o), std::errc::invalid_argument);
  o.listen = {"192.0.2.1:8080"};  // TEST-NET-1: not an address of this host
  EXPECT_EQ(start_error(o), std::errc::address_not_available);
  o.listen = {};
  o.tls_listen = {{"localhost:8443", {}}};
  EXPECT_EQ(start_error(o), std::errc::invalid_argument);
  o.tls_listen = {{"127.0.0.1:0", {}}};
  o.tls_listen[0].tls.certs = {{(root / "zp-no-such.pem").string(), (root / "zp-no-such.key").string()}};
  EXPECT_EQ(start_error(o), tls::Errc::bad_cert_file);
}

TEST(HttpServerStart, TlsListenerOnAnAddressNotOfThisHost) {
  char tmpl[] = "/tmp/zp_http_start.XXXXXX";
  const fs::path dir = ::mkdtemp(tmpl);
  ASSERT_TRUE(tls::make_self_signed((dir / "c.pem").string(), (dir / "c.key").string(), {"localhost"}));
  http::ServerOptions o;
  o.root = dir.string();
  o.listen = {};
  o.tls_listen = {{"192.0.2.1:8443", {}}};
  o.tls_listen[0].tls.certs = {{(dir / "c.pem").string(), (dir / "c.key").string()}};
  EXPECT_EQ(start_error(o), std::errc::address_not_available);
  fs::remove_all(dir);
}

TEST(HttpAdminStart, FailuresReturnTheirError) {
  auto shard = test::make_shard({BackendKind::epoll, false});
  ASSERT_TRUE(shard);
  http::AdminOptions o;
  o.listen = "127.0.0.1:x";
  auto r = http::start_admin(*shard, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::invalid_argument);
  o.listen = "192.0.2.1:9100";
  r = http::start_admin(*shard, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::address_not_available);
}

// The access log escapes what a client controls, as nginx does: '"', '\\' and non-ASCII
// bytes become \xHH, so a field cannot forge a column (CTLs never get past the parser).
class HttpAccessLogEscapes : public test::HttpServerFixture {};

TEST_P(HttpAccessLogEscapes, ClientFieldsAreEscaped) {
  test::write_file(root_ / "a.txt", "a");
  opts_.access_log = (base_ / "access.log").string();
  start();
  Reply r = test::fetch(port_, "/a.txt", "User-Agent: x\" 200 0 \"\\\xc3\xa9\r\nReferer: r\xff\r\n");
  EXPECT_EQ(r.status, 200);
  stop();
  std::ifstream f(opts_.access_log);
  std::string line;
  ASSERT_TRUE(std::getline(f, line));
  EXPECT_NE(line.find("\"GET /a.txt HTTP/1.1\" 200 1 \"r\\xFF\" \"x\\x22 200 0 \\x22\\x5C\\xC3\\xA9\""),
            std::string::npos)
      << line;
  EXPECT_FALSE(std::getline(f, line));  // one request, one line
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpAccessLogEscapes, ::testing::ValuesIn(test::all_backends()), test::param_name);

class HttpTargetForms : public test::HttpServerFixture {
 protected:
  void SetUp() override {
    HttpServerFixture::SetUp();
    router_ = std::make_shared<http::Router>();
    router_->get("/where", [](http::Context& c) -> Task<void> {
      c.send(200, "at " + std::string(c.path()) + " q=" + std::string(c.query()) + "\n");
      co_return;
    });
    router_->get("/", [](http::Context& c) -> Task<void> {
      c.send(200, "root\n");
      co_return;
    });
    start();
  }
  Reply ask(const std::string& request) {
    Conn c(port_);
    EXPECT_TRUE(c.send(request));
    return c.read();
  }
};

TEST_P(HttpTargetForms, AbsoluteFormIsServedByItsPath) {
  Reply r = ask("GET http://t/where?x=1 HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "at /where q=x=1\n");
  r = ask("GET http://t HTTP/1.1\r\nHost: t\r\n\r\n");  // no path: "/"
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "root\n");
}

TEST_P(HttpTargetForms, AsteriskFormFragmentAndOverlongPath) {
  // RFC 9110 §9.3.7: OPTIONS * asks about the server as a whole; no route is involved.
  Reply r = ask("OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.body.empty());
  r = ask("GET /" + std::string(5000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 414);
  r = ask("GET /where#frag HTTP/1.1\r\nHost: t\r\n\r\n");  // a fragment is no part of the path
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "at /where q=\n");
}

// What a handler sees of the request and of its own response so far, and a field value
// that would split the response (CR LF in it): the server answers a bare 500 instead.
class HttpHandlerView : public test::HttpServerFixture {
 protected:
  void SetUp() override {
    HttpServerFixture::SetUp();
    router_ = std::make_shared<http::Router>();
    router_->get("/files/*", [](http::Context& c) -> Task<void> {
      std::string out = std::string(c.method()) + " " + std::string(c.target()) + " rest=" + std::string(c.rest());
      out += c.method_id() == codec::http1::Method::get ? " get" : " other";
      out += " minor=" + std::to_string(c.request().version_minor);
      out += " status=" + std::to_string(c.status()) + (c.responded() ? " responded" : " open");
      c.set_header("X-One", "1");
      c.add_header("X-Two", "2");
      c.set_header("X-One", "uno");  // replaces
      out += " x-one=" + std::string(c.response_header("x-one").value_or("-"));
      out += " x-three=" + std::string(c.response_header("X-Three").value_or("-"));
      out += " shard=" + std::to_string(c.shard().id());
      c.send(200, out + "\n");
      co_return;
    });
    router_->get("/split", [](http::Context& c) -> Task<void> {
      c.set_header("X-Note", "a\r\nSet-Cookie: injected=1");
      c.send(200, "should not be seen\n");
      co_return;
    });
    start();
  }
};

TEST_P(HttpHandlerView, RequestAndResponseSoFar) {
  Conn c(port_);
  ASSERT_TRUE(c.send("GET /files/a/b%20c.txt?q HTTP/1.1\r\nHost: t\r\n\r\n"));
  Reply r = c.read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            "GET /files/a/b%20c.txt?q rest=a/b c.txt get minor=1 status=0 open x-one=uno x-three=- shard=0\n");
  EXPECT_EQ(r.field("X-One"), "uno");
  EXPECT_EQ(r.field("X-Two"), "2");
}

TEST_P(HttpHandlerView, FieldThatWouldSplitTheResponseIsA500) {
  Conn c(port_);
  ASSERT_TRUE(c.send("GET /split HTTP/1.1\r\nHost: t\r\n\r\n"));
  Reply r = c.read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 500);
  EXPECT_FALSE(r.has("Set-Cookie"));
  EXPECT_FALSE(r.has("X-Note"));
  EXPECT_EQ(r.head.find("injected"), std::string::npos) << r.head;
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(lower(r.field("Connection")), "close");
  EXPECT_TRUE(c.closed_by_peer());  // and does what it says (RFC 9112 §9.6)
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpHandlerView, ::testing::ValuesIn(test::all_backends()), test::param_name);

INSTANTIATE_TEST_SUITE_P(Backends, HttpTargetForms, ::testing::ValuesIn(test::all_backends()), test::param_name);

}  // namespace
}  // namespace zp
