// dns zone corpus (zones/good, zones/bad): every *.zone file is parsed by our parser and by
// Knot's kzonecheck (Debian knot-dnssecutils), and the two must agree on accept/reject; the
// folder says what both must answer. kzonecheck missing is a failure, not a skip.
// Accepted zones also round-trip: text -> wire -> text -> wire gives the same wire records.
// Origin: example.com. for every file; $INCLUDE resolves beneath the zone's folder.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dns_test_util.h"

namespace {

using namespace zp_dns_test;
namespace fs = std::filesystem;

const char* const kOrigin = "example.com.";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Ours {
  bool ok = false;
  std::string error;
  dns::ZoneRecords recs;
};

// Our verdict: the parser accepts it and it has an SOA at the apex (kzonecheck's first
// semantic rule; the corpus keeps clear of the other semantic checks).
Ours ours(const fs::path& file) {
  Ours o;
  const fs::path dir = file.parent_path();
  dns::ZoneOptions opt;
  opt.origin = kOrigin;
  const std::string name = file.filename().string();
  opt.file_name = name;
  opt.default_ttl = 3600;  // Knot's default-ttl
  opt.include = [dir](std::string_view path) -> zp::Result<std::string> {
    const fs::path p = dir / fs::path(std::string(path));
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) return zp::fail(ENOENT);
    return read_file(p);
  };
  dns::ZoneError err;
  auto r = dns::parse_zone(read_file(file), opt, o.recs.sink(), &err);
  if (!r) {
    o.error = err.message;
    return o;
  }
  const Bytes apex = wire_name(kOrigin);
  std::size_t soa = 0;
  for (std::size_t i = 0; i < o.recs.size(); ++i) {
    const auto rec = o.recs[i];
    if (rec.type == dns::rrtype::soa) {
      if (dns::Name::from_wire(rec.owner)->equals(*dns::Name::from_wire(apex))) ++soa;
    }
  }
  o.ok = soa == 1;
  if (!o.ok) o.error = "no single SOA at the apex";
  return o;
}

// kzonecheck's verdict (exit status 0 = accepted); output kept for the failure message.
bool kzonecheck(const fs::path& file, std::string& output) {
  const std::string cmd = std::string(ZP_KZONECHECK) + " -d off -o " + kOrigin + " '" + file.string() + "' 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return false;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) output += buf;
  const int st = pclose(p);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

std::vector<fs::path> zones(const char* sub) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(fs::path(ZP_DNS_ZONES_DIR) / sub))
    if (e.is_regular_file() && e.path().extension() == ".zone") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(dnsZoneCorpus, KzonecheckIsInstalled) {
  std::string out;
  FILE* p = popen((std::string(ZP_KZONECHECK) + " -V 2>&1").c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[256];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int st = pclose(p);
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
      << "kzonecheck not runnable (apt-get install knot-dnssecutils): " << out;
  EXPECT_NE(out.find("Knot DNS"), std::string::npos) << out;
}

TEST(dnsZoneCorpus, AtLeastFortyZones) {
  EXPECT_GE(zones("good").size() + zones("bad").size(), 40u);
  EXPECT_GE(zones("good").size(), 15u);
  EXPECT_GE(zones("bad").size(), 15u);
}

TEST(dnsZoneCorpus, AgreesWithKzonecheck) {
  for (const char* sub : {"good", "bad"}) {
    const bool want = std::string(sub) == "good";
    for (const fs::path& f : zones(sub)) {
      std::string kout;
      const bool knot = kzonecheck(f, kout);
      const Ours o = ours(f);
      EXPECT_EQ(o.ok, knot) << f.filename() << ": ours: " << (o.ok ? "accept" : o.error) << "\nkzonecheck: " << kout;
      EXPECT_EQ(o.ok, want) << f.filename() << ": " << o.error;
      EXPECT_EQ(knot, want) << f.filename() << ": kzonecheck: " << kout;
    }
  }
}

TEST(dnsZoneCorpus, GoodZonesRoundTrip) {
  for (const fs::path& f : zones("good")) {
    const Ours first = ours(f);
    ASSERT_TRUE(first.ok) << f.filename() << ": " << first.error;
    std::string text;
    for (std::size_t i = 0; i < first.recs.size(); ++i) {
      dns::record_to_text(first.recs[i].view(), text);
      text += '\n';
    }
    dns::ZoneRecords second;
    dns::ZoneError err;
    auto r = dns::parse_zone(text, {.origin = kOrigin, .file_name = "printed"}, second.sink(), &err);
    ASSERT_TRUE(r) << f.filename() << ": " << err.message << "\n" << text;
    ASSERT_EQ(second.size(), first.recs.size()) << f.filename();
    for (std::size_t i = 0; i < second.size(); ++i) {
      EXPECT_EQ(to_hex(first.recs[i].owner), to_hex(second[i].owner)) << f.filename() << " #" << i;
      EXPECT_EQ(to_hex(first.recs[i].rdata), to_hex(second[i].rdata)) << f.filename() << " #" << i;
      EXPECT_EQ(first.recs[i].ttl, second[i].ttl);
      EXPECT_EQ(first.recs[i].type, second[i].type);
    }
  }
}

}  // namespace
