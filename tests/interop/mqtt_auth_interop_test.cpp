// Authentication, ACL and TLS with real peers on loopback: mosquitto_pub / mosquitto_sub with
// -u/-P against our broker (the zproto binary, 2 shards, a password file written by the real
// mosquitto_passwd, an acl_file), accepted and refused, and with --cafile against its TLS
// listener; `zproto mqtt pub|sub` over TLS (--cafile, -L mqtts://, --insecure) against
// Debian's mosquitto with a TLS listener and a password file. Certificates come from openssl
// in the test (127.0.0.1 / localhost). Every process runs by pid with a time bound.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
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

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

class MqttAuthInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_mqtt_auth_interop.XXXXXX";
    dir_ = mkdtemp(tmpl);
    const std::string pw = (dir_ / "passwd").string();
    // The real mosquitto_passwd: PBKDF2 ($7$) for alice, salted SHA-512 ($6$) for bob.
    ASSERT_EQ(run({bin("mosquitto_passwd"), "-c", "-b", pw, "alice", "s3cret"}, "passwd1"), 0) << out("passwd1");
    ASSERT_EQ(run({bin("mosquitto_passwd"), "-H", "sha512", "-b", pw, "bob", "hunter 2"}, "passwd2"), 0) << out("passwd2");
    write_file(dir_ / "acl",
               "user alice\n"
               "topic readwrite a/#\n"
               "topic deny a/secret\n"
               "user bob\n"
               "topic read a/#\n"
               "topic write b/#\n"
               "pattern readwrite dev/%u/%c\n"
               "pattern read dev/%u/#\n");
    ASSERT_EQ(run({bin("openssl"), "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                   "-keyout", (dir_ / "key.pem").string(), "-out", (dir_ / "cert.pem").string(), "-days", "2", "-subj",
                   "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"},
                  "openssl"),
              0)
        << out("openssl");
    // A second, unrelated CA: a certificate it did not issue must be refused.
    ASSERT_EQ(run({bin("openssl"), "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                   "-keyout", (dir_ / "other.key").string(), "-out", (dir_ / "other.pem").string(), "-days", "2",
                   "-subj", "/CN=localhost"},
                  "openssl2"),
              0)
        << out("openssl2");
  }
  void TearDown() override {
    for (pid_t* p : {&zp_pid_, &mosq_pid_}) {
      if (*p <= 0) continue;
      EXPECT_EQ(kill(*p, 0), 0) << "a server died";
      kill(*p, SIGTERM);
      EXPECT_EQ(wait_exit(*p, 10s), 0) << slurp(dir_ / "server.log") << slurp(dir_ / "mosquitto.log");
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void start_zproto() {
    for (int attempt = 0; attempt < 5 && zp_pid_ <= 0; ++attempt) {
      port_ = free_port();
      tls_port_ = free_port();
      zp_pid_ = zp::test::spawn_listening(
          {ZPROTO_BIN, "serve", "mqtt", "--listen", "127.0.0.1:" + std::to_string(port_), "--tls-listen",
           "127.0.0.1:" + std::to_string(tls_port_), "--tls-cert", (dir_ / "cert.pem").string(), "--tls-key",
           (dir_ / "key.pem").string(), "--password-file", (dir_ / "passwd").string(), "--acl-file",
           (dir_ / "acl").string(), "--shards", "2"},
          (dir_ / "server.log").string(), port_);
    }
    ASSERT_GT(zp_pid_, 0) << slurp(dir_ / "server.log");
    // The TLS listener is bound after the plain one (and by every shard): wait for it too.
    ASSERT_TRUE(wait_port(tls_port_, 5s)) << slurp(dir_ / "server.log");
  }
  void start_mosquitto() {
    const std::string mosquitto = "/usr/sbin/mosquitto";
    ASSERT_TRUE(fs::exists(mosquitto)) << "mosquitto is not installed (tools/zp installs it)";
    for (int attempt = 0; attempt < 5 && mosq_pid_ <= 0; ++attempt) {
      tls_port_ = free_port();
      write_file(dir_ / "mosquitto.conf",
                 std::string(geteuid() == 0 ? "user root\n" : "") + "persistence false\nlistener " +
                     std::to_string(tls_port_) + " 127.0.0.1\ncertfile " + (dir_ / "cert.pem").string() +
                     "\nkeyfile " + (dir_ / "key.pem").string() + "\npassword_file " + (dir_ / "passwd").string() +
                     "\nallow_anonymous false\n");
      mosq_pid_ = zp::test::spawn_listening({mosquitto, "-c", (dir_ / "mosquitto.conf").string()},
                                            (dir_ / "mosquitto.log").string(), tls_port_);
    }
    ASSERT_GT(mosq_pid_, 0) << slurp(dir_ / "mosquitto.log");
  }

  static bool wait_port(uint16_t port, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
      if (zp::test::port_open(port)) return true;
      if (std::chrono::steady_clock::now() >= end) return false;
      std::this_thread::sleep_for(10ms);
    }
  }
  std::string bin(const std::string& prog) {
    std::string b = which(prog);
    if (b.empty()) ADD_FAILURE() << prog << " is not installed (tools/zp installs mosquitto and mosquitto-clients)";
    return b;
  }
  // mosquitto_pub/sub towards our plain (tls false) or TLS listener.
  std::vector<std::string> mosq(const std::string& prog, const std::string& version, bool tls,
                                std::vector<std::string> extra) {
    std::vector<std::string> a{bin(prog), "-h", "127.0.0.1", "-p", std::to_string(tls ? tls_port_ : port_), "-V", version};
    if (tls) a.insert(a.end(), {"--cafile", (dir_ / "cert.pem").string()});
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  int run(std::vector<std::string> args, const std::string& name) {
    pid_t pid = spawn(args, (dir_ / (name + ".out")).string());
    return wait_exit(pid, 20s);
  }
  std::string out(const std::string& name) { return slurp(dir_ / (name + ".out")); }
  bool wait_lines(const std::string& name, size_t lines, std::chrono::milliseconds limit = 10s) {
    return zp::test::wait_lines(dir_ / (name + ".out"), lines, limit);
  }

  fs::path dir_;
  uint16_t port_ = 0, tls_port_ = 0;
  pid_t zp_pid_ = -1, mosq_pid_ = -1;
};

TEST_F(MqttAuthInterop, MosquittoClientsWithPasswordsAcceptedAndRefused) {
  start_zproto();
  for (const std::string v : {"mqttv311", "mqttv5"}) {
    const std::string sub = "sub_" + v;
    // A retained marker first: once the subscriber prints it, it is subscribed.
    ASSERT_EQ(run(mosq("mosquitto_pub", v, false, {"-u", "alice", "-P", "s3cret", "-t", "a/" + v, "-m", "kept", "-r", "-q", "1"}),
                  "pub_r" + v),
              0)
        << out("pub_r" + v);
    pid_t s = spawn(mosq("mosquitto_sub", v, false, {"-u", "bob", "-P", "hunter 2", "-t", "a/#", "-C", "2", "-v", "-W", "15"}),
                    (dir_ / (sub + ".out")).string());
    ASSERT_TRUE(wait_lines(sub, 1)) << out(sub);
    // Denied by the ACL: alice may not publish a/secret, bob may not publish a/... (read only).
    // 3.1.1: acknowledged and dropped; 5.0: PUBACK 0x87, which mosquitto_pub reports.
    EXPECT_EQ(run(mosq("mosquitto_pub", v, false, {"-u", "alice", "-P", "s3cret", "-t", "a/secret", "-m", "no", "-q", "1"}),
                  "deny1" + v),
              0);
    EXPECT_EQ(out("deny1" + v).find("Not authorized") != std::string::npos, v == "mqttv5") << out("deny1" + v);
    EXPECT_EQ(run(mosq("mosquitto_pub", v, false, {"-u", "bob", "-P", "hunter 2", "-t", "a/x", "-m", "no"}), "deny2" + v), 0);
    ASSERT_EQ(run(mosq("mosquitto_pub", v, false, {"-u", "alice", "-P", "s3cret", "-t", "a/" + v, "-m", "live", "-q", "1"}),
                  "pub" + v),
              0)
        << out("pub" + v);
    ASSERT_EQ(wait_exit(s, 15s), 0) << out(sub);
    EXPECT_EQ(out(sub), "a/" + v + " kept\na/" + v + " live\n");  // nothing denied came through
    // The marker goes: the next version's subscriber to a/# must not get it.
    ASSERT_EQ(run(mosq("mosquitto_pub", v, false, {"-u", "alice", "-P", "s3cret", "-t", "a/" + v, "-n", "-r"}), "clr" + v), 0)
        << out("clr" + v);
    // Refused at CONNECT: a wrong password, an unknown user, no user name.
    EXPECT_NE(run(mosq("mosquitto_pub", v, false, {"-u", "alice", "-P", "wrong", "-t", "a/x", "-m", "x"}), "bad" + v), 0);
    EXPECT_NE(lower(out("bad" + v)).find("bad user name or password"), std::string::npos) << out("bad" + v);
    EXPECT_NE(run(mosq("mosquitto_pub", v, false, {"-u", "mallory", "-P", "s3cret", "-t", "a/x", "-m", "x"}), "unk" + v), 0);
    EXPECT_NE(lower(out("unk" + v)).find("bad user name or password"), std::string::npos) << out("unk" + v);
    EXPECT_NE(run(mosq("mosquitto_pub", v, false, {"-t", "a/x", "-m", "x"}), "anon" + v), 0);
    EXPECT_NE(lower(out("anon" + v)).find("not authori"), std::string::npos) << out("anon" + v);
    // A filter beyond the ACL: SUBACK failure (mosquitto_sub says so).
    run(mosq("mosquitto_sub", v, false, {"-u", "alice", "-P", "s3cret", "-t", "b/#", "-C", "1", "-W", "3"}), "subdeny" + v);
    EXPECT_NE(out("subdeny" + v).find("All subscription requests were denied"), std::string::npos) << out("subdeny" + v);
  }
}

// "pattern readwrite dev/%u/%c" lets alice's client k1 write dev/alice/k1, and no other of
// her clients; "pattern read dev/%u/#" lets the watcher (another client id) read it all.
TEST_F(MqttAuthInterop, PatternsWithUserAndClientId) {
  start_zproto();
  // Beyond the patterns: another user's subtree is refused.
  run(mosq("mosquitto_sub", "mqttv311", false, {"-u", "alice", "-P", "s3cret", "-t", "dev/bob/#", "-C", "1", "-W", "3"}),
      "subdeny_pattern");
  EXPECT_NE(out("subdeny_pattern").find("All subscription requests were denied"), std::string::npos)
      << out("subdeny_pattern");
  const std::string sub = "sub_pattern";
  pid_t s = spawn(mosq("mosquitto_sub", "mqttv311", false,
                       {"-u", "alice", "-P", "s3cret", "-i", "watcher", "-t", "dev/alice/#", "-C", "1", "-v", "-W", "15"}),
                  (dir_ / (sub + ".out")).string());
  std::this_thread::sleep_for(500ms);  // nothing retained to mark the subscription: publish until it arrives
  for (int i = 0; i < 20 && out(sub).empty(); ++i) {
    ASSERT_EQ(run(mosq("mosquitto_pub", "mqttv311", false,
                       {"-u", "alice", "-P", "s3cret", "-i", "k1p", "-t", "dev/alice/k1", "-m", "wrong id"}),
                  "p0"),
              0);  // acknowledged, dropped: the pattern is dev/alice/k1p for this client
    ASSERT_EQ(run(mosq("mosquitto_pub", "mqttv311", false,
                       {"-u", "alice", "-P", "s3cret", "-i", "k1", "-t", "dev/alice/k1", "-m", "mine"}),
                  "p1"),
              0);
    if (!out(sub).empty()) break;
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_EQ(wait_exit(s, 15s), 0) << out(sub);
  EXPECT_EQ(out(sub), "dev/alice/k1 mine\n");
}

TEST_F(MqttAuthInterop, MosquittoClientsOverOurTlsListener) {
  start_zproto();
  for (const std::string v : {"mqttv311", "mqttv5"}) {
    const std::string sub = "tls_sub_" + v;
    ASSERT_EQ(run(mosq("mosquitto_pub", v, true, {"-u", "alice", "-P", "s3cret", "-t", "a/tls", "-m", "kept", "-r"}),
                  "tls_pub_r" + v),
              0)
        << out("tls_pub_r" + v);
    pid_t s = spawn(mosq("mosquitto_sub", v, true, {"-u", "alice", "-P", "s3cret", "-t", "a/tls", "-C", "2", "-v", "-W", "15"}),
                    (dir_ / (sub + ".out")).string());
    ASSERT_TRUE(wait_lines(sub, 1)) << out(sub);
    ASSERT_EQ(run(mosq("mosquitto_pub", v, true, {"-u", "alice", "-P", "s3cret", "-t", "a/tls", "-m", "secure", "-q", "2"}),
                  "tls_pub" + v),
              0)
        << out("tls_pub" + v);
    ASSERT_EQ(wait_exit(s, 15s), 0) << out(sub);
    EXPECT_EQ(out(sub), "a/tls kept\na/tls secure\n");
  }
  // A CA that did not issue our certificate: the handshake fails, nothing is sent.
  EXPECT_NE(run({bin("mosquitto_pub"), "-h", "127.0.0.1", "-p", std::to_string(tls_port_), "--cafile",
                 (dir_ / "other.pem").string(), "-u", "alice", "-P", "s3cret", "-t", "a/x", "-m", "x"},
                "wrong_ca"),
            0);
  // Credentials are checked over TLS as well.
  EXPECT_NE(run(mosq("mosquitto_pub", "mqttv311", true, {"-u", "alice", "-P", "nope", "-t", "a/x", "-m", "x"}), "tls_bad"), 0);
  EXPECT_NE(lower(out("tls_bad")).find("bad user name or password"), std::string::npos) << out("tls_bad");
}

TEST_F(MqttAuthInterop, ZprotoClientOverTlsAgainstMosquitto) {
  start_mosquitto();
  const std::string port = std::to_string(tls_port_);
  const std::string ca = (dir_ / "cert.pem").string();
  for (const std::string v : {"311", "5"}) {
    const std::string sub = "zsub" + v;
    ASSERT_EQ(run({ZPROTO_BIN, "mqtt", "pub", "-V", v, "-h", "127.0.0.1", "-p", port, "--cafile", ca, "-u", "alice", "-P",
                   "s3cret", "-t", "z/" + v, "-m", "kept", "-r", "-q", "1"},
                  "zpub_r" + v),
              0)
        << out("zpub_r" + v);
    pid_t s = spawn({ZPROTO_BIN, "mqtt", "sub", "-V", v, "-L", "mqtts://alice:s3cret@localhost:" + port + "/z/" + v,
                     "--cafile", ca, "-C", "2", "-v", "-W", "15"},
                    (dir_ / (sub + ".out")).string());
    ASSERT_TRUE(wait_lines(sub, 1)) << out(sub) << slurp(dir_ / "mosquitto.log");
    ASSERT_EQ(run({ZPROTO_BIN, "mqtt", "pub", "-V", v, "-L", "mqtts://bob:hunter 2@127.0.0.1:" + port + "/z/" + v,
                   "--cafile", ca, "-m", "secure", "-q", "2"},
                  "zpub" + v),
              0)
        << out("zpub" + v);
    ASSERT_EQ(wait_exit(s, 15s), 0) << out(sub);
    EXPECT_EQ(out(sub), "z/" + v + " kept\nz/" + v + " secure\n");
  }
  // The certificate is verified: the wrong CA and the system's CAs refuse it; --insecure does not look.
  EXPECT_EQ(run({ZPROTO_BIN, "mqtt", "pub", "-h", "127.0.0.1", "-p", port, "--cafile", (dir_ / "other.pem").string(),
                 "-u", "alice", "-P", "s3cret", "-t", "z/x", "-m", "x"},
                "zwrong_ca"),
            1);
  EXPECT_NE(out("zwrong_ca").find("certificate verify failed"), std::string::npos) << out("zwrong_ca");
  EXPECT_EQ(run({ZPROTO_BIN, "mqtt", "pub", "--tls", "-h", "127.0.0.1", "-p", port, "-u", "alice", "-P", "s3cret", "-t",
                 "z/x", "-m", "x"},
                "zsystem"),
            1);
  EXPECT_EQ(run({ZPROTO_BIN, "mqtt", "pub", "--insecure", "-h", "127.0.0.1", "-p", port, "-u", "alice", "-P", "s3cret",
                 "-t", "z/x", "-m", "x"},
                "zinsecure"),
            0)
      << out("zinsecure");
  // Wrong password over TLS: mosquitto's CONNACK refusal, in words (mosquitto 2.0.11 answers a
  // bad password with "not authorized": 5 to a 3.1.1 client, 0x87 to a 5.0 one).
  EXPECT_EQ(run({ZPROTO_BIN, "mqtt", "pub", "-L", "mqtts://alice:nope@localhost:" + port + "/z/x", "--cafile", ca, "-m", "x"},
                "zbad"),
            1);
  EXPECT_NE(out("zbad").find("not authorized (CONNACK 5)"), std::string::npos) << out("zbad");
  EXPECT_EQ(run({ZPROTO_BIN, "mqtt", "pub", "-V", "5", "-L", "mqtts://alice:nope@localhost:" + port + "/z/x", "--cafile",
                 ca, "-m", "x"},
                "zbad5"),
            1);
  EXPECT_NE(out("zbad5").find("not authorized (CONNACK 135)"), std::string::npos) << out("zbad5");
  // Plain MQTT to a TLS port is not silently accepted.
  EXPECT_EQ(run({ZPROTO_BIN, "mqtt", "pub", "-h", "127.0.0.1", "-p", port, "-u", "alice", "-P", "s3cret", "-t", "z/x",
                 "-m", "x", "-k", "5"},
                "zplain"),
            1);
}

}  // namespace
