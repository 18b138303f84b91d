// The logger when things go wrong: a bad runtime format string becomes a marked line (vwrite
// never throws), and a reopen that cannot open the file (its directory is gone) is reported
// in the file still open, which keeps receiving lines.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "zp/engine/log.h"

namespace {

std::string read_fd(int fd) {
  std::string out;
  char buf[4096];
  for (off_t at = 0;;) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n <= 0) break;
    out.append(buf, size_t(n));
    at += n;
  }
  return out;
}

class LogFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_log_failure_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    zp::log::shutdown();
    std::remove((dir_ + "/sub/x.log").c_str());
    ::rmdir((dir_ + "/sub").c_str());
    std::remove((dir_ + "/x.log").c_str());
    ::rmdir(dir_.c_str());
  }
  std::string dir_;
};

TEST_F(LogFailureTest, BadFormatStringIsMarkedNotThrown) {
  const std::string path = dir_ + "/x.log";
  ASSERT_TRUE(zp::log::init({.level = zp::log::Level::info, .path = path}).ok());
  const std::string name = "text";
  zp::log::vwrite(zp::log::Level::warn, "count {:d} of {}", fmt::make_format_args(name));
  ZP_LOG_INFO("after {}", 1);
  zp::log::shutdown();
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  EXPECT_NE(text.find("WARN"), std::string::npos) << text;
  EXPECT_NE(text.find("<log format error: "), std::string::npos) << text;
  EXPECT_NE(text.find("> count {:d} of {}\n"), std::string::npos) << text;  // the format, unformatted
  EXPECT_NE(text.find("] after 1\n"), std::string::npos) << text;
}

TEST_F(LogFailureTest, ReopenFailureIsReportedInTheOpenFile) {
  const std::string sub = dir_ + "/sub", path = sub + "/x.log";
  ASSERT_EQ(::mkdir(sub.c_str(), 0700), 0);
  ASSERT_TRUE(zp::log::init({.level = zp::log::Level::info, .path = path, .flush_interval_ms = 5}).ok());
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);  // outlives the unlink
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::unlink(path.c_str()), 0);
  ASSERT_EQ(::rmdir(sub.c_str()), 0);
  zp::log::reopen();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string text;
  while ((text = read_fd(fd)).find("cannot reopen log file") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // polling the file, not a sync
  }
  EXPECT_NE(text.find("ERROR"), std::string::npos) << text;
  EXPECT_NE(text.find("cannot reopen log file " + path + ": No such file or directory"), std::string::npos)
      << text;
  ZP_LOG_INFO("still logging");
  zp::log::shutdown();
  EXPECT_NE(read_fd(fd).find("] still logging\n"), std::string::npos);
  ::close(fd);
}

}  // namespace
