// Fuzz target for codecs/mqtt's data representation. The first byte picks a split; then
//  - decode_varint over the input: a value it accepts re-encodes to exactly the bytes read
//    (one encoding per value), and a refusal is only for a fifth byte or an overlong form;
//  - the rest as a string: valid_utf8, and a topic name or filter that passes its check
//    obeys the rules the check claims (no wildcard in a name; a valid name matches itself;
//    '#' matches every topic without a leading '$').
#include <array>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "zp/codec/mqtt/encoding.h"

namespace mqtt = zp::codec::mqtt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
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
