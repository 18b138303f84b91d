// The "http" section of the zproto config (services/http/src/service/): listeners, files,
// middlewares, HTTPS, and file:line:col errors naming the key.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "zp/http/service.h"

namespace {

using ::testing::HasSubstr;
using zp::http::HttpService;
namespace http = zp::http;

zp::service::SectionResult parse_config(std::string_view json, std::string_view source = "<config>") {
  return zp::service::parse_section(zp::http::service_definition(), json, source);
}
zp::service::SectionResult parse_default() { return zp::service::parse_default_section(zp::http::service_definition()); }

}  // namespace

namespace {

TEST(ConfigHttp, ParsesTheHttpSectionWithMimeOverrides) {
  auto r = parse_config(R"({ "http": { "root": "/srv", "listen": ["0.0.0.0:8080"],
    "cache_control": "max-age=60", "idle_timeout_ms": 5000,
    "mime_types": { "log": "text/plain" } } })");
  ASSERT_TRUE(r) << r.error;
  ASSERT_TRUE(r.as<HttpService>());
  EXPECT_EQ(r.as<HttpService>()->options.root, "/srv");
  EXPECT_EQ(r.as<HttpService>()->options.listen, std::vector<std::string>{"0.0.0.0:8080"});
  EXPECT_EQ(r.as<HttpService>()->options.cache_control, "max-age=60");
  EXPECT_EQ(r.as<HttpService>()->options.idle_timeout_ms, 5000);
  ASSERT_EQ(r.as<HttpService>()->options.mime_types.size(), 1u);
  EXPECT_EQ(r.as<HttpService>()->options.mime_types[0].second, "text/plain");
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
  const http::ServerOptions& o = r.as<HttpService>()->options;
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
  EXPECT_TRUE(on.as<HttpService>()->options.security_headers);
  EXPECT_FALSE(on.as<HttpService>()->options.rate_limit);
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

namespace {

TEST(ConfigHttp, HttpsListenersWithCertificates) {
  const auto r = parse_config(R"({"http": {"root": "/srv", "listen": ["127.0.0.1:80"],
    "tls": [{"listen": ["127.0.0.1:443", "[::1]:443"], "cert": "a.pem", "key": "a.key",
             "certs": [{"cert": "b.pem", "key": "b.key"}], "client_ca": "ca.pem",
             "client_cert_required": false, "min_version": "1.3", "alpn": ["h2", "http/1.1"],
             "handshake_timeout_ms": 5000, "session_tickets": false},
            {"listen": ["127.0.0.1:8443"]}]}})");
  ASSERT_TRUE(r) << r.error;
  const auto& t = r.as<HttpService>()->options.tls_listen;
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
  }

TEST(ConfigHttp, HttpsOnlyNeedsNoPlainListen) {
  const auto r = parse_config(R"({"http": {"tls": {"listen": ["127.0.0.1:8443"]}}})");
  ASSERT_TRUE(r) << r.error;
  EXPECT_TRUE(r.as<HttpService>()->options.listen.empty());
  EXPECT_EQ(r.as<HttpService>()->options.tls_listen.size(), 1u);
}

TEST(ConfigHttp, HttpsMistakesAreNamed) {
  auto bad = [](const char* json) { return parse_config(json).error; };
  EXPECT_THAT(bad(R"({"http": {"tls": {"cert": "a.pem", "key": "a.key"}}})"), HasSubstr("\"listen\""));
  EXPECT_THAT(bad(R"({"http": {"tls": {"listen": ["127.0.0.1:1"], "cert": "a.pem"}}})"), HasSubstr("go together"));
  EXPECT_THAT(bad(R"({"http": {"tls": {"listen": ["127.0.0.1:1"], "min_version": "1.1"}}})"), HasSubstr("\"1.2\""));
  EXPECT_THAT(bad(R"({"http": {"tls": {"listen": ["127.0.0.1:1"], "min_version": "1.3", "max_version": "1.2"}}})"),
              HasSubstr("min_version"));
  EXPECT_THAT(bad(R"({"http": {"tls": {"listen": ["127.0.0.1:1"], "certz": []}}})"), HasSubstr("http.tls.certz"));
  EXPECT_THAT(bad(R"({"http": {"tls": {"listen": ["127.0.0.1:1"], "alpn": ["a,b"]}}})"), HasSubstr("protocol name"));
}

TEST(ConfigHttp, EmbeddedDefaultServesHttpsWithoutACertificate) {
  const auto r = parse_default();
  ASSERT_TRUE(r) << r.error;
  ASSERT_EQ(r.as<HttpService>()->options.tls_listen.size(), 1u);
  EXPECT_EQ(r.as<HttpService>()->options.tls_listen[0].address, "127.0.0.1:8443");
  EXPECT_TRUE(r.as<HttpService>()->options.tls_listen[0].tls.certs.empty());
}

}  // namespace
