// A blocking MQTT client for the broker's tests: packets built with the codec, answers
// parsed with it into owned values, every wait bounded (the socket's 3 s receive timeout).
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "../../common/test_net.h"
#include "zp/codec/mqtt/packet.h"

namespace zp::test::mqtt {

namespace cm = zp::codec::mqtt;

// A received packet, copied out of the parse.
struct Got {
  cm::PacketType type{};
  std::uint8_t flags = 0;
  // CONNACK
  bool session_present = false;
  std::uint8_t reason = 0;  // CONNACK, acks, DISCONNECT
  std::string assigned_client_id;
  std::uint16_t receive_maximum = 65535;  // 5.0: absent means 65535
  std::uint32_t maximum_packet_size = 0;  // 5.0: 0 when absent
  // PUBLISH
  std::string topic;
  std::string payload;
  std::uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;  // PUBLISH, acks, SUBACK
  std::vector<std::uint32_t> subscription_ids;
  std::vector<std::uint8_t> reasons;  // SUBACK, UNSUBACK
  // 5.0 properties
  std::uint16_t topic_alias_maximum = 0;      // CONNACK
  std::optional<std::uint32_t> message_expiry;  // PUBLISH
  bool has_topic_alias = false;               // PUBLISH
  std::string content_type;                   // PUBLISH
  std::vector<std::pair<std::string, std::string>> user_properties;  // PUBLISH
};

class Client {
 public:
  explicit Client(std::uint16_t port, cm::Version v = cm::Version::v311) : v_(v) { fd_ = connect_loopback(port); }
  ~Client() { close(); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool ok() const { return fd_ >= 0; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool send_bytes(std::span<const std::byte> b) {
    std::size_t off = 0;
    while (off < b.size()) {
      const ssize_t n = ::send(fd_, b.data() + off, b.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += std::size_t(n);
    }
    return true;
  }
  bool send_raw(std::string_view s) { return send_bytes(std::as_bytes(std::span(s.data(), s.size()))); }

  template <class P>
  bool send(const P& p) {
    cm::Packet pkt;
    pkt.body = p;
    std::vector<std::byte> out(1u << 16);
    auto n = cm::serialize(pkt, v_, out);
    if (!n) return false;
    return send_bytes(std::span(out).first(*n));
  }

  // CONNECT and its CONNACK.
  std::optional<Got> connect(std::string_view client_id, bool clean = true, std::uint16_t keepalive = 60,
                             cm::Connect extra = {}) {
    cm::Connect c = extra;
    c.version = v_;
    c.client_id = client_id;
    c.clean_start = clean;
    c.keepalive = keepalive;
    if (!send(c)) return std::nullopt;
    return recv();
  }

  bool publish(std::string_view topic, std::string_view payload, std::uint8_t qos = 0, std::uint16_t id = 0,
               bool retain = false) {
    cm::Publish p{.qos = qos, .retain = retain, .topic = topic, .packet_id = id,
                  .payload = std::as_bytes(std::span(payload.data(), payload.size()))};
    return send(p);
  }

  // SUBSCRIBE one filter and wait for its SUBACK; the PUBLISH packets that came first (the
  // retained ones may: MQTT-3.8.4) are kept for recv().
  std::optional<Got> subscribe(std::string_view filter, std::uint8_t qos, std::uint16_t id = 1, cm::Subscription extra = {}) {
    cm::Subscription s = extra;
    s.filter = filter;
    s.qos = qos;
    cm::Subscribe sub{.packet_id = id, .subscriptions = std::span(&s, 1)};
    if (!send(sub)) return std::nullopt;
    return recv_until(cm::PacketType::suback);
  }
  // The next packet of `type`; the PUBLISH packets before it are kept for recv().
  std::optional<Got> recv_until(cm::PacketType type) {
    for (;;) {
      auto g = recv_packet();
      if (!g || g->type == type || g->type != cm::PacketType::publish) return g;
      early_.push_back(std::move(*g));
    }
  }

  bool ack(cm::PacketType type, std::uint16_t id) { return send(cm::Ack{.type = type, .packet_id = id}); }

  // The next packet; nullopt at EOF, on a timeout or a parse error.
  std::optional<Got> recv() {
    if (!early_.empty()) {
      Got g = std::move(early_.front());
      early_.pop_front();
      return g;
    }
    return recv_packet();
  }

 private:
  std::optional<Got> recv_packet() {
    for (;;) {
      cm::Packet pkt;
      cm::Subscription subs[8];
      std::string_view filters[8];
      const cm::Scratch scratch{subs, filters};
      cm::Limits limits;
      limits.max_packet_size = 1u << 24;
      const auto r = cm::parse_packet(buf_, v_, limits, pkt, scratch);
      if (r.error != cm::Errc::ok) return std::nullopt;
      if (!r.need_more()) {
        Got g = to_got(pkt);
        buf_.erase(buf_.begin(), buf_.begin() + std::ptrdiff_t(r.consumed));
        return g;
      }
      std::byte tmp[65536];
      const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) return std::nullopt;
      buf_.insert(buf_.end(), tmp, tmp + n);
    }
  }

 public:
  // True when the server closes the connection (EOF or reset) before `limit`.
  bool closed_by_server(std::chrono::milliseconds limit = std::chrono::milliseconds(3000)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      std::byte tmp[4096];
      const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n == 0) return true;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return true;
    }
    return false;
  }

 private:
  static Got to_got(const cm::Packet& pkt) {
    Got g;
    g.type = pkt.header.type;
    g.flags = pkt.header.flags;
    if (auto* c = std::get_if<cm::Connack>(&pkt.body)) {
      g.session_present = c->session_present;
      g.reason = c->reason;
      g.assigned_client_id = std::string(c->properties.assigned_client_identifier);
      g.topic_alias_maximum = c->properties.topic_alias_maximum;
      if (c->properties.has(cm::PropertyId::receive_maximum)) g.receive_maximum = c->properties.receive_maximum;
      if (c->properties.has(cm::PropertyId::maximum_packet_size)) g.maximum_packet_size = c->properties.maximum_packet_size;
    } else if (auto* p = std::get_if<cm::Publish>(&pkt.body)) {
      g.topic = std::string(p->topic);
      g.payload.assign(reinterpret_cast<const char*>(p->payload.data()), p->payload.size());
      g.qos = p->qos;
      g.retain = p->retain;
      g.dup = p->dup;
      g.packet_id = p->packet_id;
      cm::for_each_subscription_identifier(p->properties, [&](std::uint32_t id) { g.subscription_ids.push_back(id); });
      if (p->properties.has(cm::PropertyId::message_expiry_interval)) g.message_expiry = p->properties.message_expiry_interval;
      g.has_topic_alias = p->properties.has(cm::PropertyId::topic_alias);
      g.content_type = std::string(p->properties.content_type);
      cm::for_each_user_property(p->properties, [&](std::string_view n, std::string_view v) {
        g.user_properties.emplace_back(std::string(n), std::string(v));
      });
    } else if (auto* a = std::get_if<cm::Ack>(&pkt.body)) {
      g.packet_id = a->packet_id;
      g.reason = a->reason;
    } else if (auto* s = std::get_if<cm::SubAck>(&pkt.body)) {
      g.packet_id = s->packet_id;
      for (std::byte b : s->reasons) g.reasons.push_back(std::uint8_t(b));
    } else if (auto* d = std::get_if<cm::Disconnect>(&pkt.body)) {
      g.reason = d->reason;
    }
    return g;
  }

  int fd_ = -1;
  cm::Version v_;
  std::vector<std::byte> buf_;
  std::deque<Got> early_;  // PUBLISH packets that arrived ahead of an awaited SUBACK
};

}  // namespace zp::test::mqtt
