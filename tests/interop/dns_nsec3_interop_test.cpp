// DNSSEC denial of existence from a pre-signed zone, NSEC3 (RFC 5155) and NSEC: the zone is
// signed at test time with ldns-signzone (NSEC; -n: NSEC3 with and without opt-out), checked
// with ldns-verify-zone, served by
// the zproto binary and by Knot from the same file, and the same kdig +dnssec query matrix
// (NXDOMAIN, NODATA, ENTs, wildcard answers and wildcard NODATA, secure and insecure
// delegations, DS, CNAMEs into wildcards and into nothing) must give the same sections.
// delv then validates our negative and wildcard answers against the zone's KSK. Every tool
// runs by pid with a time bound; a missing program fails.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "../common/test_files.h"
#include "../common/test_net.h"
#include "../common/test_process.h"
#include "dns_interop_util.h"

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

constexpr std::string_view kZone = R"($ORIGIN example.test.
$TTL 3600
@        SOA   ns1 hostmaster 2024010101 7200 3600 1209600 300
@        NS    ns1
@        MX    10 mail
ns1      A     192.0.2.1
mail     A     192.0.2.3
www      A     192.0.2.10
www      AAAA  2001:db8::10
alias    CNAME www
walias   CNAME x.wild
dangle   CNAME nothere
*.wild   TXT   "wildcard"
*.wild   A     192.0.2.50
a.b.c.ent A    192.0.2.60
sub      NS    ns.sub
sub      DS    12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
ns.sub   A     192.0.2.100
insecure NS    ns.insecure
ns.insecure A  192.0.2.101
)";

// The chain the zone is signed with: NSEC, NSEC3, or NSEC3 with opt-out.
enum class Chain { nsec, nsec3, nsec3_opt_out };

class DnsNsec3Interop : public ::testing::TestWithParam<Chain> {
 protected:
  bool nsec3() const { return GetParam() != Chain::nsec; }
  bool opt_out() const { return GetParam() == Chain::nsec3_opt_out; }

  void SetUp() override {
    char tmpl[] = "/tmp/zp_dns_nsec3.XXXXXX";
    dir_ = mkdtemp(tmpl);
    write_file(dir_ / "example.test.zone", kZone);
    const std::string keygen = tool("ldns-keygen"), signzone = tool("ldns-signzone"), verify = tool("ldns-verify-zone");
    ASSERT_FALSE(keygen.empty() || signzone.empty() || verify.empty());
    const std::string ksk = run({keygen, "-a", "ECDSAP256SHA256", "-k", "example.test"});
    const std::string zsk = run({keygen, "-a", "ECDSAP256SHA256", "example.test"});
    ASSERT_TRUE(has(ksk, "^Kexample\\.test\\.\\+013\\+[0-9]+$")) << ksk;
    ASSERT_TRUE(has(zsk, "^Kexample\\.test\\.\\+013\\+[0-9]+$")) << zsk;
    ksk_ = ksk;
    std::vector<std::string> sign = {signzone};
    if (nsec3()) for (std::string a : {"-n", "-s", "ABCDEF", "-t", "2"}) sign.push_back(a);
    if (opt_out()) sign.push_back("-p");
    for (std::string a : {"-f", "example.test.signed", "-o", "example.test", "example.test.zone"}) sign.push_back(a);
    sign.push_back(ksk);
    sign.push_back(zsk);
    run(sign);
    signed_ = dir_ / "example.test.signed";
    const std::string text = slurp(signed_);
    ASSERT_EQ(has(text, "NSEC3PARAM\\s+1 0 2 abcdef"), nsec3()) << text;
    ASSERT_TRUE(has(run({verify, signed_.string()}), "Zone is verified")) << "ldns-verify-zone failed";
    // A hashed owner name: a name of the NSEC3 chain, not of the zone (with NSEC: any name).
    hashed_owner_ = "0r1q281uossbuu25ueik24b6tbpkj5ff.example.test.";
    std::istringstream lines(text);
    for (std::string l; std::getline(lines, l);) {
      if (has(l, "\\sNSEC3\\s")) {
        hashed_owner_ = l.substr(0, l.find_first_of(" \t"));
        break;
      }
    }
    ASSERT_FALSE(hashed_owner_.empty());
    start_zproto();
    start_knot();
  }

  void TearDown() override {
    for (pid_t* p : {&zproto_, &knot_}) {
      if (*p <= 0) continue;
      EXPECT_EQ(kill(*p, 0), 0) << "a server died";
      kill(*p, SIGTERM);
      EXPECT_EQ(wait_exit(*p, 10s), 0) << slurp(dir_ / "zproto.log") << slurp(dir_ / "knot.log");
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string tool(const std::string& prog) {
    std::string p = which(prog);
    if (p.empty()) ADD_FAILURE() << prog << " is not installed (tools/zp installs ldnsutils, knot, knot-dnsutils, dnsutils)";
    return p;
  }

  // Runs a program in the test directory with a time bound; its output, trimmed.
  // `check_rc`: a non-zero exit fails the test.
  std::string run(const std::vector<std::string>& args, bool check_rc = true) {
    const std::string out = (dir_ / "tool.out").string();
    pid_t pid = spawn(args, out, dir_.string());
    const int rc = wait_exit(pid, 30s);
    std::string text = slurp(out);
    if (check_rc) EXPECT_EQ(rc, 0) << args[0] << ":\n" << text;
    else EXPECT_GE(rc, 0) << args[0] << " timed out:\n" << text;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
  }

  void start_zproto() {
    for (int attempt = 0; attempt < 5 && zproto_ <= 0; ++attempt) {
      port_ = free_port();
      pid_t pid = spawn({ZPROTO_BIN, "serve", "dns", "--zone", "example.test=" + signed_.string(), "--listen",
                         "127.0.0.1:" + std::to_string(port_), "--shards", "2"},
                        (dir_ / "zproto.log").string());
      if (wait_port(pid, port_)) zproto_ = pid;
    }
    ASSERT_GT(zproto_, 0) << slurp(dir_ / "zproto.log");
  }

  void start_knot() {
    const std::string knotd = tool("knotd");
    ASSERT_FALSE(knotd.empty());
    fs::create_directories(dir_ / "knot" / "db");
    for (int attempt = 0; attempt < 5 && knot_ <= 0; ++attempt) {
      kport_ = free_port();
      write_file(dir_ / "knot" / "knot.conf",
                 "server:\n    rundir: \"" + (dir_ / "knot").string() + "\"\n    listen: 127.0.0.1@" +
                     std::to_string(kport_) +
                     "\n    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n"
                     "database:\n    storage: \"" + (dir_ / "knot" / "db").string() + "\"\n"
                     "log:\n  - target: stderr\n    any: warning\n"
                     "template:\n  - id: default\n    storage: \"" + dir_.string() + "\"\n    zonefile-sync: -1\n"
                     "    journal-content: none\n    semantic-checks: off\n"
                     "zone:\n  - domain: example.test\n    file: \"" + signed_.string() + "\"\n");
      pid_t pid = spawn({knotd, "-c", (dir_ / "knot" / "knot.conf").string()}, (dir_ / "knot.log").string());
      if (wait_port(pid, kport_)) knot_ = pid;
    }
    ASSERT_GT(knot_, 0) << slurp(dir_ / "knot.log");
  }

  // Waits up to 5 s for `pid` to accept on `port`; kills it when it does not.
  static bool wait_port(pid_t pid, uint16_t port) {
    for (int i = 0; i < 500; ++i) {
      if (port_open(port)) return true;
      int status;
      if (waitpid(pid, &status, WNOHANG) == pid) return false;
      std::this_thread::sleep_for(10ms);
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return false;
  }

  std::string kdig(uint16_t port, const std::string& name, const std::string& type, bool tcp) {
    std::vector<std::string> args = {which("kdig"), "@127.0.0.1", "-p", std::to_string(port), "+timeout=2",
                                     "+retry=0", "+norec", "+dnssec", name, type};
    if (tcp) args.push_back("+tcp");
    return normalize(run(args));
  }

  fs::path dir_, signed_;
  std::string ksk_, hashed_owner_;
  uint16_t port_ = 0, kport_ = 0;
  pid_t zproto_ = -1, knot_ = -1;
};

TEST_P(DnsNsec3Interop, SameProofsAsKnot) {
  const std::vector<std::pair<std::string, std::string>> matrix = {
      {"www.example.test", "A"},        {"WWW.Example.TEST", "AAAA"},    {"nope.example.test", "A"},
      {"a.b.nope.example.test", "A"},   {"www.example.test", "TXT"},     {"x.wild.example.test", "A"},
      {"y.x.wild.example.test", "TXT"}, {"x.wild.example.test", "MX"},   {"wild.example.test", "TXT"},
      {"c.ent.example.test", "A"},      {"x.c.ent.example.test", "A"},   {"zzz.ent.example.test", "TXT"},
      {"sub.example.test", "DS"},       {"sub.example.test", "A"},       {"host.sub.example.test", "A"},
      {"insecure.example.test", "DS"},  {"insecure.example.test", "A"},  {"host.insecure.example.test", "AAAA"},
      {"example.test", "NSEC3PARAM"},   {"example.test", "DNSKEY"},      {"example.test", "TXT"},
      {"alias.example.test", "A"},      {"walias.example.test", "A"},    {"dangle.example.test", "A"},
      {hashed_owner_, "A"},             {hashed_owner_, "NSEC3"}};
  int compared = 0;
  for (const auto& [name, type] : matrix) {
    for (bool tcp : {false, true}) {
      const std::string ours = kdig(port_, name, type, tcp);
      EXPECT_EQ(ours, kdig(kport_, name, type, tcp)) << name << " " << type << (tcp ? " +tcp" : "");
      ++compared;
    }
  }
  EXPECT_EQ(compared, int(matrix.size()) * 2);
  // Not vacuous: an NXDOMAIN carries its proof (NSEC3: the closest encloser proof, 2 or 3
  // NSEC3s; NSEC: 1 or 2), each signed.
  const std::string nx = kdig(port_, "a.b.nope.example.test", "A", false);
  EXPECT_TRUE(has(nx, "status: NXDOMAIN")) << nx;
  const std::string type = nsec3() ? "NSEC3" : "NSEC";
  std::size_t denials = 0, sigs = 0;
  for (std::size_t p = 0; (p = nx.find(" IN " + type + " ", p)) != std::string::npos; ++p) ++denials;
  for (std::size_t p = 0; (p = nx.find(" IN RRSIG " + type + " ", p)) != std::string::npos; ++p) ++sigs;
  EXPECT_GE(denials, nsec3() ? 2u : 1u) << nx;
  EXPECT_EQ(denials, sigs) << nx;
  const std::string wild = kdig(port_, "x.wild.example.test", "A", false);
  EXPECT_TRUE(has(wild, "x\\.wild\\.example\\.test\\. 3600 IN A 192\\.0\\.2\\.50")) << wild;
  EXPECT_TRUE(has(wild, " IN " + type + " ")) << wild;
  // An unsigned delegation's referral proves there is no DS.
  EXPECT_TRUE(has(kdig(port_, "host.insecure.example.test", "A", false), " IN " + type + " "));
}

TEST_P(DnsNsec3Interop, DelvValidatesDenials) {
  const std::string delv = tool("delv");
  ASSERT_FALSE(delv.empty());
  // The KSK as delv's trust anchor for example.test.
  std::string key = slurp(dir_ / (ksk_ + ".key"));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(key, m, std::regex("DNSKEY\\s+257\\s+3\\s+13\\s+([A-Za-z0-9+/=]+)"))) << key;
  write_file(dir_ / "anchor.conf",
             "trust-anchors {\n  example.test. static-key 257 3 13 \"" + m[1].str() + "\";\n};\n");
  auto validate = [&](const std::string& name, const std::string& type) {
    return run({delv, "@127.0.0.1", "-p", std::to_string(port_), "-a", (dir_ / "anchor.conf").string(),
                "+root=example.test", "+tcp", name, type},
               false);  // delv's exit status varies with the answer; its text says what it proved
  };
  for (const auto& [name, type, what] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"nope.example.test", "A", "NXDOMAIN"},
           {"a.b.nope.example.test", "A", "NXDOMAIN"},
           {"x.c.ent.example.test", "A", "NXDOMAIN"},
           {"www.example.test", "TXT", "NXRRSET"},
           {"c.ent.example.test", "A", "NXRRSET"},
           {"x.wild.example.test", "MX", "NXRRSET"},
           {"insecure.example.test", "DS", "NXRRSET"},
           {"dangle.example.test", "A", "NXDOMAIN"}}) {
    const std::string out = validate(name, type);
    // The CNAME into nothing validates as a signed CNAME plus a validated NXDOMAIN.
    const char* proved = name.starts_with("dangle") ? "; fully validated" : "negative response, fully validated";
    EXPECT_TRUE(has(out, proved)) << name << " " << type << "\n" << out;
    EXPECT_TRUE(has(out, what)) << name << " " << type << "\n" << out;
  }
  const std::string out = validate("x.wild.example.test", "A");
  EXPECT_TRUE(has(out, "192\\.0\\.2\\.50")) << out;
  // With opt-out, the NSEC3 covering the next closer name may hide an unsigned delegation,
  // so a wildcard answer is only as good as "insecure" (RFC 5155 §9.2); without, it validates.
  if (!opt_out()) EXPECT_TRUE(has(out, "; fully validated")) << out;
  else EXPECT_TRUE(has(out, "; (unsigned|fully validated)")) << out;
}

INSTANTIATE_TEST_SUITE_P(Chains, DnsNsec3Interop, ::testing::Values(Chain::nsec, Chain::nsec3, Chain::nsec3_opt_out),
                         [](const ::testing::TestParamInfo<Chain>& i) {
                           return i.param == Chain::nsec ? "nsec" : i.param == Chain::nsec3 ? "nsec3" : "nsec3_opt_out";
                         });

}  // namespace
