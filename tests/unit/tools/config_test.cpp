#include "config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "registry.h"
#include "zp/dns/service.h"
#include "zp/echo/service.h"
#include "zp/mqtt/service.h"
#include "zp/http/service.h"

namespace {

using zp::cli::parse_config;
using zp::echo::EchoService;
using ::testing::HasSubstr;

TEST(Config, GoodConfig) {
  const auto r = parse_config(R"({
    "shards": 4,
    "backend": "epoll",
    "log_level": "debug",
    "log_file": "/var/log/zproto.log",
    "user": "nobody",
    "group": "nogroup",
    "state_dir": "/var/lib/zp",
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
  EXPECT_EQ(c.state_dir, "/var/lib/zp");
  ASSERT_TRUE(c.service_as<EchoService>("echo"));
  EXPECT_EQ(c.service_as<EchoService>("echo")->listen, (std::vector<std::string>{"127.0.0.1:7007", "[::1]:7008"}));
}

TEST(Config, EmptyObjectGivesDefaults) {
  const auto r = parse_config("{}");
  ASSERT_TRUE(r) << r.error;
  EXPECT_EQ(r.config->shards, 0u);
  EXPECT_EQ(r.config->backend, zp::BackendKind::automatic);
  EXPECT_EQ(r.config->log_level, zp::log::Level::info);
  EXPECT_TRUE(r.config->log_file.empty());
  EXPECT_TRUE(r.config->user.empty());
  for (const auto& svc : r.config->services) EXPECT_FALSE(svc);
}

TEST(Config, EmbeddedDefaultIsEveryServicesDefaultSection) {
  const auto r = parse_config(zp::cli::default_config(), "<default>");
  ASSERT_TRUE(r) << r.error;
  EXPECT_EQ(r.config->backend, zp::BackendKind::automatic);
  EXPECT_EQ(r.config->log_level, zp::log::Level::info);
  ASSERT_TRUE(r.config->service_as<EchoService>("echo"));
  EXPECT_EQ(r.config->service_as<EchoService>("echo")->listen, std::vector<std::string>{"127.0.0.1:7007"});
  ASSERT_TRUE(r.config->service_as<zp::http::HttpService>("http"));
  ASSERT_TRUE(r.config->service_as<zp::dns::DnsService>("dns"));
  // Every registered service with a default section is in it, each parsed by its own Definition.
  const auto defs = zp::cli::registered_services();
  ASSERT_EQ(r.config->services.size(), defs.size());
  for (size_t i = 0; i < defs.size(); ++i) {
    EXPECT_EQ(r.config->services[i] != nullptr, !defs[i]->default_config.empty()) << defs[i]->name;
  }
}

TEST(Config, UnknownKeyListsEveryRegisteredService) {
  const auto r = parse_config(R"({"gopher": {}})");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error, HasSubstr("unknown key \"gopher\" (known keys: shards, backend, log_level, log_file, user, "
                                 "group, state_dir, echo, http, dns, mqtt, smtp)"));
}

TEST(Config, MqttSectionAndItsErrors) {
  const auto r = parse_config(R"({"mqtt": {"listen": ["127.0.0.1:1884"], "max_inflight": 4, "max_keepalive": 30,
                                           "retained_max_messages": 10}})");
  ASSERT_TRUE(r) << r.error;
  const auto* m = r.config->service_as<zp::mqtt::MqttService>("mqtt");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->listen, std::vector<std::string>{"127.0.0.1:1884"});
  EXPECT_EQ(m->options.max_inflight, 4);
  EXPECT_EQ(m->options.max_keepalive_s, 30);
  EXPECT_EQ(m->options.retained.max_messages, 10u);
  EXPECT_THAT(parse_config("{\"mqtt\": {\"listen\": [\"127.0.0.1:1\"],\n  \"max_inflight\": 0}}", "zp.json").error,
              HasSubstr("zp.json:2:3: key \"mqtt.max_inflight\": must be at least 1"));
  EXPECT_THAT(parse_config(R"({"mqtt": {"listen": ["localhost:1883"]}})").error, HasSubstr("IP address"));
  EXPECT_THAT(parse_config(R"({"mqtt": {"listen": []}})").error, HasSubstr("at least one address"));
  EXPECT_THAT(parse_config(R"({"mqtt": {"listen": ["127.0.0.1:1"], "qos": 3}})").error, HasSubstr("unknown key \"mqtt.qos\""));
}

TEST(Config, EchoLimits) {
  const auto r = parse_config(R"({"echo": {"listen": ["127.0.0.1:1"], "idle_timeout_ms": 5, "max_connections": 3}})");
  ASSERT_TRUE(r) << r.error;
  EXPECT_EQ(r.config->service_as<EchoService>("echo")->options.idle_timeout_ms, 5);
  EXPECT_EQ(r.config->service_as<EchoService>("echo")->options.max_connections, 3u);
  EXPECT_THAT(parse_config(R"({"echo": {"listen": ["127.0.0.1:1"], "max_connections": -1}})").error,
              HasSubstr("\"echo.max_connections\""));
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
  EXPECT_THAT(parse_config(R"({"echo": {"listen": ["localhost:7007"]}})").error,
              HasSubstr("\"echo.listen[0]\": \"localhost:7007\": the host must be an IP address"));
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
  using zp::service::is_host_port;
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

