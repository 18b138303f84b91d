#include "zp/engine/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_log_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/zproto.log";
  }
  void TearDown() override {
    zp::log::shutdown();
    std::remove(path_.c_str());
    std::remove((path_ + ".1").c_str());
    ::rmdir(dir_.c_str());
  }
  std::string dir_;
  std::string path_;
};

TEST(LogLevel, ParseAndName) {
  EXPECT_EQ(zp::log::parse_level("trace"), zp::log::Level::trace);
  EXPECT_EQ(zp::log::parse_level("warn"), zp::log::Level::warn);
  EXPECT_EQ(zp::log::parse_level("off"), zp::log::Level::off);
  EXPECT_EQ(zp::log::parse_level("WARN"), std::nullopt);
  EXPECT_EQ(zp::log::parse_level("warning"), std::nullopt);
  EXPECT_EQ(zp::log::level_name(zp::log::Level::error), "error");
}

TEST(LogBeforeInit, GoesToStderr) {
  EXPECT_FALSE(zp::log::set_level(zp::log::Level::debug));
  EXPECT_EQ(zp::log::level(), zp::log::Level::info);
  testing::internal::CaptureStderr();
  ZP_LOG_INFO("before init {}", 42);
  ZP_LOG_DEBUG("not shown");
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("INFO  ["), std::string::npos) << err;
  EXPECT_NE(err.find("before init 42\n"), std::string::npos) << err;
  EXPECT_EQ(err.find("not shown"), std::string::npos) << err;
}

TEST_F(LogTest, WritesPrefixedLinesToFile) {
  ASSERT_TRUE(zp::log::init({.level = zp::log::Level::info, .path = path_}).ok());
  EXPECT_EQ(zp::log::init({}).error(), std::errc::connection_already_in_progress);
  zp::log::set_thread_tag("shard 7");
  ZP_LOG_INFO("listening on {}", "127.0.0.1:7007");
  ZP_LOG_ERROR("boom {}", 1);
  zp::log::shutdown();
  const std::string text = read_file(path_);
  // 2024-05-01T12:34:56.789Z INFO  [shard 7] listening on 127.0.0.1:7007
  const std::string_view rest = " INFO  [shard 7] listening on 127.0.0.1:7007\n";
  ASSERT_GE(text.size(), 24 + rest.size());
  const std::string_view head(text.data(), 24);
  for (size_t i = 0; i < head.size(); ++i) {
    const char want = "dddd-dd-ddTdd:dd:dd.dddZ"[i];
    if (want == 'd') EXPECT_TRUE(head[i] >= '0' && head[i] <= '9') << text;
    else EXPECT_EQ(head[i], want) << text;
  }
  EXPECT_EQ(std::string_view(text).substr(24, rest.size()), rest) << text;
  EXPECT_NE(text.find("ERROR [shard 7] boom 1\n"), std::string::npos) << text;
}

TEST_F(LogTest, LevelFilteringSkipsArgumentEvaluation) {
  ASSERT_TRUE(zp::log::init({.level = zp::log::Level::warn, .path = path_}).ok());
  int evaluated = 0;
  auto arg = [&] { return ++evaluated; };
  ZP_LOG_INFO("hidden {}", arg());
  EXPECT_EQ(evaluated, 0);
  EXPECT_FALSE(zp::log::enabled(zp::log::Level::info));
  ASSERT_TRUE(zp::log::set_level(zp::log::Level::debug));
  ZP_LOG_DEBUG("shown {}", arg());
  zp::log::trace("trace hidden");
  zp::log::warn("function form {}", "works");
  EXPECT_EQ(evaluated, 1);
  zp::log::shutdown();
  const std::string text = read_file(path_);
  EXPECT_EQ(text.find("hidden 1"), std::string::npos) << text;
  EXPECT_NE(text.find("shown 1"), std::string::npos) << text;
  EXPECT_EQ(text.find("trace hidden"), std::string::npos) << text;
  EXPECT_NE(text.find("WARN "), std::string::npos) << text;
  EXPECT_NE(text.find("function form works"), std::string::npos) << text;
}

TEST_F(LogTest, ManyThreadsNoLinesLostWithRoom) {
  ASSERT_TRUE(zp::log::init({.level = zp::log::Level::info, .path = path_,
                             .ring_bytes = 1 << 20}).ok());
  constexpr int kThreads = 4, kLines = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      zp::log::set_thread_tag(fmt::format("shard {}", t));
      for (int i = 0; i < kLines; ++i) ZP_LOG_INFO("line {} {}", t, i);
    });
  }
  for (auto& th : threads) th.join();  // rings of exited threads are still drained
  zp::log::shutdown();
  const std::string text = read_file(path_);
  EXPECT_EQ(count(text, "] line "), size_t(kThreads * kLines));
  EXPECT_NE(text.find("[shard 3] line 3 499\n"), std::string::npos);
}

TEST_F(LogTest, FullRingDropsAndCounts) {
  ASSERT_TRUE(zp::log::init({.level = zp::log::Level::info, .path = path_, .ring_bytes = 4096,
                             .flush_interval_ms = 1000}).ok());
  constexpr size_t kLines = 20000;
  const std::string pad(300, 'x');
  for (size_t i = 0; i < kLines; ++i) ZP_LOG_INFO("payload {} {}", i, pad);
  const uint64_t dropped = zp::log::dropped_lines();
  EXPECT_GT(dropped, 0u);
  zp::log::shutdown();
  const std::string text = read_file(path_);
  EXPECT_EQ(count(text, "] payload ") + dropped, kLines);
  EXPECT_NE(text.find("log lines dropped"), std::string::npos);
}

TEST_F(LogTest, LongLinesAreTruncated) {
  ASSERT_TRUE(zp::log::init({.level = zp::log::Level::info, .path = path_,
                             .max_line_bytes = 200}).ok());
  ZP_LOG_INFO("{}", std::string(1000, 'y'));
  zp::log::shutdown();
  const std::string text = read_file(path_);
  EXPECT_EQ(text.size(), 200u) << text;
  EXPECT_EQ(text.substr(text.size() - 4), "...\n");
}

TEST_F(LogTest, ReopenFollowsRename) {
  ASSERT_TRUE(zp::log::init({.level = zp::log::Level::info, .path = path_,
                             .flush_interval_ms = 5}).ok());
  ZP_LOG_INFO("first file");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (read_file(path_).find("first file") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_EQ(std::rename(path_.c_str(), (path_ + ".1").c_str()), 0);
  zp::log::reopen();
  while (::access(path_.c_str(), F_OK) != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ZP_LOG_INFO("second file");
  zp::log::shutdown();
  EXPECT_NE(read_file(path_ + ".1").find("first file"), std::string::npos);
  EXPECT_EQ(read_file(path_ + ".1").find("second file"), std::string::npos);
  EXPECT_NE(read_file(path_).find("second file"), std::string::npos);
}

TEST_F(LogTest, UnopenableFileFallsBackToStderr) {
  auto r = zp::log::init({.level = zp::log::Level::info, .path = dir_ + "/no/such/dir/x.log"});
  EXPECT_EQ(r.error(), std::errc::no_such_file_or_directory);
  zp::log::shutdown();
}

TEST_F(LogTest, ReinitAfterShutdown) {
  ASSERT_TRUE(zp::log::init({.level = zp::log::Level::info, .path = path_}).ok());
  ZP_LOG_INFO("one");
  zp::log::shutdown();
  ASSERT_TRUE(zp::log::init({.level = zp::log::Level::info, .path = path_}).ok());
  ZP_LOG_INFO("two");  // this thread's ring from the first logger must not be reused
  zp::log::shutdown();
  const std::string text = read_file(path_);
  EXPECT_NE(text.find("] one\n"), std::string::npos);
  EXPECT_NE(text.find("] two\n"), std::string::npos);
}

}  // namespace
