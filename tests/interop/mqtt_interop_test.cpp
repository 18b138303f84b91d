// The zproto MQTT broker (the binary, `serve mqtt`, 2 shards) against real clients on
// loopback: mosquitto_pub / mosquitto_sub (mosquitto-clients) under MQTT 3.1.1 and 5.0 at
// QoS 0, 1 and 2, retained messages, a will after kill -9, and python3-paho-mqtt (both
// versions, QoS 2 both ways, a persistent session resumed). Every client runs by pid with a
// time bound; a missing program fails.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "../common/test_files.h"
#include "../common/test_net.h"
#include "../common/test_process.h"

namespace {

using namespace std::chrono_literals;
using zp::test::free_port;
using zp::test::slurp;
using zp::test::spawn;
using zp::test::wait_exit;
using zp::test::which;
using zp::test::write_file;
namespace fs = std::filesystem;

class MqttInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_mqtt_interop.XXXXXX";
    dir_ = mkdtemp(tmpl);
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
      port_ = free_port();
      pid_ = zp::test::spawn_listening({ZPROTO_BIN, "serve", "mqtt", "--listen", "127.0.0.1:" + std::to_string(port_),
                                        "--shards", "2"},
                                       (dir_ / "server.log").string(), port_);
    }
    ASSERT_GT(pid_, 0) << slurp(dir_ / "server.log");
  }
  void TearDown() override {
    if (pid_ > 0) {
      EXPECT_EQ(kill(pid_, 0), 0) << "the broker died";
      kill(pid_, SIGTERM);
      EXPECT_EQ(wait_exit(pid_, 10s), 0) << slurp(dir_ / "server.log");
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string bin(const std::string& prog) {
    std::string b = which(prog);
    if (b.empty()) ADD_FAILURE() << prog << " is not installed (tools/zp installs mosquitto-clients and python3-paho-mqtt)";
    return b;
  }
  std::vector<std::string> common(const std::string& prog, const std::string& version) {
    return {bin(prog), "-h", "127.0.0.1", "-p", std::to_string(port_), "-V", version};
  }
  // Runs a client to its end (20 s at most); its exit status.
  int run(std::vector<std::string> args, const std::string& name) {
    pid_t pid = spawn(args, (dir_ / (name + ".out")).string());
    return wait_exit(pid, 20s);
  }
  std::string out(const std::string& name) { return slurp(dir_ / (name + ".out")); }
  // Waits until the file has `lines` newline characters (a subscriber has received them).
  bool wait_lines(const std::string& name, size_t lines, std::chrono::milliseconds limit = 10s) {
    return zp::test::wait_lines(dir_ / (name + ".out"), lines, limit);
  }

  fs::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(MqttInterop, MosquittoClientsBothVersionsEveryQos) {
  for (const std::string v : {"mqttv311", "mqttv5"}) {
    for (const std::string q : {"0", "1", "2"}) {
      const std::string topic = "it/" + v + "/q" + q;
      const std::string name = "sub_" + v + q;
      // A retained message first: once the subscriber prints it, it is subscribed.
      ASSERT_EQ(run([&] {
                  auto a = common("mosquitto_pub", v);
                  a.insert(a.end(), {"-t", topic, "-m", "kept", "-q", q, "-r"});
                  return a;
                }(), "pub_r" + v + q),
                0)
          << out("pub_r" + v + q);
      auto sub_args = common("mosquitto_sub", v);
      sub_args.insert(sub_args.end(), {"-t", topic, "-q", q, "-C", "2", "-v", "-W", "15"});
      pid_t sub = spawn(sub_args, (dir_ / (name + ".out")).string());
      ASSERT_TRUE(wait_lines(name, 1)) << v << " q" << q << ": " << out(name);
      ASSERT_EQ(run([&] {
                  auto a = common("mosquitto_pub", v);
                  a.insert(a.end(), {"-t", topic, "-m", "live " + q, "-q", q});
                  return a;
                }(), "pub" + v + q),
                0)
          << out("pub" + v + q);
      ASSERT_EQ(wait_exit(sub, 15s), 0) << v << " q" << q << ": " << out(name);
      EXPECT_EQ(out(name), topic + " kept\n" + topic + " live " + q + "\n") << v << " q" << q;
    }
  }
}

// Two mosquitto_sub on one shared subscription ("$share/g/..."), a third on the plain filter:
// the 20 messages mosquitto_pub sends go to one member each, in turn; the plain one gets all.
TEST_F(MqttInterop, MosquittoSubSharedSubscriptionTakesTurns) {
  std::vector<pid_t> subs;
  for (const std::string name : {"member1", "member2", "plain"}) {
    // The share first, the marker second, in one SUBSCRIBE: the marker's retained copy comes
    // once the share has joined its group.
    ASSERT_EQ(run([&] {
                auto a = common("mosquitto_pub", "mqttv5");
                a.insert(a.end(), {"-t", "mark/" + name, "-m", "ready", "-r", "-q", "1"});
                return a;
              }(), "mark_" + name),
              0);
    auto args = common("mosquitto_sub", "mqttv5");
    const std::string filter = name == "plain" ? "sh/#" : "$share/g/sh/#";
    args.insert(args.end(), {"-t", filter, "-t", "mark/" + name, "-q", "1", "-C", name == "plain" ? "21" : "11", "-v", "-W", "15"});
    subs.push_back(spawn(args, (dir_ / (name + ".out")).string()));
    ASSERT_TRUE(wait_lines(name, 1)) << out(name);
  }
  auto pub = common("mosquitto_pub", "mqttv5");
  pub.insert(pub.end(), {"-t", "sh/x", "-m", "job", "-q", "1", "--repeat", "20"});
  ASSERT_EQ(run(pub, "pub"), 0) << out("pub");
  for (pid_t p : subs) EXPECT_EQ(wait_exit(p, 15s), 0);
  std::string ten;
  for (int i = 0; i < 10; ++i) ten += "sh/x job\n";
  EXPECT_EQ(out("member1"), "mark/member1 ready\n" + ten);
  EXPECT_EQ(out("member2"), "mark/member2 ready\n" + ten);
  EXPECT_EQ(out("plain"), "mark/plain ready\n" + ten + ten);
}

TEST_F(MqttInterop, WillPublishedAfterKillMinusNine) {
  for (const std::string v : {"mqttv311", "mqttv5"}) {
    // Retained markers tell us when each client is subscribed (it prints the marker).
    auto pub = [&](std::vector<std::string> extra, const std::string& name) {
      auto a = common("mosquitto_pub", v);
      a.insert(a.end(), extra.begin(), extra.end());
      return run(a, name);
    };
    ASSERT_EQ(pub({"-t", "ready/" + v, "-m", "up", "-r"}, "ready"), 0) << out("ready");
    ASSERT_EQ(pub({"-t", "wills/marker", "-m", "m", "-r"}, "marker"), 0) << out("marker");
    auto dying_args = common("mosquitto_sub", v);
    dying_args.insert(dying_args.end(), {"-t", "ready/" + v, "-i", "dying-" + v, "--will-topic", "wills/" + v,
                                         "--will-payload", "bye", "-k", "60"});
    // Names per version: spawn truncates its output file in the child, after fork, so a
    // reused name could still show the previous round's line to wait_lines.
    const std::string dying_name = "dying_" + v, watch_name = "watch_" + v;
    pid_t dying = spawn(dying_args, (dir_ / (dying_name + ".out")).string());
    ASSERT_TRUE(wait_lines(dying_name, 1)) << out(dying_name);
    auto watch_args = common("mosquitto_sub", v);
    watch_args.insert(watch_args.end(), {"-t", "wills/#", "-C", "2", "-v", "-W", "15"});
    pid_t watch = spawn(watch_args, (dir_ / (watch_name + ".out")).string());
    ASSERT_TRUE(wait_lines(watch_name, 1)) << out(watch_name);
    kill(dying, SIGKILL);
    (void)wait_exit(dying, 5s);
    ASSERT_EQ(wait_exit(watch, 15s), 0) << v << ": " << out(watch_name);
    EXPECT_EQ(out(watch_name), "wills/marker m\nwills/" + v + " bye\n") << v;
    ASSERT_EQ(pub({"-t", "wills/marker", "-n", "-r"}, "clear"), 0);
  }
}

// MQTT 5 as mosquitto's clients use it: a retained message keeps its content type and user
// property and its Message Expiry counts down; a will with a Will Delay waits for it.
TEST_F(MqttInterop, MosquittoClientsVersion5PropertiesExpiryAndWillDelay) {
  const std::string v = "mqttv5";
  auto pub_args = common("mosquitto_pub", v);
  pub_args.insert(pub_args.end(), {"-t", "it5/ret", "-m", "hello", "-r", "-D", "publish", "message-expiry-interval", "60",
                                   "-D", "publish", "content-type", "text/plain", "-D", "publish", "user-property", "k", "v"});
  ASSERT_EQ(run(pub_args, "pub5"), 0) << out("pub5");
  std::this_thread::sleep_for(1100ms);
  auto sub_args = common("mosquitto_sub", v);
  sub_args.insert(sub_args.end(), {"-t", "it5/ret", "-C", "1", "-F", "%t %p %C %E %P", "-W", "10"});
  ASSERT_EQ(run(sub_args, "sub5"), 0) << out("sub5");
  const std::string got = out("sub5");
  EXPECT_TRUE(got == "it5/ret hello text/plain 59 k:v\n" || got == "it5/ret hello text/plain 58 k:v\n") << got;

  auto ready_args = common("mosquitto_pub", v);
  ready_args.insert(ready_args.end(), {"-t", "ready5", "-m", "up", "-r"});
  ASSERT_EQ(run(ready_args, "ready5"), 0);
  auto dying_args = common("mosquitto_sub", v);
  dying_args.insert(dying_args.end(), {"-t", "ready5", "-i", "dying5", "-c", "-x", "60", "--will-topic", "wills5/d",
                                       "--will-payload", "bye", "-D", "will", "will-delay-interval", "2"});
  pid_t dying = spawn(dying_args, (dir_ / "dying5.out").string());
  ASSERT_TRUE(wait_lines("dying5", 1)) << out("dying5");
  auto watch_args = common("mosquitto_sub", v);
  watch_args.insert(watch_args.end(), {"-t", "wills5/#", "-C", "1", "-v", "-W", "15"});
  pid_t watch = spawn(watch_args, (dir_ / "watch5.out").string());
  std::this_thread::sleep_for(300ms);  // subscribed (no retained marker: a will must not come early)
  const auto killed = std::chrono::steady_clock::now();
  kill(dying, SIGKILL);
  (void)wait_exit(dying, 5s);
  ASSERT_EQ(wait_exit(watch, 15s), 0) << out("watch5");
  EXPECT_GE(std::chrono::steady_clock::now() - killed, 1800ms);  // not before the delay
  EXPECT_EQ(out("watch5"), "wills5/d bye\n");
}

TEST_F(MqttInterop, PahoBothVersionsQos2AndPersistentSession) {
  // Debian's python3, where python3-paho-mqtt lives (a pyenv shim on PATH lacks it).
  const std::string py = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : bin("python3");
  const fs::path script = dir_ / "paho_check.py";
  write_file(script, R"PY(
import sys, threading, time
import paho.mqtt.client as mqtt
port = int(sys.argv[1])
for proto, name in ((mqtt.MQTTv311, "311"), (mqtt.MQTTv5, "5")):
    got = []
    ready = threading.Event(); done = threading.Event()
    def on_message(c, u, m):
        got.append((m.topic, m.payload.decode(), m.qos))
        if len(got) == 3: done.set()
    def on_subscribe(c, u, mid, granted, *rest): ready.set()
    kw = {} if proto == mqtt.MQTTv5 else {"clean_session": False}
    sub = mqtt.Client(client_id="paho-sub-" + name, protocol=proto, **kw)
    sub.on_message = on_message; sub.on_subscribe = on_subscribe
    if proto == mqtt.MQTTv5:
        from paho.mqtt.properties import Properties
        from paho.mqtt.packettypes import PacketTypes
        props = Properties(PacketTypes.CONNECT); props.SessionExpiryInterval = 300
        sub.connect("127.0.0.1", port, 30, clean_start=True, properties=props)
    else:
        sub.connect("127.0.0.1", port, 30)
    sub.loop_start()
    sub.subscribe("paho/" + name + "/#", qos=2)
    if not ready.wait(5): sys.exit("no SUBACK " + name)
    pub = mqtt.Client(client_id="paho-pub-" + name, protocol=proto)
    pub.connect("127.0.0.1", port, 30); pub.loop_start()
    for q in (0, 1, 2):
        pub.publish("paho/" + name + "/q%d" % q, "m%d" % q, qos=q).wait_for_publish(5)
    if not done.wait(5): sys.exit("got %r under %s" % (got, name))
    if sorted(got) != [("paho/%s/q%d" % (name, q), "m%d" % q, q) for q in (0, 1, 2)]:
        sys.exit("wrong %r" % got)
    # The persistent session: offline, a QoS 1 message waits; back, it arrives.
    sub.disconnect(); sub.loop_stop()
    pub.publish("paho/" + name + "/later", "waited", qos=1).wait_for_publish(5)
    back = threading.Event(); present = []
    def on_connect(c, u, flags, rc, *rest): present.append(flags.get("session present"))
    def on_back(c, u, m):
        if m.payload == b"waited": back.set()
    sub2 = mqtt.Client(client_id="paho-sub-" + name, protocol=proto, **kw)
    sub2.on_connect = on_connect; sub2.on_message = on_back
    if proto == mqtt.MQTTv5:
        sub2.connect("127.0.0.1", port, 30, clean_start=False, properties=props)
    else:
        sub2.connect("127.0.0.1", port, 30)
    sub2.loop_start()
    if not back.wait(5): sys.exit("the queued message did not arrive under " + name)
    if not present or not present[0]: sys.exit("session present not set under " + name)
    sub2.disconnect(); sub2.loop_stop(); pub.disconnect(); pub.loop_stop()
print("OK")
)PY");
  const int rc = run({py, script.string(), std::to_string(port_)}, "paho");
  EXPECT_EQ(rc, 0) << out("paho");
  EXPECT_EQ(out("paho"), "OK\n");
}

}  // namespace
