// Fuzz target for codecs/mqtt.
//  - parse_packet under both versions: an accepted packet re-serializes to the size
//    packet_size() gives, the result parses again to the same bytes (serializing is a fixed
//    point), and any shorter prefix only asks for more input;
//  - decode_varint over the input: a value it accepts re-encodes to exactly the bytes read
//    (one encoding per value), and a refusal is only for a fifth byte or an overlong form;
//  - the rest as a string: valid_utf8, and a topic name or filter that passes its check
//    obeys the rules the check claims (no wildcard in a name; a valid name matches itself;
//    '#' matches every topic without a leading '$').
#include <array>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include <vector>

#include "zp/codec/mqtt/encoding.h"
#include "zp/codec/mqtt/packet.h"

namespace mqtt = zp::codec::mqtt;

namespace {

void check_packet(std::span<const std::byte> in, mqtt::Version v) {
  mqtt::Limits limits;
  limits.max_packet_size = 4096;
  std::array<mqtt::Subscription, 8> subs{};
  std::array<std::string_view, 8> filters{};
  mqtt::Packet pkt;
  const mqtt::ParseResult r = mqtt::parse_packet(in, v, limits, pkt, mqtt::Scratch{subs, filters});
  if (r.error != mqtt::Errc::ok || r.consumed == 0) return;
  FUZZ_CHECK(r.consumed <= in.size());
  // Parsing a CONNECT switches to its own level.
  if (const auto* c = std::get_if<mqtt::Connect>(&pkt.body)) v = c->version;
  const mqtt::ParseResult shorter = mqtt::parse_packet(in.first(r.consumed - 1), v, limits, pkt, mqtt::Scratch{subs, filters});
  FUZZ_CHECK(shorter.need_more());
  mqtt::parse_packet(in, v, limits, pkt, mqtt::Scratch{subs, filters});

  std::vector<std::byte> once(r.consumed + 16);
  const auto n = mqtt::serialize(pkt, v, once);
  FUZZ_CHECK(n.ok());
  FUZZ_CHECK(*n <= r.consumed);  // only optional fields (a 5.0 success code) may be dropped
  once.resize(*n);
  mqtt::Packet again;
  std::array<mqtt::Subscription, 8> subs2{};
  std::array<std::string_view, 8> filters2{};
  const mqtt::ParseResult r2 = mqtt::parse_packet(once, v, limits, again, mqtt::Scratch{subs2, filters2});
  FUZZ_CHECK(r2.error == mqtt::Errc::ok && r2.consumed == once.size());
  std::vector<std::byte> twice(once.size());
  const auto n2 = mqtt::serialize(again, v, twice);
  FUZZ_CHECK(n2.ok() && *n2 == once.size());
  FUZZ_CHECK(twice == once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  check_packet(in, mqtt::Version::v311);
  check_packet(in, mqtt::Version::v5);
  const mqtt::VarintResult v = mqtt::decode_varint(in);
  if (v.error == mqtt::Errc::ok && v.size > 0) {
    std::array<std::byte, 4> out{};
    const std::size_t n = mqtt::encode_varint(v.value, out);
    FUZZ_CHECK(n == v.size);
    for (std::size_t i = 0; i < n; ++i) FUZZ_CHECK(out[i] == in[i]);
  } else if (v.error == mqtt::Errc::ok) {
    FUZZ_CHECK(size < 4);  // only a short input can be incomplete
  } else {
    FUZZ_CHECK(v.error == mqtt::Errc::bad_varint);
  }

  const std::string_view s(reinterpret_cast<const char*>(data), size);
  const bool utf8 = mqtt::valid_utf8(s);
  const mqtt::TopicLimits limits{.max_length = 512, .max_levels = 16};
  const mqtt::Errc name = mqtt::check_topic_name(s, limits);
  const mqtt::Errc filter = mqtt::check_topic_filter(s, limits);
  if (name == mqtt::Errc::ok) {
    FUZZ_CHECK(utf8 && !s.empty());
    FUZZ_CHECK(s.find_first_of("+#") == std::string_view::npos);
    FUZZ_CHECK(mqtt::topic_matches(s, s));
    FUZZ_CHECK(mqtt::topic_matches("#", s) == (s.front() != '$'));
    if (!s.starts_with("$share/")) FUZZ_CHECK(filter == mqtt::Errc::ok);
  }
  if (filter == mqtt::Errc::ok) FUZZ_CHECK(utf8);
  if (!utf8) FUZZ_CHECK(name != mqtt::Errc::ok && filter != mqtt::Errc::ok);
  return 0;
}
