// The broker's answer to bad input, on every backend: 5.0 topic aliases (0, over our maximum
// of 0), 5.0 protocol errors, Receive Maximum exceeded, packets over the maximum packet size,
// a client that never sends CONNECT, a second CONNECT. Each case checks the reason code (5.0
// DISCONNECT), that the connection is closed, that the offending message reached nobody and
// that a bystander's connection goes on.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "engine_test_util.h"
#include "mqtt_test_client.h"
#include "runtime_thread.h"
#include "zp/engine/runtime.h"
#include "zp/mqtt/broker.h"

namespace zp {
namespace {

using namespace std::chrono_literals;
using test::mqtt::Client;
using test::mqtt::Got;
namespace cm = zp::codec::mqtt;
using cm::PacketType;
using cm::Version;

class BrokerInputTest : public ::testing::TestWithParam<test::BackendParam> {
 protected:
  void start(mqtt::BrokerOptions opts = {}) {
    broker_ = std::make_unique<mqtt::Broker>(1, opts);
    port_ = test::free_port();
    RuntimeOptions o;
    o.shards = 1;
    o.backend = GetParam().kind;
    if (GetParam().faults) o.faults = FaultOptions::from_env();
    o.drain_timeout = 1000ms;
    ASSERT_TRUE(rt_.start(o, [this](Shard& s) { return broker_->start(s, {"127.0.0.1:" + std::to_string(port_)}); }));
    // A bystander subscribed to everything: it must see no offending message, and keep working.
    watcher_ = client("watcher", Version::v5);
    auto ack = watcher_->subscribe("#", 2);
    ASSERT_TRUE(ack && ack->type == PacketType::suback);
  }
  void TearDown() override { rt_.stop(); }

  std::unique_ptr<Client> client(std::string_view id, Version v, cm::Connect extra = {}) {
    auto c = std::make_unique<Client>(port_, v);
    EXPECT_TRUE(c->ok());
    auto ack = c->connect(id, true, 60, extra);
    EXPECT_TRUE(ack && ack->type == PacketType::connack && ack->reason == 0) << id;
    return c;
  }
  // The 5.0 broker's last word: DISCONNECT with `reason`, then the close.
  void expect_disconnect(Client& c, std::uint8_t reason) {
    auto d = c.recv();
    ASSERT_TRUE(d) << "no DISCONNECT";
    EXPECT_EQ(d->type, PacketType::disconnect);
    EXPECT_EQ(d->reason, reason);
    EXPECT_TRUE(c.closed_by_server());
  }
  // The watcher got nothing but what a fresh publish sends now: the bad one never arrived.
  void expect_watcher_clean(std::string_view marker = "alive") {
    auto pub = client("marker", Version::v311);
    ASSERT_TRUE(pub->publish("marker", marker));
    auto m = watcher_->recv();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->type, PacketType::publish);
    EXPECT_EQ(m->topic, "marker");
    EXPECT_EQ(m->payload, marker);
  }
  std::uint64_t protocol_errors() const { return broker_->totals().protocol_errors; }

  std::unique_ptr<mqtt::Broker> broker_;
  std::uint16_t port_ = 0;
  std::unique_ptr<Client> watcher_;
  test::RuntimeThread rt_;  // last: stopped before the broker goes
};

std::string_view bytes(const char* s, std::size_t n) { return std::string_view(s, n); }

// A 5.0 PUBLISH (QoS 0, topic "t", payload "x") with a Topic Alias of `alias`.
std::string publish_with_alias(std::uint16_t alias) {
  std::string p("\x30\x08\x00\x01t\x03\x23", 7);
  p += char(alias >> 8);
  p += char(alias & 0xff);
  p += 'x';
  return p;
}

TEST_P(BrokerInputTest, TopicAliasZeroOrOverTheMaximum) {
  start();
  // Alias 0 is never valid (MQTT-3.3.2-8); 65535 is over any Topic Alias Maximum we announce.
  // Both: DISCONNECT 0x94 (3.3.2.3.4).
  for (const std::string& pkt : {publish_with_alias(0), publish_with_alias(0xffff)}) {
    auto c = client("alias", Version::v5);
    const auto before = protocol_errors();
    ASSERT_TRUE(c->send_raw(pkt));
    expect_disconnect(*c, cm::reason::topic_alias_invalid);
    EXPECT_EQ(protocol_errors(), before + 1);
  }
  expect_watcher_clean();
}

TEST_P(BrokerInputTest, ProtocolErrorsInVersion5) {
  start();
  struct Case {
    const char* what;
    std::string_view raw;
  };
  const Case cases[] = {
      // PUBLISH "t" "x" with a Subscription Identifier: only the server sends it (MQTT-3.3.4-6).
      {"subscription id in PUBLISH", bytes("\x30\x07\x00\x01t\x02\x0b\x01x", 9)},
      // AUTH: no Authentication Method was in CONNECT (MQTT-4.12.0-1... we offer none).
      {"AUTH", bytes("\xf0\x00", 2)},
      // A PUBLISH with a property given twice (Payload Format Indicator): 0x82.
      {"duplicate property", bytes("\x30\x09\x00\x01t\x04\x01\x00\x01\x00x", 11)},
      // PINGRESP, SUBACK: server-to-client packets.
      {"PINGRESP", bytes("\xd0\x00", 2)},
      {"SUBACK", bytes("\x90\x04\x00\x01\x00\x00", 6)},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.what);
    auto c = client("proto", Version::v5);
    ASSERT_TRUE(c->send_raw(k.raw));
    expect_disconnect(*c, cm::reason::protocol_error);
  }
  expect_watcher_clean();
}

TEST_P(BrokerInputTest, SecondConnectIsAProtocolError) {
  start();
  {  // 5.0: DISCONNECT 0x82 (MQTT-3.1.0-2)
    auto c = client("twice5", Version::v5);
    ASSERT_TRUE(c->send(cm::Connect{.version = Version::v5, .client_id = "twice5"}));
    expect_disconnect(*c, cm::reason::protocol_error);
  }
  {  // 3.1.1: closed, no answer
    auto c = client("twice311", Version::v311);
    ASSERT_TRUE(c->send(cm::Connect{.client_id = "twice311"}));
    EXPECT_FALSE(c->recv());
    EXPECT_TRUE(c->closed_by_server());
  }
  {  // A PUBLISH behind the second CONNECT (same segment) is not delivered.
    auto c = client("twice_pub", Version::v5);
    std::vector<std::byte> out(256);
    cm::Packet p1;
    p1.body = cm::Connect{.version = Version::v5, .client_id = "twice_pub"};
    auto n1 = cm::serialize(p1, Version::v5, out);
    ASSERT_TRUE(n1);
    std::string raw(reinterpret_cast<const char*>(out.data()), *n1);
    raw += std::string("\x30\x05\x00\x01t\x00x", 7);
    ASSERT_TRUE(c->send_raw(raw));
    expect_disconnect(*c, cm::reason::protocol_error);
  }
  EXPECT_GE(protocol_errors(), 3u);
  expect_watcher_clean();
}

TEST_P(BrokerInputTest, ReceiveMaximumExceeded) {
  mqtt::BrokerOptions o;
  o.max_inflight = 1;
  start(o);
  for (Version v : {Version::v5, Version::v311}) {
    auto c = std::make_unique<Client>(port_, v);
    auto ack = c->connect(v == Version::v5 ? "rm5" : "rm311");
    ASSERT_TRUE(ack && ack->reason == 0);
    // QoS 2 PUBLISHes never released (no PUBREL): each is delivered once (at PUBLISH) and
    // answered with PUBREC; the one past the broker's window is refused.
    const unsigned limit = v == Version::v5 ? unsigned(ack->receive_maximum) : 72u;
    ASSERT_GT(limit, 0u);
    for (unsigned i = 1; i <= limit; ++i) {
      ASSERT_TRUE(c->publish("rm/t", "m" + std::to_string(i), 2, std::uint16_t(i)));
      auto rec = c->recv();
      ASSERT_TRUE(rec) << i;
      ASSERT_EQ(rec->type, PacketType::pubrec) << i;
      auto m = watcher_->recv();
      ASSERT_TRUE(m);
      EXPECT_EQ(m->payload, "m" + std::to_string(i));
      if (m->qos == 2) {
        ASSERT_TRUE(watcher_->ack(PacketType::pubrec, m->packet_id));
        auto rel = watcher_->recv();
        ASSERT_TRUE(rel && rel->type == PacketType::pubrel);
        ASSERT_TRUE(watcher_->ack(PacketType::pubcomp, m->packet_id));
      }
    }
    ASSERT_TRUE(c->publish("rm/t", "over", 2, std::uint16_t(limit + 1)));
    if (v == Version::v5) {
      expect_disconnect(*c, cm::reason::receive_maximum_exceeded);
    } else {
      EXPECT_FALSE(c->recv());  // closed, no PUBREC
      EXPECT_TRUE(c->closed_by_server());
    }
    expect_watcher_clean(v == Version::v5 ? "after 5" : "after 311");  // "over" never came
  }
}

TEST_P(BrokerInputTest, PacketOverTheMaximumPacketSize) {
  mqtt::BrokerOptions o;
  o.limits.max_packet_size = 1024;
  start(o);
  const std::string big(2000, 'b');
  {  // 5.0: announced in CONNACK, DISCONNECT 0x95
    auto c = std::make_unique<Client>(port_, Version::v5);
    auto ack = c->connect("big5");
    ASSERT_TRUE(ack && ack->reason == 0);
    EXPECT_EQ(ack->maximum_packet_size, 1024u);
    ASSERT_TRUE(c->publish("big/t", big, 1, 1));
    expect_disconnect(*c, cm::reason::packet_too_large);
  }
  {  // 3.1.1: closed
    auto c = client("big311", Version::v311);
    ASSERT_TRUE(c->publish("big/t", big, 1, 1));
    EXPECT_FALSE(c->recv());
    EXPECT_TRUE(c->closed_by_server());
  }
  {  // Refused from the fixed header alone: a declared length over the maximum, no body sent.
    auto c = client("bighead", Version::v5);
    ASSERT_TRUE(c->send_raw(bytes("\x30\xd0\x0f", 3)));  // remaining length 2000
    expect_disconnect(*c, cm::reason::packet_too_large);
  }
  {  // Just under the limit is fine.
    auto c = client("fits", Version::v311);
    ASSERT_TRUE(c->publish("big/t", std::string(900, 'f'), 1, 7));
    auto puback = c->recv();
    ASSERT_TRUE(puback);
    EXPECT_EQ(puback->type, PacketType::puback);
    auto m = watcher_->recv();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->payload.size(), 900u);
    ASSERT_TRUE(watcher_->ack(PacketType::puback, m->packet_id));
  }
  expect_watcher_clean();
}

TEST_P(BrokerInputTest, NoConnectWithinTheConnectTimeout) {
  mqtt::BrokerOptions o;
  o.connect_timeout_ms = 300;
  start(o);
  Client silent(port_, Version::v311);
  ASSERT_TRUE(silent.ok());
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(silent.closed_by_server(3000ms));
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 2500ms);
  // Half a CONNECT is no better.
  Client half(port_, Version::v311);
  ASSERT_TRUE(half.send_raw(bytes("\x10\x10\x00\x04MQTT", 8)));
  EXPECT_TRUE(half.closed_by_server(3000ms));
  expect_watcher_clean();
}

INSTANTIATE_TEST_SUITE_P(Backends, BrokerInputTest, ::testing::ValuesIn(test::all_backends()), test::param_name);

}  // namespace
}  // namespace zp
