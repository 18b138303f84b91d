// The broker with persistence on, over real sockets on every backend (each behind the fault
// layer too), one and two shards: what was acknowledged at QoS 1/2 — queued messages of an
// offline persistent session, retained messages, subscriptions — is there after the broker
// is stopped and a new one loads the directory; acknowledged deliveries are not sent again;
// a clean start forgets the stored session; a directory from another shard count is refused.
// (The kill -9 test of the `zproto` binary is tests/interop/mqtt_persist_interop_test.cpp.)
#include "zp/mqtt/broker.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <thread>

#include "engine_test_util.h"
#include "mqtt_test_client.h"
#include "zp/engine/runtime.h"

namespace zp {
namespace {

using namespace std::chrono_literals;
using test::mqtt::Client;
namespace cm = zp::codec::mqtt;
using cm::PacketType;
using cm::Version;
namespace fs = std::filesystem;

struct Param {
  test::BackendParam backend;
  unsigned shards;
};
std::vector<Param> params() {
  std::vector<Param> out;
  for (const auto& b : test::all_backends())
    for (unsigned n : {1u, 2u}) out.push_back({b, n});
  return out;
}
std::string param_name(const ::testing::TestParamInfo<Param>& info) {
  return info.param.backend.name() + "_" + std::to_string(info.param.shards) + "shards";
}

class PersistTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_mqtt_persist.XXXXXX";
    dir_ = mkdtemp(tmpl);
    for (unsigned i = 0; i < GetParam().shards; ++i) ports_.push_back(test::free_port());
  }
  void TearDown() override {
    stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  mqtt::BrokerOptions options() const {
    mqtt::BrokerOptions o;
    o.persistence.dir = dir_.string();
    return o;
  }
  void start(mqtt::BrokerOptions opts) {
    broker_ = std::make_unique<mqtt::Broker>(GetParam().shards, opts);
    const std::string err = broker_->restore();
    ASSERT_EQ(err, "");
    RuntimeOptions o;
    o.shards = GetParam().shards;
    o.backend = GetParam().backend.kind;
    if (GetParam().backend.faults || sync_eio_ > 0) {
      FaultOptions f = FaultOptions::from_env();
      if (!GetParam().backend.faults) f = FaultOptions{.seed = f.seed, .short_send = 0, .split_recv = 0, .enobufs = 0, .delay = 0, .failed_wake = 0};
      f.sync_eio = sync_eio_;
      o.faults = f;
    }
    o.handle_signals = false;
    o.drain_timeout = 2000ms;
    std::promise<void> ready;
    auto started = ready.get_future();
    o.after_setup = [&ready]() -> Result<void> {
      ready.set_value();
      return {};
    };
    rt_ = std::make_unique<Runtime>(o);
    thread_ = std::thread([this] {
      result_ = rt_->run([this](Shard& s) { return broker_->start(s, {"127.0.0.1:" + std::to_string(ports_[s.id()])}); });
    });
    ASSERT_EQ(started.wait_for(10s), std::future_status::ready);
  }
  void start() { start(options()); }
  void stop() {
    if (!thread_.joinable()) return;
    rt_->stop();
    thread_.join();
    EXPECT_TRUE(result_) << result_.error().message();
    rt_.reset();
    broker_.reset();
  }
  std::uint16_t port(unsigned shard) const { return ports_[shard % ports_.size()]; }
  std::unique_ptr<Client> client(unsigned shard, std::string_view id, bool clean = true, bool* present = nullptr) {
    auto c = std::make_unique<Client>(port(shard));
    EXPECT_TRUE(c->ok());
    auto ack = c->connect(id, clean);
    EXPECT_TRUE(ack && ack->type == PacketType::connack && ack->reason == 0) << id;
    if (present && ack) *present = ack->session_present;
    return c;
  }
  // A persistent session subscribed to `filter` at QoS 1, then offline.
  void park(unsigned shard, std::string_view id, std::string_view filter, std::uint8_t qos = 1) {
    auto s = client(shard, id, false);
    auto ack = s->subscribe(filter, qos);
    ASSERT_TRUE(ack && ack->type == PacketType::suback);
    ASSERT_TRUE(s->send(cm::Disconnect{}));
    EXPECT_TRUE(s->closed_by_server());
  }

  double sync_eio_ = 0;  // > 0: the fault layer fails fdatasync this often
  fs::path dir_;
  std::vector<std::uint16_t> ports_;
  std::unique_ptr<mqtt::Broker> broker_;
  std::unique_ptr<Runtime> rt_;
  std::thread thread_;
  Result<void> result_;
};

TEST_P(PersistTest, AcknowledgedMessagesAndRetainedSurviveARestart) {
  start();
  park(0, "keeper", "p/#");
  auto pub = client(1, "pub");
  ASSERT_TRUE(pub->publish("p/retained", "kept", 1, 1, true));
  auto a = pub->recv();
  ASSERT_TRUE(a && a->type == PacketType::puback && a->packet_id == 1);
  constexpr int kN = 50;
  for (int i = 0; i < kN; ++i) ASSERT_TRUE(pub->publish("p/x", "m" + std::to_string(i), 1, std::uint16_t(i + 2)));
  for (int i = 0; i < kN; ++i) {  // PUBACKs in PUBLISH order
    auto ack = pub->recv();
    ASSERT_TRUE(ack) << i;
    EXPECT_EQ(ack->type, PacketType::puback);
    EXPECT_EQ(ack->packet_id, i + 2);
  }
  // QoS 2: PUBREC only once stored.
  ASSERT_TRUE(pub->publish("p/two", "exactly", 2, 200));
  auto rec = pub->recv();
  ASSERT_TRUE(rec && rec->type == PacketType::pubrec && rec->packet_id == 200);
  ASSERT_TRUE(pub->ack(PacketType::pubrel, 200));
  auto comp = pub->recv();
  ASSERT_TRUE(comp && comp->type == PacketType::pubcomp);
  pub.reset();
  stop();

  start();
  bool present = false;
  auto back = client(1, "keeper", false, &present);
  EXPECT_TRUE(present);
  std::vector<std::string> got;
  for (int i = 0; i < kN + 2; ++i) {
    auto m = back->recv();
    ASSERT_TRUE(m) << i;
    ASSERT_EQ(m->type, PacketType::publish);
    got.push_back(m->payload);
    ASSERT_TRUE(back->ack(m->qos == 2 ? PacketType::pubrec : PacketType::puback, m->packet_id));
    if (m->qos == 2) {
      auto rel = back->recv();
      ASSERT_TRUE(rel && rel->type == PacketType::pubrel);
      ASSERT_TRUE(back->ack(PacketType::pubcomp, rel->packet_id));
    }
  }
  ASSERT_EQ(got.size(), std::size_t(kN + 2));
  EXPECT_EQ(got[0], "kept");
  for (int i = 0; i < kN; ++i) EXPECT_EQ(got[std::size_t(i) + 1], "m" + std::to_string(i));
  EXPECT_EQ(got.back(), "exactly");
  // The retained message is in every shard's replica.
  for (unsigned sh = 0; sh < GetParam().shards; ++sh) {
    auto r = client(sh, "reader" + std::to_string(sh));
    ASSERT_TRUE(r->subscribe("p/retained", 1));
    auto m = r->recv();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->payload, "kept");
    EXPECT_TRUE(m->retain);
  }
  // The subscription came back too: a new message reaches the session.
  auto pub2 = client(0, "pub2");
  ASSERT_TRUE(pub2->publish("p/new", "fresh", 1, 1));
  ASSERT_TRUE(pub2->recv());
  auto m = back->recv();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload, "fresh");
  ASSERT_TRUE(back->ack(PacketType::puback, m->packet_id));
  ASSERT_TRUE(back->send(cm::Disconnect{}));
  EXPECT_TRUE(back->closed_by_server());
  back.reset();
  pub2.reset();
  stop();

  // Delivered and acknowledged: not sent again after another restart.
  start();
  auto again = client(0, "keeper", false, &present);
  EXPECT_TRUE(present);
  ASSERT_TRUE(again->send(cm::Ping{.type = PacketType::pingreq}));
  auto pong = again->recv();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->type, PacketType::pingresp) << "a delivered message came again: " << pong->payload;
}

TEST_P(PersistTest, CleanStartAndRetainedDeleteAreStoredToo) {
  start();
  park(0, "gone", "g/#");
  auto pub = client(0, "pub");
  ASSERT_TRUE(pub->publish("g/r", "old", 1, 1, true));
  ASSERT_TRUE(pub->recv());
  ASSERT_TRUE(pub->publish("g/r", "", 1, 2, true));  // deletes the retained message
  ASSERT_TRUE(pub->recv());
  ASSERT_TRUE(pub->publish("g/q", "queued", 1, 3));
  ASSERT_TRUE(pub->recv());
  // A clean start forgets the session and its queued message.
  {
    auto c = client(1, "gone", true);
    ASSERT_TRUE(c->send(cm::Disconnect{}));
    EXPECT_TRUE(c->closed_by_server());
  }
  pub.reset();
  stop();
  start();
  bool present = true;
  auto c = client(0, "gone", false, &present);
  EXPECT_FALSE(present);
  auto r = client(1, "reader");
  ASSERT_TRUE(r->subscribe("g/#", 1));
  ASSERT_TRUE(r->send(cm::Ping{.type = PacketType::pingreq}));
  auto pong = r->recv();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->type, PacketType::pingresp) << "the deleted retained message came back";
}

// fdatasync fails (EIO from the fault layer): the PUBLISH is not acknowledged; its
// connection is closed instead, so the client sends it again on its next connection.
TEST_P(PersistTest, NoPubackWhenTheSyncFails) {
  sync_eio_ = 1.0;
  start();
  park(0, "keeper", "e/#");
  auto pub = client(1, "pub");
  ASSERT_TRUE(pub->publish("e/x", "lost", 1, 7));
  auto got = pub->recv();
  EXPECT_FALSE(got) << "acknowledged although the sync failed: packet type " << int(got->type);
  // A PUBLISH that no persistent session takes needs no record: acknowledged as before.
  auto other = client(0, "other");
  ASSERT_TRUE(other->publish("nobody/x", "fine", 1, 8));
  auto ack = other->recv();
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->type, PacketType::puback);
}

// A 5.0 client with a Session Expiry Interval; `present` gets the CONNACK's flag.
std::unique_ptr<Client> client_v5(std::uint16_t port, std::string_view id, std::uint32_t expiry_s, bool* present = nullptr) {
  auto c = std::make_unique<Client>(port, Version::v5);
  EXPECT_TRUE(c->ok());
  cm::Connect extra;
  extra.properties.session_expiry_interval = expiry_s;
  extra.properties.set(cm::PropertyId::session_expiry_interval);
  auto ack = c->connect(id, false, 60, extra);
  EXPECT_TRUE(ack && ack->type == PacketType::connack && ack->reason == 0) << id;
  if (present && ack) *present = ack->session_present;
  return c;
}

// A session loaded at restart is offline: its Session Expiry runs from the start (it used to
// be kept for ever), and one that reconnects in time is still there.
TEST_P(PersistTest, RestoredSessionsExpire) {
  start();
  for (const char* id : {"stays", "expires"}) {
    auto c = client_v5(port(0), id, 1);
    ASSERT_TRUE(c->subscribe("e/#", 1));
    ASSERT_TRUE(c->send(cm::Disconnect{}));
    EXPECT_TRUE(c->closed_by_server());
  }
  stop();
  start();
  bool present = false;
  auto back = client_v5(port(0), "stays", 1, &present);
  EXPECT_TRUE(present) << "a restored session reconnecting within its expiry";
  std::this_thread::sleep_for(2500ms);  // past the 1 s expiry (deadlines run on the loop)
  present = true;
  auto late = client_v5(port(1), "expires", 1, &present);
  EXPECT_FALSE(present) << "a restored session outlived its Session Expiry Interval";
}

// Message Expiry keeps counting on the wall clock while the broker is down: a queued message
// that lapsed meanwhile is not delivered after the restart; another goes out with what is
// left of its interval.
TEST_P(PersistTest, MessageExpiryCountsWhileTheBrokerIsDown) {
  start();
  {
    auto c = client_v5(port(0), "late", 300);
    ASSERT_TRUE(c->subscribe("x/#", 1));
    ASSERT_TRUE(c->send(cm::Disconnect{}));
    EXPECT_TRUE(c->closed_by_server());
  }
  auto pub = std::make_unique<Client>(port(1), Version::v5);
  ASSERT_TRUE(pub->connect("pub"));
  std::uint16_t id = 1;
  for (auto [topic, expiry] : {std::pair{"x/short", 1u}, std::pair{"x/long", 60u}, std::pair{"kept/short", 1u},
                               std::pair{"kept/long", 60u}}) {
    const bool retain = std::string_view(topic).starts_with("kept/");
    cm::Publish p{.qos = 1, .retain = retain, .topic = topic, .packet_id = id++, .payload = std::as_bytes(std::span("m", 1))};
    p.properties.message_expiry_interval = expiry;
    p.properties.set(cm::PropertyId::message_expiry_interval);
    ASSERT_TRUE(pub->send(p));
    auto ack = pub->recv();
    ASSERT_TRUE(ack && ack->type == PacketType::puback) << topic;
  }
  pub.reset();
  stop();
  std::this_thread::sleep_for(1500ms);  // x/short lapses while we are down
  start();
  bool present = false;
  auto c = client_v5(port(0), "late", 300, &present);
  ASSERT_TRUE(present);
  auto g = c->recv();
  ASSERT_TRUE(g && g->type == PacketType::publish);
  EXPECT_EQ(g->topic, "x/long") << "a message that lapsed while the broker was down was delivered";
  ASSERT_TRUE(g->message_expiry);
  EXPECT_LE(*g->message_expiry, 59u);  // what is left, not 60 again
  EXPECT_GE(*g->message_expiry, 50u);
  ASSERT_TRUE(c->ack(PacketType::puback, g->packet_id));
  ASSERT_TRUE(c->send(cm::Ping{.type = PacketType::pingreq}));
  auto next = c->recv();
  EXPECT_TRUE(next && next->type == PacketType::pingresp) << "nothing else is queued";
  // The retained ones too: the lapsed one is gone.
  auto fresh = client_v5(port(1), "fresh", 0);
  auto sub = fresh->subscribe("kept/#", 0);
  ASSERT_TRUE(sub && sub->type == PacketType::suback);
  auto r = fresh->recv();
  ASSERT_TRUE(r && r->type == PacketType::publish);
  EXPECT_EQ(r->topic, "kept/long") << "a retained message that lapsed while the broker was down";
  ASSERT_TRUE(fresh->send(cm::Ping{.type = PacketType::pingreq}));
  auto after = fresh->recv();
  EXPECT_TRUE(after && after->type == PacketType::pingresp) << "only one retained message is left";
}

// A persistent session's shared subscription is stored with it: after a restart the session
// is a member of its group again, and what the group sent it while offline is there.
TEST_P(PersistTest, SharedSubscriptionsSurviveARestart) {
  start();
  {
    auto c = client_v5(port(0), "worker", 300);
    auto ack = c->subscribe("$share/g/jobs/#", 1);
    ASSERT_TRUE(ack && ack->type == PacketType::suback);
    ASSERT_TRUE(c->send(cm::Disconnect{}));
    EXPECT_TRUE(c->closed_by_server());
  }
  auto pub = std::make_unique<Client>(port(1), Version::v5);
  ASSERT_TRUE(pub->connect("pub"));
  ASSERT_TRUE(pub->publish("jobs/1", "offline", 1, 1));
  auto ack = pub->recv();
  ASSERT_TRUE(ack && ack->type == PacketType::puback);
  pub.reset();
  stop();
  start();
  bool present = false;
  auto c = client_v5(port(0), "worker", 300, &present);
  ASSERT_TRUE(present);
  auto g = c->recv();
  ASSERT_TRUE(g && g->type == PacketType::publish);
  EXPECT_EQ(g->payload, "offline");
  ASSERT_TRUE(c->ack(PacketType::puback, g->packet_id));
  auto pub2 = std::make_unique<Client>(port(1), Version::v5);
  ASSERT_TRUE(pub2->connect("pub2"));
  ASSERT_TRUE(pub2->publish("jobs/2", "live", 1, 1));
  auto live = c->recv();
  ASSERT_TRUE(live && live->type == PacketType::publish) << "the restored member gets the group's messages";
  EXPECT_EQ(live->payload, "live");
}

TEST_P(PersistTest, ADirectoryFromAnotherShardCountIsRefused) {
  start();
  stop();
  mqtt::Broker other(GetParam().shards + 1, options());
  const std::string err = other.restore();
  EXPECT_NE(err.find("--shards " + std::to_string(GetParam().shards)), std::string::npos) << err;
}

INSTANTIATE_TEST_SUITE_P(Backends, PersistTest, ::testing::ValuesIn(params()), param_name);

}  // namespace
}  // namespace zp
