// A broker on N shards running in a thread, for the broker tests on every backend: each
// shard listens on its own port, so a test knows where each of its clients lives.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "../../common/test_net.h"
#include "engine_test_util.h"
#include "runtime_thread.h"
#include "zp/engine/runtime.h"
#include "zp/mqtt/broker.h"

namespace zp::test::mqtt {

class BrokerFixture : public ::testing::TestWithParam<test::BackendParam> {
 protected:
  void start(unsigned shards, zp::mqtt::BrokerOptions opts = {}, std::uint32_t inbox_capacity = 0) {
    using namespace std::chrono_literals;
    broker_ = std::make_unique<zp::mqtt::Broker>(shards, opts);
    for (unsigned i = 0; i < shards; ++i) ports_.push_back(test::free_port());
    RuntimeOptions o;
    o.shards = shards;
    o.backend = GetParam().kind;
    if (GetParam().faults) o.faults = FaultOptions::from_env();
    o.drain_timeout = 1000ms;
    if (inbox_capacity) o.shard_options.inbox_capacity = inbox_capacity;
    ASSERT_TRUE(rt_.start(o, [this](Shard& s) { return broker_->start(s, {"127.0.0.1:" + std::to_string(ports_[s.id()])}); }));
  }
  void TearDown() override { rt_.stop(); }
  std::uint16_t port(unsigned shard = 0) const { return ports_[shard]; }
  zp::mqtt::BrokerTotals totals() const { return broker_->totals(); }

  std::unique_ptr<zp::mqtt::Broker> broker_;
  std::vector<std::uint16_t> ports_;
  test::RuntimeThread rt_;  // last: stopped before the broker goes
};

}  // namespace zp::test::mqtt
