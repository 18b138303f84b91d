// A service under test on one shard on its own thread, once per backend:
//   class EchoTest : public zp::test::ServiceFixture {};
//   TEST_P(EchoTest, EchoesBytes) {
//     start_service([](zp::Shard& s, uint16_t port) {
//       return bool(zp::echo::start(s, {"127.0.0.1:" + std::to_string(port)}));
//     });
//     ... connect to port_ ...
//   }
//   INSTANTIATE_TEST_SUITE_P(Backends, EchoTest, ::testing::ValuesIn(zp::test::all_backends()),
//                            zp::test::param_name);
// Needs engine_test_util.{h,cpp} (tests/unit/engine) for the backends.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <thread>

#include "engine_test_util.h"
#include "test_net.h"

namespace zp::test {

class ServiceFixture : public ::testing::TestWithParam<BackendParam> {
 protected:
  void TearDown() override { stop_service(); }

  // Starts `start(shard, port)` on a fresh loopback port on the shard's own thread. A port
  // taken meanwhile by someone else (start returns false) is retried with another, 5 times.
  void start_service(std::function<bool(Shard&, uint16_t port)> start) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = free_port();
      std::promise<bool> started;
      auto f = started.get_future();
      may_destroy_.store(false);
      thread_ = std::thread([this, &started, &start] {
        auto shard = make_shard(GetParam());
        if (!shard || !start(*shard, port_)) {
          started.set_value(false);
          return;
        }
        shard_.store(shard.get());
        started.set_value(true);
        shard->run();
        // request_stop() may still be inside its wake-up write: destroy the shard only once
        // stop_service() says it returned (else TSan sees the eventfd closed under it).
        while (!may_destroy_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        shard_.store(nullptr);
      });
      if (f.get()) return;
      thread_.join();  // the port was taken meanwhile: try another
    }
    FAIL() << "the service did not start";
  }

  void stop_service() {
    if (!thread_.joinable()) return;
    // The shard pointer is published before run(); request_stop is thread-safe.
    while (!shard_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    shard_.load()->request_stop(0);
    may_destroy_.store(true);
    thread_.join();
  }

  uint16_t port_ = 0;
  // The running shard (only its thread-safe calls: request_stop, request_reload, post_external).
  std::atomic<Shard*> shard_{nullptr};

 private:
  std::thread thread_;
  std::atomic<bool> may_destroy_{false};
};

}  // namespace zp::test
