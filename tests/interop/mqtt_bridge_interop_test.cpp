// Our broker (the binary, 2 shards) bridged to Debian's mosquitto broker on loopback, with
// mosquitto_pub / mosquitto_sub and our client library on either side: out, in, both ways
// with prefixes, 1000 QoS 1 messages each way in order and none lost, retained flags carried,
// no loop on a "both" topic under MQTT 5, mosquitto restarted under the bridge, and the bridge
// over TLS with passwords on both sides. Every process runs by pid with a time bound; a
// missing program fails.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
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
using zp::test::connect_loopback;
using zp::test::free_port;
using zp::test::slurp;
using zp::test::spawn;
using zp::test::wait_exit;
using zp::test::which;
using zp::test::write_file;
using zp::test::http_get;
using zp::test::metric;
namespace fs = std::filesystem;
namespace cm = zp::codec::mqtt;

class MqttBridgeInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_mqtt_bridge_interop.XXXXXX";
    dir_ = mkdtemp(tmpl);
    if (secure_) make_secrets();
    if (HasFatalFailure()) return;
    start_mosquitto(0);
    if (HasFatalFailure()) return;
    for (int attempt = 0; attempt < 5 && zpid_ <= 0; ++attempt) {
      port_ = free_port();
      admin_ = free_port();
      write_file(dir_ / "zproto.json", config());
      zpid_ = zp::test::spawn_listening({ZPROTO_BIN, "serve", "--config", (dir_ / "zproto.json").string(), "--shards", "2"},
                                        (dir_ / "server.log").string(), port_);
    }
    ASSERT_GT(zpid_, 0) << slurp(dir_ / "server.log");
    ASSERT_TRUE(wait_connected(1)) << metrics() << slurp(dir_ / "server.log");
  }
  void TearDown() override {
    if (zpid_ > 0) {
      EXPECT_EQ(kill(zpid_, 0), 0) << "the broker died";
      kill(zpid_, SIGTERM);
      EXPECT_EQ(wait_exit(zpid_, 10s), 0) << slurp(dir_ / "server.log");
    }
    if (mpid_ > 0) {
      EXPECT_EQ(kill(mpid_, 0), 0) << "mosquitto died";
      kill(mpid_, SIGTERM);
      EXPECT_EQ(wait_exit(mpid_, 10s), 0) << slurp(dir_ / "mosquitto.log");
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // secure_: mosquitto's listener is TLS with a password file, ours has a password file; the
  // bridge verifies mosquitto's certificate and logs in on both sides.
  void make_secrets() {
    const std::string pw = (dir_ / "passwd").string();
    ASSERT_EQ(run({bin("mosquitto_passwd"), "-c", "-b", pw, "bridge", "remote pw"}, "passwd1"), 0) << out("passwd1");
    ASSERT_EQ(run({bin("mosquitto_passwd"), "-b", pw, "local", "local pw"}, "passwd2"), 0) << out("passwd2");
    ASSERT_EQ(run({bin("mosquitto_passwd"), "-b", pw, "user", "user pw"}, "passwd3"), 0) << out("passwd3");
    ASSERT_EQ(run({bin("openssl"), "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                   "-keyout", (dir_ / "key.pem").string(), "-out", (dir_ / "cert.pem").string(), "-days", "2", "-subj",
                   "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"},
                  "openssl"),
              0)
        << out("openssl");
  }
  std::string secure_keys() const {
    if (!secure_) return "";
    return R"("password_file": ")" + (dir_ / "passwd").string() + R"(", )";
  }
  std::string secure_bridge_keys() const {
    if (!secure_) return "";
    return R"("username": "bridge", "password": "remote pw", "local_username": "local", "local_password": "local pw",
        "tls": { "ca_file": ")" +
           (dir_ / "cert.pem").string() + R"(", "server_name": "localhost" }, )";
  }

  std::string config() const {
    return R"({ "mqtt": { )" + secure_keys() + R"("listen": ["127.0.0.1:)" + std::to_string(port_) + R"("], "admin_listen": "127.0.0.1:)" +
           std::to_string(admin_) + R"(",
      "bridges": [ { "name": "b1", )" + secure_bridge_keys() + R"("address": "127.0.0.1:)" + std::to_string(mport_) + R"(", "version": ")" + version_ + R"(",
        "keepalive": 5, "reconnect_initial_ms": 100, "reconnect_max_ms": 400,
        "topics": [ { "filter": "out/#", "direction": "out", "qos": 1 },
                    { "filter": "in/#", "direction": "in", "qos": 1 },
                    { "filter": "px/#", "direction": "both", "qos": 1, "local_prefix": "loc/", "remote_prefix": "rem/" },
                    { "filter": "both/#", "direction": "both", "qos": 1 } ] } ] } })";
  }

  // mosquitto on `port` (0: a free one, retried on another if taken).
  void start_mosquitto(uint16_t port) {
    const std::string mosquitto = "/usr/sbin/mosquitto";
    ASSERT_TRUE(fs::exists(mosquitto)) << "mosquitto is not installed (tools/zp installs it)";
    mpid_ = -1;
    for (int attempt = 0; attempt < 5 && mpid_ <= 0; ++attempt) {
      mport_ = port != 0 ? port : free_port();
      std::string conf = "listener " + std::to_string(mport_) + " 127.0.0.1\npersistence false\n";
      if (secure_) {
        // As root mosquitto drops to its own user, which cannot read our 0700 folder.
        if (geteuid() == 0) conf += "user root\n";
        conf += "allow_anonymous false\npassword_file " + (dir_ / "passwd").string() + "\ncertfile " +
                (dir_ / "cert.pem").string() + "\nkeyfile " + (dir_ / "key.pem").string() + "\n";
      } else {
        conf += "allow_anonymous true\n";
      }
      write_file(dir_ / "mosquitto.conf", conf);
      mpid_ = zp::test::spawn_listening({mosquitto, "-c", (dir_ / "mosquitto.conf").string()},
                                        (dir_ / "mosquitto.log").string(), mport_);
      if (port != 0 && mpid_ <= 0) std::this_thread::sleep_for(200ms);  // the same port: wait for it
    }
    ASSERT_GT(mpid_, 0) << slurp(dir_ / "mosquitto.log") << slurp(dir_ / "mosquitto.conf");
  }

  std::string metrics() { return http_get(admin_, "/metrics"); }
  // Waits until the bridge's connected gauge is `v` (10 s at most).
  bool wait_connected(long long v) {
    const auto end = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < end) {
      if (metric(metrics(), "zproto_mqtt_bridge_connected{bridge=\"b1\"}") == v) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  std::string bin(const std::string& prog) {
    std::string b = which(prog);
    if (b.empty()) ADD_FAILURE() << prog << " is not installed (tools/zp installs mosquitto-clients)";
    return b;
  }
  // mosquitto_pub/sub towards our broker (ours) or mosquitto, MQTT 5.
  std::vector<std::string> client(const std::string& prog, bool ours, std::vector<std::string> extra) {
    std::vector<std::string> a{bin(prog), "-h", "127.0.0.1", "-p", std::to_string(ours ? port_ : mport_), "-V", "mqttv5"};
    if (secure_) a.insert(a.end(), {"-u", "user", "-P", "user pw"});
    if (secure_ && !ours) a.insert(a.end(), {"--cafile", (dir_ / "cert.pem").string()});
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  int run(const std::vector<std::string>& args, const std::string& name) {
    return wait_exit(spawn(args, (dir_ / (name + ".out")).string()), 20s);
  }
  int pub(bool ours, std::vector<std::string> extra, const std::string& name) {
    return run(client("mosquitto_pub", ours, std::move(extra)), name);
  }
  pid_t sub(bool ours, std::vector<std::string> extra, const std::string& name) {
    return spawn(client("mosquitto_sub", ours, std::move(extra)), (dir_ / (name + ".out")).string());
  }
  std::string out(const std::string& name) { return slurp(dir_ / (name + ".out")); }
  bool wait_lines(const std::string& name, size_t lines, std::chrono::milliseconds limit = 10s) {
    return zp::test::wait_lines(dir_ / (name + ".out"), lines, limit);
  }

  // A subscriber on one side that has its retained marker (so is subscribed), a publish on
  // the other side, and what the subscriber printed (`-C 2 -v`).
  std::string across(bool sub_ours, const std::string& filter, const std::string& marker, const std::string& topic,
                     const std::string& name) {
    EXPECT_EQ(pub(sub_ours, {"-t", marker, "-m", "ready", "-r", "-q", "1"}, name + "_marker"), 0) << out(name + "_marker");
    pid_t s = sub(sub_ours, {"-t", filter, "-q", "1", "-C", "2", "-v", "-W", "15"}, name);
    EXPECT_TRUE(wait_lines(name, 1)) << out(name);
    EXPECT_EQ(pub(!sub_ours, {"-t", topic, "-m", "hello", "-q", "1"}, name + "_pub"), 0) << out(name + "_pub");
    EXPECT_EQ(wait_exit(s, 15s), 0) << out(name) << slurp(dir_ / "server.log");
    EXPECT_EQ(pub(sub_ours, {"-t", marker, "-n", "-r"}, name + "_clear"), 0);
    return out(name);
  }

  fs::path dir_;
  std::string version_ = "5";  // towards mosquitto
  bool secure_ = false;       // TLS and passwords (MqttBridgeInteropTls)
  uint16_t port_ = 0, admin_ = 0, mport_ = 0;
  pid_t zpid_ = -1, mpid_ = -1;
};

// Published on our broker under out/#: arrives at mosquitto, topic unchanged.
TEST_F(MqttBridgeInterop, OutToMosquitto) {
  // The marker is mosquitto's own (out/ is "out" only, so it does not come to us).
  EXPECT_EQ(across(false, "out/#", "out/marker", "out/x", "out"), "out/marker ready\nout/x hello\n");
  const std::string m = metrics();
  EXPECT_GE(metric(m, "zproto_mqtt_bridge_messages_out_total{bridge=\"b1\"}"), 1) << m;
  EXPECT_EQ(metric(m, "zproto_mqtt_bridge_connects_total{bridge=\"b1\"}"), 1) << m;
}

// Published on mosquitto under in/#: arrives at our broker.
TEST_F(MqttBridgeInterop, InFromMosquitto) {
  EXPECT_EQ(across(true, "in/#", "in/marker", "in/y", "in"), "in/marker ready\nin/y hello\n");
  EXPECT_GE(metric(metrics(), "zproto_mqtt_bridge_messages_in_total{bridge=\"b1\"}"), 1);
}

// "both" with prefixes: loc/px/... on ours is rem/px/... on mosquitto, and back.
TEST_F(MqttBridgeInterop, BothWaysWithPrefixes) {
  EXPECT_EQ(across(false, "rem/#", "rem/marker", "loc/px/a", "px_out"), "rem/marker ready\nrem/px/a hello\n");
  EXPECT_EQ(across(true, "loc/#", "loc/marker", "rem/px/b", "px_in"), "loc/marker ready\nloc/px/b hello\n");
}

// Retained messages cross as retained: a subscriber that comes later gets them with the flag.
TEST_F(MqttBridgeInterop, RetainedFlagCarried) {
  ASSERT_EQ(pub(true, {"-t", "out/kept", "-m", "r-out", "-r", "-q", "1"}, "r1"), 0) << out("r1");
  ASSERT_EQ(pub(false, {"-t", "in/kept", "-m", "r-in", "-r", "-q", "1"}, "r2"), 0) << out("r2");
  // They cross in the background: ask until they are there.
  auto fetch = [&](bool ours, const std::string& topic, const std::string& name) {
    for (int i = 0; i < 50; ++i) {
      const int rc = run(client("mosquitto_sub", ours, {"-t", topic, "-C", "1", "-W", "1", "-F", "%r %t %p"}), name);
      if (rc == 0) return out(name);
    }
    return std::string("(never arrived)");
  };
  EXPECT_EQ(fetch(false, "out/kept", "k1"), "1 out/kept r-out\n");
  EXPECT_EQ(fetch(true, "in/kept", "k2"), "1 in/kept r-in\n");
  // A live retained message keeps its flag too (retain-as-published on both sides).
  pid_t s = sub(false, {"-t", "out/live", "--retain-as-published", "-C", "1", "-W", "15", "-F", "%r %t %p"}, "live");
  std::this_thread::sleep_for(500ms);  // no marker here: a retained marker would be what it prints
  ASSERT_EQ(pub(true, {"-t", "out/live", "-m", "L", "-r", "-q", "1"}, "r3"), 0);
  EXPECT_EQ(wait_exit(s, 15s), 0) << out("live");
  EXPECT_EQ(out("live"), "1 out/live L\n");
  for (const char* t : {"out/kept", "out/live"}) EXPECT_EQ(pub(true, {"-t", t, "-n", "-r"}, "clear"), 0);
  EXPECT_EQ(pub(false, {"-t", "in/kept", "-n", "-r"}, "clear"), 0);
}

// A "both" topic without prefixes under 5.0: a message published on either side reaches
// each side exactly once (no-local on both sides keeps it from coming back).
TEST_F(MqttBridgeInterop, BothWaysNoLoop) {
  ASSERT_EQ(pub(true, {"-t", "both/marker", "-m", "ready", "-r", "-q", "1"}, "m"), 0);
  // The marker crosses to mosquitto too: each subscriber prints it once it is subscribed.
  pid_t ours = sub(true, {"-t", "both/#", "-q", "1", "-v", "-W", "20"}, "ours");
  pid_t theirs = sub(false, {"-t", "both/#", "-q", "1", "-v", "-W", "20"}, "theirs");
  ASSERT_TRUE(wait_lines("ours", 1)) << out("ours");
  ASSERT_TRUE(wait_lines("theirs", 1, 15s)) << out("theirs");
  ASSERT_EQ(pub(true, {"-t", "both/a", "-m", "from-ours", "-q", "1"}, "pa"), 0);
  ASSERT_EQ(pub(false, {"-t", "both/b", "-m", "from-theirs", "-q", "1"}, "pb"), 0);
  ASSERT_TRUE(wait_lines("ours", 3)) << out("ours");
  ASSERT_TRUE(wait_lines("theirs", 3)) << out("theirs");
  std::this_thread::sleep_for(1500ms);  // time for a loop to show, were there one
  kill(ours, SIGTERM);
  kill(theirs, SIGTERM);
  (void)wait_exit(ours, 5s);
  (void)wait_exit(theirs, 5s);
  const std::string expect = "both/marker ready\nboth/a from-ours\nboth/b from-theirs\n";
  EXPECT_EQ(out("ours"), expect);
  EXPECT_EQ(out("theirs"), expect);
  const std::string m = metrics();
  EXPECT_EQ(metric(m, "zproto_mqtt_bridge_messages_out_total{bridge=\"b1\"}"), 2) << m;  // the marker, both/a
  EXPECT_EQ(metric(m, "zproto_mqtt_bridge_messages_in_total{bridge=\"b1\"}"), 1) << m;   // both/b
  EXPECT_EQ(pub(true, {"-t", "both/marker", "-n", "-r"}, "clear"), 0);
}

// 1000 QoS 1 messages each way through the bridge (our client library on both ends): all
// arrive, in order.
zp::Task<void> bulk(std::string from, std::string to, std::string topic, std::string name, int n) {
  zp::mqtt::ClientOptions so;
  so.client_id = "bulk-sub-" + name;
  so.version = cm::Version::v5;
  so.max_queued_messages = 2000;
  auto s = co_await zp::mqtt::Client::connect(to, so);
  EXPECT_TRUE(s) << (s ? "" : s.error().message());
  if (!s) co_return;
  auto g = co_await s->subscribe(topic, 1);
  EXPECT_TRUE(g && *g == 1);
  zp::mqtt::ClientOptions po;
  po.client_id = "bulk-pub-" + name;
  auto p = co_await zp::mqtt::Client::connect(from, po);
  EXPECT_TRUE(p) << (p ? "" : p.error().message());
  if (!p) co_return;
  for (int i = 0; i < n; ++i) {
    auto r = co_await p->publish(topic, std::to_string(i), 1);
    EXPECT_TRUE(r) << r.error().message();
    if (!r) co_return;
  }
  for (int i = 0; i < n; ++i) {
    auto m = co_await zp::with_timeout(10000ms, s->next_message());
    EXPECT_TRUE(m) << "message " << i << ": " << (m ? "" : m.error().message());
    if (!m) co_return;
    EXPECT_EQ(m->payload, std::to_string(i)) << name;
    EXPECT_EQ(m->qos, 1);
    if (m->payload != std::to_string(i)) co_return;
  }
  auto extra = co_await zp::with_timeout(500ms, s->next_message());
  EXPECT_FALSE(extra) << "one more: " << extra->payload;
  (void)co_await p->disconnect();
  (void)co_await s->disconnect();
}

TEST_F(MqttBridgeInterop, Qos1ThousandEachWayNothingLost) {
  auto backend = zp::make_backend(zp::BackendKind::automatic, {});
  ASSERT_TRUE(backend);
  zp::Shard shard(0, 1, std::move(*backend));
  const std::string ours = "127.0.0.1:" + std::to_string(port_), theirs = "127.0.0.1:" + std::to_string(mport_);
  shard.block_on(bulk(ours, theirs, "out/bulk", "out", 1000));
  shard.block_on(bulk(theirs, ours, "in/bulk", "in", 1000));
  shard.request_stop(0);
  shard.run();
  const std::string m = metrics();
  EXPECT_EQ(metric(m, "zproto_mqtt_bridge_messages_out_total{bridge=\"b1\"}"), 1000) << m;
  EXPECT_EQ(metric(m, "zproto_mqtt_bridge_messages_in_total{bridge=\"b1\"}"), 1000) << m;
  EXPECT_EQ(metric(m, "zproto_mqtt_bridge_dropped_total{bridge=\"b1\"}"), 0) << m;
}

// mosquitto stopped and started again on its port: the bridge says it is disconnected,
// reconnects (subscribing again: the new mosquitto has no session) and carries on.
TEST_F(MqttBridgeInterop, MosquittoRestartedBridgeReconnects) {
  EXPECT_EQ(across(false, "out/#", "out/marker", "out/before", "before"), "out/marker ready\nout/before hello\n");
  kill(mpid_, SIGTERM);
  ASSERT_EQ(wait_exit(mpid_, 10s), 0);
  mpid_ = -1;
  ASSERT_TRUE(wait_connected(0)) << metrics();
  // Published while the remote broker is away: it waits in the bridge and goes out after.
  ASSERT_EQ(pub(true, {"-t", "out/while", "-m", "waited", "-q", "1", "-r"}, "while"), 0);
  std::this_thread::sleep_for(500ms);
  start_mosquitto(mport_);
  ASSERT_GT(mpid_, 0);
  ASSERT_TRUE(wait_connected(1)) << metrics() << slurp(dir_ / "server.log");
  EXPECT_GE(metric(metrics(), "zproto_mqtt_bridge_connects_total{bridge=\"b1\"}"), 2);
  // (Filters below out/a and in/a: the retained out/while is on mosquitto's out/ by now.)
  EXPECT_EQ(across(false, "out/a/#", "out/a/marker", "out/a/after", "after"), "out/a/marker ready\nout/a/after hello\n");
  EXPECT_EQ(across(true, "in/a/#", "in/a/marker", "in/a/after", "in_after"), "in/a/marker ready\nin/a/after hello\n");
  for (int i = 0; i < 50; ++i) {
    if (run(client("mosquitto_sub", false, {"-t", "out/while", "-C", "1", "-W", "1", "-F", "%r %t %p"}), "w") == 0) break;
  }
  EXPECT_EQ(out("w"), "1 out/while waited\n");
  EXPECT_EQ(pub(true, {"-t", "out/while", "-n", "-r"}, "clear"), 0);
}

// The same bridge speaking MQTT 3.1.1 to mosquitto: out, in, and the prefixed "both" topic.
// 3.1.1 has no no-local: what goes out on a "both" topic comes back once (the restriction
// docs/mqtt.md states), and our side's no-local stops it there.
class MqttBridgeInterop311 : public MqttBridgeInterop {
 protected:
  void SetUp() override {
    version_ = "311";
    MqttBridgeInterop::SetUp();
  }
};

TEST_F(MqttBridgeInterop311, OutInAndPrefixes) {
  EXPECT_EQ(across(false, "out/#", "out/marker", "out/x", "out"), "out/marker ready\nout/x hello\n");
  EXPECT_EQ(across(true, "in/#", "in/marker", "in/y", "in"), "in/marker ready\nin/y hello\n");
  EXPECT_EQ(across(false, "rem/#", "rem/marker", "loc/px/a", "px_out"), "rem/marker ready\nrem/px/a hello\n");
  EXPECT_EQ(across(true, "loc/#", "loc/marker", "rem/px/b", "px_in"), "loc/marker ready\nloc/px/b hello\n");
  const std::string m = metrics();
  EXPECT_EQ(metric(m, "zproto_mqtt_bridge_messages_out_total{bridge=\"b1\"}"), 2) << m;
  // in/y, rem/px/b, and loc/px/a's echo (rem/px/a sent back to us by mosquitto), once.
  EXPECT_EQ(metric(m, "zproto_mqtt_bridge_messages_in_total{bridge=\"b1\"}"), 3) << m;
  EXPECT_EQ(metric(m, "zproto_mqtt_bridge_dropped_total{bridge=\"b1\"}"), 0) << m;
}

// The bridge over TLS to a mosquitto that wants a password, into our broker that wants one
// too (the loopback client logs in with local_username): the certificate is verified
// against the test CA, and a subscriber on either side sees what the other side publishes.
class MqttBridgeInteropTls : public MqttBridgeInterop {
 protected:
  void SetUp() override {
    secure_ = true;
    MqttBridgeInterop::SetUp();
  }
};

TEST_F(MqttBridgeInteropTls, OutAndInOverTlsWithPasswords) {
  EXPECT_EQ(across(false, "out/#", "out/marker", "out/x", "out"), "out/marker ready\nout/x hello\n");
  EXPECT_EQ(across(true, "in/#", "in/marker", "in/y", "in"), "in/marker ready\nin/y hello\n");
  const std::string m = metrics();
  EXPECT_EQ(metric(m, "zproto_mqtt_bridge_connects_total{bridge=\"b1\"}"), 1) << m;
}

}  // namespace
