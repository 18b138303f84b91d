// MQTT control packets (3.1.1 chapters 2-3, 5.0 chapters 2-3): parsing with the normative
// checks (each test names the statements), split input, serializing and round trips.
#include "zp/codec/mqtt/packet.h"

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "mqtt_test_util.h"

namespace zp::codec::mqtt {
namespace {

using test::text;
using test::wire;

struct Parsed {
  ParseResult result;
  Packet packet;
  std::array<Subscription, 8> subs{};
  std::array<std::string_view, 8> filters{};
  std::vector<std::byte> bytes;
};

// Parses `hex` with its own storage; the packet's views point into it.
std::unique_ptr<Parsed> parse(std::string_view hex, Version v = Version::v311, Limits limits = {}) {
  auto p = std::make_unique<Parsed>();
  p->bytes = wire(hex);
  p->result = parse_packet(p->bytes, v, limits, p->packet, Scratch{p->subs, p->filters});
  return p;
}

Errc error_of(std::string_view hex, Version v = Version::v311, Limits limits = {}) { return parse(hex, v, limits)->result.error; }

template <class T>
const T& body(const Parsed& p) {
  EXPECT_EQ(p.result.error, Errc::ok) << errc_name(p.result.error);
  EXPECT_EQ(p.result.consumed, p.bytes.size());
  const T* b = std::get_if<T>(&p.packet.body);
  if (!b) ADD_FAILURE() << "wrong packet type";
  static const T empty{};
  return b ? *b : empty;
}

// ---- fixed header (2.1, 2.2) ----

TEST(MqttFixedHeader, TypesAndFlags) {
  EXPECT_EQ(error_of("00 00"), Errc::bad_packet_type);                    // type 0 is reserved
  EXPECT_EQ(error_of("f0 00"), Errc::bad_packet_type);                    // AUTH is 5.0 only
  EXPECT_EQ(error_of("f0 00", Version::v5), Errc::ok);
  EXPECT_EQ(error_of("c1 00"), Errc::bad_fixed_header_flags);             // MQTT-2.2.2-2: PINGREQ flags 0
  EXPECT_EQ(error_of("80 06 00 01 00 01 'a' 00"), Errc::bad_fixed_header_flags);  // SUBSCRIBE needs 0010 (MQTT-3.8.1-1)
  EXPECT_EQ(error_of("60 02 00 01"), Errc::bad_fixed_header_flags);       // PUBREL needs 0010 (MQTT-3.6.1-1)
  EXPECT_EQ(error_of("a0 05 00 01 00 01 'a'"), Errc::bad_fixed_header_flags);  // UNSUBSCRIBE (MQTT-3.10.1-1)
  EXPECT_EQ(error_of("c0 ff ff ff ff 7f"), Errc::bad_varint);             // a fifth length byte
  EXPECT_EQ(error_of("c0 80 00"), Errc::bad_varint);                      // overlong length
}

TEST(MqttFixedHeader, PacketTooLargeKnownFromTheHeaderAlone) {
  Limits small;
  small.max_packet_size = 100;
  EXPECT_EQ(error_of("30 63", Version::v311, small), Errc::packet_too_large);  // 2 + 99 bytes
  const auto p = parse("30 62", Version::v311, small);                         // 2 + 98 = 100 fits
  EXPECT_TRUE(p->result.need_more());
  EXPECT_EQ(p->result.wanted, 100u);
}

// Every prefix of a packet asks for more; the whole packet parses; a second packet after it
// is left alone.
TEST(MqttFixedHeader, SplitInputNeedsMoreUntilComplete) {
  const auto whole = wire("32 0c 00 03 'a/b' 00 07 'hello' 30 00");
  Packet pkt;
  std::array<Subscription, 1> subs;
  std::array<std::string_view, 1> filters;
  for (std::size_t n = 0; n < 14; ++n) {
    const auto r = parse_packet(std::span(whole).first(n), Version::v311, {}, pkt, Scratch{subs, filters});
    EXPECT_TRUE(r.need_more()) << n;
    EXPECT_EQ(r.wanted, n >= 2 ? 14u : 0u) << n;
  }
  const auto r = parse_packet(whole, Version::v311, {}, pkt, Scratch{subs, filters});
  ASSERT_EQ(r.error, Errc::ok);
  EXPECT_EQ(r.consumed, 14u);
  const auto& p = std::get<Publish>(pkt.body);
  EXPECT_EQ(p.packet_id, 7u);
  EXPECT_EQ(text(p.payload), "hello");
}

// ---- CONNECT (3.1) ----

TEST(MqttConnect, MinimalAsMosquittoPubSendsIt) {
  const auto p = parse("10 10 00 04 'MQTT' 04 02 00 3c 00 04 'test'");
  const auto& c = body<Connect>(*p);
  EXPECT_EQ(c.version, Version::v311);
  EXPECT_TRUE(c.clean_start);
  EXPECT_EQ(c.keepalive, 60u);
  EXPECT_EQ(c.client_id, "test");
  EXPECT_FALSE(c.has_will || c.has_username || c.has_password);
}

// The flags of 3.1.2.10's example (user name, password, will QoS 1, clean session) with
// every payload field (3.1.3) in its order.
TEST(MqttConnect, WillUserAndPassword) {
  const auto p = parse("10 24 00 04 'MQTT' 04 ce 00 0a 00 02 'id' 00 04 'w/tp' 00 03 'bye' 00 04 'user' 00 03 'pw!'");
  const auto& c = body<Connect>(*p);
  EXPECT_EQ(c.keepalive, 10u);
  EXPECT_TRUE(c.has_will);
  EXPECT_EQ(c.will_qos, 1u);
  EXPECT_FALSE(c.will_retain);
  EXPECT_EQ(c.will_topic, "w/tp");
  EXPECT_EQ(text(c.will_payload), "bye");
  EXPECT_EQ(c.username, "user");
  EXPECT_EQ(text(c.password), "pw!");
}

TEST(MqttConnect, ProtocolNameAndLevel) {
  EXPECT_EQ(error_of("10 10 00 04 'MQTX' 04 02 00 3c 00 04 'test'"), Errc::bad_protocol_name);
  // 3.1 ("MQIsdp" level 3) and unknown levels: CONNACK 0x01 (MQTT-3.1.2-2); the level read
  // so far is not 4 or 5, so version stays 3.1.1 for that CONNACK.
  EXPECT_EQ(error_of("10 12 00 06 'MQIsdp' 03 02 00 3c 00 04 'test'"), Errc::bad_protocol_version);
  EXPECT_EQ(error_of("10 10 00 04 'MQTT' 06 02 00 3c 00 04 'test'"), Errc::bad_protocol_version);
}

TEST(MqttConnect, FlagRules) {
  EXPECT_EQ(error_of("10 10 00 04 'MQTT' 04 03 00 3c 00 04 'test'"), Errc::bad_connect_flags);  // reserved bit (MQTT-3.1.2-3)
  EXPECT_EQ(error_of("10 10 00 04 'MQTT' 04 1e 00 3c 00 04 'test'"), Errc::bad_connect_flags);  // will QoS 3 (MQTT-3.1.2-14)
  EXPECT_EQ(error_of("10 10 00 04 'MQTT' 04 0a 00 3c 00 04 'test'"), Errc::bad_connect_flags);  // will QoS without will (MQTT-3.1.2-13)
  EXPECT_EQ(error_of("10 10 00 04 'MQTT' 04 22 00 3c 00 04 'test'"), Errc::bad_connect_flags);  // will retain without will (MQTT-3.1.2-15)
  // 3.1.1: a password needs a user name (MQTT-3.1.2-22); 5.0 allows it (3.1.2.9).
  EXPECT_EQ(error_of("10 13 00 04 'MQTT' 04 42 00 3c 00 04 'test' 00 01 'p'"), Errc::password_without_username);
  EXPECT_EQ(error_of("10 14 00 04 'MQTT' 05 42 00 3c 00 00 04 'test' 00 01 'p'", Version::v311), Errc::ok);
}

TEST(MqttConnect, ClientIdentifierRules) {
  // 3.1.1: an empty id needs clean session 1 (MQTT-3.1.3-7, -8: CONNACK 0x02).
  EXPECT_EQ(error_of("10 0c 00 04 'MQTT' 04 02 00 3c 00 00"), Errc::ok);
  const auto p = parse("10 0c 00 04 'MQTT' 04 00 00 3c 00 00");
  EXPECT_EQ(p->result.error, Errc::bad_client_id);
  EXPECT_EQ(std::get<Connect>(p->packet.body).version, Version::v311);
  // 5.0: the server assigns one either way (3.1.3.1).
  EXPECT_EQ(error_of("10 0d 00 04 'MQTT' 05 00 00 3c 00 00 00"), Errc::ok);
  EXPECT_EQ(error_of("10 0e 00 04 'MQTT' 04 02 00 3c 00 02 c0 80"), Errc::bad_utf8);  // MQTT-1.5.4-1
}

TEST(MqttConnect, WillTopicIsATopicName) {
  EXPECT_EQ(error_of("10 18 00 04 'MQTT' 04 06 00 3c 00 02 'id' 00 03 'w/#' 00 03 'bye'"), Errc::bad_topic_name);
}

TEST(MqttConnect, TrailingAndTruncated) {
  EXPECT_EQ(error_of("10 11 00 04 'MQTT' 04 02 00 3c 00 04 'test' 00"), Errc::trailing_bytes);
  EXPECT_EQ(error_of("10 0f 00 04 'MQTT' 04 02 00 3c 00 04 'tes'"), Errc::truncated);
  EXPECT_EQ(error_of("10 14 00 04 'MQTT' 04 c2 00 3c 00 02 'id' 00 04 'user'"), Errc::truncated);  // password missing
}

TEST(MqttConnect, Version5PropertiesAndWillProperties) {
  // CONNECT properties: Session Expiry 120, Receive Maximum 16; will properties: Will Delay 5.
  const auto p = parse("10 28 00 04 'MQTT' 05 06 00 1e 08 11 00 00 00 78 21 00 10 00 02 'id' 05 18 00 00 00 05 "
                       "00 03 'w/t' 00 04 'gone'");
  const auto& c = body<Connect>(*p);
  EXPECT_EQ(c.version, Version::v5);
  EXPECT_EQ(c.properties.session_expiry_interval, 120u);
  EXPECT_EQ(c.properties.receive_maximum, 16u);
  EXPECT_TRUE(c.will_properties.has(PropertyId::will_delay_interval));
  EXPECT_EQ(c.will_properties.will_delay_interval, 5u);
  EXPECT_EQ(c.will_topic, "w/t");
  EXPECT_EQ(text(c.will_payload), "gone");
  // Will Delay is a will property, not a CONNECT one (3.1.2.11).
  EXPECT_EQ(error_of("10 14 00 04 'MQTT' 05 02 00 1e 05 18 00 00 00 05 00 02 'id'"), Errc::bad_property);
}

// ---- CONNACK (3.2) ----

TEST(MqttConnack, BothVersions) {
  const auto p = parse("20 02 01 00");
  EXPECT_TRUE(body<Connack>(*p).session_present);
  EXPECT_EQ(error_of("20 02 02 00"), Errc::bad_connect_flags);   // reserved acknowledge flags (3.2.2.1)
  EXPECT_EQ(error_of("20 02 00 06"), Errc::bad_reason_code);     // 3.1.1 return codes 0..5
  EXPECT_EQ(error_of("20 03 00 00 00"), Errc::trailing_bytes);
  const auto v5 = parse("20 0c 00 00 09 12 00 06 'auto-1'", Version::v5);
  EXPECT_EQ(body<Connack>(*v5).properties.assigned_client_identifier, "auto-1");
  EXPECT_EQ(error_of("20 05 00 00 02 23 01", Version::v5), Errc::bad_property);  // Topic Alias is PUBLISH's
}

// ---- PUBLISH (3.3) ----

TEST(MqttPublish, QosZeroAndOne) {
  const auto p0 = parse("30 0a 00 03 'a/b' 'hello'");
  const auto& a = body<Publish>(*p0);
  EXPECT_EQ(a.qos, 0u);
  EXPECT_EQ(a.topic, "a/b");
  EXPECT_EQ(a.packet_id, 0u);
  EXPECT_EQ(text(a.payload), "hello");
  const auto p1 = parse("3b 07 00 03 'a/b' 12 34");  // DUP, QoS 1, RETAIN, empty payload
  const auto& b = body<Publish>(*p1);
  EXPECT_TRUE(b.dup);
  EXPECT_EQ(b.qos, 1u);
  EXPECT_TRUE(b.retain);
  EXPECT_EQ(b.packet_id, 0x1234u);
  EXPECT_TRUE(b.payload.empty());
}

TEST(MqttPublish, Rules) {
  EXPECT_EQ(error_of("36 07 00 03 'a/b' 00 01"), Errc::bad_qos);          // MQTT-3.3.1-4
  EXPECT_EQ(error_of("38 05 00 03 'a/b'"), Errc::dup_with_qos0);          // MQTT-3.3.1-2
  EXPECT_EQ(error_of("32 07 00 03 'a/b' 00 00"), Errc::zero_packet_id);   // MQTT-2.3.1-1
  EXPECT_EQ(error_of("30 05 00 03 'a/+'"), Errc::bad_topic_name);         // MQTT-3.3.2-2
  EXPECT_EQ(error_of("30 05 00 03 'a/#'"), Errc::bad_topic_name);
  EXPECT_EQ(error_of("30 02 00 00"), Errc::bad_topic_name);               // MQTT-4.7.3-1
  EXPECT_EQ(error_of("30 04 00 02 c0 80"), Errc::bad_utf8);
  EXPECT_EQ(error_of("32 05 00 03 'a/b'"), Errc::truncated);              // QoS 1 without its id
  Limits levels;
  levels.topic.max_levels = 2;
  EXPECT_EQ(error_of("30 07 00 05 'a/b/c'", Version::v311, levels), Errc::topic_too_long);
}

TEST(MqttPublish, Version5TopicAliasAndProperties) {
  // Empty topic + Topic Alias 3 (3.3.2.3.4), Message Expiry 60, a subscription id.
  const auto p = parse("30 0e 00 00 0a 23 00 03 02 00 00 00 3c 0b 01 'x'", Version::v5);
  const auto& pub = body<Publish>(*p);
  EXPECT_TRUE(pub.topic.empty());
  EXPECT_EQ(pub.properties.topic_alias, 3u);
  EXPECT_EQ(pub.properties.message_expiry_interval, 60u);
  EXPECT_EQ(pub.properties.subscription_identifier, 1u);
  EXPECT_EQ(text(pub.payload), "x");
  EXPECT_EQ(error_of("30 04 00 00 00 'x'", Version::v5), Errc::bad_topic_name);  // no alias to stand in
  EXPECT_EQ(error_of("30 07 00 00 03 23 00 00 'x'", Version::v5), Errc::bad_topic_alias);  // alias 0 (MQTT-3.3.2-8)
  EXPECT_EQ(error_of("30 05 00 01 't' 00 'x'"), Errc::ok);                       // 3.1.1: 00 is payload
  EXPECT_EQ(error_of("30 05 00 01 't' 05 'x'", Version::v5), Errc::truncated);   // property length past the end
}

// ---- acknowledgements (3.4-3.7) ----

TEST(MqttAck, Version311IsExactlyTwoBytes) {
  const auto p = parse("40 02 00 07");
  const auto& a = body<Ack>(*p);
  EXPECT_EQ(a.type, PacketType::puback);
  EXPECT_EQ(a.packet_id, 7u);
  EXPECT_EQ(body<Ack>(*parse("62 02 00 07")).type, PacketType::pubrel);
  EXPECT_EQ(error_of("50 03 00 07 00"), Errc::trailing_bytes);
  EXPECT_EQ(error_of("70 02 00 00"), Errc::zero_packet_id);
  EXPECT_EQ(error_of("40 01 00"), Errc::truncated);
}

TEST(MqttAck, Version5ReasonCodeAndProperties) {
  EXPECT_EQ(body<Ack>(*parse("40 02 00 07", Version::v5)).reason, 0u);  // 3.4.2.1: omitted means success
  EXPECT_EQ(body<Ack>(*parse("40 03 00 07 10", Version::v5)).reason, 0x10u);
  const auto p = parse("50 0a 00 07 97 06 1f 00 03 'max'", Version::v5);
  const auto& a = body<Ack>(*p);
  EXPECT_EQ(a.reason, 0x97u);
  EXPECT_EQ(a.properties.reason_string, "max");
  EXPECT_EQ(error_of("40 03 00 07 05", Version::v5), Errc::bad_reason_code);
  EXPECT_EQ(error_of("62 03 00 07 10", Version::v5), Errc::bad_reason_code);  // PUBREL: 0x00 or 0x92
  EXPECT_EQ(error_of("62 03 00 07 92", Version::v5), Errc::ok);
}

// ---- SUBSCRIBE / SUBACK / UNSUBSCRIBE / UNSUBACK (3.8-3.11) ----

TEST(MqttSubscribe, Version311) {
  // The 3.8.3 example: "a/b" QoS 1 and "c/d" QoS 2.
  const auto p = parse("82 0e 00 0a 00 03 'a/b' 01 00 03 'c/d' 02");
  const auto& s = body<Subscribe>(*p);
  EXPECT_EQ(s.packet_id, 10u);
  ASSERT_EQ(s.subscriptions.size(), 2u);
  EXPECT_EQ(s.subscriptions[0].filter, "a/b");
  EXPECT_EQ(s.subscriptions[0].qos, 1u);
  EXPECT_EQ(s.subscriptions[1].filter, "c/d");
  EXPECT_EQ(s.subscriptions[1].qos, 2u);
}

TEST(MqttSubscribe, Rules) {
  EXPECT_EQ(error_of("82 02 00 0a"), Errc::no_subscriptions);                     // MQTT-3.8.3-3
  EXPECT_EQ(error_of("82 08 00 0a 00 03 'a/b' 03"), Errc::bad_qos);
  EXPECT_EQ(error_of("82 08 00 0a 00 03 'a/b' 04"), Errc::bad_subscription_options);  // MQTT-3.8.3-4 (3.1.1)
  EXPECT_EQ(error_of("82 08 00 0a 00 03 '#/b' 00"), Errc::bad_topic_filter);      // MQTT-4.7.1-2
  EXPECT_EQ(error_of("82 08 00 0a 00 03 'a+b' 00"), Errc::bad_topic_filter);      // MQTT-4.7.1-3
  EXPECT_EQ(error_of("82 08 00 00 00 03 'a/b' 00"), Errc::zero_packet_id);
  EXPECT_EQ(error_of("82 07 00 0a 00 03 'a/b'"), Errc::truncated);                // options byte missing
  Limits one;
  one.max_subscriptions = 1;
  EXPECT_EQ(error_of("82 0e 00 0a 00 03 'a/b' 01 00 03 'c/d' 02", Version::v311, one), Errc::too_many_subscriptions);
}

TEST(MqttSubscribe, Version5Options) {
  // Subscription Identifier 9; "a/#" with No Local, Retain As Published, Retain Handling 2.
  const auto p = parse("82 0b 00 01 02 0b 09 00 03 'a/#' 2d", Version::v5);
  const auto& s = body<Subscribe>(*p);
  EXPECT_EQ(s.properties.subscription_identifier, 9u);
  ASSERT_EQ(s.subscriptions.size(), 1u);
  const Subscription& sub = s.subscriptions[0];
  EXPECT_EQ(sub.qos, 1u);
  EXPECT_TRUE(sub.no_local);
  EXPECT_TRUE(sub.retain_as_published);
  EXPECT_EQ(sub.retain_handling, 2u);
  EXPECT_EQ(error_of("82 09 00 01 00 00 03 'a/#' 30", Version::v5), Errc::bad_subscription_options);  // Retain Handling 3
  EXPECT_EQ(error_of("82 09 00 01 00 00 03 'a/#' 40", Version::v5), Errc::bad_subscription_options);  // reserved bits
  // No Local on a shared subscription (MQTT-3.8.3-4).
  EXPECT_EQ(error_of("82 10 00 01 00 00 0a '$share/g/a' 04", Version::v5), Errc::bad_subscription_options);
  EXPECT_EQ(error_of("82 10 00 01 00 00 0a '$share/g/a' 00", Version::v5), Errc::ok);
}

TEST(MqttSubAck, ReasonCodes) {
  const auto p = parse("90 05 00 0a 00 02 80");
  const auto& s = body<SubAck>(*p);
  EXPECT_EQ(s.type, PacketType::suback);
  ASSERT_EQ(s.reasons.size(), 3u);
  EXPECT_EQ(s.reasons[2], std::byte{0x80});
  EXPECT_EQ(error_of("90 03 00 0a 03"), Errc::bad_reason_code);                 // 3.9.3
  EXPECT_EQ(error_of("90 03 00 0a 87"), Errc::bad_reason_code);                 // a 5.0 code under 3.1.1
  EXPECT_EQ(error_of("90 04 00 0a 00 87", Version::v5), Errc::ok);
  EXPECT_EQ(error_of("90 02 00 0a"), Errc::truncated);
}

TEST(MqttUnsubscribe, BothVersions) {
  const auto p = parse("a2 0c 00 05 00 03 'a/b' 00 03 'c/#'");
  const auto& u = body<Unsubscribe>(*p);
  EXPECT_EQ(u.packet_id, 5u);
  ASSERT_EQ(u.filters.size(), 2u);
  EXPECT_EQ(u.filters[1], "c/#");
  EXPECT_EQ(error_of("a2 02 00 05"), Errc::no_subscriptions);                   // MQTT-3.10.3-2
  EXPECT_EQ(error_of("a2 07 00 05 00 03 'a#b'"), Errc::bad_topic_filter);
  EXPECT_EQ(error_of("a2 08 00 05 00 00 03 'a/b'", Version::v5), Errc::ok);
  // UNSUBACK: 3.1.1 the packet id only (3.11.2); 5.0 a reason code per filter (3.11.3).
  EXPECT_EQ(body<SubAck>(*parse("b0 02 00 05")).packet_id, 5u);
  EXPECT_EQ(error_of("b0 03 00 05 00"), Errc::trailing_bytes);
  const auto v5 = parse("b0 05 00 05 00 00 11", Version::v5);
  EXPECT_EQ(body<SubAck>(*v5).reasons.size(), 2u);
  EXPECT_EQ(error_of("b0 04 00 05 00 01", Version::v5), Errc::bad_reason_code);
}

// ---- PINGREQ, PINGRESP, DISCONNECT, AUTH (3.12-3.15) ----

TEST(MqttPing, NoBody) {
  EXPECT_EQ(body<Ping>(*parse("c0 00")).type, PacketType::pingreq);
  EXPECT_EQ(body<Ping>(*parse("d0 00")).type, PacketType::pingresp);
  EXPECT_EQ(error_of("c0 01 00"), Errc::trailing_bytes);
}

TEST(MqttDisconnect, BothVersionsAndAuth) {
  EXPECT_EQ(body<Disconnect>(*parse("e0 00")).reason, 0u);
  EXPECT_EQ(error_of("e0 01 04"), Errc::trailing_bytes);                        // 3.1.1: no body
  EXPECT_EQ(body<Disconnect>(*parse("e0 01 04", Version::v5)).reason, 0x04u);   // with will
  const auto p = parse("e0 07 00 05 11 00 00 00 00", Version::v5);
  EXPECT_TRUE(body<Disconnect>(*p).properties.has(PropertyId::session_expiry_interval));
  EXPECT_EQ(error_of("e0 01 01", Version::v5), Errc::bad_reason_code);
  const auto a = parse("f0 0a 18 08 15 00 05 'SCRAM'", Version::v5);
  const auto& auth = body<Disconnect>(*a);
  EXPECT_EQ(auth.type, PacketType::auth);
  EXPECT_EQ(auth.reason, 0x18u);
  EXPECT_EQ(auth.properties.authentication_method, "SCRAM");
  EXPECT_EQ(error_of("f0 01 04", Version::v5), Errc::bad_reason_code);
}

// ---- serializing ----

std::vector<std::byte> serialized(const auto& p, Version v) {
  std::vector<std::byte> out(1024);
  Result<std::size_t> r = [&] {
    if constexpr (requires { serialize(p, v, std::span<std::byte>(out)); }) return serialize(p, v, std::span<std::byte>(out));
    else return serialize(p, std::span<std::byte>(out));
  }();
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  if (!r) return {};
  out.resize(*r);
  return out;
}

TEST(MqttSerialize, KnownBytes) {
  Connect c;
  c.client_id = "test";
  c.keepalive = 60;
  EXPECT_EQ(serialized(c, Version::v311), wire("10 10 00 04 'MQTT' 04 02 00 3c 00 04 'test'"));
  EXPECT_EQ(packet_size(c), 18u);
  Publish p;
  p.topic = "a/b";
  p.qos = 1;
  p.packet_id = 7;
  p.payload = std::as_bytes(std::span("hello", 5));
  EXPECT_EQ(serialized(p, Version::v311), wire("32 0c 00 03 'a/b' 00 07 'hello'"));
  EXPECT_EQ(serialized(p, Version::v5), wire("32 0d 00 03 'a/b' 00 07 00 'hello'"));
  Ack a;
  a.packet_id = 7;
  EXPECT_EQ(serialized(a, Version::v5), wire("40 02 00 07"));  // success without properties: 2 bytes
  a.reason = 0x10;
  EXPECT_EQ(serialized(a, Version::v5), wire("40 03 00 07 10"));
  EXPECT_EQ(serialized(a, Version::v311), wire("40 02 00 07"));
  Connack ca;
  ca.reason = connack311::identifier_rejected;
  EXPECT_EQ(serialized(ca, Version::v311), wire("20 02 00 02"));
  EXPECT_EQ(serialized(Ping{PacketType::pingresp}, Version::v311), wire("d0 00"));
  EXPECT_EQ(serialized(Disconnect{}, Version::v5), wire("e0 00"));
}

TEST(MqttSerialize, RefusesWhatCannotBeEncoded) {
  std::array<std::byte, 64> out{};
  Publish p;
  p.topic = "t";
  p.qos = 3;
  EXPECT_EQ(serialize(p, Version::v311, out).error(), make_error_code(Errc::bad_qos));
  p.qos = 1;
  EXPECT_EQ(serialize(p, Version::v311, out).error(), make_error_code(Errc::zero_packet_id));
  p.packet_id = 1;
  const std::string big(70'000, 'x');
  p.topic = big;
  EXPECT_EQ(serialize(p, Version::v311, out).error(), make_error_code(Errc::value_too_large));
  EXPECT_EQ(packet_size(p, Version::v311), 0u);
  p.topic = "t";
  EXPECT_EQ(serialize(p, Version::v311, std::span(out).first(5)).error(), make_error_code(Errc::buffer_too_small));
  Subscribe s;
  s.packet_id = 1;
  EXPECT_EQ(serialize(s, Version::v311, out).error(), make_error_code(Errc::no_subscriptions));
  EXPECT_EQ(serialize(Disconnect{PacketType::auth}, Version::v311, out).error(), make_error_code(Errc::bad_packet_type));
}

TEST(MqttSerialize, PublishHeaderPlusPayloadEqualsThePacket) {
  Publish p;
  p.topic = "sensors/1";
  p.qos = 2;
  p.packet_id = 9;
  const std::string payload(300, 'p');  // a two-byte remaining length
  p.payload = std::as_bytes(std::span(payload));
  for (Version v : {Version::v311, Version::v5}) {
    const auto whole = serialized(p, v);
    std::array<std::byte, 32> head{};
    const auto n = serialize_publish_header(p, v, payload.size(), head);
    ASSERT_TRUE(n.ok());
    std::vector<std::byte> joined(head.begin(), head.begin() + static_cast<std::ptrdiff_t>(*n));
    joined.insert(joined.end(), p.payload.begin(), p.payload.end());
    EXPECT_EQ(joined, whole);
  }
}

// Parse → serialize gives the same bytes, for every packet type in both versions.
TEST(MqttRoundTrip, EveryPacketType) {
  const std::vector<std::pair<Version, std::string>> cases = {
      {Version::v311, "10 24 00 04 'MQTT' 04 ce 00 0a 00 02 'id' 00 04 'w/tp' 00 03 'bye' 00 04 'user' 00 03 'pw!'"},
      {Version::v5, "10 28 00 04 'MQTT' 05 06 00 1e 08 11 00 00 00 78 21 00 10 00 02 'id' 05 18 00 00 00 05 00 03 'w/t' 00 04 'gone'"},
      {Version::v311, "20 02 01 00"},
      {Version::v5, "20 0c 00 00 09 12 00 06 'auto-1'"},
      {Version::v311, "3d 0c 00 03 'a/b' 00 07 'hello'"},
      {Version::v5, "30 0e 00 00 0a 23 00 03 02 00 00 00 3c 0b 01 'x'"},
      {Version::v311, "40 02 00 07"},
      {Version::v5, "50 0a 00 07 97 06 1f 00 03 'max'"},
      {Version::v311, "62 02 00 07"},
      {Version::v5, "70 03 00 07 92"},
      {Version::v311, "82 0e 00 0a 00 03 'a/b' 01 00 03 'c/d' 02"},
      {Version::v5, "82 0b 00 01 02 0b 09 00 03 'a/#' 2d"},
      {Version::v311, "90 05 00 0a 00 02 80"},
      {Version::v5, "90 04 00 0a 00 87"},
      {Version::v311, "a2 0c 00 05 00 03 'a/b' 00 03 'c/#'"},
      {Version::v311, "b0 02 00 05"},
      {Version::v5, "b0 05 00 05 00 00 11"},
      {Version::v311, "c0 00"},
      {Version::v311, "d0 00"},
      {Version::v311, "e0 00"},
      {Version::v5, "e0 07 00 05 11 00 00 00 00"},
      {Version::v5, "f0 0a 18 08 15 00 05 'SCRAM'"},
  };
  for (const auto& [v, hex] : cases) {
    const auto p = parse(hex, v);
    ASSERT_EQ(p->result.error, Errc::ok) << hex << ": " << errc_name(p->result.error);
    std::vector<std::byte> out(256);
    const auto n = serialize(p->packet, v, out);
    ASSERT_TRUE(n.ok()) << hex;
    out.resize(*n);
    EXPECT_EQ(out, p->bytes) << hex;
  }
}

}  // namespace
}  // namespace zp::codec::mqtt
