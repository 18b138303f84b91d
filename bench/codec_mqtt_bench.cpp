// codecs/mqtt: varint decode/encode, topic checks and matching, packet parse and serialize.
#include <benchmark/benchmark.h>

#include <array>
#include <vector>

#include "zp/codec/mqtt/encoding.h"
#include "zp/codec/mqtt/packet.h"

namespace mqtt = zp::codec::mqtt;

static void BM_DecodeVarint(benchmark::State& st) {
  const std::array<std::byte, 4> in{std::byte{0xFF}, std::byte{0xFF}, std::byte{0x7F}, std::byte{0}};
  for (auto _ : st) benchmark::DoNotOptimize(mqtt::decode_varint(in));
}
BENCHMARK(BM_DecodeVarint);

static void BM_EncodeVarint(benchmark::State& st) {
  std::array<std::byte, 4> out{};
  std::uint32_t v = 2'000'000;
  for (auto _ : st) {
    benchmark::DoNotOptimize(mqtt::encode_varint(v, out));
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_EncodeVarint);

static void BM_CheckTopicName(benchmark::State& st) {
  for (auto _ : st) benchmark::DoNotOptimize(mqtt::check_topic_name("sensors/building-7/floor-3/room-12/temperature", {}));
}
BENCHMARK(BM_CheckTopicName);

static void BM_TopicMatches(benchmark::State& st) {
  for (auto _ : st) benchmark::DoNotOptimize(mqtt::topic_matches("sensors/+/floor-3/+/#", "sensors/building-7/floor-3/room-12/temperature"));
}
BENCHMARK(BM_TopicMatches);

// ---- packets ----

namespace {

std::vector<std::byte> hex_bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(static_cast<std::byte>(b));
  return out;
}

std::vector<std::byte> publish_packet(mqtt::Version v, std::size_t payload) {
  mqtt::Publish p;
  p.topic = "sensors/building-7/floor-3/room-12/temperature";
  p.qos = 1;
  p.packet_id = 42;
  const std::vector<std::byte> body(payload, std::byte{'x'});
  p.payload = body;
  std::vector<std::byte> out(mqtt::packet_size(p, v));
  (void)mqtt::serialize(p, v, out);
  return out;
}

void parse_loop(benchmark::State& st, const std::vector<std::byte>& in, mqtt::Version v) {
  std::array<mqtt::Subscription, 8> subs{};
  std::array<std::string_view, 8> filters{};
  mqtt::Packet pkt;
  for (auto _ : st) {
    auto r = mqtt::parse_packet(in, v, {}, pkt, mqtt::Scratch{subs, filters});
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(pkt);
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * in.size()));
}

}  // namespace

static void BM_ParsePublish311(benchmark::State& st) { parse_loop(st, publish_packet(mqtt::Version::v311, 64), mqtt::Version::v311); }
BENCHMARK(BM_ParsePublish311);

static void BM_ParsePublish5(benchmark::State& st) { parse_loop(st, publish_packet(mqtt::Version::v5, 64), mqtt::Version::v5); }
BENCHMARK(BM_ParsePublish5);

static void BM_ParseConnect5(benchmark::State& st) {
  // Clean start, keepalive 30, Session Expiry + Receive Maximum, a will with Will Delay.
  const auto in = hex_bytes({0x10, 0x28, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x06, 0x00, 0x1e, 0x08, 0x11, 0x00,
                             0x00, 0x00, 0x78, 0x21, 0x00, 0x10, 0x00, 0x02, 'i', 'd', 0x05, 0x18, 0x00, 0x00, 0x00,
                             0x05, 0x00, 0x03, 'w', '/', 't', 0x00, 0x04, 'g', 'o', 'n', 'e'});
  parse_loop(st, in, mqtt::Version::v5);
}
BENCHMARK(BM_ParseConnect5);

static void BM_ParseSubscribe311(benchmark::State& st) {
  const auto in = hex_bytes({0x82, 0x0e, 0x00, 0x0a, 0x00, 0x03, 'a', '/', 'b', 0x01, 0x00, 0x03, 'c', '/', '#', 0x02});
  parse_loop(st, in, mqtt::Version::v311);
}
BENCHMARK(BM_ParseSubscribe311);

// The broker's fan-out: one header per subscriber, the payload bytes shared.
static void BM_SerializePublishHeader(benchmark::State& st) {
  mqtt::Publish p;
  p.topic = "sensors/building-7/floor-3/room-12/temperature";
  p.qos = 1;
  p.packet_id = 42;
  std::array<std::byte, 128> out{};
  for (auto _ : st) {
    benchmark::DoNotOptimize(mqtt::serialize_publish_header(p, mqtt::Version::v311, 64, out));
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_SerializePublishHeader);
