// The echo service on every backend through the shared service fixture: bytes come back
// unchanged, and connections beyond max_connections are closed at once.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "../../common/service_fixture.h"
#include "zp/echo/echo.h"

namespace zp {
namespace {

class EchoTest : public test::ServiceFixture {
 protected:
  void start(echo::Options opts = {}) {
    start_service([opts](Shard& shard, uint16_t port) {
      return bool(echo::start(shard, {"127.0.0.1:" + std::to_string(port)}, opts));
    });
  }
};

TEST_P(EchoTest, EchoesEveryByte) {
  start();
  int fd = test::connect_retry(port_);
  ASSERT_GE(fd, 0);
  std::string msg(200000, '\0');
  for (size_t i = 0; i < msg.size(); ++i) msg[i] = char(i * 7);
  ASSERT_EQ(::send(fd, msg.data(), msg.size(), 0), ssize_t(msg.size()));
  std::string got(msg.size(), '\0');
  ASSERT_EQ(::recv(fd, got.data(), got.size(), MSG_WAITALL), ssize_t(got.size()));
  EXPECT_EQ(got, msg);
  ::close(fd);
}

TEST_P(EchoTest, ConnectionsBeyondTheLimitAreClosed) {
  start({.idle_timeout_ms = 60000, .max_connections = 1});
  int first = test::connect_retry(port_);
  ASSERT_GE(first, 0);
  ASSERT_EQ(::send(first, "a", 1, 0), 1);
  char c = 0;
  ASSERT_EQ(::recv(first, &c, 1, 0), 1);  // the first is being served
  int second = test::connect_retry(port_);
  ASSERT_GE(second, 0);
  timeval limit{5, 0};  // a failure is a wrong answer, not a hang
  setsockopt(second, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  EXPECT_EQ(::recv(second, &c, 1, 0), 0);  // closed without a byte
  ::close(second);
  ::close(first);
}

INSTANTIATE_TEST_SUITE_P(Backends, EchoTest, ::testing::ValuesIn(test::all_backends()), test::param_name);

}  // namespace
}  // namespace zp
