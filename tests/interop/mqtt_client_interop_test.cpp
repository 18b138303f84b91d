// The MQTT client (the library and `zproto mqtt pub|sub`) against Debian's mosquitto broker
// started on 127.0.0.1 from a written config, with mosquitto_pub / mosquitto_sub on the other
// side: MQTT 3.1.1 and 5.0, QoS 0/1/2, retained messages, -n, -l, -W, a CONNACK refusal.
// Every process runs by pid with a time bound; a missing program fails.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "../common/test_files.h"
#include "../common/test_net.h"
#include "../common/test_process.h"
#include "zp/engine/backend.h"
#include "zp/engine/shard.h"
#include "zp/mqtt/client.h"

namespace {

using namespace std::chrono_literals;
using zp::test::free_port;
using zp::test::slurp;
using zp::test::spawn;
using zp::test::wait_exit;
using zp::test::which;
using zp::test::write_file;
namespace fs = std::filesystem;
namespace cm = zp::codec::mqtt;

class MqttClientInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_mqtt_client_interop.XXXXXX";
    dir_ = mkdtemp(tmpl);
    start_mosquitto(0);
  }

 public:
  // mosquitto on `port` (0: a free one, retried on another if taken).
  void start_mosquitto(uint16_t port) {
    const std::string mosquitto = "/usr/sbin/mosquitto";
    ASSERT_TRUE(fs::exists(mosquitto)) << "mosquitto is not installed (tools/zp installs it)";
    pid_ = -1;
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
      port_ = port != 0 ? port : free_port();
      write_file(dir_ / "mosquitto.conf", "listener " + std::to_string(port_) +
                                              " 127.0.0.1\nallow_anonymous true\npersistence false\n");
      pid_ = zp::test::spawn_listening({mosquitto, "-c", (dir_ / "mosquitto.conf").string()},
                                       (dir_ / "mosquitto.log").string(), port_);
    }
    ASSERT_GT(pid_, 0) << slurp(dir_ / "mosquitto.log");
  }
  void stop_mosquitto() {
    kill(pid_, SIGTERM);
    EXPECT_EQ(wait_exit(pid_, 10s), 0);
    pid_ = -1;
  }

 protected:
  void TearDown() override {
    if (pid_ > 0) {
      EXPECT_EQ(kill(pid_, 0), 0) << "mosquitto died";
      kill(pid_, SIGTERM);
      EXPECT_EQ(wait_exit(pid_, 10s), 0) << slurp(dir_ / "mosquitto.log");
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string bin(const std::string& prog) {
    std::string b = which(prog);
    if (b.empty()) ADD_FAILURE() << prog << " is not installed (tools/zp installs mosquitto-clients)";
    return b;
  }
  // mosquitto_pub/sub or `zproto mqtt pub/sub` with host, port and version.
  std::vector<std::string> mosq(const std::string& prog, const std::string& version) {
    return {bin(prog), "-h", "127.0.0.1", "-p", std::to_string(port_), "-V", version};
  }
  std::vector<std::string> zcli(const std::string& verb, const std::string& version) {
    return {ZPROTO_BIN, "mqtt", verb, "-h", "127.0.0.1", "-p", std::to_string(port_), "-V", version};
  }
  static std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& extra) {
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  // Runs a program to its end (20 s at most); its exit status.
  int run(const std::vector<std::string>& args, const std::string& name) {
    return wait_exit(spawn(args, (dir_ / (name + ".out")).string()), 20s);
  }
  std::string out(const std::string& name) { return slurp(dir_ / (name + ".out")); }
  // Waits until the output has `lines` newlines (a subscriber has received them).
  bool wait_lines(const std::string& name, size_t lines, std::chrono::milliseconds limit = 10s) {
    return zp::test::wait_lines(dir_ / (name + ".out"), lines, limit);
  }

  fs::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

const char* const kVersions[] = {"mqttv311", "mqttv5"};
cm::Version version_of(const std::string& v) { return v == "mqttv5" ? cm::Version::v5 : cm::Version::v311; }

// The library: subscribe_blocking and publish_once, both versions, every QoS.
TEST_F(MqttClientInterop, LibraryBothVersionsEveryQos) {
  for (const std::string v : kVersions) {
    for (std::uint8_t q = 0; q <= 2; ++q) {
      const std::string topic = "lib/" + v + "/q" + std::to_string(q);
      zp::mqtt::ClientOptions so;
      so.client_id = "lib-sub";
      so.version = version_of(v);
      std::promise<void> subscribed;
      auto ready = subscribed.get_future();
      std::vector<zp::mqtt::Message> got;
      std::thread sub([&] {
        auto n = zp::mqtt::subscribe_blocking(
            addr(), {{topic, q}},
            [&](const zp::mqtt::Message& m) {
              got.push_back(m);
              return false;
            },
            so, 15000, [&] { subscribed.set_value(); });
        EXPECT_TRUE(n) << n.error().message();
      });
      ASSERT_EQ(ready.wait_for(15s), std::future_status::ready);
      zp::mqtt::ClientOptions po;
      po.client_id = "lib-pub";
      po.version = version_of(v);
      auto r = zp::mqtt::publish_once(addr(), topic, "hello " + std::to_string(q), q, false, po);
      EXPECT_TRUE(r) << r.error().message();
      sub.join();
      ASSERT_EQ(got.size(), 1u) << v << " q" << int(q);
      EXPECT_EQ(got[0].topic, topic);
      EXPECT_EQ(got[0].payload, "hello " + std::to_string(q));
      EXPECT_EQ(got[0].qos, q);
    }
  }
}

// A coroutine client on its own shard: QoS 2 to itself, a keepalive ping, mosquitto's
// CONNACK refusal of an empty id without a clean session, as text.
zp::Task<void> self_loop(std::string addr) {
  zp::mqtt::ClientOptions o;
  o.client_id = "loop";
  o.version = cm::Version::v5;
  o.keepalive_s = 1;
  auto c = co_await zp::mqtt::Client::connect(addr, o);
  EXPECT_TRUE(c) << (c ? "" : c.error().message());
  if (!c) co_return;
  auto g = co_await c->subscribe("loop/#", 2);
  EXPECT_TRUE(g && *g == 2);
  for (int i = 0; i < 50; ++i) {
    auto r = co_await c->publish("loop/" + std::to_string(i), std::to_string(i), std::uint8_t(i % 3));
    EXPECT_TRUE(r) << r.error().message();
  }
  for (int i = 0; i < 50; ++i) {
    auto m = co_await zp::with_timeout(5000ms, c->next_message());
    EXPECT_TRUE(m);
    if (!m) co_return;
    EXPECT_EQ(m->payload, std::to_string(i));
  }
  auto slept = co_await zp::sleep(2200ms);
  EXPECT_TRUE(slept);
  EXPECT_GE(c->stats().pongs_received, 1u);
  EXPECT_TRUE(c->connected());
  auto d = co_await c->disconnect();
  EXPECT_TRUE(d);

  zp::mqtt::ClientOptions bad;
  bad.clean_start = false;
  auto refused = co_await zp::mqtt::Client::connect(addr, bad);
  EXPECT_FALSE(refused);
  if (!refused) {
    EXPECT_EQ(refused.error(), zp::mqtt::connack_error(cm::connack311::identifier_rejected)) << refused.error().message();
    EXPECT_NE(refused.error().message().find("identifier rejected"), std::string::npos);
  }
}

TEST_F(MqttClientInterop, CoroutineClientQos2KeepaliveAndRefusal) {
  auto backend = zp::make_backend(zp::BackendKind::automatic, {});
  ASSERT_TRUE(backend);
  zp::Shard shard(0, 1, std::move(*backend));
  shard.block_on(self_loop(addr()));
  shard.request_stop(0);
  shard.run();
}

// `zproto mqtt sub -C` receives what mosquitto_pub sends (a retained marker first: once it
// is printed, the subscription is in place).
TEST_F(MqttClientInterop, CliSubReceivesMosquittoPub) {
  for (const std::string v : kVersions) {
    for (const std::string q : {"0", "1", "2"}) {
      const std::string topic = "cs/" + v + "/q" + q;
      const std::string name = "zsub_" + v + q;
      ASSERT_EQ(run(with(mosq("mosquitto_pub", v), {"-t", topic, "-m", "kept", "-q", q, "-r"}), "mpr" + v + q), 0)
          << out("mpr" + v + q);
      pid_t sub = spawn(with(zcli("sub", v), {"-t", topic, "-q", q, "-C", "2", "-v", "-W", "15"}),
                        (dir_ / (name + ".out")).string());
      ASSERT_TRUE(wait_lines(name, 1)) << v << " q" << q << ": " << out(name);
      ASSERT_EQ(run(with(mosq("mosquitto_pub", v), {"-t", topic, "-m", "live " + q, "-q", q}), "mp" + v + q), 0)
          << out("mp" + v + q);
      ASSERT_EQ(wait_exit(sub, 15s), 0) << v << " q" << q << ": " << out(name);
      EXPECT_EQ(out(name), topic + " kept\n" + topic + " live " + q + "\n") << v << " q" << q;
    }
  }
  // Without -v: the payload alone; two filters.
  ASSERT_EQ(run(with(mosq("mosquitto_pub", "mqttv311"), {"-t", "two/b", "-m", "bee", "-r"}), "mp_b"), 0);
  ASSERT_EQ(run(with(mosq("mosquitto_pub", "mqttv311"), {"-t", "one/a", "-m", "ay", "-r"}), "mp_a"), 0);
  ASSERT_EQ(run(with(zcli("sub", "311"), {"-t", "one/+", "-t", "two/#", "-C", "2", "-W", "10"}), "zsub_two"), 0)
      << out("zsub_two");
  const std::string two = out("zsub_two");
  EXPECT_TRUE(two == "ay\nbee\n" || two == "bee\nay\n") << two;
  // An empty message under -v reads "(null)", as mosquitto_sub prints it.
  pid_t sub = spawn(with(zcli("sub", "5"), {"-t", "one/#", "-C", "2", "-v", "-W", "10"}), (dir_ / "zsub_null.out").string());
  ASSERT_TRUE(wait_lines("zsub_null", 1)) << out("zsub_null");
  ASSERT_EQ(run(with(mosq("mosquitto_pub", "mqttv5"), {"-t", "one/empty", "-n"}), "mp_null"), 0);
  ASSERT_EQ(wait_exit(sub, 15s), 0) << out("zsub_null");
  EXPECT_EQ(out("zsub_null"), "one/a ay\none/empty (null)\n");
}

// mosquitto_sub -C receives what `zproto mqtt pub` sends: live at every QoS, retained, -n, -l.
TEST_F(MqttClientInterop, MosquittoSubReceivesCliPub) {
  for (const std::string v : kVersions) {
    for (const std::string q : {"0", "1", "2"}) {
      const std::string topic = "cp/" + v + "/q" + q;
      // Retained: published before anyone subscribes, received at once.
      ASSERT_EQ(run(with(zcli("pub", v), {"-t", topic, "-m", "kept " + q, "-q", q, "-r"}), "zpr" + v + q), 0)
          << out("zpr" + v + q);
      ASSERT_EQ(run(with(mosq("mosquitto_sub", v), {"-t", topic, "-q", q, "-C", "1", "-v", "-W", "10"}), "ms_r" + v + q), 0)
          << out("ms_r" + v + q);
      EXPECT_EQ(out("ms_r" + v + q), topic + " kept " + q + "\n");
      // Live, after the retained marker shows the subscription is in place.
      const std::string name = "ms" + v + q;
      pid_t sub = spawn(with(mosq("mosquitto_sub", v), {"-t", topic, "-q", q, "-C", "2", "-v", "-W", "15"}),
                        (dir_ / (name + ".out")).string());
      ASSERT_TRUE(wait_lines(name, 1)) << out(name);
      ASSERT_EQ(run(with(zcli("pub", v), {"-t", topic, "-m", "live " + q, "-q", q}), "zp" + v + q), 0) << out("zp" + v + q);
      ASSERT_EQ(wait_exit(sub, 15s), 0) << out(name);
      EXPECT_EQ(out(name), topic + " kept " + q + "\n" + topic + " live " + q + "\n");
      // -r -n clears the retained message: a new subscriber gets nothing (mosquitto_sub -W: 27).
      ASSERT_EQ(run(with(zcli("pub", v), {"-t", topic, "-n", "-r", "-q", q}), "zpn" + v + q), 0) << out("zpn" + v + q);
      EXPECT_EQ(run(with(mosq("mosquitto_sub", v), {"-t", topic, "-C", "1", "-W", "1"}), "ms_none" + v + q), 27)
          << out("ms_none" + v + q);
    }
  }
  // -n (an empty message) and -l (one message per stdin line).
  ASSERT_EQ(run(with(mosq("mosquitto_pub", "mqttv311"), {"-t", "nl/marker", "-m", "m", "-r"}), "mp_m"), 0);
  pid_t sub = spawn(with(mosq("mosquitto_sub", "mqttv311"), {"-t", "nl/#", "-C", "4", "-v", "-W", "15"}),
                    (dir_ / "ms_nl.out").string());
  ASSERT_TRUE(wait_lines("ms_nl", 1)) << out("ms_nl");
  ASSERT_EQ(run(with(zcli("pub", "311"), {"-t", "nl/empty", "-n", "-q", "1"}), "zp_n"), 0) << out("zp_n");
  std::string cmd;
  for (const auto& a : with(zcli("pub", "5"), {"-t", "nl/lines", "-l", "-q", "2"})) cmd += "'" + a + "' ";
  ASSERT_EQ(run({"/bin/sh", "-c", "printf 'first\\nsecond\\n' | " + cmd}, "zp_l"), 0) << out("zp_l");
  ASSERT_EQ(wait_exit(sub, 15s), 0) << out("ms_nl");
  EXPECT_EQ(out("ms_nl"), "nl/marker m\nnl/empty (null)\nnl/lines first\nnl/lines second\n");
  ASSERT_EQ(run(with(mosq("mosquitto_pub", "mqttv311"), {"-t", "nl/marker", "-n", "-r"}), "mp_clear"), 0);
}

// Exit codes: -W runs out (27), nothing listening (1), usage (2).
TEST_F(MqttClientInterop, CliExitCodes) {
  EXPECT_EQ(run(with(zcli("sub", "5"), {"-t", "quiet", "-W", "1"}), "w"), 27) << out("w");
  EXPECT_NE(out("w").find("timed out"), std::string::npos) << out("w");
  const std::string closed = std::to_string(free_port());
  EXPECT_EQ(run({ZPROTO_BIN, "mqtt", "pub", "-h", "127.0.0.1", "-p", closed, "-t", "x", "-m", "y"}, "refused"), 1);
  EXPECT_NE(out("refused").find("refused"), std::string::npos) << out("refused");
  EXPECT_EQ(run(with(zcli("pub", "311"), {"-t", "x"}), "nomsg"), 2) << out("nomsg");
  EXPECT_EQ(run(with(zcli("sub", "311"), {"-t", "x", "-c"}), "noid"), 2) << out("noid");
  EXPECT_EQ(run(with(zcli("pub", "311"), {"-t", "x/+", "-m", "y"}), "badtopic"), 1) << out("badtopic");
  EXPECT_NE(out("badtopic").find("invalid topic"), std::string::npos) << out("badtopic");
}

// mosquitto restarts (persistence off: our session is gone): the client reconnects with
// backoff and subscribes again; mosquitto_pub's message arrives.
zp::Task<void> survive_restart(MqttClientInterop* t, std::string addr, uint16_t port) {
  zp::mqtt::ClientOptions o;
  o.client_id = "survivor";
  o.reconnect.enabled = true;
  o.reconnect.initial_backoff_ms = 50;
  o.reconnect.max_backoff_ms = 400;
  auto c = co_await zp::mqtt::Client::connect(addr, o);
  EXPECT_TRUE(c);
  if (!c) co_return;
  auto g = co_await c->subscribe("restart/t", 1);
  EXPECT_TRUE(g);
  t->stop_mosquitto();
  auto down = co_await zp::sleep(300ms);  // attempts fail (refused) and back off
  EXPECT_TRUE(down);
  EXPECT_FALSE(c->connected());
  t->start_mosquitto(port);
  bool got = false;
  zp::mqtt::ClientOptions po;  // named: GCC 12 mishandles a T{} temporary inside co_await
  po.client_id = "restart-pub";
  for (int i = 0; i < 50 && !got; ++i) {  // until the subscription is back
    auto r = co_await zp::mqtt::Client::connect(addr, po);
    if (r) {
      auto p = co_await r->publish("restart/t", "again", 1);
      EXPECT_TRUE(p);
    }
    auto m = co_await zp::with_timeout(200ms, c->next_message());
    got = m && m->payload == "again";
  }
  EXPECT_TRUE(got);
  EXPECT_TRUE(c->connected());
  EXPECT_GE(c->stats().reconnects, 1u);
  EXPECT_FALSE(c->session_present());
}

TEST_F(MqttClientInterop, ReconnectAfterBrokerRestart) {
  auto backend = zp::make_backend(zp::BackendKind::automatic, {});
  ASSERT_TRUE(backend);
  zp::Shard shard(0, 1, std::move(*backend));
  shard.block_on(survive_restart(this, addr(), port_));
  shard.request_stop(0);
  shard.run();
}

// `zproto mqtt sub --will-*` killed with SIGKILL: mosquitto publishes its will to mosquitto_sub.
TEST_F(MqttClientInterop, CliWillAfterKill) {
  for (const std::string v : kVersions) {
    const std::string topic = "will/" + v;
    ASSERT_EQ(run(with(mosq("mosquitto_pub", v), {"-t", topic, "-m", "marker", "-r"}), "wm" + v), 0);
    const std::string watcher = "ww" + v;
    pid_t watch = spawn(with(mosq("mosquitto_sub", v), {"-t", topic, "-C", "2", "-v", "-W", "15"}),
                        (dir_ / (watcher + ".out")).string());
    ASSERT_TRUE(wait_lines(watcher, 1)) << out(watcher);
    // The dying client prints the retained marker once it is connected and subscribed.
    const std::string dying = "wd" + v;
    pid_t victim = spawn(with(zcli("sub", v), {"-t", topic, "-i", "doomed-" + v, "--will-topic", topic,
                                                "--will-payload", "gone", "--will-qos", "1"}),
                         (dir_ / (dying + ".out")).string());
    ASSERT_TRUE(wait_lines(dying, 1)) << out(dying);
    kill(victim, SIGKILL);
    (void)wait_exit(victim, 5s);
    ASSERT_EQ(wait_exit(watch, 15s), 0) << out(watcher);
    EXPECT_EQ(out(watcher), topic + " marker\n" + topic + " gone\n");
    ASSERT_EQ(run(with(mosq("mosquitto_pub", v), {"-t", topic, "-n", "-r"}), "wc" + v), 0);
  }
}

}  // namespace
