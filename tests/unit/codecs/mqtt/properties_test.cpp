// MQTT 5.0 properties (§2.2.2): the id table, parsing rules and writing.
#include "zp/codec/mqtt/properties.h"

#include <gtest/gtest.h>

#include <array>
#include <deque>
#include <span>
#include <string>
#include <vector>

#include "mqtt_test_util.h"

namespace zp::codec::mqtt {
namespace {

using test::wire;

// Keeps each parsed input alive for the test: parsed properties are views into it.
class MqttProperties : public ::testing::Test {
 protected:
  Errc parse(std::string_view hex, PropertyContext ctx, Properties& out, PropertyLimits limits = {}) {
    const auto& in = inputs_.emplace_back(wire(hex));
    std::size_t used = 0;
    const Errc e = parse_properties(in, ctx, limits, out, used);
    if (e == Errc::ok) {
      EXPECT_EQ(used, in.size());
    }
    return e;
  }

 private:
  std::deque<std::vector<std::byte>> inputs_;
};

// The "packets it may appear in" column of the table in §2.2.2.2.
TEST_F(MqttProperties, TableOfAllowedPackets) {
  using P = PropertyId;
  using C = PropertyContext;
  EXPECT_TRUE(property_allowed(P::payload_format_indicator, C::publish));
  EXPECT_TRUE(property_allowed(P::payload_format_indicator, C::will));
  EXPECT_FALSE(property_allowed(P::payload_format_indicator, C::connect));
  EXPECT_TRUE(property_allowed(P::subscription_identifier, C::subscribe));
  EXPECT_FALSE(property_allowed(P::subscription_identifier, C::suback));
  EXPECT_TRUE(property_allowed(P::session_expiry_interval, C::disconnect));
  EXPECT_FALSE(property_allowed(P::session_expiry_interval, C::will));
  EXPECT_TRUE(property_allowed(P::will_delay_interval, C::will));
  EXPECT_FALSE(property_allowed(P::will_delay_interval, C::connect));
  EXPECT_TRUE(property_allowed(P::reason_string, C::pubcomp));
  EXPECT_FALSE(property_allowed(P::reason_string, C::publish));
  EXPECT_TRUE(property_allowed(P::topic_alias, C::publish));
  EXPECT_FALSE(property_allowed(P::topic_alias, C::connect));
  EXPECT_TRUE(property_allowed(P::authentication_method, C::auth));
  EXPECT_FALSE(property_allowed(P::maximum_qos, C::connect));
  EXPECT_TRUE(property_allowed(P::server_reference, C::disconnect));
  for (int c = 0; c <= static_cast<int>(C::auth); ++c)
    EXPECT_TRUE(property_allowed(P::user_property, static_cast<C>(c))) << c;
  EXPECT_FALSE(property_allowed(static_cast<P>(0x00), C::publish));
  EXPECT_FALSE(property_allowed(static_cast<P>(0x2B), C::publish));
}

TEST_F(MqttProperties, EveryValueTypeOfAConnect) {
  Properties p;
  // Session Expiry 0x11 (four-byte), Receive Maximum 0x21 (two-byte), Request Problem
  // Information 0x17 (byte), Authentication Method 0x15 (UTF-8), Authentication Data 0x16
  // (binary), a user property 0x26 (pair).
  ASSERT_EQ(parse("1d 11 00 00 0e 10 21 00 14 17 00 15 00 03 'SCR' 16 00 02 ab cd 26 00 01 'k' 00 02 'vv'",
                  PropertyContext::connect, p),
            Errc::ok);
  EXPECT_TRUE(p.has(PropertyId::session_expiry_interval));
  EXPECT_EQ(p.session_expiry_interval, 3600u);
  EXPECT_EQ(p.receive_maximum, 20u);
  EXPECT_EQ(p.request_problem_information, 0u);
  EXPECT_EQ(p.authentication_method, "SCR");
  ASSERT_EQ(p.authentication_data.size(), 2u);
  EXPECT_EQ(p.authentication_data[1], std::byte{0xCD});
  EXPECT_EQ(p.user_property_count, 1u);
  EXPECT_FALSE(p.has(PropertyId::maximum_packet_size));
  std::vector<std::pair<std::string, std::string>> users;
  for_each_user_property(p, [&](std::string_view k, std::string_view v) { users.emplace_back(k, v); });
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].first, "k");
  EXPECT_EQ(users[0].second, "vv");
}

TEST_F(MqttProperties, EmptyBlock) {
  Properties p;
  EXPECT_EQ(parse("00", PropertyContext::publish, p), Errc::ok);
  EXPECT_EQ(p.present, 0u);
}

// "It is a Protocol Error to include [a property] more than once" (e.g. 3.1.2.11.2); user
// properties may repeat (3.1.2.11.8), and so may subscription identifiers in PUBLISH (3.3.2.3.8).
TEST_F(MqttProperties, DuplicatesRefusedExceptTheRepeatableOnes) {
  Properties p;
  EXPECT_EQ(parse("0a 11 00 00 00 01 11 00 00 00 02", PropertyContext::connect, p), Errc::duplicate_property);
  EXPECT_EQ(parse("0e 26 00 01 'a' 00 01 'b' 26 00 01 'a' 00 01 'c'", PropertyContext::publish, p), Errc::ok);
  EXPECT_EQ(p.user_property_count, 2u);
  ASSERT_EQ(parse("05 0b 05 0b 81 01", PropertyContext::publish, p), Errc::ok);
  EXPECT_EQ(p.subscription_identifier, 5u);
  EXPECT_EQ(p.subscription_identifier_count, 2u);
  std::vector<std::uint32_t> ids;
  for_each_subscription_identifier(p, [&](std::uint32_t id) { ids.push_back(id); });
  EXPECT_EQ(ids, (std::vector<std::uint32_t>{5, 129}));
  EXPECT_EQ(parse("04 0b 05 0b 06", PropertyContext::subscribe, p), Errc::duplicate_property);
}

TEST_F(MqttProperties, IdsOutsideTheirPacketRefused) {
  Properties p;
  EXPECT_EQ(parse("03 23 00 01", PropertyContext::connect, p), Errc::bad_property);  // Topic Alias in CONNECT
  EXPECT_EQ(parse("02 00 00", PropertyContext::publish, p), Errc::bad_property);     // id 0 does not exist
  EXPECT_EQ(parse("02 2b 00", PropertyContext::connack, p), Errc::bad_property);     // past the last id
  EXPECT_EQ(parse("02 24 01", PropertyContext::connect, p), Errc::bad_property);     // Maximum QoS is CONNACK's
}

// Value rules: 0 is a protocol error for Receive Maximum (3.1.2.11.3), Maximum Packet Size
// (3.1.2.11.4), Topic Alias (3.3.2.3.4), Subscription Identifier (3.8.2.1.2); bytes that
// are booleans take 0 or 1; Maximum QoS 0 or 1 (3.2.2.3.4); a Response Topic is a topic
// name (MQTT-3.3.2-14).
TEST_F(MqttProperties, ValuesOutOfRangeRefused) {
  Properties p;
  EXPECT_EQ(parse("03 21 00 00", PropertyContext::connect, p), Errc::bad_property_value);
  EXPECT_EQ(parse("05 27 00 00 00 00", PropertyContext::connect, p), Errc::bad_property_value);
  EXPECT_EQ(parse("03 23 00 00", PropertyContext::publish, p), Errc::bad_topic_alias);  // 0x94, not 0x82
  EXPECT_EQ(parse("02 0b 00", PropertyContext::subscribe, p), Errc::bad_property_value);
  EXPECT_EQ(parse("02 01 02", PropertyContext::publish, p), Errc::bad_property_value);
  EXPECT_EQ(parse("02 17 02", PropertyContext::connect, p), Errc::bad_property_value);
  EXPECT_EQ(parse("02 24 02", PropertyContext::connack, p), Errc::bad_property_value);
  EXPECT_EQ(parse("02 24 01", PropertyContext::connack, p), Errc::ok);
  EXPECT_EQ(parse("06 08 00 03 'a/+'", PropertyContext::publish, p), Errc::bad_property_value);
  EXPECT_EQ(parse("06 08 00 03 'a/b'", PropertyContext::publish, p), Errc::ok);
  EXPECT_EQ(p.response_topic, "a/b");
}

TEST_F(MqttProperties, MalformedBlocks) {
  Properties p;
  EXPECT_EQ(parse("05 11 00 00", PropertyContext::connect, p), Errc::truncated);        // length past the input
  EXPECT_EQ(parse("03 11 00 00", PropertyContext::connect, p), Errc::truncated);        // value past the block
  EXPECT_EQ(parse("ff ff ff ff 7f", PropertyContext::connect, p), Errc::bad_varint);    // 5-byte length
  EXPECT_EQ(parse("05 03 00 02 c0 80", PropertyContext::publish, p), Errc::bad_utf8);   // overlong NUL
  EXPECT_EQ(parse("05 26 00 01 'a' 00", PropertyContext::publish, p), Errc::truncated); // half a pair
}

TEST_F(MqttProperties, LimitsAreParameters) {
  Properties p;
  const PropertyLimits tight{.max_properties = 2, .max_user_properties = 1};
  EXPECT_EQ(parse("07 01 00 02 00 00 00 05", PropertyContext::publish, p, tight), Errc::ok);
  EXPECT_EQ(parse("0a 01 00 02 00 00 00 05 03 00 00", PropertyContext::publish, p, tight), Errc::too_many_properties);
  EXPECT_EQ(parse("0e 26 00 01 'a' 00 01 'b' 26 00 01 'a' 00 01 'c'", PropertyContext::publish, p, tight),
            Errc::too_many_properties);
}

// Built by hand (fields + user array) → written → parsed gives the same fields; the size
// function agrees with what is written; a parsed block is written back verbatim.
TEST_F(MqttProperties, WriteThenParseRoundTrip) {
  Properties p;
  p.session_expiry_interval = 600;
  p.set(PropertyId::session_expiry_interval);
  p.receive_maximum = 10;
  p.set(PropertyId::receive_maximum);
  p.maximum_qos = 1;
  p.set(PropertyId::maximum_qos);
  p.assigned_client_identifier = "auto-1";
  p.set(PropertyId::assigned_client_identifier);
  p.reason_string = "fine";
  p.set(PropertyId::reason_string);
  const std::array<UserProperty, 2> users{{{"a", "1"}, {"b", "2"}}};
  p.user = users;
  std::vector<std::byte> buf(properties_size(p));
  ASSERT_GT(buf.size(), 0u);
  ASSERT_EQ(write_properties(p, buf), buf.size());

  Properties q;
  std::size_t used = 0;
  ASSERT_EQ(parse_properties(buf, PropertyContext::connack, {}, q, used), Errc::ok);
  EXPECT_EQ(used, buf.size());
  EXPECT_EQ(q.present, p.present | (std::uint64_t{1} << 0x26));
  EXPECT_EQ(q.session_expiry_interval, 600u);
  EXPECT_EQ(q.receive_maximum, 10u);
  EXPECT_EQ(q.maximum_qos, 1u);
  EXPECT_EQ(q.assigned_client_identifier, "auto-1");
  EXPECT_EQ(q.reason_string, "fine");
  EXPECT_EQ(q.user_property_count, 2u);

  std::vector<std::byte> again(properties_size(q));
  ASSERT_EQ(write_properties(q, again), again.size());
  EXPECT_EQ(again, buf);
  std::vector<std::byte> small(buf.size() - 1);
  EXPECT_EQ(write_properties(p, small), 0u);
}

TEST_F(MqttProperties, SubscriptionIdentifiersAppendedForForwarding) {
  Properties p;
  const std::array<std::uint32_t, 2> ids{7, 300};
  p.subscription_identifiers = ids;
  std::vector<std::byte> buf(properties_size(p));
  ASSERT_EQ(write_properties(p, buf), buf.size());
  EXPECT_EQ(buf, wire("05 0b 07 0b ac 02"));
  const std::array<std::uint32_t, 1> zero{0};
  p.subscription_identifiers = zero;
  EXPECT_EQ(properties_size(p), 0u);  // 0 is not an identifier
}

TEST_F(MqttProperties, OversizedStringCannotBeWritten) {
  Properties p;
  const std::string big(70'000, 'x');
  p.reason_string = big;
  p.set(PropertyId::reason_string);
  EXPECT_EQ(properties_size(p), 0u);
}

}  // namespace
}  // namespace zp::codec::mqtt
