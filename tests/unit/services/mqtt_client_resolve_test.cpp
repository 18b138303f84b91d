// The MQTT client's host names on every backend: a name from a given hosts table, each
// address tried in turn (IPv6 and IPv4 interleaved), localhost from the system's hosts file,
// and the errors as values: a malformed address, a name without an address, a resolver
// without a server or one that never answers.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "../../common/test_net.h"
#include "engine_test_util.h"
#include "runtime_thread.h"
#include "zp/dns/hosts.h"
#include "zp/engine/runtime.h"
#include "zp/mqtt/broker.h"
#include "zp/mqtt/client.h"

namespace zp {
namespace {

using namespace std::chrono_literals;
using mqtt::Client;
using mqtt::ClientErrc;
using mqtt::ClientOptions;

#define CO_ASSERT(cond)                            \
  do {                                             \
    if (!(cond)) {                                 \
      ADD_FAILURE() << "assertion failed: " #cond; \
      co_return;                                   \
    }                                              \
  } while (0)

// A broker on 127.0.0.1 only (so ::1 and 127.0.0.2 refuse), the client on the test's shard.
class ClientResolveTest : public ::testing::TestWithParam<test::BackendParam> {
 protected:
  void SetUp() override {
    port_ = test::free_port();
    broker_ = std::make_unique<mqtt::Broker>(1, mqtt::BrokerOptions{});
    RuntimeOptions o;
    o.shards = 1;
    o.backend = BackendKind::epoll;  // the broker's backend is not under test here
    o.drain_timeout = 1000ms;
    ASSERT_TRUE(rt_.start(o, [this](Shard& s) { return broker_->start(s, {"127.0.0.1:" + std::to_string(port_)}); }));
    shard_ = test::make_shard(GetParam());
    ASSERT_TRUE(shard_);
  }
  void TearDown() override {
    if (shard_) {
      shard_->request_stop(0);
      shard_->run();
      shard_.reset();
    }
    rt_.stop();
  }
  // Options whose resolver knows only `hosts` and has no DNS server.
  static ClientOptions with_hosts(std::string id, std::string_view hosts) {
    ClientOptions o;
    o.client_id = std::move(id);
    o.resolver.hosts = dns::parse_hosts(hosts);
    o.resolver.config = dns::ResolvConf{};
    o.resolver.config->servers.clear();
    return o;
  }
  std::string at(std::string_view host) const { return std::string(host) + ":" + std::to_string(port_); }
  void run(Task<void> t) { shard_->block_on(std::move(t)); }

  std::unique_ptr<mqtt::Broker> broker_;
  std::uint16_t port_ = 0;
  test::RuntimeThread rt_;
  std::unique_ptr<Shard> shard_;
};

// Connects to host_port with o, subscribes, publishes to itself and gets it back.
Task<void> echo_through(std::string host_port, ClientOptions o) {
  auto c = co_await Client::connect(host_port, o);
  if (!c) ADD_FAILURE() << host_port << ": " << c.error().message();
  CO_ASSERT(c);
  auto g = co_await c->subscribe("named/" + o.client_id, 1);
  CO_ASSERT(g);
  auto p = co_await c->publish("named/" + o.client_id, "via " + host_port, 1);
  CO_ASSERT(p);
  auto m = co_await with_timeout(5000ms, c->next_message());
  CO_ASSERT(m);
  EXPECT_EQ(m->payload, "via " + host_port);
  auto d = co_await c->disconnect();
  EXPECT_TRUE(d);
}

TEST_P(ClientResolveTest, NameFromTheHostsTable) {
  run(echo_through(at("broker.test"), with_hosts("h1", "127.0.0.1 broker.test\n")));
  // Any case, a final dot.
  run(echo_through(at("BROKER.Test."), with_hosts("h2", "127.0.0.1 broker.test\n")));
}

TEST_P(ClientResolveTest, EachAddressInTurnUntilOneAnswers) {
  // ::1 and 127.0.0.2 refuse (nothing listens there): the third address is the broker.
  run(echo_through(at("multi.test"), with_hosts("m1", "127.0.0.2 multi.test\n::1 multi.test\n127.0.0.1 multi.test\n")));
}

TEST_P(ClientResolveTest, LocalhostFromTheSystemHostsFile) {
  ClientOptions o;
  o.client_id = "lh";
  run(echo_through(at("localhost"), o));
}

Task<void> expect_error(std::string host_port, ClientOptions o, Error want, std::string text) {
  auto c = co_await Client::connect(host_port, o);
  CO_ASSERT(!c);
  EXPECT_EQ(c.error(), want) << host_port << ": " << c.error().message();
  EXPECT_NE(c.error().message().find(text), std::string::npos) << c.error().message();
}

TEST_P(ClientResolveTest, ErrorsAsValues) {
  const ClientOptions o = with_hosts("e", "127.0.0.1 broker.test\n");
  // Not HOST:PORT.
  for (const char* bad : {"broker.test", "broker.test:", "broker.test:0", "broker.test:65536", "broker.test:12x",
                          ":1883", "[::1]1883", "[::1", "::1:1883"}) {
    run(expect_error(bad, o, ClientErrc::bad_address, "bad broker address"));
  }
  // No address: ".invalid" is NXDOMAIN without a packet (RFC 6761); not a host name.
  run(expect_error("no-such-host.invalid:1883", o, ClientErrc::host_not_found, "host name not found"));
  run(expect_error("bad_name!:1883", o, ClientErrc::host_not_found, "host name not found"));
  // Not in the table and no DNS server to ask.
  run(expect_error(at("elsewhere.test"), o, ClientErrc::resolver_failed, "DNS resolution failed"));
  // The port is checked after the name: refused by every address.
  run(expect_error("broker.test:" + std::to_string(test::free_port()), o, errno_error(ECONNREFUSED), "refused"));
}

TEST_P(ClientResolveTest, ADnsServerThatNeverAnswers) {
  // A UDP socket that takes the queries and answers none: the resolver times out.
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), len), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ClientOptions o = with_hosts("silent", "");
  auto server = SocketAddr::parse("127.0.0.1:" + std::to_string(ntohs(a.sin_port)));
  ASSERT_TRUE(server);
  o.resolver.config->servers = {*server};
  o.resolver.config->timeout_ms = 100;
  o.resolver.config->attempts = 1;
  run(expect_error(at("silent.test"), o, ClientErrc::resolver_failed, "DNS resolution failed"));
  // And the client's own bound: the resolution counts against connect_timeout_ms.
  o.resolver.config->timeout_ms = 5000;
  o.connect_timeout_ms = 200;
  const auto start = std::chrono::steady_clock::now();
  run(expect_error(at("silent.test"), o, ClientErrc::resolver_failed, "DNS resolution failed"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  ::close(fd);
}

INSTANTIATE_TEST_SUITE_P(Backends, ClientResolveTest, ::testing::ValuesIn(test::all_backends()), test::param_name);

}  // namespace
}  // namespace zp
