// The resolver's error vocabulary (category "zp.dns.resolver": a message and a name per
// code) and IpAddress: text forms, IPv6 socket addresses, and what an empty address gives.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "zp/dns/ip_address.h"
#include "zp/dns/resolver_errc.h"

namespace {

using zp::dns::IpAddress;
using zp::dns::ResolverErrc;

TEST(ResolverErrc, EveryCodeHasAMessageAndAName) {
  const auto& cat = zp::dns::resolver_category();
  EXPECT_STREQ(cat.name(), "zp.dns.resolver");
  std::set<std::string> messages, names;
  for (int i = 0; i <= int(ResolverErrc::bad_reply_name); ++i) {
    const auto e = static_cast<ResolverErrc>(i);
    const std::string m = zp::dns::make_error_code(e).message();
    EXPECT_NE(m, "unknown resolver error") << i;
    EXPECT_TRUE(messages.insert(m).second) << i << " repeats '" << m << "'";
    const std::string n(zp::dns::resolver_errc_name(e));
    EXPECT_FALSE(n.empty()) << i;
    EXPECT_TRUE(names.insert(n).second) << i;
  }
  EXPECT_EQ(zp::dns::resolver_errc_name(ResolverErrc::cname_loop), "cname_loop");
  EXPECT_EQ(std::error_code(ResolverErrc::timeout).message(), "no reply from the DNS servers (timeout)");
  const auto past = static_cast<ResolverErrc>(int(ResolverErrc::bad_reply_name) + 1);
  EXPECT_EQ(zp::dns::make_error_code(past).message(), "unknown resolver error");
  EXPECT_TRUE(zp::dns::resolver_errc_name(past).empty());
}

TEST(ResolverIpAddress, TextAndSocketForms) {
  auto v6 = IpAddress::parse("2001:db8::53");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->family, AF_INET6);
  EXPECT_EQ(v6->to_string(), "2001:db8::53");
  const zp::SocketAddr sa = v6->with_port(853);
  EXPECT_EQ(sa.family(), AF_INET6);
  EXPECT_EQ(sa.len, sizeof(sockaddr_in6));
  EXPECT_EQ(sa.to_string(), "[2001:db8::53]:853");
  const std::uint8_t quad[4] = {192, 0, 2, 1};
  EXPECT_EQ(IpAddress::v4(quad).with_port(53).to_string(), "192.0.2.1:53");
  EXPECT_EQ(IpAddress::v4(quad), *IpAddress::parse("192.0.2.1"));
  // A v4-mapped address stays IPv6 (RFC 4291 §2.5.5.2).
  auto mapped = IpAddress::parse("::ffff:192.0.2.1");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->family, AF_INET6);
  for (const char* bad : {"", "192.0.2", "192.0.2.1:53", "[::1]", "fe80::1%eth0", "example.test",
                          "0000:0000:0000:0000:0000:0000:0000:0000:0000"}) {
    EXPECT_FALSE(IpAddress::parse(bad)) << bad;
  }
  const IpAddress none;
  EXPECT_EQ(none.to_string(), "");
  EXPECT_EQ(none.with_port(53).len, 0u);
  EXPECT_EQ(none.with_port(53).family(), AF_UNSPEC);
}

}  // namespace
