// A Runtime on its own thread, for tests that run servers and talk to them with blocking
// clients: start() returns once every shard's setup ran, stop() ends it and joins.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <thread>

#include "zp/engine/runtime.h"

namespace zp::test {

class RuntimeThread {
 public:
  RuntimeThread() = default;
  RuntimeThread(const RuntimeThread&) = delete;
  RuntimeThread& operator=(const RuntimeThread&) = delete;
  ~RuntimeThread() { stop(); }

  // Runs setup on every shard of a runtime with options o (after_setup is ours); false when
  // the shards were not set up within 10 s.
  bool start(RuntimeOptions o, std::function<Result<void>(Shard&)> setup) {
    auto ready = std::make_shared<std::promise<void>>();
    auto started = ready->get_future();
    o.handle_signals = false;
    o.after_setup = [ready]() -> Result<void> {
      ready->set_value();
      return {};
    };
    rt_ = std::make_unique<Runtime>(o);
    thread_ = std::thread([this, setup = std::move(setup), ready] {
      result_ = rt_->run(setup);
      // A setup that failed never reaches after_setup: let start() return.
      if (!result_) {
        failed_ = true;
        try {
          ready->set_value();
        } catch (const std::future_error&) {
        }
      }
    });
    return started.wait_for(std::chrono::seconds(10)) == std::future_status::ready && !failed_;
  }
  // Stops the runtime and joins it; its result is expected to be success.
  void stop() {
    if (!thread_.joinable()) return;
    rt_->stop();
    thread_.join();
    EXPECT_TRUE(result_) << result_.error().message();
  }
  bool running() const { return thread_.joinable(); }

 private:
  std::unique_ptr<Runtime> rt_;
  std::thread thread_;
  Result<void> result_;  // written by the runtime's thread when run() returns; read after join
  std::atomic<bool> failed_{false};
};

}  // namespace zp::test
