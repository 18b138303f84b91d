// MQTT against the npm peers (tests/interop/npm, installed by tools/zp with `npm ci`):
// MQTT.js (`mqtt`) against our broker (`serve mqtt`, 2 shards) under 3.1.1 and 5.0 at QoS
// 0/1/2 with a retained message and a will, and our client (`zproto mqtt pub|sub`) against
// aedes (3.1.1, the only version it speaks). Every process runs by pid with a time bound; a missing peer fails.
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

class MqttNpmInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_mqtt_npm.XXXXXX";
    dir_ = mkdtemp(tmpl);
    node_ = which("node");
    ASSERT_FALSE(node_.empty()) << "node is not installed";
    ASSERT_TRUE(fs::exists(fs::path(ZP_NPM_DIR) / "node_modules" / "mqtt"))
        << "npm peers missing: run tools/zp deps (npm ci in " << ZP_NPM_DIR << ")";
    setenv("NODE_PATH", (fs::path(ZP_NPM_DIR) / "node_modules").c_str(), 1);
  }
  void TearDown() override {
    for (pid_t p : pids_) {
      kill(p, SIGTERM);
      (void)wait_exit(p, 10s);
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string out(const std::string& name) { return slurp(dir_ / (name + ".out")); }
  int run(const std::vector<std::string>& args, const std::string& name) {
    return wait_exit(spawn(args, (dir_ / (name + ".out")).string()), 30s);
  }

  fs::path dir_;
  std::string node_;
  std::vector<pid_t> pids_;
};

TEST_F(MqttNpmInterop, MqttJsAgainstOurBrokerBothVersions) {
  uint16_t port = 0;
  pid_t broker = -1;
  for (int attempt = 0; attempt < 5 && broker <= 0; ++attempt) {
    port = free_port();
    broker = zp::test::spawn_listening({ZPROTO_BIN, "serve", "mqtt", "--listen", "127.0.0.1:" + std::to_string(port),
                                        "--shards", "2"},
                                       (dir_ / "broker.log").string(), port);
  }
  ASSERT_GT(broker, 0) << slurp(dir_ / "broker.log");
  pids_.push_back(broker);
  const fs::path script = dir_ / "mqttjs.js";
  write_file(script, R"JS(
const mqtt = require('mqtt');
const url = 'mqtt://127.0.0.1:' + process.argv[2];
const fail = (m) => { console.log('FAIL ' + m); process.exit(1); };
setTimeout(() => fail('timeout'), 20000);
async function round(v) {
  const sub = await mqtt.connectAsync(url, { protocolVersion: v, clientId: 'js-sub-' + v });
  const got = [];
  const all = new Promise((res) => sub.on('message', (t, p, pkt) => {
    got.push(t + '=' + p.toString() + '@' + pkt.qos + (pkt.retain ? 'r' : ''));
    if (got.length === 5) res();
  }));
  const pub = await mqtt.connectAsync(url, { protocolVersion: v, clientId: 'js-pub-' + v });
  await pub.publishAsync('js' + v + '/kept', 'old', { qos: 1, retain: true });
  await sub.subscribeAsync('js' + v + '/#', { qos: 2 });
  for (const q of [0, 1, 2]) await pub.publishAsync('js' + v + '/q' + q, 'm' + q, { qos: q });
  // A will: a client that goes away without DISCONNECT.
  const dying = await mqtt.connectAsync(url, { protocolVersion: v, clientId: 'js-dying-' + v,
    will: { topic: 'js' + v + '/will', payload: Buffer.from('bye'), qos: 1, retain: false } });
  dying.stream.destroy();
  await all;
  const want = ['js' + v + '/kept=old@1r', 'js' + v + '/q0=m0@0', 'js' + v + '/q1=m1@1', 'js' + v + '/q2=m2@2',
                'js' + v + '/will=bye@1'];
  if (JSON.stringify(got.sort()) !== JSON.stringify(want.sort())) fail(v + ': ' + JSON.stringify(got));
  await pub.publishAsync('js' + v + '/kept', '', { qos: 0, retain: true });  // clear
  await sub.endAsync(); await pub.endAsync();
}
(async () => { await round(4); await round(5); console.log('OK'); process.exit(0); })().catch((e) => fail(String(e)));
)JS");
  EXPECT_EQ(run({node_, script.string(), std::to_string(port)}, "mqttjs"), 0) << out("mqttjs");
  EXPECT_EQ(out("mqttjs"), "OK\n");
  EXPECT_EQ(kill(broker, 0), 0) << "the broker died";
}

TEST_F(MqttNpmInterop, OurClientAgainstAedes) {
  const uint16_t port = free_port();
  const fs::path script = dir_ / "aedes.js";
  write_file(script, R"JS(
const aedes = require('aedes')();
const server = require('net').createServer(aedes.handle);
server.listen(Number(process.argv[2]), '127.0.0.1', () => console.log('listening'));
)JS");
  pid_t peer = spawn({node_, script.string(), std::to_string(port)}, (dir_ / "aedes.out").string());
  pids_.push_back(peer);
  for (int i = 0; i < 300 && !zp::test::port_open(port); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(zp::test::port_open(port)) << out("aedes");
  const std::string p = std::to_string(port);
  // aedes speaks MQTT 3.1.1 only (it answers a 5.0 CONNECT with a 3.1.1 CONNACK 1).
  for (const std::string v : {"311"}) {
    for (const std::string q : {"0", "1", "2"}) {
      const std::string topic = "aedes/" + v + "/" + q;
      // A retained message first: the subscriber's first line proves it is subscribed.
      ASSERT_EQ(run({ZPROTO_BIN, "mqtt", "pub", "-h", "127.0.0.1", "-p", p, "-V", v, "-t", topic, "-m", "kept", "-q", q,
                     "-r"},
                    "pub_r"),
                0)
          << out("pub_r");
      const std::string name = "sub" + v + q;
      pid_t sub = spawn({ZPROTO_BIN, "mqtt", "sub", "-h", "127.0.0.1", "-p", p, "-V", v, "-t", topic, "-q", q, "-C", "2",
                         "-v", "-W", "15"},
                        (dir_ / (name + ".out")).string());
      bool subscribed = false;
      for (int i = 0; i < 500 && !subscribed; ++i) {
        subscribed = out(name).find('\n') != std::string::npos;
        if (!subscribed) std::this_thread::sleep_for(20ms);
      }
      ASSERT_TRUE(subscribed) << out(name);
      ASSERT_EQ(run({ZPROTO_BIN, "mqtt", "pub", "-h", "127.0.0.1", "-p", p, "-V", v, "-t", topic, "-m", "live", "-q", q},
                    "pub"),
                0)
          << out("pub");
      ASSERT_EQ(wait_exit(sub, 20s), 0) << out(name);
      EXPECT_EQ(out(name), topic + " kept\n" + topic + " live\n") << v << " q" << q;
    }
  }
}

}  // namespace
