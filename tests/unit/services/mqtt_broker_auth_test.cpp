// The broker with a password file, an ACL and a TLS listener, on every backend: CONNECT
// outcomes (both versions), PUBLISH and SUBSCRIBE refused by the ACL, retained messages
// and live deliveries filtered by it, and MQTT over TLS with our client.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <thread>

#include "engine_test_util.h"
#include "mqtt_test_client.h"
#include "runtime_thread.h"
#include "zp/engine/runtime.h"
#include "zp/engine/tls.h"
#include "zp/mqtt/broker.h"
#include "zp/mqtt/client.h"

namespace zp {
namespace {

using namespace std::chrono_literals;
using test::mqtt::Client;
namespace cm = zp::codec::mqtt;
using cm::PacketType;
using cm::Version;

// mosquitto_passwd -b: alice / secret1 ($7$), carol / "x y" ($6$).
constexpr const char* kPasswords =
    "alice:$7$101$qLvU0miXFysDdnPg$Mzn++fAJpgybNG3fbK8JIWA50iGjBTH6uGzTb2gRTP65znTuYO4/MSG8jgG1GGyfOMGigru3jZrJUfkmi05iGw==\n"
    "carol:$6$CFJBHmYFvmxakFv3$iImXYOputpBlHjP4ZazEjjf7zRVAneL+9+jCNxFBuzwPTzTGfVIqIfRzoZKOhRfEDPeze8jQoPFbZBSkJk2o0Q==\n";
constexpr const char* kAcl =
    "user alice\n"
    "topic readwrite a/#\n"
    "topic deny a/secret\n"
    "topic read r/#\n"
    "user carol\n"
    "topic readwrite #\n"
    "pattern write dev/%c/out\n";

std::shared_ptr<const mqtt::Access> access(std::optional<bool> anonymous = {}, bool acl = true) {
  std::string err;
  auto a = mqtt::Access::parse(kPasswords, acl ? kAcl : "",
                               mqtt::AccessConfig{.password_file = "pw", .acl_file = acl ? "acl" : "",
                                                  .allow_anonymous = anonymous},
                               err);
  EXPECT_TRUE(a) << err;
  return a;
}

// Views: pass string literals (or strings that outlive the CONNECT).
cm::Connect creds(std::string_view user, std::string_view password) {
  cm::Connect c;
  c.has_username = true;
  c.username = user;
  c.has_password = true;
  c.password = std::as_bytes(std::span(password.data(), password.size()));
  return c;
}

class BrokerAuthTest : public ::testing::TestWithParam<test::BackendParam> {
 protected:
  void start(mqtt::BrokerOptions opts, bool with_tls = false) {
    broker_ = std::make_unique<mqtt::Broker>(1, opts);
    port_ = test::free_port();
    if (with_tls) {
      dir_ = std::filesystem::temp_directory_path() / ("zp-mqtt-tls-" + std::to_string(::getpid()));
      std::filesystem::create_directories(dir_);
      cert_ = (dir_ / "cert.pem").string();
      ASSERT_TRUE(tls::make_self_signed(cert_, (dir_ / "key.pem").string(), {"localhost"}));
      tls_cfg_.certs = {{cert_, (dir_ / "key.pem").string()}};
      tls_cfg_.alpn.clear();
      tls_port_ = test::free_port();
    }
    RuntimeOptions o;
    o.shards = 1;
    o.backend = GetParam().kind;
    if (GetParam().faults) o.faults = FaultOptions::from_env();
    o.drain_timeout = 1000ms;
    ASSERT_TRUE(rt_.start(o, [this, with_tls](Shard& s) -> Result<void> {
      if (auto r = broker_->start(s, {"127.0.0.1:" + std::to_string(port_)}); !r) return r;
      if (with_tls) return broker_->start_tls(s, {"127.0.0.1:" + std::to_string(tls_port_)}, tls_cfg_);
      return {};
    }));
  }
  void TearDown() override {
    rt_.stop();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  // CONNACK's code for a CONNECT with `extra`.
  int connack(Version v, const std::string& id, cm::Connect extra = {}) {
    Client c(port_, v);
    auto ack = c.connect(id, true, 60, extra);
    if (!ack || ack->type != PacketType::connack) return -1;
    if (ack->reason != 0) {
      EXPECT_TRUE(c.closed_by_server());
    }
    return ack->reason;
  }
  std::unique_ptr<Client> login(Version v, const std::string& id, std::string_view user, std::string_view pw) {
    auto c = std::make_unique<Client>(port_, v);
    auto ack = c->connect(id, true, 60, creds(user, pw));
    EXPECT_TRUE(ack && ack->type == PacketType::connack && ack->reason == 0) << id;
    return c;
  }

  std::unique_ptr<mqtt::Broker> broker_;
  std::uint16_t port_ = 0, tls_port_ = 0;
  std::filesystem::path dir_;
  std::string cert_;
  tls::ServerConfig tls_cfg_;
  test::RuntimeThread rt_;  // last: stopped before the broker goes
};

TEST_P(BrokerAuthTest, ConnectOutcomesBothVersions) {
  start(mqtt::BrokerOptions{.access = access()});
  EXPECT_EQ(connack(Version::v311, "c1", creds("alice", "secret1")), 0);
  EXPECT_EQ(connack(Version::v5, "c2", creds("carol", "x y")), 0);
  EXPECT_EQ(connack(Version::v311, "c3", creds("alice", "wrong")), cm::connack311::bad_user_name_or_password);
  EXPECT_EQ(connack(Version::v5, "c4", creds("alice", "wrong")), cm::reason::bad_user_name_or_password);
  EXPECT_EQ(connack(Version::v311, "c5", creds("mallory", "secret1")), cm::connack311::bad_user_name_or_password);
  EXPECT_EQ(connack(Version::v311, "c6"), cm::connack311::not_authorized);  // anonymous, password file
  EXPECT_EQ(connack(Version::v5, "c7"), cm::reason::not_authorized);
  cm::Connect no_pw;
  no_pw.has_username = true;
  no_pw.username = "alice";
  EXPECT_EQ(connack(Version::v5, "c8", no_pw), cm::reason::bad_user_name_or_password);
  // A will on a topic the ACL refuses: not authorized.
  cm::Connect will = creds("alice", "secret1");
  will.has_will = true;
  will.will_topic = "elsewhere";
  EXPECT_EQ(connack(Version::v311, "c9", will), cm::connack311::not_authorized);
  will.will_topic = "a/will";
  EXPECT_EQ(connack(Version::v311, "c10", will), 0);
  // The shard counts just after the CONNACK is out: give it a moment.
  for (int i = 0; i < 200 && broker_->totals().connects < 3u; ++i) std::this_thread::sleep_for(5ms);
  const auto t = broker_->totals();
  EXPECT_EQ(t.connects, 3u);
  EXPECT_EQ(t.connect_refused, 7u);
}

TEST_P(BrokerAuthTest, AnonymousAllowedOrRefusedWithoutPasswordFile) {
  std::string err;
  start(mqtt::BrokerOptions{.access = mqtt::Access::parse("", "", mqtt::AccessConfig{.allow_anonymous = false}, err)});
  EXPECT_EQ(connack(Version::v311, "a1"), cm::connack311::not_authorized);
  EXPECT_EQ(connack(Version::v5, "a2", creds("alice", "secret1")), cm::reason::not_authorized);
}

TEST_P(BrokerAuthTest, AnonymousAllowedAlongsidePasswords) {
  start(mqtt::BrokerOptions{.access = access(true, false)});
  EXPECT_EQ(connack(Version::v311, "a1"), 0);
  EXPECT_EQ(connack(Version::v311, "a2", creds("alice", "bad")), cm::connack311::bad_user_name_or_password);
}

TEST_P(BrokerAuthTest, PublishRefusedByTheAcl) {
  start(mqtt::BrokerOptions{.access = access()});
  auto sub = login(Version::v311, "sub", "carol", "x y");
  ASSERT_TRUE(sub->subscribe("#", 1));
  auto al3 = login(Version::v311, "al3", "alice", "secret1");
  auto al5 = login(Version::v5, "al5", "alice", "secret1");
  // 3.1.1: acknowledged as usual and dropped (mosquitto's way).
  ASSERT_TRUE(al3->publish("r/x", "no", 1, 7));
  auto ack = al3->recv();
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->type, PacketType::puback);
  EXPECT_EQ(ack->packet_id, 7);
  ASSERT_TRUE(al3->publish("a/secret", "no", 2, 8));
  auto rec = al3->recv();
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->type, PacketType::pubrec);
  ASSERT_TRUE(al3->ack(PacketType::pubrel, 8));
  auto comp = al3->recv();
  ASSERT_TRUE(comp);
  EXPECT_EQ(comp->type, PacketType::pubcomp);
  EXPECT_EQ(comp->reason, 0);
  ASSERT_TRUE(al3->publish("$SYS/fake", "no", 0));
  // 5.0: PUBACK / PUBREC 0x87.
  ASSERT_TRUE(al5->publish("r/x", "no", 1, 9));
  ack = al5->recv();
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->type, PacketType::puback);
  EXPECT_EQ(ack->reason, cm::reason::not_authorized);
  ASSERT_TRUE(al5->publish("nowhere", "no", 2, 10));
  rec = al5->recv();
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->type, PacketType::pubrec);
  EXPECT_EQ(rec->reason, cm::reason::not_authorized);
  // Allowed ones go through; the pattern grants dev/<client id>/out.
  ASSERT_TRUE(al3->publish("a/ok", "yes", 1, 11));
  ASSERT_TRUE(al3->recv());
  ASSERT_TRUE(al5->publish("dev/al5/out", "pattern", 0));
  ASSERT_TRUE(al5->publish("dev/other/out", "no", 0));
  auto m = sub->recv();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->topic, "a/ok");
  ASSERT_TRUE(sub->ack(PacketType::puback, m->packet_id));
  m = sub->recv();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->topic, "dev/al5/out");
  ASSERT_TRUE(sub->send(cm::Ping{.type = PacketType::pingreq}));
  auto pong = sub->recv();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->type, PacketType::pingresp);  // nothing refused came through
  ASSERT_TRUE(al5->send(cm::Ping{.type = PacketType::pingreq}));
  ASSERT_TRUE(al5->recv());  // its last PUBLISH was handled
  EXPECT_EQ(broker_->totals().acl_denied, 6u);
}

TEST_P(BrokerAuthTest, SubscribeRefusedAndDeliveriesFiltered) {
  start(mqtt::BrokerOptions{.access = access()});
  auto carol = login(Version::v311, "carol", "carol", "x y");
  ASSERT_TRUE(carol->publish("a/secret", "hidden", 0, 0, true));
  ASSERT_TRUE(carol->publish("a/open", "shown", 0, 0, true));
  ASSERT_TRUE(carol->send(cm::Ping{.type = PacketType::pingreq}));
  ASSERT_TRUE(carol->recv());  // the retained messages are stored
  auto al3 = login(Version::v311, "al3", "alice", "secret1");
  auto al5 = login(Version::v5, "al5", "alice", "secret1");
  auto refused = al3->subscribe("#", 0);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->reasons, std::vector<std::uint8_t>{0x80});
  refused = al5->subscribe("x/#", 0);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->reasons, std::vector<std::uint8_t>{0x87});
  // a/# is granted; the retained a/secret is not sent (deny), a/open is.
  auto granted = al3->subscribe("a/#", 0, 2);
  ASSERT_TRUE(granted);
  EXPECT_EQ(granted->reasons, std::vector<std::uint8_t>{0});
  auto m = al3->recv();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->topic, "a/open");
  EXPECT_TRUE(m->retain);
  // Live: a/secret is not delivered to alice either.
  ASSERT_TRUE(carol->publish("a/secret", "live", 0));
  ASSERT_TRUE(carol->publish("a/open", "live", 0));
  m = al3->recv();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->topic, "a/open");
  EXPECT_EQ(m->payload, "live");
}

TEST_P(BrokerAuthTest, TlsListenerWithOurClient) {
  start(mqtt::BrokerOptions{.access = access()}, true);
  if (HasFatalFailure()) return;
  mqtt::ClientOptions o;
  o.username = "alice";
  o.password = "secret1";
  o.tls = tls::ClientConfig{.ca_file = cert_};
  const std::string tls_addr = "localhost:" + std::to_string(tls_port_);
  std::promise<void> subscribed;
  auto sub_ready = subscribed.get_future();
  std::string got;
  std::thread sub([&] {
    mqtt::ClientOptions so = o;
    so.client_id = "tls-sub";
    auto r = mqtt::subscribe_blocking(
        tls_addr, {{"a/#", 1}},
        [&](const mqtt::Message& m) {
          got = m.topic + " " + m.payload;
          return false;
        },
        so, 10000, [&] { subscribed.set_value(); });
    EXPECT_TRUE(r) << r.error().message();
  });
  ASSERT_EQ(sub_ready.wait_for(10s), std::future_status::ready);
  o.client_id = "tls-pub";
  auto r = mqtt::publish_once(tls_addr, "a/tls", "secure", 1, false, o);
  EXPECT_TRUE(r) << r.error().message();
  sub.join();
  EXPECT_EQ(got, "a/tls secure");
  // Unverifiable certificates and plain MQTT on the TLS port fail; a wrong password too.
  mqtt::ClientOptions no_ca = o;
  no_ca.tls = tls::ClientConfig{.ca_file = ""};
  EXPECT_FALSE(mqtt::publish_once(tls_addr, "a/x", "x", 0, false, no_ca));
  mqtt::ClientOptions plain = o;
  plain.tls.reset();
  plain.connect_timeout_ms = 3000;
  EXPECT_FALSE(mqtt::publish_once(tls_addr, "a/x", "x", 0, false, plain));
  mqtt::ClientOptions bad = o;
  bad.password = "nope";
  auto refused = mqtt::publish_once(tls_addr, "a/x", "x", 0, false, bad);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), mqtt::connack_error(cm::connack311::bad_user_name_or_password));
  mqtt::ClientOptions insecure = o;
  insecure.tls = tls::ClientConfig{.verify = false};
  EXPECT_TRUE(mqtt::publish_once("127.0.0.1:" + std::to_string(tls_port_), "a/x", "x", 1, false, insecure));
  EXPECT_GE(broker_->totals().tls_handshake_failures, 2u);
}

INSTANTIATE_TEST_SUITE_P(Backends, BrokerAuthTest, ::testing::ValuesIn(test::all_backends()), test::param_name);

}  // namespace
}  // namespace zp
