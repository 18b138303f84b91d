// dns error vocabulary: the zone category's messages and names for every ZoneErrc, the
// wire category's names out of range, and the RCODE each wire error is answered with.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "zp/codec/dns/errc.h"
#include "zp/codec/dns/zone.h"

namespace {

namespace dns = zp::codec::dns;

TEST(dnsErrc, ZoneCategoryNamesAndMessagesEveryCode) {
  const auto& cat = dns::zone_category();
  EXPECT_STREQ(cat.name(), "zp.codec.dns.zone");
  std::set<std::string> messages, names;
  for (int i = 0; i <= static_cast<int>(dns::ZoneErrc::crlf); ++i) {
    const auto e = static_cast<dns::ZoneErrc>(i);
    const std::string m = dns::make_error_code(e).message();
    EXPECT_NE(m, "unknown zone error") << i;
    EXPECT_TRUE(messages.insert(m).second) << i << " repeats '" << m << "'";
    const std::string n(dns::zone_errc_name(e));
    EXPECT_FALSE(n.empty()) << i;
    EXPECT_TRUE(names.insert(n).second) << i << " repeats '" << n << "'";
  }
  EXPECT_EQ(dns::zone_errc_name(dns::ZoneErrc::include_forbidden), "include_forbidden");
  EXPECT_EQ(dns::make_error_code(dns::ZoneErrc::include_forbidden).message(),
            "$INCLUDE path outside the zone directory");
  EXPECT_EQ(dns::make_error_code(dns::ZoneErrc::crlf).message(), "CR byte in zone file (CRLF line ending)");
  const int past = static_cast<int>(dns::ZoneErrc::crlf) + 1;
  EXPECT_EQ(cat.message(past), "unknown zone error");
  EXPECT_TRUE(dns::zone_errc_name(static_cast<dns::ZoneErrc>(past)).empty());
  EXPECT_TRUE(dns::zone_errc_name(static_cast<dns::ZoneErrc>(-1)).empty());
  const std::error_code ec = dns::ZoneErrc::bad_ttl;  // is_error_code_enum
  EXPECT_EQ(ec.category(), cat);
}

TEST(dnsErrc, WireNamesOutOfRangeAreEmpty) {
  const int past = static_cast<int>(dns::Errc::message_too_large) + 1;
  EXPECT_TRUE(dns::errc_name(static_cast<dns::Errc>(past)).empty());
  EXPECT_TRUE(dns::errc_name(static_cast<dns::Errc>(-1)).empty());
  EXPECT_EQ(dns::category().message(past), "unknown DNS error");
  EXPECT_EQ(dns::category().message(-1), "unknown DNS error");
  EXPECT_EQ(dns::errc_name(dns::Errc::pointer_loop), "pointer_loop");
}

TEST(dnsErrc, RcodeForEachError) {
  // RFC 1035 §4.1.1: FORMERR for a request we cannot parse, SERVFAIL for our own failure.
  EXPECT_EQ(dns::rcode_for(dns::Errc::ok), dns::Rcode::noerror);
  EXPECT_EQ(dns::rcode_for(dns::Errc::buffer_too_small), dns::Rcode::servfail);
  for (int i = 1; i <= static_cast<int>(dns::Errc::message_too_large); ++i) {
    const auto e = static_cast<dns::Errc>(i);
    if (e == dns::Errc::buffer_too_small) continue;
    EXPECT_EQ(dns::rcode_for(e), dns::Rcode::formerr) << dns::errc_name(e);
  }
}

}  // namespace
