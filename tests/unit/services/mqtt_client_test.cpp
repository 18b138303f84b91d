// The MQTT client against our broker on every backend: both versions, QoS 0/1/2 round
// trips, ordered delivery, keepalive pings and a dead link, CONNACK refusals, the broker
// going away; and the blocking calls. The client runs on the test thread's own shard, the
// broker in a runtime on another thread.
#include "zp/mqtt/client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <optional>
#include <future>
#include <string>
#include <thread>

#include "../../common/test_net.h"
#include "engine_test_util.h"
#include "runtime_thread.h"
#include "zp/engine/runtime.h"
#include "zp/mqtt/broker.h"

namespace zp {
namespace {

using namespace std::chrono_literals;
namespace cm = zp::codec::mqtt;
using cm::Version;
using mqtt::Client;
using mqtt::ClientErrc;
using mqtt::ClientOptions;
using mqtt::SubscribeOptions;

// ASSERT for coroutines (gtest's ASSERT_* returns, which a coroutine cannot).
#define CO_ASSERT(cond)                                 \
  do {                                                  \
    if (!(cond)) {                                      \
      ADD_FAILURE() << "assertion failed: " #cond;      \
      co_return;                                        \
    }                                                   \
  } while (0)
// The same for an awaited Result (the co_await stays out of the condition).
#define CO_ASSERT_OK(awaited)                                                  \
  do {                                                                         \
    auto co_assert_r = awaited;                                                \
    if (!co_assert_r) {                                                        \
      ADD_FAILURE() << #awaited ": " << co_assert_r.error().message();         \
      co_return;                                                               \
    }                                                                          \
  } while (0)

class ClientTest : public ::testing::TestWithParam<test::BackendParam> {
 protected:
  void SetUp() override {
    port_ = test::free_port();
    start_broker();
    shard_ = test::make_shard(GetParam());
    ASSERT_TRUE(shard_);
  }
  void TearDown() override {
    if (shard_) {
      shard_->request_stop(0);
      shard_->run();
      shard_.reset();
    }
    stop_broker();
  }

 public:
  // A broker (again) on port_.
  void start_broker() {
    broker_ = std::make_unique<mqtt::Broker>(1, mqtt::BrokerOptions{});
    RuntimeOptions o;
    o.shards = 1;
    o.backend = BackendKind::epoll;  // the broker's backend is not under test here
    o.drain_timeout = 1000ms;
    ASSERT_TRUE(rt_.start(o, [this](Shard& s) { return broker_->start(s, {"127.0.0.1:" + std::to_string(port_)}); }));
  }
  void stop_broker() { rt_.stop(); }
 protected:
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  void run(Task<void> t) { shard_->block_on(std::move(t)); }

  std::unique_ptr<mqtt::Broker> broker_;
  std::uint16_t port_ = 0;
  test::RuntimeThread rt_;
  std::unique_ptr<Shard> shard_;
};

ClientOptions opts(std::string id, Version v = Version::v311) {
  ClientOptions o;
  o.client_id = std::move(id);
  o.version = v;
  return o;
}

// One subscriber, one publisher: a message at each QoS arrives once, with its QoS.
Task<void> round_trip(std::string addr, Version v) {
  const ClientOptions sub_opts = opts("sub", v);
  auto sub = co_await Client::connect(addr, sub_opts);
  CO_ASSERT(sub);
  EXPECT_FALSE(sub->session_present());
  const ClientOptions pub_opts = opts("pub", v);
  auto pub = co_await Client::connect(addr, pub_opts);
  CO_ASSERT(pub);
  for (std::uint8_t q = 0; q <= 2; ++q) {
    auto g = co_await sub->subscribe("rt/" + std::to_string(q), q);
    CO_ASSERT(g);
    EXPECT_EQ(*g, q);
  }
  for (std::uint8_t q = 0; q <= 2; ++q) {
    auto r = co_await pub->publish("rt/" + std::to_string(q), "payload " + std::to_string(q), q);
    CO_ASSERT(r);
  }
  for (std::uint8_t q = 0; q <= 2; ++q) {
    auto m = co_await with_timeout(5000ms, sub->next_message());
    CO_ASSERT(m);
    EXPECT_EQ(m->topic, "rt/" + std::to_string(q));
    EXPECT_EQ(m->payload, "payload " + std::to_string(q));
    EXPECT_EQ(m->qos, q);
    EXPECT_FALSE(m->retain);
  }
  EXPECT_EQ(pub->stats().published, 3u);
  EXPECT_EQ(sub->stats().received, 3u);
  CO_ASSERT_OK(co_await sub->unsubscribe("rt/1"));
  CO_ASSERT_OK(co_await pub->publish("rt/1", "after unsubscribe", 1));
  CO_ASSERT_OK(co_await pub->publish("rt/2", "still subscribed", 2));
  auto m = co_await with_timeout(5000ms, sub->next_message());
  CO_ASSERT(m);
  EXPECT_EQ(m->payload, "still subscribed");
  CO_ASSERT_OK(co_await pub->disconnect());
  EXPECT_FALSE(pub->connected());
  CO_ASSERT_OK(co_await sub->disconnect());
  auto after = co_await pub->publish("rt/0", "x", 0);
  EXPECT_EQ(after.error(), ClientErrc::not_connected);
}

TEST_P(ClientTest, RoundTripQos012Version311) { run(round_trip(addr(), Version::v311)); }
TEST_P(ClientTest, RoundTripQos012Version5) { run(round_trip(addr(), Version::v5)); }

Task<void> retained(std::string addr) {
  const ClientOptions pub_opts = opts("rpub");
  auto pub = co_await Client::connect(addr, pub_opts);
  CO_ASSERT(pub);
  CO_ASSERT_OK(co_await pub->publish("ret/a", "kept", 1, true));
  const ClientOptions sub_opts = opts("rsub", Version::v5);
  auto sub = co_await Client::connect(addr, sub_opts);
  CO_ASSERT(sub);
  CO_ASSERT_OK(co_await sub->subscribe("ret/#", 1));
  auto m = co_await with_timeout(5000ms, sub->next_message());
  CO_ASSERT(m);
  EXPECT_EQ(m->topic, "ret/a");
  EXPECT_EQ(m->payload, "kept");
  EXPECT_TRUE(m->retain);
  CO_ASSERT_OK(co_await pub->publish("ret/a", "", 1, true));  // deletes it
}

TEST_P(ClientTest, RetainedMessageOnSubscribe) { run(retained(addr())); }

// 200 QoS 1 messages published concurrently (a window of 8) arrive in order.
Task<void> publish_n(Client* c, int from, int to, std::atomic<int>* failures) {
  for (int i = from; i < to; ++i) {
    auto r = co_await c->publish("ord", std::to_string(i), 1);
    if (!r) ++*failures;
  }
}

Task<void> ordered(std::string addr) {
  const ClientOptions sub_opts = opts("osub");
  auto sub = co_await Client::connect(addr, sub_opts);
  CO_ASSERT(sub);
  CO_ASSERT_OK(co_await sub->subscribe("ord", 1));
  ClientOptions po = opts("opub");
  po.max_inflight = 8;
  auto pub = co_await Client::connect(addr, po);
  CO_ASSERT(pub);
  // One task publishes in order; each publish waits for its PUBACK. A second client's
  // burst checks the window: many calls overlap, at most 8 unacknowledged.
  std::atomic<int> failures{0};
  auto h = Shard::current()->spawn(publish_n(&*pub, 0, 200, &failures));
  CO_ASSERT(h);
  for (int i = 0; i < 200; ++i) {
    auto m = co_await with_timeout(5000ms, sub->next_message());
    CO_ASSERT(m);
    EXPECT_EQ(m->payload, std::to_string(i));
    EXPECT_EQ(m->qos, 1);
  }
  co_await h->join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(pub->stats().published, 200u);
}

TEST_P(ClientTest, OrderedDelivery200Qos1) { run(ordered(addr())); }

// Many publishes in flight at once: the window bounds them, every one completes.
Task<void> window(std::string addr) {
  ClientOptions po = opts("wpub");
  po.max_inflight = 4;
  auto pub = co_await Client::connect(addr, po);
  CO_ASSERT(pub);
  std::atomic<int> failures{0};
  std::vector<TaskHandle> hs;
  for (int k = 0; k < 10; ++k) {
    auto h = Shard::current()->spawn(publish_n(&*pub, k * 30, k * 30 + 30, &failures));
    CO_ASSERT(h);
    hs.push_back(std::move(*h));
  }
  for (auto& h : hs) co_await h.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(pub->stats().published, 300u);
}

TEST_P(ClientTest, InflightWindowBoundsConcurrentPublishes) { run(window(addr())); }

Task<void> keepalive(std::string addr) {
  ClientOptions o = opts("pinger");
  o.keepalive_s = 1;
  auto c = co_await Client::connect(addr, o);
  CO_ASSERT(c);
  EXPECT_EQ(c->keepalive_s(), 1);
  CO_ASSERT_OK(co_await sleep(2500ms));
  EXPECT_TRUE(c->connected());
  EXPECT_GE(c->stats().pings_sent, 1u);
  EXPECT_GE(c->stats().pongs_received, 1u);
  CO_ASSERT_OK(co_await c->publish("ka", "alive", 1));
}

TEST_P(ClientTest, KeepalivePingsWhenIdle) { run(keepalive(addr())); }

Task<void> refusal(std::string addr) {
  ClientOptions o = opts("");
  o.clean_start = false;  // 3.1.1: an empty id needs a clean session (MQTT-3.1.3-8)
  auto c = co_await Client::connect(addr, o);
  CO_ASSERT(!c);
  EXPECT_EQ(c.error(), mqtt::connack_error(cm::connack311::identifier_rejected));
  EXPECT_NE(c.error().message().find("identifier rejected"), std::string::npos) << c.error().message();
  EXPECT_NE(c.error().message().find("CONNACK 2"), std::string::npos) << c.error().message();
  // 5.0 with an empty id: the broker assigns one.
  const ClientOptions v5_opts = opts("", Version::v5);
  auto v5 = co_await Client::connect(addr, v5_opts);
  CO_ASSERT(v5);
  EXPECT_FALSE(v5->client_id().empty());
  // Bad input never reaches the wire.
  auto e1 = co_await v5->publish("a/+", "x");
  EXPECT_EQ(e1.error(), ClientErrc::bad_topic);
  auto e2 = co_await v5->publish("a", "x", 3);
  EXPECT_EQ(e2.error(), ClientErrc::bad_qos);
  auto e3 = co_await v5->subscribe("a/#/b", 0);
  EXPECT_EQ(e3.error(), ClientErrc::bad_filter);
  EXPECT_TRUE(v5->connected());
  const ClientOptions bad_opts = opts("x");
  const std::string no_port = "nowhere";
  auto bad = co_await Client::connect(no_port, bad_opts);
  EXPECT_EQ(bad.error(), ClientErrc::bad_address);
  // A name now goes to the resolver: ".invalid" has no address (RFC 6761), no packet sent.
  const std::string nowhere = "nowhere.invalid:1883";
  auto unknown = co_await Client::connect(nowhere, bad_opts);
  EXPECT_EQ(unknown.error(), ClientErrc::host_not_found);
}

TEST_P(ClientTest, ConnackRefusalAndBadInput) { run(refusal(addr())); }

Task<void> persistent_session(std::string addr) {
  ClientOptions o = opts("keeper");
  o.clean_start = false;
  {
    auto c = co_await Client::connect(addr, o);
    CO_ASSERT(c);
    CO_ASSERT_OK(co_await c->subscribe("ps/t", 1));
    CO_ASSERT_OK(co_await c->disconnect());
  }
  const ClientOptions pub_opts = opts("pspub");
  auto pub = co_await Client::connect(addr, pub_opts);
  CO_ASSERT(pub);
  CO_ASSERT_OK(co_await pub->publish("ps/t", "while away", 1));
  auto c = co_await Client::connect(addr, o);
  CO_ASSERT(c);
  EXPECT_TRUE(c->session_present());
  auto m = co_await with_timeout(5000ms, c->next_message());
  CO_ASSERT(m);
  EXPECT_EQ(m->payload, "while away");
}

TEST_P(ClientTest, PersistentSessionQueuesWhileAway) { run(persistent_session(addr())); }

Task<void> broker_gone(ClientTest* t, std::string addr) {
  const ClientOptions c_opts = opts("orphan");
  auto c = co_await Client::connect(addr, c_opts);
  CO_ASSERT(c);
  CO_ASSERT_OK(co_await c->subscribe("x", 0));
  std::thread stopper([t] { t->stop_broker(); });
  auto m = co_await with_timeout(10000ms, c->next_message());
  stopper.join();
  CO_ASSERT(!m);
  EXPECT_EQ(m.error(), ClientErrc::connection_closed) << m.error().message();
  EXPECT_FALSE(c->connected());
  auto late = co_await c->publish("x", "y", 1);
  EXPECT_EQ(late.error(), ClientErrc::connection_closed);
}

TEST_P(ClientTest, BrokerClosingEndsNextMessage) { run(broker_gone(this, addr())); }

// A "broker" that answers CONNECT and then never again: the client's PINGREQ goes
// unanswered and the connection ends with ETIMEDOUT within about twice the keepalive.
Task<void> dead_link(std::uint16_t port) {
  ClientOptions o = opts("lonely");
  o.keepalive_s = 1;
  auto c = co_await Client::connect("127.0.0.1:" + std::to_string(port), o);
  CO_ASSERT(c);
  auto m = co_await with_timeout(5000ms, c->next_message());
  CO_ASSERT(!m);
  EXPECT_EQ(m.error(), std::errc::timed_out) << m.error().message();
  EXPECT_EQ(c->stats().pings_sent, 1u);
  EXPECT_EQ(c->stats().pongs_received, 0u);
  CO_ASSERT_OK(co_await sleep(100ms));  // the reader closes the socket on its way out
}

TEST_P(ClientTest, MissingPingrespEndsWithTimeout) {
  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(lfd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&a), len), 0);
  ASSERT_EQ(::listen(lfd, 1), 0);
  ASSERT_EQ(getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  std::atomic<bool> saw_eof{false};
  std::thread silent([lfd, &saw_eof] {
    int fd = ::accept(lfd, nullptr, nullptr);
    if (fd < 0) return;
    timeval tv{8, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[512];
    (void)::recv(fd, buf, sizeof buf, 0);  // CONNECT
    const unsigned char connack[] = {0x20, 0x02, 0x00, 0x00};
    (void)::send(fd, connack, sizeof connack, MSG_NOSIGNAL);
    ssize_t n = 0;
    for (;;) {  // PINGREQ, unanswered, until the client closes
      n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
    }
    saw_eof = n == 0;
    ::close(fd);
  });
  run(dead_link(ntohs(a.sin_port)));
  silent.join();
  ::close(lfd);
  EXPECT_TRUE(saw_eof.load()) << "the client did not close the dead connection";
}

TEST_P(ClientTest, BlockingPublishOnceAndSubscribe) {
  std::promise<void> subscribed;
  auto ready = subscribed.get_future();
  std::vector<std::string> got;
  std::thread sub([&] {
    auto n = mqtt::subscribe_blocking(
        addr(), {{"blk/#", 2}},
        [&](const mqtt::Message& m) {
          got.push_back(m.topic + "=" + m.payload);
          return got.size() < 2;
        },
        opts("bsub"), 10000, [&] { subscribed.set_value(); });
    EXPECT_TRUE(n) << n.error().message();
    if (n) {
      EXPECT_EQ(*n, 2u);
    }
  });
  ASSERT_EQ(ready.wait_for(10s), std::future_status::ready);
  auto r1 = mqtt::publish_once(addr(), "blk/1", "one", 1, false, opts("bpub"));
  EXPECT_TRUE(r1) << r1.error().message();
  auto r2 = mqtt::publish_once(addr(), "blk/2", "two", 2, false, opts("bpub", Version::v5));
  EXPECT_TRUE(r2) << r2.error().message();
  sub.join();
  EXPECT_EQ(got, (std::vector<std::string>{"blk/1=one", "blk/2=two"}));
  // Nothing arrives: the time limit ends it with ETIMEDOUT.
  auto none = mqtt::subscribe_blocking(addr(), {{"empty", 0}}, [](const mqtt::Message&) { return true; },
                                       opts("bnone"), 300);
  EXPECT_EQ(none.error(), std::errc::timed_out);
  auto refused = mqtt::publish_once("127.0.0.1:" + std::to_string(test::free_port()), "t", "x");
  EXPECT_EQ(refused.error(), std::errc::connection_refused);
}


// A scripted "broker" on a blocking socket in a thread: accepts one connection, answers its
// CONNECT with CONNACK 0, then runs the script (packets built and parsed with the codec).
class FakeBroker {
 public:
  struct Got {
    cm::PacketType type{};
    std::uint16_t packet_id = 0;
    std::uint8_t qos = 0;
    bool dup = false;
    std::string topic;
    std::string payload;
  };
  // answer_connect false: the script answers the CONNECT itself.
  explicit FakeBroker(std::function<void(FakeBroker&)> script, Version v = Version::v311, bool answer_connect = true)
      : v_(v) {
    lfd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval atv{5, 0};
    setsockopt(lfd_, SOL_SOCKET, SO_RCVTIMEO, &atv, sizeof atv);  // accept() waits 5 s at most
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(lfd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(lfd_, 1) != 0) ADD_FAILURE() << "fake bind";
    getsockname(lfd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, script = std::move(script), answer_connect] {
      fd_ = ::accept(lfd_, nullptr, nullptr);
      if (fd_ < 0) return;
      timeval tv{5, 0};
      setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      auto c = recv();
      EXPECT_TRUE(c && c->type == cm::PacketType::connect);
      if (answer_connect) send(cm::Connack{});
      script(*this);
      ::close(fd_);
    });
  }
  ~FakeBroker() {
    if (thread_.joinable()) thread_.join();
    if (lfd_ >= 0) ::close(lfd_);
  }
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  // Drops the connection, takes the client's next one and answers its CONNECT.
  bool next_connection(bool session_present) {
    ::close(fd_);
    buf_.clear();
    fd_ = ::accept(lfd_, nullptr, nullptr);
    if (fd_ < 0) return false;
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    auto c = recv();
    if (!c || c->type != cm::PacketType::connect) return false;
    cm::Connack ack;
    ack.session_present = session_present;
    send(ack);
    return true;
  }
  // Stops listening: later connection attempts are refused.
  void stop_listening() {
    ::close(lfd_);
    lfd_ = -1;
  }

  template <class P>
  void send(const P& p) {
    cm::Packet pkt;
    pkt.body = p;
    std::vector<std::byte> out(1u << 16);
    auto n = cm::serialize(pkt, v_, out);
    ASSERT_TRUE(n);
    send_raw(std::span<const std::byte>(out).first(*n));
  }
  void send_raw(std::span<const std::byte> b) {
    std::size_t off = 0;
    while (off < b.size()) {
      const ssize_t n = ::send(fd_, b.data() + off, b.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += std::size_t(n);
    }
  }
  void publish(std::string_view topic, std::string_view payload, std::uint8_t qos, std::uint16_t id, bool dup = false) {
    cm::Publish p;
    p.qos = qos;
    p.dup = dup;
    p.topic = topic;
    p.packet_id = id;
    p.payload = std::as_bytes(std::span(payload.data(), payload.size()));
    send(p);
  }
  void ack(cm::PacketType type, std::uint16_t id) {
    cm::Ack a;
    a.type = type;
    a.packet_id = id;
    send(a);
  }
  // The client's next packet; nullopt at EOF, on the 5 s timeout or a parse error.
  std::optional<Got> recv() {
    for (;;) {
      cm::Packet pkt;
      cm::Subscription subs[8];
      std::string_view filters[8];
      const cm::Scratch scratch{subs, filters};
      const auto r = cm::parse_packet(buf_, v_, cm::Limits{}, pkt, scratch);
      if (r.error != cm::Errc::ok) return std::nullopt;
      if (!r.need_more()) {
        Got g;
        g.type = pkt.header.type;
        if (auto* p = std::get_if<cm::Publish>(&pkt.body)) {
          g.packet_id = p->packet_id;
          g.qos = p->qos;
          g.dup = p->dup;
          g.topic.assign(p->topic);
          g.payload.assign(reinterpret_cast<const char*>(p->payload.data()), p->payload.size());
        } else if (auto* a = std::get_if<cm::Ack>(&pkt.body)) {
          g.packet_id = a->packet_id;
        }
        buf_.erase(buf_.begin(), buf_.begin() + std::ptrdiff_t(r.consumed));
        return g;
      }
      std::byte tmp[65536];
      const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) return std::nullopt;
      buf_.insert(buf_.end(), tmp, tmp + n);
    }
  }

 private:
  Version v_;
  int lfd_ = -1;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::vector<std::byte> buf_;
  std::thread thread_;
};

// Incoming QoS 2: a redelivery before PUBREL is acknowledged again but delivered once; after
// PUBREL the id is free for a new message.
Task<void> qos2_exactly_once(std::string addr) {
  const ClientOptions c_opts = opts("q2");
  auto c = co_await Client::connect(addr, c_opts);
  CO_ASSERT(c);
  auto m1 = co_await with_timeout(5000ms, c->next_message());
  CO_ASSERT(m1);
  EXPECT_EQ(m1->payload, "x");
  EXPECT_EQ(m1->qos, 2);
  auto m2 = co_await with_timeout(5000ms, c->next_message());
  CO_ASSERT(m2);
  EXPECT_EQ(m2->payload, "y");
  EXPECT_EQ(c->stats().received, 2u);
  EXPECT_EQ(c->stats().qos2_duplicates, 1u);
  CO_ASSERT_OK(co_await sleep(100ms));  // the last PUBREL/PUBCOMP exchange
  CO_ASSERT_OK(co_await c->disconnect());
}

TEST_P(ClientTest, IncomingQos2DeliveredExactlyOnce) {
  FakeBroker fb([](FakeBroker& b) {
    b.publish("q", "x", 2, 7);
    auto r1 = b.recv();
    ASSERT_TRUE(r1 && r1->type == cm::PacketType::pubrec && r1->packet_id == 7);
    b.publish("q", "x", 2, 7, true);  // our PUBREC "was lost": the same message again
    auto r2 = b.recv();
    ASSERT_TRUE(r2 && r2->type == cm::PacketType::pubrec && r2->packet_id == 7);
    b.ack(cm::PacketType::pubrel, 7);
    auto comp = b.recv();
    ASSERT_TRUE(comp && comp->type == cm::PacketType::pubcomp && comp->packet_id == 7);
    b.publish("q", "y", 2, 7);  // released: id 7 is a new message now
    auto r3 = b.recv();
    ASSERT_TRUE(r3 && r3->type == cm::PacketType::pubrec);
    b.ack(cm::PacketType::pubrel, 7);
    auto comp2 = b.recv();
    ASSERT_TRUE(comp2 && comp2->type == cm::PacketType::pubcomp);
    auto bye = b.recv();
    EXPECT_TRUE(bye && bye->type == cm::PacketType::disconnect);
  });
  run(qos2_exactly_once(fb.addr()));
}

// Packet ids run 1..65535 and wrap to 1, skipping an id still in flight.
Task<void> hold_one(Client* c, bool* done) {
  auto r = co_await c->publish("w", "hold", 1);
  EXPECT_TRUE(r) << r.error().message();
  *done = true;
}

Task<void> id_wrap(std::string addr) {
  ClientOptions o = opts("wrap");
  o.max_inflight = 2;
  auto c = co_await Client::connect(addr, o);
  CO_ASSERT(c);
  bool held_done = false;
  auto h = Shard::current()->spawn(hold_one(&*c, &held_done));  // takes id 1, answered last
  CO_ASSERT(h);
  for (int i = 0; i < 65536; ++i) {
    auto r = co_await c->publish("w", "n", 1);
    CO_ASSERT(r);
  }
  CO_ASSERT_OK(co_await c->publish("w", "last", 1));  // the broker answers "hold" after this one
  co_await h->join();
  EXPECT_TRUE(held_done);
  CO_ASSERT_OK(co_await c->disconnect());
}

TEST_P(ClientTest, PacketIdsWrapAndSkipInFlight) {
  std::vector<std::uint16_t> ids;
  {
    FakeBroker fb([&ids](FakeBroker& b) {
      std::uint16_t held = 0;
      for (;;) {
        auto p = b.recv();
        if (!p || p->type != cm::PacketType::publish) break;  // DISCONNECT ends it
        ids.push_back(p->packet_id);
        if (p->payload == "hold") {
          held = p->packet_id;
          continue;
        }
        b.ack(cm::PacketType::puback, p->packet_id);
        if (p->payload == "last") b.ack(cm::PacketType::puback, held);
      }
    });
    run(id_wrap(fb.addr()));
  }
  ASSERT_EQ(ids.size(), 65538u);
  EXPECT_EQ(ids[0], 1);  // held until the end
  EXPECT_EQ(ids[1], 2);
  EXPECT_EQ(ids[65534], 65535);
  EXPECT_EQ(ids[65535], 2);  // wrapped past 0 and past 1, still in flight
  for (std::size_t i = 1; i < ids.size(); ++i) {
    if (ids[i] == 0 || ids[i] == 1) {
      ADD_FAILURE() << "id " << ids[i] << " at " << i;
      break;
    }
  }
}

// The queue of unread messages is bounded: reading pauses while it is full and resumes as
// next_message() takes them; nothing is lost or reordered.
Task<void> slow_reader(std::string addr) {
  ClientOptions o = opts("slow");
  o.max_queued_messages = 4;
  auto c = co_await Client::connect(addr, o);
  CO_ASSERT(c);
  CO_ASSERT_OK(co_await sleep(300ms));
  for (int i = 1; i <= 20; ++i) {
    auto m = co_await with_timeout(5000ms, c->next_message());
    CO_ASSERT(m);
    EXPECT_EQ(m->payload, std::to_string(i));
  }
  CO_ASSERT_OK(co_await c->disconnect());
}

TEST_P(ClientTest, BoundedQueuePausesReading) {
  int acks = 0;
  {
    FakeBroker fb([&acks](FakeBroker& b) {
      for (int i = 1; i <= 20; ++i) b.publish("s", std::to_string(i), 1, std::uint16_t(i));
      for (;;) {
        auto p = b.recv();
        if (!p || p->type != cm::PacketType::puback) break;
        EXPECT_EQ(p->packet_id, acks + 1);
        ++acks;
      }
    });
    run(slow_reader(fb.addr()));
  }
  EXPECT_EQ(acks, 20);
}

Task<void> expect_error(std::string addr, ClientOptions o, std::string text) {
  auto c = co_await Client::connect(addr, o);
  CO_ASSERT(c);
  auto m = co_await with_timeout(5000ms, c->next_message());
  CO_ASSERT(!m);
  EXPECT_NE(m.error().message().find(text), std::string::npos) << m.error().message();
  EXPECT_FALSE(c->connected());
  CO_ASSERT_OK(co_await sleep(100ms));  // the reader closes the socket: the fake sees EOF
}

TEST_P(ClientTest, OversizedIncomingPacketEndsTheConnection) {
  FakeBroker fb([](FakeBroker& b) {
    b.publish("big", std::string(200, 'x'), 0, 0);
    (void)b.recv();  // EOF
  });
  ClientOptions o = opts("small");
  o.max_packet_size = 64;
  run(expect_error(fb.addr(), o, "too large"));
}

TEST_P(ClientTest, BrokerDisconnectReasonInTheError) {
  FakeBroker fb(
      [](FakeBroker& b) {
        cm::Disconnect d;
        d.reason = cm::reason::session_taken_over;
        b.send(d);
        (void)b.recv();
      },
      Version::v5);
  run(expect_error(fb.addr(), opts("taken", Version::v5), "session taken over (DISCONNECT 0x8e)"));
}

// A 3.1.1-only broker (mosquitto with protocol 3.1.1, aedes) answers a 5.0 CONNECT with a
// 3.1.1 CONNACK 1: the error names the protocol version, not a malformed packet.
Task<void> connect_refused_with(std::string addr, ClientOptions o, std::string text) {
  auto c = co_await Client::connect(addr, o);
  CO_ASSERT(!c);
  EXPECT_NE(c.error().message().find(text), std::string::npos) << c.error().message();
}

TEST_P(ClientTest, Version5ToAVersion311BrokerSaysWhy) {
  FakeBroker fb(
      [](FakeBroker& b) {
        const std::byte connack311[] = {std::byte{0x20}, std::byte{0x02}, std::byte{0x00}, std::byte{0x01}};
        b.send_raw(connack311);
      },
      Version::v311, false);
  run(connect_refused_with(fb.addr(), opts("new", Version::v5), "unacceptable protocol version (CONNACK 1)"));
}

// Reconnect: what was in flight goes again on the new connection (PUBLISH with DUP, PUBREL
// for the QoS 2 already released), in the order first sent, and the calls complete.
Task<void> publish_one(Client* c, std::string payload, std::uint8_t qos, int* ok) {
  auto r = co_await c->publish("rc", std::move(payload), qos);
  EXPECT_TRUE(r) << r.error().message();
  if (r) ++*ok;
}

Task<void> reconnect_resend(std::string addr) {
  ClientOptions o = opts("again");
  o.clean_start = false;
  o.reconnect.enabled = true;
  o.reconnect.initial_backoff_ms = 20;
  auto c = co_await Client::connect(addr, o);
  CO_ASSERT(c);
  int ok = 0;
  auto h1 = Shard::current()->spawn(publish_one(&*c, "one", 1, &ok));
  auto h2 = Shard::current()->spawn(publish_one(&*c, "two", 2, &ok));
  CO_ASSERT(h1 && h2);
  co_await h1->join();
  co_await h2->join();
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(c->stats().reconnects, 1u);
  EXPECT_EQ(c->stats().resent, 2u);
  EXPECT_TRUE(c->connected());
  EXPECT_TRUE(c->session_present());
  CO_ASSERT_OK(co_await c->disconnect());
}

TEST_P(ClientTest, ReconnectResendsWhatWasInFlight) {
  FakeBroker fb([](FakeBroker& b) {
    auto p1 = b.recv();
    ASSERT_TRUE(p1 && p1->type == cm::PacketType::publish && p1->qos == 1 && !p1->dup);
    auto p2 = b.recv();
    ASSERT_TRUE(p2 && p2->type == cm::PacketType::publish && p2->qos == 2);
    b.ack(cm::PacketType::pubrec, p2->packet_id);
    auto rel = b.recv();
    ASSERT_TRUE(rel && rel->type == cm::PacketType::pubrel && rel->packet_id == p2->packet_id);
    ASSERT_TRUE(b.next_connection(true));  // the link drops before PUBACK and PUBCOMP
    auto again = b.recv();
    ASSERT_TRUE(again && again->type == cm::PacketType::publish);
    EXPECT_TRUE(again->dup);
    EXPECT_EQ(again->packet_id, p1->packet_id);
    EXPECT_EQ(again->payload, "one");
    auto rel2 = b.recv();
    ASSERT_TRUE(rel2 && rel2->type == cm::PacketType::pubrel && rel2->packet_id == p2->packet_id);
    b.ack(cm::PacketType::puback, p1->packet_id);
    b.ack(cm::PacketType::pubcomp, p2->packet_id);
    auto bye = b.recv();
    EXPECT_TRUE(bye && bye->type == cm::PacketType::disconnect);
  });
  run(reconnect_resend(fb.addr()));
}

// The broker restarts (no session kept): the client reconnects and subscribes again.
Task<void> reconnect_resubscribe(ClientTest* t, std::string addr) {
  ClientOptions o = opts("resub");
  o.reconnect.enabled = true;
  o.reconnect.initial_backoff_ms = 20;
  o.reconnect.max_backoff_ms = 200;
  auto c = co_await Client::connect(addr, o);
  CO_ASSERT(c);
  auto g = co_await c->subscribe("rs/t", 1);
  CO_ASSERT(g);
  t->stop_broker();
  t->start_broker();
  const ClientOptions pub_opts = opts("rspub");
  auto pub = co_await Client::connect(addr, pub_opts);
  CO_ASSERT(pub);
  bool got = false;
  for (int i = 0; i < 50 && !got; ++i) {  // until the subscription is back
    auto r = co_await pub->publish("rs/t", "back", 1);
    CO_ASSERT(r);
    auto m = co_await with_timeout(200ms, c->next_message());
    got = m && m->payload == "back";
  }
  EXPECT_TRUE(got);
  EXPECT_GE(c->stats().reconnects, 1u);
  EXPECT_FALSE(c->session_present());
  EXPECT_TRUE(c->connected());
}

TEST_P(ClientTest, ReconnectSubscribesAgainWithoutSession) { run(reconnect_resubscribe(this, addr())); }

// Nobody answers any more: after max_attempts the client ends, and waiting calls get the error.
Task<void> reconnect_gives_up(std::string addr) {
  ClientOptions o = opts("giveup");
  o.reconnect.enabled = true;
  o.reconnect.initial_backoff_ms = 10;
  o.reconnect.max_attempts = 3;
  auto c = co_await Client::connect(addr, o);
  CO_ASSERT(c);
  auto m = co_await with_timeout(5000ms, c->next_message());
  CO_ASSERT(!m);
  EXPECT_EQ(m.error(), std::errc::connection_refused) << m.error().message();
  EXPECT_FALSE(c->connected());
  auto r = co_await c->publish("x", "y", 1);
  EXPECT_EQ(r.error(), std::errc::connection_refused);
  EXPECT_EQ(c->stats().reconnects, 0u);
}

TEST_P(ClientTest, ReconnectGivesUpAfterMaxAttempts) {
  FakeBroker fb([](FakeBroker& b) { b.stop_listening(); });
  run(reconnect_gives_up(fb.addr()));
}

// Publishes started one after another while the window is full (as a bridge does: a new
// one each time a message comes) go out in call order: a new call does not take the slot a
// PUBACK freed for a call already waiting.
Task<void> call_order(std::string addr) {
  const ClientOptions sub_opts = opts("cosub");
  auto sub = co_await Client::connect(addr, sub_opts);
  CO_ASSERT(sub);
  CO_ASSERT_OK(co_await sub->subscribe("rc", 1));
  ClientOptions po = opts("copub");
  po.max_inflight = 2;
  auto pub = co_await Client::connect(addr, po);
  CO_ASSERT(pub);
  int ok = 0;
  std::vector<TaskHandle> hs;
  for (int i = 0; i < 200; ++i) {
    auto h = Shard::current()->spawn(publish_one(&*pub, std::to_string(i), 1, &ok));
    CO_ASSERT(h);
    hs.push_back(std::move(*h));
    if (i % 3 == 0) co_await Shard::current()->yield();  // PUBACKs arrive between calls
  }
  for (int i = 0; i < 200; ++i) {
    auto m = co_await with_timeout(5000ms, sub->next_message());
    CO_ASSERT(m);
    EXPECT_EQ(m->payload, std::to_string(i));
    if (m->payload != std::to_string(i)) break;
  }
  for (auto& h : hs) co_await h.join();
  EXPECT_EQ(ok, 200);
}

TEST_P(ClientTest, OverlappingPublishesKeepCallOrder) { run(call_order(addr())); }

// 5.0 subscription options (no-local here) are kept for the subscription made again after
// a reconnect without a session: our own message does not come back, another's does.
Task<void> resubscribe_options(ClientTest* t, std::string addr) {
  ClientOptions o = opts("nolocal", Version::v5);
  o.reconnect.enabled = true;
  o.reconnect.initial_backoff_ms = 20;
  o.reconnect.max_backoff_ms = 200;
  auto c = co_await Client::connect(addr, o);
  CO_ASSERT(c);
  SubscribeOptions so;
  so.qos = 1;
  so.no_local = true;
  CO_ASSERT_OK(co_await c->subscribe("nl/t", so));
  t->stop_broker();
  t->start_broker();
  const ClientOptions pub_opts = opts("nlpub", Version::v5);
  auto pub = co_await Client::connect(addr, pub_opts);
  CO_ASSERT(pub);
  bool got = false;
  for (int i = 0; i < 50 && !got; ++i) {  // until the subscription is back
    auto r = co_await pub->publish("nl/t", "other", 1);
    CO_ASSERT(r);
    auto m = co_await with_timeout(200ms, c->next_message());
    got = m && m->payload == "other";
  }
  CO_ASSERT(got);
  CO_ASSERT_OK(co_await c->publish("nl/t", "mine", 1));
  CO_ASSERT_OK(co_await pub->publish("nl/t", "other again", 1));
  for (int i = 0; i < 60; ++i) {  // late copies of "other" may come first
    auto m = co_await with_timeout(2000ms, c->next_message());
    CO_ASSERT(m);
    EXPECT_NE(m->payload, "mine");
    if (m->payload != "other") {
      EXPECT_EQ(m->payload, "other again");
      break;
    }
  }
}

TEST_P(ClientTest, ReconnectKeepsSubscriptionOptions) { run(resubscribe_options(this, addr())); }

INSTANTIATE_TEST_SUITE_P(Backends, ClientTest, ::testing::ValuesIn(test::all_backends()), test::param_name);

}  // namespace
}  // namespace zp
