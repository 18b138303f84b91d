// The broker's MQTT 5 features over real sockets on every backend: topic aliases from
// clients, Message Expiry (dropped once lapsed, the remaining interval sent on), retained
// messages with their properties, Session Expiry of offline sessions and Will Delay.
#include <gtest/gtest.h>

#include <set>

#include <thread>

#include "mqtt_broker_fixture.h"
#include "mqtt_test_client.h"

namespace zp {
namespace {

using namespace std::chrono_literals;
using test::mqtt::Client;
using test::mqtt::Got;
namespace cm = zp::codec::mqtt;
using cm::PacketType;
using cm::Version;

std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

class BrokerV5Test : public test::mqtt::BrokerFixture {
 protected:
  void start(unsigned shards = 1) { BrokerFixture::start(shards); }

  // A connected 5.0 client; `ack` gets its CONNACK.
  std::unique_ptr<Client> client(unsigned shard, std::string_view id, bool clean = true, cm::Connect extra = {},
                                 Got* ack = nullptr) {
    auto c = std::make_unique<Client>(ports_[shard], Version::v5);
    EXPECT_TRUE(c->ok());
    auto got = c->connect(id, clean, 60, extra);
    EXPECT_TRUE(got && got->type == PacketType::connack && got->reason == 0) << id;
    if (got && ack) *ack = *got;
    return c;
  }
  // Connects with a Session Expiry Interval (seconds).
  static cm::Connect expiring(std::uint32_t seconds) {
    cm::Connect c;
    c.properties.session_expiry_interval = seconds;
    c.properties.set(cm::PropertyId::session_expiry_interval);
    return c;
  }
  // True when the next packet is the answer to a PINGREQ: nothing else was waiting.
  static bool nothing_waiting(Client& c) {
    if (!c.send(cm::Ping{.type = PacketType::pingreq})) return false;
    auto g = c.recv();
    return g && g->type == PacketType::pingresp;
  }
  static bool publish(Client& c, std::string_view topic, std::string_view payload, cm::Properties props, std::uint8_t qos = 0,
                      bool retain = false, std::uint16_t id = 0) {
    cm::Publish p{.qos = qos, .retain = retain, .topic = topic, .packet_id = id, .payload = bytes(payload)};
    p.properties = props;
    return c.send(p);
  }
  static cm::Properties expiry(std::uint32_t seconds) {
    cm::Properties p;
    p.message_expiry_interval = seconds;
    p.set(cm::PropertyId::message_expiry_interval);
    return p;
  }
};

TEST_P(BrokerV5Test, TopicAliasesFromTheClientNameTopicsAndAreNotForwarded) {
  start();
  auto sub = client(0, "sub");
  ASSERT_TRUE(sub->subscribe("alias/#", 0));
  Got ack;
  auto pub = client(0, "pub", true, {}, &ack);
  EXPECT_EQ(ack.topic_alias_maximum, 10);
  cm::Properties a3;
  a3.topic_alias = 3;
  a3.set(cm::PropertyId::topic_alias);
  ASSERT_TRUE(publish(*pub, "alias/one", "first", a3));  // sets alias 3
  ASSERT_TRUE(publish(*pub, "", "second", a3));           // uses it
  ASSERT_TRUE(publish(*pub, "alias/two", "third", a3));   // moves it
  ASSERT_TRUE(publish(*pub, "", "fourth", a3));
  const char* want[][2] = {{"alias/one", "first"}, {"alias/one", "second"}, {"alias/two", "third"}, {"alias/two", "fourth"}};
  for (auto& w : want) {
    auto g = sub->recv();
    ASSERT_TRUE(g);
    EXPECT_EQ(g->topic, w[0]);
    EXPECT_EQ(g->payload, w[1]);
    EXPECT_FALSE(g->has_topic_alias);  // an alias belongs to one connection
  }
}

TEST_P(BrokerV5Test, BadTopicAliasesCloseTheConnection) {
  start();
  auto sub = client(0, "sub");
  ASSERT_TRUE(sub->subscribe("#", 0));
  struct Case {
    std::uint16_t alias;
    std::string_view topic;
    std::uint8_t reason;
  } cases[] = {
      {0, "t", cm::reason::topic_alias_invalid},   // alias 0 (MQTT-3.3.2-8)
      {11, "t", cm::reason::topic_alias_invalid},  // over the maximum we announced
      {4, "", cm::reason::protocol_error},         // an alias never set
  };
  for (const Case& k : cases) {
    auto pub = client(0, "pub");
    cm::Properties p;
    p.topic_alias = k.alias;
    p.set(cm::PropertyId::topic_alias);
    ASSERT_TRUE(publish(*pub, k.topic, "x", p));
    auto g = pub->recv();
    ASSERT_TRUE(g) << k.alias;
    EXPECT_EQ(g->type, PacketType::disconnect);
    EXPECT_EQ(g->reason, k.reason);
    EXPECT_TRUE(pub->closed_by_server());
  }
  {  // an empty topic without an alias: the codec's "invalid topic name"
    auto pub = client(0, "pub");
    ASSERT_TRUE(publish(*pub, "", "x", {}));
    auto g = pub->recv();
    ASSERT_TRUE(g);
    EXPECT_EQ(g->type, PacketType::disconnect);
    EXPECT_EQ(g->reason, cm::reason::topic_name_invalid);
  }
  EXPECT_TRUE(nothing_waiting(*sub));
  EXPECT_EQ(totals().publish_in, 0u);
}

TEST_P(BrokerV5Test, MessageExpiryIsCountedDownAndALapsedMessageIsNotDelivered) {
  start();
  // An offline persistent session collects two QoS 1 messages: one lapses, one does not.
  { auto s = client(0, "late", false, expiring(60)); ASSERT_TRUE(s->subscribe("exp/#", 1)); }
  auto pub = client(0, "pub");
  ASSERT_TRUE(publish(*pub, "exp/short", "gone", expiry(1), 1, false, 1));
  ASSERT_TRUE(publish(*pub, "exp/long", "kept", expiry(30), 1, false, 2));
  for (int i = 0; i < 2; ++i) {
    auto a = pub->recv();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->type, PacketType::puback);
  }
  std::this_thread::sleep_for(2100ms);
  Got ack;
  auto s = client(0, "late", false, expiring(60), &ack);
  EXPECT_TRUE(ack.session_present);
  auto g = s->recv();
  ASSERT_TRUE(g);
  EXPECT_EQ(g->topic, "exp/long");
  ASSERT_TRUE(g->message_expiry);
  EXPECT_GE(*g->message_expiry, 27u);  // what remains, not the 30 s it was published with
  EXPECT_LE(*g->message_expiry, 28u);
  ASSERT_TRUE(s->ack(PacketType::puback, g->packet_id));
  EXPECT_TRUE(nothing_waiting(*s));
  EXPECT_EQ(totals().expired, 1u);
}

TEST_P(BrokerV5Test, RetainedMessagesKeepTheirPropertiesAndLapse) {
  start();
  auto pub = client(0, "pub");
  cm::Properties p = expiry(60);
  p.content_type = "text/plain";
  p.set(cm::PropertyId::content_type);
  const cm::UserProperty up[] = {{"k", "v"}};
  p.user = up;
  ASSERT_TRUE(publish(*pub, "ret/kept", "hello", p, 0, true));
  ASSERT_TRUE(publish(*pub, "ret/short", "brief", expiry(1), 0, true));
  ASSERT_TRUE(nothing_waiting(*pub));  // both stored before we go on
  std::this_thread::sleep_for(1200ms);
  auto sub = client(0, "sub");
  ASSERT_TRUE(sub->subscribe("ret/#", 0));
  auto g = sub->recv();
  ASSERT_TRUE(g);
  EXPECT_EQ(g->topic, "ret/kept");
  EXPECT_TRUE(g->retain);
  EXPECT_EQ(g->content_type, "text/plain");
  ASSERT_EQ(g->user_properties.size(), 1u);
  EXPECT_EQ(g->user_properties[0], std::make_pair(std::string("k"), std::string("v")));
  ASSERT_TRUE(g->message_expiry);
  EXPECT_LE(*g->message_expiry, 59u);
  EXPECT_TRUE(nothing_waiting(*sub));  // ret/short lapsed
}

TEST_P(BrokerV5Test, AnOfflineSessionEndsAtItsExpiry) {
  start(2);
  { auto s = client(1, "brief", false, expiring(1)); ASSERT_TRUE(s->subscribe("x", 1)); }
  { auto s = client(1, "lasting", false, expiring(60)); ASSERT_TRUE(s->subscribe("x", 1)); }
  std::this_thread::sleep_for(1800ms);
  EXPECT_EQ(totals().sessions_expired, 1u);
  Got ack;
  auto gone = client(0, "brief", false, expiring(60), &ack);
  EXPECT_FALSE(ack.session_present);
  auto kept = client(0, "lasting", false, expiring(60), &ack);
  EXPECT_TRUE(ack.session_present);
}

TEST_P(BrokerV5Test, DisconnectMayNotGiveASessionAnExpiryItWasOpenedWithout) {
  start();
  auto c = client(0, "c");
  cm::Disconnect d;
  d.properties.session_expiry_interval = 30;
  d.properties.set(cm::PropertyId::session_expiry_interval);
  ASSERT_TRUE(c->send(d));
  auto g = c->recv();
  ASSERT_TRUE(g);
  EXPECT_EQ(g->type, PacketType::disconnect);
  EXPECT_EQ(g->reason, cm::reason::protocol_error);  // MQTT-3.14.2-2
  EXPECT_EQ(totals().protocol_errors, 1u);
}

// A will with a delay: sent after the delay, not at all when the client comes back first.
TEST_P(BrokerV5Test, WillDelayHoldsTheWillBackUnlessTheClientReturns) {
  start(2);
  auto watcher = client(0, "watcher");
  ASSERT_TRUE(watcher->subscribe("wills/#", 0));
  auto with_will = [](std::string_view topic, std::uint32_t delay_s) {
    cm::Connect c = expiring(60);
    c.has_will = true;
    c.will_topic = topic;
    c.will_payload = bytes("gone");
    c.will_properties.will_delay_interval = delay_s;
    c.will_properties.set(cm::PropertyId::will_delay_interval);
    return c;
  };
  const auto t0 = std::chrono::steady_clock::now();
  client(1, "late", false, with_will("wills/late", 1))->close();  // no DISCONNECT
  client(1, "back", false, with_will("wills/back", 1))->close();
  auto back = client(0, "back", false, expiring(60));  // returns within the delay, on the other shard
  EXPECT_TRUE(nothing_waiting(*watcher));
  auto w = watcher->recv();
  ASSERT_TRUE(w);
  EXPECT_EQ(w->topic, "wills/late");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 900ms);
  std::this_thread::sleep_for(600ms);
  EXPECT_TRUE(nothing_waiting(*watcher));  // no will for "back"
  EXPECT_EQ(totals().wills, 1u);
}

// A connection taken over while its will waits on a Will Delay: a clean start ends the
// session, so the will goes at once; a resumed session cancels it.
TEST_P(BrokerV5Test, ATakeoverWithACleanStartSendsTheDelayedWill) {
  start(2);
  auto watcher = client(0, "watcher");
  ASSERT_TRUE(watcher->subscribe("wills/#", 0));
  auto with_will = [](std::string_view topic) {
    cm::Connect c = expiring(60);
    c.has_will = true;
    c.will_topic = topic;
    c.will_payload = bytes("gone");
    c.will_properties.will_delay_interval = 30;
    c.will_properties.set(cm::PropertyId::will_delay_interval);
    return c;
  };
  auto first = client(1, "clean", false, with_will("wills/clean"));
  auto kept = client(1, "resumed", false, with_will("wills/resumed"));
  const auto t0 = std::chrono::steady_clock::now();
  auto clean = client(0, "clean", true, expiring(60));      // a clean start on the other shard
  auto resumed = client(0, "resumed", false, expiring(60));  // resumes the session
  auto w = watcher->recv();
  ASSERT_TRUE(w && w->type == PacketType::publish) << "the delayed will of a session a clean start ended";
  EXPECT_EQ(w->topic, "wills/clean");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);  // not after the 30 s delay
  EXPECT_TRUE(nothing_waiting(*watcher));  // no will for the resumed session
  EXPECT_EQ(totals().wills, 1u);
}

// Shared subscriptions: the members of a group, on both shards, take the matching messages
// in turn (each exactly once in the group), beside an ordinary subscriber that gets them all;
// a member that leaves takes no more; a retained message goes to no member.
TEST_P(BrokerV5Test, SharedSubscriptionsTakeTurnsAcrossShards) {
  start(2);
  auto pub = client(1, "pub");
  ASSERT_TRUE(publish(*pub, "job/kept", "retained", {}, 1, true, 1));
  ASSERT_TRUE(pub->recv());  // PUBACK
  std::vector<std::unique_ptr<Client>> members;
  for (unsigned i = 0; i < 3; ++i) {
    members.push_back(client(i % 2, "member" + std::to_string(i)));
    auto ack = members.back()->subscribe("$share/workers/job/#", 0, 1);
    ASSERT_TRUE(ack && ack->type == PacketType::suback);
    ASSERT_EQ(ack->reasons, std::vector<std::uint8_t>{0});
  }
  auto all = client(0, "all");
  ASSERT_TRUE(all->subscribe("job/#", 0));
  auto late = client(1, "late");
  auto late_ack = late->subscribe("$share/late/job/#", 0, 1);
  ASSERT_TRUE(late_ack && late_ack->type == PacketType::suback);
  EXPECT_TRUE(nothing_waiting(*late)) << "a share got a retained message";
  auto kept = all->recv();  // the retained one, to the ordinary subscriber only
  ASSERT_TRUE(kept && kept->topic == "job/kept");
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(pub->publish("job/" + std::to_string(i), "x"));
  std::set<std::string> seen;
  for (auto& m : members) {
    for (int k = 0; k < 10; ++k) {
      auto g = m->recv();
      ASSERT_TRUE(g && g->type == PacketType::publish) << "member got " << k << " of 10";
      EXPECT_TRUE(seen.insert(g->topic).second) << g->topic << " twice in the group";
    }
    EXPECT_TRUE(nothing_waiting(*m)) << "more than its turn";
  }
  EXPECT_EQ(seen.size(), 30u);
  for (int k = 0; k < 30; ++k) {
    auto g = all->recv();
    ASSERT_TRUE(g && g->type == PacketType::publish);
  }
  for (int k = 0; k < 30; ++k) {  // the second group got them all: one member
    auto g = late->recv();
    ASSERT_TRUE(g && g->type == PacketType::publish);
  }
  // member0 leaves: the two others share what follows.
  std::string_view f = "$share/workers/job/#";
  ASSERT_TRUE(members[0]->send(cm::Unsubscribe{.packet_id = 3, .filters = std::span(&f, 1)}));
  auto un = members[0]->recv_until(PacketType::unsuback);
  ASSERT_TRUE(un);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(pub->publish("job/b" + std::to_string(i), "x"));
  for (unsigned i = 1; i < 3; ++i) {
    for (int k = 0; k < 10; ++k) {
      auto g = members[i]->recv();
      ASSERT_TRUE(g && g->type == PacketType::publish) << "member " << i << " got " << k << " of 10 after the leave";
    }
  }
  EXPECT_TRUE(nothing_waiting(*members[0])) << "a member that left still gets messages";
}

// A share without a group or filter, or with a wildcard in the group, is a malformed
// SUBSCRIBE (MQTT-4.8.2-1/2), and No Local on a share a protocol error (MQTT-3.8.3-4): the
// connection ends with its reason code, another client is not affected.
TEST_P(BrokerV5Test, BadSharesCloseTheConnection) {
  start();
  auto bystander = client(0, "bystander");
  int n = 0;
  for (const char* bad : {"$share/", "$share/g", "$share/g/", "$share/+/x", "$share/g/x"}) {
    auto c = client(0, "c" + std::to_string(n++));
    cm::Subscription opts;
    opts.no_local = std::string_view(bad) == "$share/g/x";
    auto got = c->subscribe(bad, 0, 1, opts);
    EXPECT_TRUE(!got || got->type == PacketType::disconnect) << bad << " was accepted";
    if (got) {
      EXPECT_GE(got->reason, 0x80) << bad;
    }
    EXPECT_TRUE(c->closed_by_server()) << bad;
  }
  EXPECT_TRUE(nothing_waiting(*bystander));
}

INSTANTIATE_TEST_SUITE_P(Backends, BrokerV5Test, ::testing::ValuesIn(test::all_backends()), test::param_name);

}  // namespace
}  // namespace zp
