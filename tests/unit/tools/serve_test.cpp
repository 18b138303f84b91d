// The zproto binary end to end: serve echo from a config, SIGHUP reopens the log file,
// SIGTERM stops with exit 0, a bad config exits 2 naming the key and line.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include "../../common/test_files.h"
#include "../../common/test_net.h"

namespace {

using zp::test::slurp;

using zp::test::free_port;
using zp::test::wait_exit;
using zp::test::connect_retry;

using namespace std::chrono_literals;

std::string temp_dir() {
  char tmpl[] = "/tmp/zp_serve_test.XXXXXX";
  return mkdtemp(tmpl);
}


// Starts zproto with args; stderr goes to err_path. Returns the pid.
pid_t spawn(const std::vector<std::string>& args, const std::string& err_path) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    dup2(fd, 1);
    std::vector<char*> argv;
    std::string bin = ZPROTO_BIN;
    argv.push_back(bin.data());
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}



class ServeTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ServeTest, EchoReloadAndCleanStop) {
  std::string dir = temp_dir();
  uint16_t port = free_port();
  std::string log = dir + "/zproto.log";
  std::string cfg = dir + "/zproto.json";
  std::ofstream(cfg) << "{ \"shards\": 2, \"backend\": \"" << GetParam() << "\", \"log_file\": \"" << log
                     << "\",\n  \"echo\": { \"listen\": [\"127.0.0.1:" << port << "\"] } }\n";
  pid_t pid = spawn({"serve", "--config", cfg}, dir + "/stderr");
  int fd = connect_retry(port);
  ASSERT_GE(fd, 0) << slurp(dir + "/stderr");
  std::string msg(100000, 'x');
  for (size_t i = 0; i < msg.size(); ++i) msg[i] = char('a' + i % 26);
  ASSERT_EQ(::send(fd, msg.data(), msg.size(), 0), ssize_t(msg.size()));
  std::string got(msg.size(), '\0');
  ASSERT_EQ(::recv(fd, got.data(), got.size(), MSG_WAITALL), ssize_t(msg.size()));
  EXPECT_EQ(got, msg);

  // logrotate: move the file away, SIGHUP, and the next lines land in a new file.
  ASSERT_EQ(::rename(log.c_str(), (log + ".1").c_str()), 0);
  kill(pid, SIGHUP);
  std::this_thread::sleep_for(200ms);
  kill(pid, SIGTERM);  // with a connection still open: it is idle, so it is closed
  char c;
  EXPECT_EQ(::recv(fd, &c, 1, 0), 0);  // the server closed it
  ::close(fd);
  EXPECT_EQ(wait_exit(pid, 5000ms), 0);
  EXPECT_NE(slurp(log).find("stopped"), std::string::npos) << "new log: " << slurp(log);
  EXPECT_NE(slurp(log + ".1").find("backend " + GetParam()), std::string::npos) << slurp(log + ".1");
}

INSTANTIATE_TEST_SUITE_P(Backends, ServeTest, ::testing::Values("io_uring", "epoll"));

TEST(Serve, BadConfigExitsTwoNamingKeyAndLine) {
  std::string dir = temp_dir();
  std::string cfg = dir + "/bad.json";
  std::ofstream(cfg) << "{\n  \"shards\": 1,\n  \"colour\": \"blue\"\n}\n";
  pid_t pid = spawn({"serve", "--config", cfg}, dir + "/stderr");
  EXPECT_EQ(wait_exit(pid, 5000ms), 2);
  std::string err = slurp(dir + "/stderr");
  EXPECT_NE(err.find("colour"), std::string::npos) << err;
  EXPECT_NE(err.find(":3:"), std::string::npos) << err;
}

TEST(Serve, PortInUseIsAClearErrorNotAHang) {
  std::string dir = temp_dir();
  int holder = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&a), len), 0);  // no SO_REUSEPORT
  ASSERT_EQ(::listen(holder, 1), 0);
  getsockname(holder, reinterpret_cast<sockaddr*>(&a), &len);
  std::string cfg = dir + "/c.json";
  std::ofstream(cfg) << "{ \"shards\": 1, \"echo\": { \"listen\": [\"127.0.0.1:" << ntohs(a.sin_port) << "\"] } }\n";
  pid_t pid = spawn({"serve", "--config", cfg}, dir + "/stderr");
  EXPECT_EQ(wait_exit(pid, 5000ms), 1);
  EXPECT_NE(slurp(dir + "/stderr").find("in use"), std::string::npos) << slurp(dir + "/stderr");
  ::close(holder);
}

// As nginx does: bind as root, then run as the configured user. CI runs as root; as
// another user this checks that "user" is ignored with a warning instead.
TEST(Serve, DropsPrivilegesAfterBinding) {
  std::string dir = temp_dir();
  ::chmod(dir.c_str(), 0755);
  uint16_t port = free_port();
  std::string cfg = dir + "/c.json";
  std::ofstream(cfg) << "{ \"shards\": 2, \"user\": \"nobody\", \"echo\": { \"listen\": [\"127.0.0.1:" << port
                     << "\"] } }\n";
  pid_t pid = spawn({"serve", "--config", cfg}, dir + "/stderr");
  int fd = connect_retry(port);
  ASSERT_GE(fd, 0) << slurp(dir + "/stderr");
  ASSERT_EQ(::send(fd, "x", 1, 0), 1);
  char c = 0;
  ASSERT_EQ(::recv(fd, &c, 1, 0), 1);
  std::string status = slurp("/proc/" + std::to_string(pid) + "/status");
  kill(pid, SIGTERM);
  ::close(fd);
  EXPECT_EQ(wait_exit(pid, 5000ms), 0);
  if (geteuid() == 0) {
    // Real, effective, saved and filesystem uid all 65534 (nobody).
    EXPECT_NE(status.find("Uid:\t65534\t65534\t65534\t65534"), std::string::npos) << status;
  } else {
    EXPECT_NE(slurp(dir + "/stderr").find("ignored"), std::string::npos) << slurp(dir + "/stderr");
  }
}

// Every registered service has its `serve <name>` verb with the flags its Definition declares.
TEST(Serve, ServeEchoFromFlagsOnly) {
  std::string dir = temp_dir();
  uint16_t port = free_port();
  pid_t pid = spawn({"serve", "echo", "--listen", "127.0.0.1:" + std::to_string(port), "--shards", "1"},
                    dir + "/stderr");
  int fd = connect_retry(port);
  ASSERT_GE(fd, 0) << slurp(dir + "/stderr");
  ASSERT_EQ(::send(fd, "ping", 4, 0), 4);
  char buf[4] = {};
  ASSERT_EQ(::recv(fd, buf, 4, MSG_WAITALL), 4);
  EXPECT_EQ(std::string(buf, 4), "ping");
  kill(pid, SIGTERM);
  ::close(fd);
  EXPECT_EQ(wait_exit(pid, 5000ms), 0);
  const std::string err = slurp(dir + "/stderr");
  EXPECT_NE(err.find("echo on 127.0.0.1:" + std::to_string(port)), std::string::npos) << err;
  EXPECT_EQ(err.find("http"), std::string::npos) << "only echo runs: " << err;
}

TEST(Serve, BadServiceFlagExitsTwo) {
  std::string dir = temp_dir();
  pid_t pid = spawn({"serve", "echo", "--listen", "nohost"}, dir + "/stderr");
  EXPECT_EQ(wait_exit(pid, 5000ms), 2);
  EXPECT_NE(slurp(dir + "/stderr").find("--listen nohost: not HOST:PORT"), std::string::npos) << slurp(dir + "/stderr");
  pid = spawn({"serve", "dns", "--zone", "nofile"}, dir + "/stderr2");
  EXPECT_EQ(wait_exit(pid, 5000ms), 2);
  EXPECT_NE(slurp(dir + "/stderr2").find("--zone nofile: not NAME=FILE"), std::string::npos) << slurp(dir + "/stderr2");
  pid = spawn({"serve", "http", "--listen", "localhost:80"}, dir + "/stderr3");  // must be numeric to bind
  EXPECT_EQ(wait_exit(pid, 5000ms), 2);
  EXPECT_NE(slurp(dir + "/stderr3").find("--listen localhost:80: not HOST:PORT"), std::string::npos) << slurp(dir + "/stderr3");
  pid = spawn({"serve", "dns", "--zone", "a.test=f", "--notify", "x"}, dir + "/stderr4");
  EXPECT_EQ(wait_exit(pid, 5000ms), 2);
  EXPECT_NE(slurp(dir + "/stderr4").find("--notify x: not HOST:PORT"), std::string::npos) << slurp(dir + "/stderr4");
}

TEST(Version, ListsBackends) {
  std::string dir = temp_dir();
  pid_t pid = spawn({"version"}, dir + "/out");
  EXPECT_EQ(wait_exit(pid, 5000ms), 0);
  std::string out = slurp(dir + "/out");
  EXPECT_NE(out.find("io_uring"), std::string::npos) << out;
  EXPECT_NE(out.find("epoll"), std::string::npos) << out;
  EXPECT_NE(out.find("mimalloc"), std::string::npos) << out;
}

}  // namespace
