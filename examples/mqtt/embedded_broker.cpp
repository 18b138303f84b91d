// Example: the MQTT broker inside your own program, on two shards. Shows: zp::mqtt::Broker
// made before the runtime (one part per shard), started on each shard with its own listener,
// a subscriber and a publisher written with the codec straight on the engine's Stream (one on
// each shard, so every message crosses shards), and the broker's counters afterwards.
#include <cstdio>
#include <utility>
#include <string>
#include <vector>

#include "../common/free_port.h"
#include "zp/codec/mqtt/packet.h"
#include "zp/engine/net.h"
#include "zp/engine/runtime.h"
#include "zp/mqtt/broker.h"

namespace cm = zp::codec::mqtt;

namespace {

// Sends one packet.
template <class P>
zp::Task<bool> send(zp::Stream& s, const P& p) {
  cm::Packet pkt;
  pkt.body = p;
  std::vector<std::byte> out(256);
  auto n = cm::serialize(pkt, cm::Version::v311, out);
  if (!n) co_return false;
  auto w = co_await s.send(std::span(out).first(*n));
  co_return w.ok();
}

// A connection's received bytes; the packet parsed last stays at the front (its views
// point into it) until the next read.
struct Inbox {
  std::vector<std::byte> bytes;
  std::size_t used = 0;
};

// Reads until one whole packet is there.
zp::Task<bool> recv(zp::Stream& s, Inbox& in, cm::Packet& p) {
  std::vector<std::byte>& buf = in.bytes;
  buf.erase(buf.begin(), buf.begin() + std::ptrdiff_t(std::exchange(in.used, 0)));
  cm::Subscription subs[1];
  std::string_view filters[1];
  const cm::Scratch scratch{subs, filters};
  for (;;) {
    auto r = cm::parse_packet(buf, cm::Version::v311, cm::Limits{}, p, scratch);
    if (r.error != cm::Errc::ok) co_return false;
    if (!r.need_more()) {
      in.used = r.consumed;
      co_return true;
    }
    auto got = co_await s.recv();
    if (!got || got->eof()) co_return false;
    buf.insert(buf.end(), got->bytes().begin(), got->bytes().end());
  }
}

zp::Task<void> demo(zp::Runtime& rt, std::uint16_t port0, std::uint16_t port1) {
  auto addr = [](std::uint16_t port) { return *zp::SocketAddr::parse("127.0.0.1:" + std::to_string(port)); };
  auto sub = co_await zp::Stream::connect(addr(port1));  // lives on shard 1
  auto pub = co_await zp::Stream::connect(addr(port0));  // lives on shard 0
  if (!sub || !pub) {
    std::printf("connect failed\n");
    rt.stop();
    co_return;
  }
  Inbox sbuf, pbuf;
  cm::Packet p;
  co_await send(*sub, cm::Connect{.client_id = "display"});
  co_await recv(*sub, sbuf, p);
  cm::Subscription want{.filter = "sensors/+/temp", .qos = 1};
  co_await send(*sub, cm::Subscribe{.packet_id = 1, .subscriptions = std::span(&want, 1)});
  co_await recv(*sub, sbuf, p);  // SUBACK: shard 0 knows of the filter by now
  std::printf("subscribed to sensors/+/temp on shard 1\n");

  co_await send(*pub, cm::Connect{.client_id = "sensor"});
  co_await recv(*pub, pbuf, p);
  const char* readings[] = {"20.5", "21.0", "21.5"};
  for (std::uint16_t i = 0; i < 3; ++i) {
    std::string_view v = readings[i];
    co_await send(*pub, cm::Publish{.qos = 1, .topic = "sensors/k1/temp", .packet_id = std::uint16_t(i + 1),
                                    .payload = std::as_bytes(std::span(v.data(), v.size()))});
    co_await recv(*pub, pbuf, p);  // PUBACK
  }
  std::printf("published 3 readings at QoS 1 on shard 0\n");
  for (int i = 0; i < 3; ++i) {
    if (!co_await recv(*sub, sbuf, p)) break;
    const auto& m = std::get<cm::Publish>(p.body);
    std::printf("got %.*s = %.*s (qos %u)\n", int(m.topic.size()), m.topic.data(), int(m.payload.size()),
                reinterpret_cast<const char*>(m.payload.data()), m.qos);
    co_await send(*sub, cm::Ack{.type = cm::PacketType::puback, .packet_id = m.packet_id});
  }
  rt.stop();
}

}  // namespace

int main() {
  zp::RuntimeOptions o;
  o.shards = 2;
  o.pin_threads = false;  // an example shares the machine with everything else
  o.handle_signals = false;
  zp::Runtime rt(o);
  zp::mqtt::Broker broker(o.shards);  // outlives the runtime
  const std::uint16_t ports[2] = {example::free_loopback_port(), example::free_loopback_port()};
  auto r = rt.run([&](zp::Shard& s) -> zp::Result<void> {
    if (auto st = broker.start(s, {"127.0.0.1:" + std::to_string(ports[s.id()])}); !st) return st;
    if (s.id() != 0) return {};
    auto h = s.spawn(demo(rt, ports[0], ports[1]));
    if (!h) return h.error();
    return {};
  });
  if (!r) return std::fprintf(stderr, "runtime: %s\n", r.error().message().c_str()), 1;
  const auto t = broker.totals();
  std::printf("broker: %llu publishes in, %llu out, %llu cross-shard batches\n", (unsigned long long)t.publish_in,
              (unsigned long long)t.publish_out, (unsigned long long)(t.cross_shard_batches > 0 ? 1 : 0));
  return 0;
}
