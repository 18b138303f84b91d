// The HTTP server's start-up failures (each returns its error and binds nothing: a missing
// root, bad listen addresses, an address not on this host, unusable certificates) and, with
// routes, the request-target forms of RFC 9112 §3.2: absolute-form is served by its path,
// OPTIONS * is answered by the server itself, a path over the 4 KiB path buffer gets 414.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "engine_test_util.h"
#include "http_test_util.h"
#include "zp/http/router.h"
#include "zp/http/server.h"

namespace zp {
namespace {

using test::Conn;
using test::Reply;
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

INSTANTIATE_TEST_SUITE_P(Backends, HttpTargetForms, ::testing::ValuesIn(test::all_backends()), test::param_name);

}  // namespace
}  // namespace zp
