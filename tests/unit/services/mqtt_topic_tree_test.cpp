// The broker's subscription trie against the matching rules of MQTT 4.7, and against the
// codec's topic_matches over random filters and topics.
#include "zp/mqtt/topic_tree.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "zp/codec/mqtt/encoding.h"

namespace zp::mqtt {
namespace {

std::vector<std::uint32_t> sessions(const TopicTree& t, std::string_view topic) {
  std::vector<std::uint32_t> out;
  t.match(topic, [&](const Subscriber& s) { out.push_back(s.session); });
  std::sort(out.begin(), out.end());
  return out;
}

using V = std::vector<std::uint32_t>;

// The examples of 4.7.1.2 and 4.7.1.3.
TEST(MqttTopicTree, WildcardExamplesOfTheSpec) {
  TopicTree t;
  t.subscribe("sport/tennis/player1/#", {.session = 1});
  t.subscribe("sport/#", {.session = 2});
  t.subscribe("#", {.session = 3});
  t.subscribe("sport/tennis/+", {.session = 4});
  t.subscribe("+/+", {.session = 5});
  t.subscribe("/+", {.session = 6});
  t.subscribe("+", {.session = 7});
  EXPECT_EQ(sessions(t, "sport/tennis/player1"), (V{1, 2, 3, 4}));
  EXPECT_EQ(sessions(t, "sport/tennis/player1/ranking"), (V{1, 2, 3}));
  EXPECT_EQ(sessions(t, "sport/tennis/player1/score/wimbledon"), (V{1, 2, 3}));
  EXPECT_EQ(sessions(t, "sport"), (V{2, 3, 7}));  // "sport/#" matches its parent
  EXPECT_EQ(sessions(t, "sport/"), (V{2, 3, 5}));
  EXPECT_EQ(sessions(t, "/finance"), (V{3, 5, 6}));
  EXPECT_EQ(sessions(t, "sport/tennis"), (V{2, 3, 5}));
}

// MQTT-4.7.2-1: '$' topics are not matched by a leading wildcard, but are by an exact level.
TEST(MqttTopicTree, DollarTopics) {
  TopicTree t;
  t.subscribe("#", {.session = 1});
  t.subscribe("+/monitor/Clients", {.session = 2});
  t.subscribe("$SYS/#", {.session = 3});
  t.subscribe("$SYS/monitor/+", {.session = 4});
  EXPECT_EQ(sessions(t, "$SYS/monitor/Clients"), (V{3, 4}));
  EXPECT_EQ(sessions(t, "x/monitor/Clients"), (V{1, 2}));
}

TEST(MqttTopicTree, ResubscribeReplacesAndUnsubscribePrunes) {
  TopicTree t;
  EXPECT_TRUE(t.subscribe("a/b", {.session = 1, .qos = 0}));
  EXPECT_FALSE(t.subscribe("a/b", {.session = 1, .qos = 2}));  // MQTT-3.8.4-3: replaced, not added
  EXPECT_FALSE(t.subscribe("a/b", {.session = 2, .qos = 1}));
  EXPECT_EQ(t.subscription_count(), 2u);
  EXPECT_EQ(t.filter_count(), 1u);
  std::uint8_t qos = 0;
  t.match("a/b", [&](const Subscriber& s) {
    if (s.session == 1) qos = s.qos;
  });
  EXPECT_EQ(qos, 2u);
  EXPECT_FALSE(t.unsubscribe("a/c", 1).removed);
  EXPECT_FALSE(t.unsubscribe("a/b", 9).removed);
  const auto r1 = t.unsubscribe("a/b", 1);
  EXPECT_TRUE(r1.removed);
  EXPECT_FALSE(r1.filter_empty);
  const auto r2 = t.unsubscribe("a/b", 2);
  EXPECT_TRUE(r2.removed);
  EXPECT_TRUE(r2.filter_empty);
  EXPECT_EQ(t.filter_count(), 0u);
  EXPECT_EQ(t.subscription_count(), 0u);
  EXPECT_TRUE(sessions(t, "a/b").empty());
  EXPECT_TRUE(t.subscribe("a/b", {.session = 3}));  // pruned, then rebuilt
  EXPECT_EQ(sessions(t, "a/b"), (V{3}));
}

TEST(MqttTopicTree, EmptyLevels) {
  TopicTree t;
  t.subscribe("a//b", {.session = 1});
  t.subscribe("a/+/b", {.session = 2});
  t.subscribe("/", {.session = 3});
  EXPECT_EQ(sessions(t, "a//b"), (V{1, 2}));
  EXPECT_EQ(sessions(t, "/"), (V{3}));
  EXPECT_TRUE(sessions(t, "a/b").empty());
}

// Random filters and topics over a small alphabet of levels: the tree reports exactly the
// (filter, session) pairs that topic_matches accepts, through subscribes and unsubscribes.
TEST(MqttTopicTree, AgreesWithTopicMatches) {
  std::mt19937 rng(12);  // fixed seed: a failure replays
  const std::vector<std::string> levels = {"a", "b", "", "$x", "c"};
  auto random_topic = [&](bool filter) {
    std::string s;
    const int n = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < n; ++i) {
      if (i) s += '/';
      const unsigned pick = rng() % (filter ? 7 : 5);
      if (pick == 5) s += '+';
      else if (pick == 6 && i == n - 1) s += '#';
      else s += levels[pick % 5];
    }
    return s;
  };
  TopicTree t;
  std::vector<std::pair<std::string, std::uint32_t>> subs;
  for (int round = 0; round < 2000; ++round) {
    const std::string f = random_topic(true);
    if (codec::mqtt::check_topic_filter(f, {}) != codec::mqtt::Errc::ok) continue;
    const auto session = static_cast<std::uint32_t>(rng() % 6);
    const auto it = std::find(subs.begin(), subs.end(), std::make_pair(f, session));
    if (it != subs.end() && rng() % 2) {
      EXPECT_TRUE(t.unsubscribe(f, session).removed);
      subs.erase(it);
    } else {
      t.subscribe(f, {.session = session});
      if (it == subs.end()) subs.emplace_back(f, session);
    }
    const std::string topic = random_topic(false);
    if (codec::mqtt::check_topic_name(topic, {}) != codec::mqtt::Errc::ok) continue;
    std::vector<std::uint32_t> want;
    for (const auto& [filter, s] : subs)
      if (codec::mqtt::topic_matches(filter, topic)) want.push_back(s);
    std::sort(want.begin(), want.end());
    ASSERT_EQ(sessions(t, topic), want) << "round " << round << " topic " << topic;
  }
  EXPECT_EQ(t.subscription_count(), subs.size());
}

}  // namespace
}  // namespace zp::mqtt
