// The DNS zone store's load errors and reload rules (bad allow_transfer entries and notify
// addresses fail a zone; a reload with a broken file keeps the zone it served; a serial
// that went back is a warning), and the server's start-up errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "engine_test_util.h"
#include "zp/dns/server.h"

namespace zp::dns {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string zone_text(unsigned serial, const char* address) {
  return "$TTL 300\n@ SOA ns hostmaster " + std::to_string(serial) +
         " 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.53\nwww A " + address + "\n";
}

class DnsStore : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_dns_store.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    file_ = (dir_ / "example.test.zone").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& text) { std::ofstream(file_) << text; }
  fs::path dir_;
  std::string file_;
};

TEST_F(DnsStore, BadTransferAclAndNotifyAddressFailTheZone) {
  write(zone_text(1, "192.0.2.1"));
  ZoneStore acl(std::vector<ZoneConfig>{{"example.test.", file_, {"10.0.0.0/33"}}});
  EXPECT_THAT(acl.load(), HasSubstr(file_ + ": allow_transfer: "));
  EXPECT_EQ(acl.snapshot(), nullptr);
  ZoneStore notify(std::vector<ZoneConfig>{{"example.test.", file_, {}, {"192.0.2.9", "[::1]:53"}}});
  EXPECT_EQ(notify.load(), file_ + ": notify: '192.0.2.9' is not HOST:PORT\n");
  EXPECT_EQ(notify.snapshot(), nullptr);
}

TEST_F(DnsStore, ReloadKeepsTheZoneOfABrokenFileAndWarnsWhenTheSerialGoesBack) {
  write(zone_text(10, "192.0.2.1"));
  ZoneStore s(std::vector<ZoneConfig>{{"example.test.", file_}});
  ASSERT_EQ(s.load(), "");
  const auto first = s.snapshot();
  ASSERT_TRUE(first);
  ASSERT_EQ(first->zones().size(), 1u);
  EXPECT_EQ(first->zones()[0]->serial(), 10u);
  write("@ SOA broken\n");
  EXPECT_THAT(s.load(), HasSubstr("(the previous version stays in service)"));
  ASSERT_TRUE(s.snapshot());
  EXPECT_EQ(s.snapshot()->zones()[0]->serial(), 10u);
  write(zone_text(9, "192.0.2.2"));  // older than what secondaries have
  EXPECT_THAT(s.load(), HasSubstr("the SOA serial went back from 10 to 9; IXFR history cleared"));
  EXPECT_EQ(s.snapshot()->zones()[0]->serial(), 9u);  // served anyway: the file is the truth
}

std::error_code start_error(ServerOptions o) {
  auto shard = test::make_shard({BackendKind::epoll, false});
  if (!shard) return std::make_error_code(std::errc::io_error);
  auto r = start(*shard, o);
  return r ? std::error_code{} : r.error();
}

TEST_F(DnsStore, ServerStartErrors) {
  ServerOptions o;
  o.reload_on_signal = false;
  EXPECT_EQ(start_error(o), std::errc::invalid_argument);  // no store
  write(zone_text(1, "192.0.2.1"));
  o.store = std::make_shared<ZoneStore>(std::vector<ZoneConfig>{{"example.test.", file_}});
  EXPECT_EQ(start_error(o), std::errc::invalid_argument);  // a store, not loaded
  ASSERT_EQ(o.store->load(), "");
  o.listen = {"127.0.0.1"};
  EXPECT_EQ(start_error(o), std::errc::invalid_argument);
  o.listen = {"192.0.2.1:5353"};  // TEST-NET-1: not an address of this host
  EXPECT_EQ(start_error(o), std::errc::address_not_available);  // UDP first
  o.udp = false;
  EXPECT_EQ(start_error(o), std::errc::address_not_available);  // then TCP
}

}  // namespace
}  // namespace zp::dns
