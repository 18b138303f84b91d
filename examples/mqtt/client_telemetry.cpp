// Example: the MQTT client inside an application's own engine loop. Shows: a broker and two
// clients on one shard (a telemetry publisher at QoS 1 and a dashboard subscribed at QoS 1
// with a wildcard), awaiting PUBACK per message, an MQTT 5 session with an assigned client
// id, a retained "last value", and errors as values (a topic with a wildcard is refused by
// the client before anything is sent).
#include <cstdio>
#include <string>

#include "../common/free_port.h"
#include "zp/engine/runtime.h"
#include "zp/mqtt/broker.h"
#include "zp/mqtt/client.h"

namespace {

zp::Task<void> app(zp::Runtime& rt, std::string addr) {
  zp::mqtt::ClientOptions dash_opts;
  dash_opts.version = zp::codec::mqtt::Version::v5;  // empty client id: the broker assigns one
  auto dash = co_await zp::mqtt::Client::connect(addr, dash_opts);
  zp::mqtt::ClientOptions sensor_opts;
  sensor_opts.client_id = "sensor-1";
  auto sensor = co_await zp::mqtt::Client::connect(addr, sensor_opts);
  if (!dash || !sensor) {
    std::printf("connect failed\n");
    rt.stop();
    co_return;
  }
  std::printf("dashboard connected as %s\n", dash->client_id().starts_with("zp-") ? "an assigned id" : "?");
  auto granted = co_await dash->subscribe("plant/+/temp", 1);
  std::printf("subscribed, granted QoS %u\n", granted ? unsigned(*granted) : 9u);

  for (int i = 0; i < 3; ++i) {
    auto sent = co_await sensor->publish("plant/oven/temp", std::to_string(200 + i * 5), 1, /*retain=*/i == 2);
    std::printf("published %d (%s)\n", 200 + i * 5, sent ? "acknowledged" : sent.error().message().c_str());
  }
  for (int i = 0; i < 3; ++i) {
    auto m = co_await dash->next_message();
    if (!m) break;
    std::printf("dashboard: %s = %s (qos %u)\n", m->topic.c_str(), m->payload.c_str(), m->qos);
  }
  auto bad = co_await sensor->publish("plant/#", "x");
  std::printf("publish to plant/#: %s\n", bad ? "sent?" : "refused by the client");

  // A late subscriber gets the retained last value at once.
  zp::mqtt::ClientOptions late_opts;
  late_opts.client_id = "late";
  auto late = co_await zp::mqtt::Client::connect(addr, late_opts);
  if (late && co_await late->subscribe("plant/oven/temp", 0)) {
    auto m = co_await late->next_message();
    if (m) std::printf("late subscriber: %s (retained %d)\n", m->payload.c_str(), m->retain);
    (void)co_await late->disconnect();
  }
  (void)co_await sensor->disconnect();
  (void)co_await dash->disconnect();
  rt.stop();
}

}  // namespace

int main() {
  zp::RuntimeOptions o;
  o.shards = 1;
  o.pin_threads = false;
  o.handle_signals = false;
  zp::Runtime rt(o);
  zp::mqtt::Broker broker(o.shards);
  const std::string addr = "127.0.0.1:" + std::to_string(example::free_loopback_port());
  auto r = rt.run([&](zp::Shard& s) -> zp::Result<void> {
    if (auto st = broker.start(s, {addr}); !st) return st;
    auto h = s.spawn(app(rt, addr));
    if (!h) return h.error();
    return {};
  });
  if (!r) return std::fprintf(stderr, "runtime: %s\n", r.error().message().c_str()), 1;
  std::printf("stopped cleanly\n");
  return 0;
}
