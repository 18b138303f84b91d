// Zone transfers from the zproto DNS server (the binary, `serve dns --allow-transfer
// --notify`, 2 shards) to real peers on loopback: kdig and dig AXFR (a zone over 64 KiB in
// several messages), dig IXFR=serial after a reload; Knot (knotd) and NSD as secondaries
// started from temp configs with zproto as their primary: each completes the AXFR, answers
// a query matrix the same as zproto, and after zproto reloads a zone with a bumped serial
// and NOTIFYs it, pulls the change by IXFR and serves it within a bounded time. Every peer
// runs by pid with a time bound; a missing program fails.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "../common/test_files.h"
#include "../common/test_net.h"
#include "../common/test_process.h"
#include "../unit/services/dns_test_util.h"
#include "dns_interop_util.h"
#include "zp/dns/zone.h"

namespace {

using namespace std::chrono_literals;
using zp::test::free_port;
using zp::test::has;
using zp::test::normalize;
using zp::test::port_open;
using zp::test::slurp;
using zp::test::spawn;
using zp::test::wait_exit;
using zp::test::which;
using zp::test::write_file;
namespace fs = std::filesystem;

constexpr const char* kSerial1 = "2024010101";

std::string big_zone() {
  std::string big = "$ORIGIN big.test.\n$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n";
  for (int i = 0; i < 3000; ++i) big += "h" + std::to_string(i) + " TXT \"" + std::string(40, char('a' + i % 26)) + "\"\n";
  return big;
}

// The test zone with another serial and a change: fresh added, mail's A changed.
std::string bumped_zone(const std::string& serial) {
  std::string z(zp::test::kTestZone);
  z.replace(z.find(kSerial1), std::string(kSerial1).size(), serial);
  const std::string mail = "mail    A     192.0.2.3\n";
  z.replace(z.find(mail), mail.size(), "mail    A     192.0.2.33\n");
  return z + "fresh   A     192.0.2.88\n";
}

class DnsXfrInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_dns_xfr_interop.XXXXXX";
    dir_ = mkdtemp(tmpl);
    zone_ = dir_ / "example.test.zone";
    write_file(zone_, zp::test::kTestZone);
    write_file(dir_ / "big.zone", big_zone());
  }
  void TearDown() override {
    for (auto& [pid, name] : peers_) {
      if (kill(pid, 0) == 0) kill(pid, SIGTERM);
      EXPECT_EQ(wait_exit(pid, 10s), 0) << name << " did not stop cleanly";
    }
    if (pid_ > 0) {
      EXPECT_EQ(kill(pid_, 0), 0) << "the server died";
      kill(pid_, SIGTERM);
      EXPECT_EQ(wait_exit(pid_, 10s), 0) << slurp((dir_ / "server.log").string());
    }
    if (HasFailure()) {
      for (const char* log : {"server.log", "knot.log", "nsd.log", "nsd.out"}) {
        if (fs::exists(dir_ / log)) std::fprintf(stderr, "---- %s\n%s\n", log, slurp((dir_ / log).string()).c_str());
      }
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  // Starts zproto with transfers allowed to 127.0.0.1 and NOTIFY to `notify` (a port or 0).
  void start_zproto(uint16_t notify = 0) {
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
      port_ = free_port();
      std::vector<std::string> args = {ZPROTO_BIN, "serve", "dns", "--zone", "example.test=" + zone_.string(),
                                       "--zone", "big.test.=" + (dir_ / "big.zone").string(), "--listen",
                                       "127.0.0.1:" + std::to_string(port_), "--shards", "2", "--allow-transfer",
                                       "127.0.0.1"};
      if (notify) args.insert(args.end(), {"--notify", "127.0.0.1:" + std::to_string(notify)});
      pid_ = zp::test::spawn_listening(args, (dir_ / "server.log").string(), port_);
    }
    ASSERT_GT(pid_, 0) << slurp((dir_ / "server.log").string());
  }
  // dig or kdig against `port`, bounded in time; its output.
  std::string run(const std::string& prog, uint16_t port, std::vector<std::string> args, bool must_succeed = true) {
    std::string bin = which(prog);
    if (bin.empty()) {
      ADD_FAILURE() << prog << " is not installed (tools/zp installs dnsutils and knot-dnsutils)";
      return {};
    }
    if (prog == "kdig") args.insert(args.begin(), {bin, "@127.0.0.1", "-p", std::to_string(port), "+timeout=3", "+retry=0"});
    else args.insert(args.begin(), {bin, "@127.0.0.1", "-p", std::to_string(port), "+time=3", "+tries=1"});
    std::string out = (dir_ / (prog + ".out")).string();
    pid_t pid = spawn(args, out);
    int rc = wait_exit(pid, 30s);
    std::string text = slurp(out);
    if (must_succeed) {
      EXPECT_EQ(rc, 0) << prog << " failed or timed out:\n" << text;
    } else {
      EXPECT_GE(rc, 0) << prog << " timed out:\n" << text;
    }
    return text;
  }
  std::string kdig(uint16_t port, std::vector<std::string> args, bool must_succeed = true) {
    return run("kdig", port, std::move(args), must_succeed);
  }
  std::string dig(uint16_t port, std::vector<std::string> args) { return run("dig", port, std::move(args)); }
  // Waits until `port` answers `name A` with `want` in the output (bounded).
  bool wait_answer(uint16_t port, const std::string& name, const std::string& want, std::chrono::seconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    std::string o;
    while (std::chrono::steady_clock::now() < end) {
      std::string bin = which("kdig");
      std::string out = (dir_ / "poll.out").string();
      pid_t pid = spawn({bin, "@127.0.0.1", "-p", std::to_string(port), "+timeout=1", "+retry=0", "+norec", name, "A"}, out);
      wait_exit(pid, 5s);
      o = slurp(out);
      if (has(o, want)) return true;
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << name << " never answered " << want << " on port " << port << ":\n" << o;
    return false;
  }
  // Our answers and the secondary's for the same queries (kdig, normalized).
  // `additional`: compare the additional section too (NSD with minimal-responses leaves out
  // the optional MX/SRV target addresses that we and Knot add).
  void expect_same_answers(uint16_t secondary, const std::string& who, bool additional = true) {
    auto cut = [additional](std::string norm) {
      if (additional) return norm;
      const auto at = norm.find(";; ADDITIONAL SECTION:\n");
      if (at != std::string::npos) {
        auto end = norm.find("\n;", at + 1);  // up to the next section name
        norm.erase(at, end == std::string::npos ? std::string::npos : end + 1 - at);
      }
      return std::regex_replace(norm, std::regex("ADDITIONAL: [0-9]+"), "ADDITIONAL: N");
    };
    const std::vector<std::pair<std::string, std::string>> matrix = {
        {"www.example.test", "A"},         {"www.example.test", "AAAA"},   {"nope.example.test", "A"},
        {"mail.example.test", "TXT"},      {"mail.example.test", "A"},     {"alias.example.test", "A"},
        {"chain1.example.test", "A"},      {"foo.wild.example.test", "TXT"}, {"host.sub.example.test", "A"},
        {"example.test", "NS"},            {"example.test", "SOA"},        {"example.test", "MX"},
        {"srv.example.test", "SRV"},       {"x.target.example.test", "A"}};
    int compared = 0;
    for (const auto& [name, type] : matrix) {
      for (std::string flag : {"+notcp", "+tcp"}) {
        const std::string ours = cut(normalize(kdig(port_, {"+norec", flag, name, type})));
        const std::string theirs = cut(normalize(kdig(secondary, {"+norec", flag, name, type})));
        EXPECT_EQ(ours, theirs) << who << ": " << name << " " << type << " " << flag;
        if (name == "www.example.test" && type == "A") {
          EXPECT_TRUE(has(ours, "192\\.0\\.2\\.10")) << ours;  // not vacuous
        }
        ++compared;
      }
    }
    EXPECT_EQ(compared, int(matrix.size()) * 2);
  }
  void reload_bumped(const std::string& serial) {
    write_file(zone_, bumped_zone(serial));
    ASSERT_EQ(kill(pid_, SIGHUP), 0);
  }
  // Waits (bounded) for `re` in the server log.
  bool wait_log(const std::string& re, std::chrono::seconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (has(slurp((dir_ / "server.log").string()), re)) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  pid_t start_peer(const std::string& name, std::vector<std::string> args, const std::string& log, uint16_t port) {
    pid_t pid = spawn(args, (dir_ / log).string());
    peers_.push_back({pid, name});
    for (int i = 0; i < 1000; ++i) {
      if (port_open(port)) return pid;
      int status;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        peers_.pop_back();
        ADD_FAILURE() << name << " exited:\n" << slurp((dir_ / log).string());
        return -1;
      }
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << name << " did not listen on " << port << ":\n" << slurp((dir_ / log).string());
    return -1;
  }

  fs::path dir_, zone_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::vector<std::pair<pid_t, std::string>> peers_;
};

TEST_F(DnsXfrInterop, KdigAndDigAxfr) {
  start_zproto();
  std::string o = kdig(port_, {"example.test", "AXFR"});
  EXPECT_TRUE(has(o, "example\\.test\\.\\s+3600\\s+IN\\s+SOA\\s+ns1\\.example\\.test\\. hostmaster\\.example\\.test\\. 2024010101"))
      << o;
  EXPECT_TRUE(has(o, "www\\.example\\.test\\.\\s+3600\\s+IN\\s+AAAA\\s+2001:db8::10")) << o;
  EXPECT_TRUE(has(o, "ns\\.sub\\.example\\.test\\.\\s+3600\\s+IN\\s+A\\s+192\\.0\\.2\\.100")) << o;  // glue too
  // The test zone's records plus the closing SOA, in one message.
  auto z = zp::dns::build_zone("example.test.", zp::test::kTestZone, "t", false);
  ASSERT_TRUE(z);
  EXPECT_TRUE(has(o, ";; Received \\d+ B \\(1 messages, " + std::to_string(z.zone->record_count() + 1) + " records\\)"))
      << o;
  // big.test: 190 KB in messages of at most 16 KiB (the default xfr_max_message_bytes).
  o = kdig(port_, {"big.test", "AXFR"});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(o, m, std::regex(";; Received (\\d+) B \\((\\d+) messages, 3004 records\\)"))) << o;
  const unsigned long bytes = std::stoul(m[1].str()), messages = std::stoul(m[2].str());
  EXPECT_GE(messages, (bytes + 16383) / 16384);  // none over 16 KiB (framing included)
  EXPECT_GE(messages, 3u);
  o = dig(port_, {"big.test", "AXFR"});
  ASSERT_TRUE(std::regex_search(o, m, std::regex("XFR size: 3004 records \\(messages (\\d+), bytes \\d+\\)"))) << o;
  EXPECT_EQ(std::stoul(m[1].str()), messages);
  EXPECT_TRUE(has(o, "h2999\\.big\\.test\\.\\s+60\\s+IN\\s+TXT")) << o;
  // Over UDP AXFR is not defined: kdig with +notcp gets FORMERR.
  o = kdig(port_, {"+notcp", "example.test", "AXFR"}, /*must_succeed=*/false);
  EXPECT_TRUE(has(o, "FORMERR")) << o;
}

TEST_F(DnsXfrInterop, DigIxfrAfterReload) {
  start_zproto();
  reload_bumped("2024010102");
  ASSERT_TRUE(wait_answer(port_, "fresh.example.test", "192\\.0\\.2\\.88", 10s));
  std::string o = dig(port_, {"example.test", std::string("IXFR=") + kSerial1});
  // The incremental form: new SOA, old SOA, mail's old A, new SOA, mail's new A and fresh, new SOA.
  EXPECT_TRUE(has(o, "XFR size: 7 records")) << o;
  EXPECT_TRUE(has(o, "mail\\.example\\.test\\.\\s+3600\\s+IN\\s+A\\s+192\\.0\\.2\\.3\\n")) << o;
  EXPECT_TRUE(has(o, "mail\\.example\\.test\\.\\s+3600\\s+IN\\s+A\\s+192\\.0\\.2\\.33")) << o;
  EXPECT_TRUE(has(o, "fresh\\.example\\.test\\.\\s+3600\\s+IN\\s+A\\s+192\\.0\\.2\\.88")) << o;
  EXPECT_TRUE(wait_log("IXFR \\(incremental\\) of example\\.test\\. serial 2024010102", 5s));
  // Current: the SOA alone. Unknown older serial: the whole zone (AXFR form).
  o = dig(port_, {"example.test", "IXFR=2024010102"});
  EXPECT_TRUE(has(o, "XFR size: 1 records")) << o;
  o = dig(port_, {"example.test", "IXFR=2023000000"});
  EXPECT_TRUE(has(o, "fresh\\.example\\.test\\.")) << o;
  EXPECT_TRUE(has(o, "www\\.example\\.test\\.")) << o;
  o = kdig(port_, {"example.test", std::string("IXFR=") + kSerial1});
  EXPECT_TRUE(has(o, "7 records\\)")) << o;
}

TEST_F(DnsXfrInterop, KnotSecondaryTransfersAndFollowsNotify) {
  const std::string knotd = which("knotd");
  ASSERT_FALSE(knotd.empty()) << "knotd is not installed (tools/zp installs knot)";
  const uint16_t kport = free_port();
  start_zproto(kport);
  fs::create_directories(dir_ / "knot" / "db");
  write_file(dir_ / "knot" / "knot.conf",
             "server:\n    rundir: \"" + (dir_ / "knot").string() + "\"\n    listen: 127.0.0.1@" + std::to_string(kport) +
                 "\n    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n"
                 "database:\n    storage: \"" + (dir_ / "knot" / "db").string() + "\"\n"
                 "log:\n  - target: stderr\n    any: info\n"
                 "remote:\n  - id: primary\n    address: 127.0.0.1@" + std::to_string(port_) + "\n"
                 "acl:\n  - id: from_primary\n    address: 127.0.0.1\n    action: notify\n"
                 "template:\n  - id: default\n    storage: \"" + (dir_ / "knot").string() + "\"\n"
                 "    zonefile-sync: -1\n    zonefile-load: none\n    semantic-checks: off\n"
                 "zone:\n  - domain: example.test\n    master: primary\n    acl: from_primary\n");
  ASSERT_GT(start_peer("knotd", {knotd, "-c", (dir_ / "knot" / "knot.conf").string()}, "knot.log", kport), 0);
  // Knot pulls the zone at start (AXFR), then answers like us.
  ASSERT_TRUE(wait_answer(kport, "www.example.test", "192\\.0\\.2\\.10", 20s));
  EXPECT_TRUE(wait_log("AXFR of example\\.test\\. serial 2024010101 to 127\\.0\\.0\\.1", 5s));
  expect_same_answers(kport, "knot");
  // A reload with a bumped serial: NOTIFY, then Knot's IXFR, then the new data there.
  reload_bumped("2024010102");
  ASSERT_TRUE(wait_answer(kport, "fresh.example.test", "192\\.0\\.2\\.88", 20s));
  EXPECT_TRUE(wait_log("notify example\\.test\\. serial 2024010102 to 127\\.0\\.0\\.1:" + std::to_string(kport) +
                           ": acknowledged", 5s));
  EXPECT_TRUE(wait_log("IXFR \\(incremental\\) of example\\.test\\. serial 2024010102 to 127\\.0\\.0\\.1", 5s));
  EXPECT_TRUE(has(kdig(kport, {"+norec", "mail.example.test", "A"}), "192\\.0\\.2\\.33"));
  expect_same_answers(kport, "knot after IXFR");
}

TEST_F(DnsXfrInterop, NsdSecondaryTransfersAndFollowsNotify) {
  const std::string nsd = which("nsd");
  ASSERT_FALSE(nsd.empty()) << "nsd is not installed (tools/zp installs nsd)";
  const uint16_t nport = free_port();
  start_zproto(nport);
  const std::string d = (dir_ / "nsd").string();
  fs::create_directories(d);
  write_file(dir_ / "nsd" / "nsd.conf",
             "server:\n    ip-address: 127.0.0.1@" + std::to_string(nport) + "\n    port: " + std::to_string(nport) +
                 "\n    do-ip6: no\n    username: \"\"\n    chroot: \"\"\n    zonesdir: \"" + d +
                 "\"\n    database: \"\"\n    pidfile: \"" + d + "/nsd.pid\"\n    logfile: \"" + (dir_ / "nsd.log").string() +
                 "\"\n    xfrdfile: \"" + d + "/xfrd.state\"\n    xfrdir: \"" + d + "\"\n    zonelistfile: \"" + d +
                 "/zone.list\"\n    server-count: 1\n    minimal-responses: yes\n    verbosity: 2\n    xfrd-reload-timeout: 0\n"
                 "remote-control:\n    control-enable: no\n"
                 "zone:\n    name: example.test\n    request-xfr: 127.0.0.1@" + std::to_string(port_) +
                 " NOKEY\n    allow-notify: 127.0.0.1 NOKEY\n");
  ASSERT_GT(start_peer("nsd", {nsd, "-d", "-c", (dir_ / "nsd" / "nsd.conf").string()}, "nsd.out", nport), 0);
  ASSERT_TRUE(wait_answer(nport, "www.example.test", "192\\.0\\.2\\.10", 20s));
  EXPECT_TRUE(wait_log("XFR .*of example\\.test\\. serial 2024010101 to 127\\.0\\.0\\.1", 5s));
  expect_same_answers(nport, "nsd", /*additional=*/false);
  reload_bumped("2024010102");
  ASSERT_TRUE(wait_answer(nport, "fresh.example.test", "192\\.0\\.2\\.88", 20s));
  EXPECT_TRUE(wait_log("notify example\\.test\\. serial 2024010102 to 127\\.0\\.0\\.1:" + std::to_string(nport) +
                           ": acknowledged", 5s));
  EXPECT_TRUE(wait_log("IXFR \\(incremental\\) of example\\.test\\. serial 2024010102 to 127\\.0\\.0\\.1", 5s));
  EXPECT_TRUE(has(kdig(nport, {"+norec", "mail.example.test", "A"}), "192\\.0\\.2\\.33"));
  expect_same_answers(nport, "nsd after IXFR", /*additional=*/false);
}

}  // namespace
