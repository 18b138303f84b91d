// codecs/mqtt data representation: varint decode/encode, topic checks and matching.
#include <benchmark/benchmark.h>

#include <array>

#include "zp/codec/mqtt/encoding.h"

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
