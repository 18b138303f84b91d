// The "persistence" and "max_topic_alias" keys of the "mqtt" config section: fields,
// defaults, and file:line:column errors naming the key.
#include <gtest/gtest.h>

#include "zp/mqtt/service.h"

namespace {

using zp::mqtt::MqttService;

zp::service::SectionResult parse_config(std::string_view json) {
  return zp::service::parse_section(zp::mqtt::service_definition(), json, "<config>");
}

TEST(ConfigMqttPersistence, OffByDefault) {
  auto r = parse_config(R"({ "mqtt": { "listen": ["127.0.0.1:1883"] } })");
  ASSERT_TRUE(r) << r.error;
  EXPECT_TRUE(r.as<MqttService>()->options.persistence.dir.empty());
}

TEST(ConfigMqttPersistence, ParsesEveryField) {
  auto r = parse_config(R"({ "mqtt": { "listen": ["127.0.0.1:1883"],
    "persistence": { "dir": "/var/lib/zproto/mqtt", "fsync": false, "max_log_bytes": 1048576 } } })");
  ASSERT_TRUE(r) << r.error;
  const auto& p = r.as<MqttService>()->options.persistence;
  EXPECT_EQ(p.dir, "/var/lib/zproto/mqtt");
  EXPECT_FALSE(p.fsync);
  EXPECT_EQ(p.max_log_bytes, 1048576u);
  auto d = parse_config(R"({ "mqtt": { "listen": ["127.0.0.1:1883"], "persistence": { "dir": "/d" } } })");
  ASSERT_TRUE(d) << d.error;
  EXPECT_TRUE(d.as<MqttService>()->options.persistence.fsync);
  EXPECT_EQ(d.as<MqttService>()->options.persistence.max_log_bytes, 64u << 20);
}

TEST(ConfigMqttPersistence, ErrorsNameTheKeyAndItsPosition) {
  struct Case {
    const char* json;
    const char* key;
    const char* what;
  } cases[] = {
      {"{ \"mqtt\": { \"listen\": [\"127.0.0.1:1\"],\n  \"persistence\": { \"fsync\": true } } }", "mqtt.persistence",
       "\"dir\" is required"},
      {"{ \"mqtt\": { \"listen\": [\"127.0.0.1:1\"],\n  \"persistence\": { \"dir\": \"\" } } }", "mqtt.persistence.dir",
       "must name a directory"},
      {"{ \"mqtt\": { \"listen\": [\"127.0.0.1:1\"],\n  \"persistence\": { \"dir\": \"/d\", \"fsync\": 1 } } }",
       "mqtt.persistence.fsync", ""},
      {"{ \"mqtt\": { \"listen\": [\"127.0.0.1:1\"],\n  \"persistence\": { \"dir\": \"/d\", \"max_log_bytes\": 10 } } }",
       "mqtt.persistence.max_log_bytes", ""},
      {"{ \"mqtt\": { \"listen\": [\"127.0.0.1:1\"],\n  \"persistence\": { \"dir\": \"/d\", \"sync\": true } } }",
       "mqtt.persistence.sync", "dir, fsync, max_log_bytes"},
      {"{ \"mqtt\": { \"listen\": [\"127.0.0.1:1\"],\n  \"persistence\": \"/d\" } }", "mqtt.persistence", ""},
  };
  for (const auto& c : cases) {
    auto r = parse_config(c.json);
    ASSERT_FALSE(r) << c.json;
    EXPECT_NE(r.error.find(std::string("\"") + c.key + "\""), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("<config>:2:"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find(c.what), std::string::npos) << r.error;
  }
}

// "max_topic_alias" (MQTT 5 Topic Alias Maximum): 10 by default, 0..65535.
TEST(ConfigMqttTopicAlias, DefaultSetAndBounded) {
  auto d = parse_config(R"({ "mqtt": { "listen": ["127.0.0.1:1883"] } })");
  ASSERT_TRUE(d) << d.error;
  EXPECT_EQ(d.as<MqttService>()->options.max_topic_alias, 10u);
  auto z = parse_config(R"({ "mqtt": { "listen": ["127.0.0.1:1883"], "max_topic_alias": 0 } })");
  ASSERT_TRUE(z) << z.error;
  EXPECT_EQ(z.as<MqttService>()->options.max_topic_alias, 0u);
  for (const char* bad : {"65536", "-1", "\"ten\""}) {
    auto r = parse_config(std::string("{ \"mqtt\": { \"listen\": [\"127.0.0.1:1\"],\n  \"max_topic_alias\": ") + bad + " } }");
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error.find("\"mqtt.max_topic_alias\""), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("<config>:2:"), std::string::npos) << r.error;
  }
}

}  // namespace
