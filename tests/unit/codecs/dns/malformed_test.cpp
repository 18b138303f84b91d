// dns malformed-packet corpus (vectors/malformed.txt): each message is rejected with its
// precise error, from a guard-page buffer, and every error maps to FORMERR.
#include <fstream>
#include <sstream>

#include "../../../common/guarded_buffer.h"
#include "dns_test_util.h"

namespace {

using namespace zp_dns_test;

struct Vector {
  std::string name, errc;
  Bytes wire;
};

std::vector<Vector> load() {
  std::ifstream in(std::string(ZP_DNS_VECTORS_DIR) + "/malformed.txt");
  EXPECT_TRUE(in) << "cannot open malformed.txt";
  std::vector<Vector> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    Vector v;
    ss >> v.name >> v.errc;
    std::string rest, h;
    while (ss >> h) rest += h;
    v.wire = hex(rest);
    out.push_back(v);
  }
  return out;
}

TEST(dnsMalformed, CorpusRejectedWithPreciseErrors) {
  const auto vectors = load();
  ASSERT_GE(vectors.size(), 40u);
  zp::test::GuardedBuffer guard;
  for (const Vector& v : vectors) {
    const std::string_view s(reinterpret_cast<const char*>(v.wire.data()), v.wire.size());
    const auto in = guard.place_bytes(s);
    dns::Record rrs[16];
    dns::Message m;
    auto r = dns::parse_message(in, m, rrs);
    EXPECT_EQ(dns::errc_name(r.error), v.errc) << v.name;
    EXPECT_EQ(r.consumed, 0u) << v.name;
    EXPECT_EQ(dns::rcode_for(r.error), dns::Rcode::formerr) << v.name;
  }
}

TEST(dnsMalformed, OverLongInput) {
  Bytes big(65536, std::byte{0});
  dns::Record rrs[1];
  dns::Message m;
  EXPECT_EQ(dns::parse_message(big, m, rrs).error, dns::Errc::message_too_large);
}

TEST(dnsMalformed, TrailingDataLeniencyIsExplicit) {
  const Bytes pkt = hex("0001 0100 0001 0000 0000 0000 00 0001 0001 00 00");
  dns::Record rrs[4];
  dns::Message m;
  EXPECT_EQ(dns::parse_message(pkt, m, rrs).error, dns::Errc::trailing_data);
  dns::Limits lim;
  lim.allow_trailing_data = true;
  auto r = dns::parse_message(pkt, m, rrs, lim);
  EXPECT_EQ(r.error, dns::Errc::ok);
  EXPECT_EQ(r.consumed, pkt.size() - 2);
}

TEST(dnsMalformed, CallerArrayAndRecordLimit) {
  const Bytes pkt = hex("0001 8100 0000 0002 0000 0000 00 0001 0001 00000e10 0004 0a000001 00 0001 0001 00000e10 0004 0a000002");
  dns::Record one[1];
  dns::Message m;
  EXPECT_EQ(dns::parse_message(pkt, m, one).error, dns::Errc::too_many_records);
  dns::Record two[2];
  EXPECT_EQ(dns::parse_message(pkt, m, two).error, dns::Errc::ok);
  dns::Limits lim;
  lim.max_records = 1;
  EXPECT_EQ(dns::parse_message(pkt, m, two, lim).error, dns::Errc::too_many_records);
}

TEST(dnsMalformed, ErrorCategoryNamesEveryCode) {
  for (int i = 0; i <= static_cast<int>(dns::Errc::message_too_large); ++i) {
    const auto e = static_cast<dns::Errc>(i);
    EXPECT_FALSE(dns::errc_name(e).empty()) << i;
    EXPECT_NE(dns::make_error_code(e).message(), "unknown DNS error") << i;
  }
  EXPECT_STREQ(dns::make_error_code(dns::Errc::ok).category().name(), "zp.codec.dns");
}

}  // namespace
