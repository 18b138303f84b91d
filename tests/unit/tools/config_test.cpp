#include "config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace {

using zp::cli::parse_config;
using ::testing::HasSubstr;

TEST(Config, GoodConfig) {
  const auto r = parse_config(R"({
    "shards": 4,
    "backend": "epoll",
    "log_level": "debug",
    "log_file": "/var/log/zproto.log",
    "user": "nobody",
    "group": "nogroup",
    "echo": { "listen": ["127.0.0.1:7007", "[::1]:7008"] }
  })");
  ASSERT_TRUE(r) << r.error;
  const auto& c = *r.config;
  EXPECT_EQ(c.shards, 4u);
  EXPECT_EQ(c.backend, zp::BackendKind::epoll);
  EXPECT_EQ(c.log_level, zp::log::Level::debug);
  EXPECT_EQ(c.log_file, "/var/log/zproto.log");
  EXPECT_EQ(c.user, "nobody");
  EXPECT_EQ(c.group, "nogroup");
  ASSERT_TRUE(c.echo);
  EXPECT_EQ(c.echo->listen, (std::vector<std::string>{"127.0.0.1:7007", "[::1]:7008"}));
}

TEST(Config, EmptyObjectGivesDefaults) {
  const auto r = parse_config("{}");
  ASSERT_TRUE(r) << r.error;
  EXPECT_EQ(r.config->shards, 0u);
  EXPECT_EQ(r.config->backend, zp::BackendKind::automatic);
  EXPECT_EQ(r.config->log_level, zp::log::Level::info);
  EXPECT_TRUE(r.config->log_file.empty());
  EXPECT_TRUE(r.config->user.empty());
  EXPECT_FALSE(r.config->echo);
}

TEST(Config, EmbeddedDefaultServesEchoOnLoopback) {
  const auto r = parse_config(zp::cli::kDefaultConfig, "<default>");
  ASSERT_TRUE(r) << r.error;
  EXPECT_EQ(r.config->backend, zp::BackendKind::automatic);
  EXPECT_EQ(r.config->log_level, zp::log::Level::info);
  ASSERT_TRUE(r.config->echo);
  EXPECT_EQ(r.config->echo->listen, std::vector<std::string>{"127.0.0.1:7007"});
}

TEST(Config, UnknownKeyNamesKeyAndLine) {
  const auto r = parse_config("{\n  \"shards\": 2,\n  \"shardz\": 3\n}\n", "zp.json");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error, HasSubstr("zp.json:3:3:"));
  EXPECT_THAT(r.error, HasSubstr("unknown key \"shardz\""));
}

TEST(Config, UnknownNestedKeyNamesPath) {
  const auto r = parse_config("{\n\"echo\": {\n\n  \"lissten\": []\n}}", "zp.json");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error, HasSubstr("zp.json:4:"));
  EXPECT_THAT(r.error, HasSubstr("\"echo.lissten\""));
}

TEST(Config, WrongTypeNamesKeyLineAndTypes) {
  const auto r = parse_config("{\n\n  \"shards\": \"four\"\n}", "zp.json");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error, HasSubstr("zp.json:3:"));
  EXPECT_THAT(r.error, HasSubstr("\"shards\""));
  EXPECT_THAT(r.error, HasSubstr("expected a non-negative integer, got string"));

  const auto neg = parse_config(R"({"shards": -1})");
  ASSERT_FALSE(neg);
  EXPECT_THAT(neg.error, HasSubstr("\"shards\""));

  const auto listen = parse_config("{\"echo\": {\"listen\": \"127.0.0.1:7007\"}}");
  ASSERT_FALSE(listen);
  EXPECT_THAT(listen.error, HasSubstr("\"echo.listen\": expected an array"));

  const auto elem = parse_config("{\"echo\": {\"listen\": [\"127.0.0.1:1\",\n 7]}}", "zp.json");
  ASSERT_FALSE(elem);
  EXPECT_THAT(elem.error, HasSubstr("zp.json:2:2:"));
  EXPECT_THAT(elem.error, HasSubstr("\"echo.listen[1]\": expected a string, got number"));

  const auto user = parse_config(R"({"user": 0})");
  ASSERT_FALSE(user);
  EXPECT_THAT(user.error, HasSubstr("\"user\": expected a string, got number"));
}

TEST(Config, BadValues) {
  EXPECT_THAT(parse_config(R"({"backend": "kqueue"})").error,
              HasSubstr("\"backend\": \"kqueue\" is not one of auto, io_uring, epoll"));
  EXPECT_THAT(parse_config(R"({"log_level": "verbose"})").error, HasSubstr("\"log_level\""));
  EXPECT_THAT(parse_config(R"({"shards": 100000})").error, HasSubstr("out of range"));
  EXPECT_THAT(parse_config(R"({"echo": {"listen": ["127.0.0.1"]}})").error,
              HasSubstr("\"echo.listen[0]\": \"127.0.0.1\" is not HOST:PORT"));
  EXPECT_THAT(parse_config(R"({"echo": {"listen": []}})").error, HasSubstr("at least one"));
  EXPECT_THAT(parse_config(R"({"echo": {}})").error, HasSubstr("at least one"));
  EXPECT_THAT(parse_config(R"({"user": "a", "user": "b"})").error,
              HasSubstr("duplicate key \"user\""));
}

TEST(Config, InvalidJson) {
  const auto r = parse_config("{\n  \"shards\": 2,,\n}", "zp.json");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error, HasSubstr("zp.json:"));
  EXPECT_THAT(r.error, HasSubstr("invalid JSON"));

  EXPECT_THAT(parse_config("").error, HasSubstr("invalid JSON"));
  EXPECT_THAT(parse_config("{\"shards\": 2").error, HasSubstr("invalid JSON"));
  EXPECT_THAT(parse_config("{} {}").error, HasSubstr("invalid JSON"));
  EXPECT_THAT(parse_config("[1, 2]").error, HasSubstr("must be a JSON object"));
  EXPECT_THAT(parse_config("{\"shards\": 2 \"backend\": \"auto\"}").error,
              HasSubstr("invalid JSON"));
}

TEST(Config, HostPort) {
  using zp::cli::is_host_port;
  EXPECT_TRUE(is_host_port("127.0.0.1:7007"));
  EXPECT_TRUE(is_host_port("localhost:1"));
  EXPECT_TRUE(is_host_port("[::1]:65535"));
  EXPECT_TRUE(is_host_port("0.0.0.0:80"));
  EXPECT_FALSE(is_host_port("::1:80"));
  EXPECT_FALSE(is_host_port("127.0.0.1:0"));
  EXPECT_FALSE(is_host_port("127.0.0.1:65536"));
  EXPECT_FALSE(is_host_port(":80"));
  EXPECT_FALSE(is_host_port("host:"));
  EXPECT_FALSE(is_host_port("host:8x"));
  EXPECT_FALSE(is_host_port("[::1]80"));
}

TEST(Config, LoadFile) {
  const std::string path = ::testing::TempDir() + "zp_config_test.json";
  {
    std::ofstream out(path);
    out << "{\n  \"log_level\": \"warn\",\n  \"bogus\": true\n}\n";
  }
  const auto r = zp::cli::load_config_file(path);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error, HasSubstr(path + ":3:3: unknown key \"bogus\""));
  std::remove(path.c_str());

  const auto missing = zp::cli::load_config_file("/nonexistent/zproto.json");
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error, HasSubstr("/nonexistent/zproto.json: No such file"));
}

}  // namespace

namespace zp::cli {
namespace {

TEST(ConfigHttp, ParsesTheHttpSectionWithMimeOverrides) {
  auto r = parse_config(R"({ "http": { "root": "/srv", "listen": ["0.0.0.0:8080"],
    "cache_control": "max-age=60", "idle_timeout_ms": 5000,
    "mime_types": { "log": "text/plain" } } })");
  ASSERT_TRUE(r) << r.error;
  ASSERT_TRUE(r.config->http);
  EXPECT_EQ(r.config->http->root, "/srv");
  EXPECT_EQ(r.config->http->listen, std::vector<std::string>{"0.0.0.0:8080"});
  EXPECT_EQ(r.config->http->cache_control, "max-age=60");
  EXPECT_EQ(r.config->http->idle_timeout_ms, 5000);
  ASSERT_EQ(r.config->http->mime_types.size(), 1u);
  EXPECT_EQ(r.config->http->mime_types[0].second, "text/plain");
}

TEST(ConfigHttp, BadMimeTypeAndUnknownKeyNameTheKey) {
  auto bad = parse_config("{ \"http\": { \"listen\": [\"127.0.0.1:1\"],\n  \"mime_types\": { \"log\": \"a b\" } } }");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error.find("http.mime_types.log"), std::string::npos) << bad.error;
  EXPECT_NE(bad.error.find(":2:"), std::string::npos) << bad.error;
  auto unknown = parse_config("{ \"http\": { \"listen\": [\"127.0.0.1:1\"], \"colour\": 1 } }");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error.find("http.colour"), std::string::npos) << unknown.error;
}

TEST(ConfigHttp, MiddlewaresAndBodyLimits) {
  auto r = parse_config(R"({ "http": { "listen": ["127.0.0.1:8080"],
    "max_body_bytes": 1048576, "body_timeout_ms": 5000, "request_id": true,
    "security_headers": { "frame_options": "SAMEORIGIN", "strict_transport_security": "max-age=60" },
    "rate_limit": { "rps": 2.5, "burst": 10 },
    "basic_auth": { "realm": "staff", "users": { "ann": "pw",
      "bob": "{sha256}2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b" } },
    "middleware_order": ["basic_auth", "access_log"] } })");
  ASSERT_TRUE(r) << r.error;
  const http::ServerOptions& o = *r.config->http;
  EXPECT_EQ(o.limits.max_body_bytes, 1048576u);
  EXPECT_EQ(o.body_timeout_ms, 5000);
  EXPECT_TRUE(o.request_id);
  ASSERT_TRUE(o.security_headers);
  EXPECT_EQ(o.security_headers->frame_options, "SAMEORIGIN");
  EXPECT_EQ(o.security_headers->referrer_policy, "no-referrer");  // default kept
  EXPECT_EQ(o.security_headers->strict_transport_security, "max-age=60");
  ASSERT_TRUE(o.rate_limit);
  EXPECT_DOUBLE_EQ(o.rate_limit->rps, 2.5);
  EXPECT_DOUBLE_EQ(o.rate_limit->burst, 10);
  ASSERT_TRUE(o.basic_auth);
  EXPECT_EQ(o.basic_auth->realm, "staff");
  ASSERT_EQ(o.basic_auth->users.size(), 2u);
  EXPECT_EQ(o.basic_auth->users[0].first, "ann");
  EXPECT_EQ(o.middleware_order, (std::vector<std::string>{"basic_auth", "access_log"}));
  auto on = parse_config(R"({ "http": { "listen": ["127.0.0.1:8080"], "security_headers": true } })");
  ASSERT_TRUE(on) << on.error;
  EXPECT_TRUE(on.config->http->security_headers);
  EXPECT_FALSE(on.config->http->rate_limit);
}

TEST(ConfigHttp, BadMiddlewareValuesNameKeyAndLine) {
  auto err = [](const std::string& http) {
    auto r = parse_config("{ \"http\": { \"listen\": [\"127.0.0.1:1\"],\n  " + http + " } }");
    EXPECT_FALSE(r) << http;
    EXPECT_NE(r.error.find(":2:"), std::string::npos) << r.error;
    return r.error;
  };
  EXPECT_NE(err(R"("rate_limit": { "rps": 0 })").find("http.rate_limit.rps"), std::string::npos);
  EXPECT_NE(err(R"("rate_limit": { "burst": 0.5 })").find("http.rate_limit.burst"), std::string::npos);
  EXPECT_NE(err(R"("rate_limit": { "speed": 1 })").find("http.rate_limit.speed"), std::string::npos);
  EXPECT_NE(err(R"("basic_auth": { "users": { "a": "{sha256}abc" } })").find("http.basic_auth.users.a"), std::string::npos);
  EXPECT_NE(err(R"("basic_auth": { "realm": "x\"y", "users": { "a": "b" } })").find("http.basic_auth.realm"), std::string::npos);
  EXPECT_NE(err(R"("basic_auth": { "realm": "x" })").find("http.basic_auth"), std::string::npos);
  EXPECT_NE(err(R"("security_headers": "yes")").find("http.security_headers"), std::string::npos);
  EXPECT_NE(err(R"("security_headers": { "frame_options": "a\u0001" })").find("http.security_headers.frame_options"),
            std::string::npos);
  EXPECT_NE(err(R"("middleware_order": ["gzip"])").find("http.middleware_order[0]"), std::string::npos);
  EXPECT_NE(err(R"("middleware_order": ["request_id", "request_id"])").find("listed twice"), std::string::npos);
  EXPECT_NE(err(R"("body_timeout_ms": -1)").find("http.body_timeout_ms"), std::string::npos);
  EXPECT_NE(err(R"("request_id": 1)").find("http.request_id"), std::string::npos);
}

}  // namespace
}  // namespace zp::cli

namespace {

TEST(Config, HttpsListenersWithCertificates) {
  const auto r = parse_config(R"({"http": {"root": "/srv", "listen": ["127.0.0.1:80"],
    "tls": [{"listen": ["127.0.0.1:443", "[::1]:443"], "cert": "a.pem", "key": "a.key",
             "certs": [{"cert": "b.pem", "key": "b.key"}], "client_ca": "ca.pem",
             "client_cert_required": false, "min_version": "1.3", "alpn": ["h2", "http/1.1"],
             "handshake_timeout_ms": 5000, "session_tickets": false},
            {"listen": ["127.0.0.1:8443"]}]}, "state_dir": "/var/lib/zp"})");
  ASSERT_TRUE(r) << r.error;
  const auto& t = r.config->http->tls_listen;
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].address, "127.0.0.1:443");
  EXPECT_EQ(t[1].address, "[::1]:443");
  ASSERT_EQ(t[0].tls.certs.size(), 2u);
  EXPECT_EQ(t[0].tls.certs[0].cert_file, "a.pem");  // "cert"/"key" first: the default
  EXPECT_EQ(t[0].tls.certs[1].key_file, "b.key");
  EXPECT_EQ(t[0].tls.client_ca_file, "ca.pem");
  EXPECT_FALSE(t[0].tls.client_cert_required);
  EXPECT_EQ(t[0].tls.min_version, zp::tls::Version::tls13);
  EXPECT_EQ(t[0].tls.alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_EQ(t[0].tls.handshake_timeout_ms, 5000);
  EXPECT_FALSE(t[0].tls.session_tickets);
  EXPECT_EQ(t[2].address, "127.0.0.1:8443");
  EXPECT_TRUE(t[2].tls.certs.empty());  // the self-signed default fills it at start
  EXPECT_EQ(r.config->state_dir, "/var/lib/zp");
}

TEST(Config, HttpsOnlyNeedsNoPlainListen) {
  const auto r = parse_config(R"({"http": {"tls": {"listen": ["127.0.0.1:8443"]}}})");
  ASSERT_TRUE(r) << r.error;
  EXPECT_TRUE(r.config->http->listen.empty());
  EXPECT_EQ(r.config->http->tls_listen.size(), 1u);
}

TEST(Config, HttpsMistakesAreNamed) {
  auto bad = [](const char* json) { return parse_config(json).error; };
  EXPECT_THAT(bad(R"({"http": {"tls": {"cert": "a.pem", "key": "a.key"}}})"), HasSubstr("\"listen\""));
  EXPECT_THAT(bad(R"({"http": {"tls": {"listen": ["127.0.0.1:1"], "cert": "a.pem"}}})"), HasSubstr("go together"));
  EXPECT_THAT(bad(R"({"http": {"tls": {"listen": ["127.0.0.1:1"], "min_version": "1.1"}}})"), HasSubstr("\"1.2\""));
  EXPECT_THAT(bad(R"({"http": {"tls": {"listen": ["127.0.0.1:1"], "min_version": "1.3", "max_version": "1.2"}}})"),
              HasSubstr("min_version"));
  EXPECT_THAT(bad(R"({"http": {"tls": {"listen": ["127.0.0.1:1"], "certz": []}}})"), HasSubstr("http.tls.certz"));
  EXPECT_THAT(bad(R"({"http": {"tls": {"listen": ["127.0.0.1:1"], "alpn": ["a,b"]}}})"), HasSubstr("protocol name"));
}

TEST(Config, EmbeddedDefaultServesHttpsWithoutACertificate) {
  const auto r = parse_config(zp::cli::kDefaultConfig, "<default>");
  ASSERT_TRUE(r) << r.error;
  ASSERT_EQ(r.config->http->tls_listen.size(), 1u);
  EXPECT_EQ(r.config->http->tls_listen[0].address, "127.0.0.1:8443");
  EXPECT_TRUE(r.config->http->tls_listen[0].tls.certs.empty());
}

}  // namespace
