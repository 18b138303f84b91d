// Data representation and topic rules, from the normative statements and examples of
// MQTT 3.1.1 (§1.5, §4.7) and MQTT 5.0 (§1.5, §4.7, §4.8.2).
#include "zp/codec/mqtt/encoding.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace zp::codec::mqtt {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(static_cast<std::byte>(b));
  return out;
}

struct VarintCase {
  std::uint32_t value;
  std::vector<std::byte> wire;
};

// The table of MQTT 3.1.1 §2.2.3 / 5.0 §1.5.5: the edges of each encoded length.
TEST(MqttVarint, SpecTableEncodesAndDecodes) {
  const std::vector<VarintCase> cases = {
      {0, bytes({0x00})},
      {127, bytes({0x7F})},
      {128, bytes({0x80, 0x01})},
      {16'383, bytes({0xFF, 0x7F})},
      {16'384, bytes({0x80, 0x80, 0x01})},
      {2'097'151, bytes({0xFF, 0xFF, 0x7F})},
      {2'097'152, bytes({0x80, 0x80, 0x80, 0x01})},
      {268'435'455, bytes({0xFF, 0xFF, 0xFF, 0x7F})},
  };
  for (const auto& c : cases) {
    std::array<std::byte, 4> out{};
    ASSERT_EQ(encode_varint(c.value, out), c.wire.size()) << c.value;
    EXPECT_TRUE(std::equal(c.wire.begin(), c.wire.end(), out.begin())) << c.value;
    EXPECT_EQ(varint_size(c.value), c.wire.size());
    const VarintResult r = decode_varint(c.wire);
    EXPECT_EQ(r.error, Errc::ok);
    EXPECT_EQ(r.size, c.wire.size());
    EXPECT_EQ(r.value, c.value);
  }
}

TEST(MqttVarint, TooLargeIsNotEncoded) {
  std::array<std::byte, 4> out{};
  EXPECT_EQ(encode_varint(kMaxVarint + 1, out), 0u);
  EXPECT_EQ(varint_size(kMaxVarint + 1), 0u);
  std::array<std::byte, 1> small{};
  EXPECT_EQ(encode_varint(128, small), 0u);  // needs 2 bytes
}

// MQTT-1.5.5-1: the minimum number of bytes; a fifth byte is malformed.
TEST(MqttVarint, OverlongAndFiveBytesAreMalformed) {
  EXPECT_EQ(decode_varint(bytes({0x80, 0x00})).error, Errc::bad_varint);
  EXPECT_EQ(decode_varint(bytes({0xFF, 0x80, 0x00})).error, Errc::bad_varint);
  EXPECT_EQ(decode_varint(bytes({0x80, 0x80, 0x80, 0x00})).error, Errc::bad_varint);
  EXPECT_EQ(decode_varint(bytes({0xFF, 0xFF, 0xFF, 0xFF, 0x7F})).error, Errc::bad_varint);
  EXPECT_EQ(decode_varint(bytes({0x80, 0x80, 0x80, 0x80})).error, Errc::bad_varint);
}

TEST(MqttVarint, IncompleteAsksForMore) {
  for (const auto& in : {bytes({}), bytes({0x80}), bytes({0xFF, 0xFF}), bytes({0x80, 0x80, 0x80})}) {
    const VarintResult r = decode_varint(in);
    EXPECT_EQ(r.error, Errc::ok);
    EXPECT_EQ(r.size, 0u);
  }
}

TEST(MqttVarint, RoundTripAcrossTheRange) {
  for (std::uint64_t v = 0; v <= kMaxVarint; v = v * 3 + 1) {
    std::array<std::byte, 4> out{};
    const std::size_t n = encode_varint(static_cast<std::uint32_t>(v), out);
    ASSERT_GT(n, 0u);
    const VarintResult r = decode_varint(std::span(out).first(n));
    ASSERT_EQ(r.error, Errc::ok);
    EXPECT_EQ(r.value, v);
    EXPECT_EQ(r.size, n);
  }
}

std::string_view sv(const char* s, std::size_t n) { return {s, n}; }

// MQTT-1.5.4-1 (well-formed, no surrogates), -2 (no U+0000), -3 (U+FEFF is kept, valid).
TEST(MqttUtf8, NormativeRules) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("sport/tennis"));
  EXPECT_TRUE(valid_utf8("A\xF0\xAA\x9B\x94"));  // the spec's example: "A" U+2A6D4
  EXPECT_TRUE(valid_utf8("\xEF\xBB\xBF"));        // U+FEFF
  EXPECT_TRUE(valid_utf8("\xF4\x8F\xBF\xBF"));    // U+10FFFF
  EXPECT_FALSE(valid_utf8(sv("a\0b", 3)));        // U+0000
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));       // U+D800 (surrogate)
  EXPECT_FALSE(valid_utf8("\xED\xBF\xBF"));       // U+DFFF
  EXPECT_FALSE(valid_utf8("\xC0\x80"));           // overlong U+0000
  EXPECT_FALSE(valid_utf8("\xE0\x80\xAF"));       // overlong '/'
  EXPECT_FALSE(valid_utf8("\xF0\x80\x80\xAF"));   // overlong '/'
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));   // beyond U+10FFFF
  EXPECT_FALSE(valid_utf8("\x80"));               // continuation first
  EXPECT_FALSE(valid_utf8("\xC3"));               // truncated
  EXPECT_FALSE(valid_utf8("\xE2\x82"));           // truncated
  EXPECT_FALSE(valid_utf8("\xC3\x28"));           // bad continuation
  EXPECT_FALSE(valid_utf8("\xF8\x88\x80\x80\x80"));  // 5-byte form
}

const TopicLimits kDefault{};

// §4.7.1.2 and §4.7.1.3: where '#' and '+' may stand.
TEST(MqttTopicFilter, WildcardPlacement) {
  for (const char* ok : {"sport/tennis/player1/#", "sport/#", "#", "+", "+/tennis/#",
                         "sport/+/player1", "/+", "+/+", "sport/tennis/#", "a//b", "/"}) {
    EXPECT_EQ(check_topic_filter(ok, kDefault), Errc::ok) << ok;
  }
  for (const char* bad : {"sport/tennis#", "sport/tennis/#/ranking", "sport+", "#/", "a/#/b",
                          "+a", "a+/b", "##", "++"}) {
    EXPECT_EQ(check_topic_filter(bad, kDefault), Errc::bad_topic_filter) << bad;
  }
  EXPECT_EQ(check_topic_filter("", kDefault), Errc::bad_topic_filter);  // MQTT-4.7.3-1
  EXPECT_EQ(check_topic_filter("\xED\xA0\x80", kDefault), Errc::bad_utf8);
}

// MQTT-3.3.2-2: a topic name has no wildcard; MQTT-4.7.3-1: at least one character.
TEST(MqttTopicName, NoWildcardsNotEmpty) {
  for (const char* ok : {"sport/tennis/player1", "/finance", "$SYS/monitor/Clients", "a//b", "/"}) {
    EXPECT_EQ(check_topic_name(ok, kDefault), Errc::ok) << ok;
  }
  for (const char* bad : {"sport/+", "#", "a/#", "+", "a+b"}) {
    EXPECT_EQ(check_topic_name(bad, kDefault), Errc::bad_topic_name) << bad;
  }
  EXPECT_EQ(check_topic_name("", kDefault), Errc::bad_topic_name);
  EXPECT_EQ(check_topic_name(sv("a\0", 2), kDefault), Errc::bad_utf8);
}

TEST(MqttTopic, LimitsAreParameters) {
  const TopicLimits tight{.max_length = 8, .max_levels = 3};
  EXPECT_EQ(check_topic_name("a/b/c", tight), Errc::ok);
  EXPECT_EQ(check_topic_name("a/b/c/d", tight), Errc::topic_too_long);
  EXPECT_EQ(check_topic_name("abcdefghi", tight), Errc::topic_too_long);
  EXPECT_EQ(check_topic_filter("a/+/#", tight), Errc::ok);
  EXPECT_EQ(check_topic_filter("a/+/+/#", tight), Errc::topic_too_long);
}

// MQTT 5.0 §4.8.2: "$share/{ShareName}/{filter}".
TEST(MqttTopicFilter, SharedSubscriptions) {
  EXPECT_EQ(check_topic_filter("$share/g/sport/#", kDefault), Errc::ok);
  EXPECT_EQ(check_topic_filter("$share/g/+", kDefault), Errc::ok);
  EXPECT_EQ(check_topic_filter("$share//a", kDefault), Errc::bad_topic_filter);   // empty group
  EXPECT_EQ(check_topic_filter("$share/g", kDefault), Errc::bad_topic_filter);    // no filter
  EXPECT_EQ(check_topic_filter("$share/g/", kDefault), Errc::bad_topic_filter);   // empty filter
  EXPECT_EQ(check_topic_filter("$share/+/a", kDefault), Errc::bad_topic_filter);  // wildcard group
  EXPECT_EQ(check_topic_filter("$share/g/a#", kDefault), Errc::bad_topic_filter);
  const SharedFilter s = split_shared("$share/consumers/sensors/+/temp");
  EXPECT_EQ(s.group, "consumers");
  EXPECT_EQ(s.filter, "sensors/+/temp");
  EXPECT_TRUE(split_shared("sport/#").group.empty());
}

// The matching examples of §4.7.1.2, §4.7.1.3 and §4.7.2.
TEST(MqttTopicMatch, SpecExamples) {
  EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1"));
  EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1/ranking"));
  EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon"));
  EXPECT_TRUE(topic_matches("sport/#", "sport"));
  EXPECT_TRUE(topic_matches("#", "sport/tennis"));
  EXPECT_TRUE(topic_matches("sport/tennis/+", "sport/tennis/player1"));
  EXPECT_TRUE(topic_matches("sport/tennis/+", "sport/tennis/player2"));
  EXPECT_FALSE(topic_matches("sport/tennis/+", "sport/tennis/player1/ranking"));
  EXPECT_FALSE(topic_matches("sport/+", "sport"));
  EXPECT_TRUE(topic_matches("sport/+", "sport/"));
  EXPECT_TRUE(topic_matches("+/+", "/finance"));
  EXPECT_TRUE(topic_matches("/+", "/finance"));
  EXPECT_FALSE(topic_matches("+", "/finance"));
  EXPECT_TRUE(topic_matches("sport/tennis", "sport/tennis"));
  EXPECT_FALSE(topic_matches("sport/tennis", "sport/Tennis"));  // case-sensitive
  EXPECT_FALSE(topic_matches("sport/tennis", "sport/tennis/x"));
  EXPECT_FALSE(topic_matches("sport/tennis/x", "sport/tennis"));
  EXPECT_TRUE(topic_matches("a//b", "a//b"));
  EXPECT_TRUE(topic_matches("a/+/b", "a//b"));
}

// MQTT-4.7.2-1: '$' topics are not matched by filters starting with a wildcard.
TEST(MqttTopicMatch, DollarTopics) {
  EXPECT_FALSE(topic_matches("#", "$SYS/monitor/Clients"));
  EXPECT_FALSE(topic_matches("+/monitor/Clients", "$SYS/monitor/Clients"));
  EXPECT_TRUE(topic_matches("$SYS/#", "$SYS/monitor/Clients"));
  EXPECT_TRUE(topic_matches("$SYS/monitor/+", "$SYS/monitor/Clients"));
  EXPECT_FALSE(topic_matches("#", "$"));
  EXPECT_TRUE(topic_matches("a/#", "a/$b"));  // only a leading '$' is special
}

TEST(MqttErrc, NamesMessagesAndReasonCodes) {
  EXPECT_EQ(errc_name(Errc::bad_varint), "bad_varint");
  EXPECT_EQ(errc_name(Errc::value_too_large), "value_too_large");
  EXPECT_EQ(errc_name(static_cast<Errc>(999)), "");
  const std::error_code ec = Errc::packet_too_large;
  EXPECT_STREQ(ec.category().name(), "zp.codec.mqtt");
  EXPECT_EQ(ec.message(), "packet larger than the maximum packet size");
  EXPECT_EQ(std::error_code(static_cast<Errc>(999)).message(), "unknown mqtt codec error");
  EXPECT_EQ(reason_for(Errc::packet_too_large), 0x95);
  EXPECT_EQ(reason_for(Errc::bad_varint), 0x81);
  EXPECT_EQ(reason_for(Errc::duplicate_property), 0x82);
  EXPECT_EQ(reason_for(Errc::bad_protocol_version), 0x84);
  EXPECT_EQ(reason_for(Errc::bad_client_id), 0x85);
  EXPECT_EQ(reason_for(Errc::bad_topic_name), 0x90);
  EXPECT_EQ(reason_for(Errc::bad_topic_alias), 0x94);
  EXPECT_EQ(reason_for(Errc::ok), 0x00);
  for (int i = 0; i <= static_cast<int>(Errc::bad_topic_alias); ++i) {
    EXPECT_FALSE(errc_name(static_cast<Errc>(i)).empty()) << i;
  }
}

}  // namespace
}  // namespace zp::codec::mqtt
