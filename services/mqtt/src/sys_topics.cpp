// $SYS/broker/...: the broker's counters as retained messages, published by shard 0 every
// sys_interval_s (mosquitto's topics where it has them), so any MQTT client can watch them.
#include <chrono>
#include <string>

#include "shard_broker.h"

namespace zp::mqtt::detail {

void ShardBroker::start_sys_topics() {
  // The wall clock: during setup the shard's clock has not started to tick yet.
  started_ = std::chrono::steady_clock::now();
  if (id_ != 0 || opts.sys_interval_s == 0) return;
  sys_timer_.arg = this;
  sys_timer_.fire = [](Timer* t) {
    auto* self = static_cast<ShardBroker*>(t->arg);
    if (self->stopping_) return;
    self->publish_sys_topics();
    self->shard_->timers().add(self->sys_timer_, self->shard_->now_ms() + std::int64_t(self->opts.sys_interval_s) * 1000);
  };
  shard_->timers().add(sys_timer_, shard_->now_ms());
}

void ShardBroker::publish_sys_topics() {
  auto publish_text = [this](std::string topic, std::string text) {
    auto m = std::make_shared<Message>();
    m->topic = std::move(topic);
    m->payload.resize(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) m->payload[i] = std::byte(text[i]);
    m->retain = true;
    m->origin_shard = id_;
    publish(m);
  };
  if (sys_last_.empty()) publish_text("$SYS/broker/version", "zproto " ZP_VERSION);
  const BrokerTotals t = group_.totals();
  std::size_t i = 0;
  const bool first = sys_last_.empty();
  BrokerTotals::each(
      [&](const CounterInfo& info, const std::uint64_t& v) {
        if (first) sys_last_.push_back(~v);
        // Only what changed: each publish is a retained update on every shard.
        if (sys_last_[i] != v) publish_text(std::string("$SYS/broker/") + info.sys, std::to_string(v));
        sys_last_[i++] = v;
      },
      t);
  const auto up = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
  publish_text("$SYS/broker/uptime", std::to_string(up.count()) + " seconds");
  flush_all();
}

}  // namespace zp::mqtt::detail
