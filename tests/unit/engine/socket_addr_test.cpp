// SocketAddr::parse accepts exactly "host:port" for IPv4, "[v6]:port", ":port" (IPv6 any) and
// "unix:/path"; everything else is EINVAL. to_string prints what parse reads back.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/un.h>

#include <cerrno>
#include <string>

#include "zp/engine/net.h"

namespace {

using zp::SocketAddr;

TEST(SocketAddr, ParsesEachForm) {
  auto v4 = SocketAddr::parse("192.0.2.7:8080");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->family(), AF_INET);
  EXPECT_EQ(v4->port(), 8080);
  EXPECT_EQ(v4->to_string(), "192.0.2.7:8080");
  auto v6 = SocketAddr::parse("[2001:db8::1]:53");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->family(), AF_INET6);
  EXPECT_EQ(v6->to_string(), "[2001:db8::1]:53");
  auto any = SocketAddr::parse(":65535");
  ASSERT_TRUE(any);
  EXPECT_EQ(any->family(), AF_INET6);
  EXPECT_EQ(any->to_string(), "[::]:65535");
  auto un = SocketAddr::parse("unix:/run/zp.sock");
  ASSERT_TRUE(un);
  EXPECT_EQ(un->family(), AF_UNIX);
  EXPECT_EQ(un->port(), 0);
  EXPECT_EQ(un->to_string(), "unix:/run/zp.sock");
  // Round trip through to_string.
  for (const auto& a : {*v4, *v6, *any, *un}) {
    auto again = SocketAddr::parse(a.to_string());
    ASSERT_TRUE(again) << a.to_string();
    EXPECT_EQ(again->to_string(), a.to_string());
  }
}

TEST(SocketAddr, RejectsEverythingElse) {
  for (const char* text : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:8o", "127.0.0.1:-1",
                           "localhost:80", "[::1:80", "[::1]x:80", "::1:80x", "[not-v6]:80", "256.0.0.1:80",
                           "[::ffff:1.2.3.4.5]:1",
                           "[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:00]:1",
                           "0000000000000000000000000000000000000000000000000000000000000000:1"}) {
    auto a = SocketAddr::parse(text);
    ASSERT_FALSE(a) << text;
    EXPECT_EQ(a.error().value(), EINVAL) << text;
  }
}

TEST(SocketAddr, FromRawAndUnknownFamilies) {
  sockaddr_in in4{};
  in4.sin_family = AF_INET;
  in4.sin_port = htons(443);
  ASSERT_EQ(inet_pton(AF_INET, "198.51.100.1", &in4.sin_addr), 1);
  const SocketAddr a = SocketAddr::from(reinterpret_cast<const sockaddr*>(&in4), sizeof in4);
  EXPECT_EQ(a.len, sizeof in4);
  EXPECT_EQ(a.to_string(), "198.51.100.1:443");
  // A length beyond sockaddr_storage is clamped to it.
  struct {
    sockaddr_storage ss;
    char extra[16];
  } big{};
  big.ss.ss_family = AF_INET;
  const SocketAddr b = SocketAddr::from(reinterpret_cast<const sockaddr*>(&big), sizeof big);
  EXPECT_EQ(b.len, sizeof(sockaddr_storage));
  const SocketAddr none;
  EXPECT_EQ(none.family(), AF_UNSPEC);
  EXPECT_EQ(none.port(), 0);
  EXPECT_EQ(none.to_string(), "?");
  // A listener that was never bound has no address and no descriptor.
  const zp::Listener l;
  EXPECT_EQ(l.local_addr().family(), AF_UNSPEC);
  EXPECT_EQ(l.fd(), -1);
}

}  // namespace
