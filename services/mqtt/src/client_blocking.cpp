// The blocking API: publish_once and subscribe_blocking on a private one-shard engine.
#include <chrono>

#include "zp/engine/private_shard.h"
#include "zp/mqtt/client.h"

namespace zp::mqtt {

namespace {

Task<Result<void>> publish_task(std::string host_port, std::string topic, std::string payload, std::uint8_t qos,
                                bool retain, ClientOptions options) {
  auto c = co_await Client::connect(std::move(host_port), std::move(options));
  if (!c) co_return c.error();
  auto r = co_await c->publish(std::move(topic), std::move(payload), qos, retain);
  if (!r) co_return r;
  co_return co_await c->disconnect();
}

Task<Result<std::size_t>> subscribe_task(std::string host_port, std::vector<SubscribeSpec> filters,
                                         const std::function<bool(const Message&)>* on_message, ClientOptions options,
                                         const std::function<void()>* on_subscribed) {
  auto c = co_await Client::connect(std::move(host_port), std::move(options));
  if (!c) co_return c.error();
  for (const auto& f : filters) {
    auto g = co_await c->subscribe(f.filter, f.qos);
    if (!g) co_return g.error();
  }
  if (*on_subscribed) (*on_subscribed)();
  std::size_t n = 0;
  for (;;) {
    auto m = co_await c->next_message();
    if (!m) co_return m.error();
    ++n;
    if (!(*on_message)(*m)) break;
  }
  (void)co_await c->disconnect();
  co_return n;
}

}  // namespace

Result<void> publish_once(const std::string& host_port, const std::string& topic, const std::string& payload,
                          std::uint8_t qos, bool retain, const ClientOptions& options) {
  return run_on_private_shard<void>([&] { return publish_task(host_port, topic, payload, qos, retain, options); });
}

Result<std::size_t> subscribe_blocking(const std::string& host_port, const std::vector<SubscribeSpec>& filters,
                                       const std::function<bool(const Message&)>& on_message,
                                       const ClientOptions& options, std::int64_t timeout_ms,
                                       const std::function<void()>& on_subscribed) {
  return run_on_private_shard<std::size_t>([&]() -> Task<Result<std::size_t>> {
    auto t = subscribe_task(host_port, filters, &on_message, options, &on_subscribed);
    if (timeout_ms <= 0) return t;
    return with_timeout(std::chrono::milliseconds(timeout_ms), std::move(t));
  });
}

}  // namespace zp::mqtt
