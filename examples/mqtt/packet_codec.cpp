// Example: the MQTT codec without any I/O. Shows: serializing CONNECT and PUBLISH into a
// caller's buffer (packet_size first, so the buffer is exact), parsing them back into views
// of the bytes (nothing copied, nothing allocated), a packet split across two reads
// (need_more, then the whole buffer again), a malformed packet's error and its MQTT 5
// reason code, and the zero-copy fan-out header: one PUBLISH header per subscriber in front
// of the same payload bytes.
#include <cstdio>
#include <string_view>
#include <vector>

#include "zp/codec/mqtt/packet.h"

namespace cm = zp::codec::mqtt;

namespace {

std::span<const std::byte> bytes_of(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

void show(const cm::Packet& p) {
  if (auto* c = std::get_if<cm::Connect>(&p.body)) {
    std::printf("CONNECT v%d client id \"%.*s\" keepalive %u clean %d will \"%.*s\"\n",
                c->version == cm::Version::v5 ? 5 : 4, int(c->client_id.size()), c->client_id.data(), c->keepalive,
                c->clean_start, int(c->will_topic.size()), c->will_topic.data());
  } else if (auto* pub = std::get_if<cm::Publish>(&p.body)) {
    std::printf("PUBLISH \"%.*s\" qos %u id %u payload \"%.*s\"\n", int(pub->topic.size()), pub->topic.data(), pub->qos,
                pub->packet_id, int(pub->payload.size()), reinterpret_cast<const char*>(pub->payload.data()));
  }
}

}  // namespace

int main() {
  const cm::Limits limits;
  cm::Subscription subs[4];
  std::string_view filters[4];
  const cm::Scratch scratch{subs, filters};

  // CONNECT (MQTT 5) with a will, then a QoS 1 PUBLISH, into one buffer as a client sends them.
  cm::Connect c{.version = cm::Version::v5, .keepalive = 30, .client_id = "sensor-7", .has_will = true,
                .will_qos = 1, .will_topic = "status/sensor-7", .will_payload = bytes_of("offline")};
  cm::Publish pub{.qos = 1, .topic = "sensors/7/temp", .packet_id = 1, .payload = bytes_of("21.5")};
  std::vector<std::byte> wire(cm::packet_size(c) + cm::packet_size(pub, cm::Version::v5));
  auto n1 = cm::serialize(c, wire);
  auto n2 = cm::serialize(pub, cm::Version::v5, std::span(wire).subspan(*n1));
  std::printf("wire: CONNECT %zu + PUBLISH %zu bytes\n", *n1, *n2);

  // The server side: the first read holds 10 bytes only.
  cm::Packet p;
  auto r = cm::parse_packet(std::span(wire).first(10), cm::Version::v311, limits, p, scratch);
  std::printf("first 10 bytes: need more (packet of %zu bytes)\n", r.need_more() ? r.wanted : 0);
  std::size_t at = 0;
  cm::Version v = cm::Version::v311;  // CONNECT says which version the rest uses
  while (at < wire.size()) {
    r = cm::parse_packet(std::span(wire).subspan(at), v, limits, p, scratch);
    if (r.error != cm::Errc::ok || r.need_more()) break;
    if (auto* cn = std::get_if<cm::Connect>(&p.body)) v = cn->version;
    show(p);
    at += r.consumed;
  }

  // A PUBLISH whose topic holds a wildcard: refused, with the reason code a server sends.
  const char bad[] = "\x30\x05\x00\x03" "a/#";
  r = cm::parse_packet(bytes_of(std::string_view(bad, sizeof bad - 1)), cm::Version::v311, limits, p, scratch);
  std::printf("bad PUBLISH: %s (reason 0x%02X)\n", std::string(cm::errc_name(r.error)).c_str(), cm::reason_for(r.error));

  // Fan-out: a header per subscriber (each with its own QoS and packet id), one payload.
  const auto payload = bytes_of("21.5");
  for (std::uint16_t id : {7, 8}) {
    cm::Publish out{.qos = 1, .topic = "sensors/7/temp", .packet_id = id};
    std::byte header[64];
    auto h = cm::serialize_publish_header(out, cm::Version::v311, payload.size(), header);
    std::printf("subscriber %u: %zu header bytes + the same %zu payload bytes\n", id, *h, payload.size());
  }
  return 0;
}
