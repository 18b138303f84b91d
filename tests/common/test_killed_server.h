// A fixture base for the kill -9 tests of the zproto binary: a temporary folder, the server
// started (again) on one port with a log per run, SIGKILL, and a clean stop at the end. The
// test's parameter is the I/O backend; serve_args() says what to serve.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "test_files.h"
#include "test_net.h"
#include "test_process.h"

namespace zp::test {

class KilledServerTest : public ::testing::TestWithParam<std::string> {
 protected:
  // The arguments after `zproto serve`, for `port` (the backend is added).
  virtual std::vector<std::string> serve_args(std::uint16_t port) const = 0;

  void SetUp() override {
    std::string tmpl = "/tmp/zp_killed_server.XXXXXX";
    dir_ = mkdtemp(tmpl.data());
  }
  void TearDown() override {
    using namespace std::chrono_literals;
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      EXPECT_EQ(wait_exit(pid_, 10s), 0) << slurp(log());
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path log() const { return dir_ / ("server" + std::to_string(runs_) + ".log"); }
  // Starts the server, on the same port as before when it is free again.
  void start() {
    pid_ = -1;
    ++runs_;
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
      if (port_ == 0 || attempt > 0) port_ = free_port();
      std::vector<std::string> args{ZPROTO_BIN, "serve"};
      for (auto& a : serve_args(port_)) args.push_back(std::move(a));
      args.insert(args.end(), {"--backend", GetParam()});
      pid_ = spawn_listening(args, log().string(), port_);
    }
    ASSERT_GT(pid_, 0) << slurp(log());
  }
  void kill9() {
    using namespace std::chrono_literals;
    ASSERT_EQ(kill(pid_, SIGKILL), 0);
    EXPECT_EQ(wait_exit(pid_, 10s), 128 + SIGKILL);
    pid_ = -1;
  }

  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  int runs_ = 0;
};

}  // namespace zp::test
