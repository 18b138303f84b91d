// The "dns" section of the zproto JSON config: zones, listen addresses, limits, and
// file:line:col errors naming the key, as for the other sections.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "zp/dns/service.h"

namespace {

using ::testing::HasSubstr;
zp::service::SectionResult parse_config(std::string_view json, std::string_view source = "<config>") {
  return zp::service::parse_section(zp::dns::service_definition(), json, source);
}
zp::service::SectionResult parse_default() { return zp::service::parse_default_section(zp::dns::service_definition()); }

TEST(DnsConfig, ParsesZonesListenAndLimits) {
  const auto r = parse_config(R"({"dns": {"zones": [{"name": "example.test.", "file": "/z/example"},
                                                    {"name": "other.test", "file": "other.zone"}],
                                         "listen": ["127.0.0.1:5353", "[::1]:5353"],
                                         "tcp_idle_timeout_ms": 2000, "tcp_max_connections": 10,
                                         "tcp_max_message_bytes": 4096, "udp_payload_size": 1400}})",
                              "zp.json");
  ASSERT_TRUE(r) << r.error;
  ASSERT_TRUE(r.as<zp::dns::DnsService>());
  const auto& d = *r.as<zp::dns::DnsService>();
  ASSERT_EQ(d.zones.size(), 2u);
  EXPECT_EQ(d.zones[0].name, "example.test.");
  EXPECT_EQ(d.zones[0].file, "/z/example");
  EXPECT_EQ(d.zones[1].name, "other.test");
  EXPECT_EQ(d.options.listen, (std::vector<std::string>{"127.0.0.1:5353", "[::1]:5353"}));
  EXPECT_EQ(d.options.tcp_idle_timeout_ms, 2000);
  EXPECT_EQ(d.options.tcp_max_connections, 10u);
  EXPECT_EQ(d.options.tcp_max_message_bytes, 4096u);
  EXPECT_EQ(d.options.udp_payload_size, 1400);
}

TEST(DnsConfig, EmbeddedDefaultServesTheDemoZone) {
  const auto r = parse_default();
  ASSERT_TRUE(r) << r.error;
  ASSERT_TRUE(r.as<zp::dns::DnsService>());
  ASSERT_EQ(r.as<zp::dns::DnsService>()->zones.size(), 1u);
  EXPECT_EQ(r.as<zp::dns::DnsService>()->zones[0].name, "zproto.test.");
  EXPECT_EQ(r.as<zp::dns::DnsService>()->zones[0].file, "docs/demo.zone");
  EXPECT_EQ(r.as<zp::dns::DnsService>()->options.listen, std::vector<std::string>{"127.0.0.1:5353"});
}

TEST(DnsConfig, ErrorsNameTheKeyAndPosition) {
  auto err = [](std::string_view json) { return parse_config(json, "zp.json").error; };
  EXPECT_THAT(err("{\n\"dns\": {\n  \"zonez\": []\n}}"), HasSubstr("zp.json:3:3: unknown key \"dns.zonez\""));
  EXPECT_THAT(err("{\"dns\": {\"listen\": [\"127.0.0.1:53\"]}}"), HasSubstr("\"zones\" must name at least one zone"));
  EXPECT_THAT(err("{\"dns\": {\"zones\": [{\"name\": \"a.test\", \"file\": \"f\"}]}}"),
              HasSubstr("\"listen\" must name at least one address"));
  EXPECT_THAT(err("{\"dns\": {\"zones\": [{\"name\": \"a.test\"}], \"listen\": [\"127.0.0.1:53\"]}}"),
              HasSubstr("key \"dns.zones[0]\": a zone needs \"name\" and \"file\""));
  EXPECT_THAT(err("{\"dns\": {\"zones\": [{\"name\": \"a..test\", \"file\": \"f\"}], \"listen\": [\"127.0.0.1:53\"]}}"),
              HasSubstr("zp.json:1:"));
  EXPECT_THAT(err("{\"dns\": {\"zones\": [{\"name\": \"a.test\", \"file\": \"f\", \"x\": 1}]}}"),
              HasSubstr("unknown key \"dns.zones[0].x\""));
  EXPECT_THAT(err("{\"dns\": {\"zones\": [], \"listen\": [\"nohost\"]}}"), HasSubstr("is not HOST:PORT"));
  EXPECT_THAT(err("{\"dns\": {\"udp_payload_size\": 100}}"), HasSubstr("must be at least 512"));
  EXPECT_THAT(err("{\"dns\": {\"tcp_max_message_bytes\": 70000}}"), HasSubstr("out of range"));
}


TEST(DnsConfig, RrlAndAdminListen) {
  const auto r = parse_config(R"({"dns": {"zones": [{"name": "example.test.", "file": "z"}], "listen": ["127.0.0.1:53"],
                                         "admin_listen": "127.0.0.1:9100",
                                         "rrl": {"responses_per_second": 20, "slip": 3, "window": 5,
                                                 "ipv4_prefix": 32, "ipv6_prefix": 64, "table_size": 1000}}})",
                              "zp.json");
  ASSERT_TRUE(r) << r.error;
  const auto& d = *r.as<zp::dns::DnsService>();
  EXPECT_EQ(d.admin, "127.0.0.1:9100");
  EXPECT_EQ(d.options.rrl.responses_per_second, 20u);
  EXPECT_EQ(d.options.rrl.slip, 3u);
  EXPECT_EQ(d.options.rrl.window_s, 5u);
  EXPECT_EQ(d.options.rrl.ipv4_prefix, 32);
  EXPECT_EQ(d.options.rrl.ipv6_prefix, 64);
  EXPECT_EQ(d.options.rrl.table_size, 1000u);
  // Off unless configured; the defaults otherwise.
  const auto off = parse_config(R"({"dns": {"zones": [{"name": "a.test", "file": "z"}], "listen": ["127.0.0.1:53"],
                                           "rrl": {"responses_per_second": 7}}})");
  ASSERT_TRUE(off) << off.error;
  EXPECT_EQ(off.as<zp::dns::DnsService>()->options.rrl.responses_per_second, 7u);
  EXPECT_EQ(off.as<zp::dns::DnsService>()->options.rrl.slip, 2u);
  EXPECT_EQ(off.as<zp::dns::DnsService>()->options.rrl.ipv4_prefix, 24);
  EXPECT_EQ(off.as<zp::dns::DnsService>()->options.rrl.ipv6_prefix, 56);
  EXPECT_EQ(parse_default().as<zp::dns::DnsService>()->options.rrl.responses_per_second, 0u);
}

TEST(DnsConfig, RrlErrorsNameTheKeyAndPosition) {
  auto err = [](std::string_view json) { return parse_config(json, "zp.json").error; };
  EXPECT_THAT(err("{\"dns\": {\n \"rrl\": {\"slip\": 2}}}"),
              HasSubstr("zp.json:2:2: key \"dns.rrl\": \"responses_per_second\" is required"));
  EXPECT_THAT(err("{\"dns\": {\"rrl\": {\"responses_per_second\": 5,\n \"ipv4_prefix\": 33}}}"),
              HasSubstr("zp.json:2:2: key \"dns.rrl.ipv4_prefix\": 33 is out of range (0..32)"));
  EXPECT_THAT(err("{\"dns\": {\"rrl\": {\"responses_per_second\": 5, \"ipv6_prefix\": 129}}}"),
              HasSubstr("key \"dns.rrl.ipv6_prefix\": 129 is out of range (0..128)"));
  EXPECT_THAT(err("{\"dns\": {\"rrl\": {\"responses_per_second\": -1}}}"), HasSubstr("dns.rrl.responses_per_second"));
  EXPECT_THAT(err("{\"dns\": {\"rrl\": {\"responses_per_second\": 5, \"table_size\": 0}}}"),
              HasSubstr("key \"dns.rrl.table_size\": must be at least 1"));
  EXPECT_THAT(err("{\"dns\": {\"rrl\": {\"responses_per_second\": 5, \"window\": 0}}}"),
              HasSubstr("key \"dns.rrl.window\": must be at least 1"));
  EXPECT_THAT(err("{\"dns\": {\"rrl\": {\"responses_per_second\": 5, \"burst\": 3}}}"),
              HasSubstr("unknown key \"dns.rrl.burst\""));
  EXPECT_THAT(err("{\"dns\": {\"rrl\": 5}}"), HasSubstr("dns.rrl"));
  EXPECT_THAT(err("{\"dns\": {\"admin_listen\": \"9100\"}}"), HasSubstr("key \"dns.admin_listen\": \"9100\" is not HOST:PORT"));
  EXPECT_THAT(err("{\"dns\": {\"admin_listen\": \"localhost:9100\"}}"),
              HasSubstr("key \"dns.admin_listen\": \"localhost:9100\": the host must be an IP address"));
}

}  // namespace

namespace {

TEST(DnsConfig, TransferAclNotifyAndLimits) {
  const auto r = parse_config(R"({"dns": {"zones": [{"name": "example.test.", "file": "/z/example",
                                                     "allow_transfer": ["127.0.0.1", "::1/128", "10.0.0.0/8"],
                                                     "notify": ["127.0.0.1:5300", "[::1]:5301"]},
                                                    {"name": "other.test", "file": "other.zone"}],
                                         "listen": ["127.0.0.1:5353"], "xfr_max_concurrent": 2,
                                         "xfr_send_timeout_ms": 5000, "ixfr_max_versions": 8, "xfr_max_message_bytes": 4096,
                                         "ixfr_max_bytes": 1048576, "notify_timeout_ms": 500,
                                         "notify_max_attempts": 3}})",
                              "zp.json");
  ASSERT_TRUE(r) << r.error;
  const auto& d = *r.as<zp::dns::DnsService>();
  EXPECT_EQ(d.zones[0].allow_transfer, (std::vector<std::string>{"127.0.0.1", "::1/128", "10.0.0.0/8"}));
  EXPECT_EQ(d.zones[0].notify, (std::vector<std::string>{"127.0.0.1:5300", "[::1]:5301"}));
  EXPECT_TRUE(d.zones[1].allow_transfer.empty());  // default: nobody
  EXPECT_TRUE(d.zones[1].notify.empty());
  EXPECT_EQ(d.options.xfr_max_concurrent, 2u);
  EXPECT_EQ(d.options.xfr_send_timeout_ms, 5000);
  EXPECT_EQ(d.options.xfr_max_message_bytes, 4096u);
  EXPECT_EQ(d.history.max_versions, 8u);
  EXPECT_EQ(d.history.max_bytes, 1048576u);
  EXPECT_EQ(d.options.notify.timeout_ms, 500);
  EXPECT_EQ(d.options.notify.max_attempts, 3u);
}

TEST(DnsConfig, TransferErrorsNameTheKeyAndPosition) {
  auto err = [](std::string_view json) { return parse_config(json, "zp.json").error; };
  EXPECT_THAT(err("{\"dns\": {\"zones\": [{\"name\": \"a.test\", \"file\": \"f\",\n"
                  "  \"allow_transfer\": [\"127.0.0.1\", \"10.0.0.1/8\"]}], \"listen\": [\"127.0.0.1:53\"]}}"),
              HasSubstr("zp.json:2:35: key \"dns.zones[0].allow_transfer[1]\": \"10.0.0.1/8\" is not an IP address or prefix"));
  EXPECT_THAT(err("{\"dns\": {\"zones\": [{\"name\": \"a.test\", \"file\": \"f\", \"allow_transfer\": \"127.0.0.1\"}]}}"),
              HasSubstr("key \"dns.zones[0].allow_transfer\""));
  EXPECT_THAT(err("{\"dns\": {\"zones\": [{\"name\": \"a.test\", \"file\": \"f\", \"notify\": [\"127.0.0.1\"]}]}}"),
              HasSubstr("key \"dns.zones[0].notify[0]\": \"127.0.0.1\" is not HOST:PORT"));
  EXPECT_THAT(err("{\"dns\": {\"notify_max_attempts\": 0}}"), HasSubstr("must be at least 1"));
  EXPECT_THAT(err("{\"dns\": {\"notify_timeout_ms\": 0}}"), HasSubstr("must be at least 1"));
  EXPECT_THAT(err("{\"dns\": {\"xfr_max_message_bytes\": 100}}"), HasSubstr("must be at least 512"));
  EXPECT_THAT(err("{\"dns\": {\"xfr_max_message_bytes\": 65536}}"), HasSubstr("out of range"));
  EXPECT_THAT(err("{\"dns\": {\"xfr_max_concurrent\": -1}}"), HasSubstr("xfr_max_concurrent"));
  EXPECT_THAT(err("{\"dns\": {\"zones\": [{\"name\": \"a.test\", \"file\": \"f\", \"y\": 1}]}}"),
              HasSubstr("known keys in a zone: name, file, allow_transfer, notify"));
}

}  // namespace
