// Retained messages (MQTT 3.3.1.3): set, replace, delete by an empty payload, matching by
// filter, and the store's bounds.
#include "zp/mqtt/retained.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace zp::mqtt {
namespace {

std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

std::vector<std::string> topics(const RetainedStore& r, std::string_view filter) {
  std::vector<std::string> out;
  r.for_each_match(filter, [&](const RetainedMessage& m) { out.push_back(m.topic); });
  std::sort(out.begin(), out.end());
  return out;
}

using V = std::vector<std::string>;

TEST(MqttRetained, SetReplaceDelete) {
  RetainedStore r;
  EXPECT_EQ(r.set("a/b", 1, bytes("one")), RetainedStore::SetResult::stored);
  EXPECT_EQ(r.set("a/b", 0, bytes("three")), RetainedStore::SetResult::stored);  // MQTT-3.3.1-5: replaces
  EXPECT_EQ(r.size(), 1u);
  EXPECT_EQ(r.bytes(), 3u + 5u);
  r.for_each_match("a/b", [](const RetainedMessage& m) {
    EXPECT_EQ(m.qos, 0u);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(m.payload.data()), m.payload.size()), "three");
  });
  EXPECT_EQ(r.set("a/b", 0, {}), RetainedStore::SetResult::deleted);  // MQTT-3.3.1-10, -11
  EXPECT_EQ(r.set("a/b", 0, {}), RetainedStore::SetResult::absent);
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(r.bytes(), 0u);
}

TEST(MqttRetained, MatchedByFilter) {
  RetainedStore r;
  for (const char* t : {"a/b", "a/c", "a/b/c", "$SYS/x", "b"}) ASSERT_EQ(r.set(t, 0, bytes("x")), RetainedStore::SetResult::stored);
  EXPECT_EQ(topics(r, "a/+"), (V{"a/b", "a/c"}));
  EXPECT_EQ(topics(r, "a/#"), (V{"a/b", "a/b/c", "a/c"}));
  EXPECT_EQ(topics(r, "#"), (V{"a/b", "a/b/c", "a/c", "b"}));  // not $SYS (MQTT-4.7.2-1)
  EXPECT_EQ(topics(r, "$SYS/#"), (V{"$SYS/x"}));
  EXPECT_EQ(topics(r, "a/c"), (V{"a/c"}));
  EXPECT_TRUE(topics(r, "c").empty());
}

TEST(MqttRetained, BoundsRefuseAndCount) {
  RetainedStore r({.max_messages = 2, .max_bytes = 20});
  EXPECT_EQ(r.set("t1", 0, bytes("12345678")), RetainedStore::SetResult::stored);  // 10 B
  EXPECT_EQ(r.set("t2", 0, bytes("1234")), RetainedStore::SetResult::stored);      // 16 B
  EXPECT_EQ(r.set("t3", 0, bytes("1")), RetainedStore::SetResult::refused);        // a third topic
  EXPECT_EQ(r.set("t2", 0, bytes("12345678901")), RetainedStore::SetResult::refused);  // 10 + 13 > 20
  EXPECT_EQ(r.set("t2", 0, bytes("12345678")), RetainedStore::SetResult::stored);  // exactly 20
  EXPECT_EQ(r.refused(), 2u);
  EXPECT_EQ(r.bytes(), 20u);
  EXPECT_EQ(topics(r, "t2").size(), 1u);
  EXPECT_EQ(r.set("t1", 0, {}), RetainedStore::SetResult::deleted);
  EXPECT_EQ(r.set("t3", 0, bytes("1")), RetainedStore::SetResult::stored);  // room again
}

}  // namespace
}  // namespace zp::mqtt
