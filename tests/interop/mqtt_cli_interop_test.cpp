// `zproto mqtt pub|sub` against our broker (the zproto binary): a host name (-h localhost,
// mqtt://localhost URLs) resolved through the DNS stub resolver, a name that does not
// resolve, and `pub -l` keeping its connection alive with PINGREQ while stdin is idle.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
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
namespace fs = std::filesystem;

class MqttCliInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_mqtt_cli_interop.XXXXXX";
    dir_ = mkdtemp(tmpl);
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
      port_ = free_port();
      pid_ = zp::test::spawn_listening({ZPROTO_BIN, "serve", "mqtt", "--listen", "127.0.0.1:" + std::to_string(port_)},
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

  std::vector<std::string> zcli(const std::string& verb, std::vector<std::string> extra, const std::string& host = "localhost") {
    std::vector<std::string> a{ZPROTO_BIN, "mqtt", verb, "-h", host, "-p", std::to_string(port_)};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  int run(const std::vector<std::string>& args, const std::string& name) {
    return wait_exit(spawn(args, (dir_ / (name + ".out")).string()), 20s);
  }
  std::string out(const std::string& name) { return slurp(dir_ / (name + ".out")); }
  bool wait_lines(const std::string& name, size_t lines, std::chrono::milliseconds limit = 10s) {
    return zp::test::wait_lines(dir_ / (name + ".out"), lines, limit);
  }
  // spawn() with stdin from a pipe; *stdin_fd is its write end (the test closes it).
  pid_t spawn_with_stdin(const std::vector<std::string>& args, const std::string& name, int* stdin_fd) {
    int p[2];
    if (pipe(p) != 0) return -1;
    const std::string path = (dir_ / (name + ".out")).string();
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
      const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      dup2(p[0], 0);
      ::close(p[0]);
      ::close(p[1]);
      execv(argv[0], argv.data());
      _exit(127);
    }
    ::close(p[0]);
    *stdin_fd = p[1];
    return pid;
  }

  fs::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(MqttCliInterop, HostNamesResolve) {
  // -h localhost (the default too) and mqtt://localhost:PORT/TOPIC, both versions.
  for (const std::string v : {"311", "5"}) {
    const std::string sub = "sub" + v;
    // Retained first, before the subscriber starts: once it prints it, the subscription is in
    // place. (Published while the SUBSCRIBE is on its way, it could arrive both live and as
    // the retained copy.)
    ASSERT_EQ(run(zcli("pub", {"-V", v, "-t", "named/" + v, "-m", "kept", "-r", "-q", "1"}), "pr" + v), 0) << out("pr" + v);
    pid_t s = spawn(zcli("sub", {"-V", v, "-t", "named/" + v, "-C", "2", "-v", "-W", "15"}), (dir_ / (sub + ".out")).string());
    ASSERT_TRUE(wait_lines(sub, 1)) << out(sub);
    ASSERT_EQ(run({ZPROTO_BIN, "mqtt", "pub", "-V", v, "-L", "mqtt://localhost:" + std::to_string(port_) + "/named/" + v, "-m",
                   "by url", "-q", "1"},
                  "pu" + v),
              0)
        << out("pu" + v);
    ASSERT_EQ(wait_exit(s, 15s), 0) << out(sub);
    EXPECT_EQ(out(sub), "named/" + v + " kept\nnamed/" + v + " by url\n");
    ASSERT_EQ(run(zcli("pub", {"-V", v, "-t", "named/" + v, "-n", "-r"}), "clr" + v), 0) << out("clr" + v);
  }
  // A name without an address: exit 1 and a line that says so.
  EXPECT_EQ(run(zcli("pub", {"-t", "x", "-m", "y"}, "no-such-host.invalid"), "nxdomain"), 1) << out("nxdomain");
  EXPECT_NE(out("nxdomain").find("no-such-host.invalid:" + std::to_string(port_) + ": host name not found"),
            std::string::npos)
      << out("nxdomain");
}

// -k 1: the broker drops a client silent for 1.5 s. pub -l with stdin idle for 3 s pings
// meanwhile, so the line written afterwards is published (QoS 1: acknowledged) and received.
TEST_F(MqttCliInterop, PubLinesKeepsAliveWhileStdinIsIdle) {
  const std::string sub = "lsub";
  pid_t s = spawn(zcli("sub", {"-t", "lines/#", "-C", "3", "-v", "-W", "20"}), (dir_ / (sub + ".out")).string());
  ASSERT_EQ(run(zcli("pub", {"-t", "lines/marker", "-m", "m", "-r"}), "marker"), 0) << out("marker");
  ASSERT_TRUE(wait_lines(sub, 1)) << out(sub);
  int in = -1;
  const pid_t p = spawn_with_stdin(zcli("pub", {"-t", "lines/l", "-l", "-q", "1", "-k", "1"}), "lpub", &in);
  ASSERT_GT(p, 0);
  ASSERT_EQ(write(in, "before\n", 7), 7);
  ASSERT_TRUE(wait_lines(sub, 2)) << out(sub) << out("lpub");
  std::this_thread::sleep_for(3s);  // twice the broker's 1.5 s limit, stdin silent
  int status = 0;
  ASSERT_EQ(waitpid(p, &status, WNOHANG), 0) << "pub -l exited while idle: " << out("lpub");
  ASSERT_EQ(write(in, "after idle\n", 11), 11);
  ::close(in);  // end of input: pub -l disconnects and exits
  EXPECT_EQ(wait_exit(p, 10s), 0) << out("lpub");
  ASSERT_EQ(wait_exit(s, 15s), 0) << out(sub) << out("lpub");
  EXPECT_EQ(out(sub), "lines/marker m\nlines/l before\nlines/l after idle\n");
  ASSERT_EQ(run(zcli("pub", {"-t", "lines/marker", "-n", "-r"}), "clr"), 0) << out("clr");
}

}  // namespace
