// The echo service on every backend (tests/common/service_fixture.h): bytes come back as sent (also in pieces and after a
// half-close), max_connections closes the connections beyond it, and start() returns the
// error of a bad or foreign listen address.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <future>
#include <string>
#include <thread>

#include "../../common/service_fixture.h"
#include "../../common/test_net.h"
#include "engine_test_util.h"
#include "zp/echo/echo.h"

namespace zp {
namespace {

using namespace std::chrono_literals;

// Reads exactly n bytes (or until EOF/timeout) from a blocking socket.
std::string read_n(int fd, size_t n) {
  std::string out;
  char buf[4096];
  while (out.size() < n) {
    ssize_t r = ::recv(fd, buf, std::min(sizeof buf, n - out.size()), 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    out.append(buf, size_t(r));
  }
  return out;
}

bool send_all(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t w = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (w <= 0) return false;
    s.remove_prefix(size_t(w));
  }
  return true;
}

class EchoTest : public test::ServiceFixture {
 protected:
  void start(echo::Options opts = {}) {
    start_service([opts](Shard& shard, uint16_t port) {
      return bool(echo::start(shard, {"127.0.0.1:" + std::to_string(port)}, opts));
    });
  }
  int connect() {
    const int fd = test::connect_loopback(port_);
    timeval tv{5, 0};  // a failure is a wrong answer, not a hang
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
  }
};

TEST_P(EchoTest, BytesComeBackAsSent) {
  start();
  const int fd = connect();
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(send_all(fd, "hello\n"));
  EXPECT_EQ(read_n(fd, 6), "hello\n");
  std::string big;
  for (int i = 0; i < 100000; ++i) big += char('a' + i % 26);
  ASSERT_TRUE(send_all(fd, big.substr(0, 50000)));
  ASSERT_TRUE(send_all(fd, big.substr(50000)));
  EXPECT_EQ(read_n(fd, big.size()), big);
  ::shutdown(fd, SHUT_WR);  // our end of the stream: the service closes its end too
  char c;
  EXPECT_EQ(::recv(fd, &c, 1, 0), 0);
  ::close(fd);
}

TEST_P(EchoTest, ConnectionsBeyondTheLimitAreClosed) {
  start({.max_connections = 1});
  const int first = connect();
  ASSERT_GE(first, 0);
  ASSERT_TRUE(send_all(first, "one"));
  ASSERT_EQ(read_n(first, 3), "one");  // served: the one connection counted
  const int second = connect();
  ASSERT_GE(second, 0);
  char c;
  EXPECT_LE(::recv(second, &c, 1, 0), 0);  // closed at once (EOF or reset)
  ::close(second);
  ASSERT_TRUE(send_all(first, "still"));
  EXPECT_EQ(read_n(first, 5), "still");
  ::close(first);
}

INSTANTIATE_TEST_SUITE_P(Backends, EchoTest, ::testing::ValuesIn(test::all_backends()), test::param_name);

TEST(EchoStart, BadAddressesReturnTheirError) {
  auto shard = test::make_shard({BackendKind::epoll, false});
  ASSERT_TRUE(shard);
  auto r = echo::start(*shard, {"127.0.0.1:7x"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::invalid_argument);
  r = echo::start(*shard, {"192.0.2.1:7"});  // TEST-NET-1: no address of this host
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::address_not_available);
}

}  // namespace
}  // namespace zp
