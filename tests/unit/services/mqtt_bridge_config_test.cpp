// The "bridges" key of the "mqtt" config section: every key, the defaults, and each error
// with the key's path and its file:line:column; the local address a bridge derives.
#include <gtest/gtest.h>

#include <string>

#include "zp/mqtt/bridge.h"
#include "zp/mqtt/service.h"

namespace {

using zp::mqtt::BridgeDirection;
using zp::mqtt::MqttService;
namespace cm = zp::codec::mqtt;

zp::service::SectionResult parse_config(std::string_view json) {
  return zp::service::parse_section(zp::mqtt::service_definition(), json, "<config>");
}

// A section with one bridge whose fields are `fields` (the bridge object's inside).
std::string with_bridge(const std::string& fields) {
  return "{ \"mqtt\": { \"listen\": [\"127.0.0.1:1883\"],\n  \"bridges\": [ { " + fields + " } ] } }";
}
const std::string kMinimal = R"("name": "b1", "address": "127.0.0.1:1884", "topics": [ { "filter": "a/#" } ])";

TEST(ConfigMqttBridge, NoneByDefault) {
  auto r = parse_config(R"({ "mqtt": { "listen": ["127.0.0.1:1883"] } })");
  ASSERT_TRUE(r) << r.error;
  EXPECT_TRUE(r.as<MqttService>()->bridges.empty());
}

TEST(ConfigMqttBridge, MinimalHasTheDefaults) {
  auto r = parse_config(with_bridge(kMinimal));
  ASSERT_TRUE(r) << r.error;
  const auto& bs = r.as<MqttService>()->bridges;
  ASSERT_EQ(bs.size(), 1u);
  const auto& b = bs[0];
  EXPECT_EQ(b.name, "b1");
  EXPECT_EQ(b.address, "127.0.0.1:1884");
  EXPECT_EQ(b.version, cm::Version::v5);
  EXPECT_EQ(b.client_id, "zproto-bridge-b1");
  EXPECT_EQ(b.local_client_id, "local.zproto-bridge-b1");
  EXPECT_TRUE(b.clean_start);
  EXPECT_EQ(b.session_expiry_s, 0u);
  EXPECT_EQ(b.keepalive_s, 60u);
  EXPECT_FALSE(b.username);
  EXPECT_FALSE(b.password);
  EXPECT_FALSE(b.tls);
  EXPECT_EQ(b.max_inflight, 32u);
  EXPECT_EQ(b.reconnect_initial_ms, 500);
  EXPECT_EQ(b.reconnect_max_ms, 30000);
  ASSERT_EQ(b.topics.size(), 1u);
  EXPECT_EQ(b.topics[0].filter, "a/#");
  EXPECT_EQ(b.topics[0].direction, BridgeDirection::out);
  EXPECT_EQ(b.topics[0].qos, 0u);
  EXPECT_EQ(b.topics[0].local_prefix, "");
  EXPECT_EQ(b.topics[0].remote_prefix, "");
  EXPECT_NE(r.service->summary().find("bridge b1 to 127.0.0.1:1884"), std::string::npos) << r.service->summary();
}

TEST(ConfigMqttBridge, EveryKey) {
  auto r = parse_config(R"({ "mqtt": { "listen": ["127.0.0.1:1883"], "bridges": [
    { "name": "edge-1.a_b", "address": "broker.example:8883", "version": "311", "client_id": "me",
      "clean_start": false, "keepalive": 30, "username": "u", "password": "p",
      "tls": { "ca_file": "/ca.pem", "cert": "/c.pem", "key": "/k.pem", "verify": false, "server_name": "b.example" },
      "max_inflight": 5, "reconnect_initial_ms": 10, "reconnect_max_ms": 20,
      "local_client_id": "loc", "local_username": "lu", "local_password": "lp",
      "topics": [ { "filter": "s/+/t", "direction": "in", "qos": 2, "local_prefix": "from/", "remote_prefix": "r/" },
                  { "filter": "#", "direction": "both", "qos": 1 },
                  { "filter": "x", "direction": "out" } ] },
    { "name": "b2", "address": "[::1]:1884", "version": "5", "session_expiry": 3600, "topics": [ { "filter": "y" } ] } ] } })");
  ASSERT_TRUE(r) << r.error;
  const auto& bs = r.as<MqttService>()->bridges;
  ASSERT_EQ(bs.size(), 2u);
  const auto& b = bs[0];
  EXPECT_EQ(b.name, "edge-1.a_b");
  EXPECT_EQ(b.address, "broker.example:8883");
  EXPECT_EQ(b.version, cm::Version::v311);
  EXPECT_EQ(b.client_id, "me");
  EXPECT_FALSE(b.clean_start);
  EXPECT_EQ(b.keepalive_s, 30u);
  EXPECT_EQ(b.username.value_or(""), "u");
  EXPECT_EQ(b.password.value_or(""), "p");
  ASSERT_TRUE(b.tls);
  EXPECT_EQ(b.tls->ca_file, "/ca.pem");
  EXPECT_EQ(b.tls->cert_file, "/c.pem");
  EXPECT_EQ(b.tls->key_file, "/k.pem");
  EXPECT_FALSE(b.tls->verify);
  EXPECT_EQ(b.tls_server_name, "b.example");
  EXPECT_EQ(b.max_inflight, 5u);
  EXPECT_EQ(b.reconnect_initial_ms, 10);
  EXPECT_EQ(b.reconnect_max_ms, 20);
  EXPECT_EQ(b.local_client_id, "loc");
  EXPECT_EQ(b.local_username.value_or(""), "lu");
  EXPECT_EQ(b.local_password.value_or(""), "lp");
  ASSERT_EQ(b.topics.size(), 3u);
  EXPECT_EQ(b.topics[0].filter, "s/+/t");
  EXPECT_EQ(b.topics[0].direction, BridgeDirection::in);
  EXPECT_EQ(b.topics[0].qos, 2u);
  EXPECT_EQ(b.topics[0].local_prefix, "from/");
  EXPECT_EQ(b.topics[0].remote_prefix, "r/");
  EXPECT_EQ(b.topics[1].direction, BridgeDirection::both);
  EXPECT_EQ(b.topics[1].qos, 1u);
  EXPECT_EQ(b.topics[2].direction, BridgeDirection::out);
  EXPECT_EQ(bs[1].version, cm::Version::v5);
  EXPECT_EQ(bs[1].session_expiry_s, 3600u);
  EXPECT_EQ(bs[1].local_client_id, "local.zproto-bridge-b2");
  // A TLS object with "verify" alone keeps verification's default: on.
  auto v = parse_config(with_bridge(kMinimal + R"(, "tls": { "ca_file": "/ca.pem" })"));
  ASSERT_TRUE(v) << v.error;
  ASSERT_TRUE(v.as<MqttService>()->bridges[0].tls);
  EXPECT_TRUE(v.as<MqttService>()->bridges[0].tls->verify);
}

// Each error names its key (the path) and where it is (line 2 of the text, where the
// bridge object starts), and says what is wrong.
TEST(ConfigMqttBridge, ErrorsNameTheKeyAndItsPosition) {
  const std::string addr = R"("address": "127.0.0.1:1884")";
  const std::string topics = R"("topics": [ { "filter": "a/#" } ])";
  struct Case {
    std::string fields;
    const char* key;
    const char* what;
  } cases[] = {
      {R"("name": "b1", )" + addr + ", " + topics + R"(, "colour": 1)", "mqtt.bridges[0].colour", "known keys in"},
      {addr + ", " + topics, "mqtt.bridges[0]", "\"name\" is required"},
      {R"("name": "b1", )" + topics, "mqtt.bridges[0]", "\"address\" is required"},
      {R"("name": "b1", )" + addr, "mqtt.bridges[0]", "\"topics\" is required"},
      {R"("name": "", )" + addr + ", " + topics, "mqtt.bridges[0].name", "must be 1..64"},
      {R"("name": "a b", )" + addr + ", " + topics, "mqtt.bridges[0].name", "must be 1..64"},
      {R"("name": ")" + std::string(65, 'n') + "\", " + addr + ", " + topics, "mqtt.bridges[0].name", "must be 1..64"},
      {R"("name": 7, )" + addr + ", " + topics, "mqtt.bridges[0].name", "a string"},
      {R"("name": "b1", "address": "nowhere", )" + topics, "mqtt.bridges[0].address", "is not HOST:PORT"},
      {R"("name": "b1", "address": "h:0", )" + topics, "mqtt.bridges[0].address", "is not HOST:PORT"},
      {kMinimal + R"(, "version": "4")", "mqtt.bridges[0].version", "must be \"5\" or \"311\""},
      {kMinimal + R"(, "version": 5)", "mqtt.bridges[0].version", "a string"},
      {kMinimal + R"(, "client_id": "")", "mqtt.bridges[0].client_id", "must not be empty"},
      {kMinimal + R"(, "client_id": ")" + std::string(257, 'c') + "\"", "mqtt.bridges[0].client_id", "longer than 256"},
      {kMinimal + R"(, "clean_start": "yes")", "mqtt.bridges[0].clean_start", "true or false"},
      {kMinimal + R"(, "session_expiry": -1)", "mqtt.bridges[0].session_expiry", ""},
      {kMinimal + R"(, "version": "311", "session_expiry": 10)", "mqtt.bridges[0]", "MQTT 5 only"},
      {kMinimal + R"(, "keepalive": 65536)", "mqtt.bridges[0].keepalive", ""},
      {kMinimal + R"(, "username": 1)", "mqtt.bridges[0].username", "a string"},
      {kMinimal + R"(, "password": false)", "mqtt.bridges[0].password", "a string"},
      {kMinimal + R"(, "tls": true)", "mqtt.bridges[0].tls", "an object"},
      {kMinimal + R"(, "tls": { "cafile": "x" })", "mqtt.bridges[0].tls.cafile", "ca_file, cert, key, verify, server_name"},
      {kMinimal + R"(, "tls": { "cert": "c.pem" })", "mqtt.bridges[0].tls", "\"cert\" and \"key\" go together"},
      {kMinimal + R"(, "tls": { "verify": "no" })", "mqtt.bridges[0].tls.verify", "true or false"},
      {kMinimal + R"(, "tls": { "server_name": "" })", "mqtt.bridges[0].tls.server_name", "must name a host"},
      {kMinimal + R"(, "max_inflight": 0)", "mqtt.bridges[0].max_inflight", "at least 1"},
      {kMinimal + R"(, "max_inflight": 65536)", "mqtt.bridges[0].max_inflight", ""},
      {kMinimal + R"(, "reconnect_initial_ms": 0)", "mqtt.bridges[0].reconnect_initial_ms", "at least 1"},
      {kMinimal + R"(, "reconnect_max_ms": 3600001)", "mqtt.bridges[0].reconnect_max_ms", ""},
      {kMinimal + R"(, "reconnect_initial_ms": 100, "reconnect_max_ms": 50)", "mqtt.bridges[0]", "below"},
      {kMinimal + R"(, "local_client_id": "")", "mqtt.bridges[0].local_client_id", "must not be empty"},
      {kMinimal + R"(, "local_username": [])", "mqtt.bridges[0].local_username", "a string"},
      {kMinimal + R"(, "local_password": {})", "mqtt.bridges[0].local_password", "a string"},
      // topics
      {R"("name": "b1", )" + addr + R"(, "topics": [])", "mqtt.bridges[0].topics", "at least one topic"},
      {R"("name": "b1", )" + addr + R"(, "topics": "a/#")", "mqtt.bridges[0].topics", "an array of topic objects"},
      {R"("name": "b1", )" + addr + R"(, "topics": [ { "qos": 1 } ])", "mqtt.bridges[0].topics[0]", "\"filter\" is required"},
      {R"("name": "b1", )" + addr + R"(, "topics": [ { "filter": "" } ])", "mqtt.bridges[0].topics[0].filter", "must not be empty"},
      {R"("name": "b1", )" + addr + R"(, "topics": [ { "filter": "a/#/b" } ])", "mqtt.bridges[0].topics[0].filter",
       "is not a topic filter"},
      {R"("name": "b1", )" + addr + R"(, "topics": [ { "filter": "a+" } ])", "mqtt.bridges[0].topics[0].filter",
       "is not a topic filter"},
      {R"("name": "b1", )" + addr + R"(, "topics": [ { "filter": "$share/g/a" } ])", "mqtt.bridges[0].topics[0].filter",
       "shared subscription"},
      {R"("name": "b1", )" + addr + R"(, "topics": [ { "filter": "a", "direction": "up" } ])",
       "mqtt.bridges[0].topics[0].direction", "must be \"out\", \"in\" or \"both\""},
      {R"("name": "b1", )" + addr + R"(, "topics": [ { "filter": "a", "qos": 3 } ])", "mqtt.bridges[0].topics[0].qos", ""},
      {R"("name": "b1", )" + addr + R"(, "topics": [ { "filter": "a", "local_prefix": "x/+/" } ])",
       "mqtt.bridges[0].topics[0].local_prefix", "must not contain wildcards"},
      {R"("name": "b1", )" + addr + R"(, "topics": [ { "filter": "a", "remote_prefix": "#" } ])",
       "mqtt.bridges[0].topics[0].remote_prefix", "must not contain wildcards"},
      {R"("name": "b1", )" + addr + R"(, "topics": [ { "filter": "+/a", "local_prefix": "x" } ])",
       "mqtt.bridges[0].topics[0]", "\"x+/a\" (prefix + filter) is not a topic filter"},
      {R"("name": "b1", )" + addr + R"(, "topics": [ { "filter": "a", "remote_prefix": ")" + std::string(1025, 'p') +
           "\" } ])",
       "mqtt.bridges[0].topics[0].remote_prefix", "longer than 1024"},
      {R"("name": "b1", )" + addr + R"(, "topics": [ { "filter": "a", "prefix": "x" } ])",
       "mqtt.bridges[0].topics[0].prefix", "filter, direction, qos, local_prefix, remote_prefix"},
  };
  for (const auto& c : cases) {
    const std::string json = with_bridge(c.fields);
    auto r = parse_config(json);
    ASSERT_FALSE(r) << json;
    EXPECT_NE(r.error.find(std::string("\"") + c.key + "\""), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("<config>:2:"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find(c.what), std::string::npos) << r.error;
  }
}

TEST(ConfigMqttBridge, ArrayLevelErrors) {
  // Not an array.
  auto a = parse_config("{ \"mqtt\": { \"listen\": [\"127.0.0.1:1883\"],\n  \"bridges\": {} } }");
  ASSERT_FALSE(a);
  EXPECT_NE(a.error.find("\"mqtt.bridges\""), std::string::npos) << a.error;
  EXPECT_NE(a.error.find("an array of bridge objects"), std::string::npos) << a.error;
  // Two bridges with one name; two with one local client id.
  auto d = parse_config("{ \"mqtt\": { \"listen\": [\"127.0.0.1:1883\"], \"bridges\": [ { " + kMinimal + " },\n { " +
                        kMinimal + " } ] } }");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error.find("\"mqtt.bridges[1]\""), std::string::npos) << d.error;
  EXPECT_NE(d.error.find("a second bridge named \"b1\""), std::string::npos) << d.error;
  EXPECT_NE(d.error.find("<config>:2:"), std::string::npos) << d.error;
  auto l = parse_config("{ \"mqtt\": { \"listen\": [\"127.0.0.1:1883\"], \"bridges\": [ { " + kMinimal +
                        ", \"local_client_id\": \"L\" },\n { " +
                        R"("name": "b2", "address": "127.0.0.1:1884", "local_client_id": "L", "topics": [ { "filter": "b" } ])" +
                        " } ] } }");
  ASSERT_FALSE(l);
  EXPECT_NE(l.error.find("\"local_client_id\" \"L\" is used by bridge \"b1\" too"), std::string::npos) << l.error;
  // More than the limit.
  std::string many = "{ \"mqtt\": { \"listen\": [\"127.0.0.1:1883\"], \"bridges\": [";
  for (std::size_t i = 0; i <= zp::mqtt::BridgeLimits::max_bridges; ++i) {
    many += std::string(i ? "," : "") + "{ \"name\": \"b" + std::to_string(i) +
            R"(", "address": "127.0.0.1:1884", "topics": [ { "filter": "a" } ] })";
  }
  many += "] } }";
  auto m = parse_config(many);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error.find("more than 64 bridges"), std::string::npos) << m.error;
  std::string topics = R"("name": "b1", "address": "127.0.0.1:1884", "topics": [)";
  for (std::size_t i = 0; i <= zp::mqtt::BridgeLimits::max_topics; ++i) topics += std::string(i ? "," : "") + R"({ "filter": "t" })";
  topics += "]";
  auto t = parse_config(with_bridge(topics));
  ASSERT_FALSE(t);
  EXPECT_NE(t.error.find("more than 256 topics"), std::string::npos) << t.error;
  // A bridge needs a plain listener of ours to connect to.
  auto n = parse_config(R"({ "mqtt": { "tls_listen": ["127.0.0.1:8883"], "tls": { "cert": "c.pem", "key": "k.pem" },
    "bridges": [ { )" + kMinimal + " } ] } }");
  ASSERT_FALSE(n);
  EXPECT_NE(n.error.find("plain \"listen\" address"), std::string::npos) << n.error;
}

TEST(ConfigMqttBridge, LoopbackOfListenAddresses) {
  EXPECT_EQ(zp::mqtt::loopback_of("0.0.0.0:1883"), "127.0.0.1:1883");
  EXPECT_EQ(zp::mqtt::loopback_of("[::]:1883"), "[::1]:1883");
  EXPECT_EQ(zp::mqtt::loopback_of("127.0.0.1:1"), "127.0.0.1:1");
  EXPECT_EQ(zp::mqtt::loopback_of("10.1.2.3:1883"), "10.1.2.3:1883");
}

}  // namespace
