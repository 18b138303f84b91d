// The SMTP client (the library and `zproto mail send`) against Debian's postfix: smtp-sink
// with its fault options (hidden PIPELINING/ESMTP/8BITMIME/AUTH, 4xx/5xx at chosen commands,
// a 421 or a silent drop after them), and a private postfix instance on loopback (config in a
// temp dir, `postfix -c DIR start`) delivering into a Maildir, with STARTTLS and implicit
// TLS. Every process runs by pid or by its own stop command, time-bounded; a missing program
// fails.
#include <gtest/gtest.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "../common/test_certs.h"
#include "../common/test_files.h"
#include "../common/test_net.h"
#include "../common/test_process.h"
#include "zp/engine/backend.h"
#include "zp/engine/shard.h"
#include "zp/smtp/client.h"

namespace {

using namespace std::chrono_literals;
using zp::test::free_port;
using zp::test::slurp;
using zp::test::spawn;
using zp::test::wait_exit;
using zp::test::write_file;
namespace fs = std::filesystem;
namespace smtp = zp::smtp;
using smtp::ClientErrc;

const char kMessage[] =
    "From: a@example.org\r\nTo: b@example.net\r\nSubject: interop\r\n\r\nline one\r\n.dot line\r\nbare lf\nlast\r\n";

smtp::ClientOptions plain() {
  smtp::ClientOptions o;
  o.helo_name = "client.zp.test";
  o.tls = smtp::TlsMode::off;
  o.timeouts = {5000, 10000, 10000, 10000, 10000, 20000};
  return o;
}

// Variadic: no braced temporaries inside the coroutines (GCC 12).
template <class... A>
smtp::Envelope envelope(const A&... to) {
  smtp::Envelope e;
  e.from = "a@example.org";
  e.to = {std::string(to)...};
  return e;
}

// Runs fn(client) on a private shard after connecting to addr; the connect error otherwise.
zp::Result<void> with_client(const std::string& addr, const smtp::ClientOptions& o,
                             std::function<zp::Task<void>(smtp::Client&)> fn) {
  auto backend = zp::make_backend(zp::BackendKind::automatic, {});
  if (!backend) return backend.error();
  zp::Shard shard(0, 1, std::move(*backend));
  auto r = shard.block_on([](std::string a, smtp::ClientOptions o,
                             std::function<zp::Task<void>(smtp::Client&)>* f) -> zp::Task<zp::Result<void>> {
    auto c = co_await smtp::Client::connect(a, o);
    if (!c) co_return c.error();
    co_await (*f)(*c);
    co_return zp::Result<void>{};
  }(addr, o, &fn));
  shard.request_stop(0);
  shard.run();
  return r;
}

// ---- smtp-sink ----

class SmtpSinkInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_smtp_sink.XXXXXX";
    dir_ = mkdtemp(tmpl);
    fs::create_directories(dir_ / "dump");
    // smtp-sink drops to `nobody` (-u) before it writes the dumps.
    fs::permissions(dir_, fs::perms::all);
    fs::permissions(dir_ / "dump", fs::perms::all);
  }
  void TearDown() override {
    stop_sink();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  // smtp-sink with `flags` on a free port; every transaction dumped into dump/.
  void start_sink(const std::vector<std::string>& flags) {
    stop_sink();
    const std::string sink = "/usr/sbin/smtp-sink";
    ASSERT_TRUE(fs::exists(sink)) << "smtp-sink is not installed (tools/zp installs postfix)";
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
      port_ = free_port();
      std::vector<std::string> args = {sink, "-u", "nobody", "-d", (dir_ / "dump" / "%M.").string()};
      args.insert(args.end(), flags.begin(), flags.end());
      args.push_back("127.0.0.1:" + std::to_string(port_));
      args.push_back("16");
      pid_ = zp::test::spawn_listening(args, (dir_ / "sink.log").string(), port_);
    }
    ASSERT_GT(pid_, 0) << slurp(dir_ / "sink.log");
  }
  void stop_sink() {
    if (pid_ <= 0) return;
    EXPECT_EQ(kill(pid_, 0), 0) << "smtp-sink died: " << slurp(dir_ / "sink.log");
    kill(pid_, SIGTERM);
    wait_exit(pid_, 10s);
    pid_ = -1;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_ / "dump", ec)) fs::remove(e.path(), ec);
  }
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  // The dumped transactions (smtp-sink writes each when the session goes on or ends).
  std::vector<std::string> dumps(std::size_t want, std::chrono::milliseconds limit = 5s) {
    std::vector<std::string> out;
    const auto until = std::chrono::steady_clock::now() + limit;
    do {
      out.clear();
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(dir_ / "dump", ec)) out.push_back(slurp(e.path()));
      if (out.size() >= want) break;
      std::this_thread::sleep_for(20ms);
    } while (std::chrono::steady_clock::now() < until);
    return out;
  }
  int zcli(const std::vector<std::string>& args, const std::string& name) {
    std::vector<std::string> a = {ZPROTO_BIN, "mail", "send"};
    a.insert(a.end(), args.begin(), args.end());
    return wait_exit(spawn(a, (dir_ / (name + ".out")).string()), 30s);
  }
  std::string out(const std::string& name) { return slurp(dir_ / (name + ".out")); }

  fs::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(SmtpSinkInterop, PipelinedRecipientsAndSessionReuse) {
  start_sink({});
  auto r = with_client(addr(), plain(), [](smtp::Client& c) -> zp::Task<void> {
    EXPECT_TRUE(c.info().esmtp);
    EXPECT_TRUE(c.info().pipelining);
    EXPECT_TRUE(c.info().eight_bit_mime);
    const smtp::Envelope env1 = envelope("b@example.net", "c@example.net", "d@example.net");

    auto s = co_await c.send(env1, kMessage);
    EXPECT_TRUE(s) << s.error().message();
    if (s) {
      EXPECT_EQ(s->accepted, 3u);
    }
    const smtp::Envelope env2 = envelope("e@example.net");

    auto t = co_await c.send(env2, "Subject: second\r\n\r\ncaf\xc3\xa9\r\n");
    EXPECT_TRUE(t) << t.error().message();
    EXPECT_EQ(c.messages_sent(), 2u);
    auto q = co_await c.quit();
    EXPECT_TRUE(q) << q.error().message();
  });
  ASSERT_TRUE(r) << r.error().message();
  const auto d = dumps(2);
  ASSERT_EQ(d.size(), 2u);
  const std::string& first = d[0].find("interop") != std::string::npos ? d[0] : d[1];
  const std::string& second = &first == &d[0] ? d[1] : d[0];
  EXPECT_NE(first.find("X-Helo-Args: client.zp.test\n"), std::string::npos) << first;
  EXPECT_NE(first.find("X-Mail-Args: <a@example.org>\n"), std::string::npos) << first;  // no SIZE offered
  for (const char* rc : {"b@example.net", "c@example.net", "d@example.net"})
    EXPECT_NE(first.find(std::string("X-Rcpt-Args: <") + rc + ">"), std::string::npos) << first;
  // smtp-sink writes lines with LF; the dot came through unstuffed, the bare LF as a line end.
  EXPECT_NE(first.find("line one\n.dot line\nbare lf\nlast\n"), std::string::npos) << first;
  EXPECT_NE(second.find("BODY=8BITMIME"), std::string::npos) << second;
  EXPECT_NE(second.find("X-Rcpt-Args: <e@example.net>"), std::string::npos) << second;
}

TEST_F(SmtpSinkInterop, HiddenExtensions) {
  // -p: no PIPELINING; one command at a time, the same result.
  start_sink({"-p"});
  auto r = with_client(addr(), plain(), [](smtp::Client& c) -> zp::Task<void> {
    EXPECT_FALSE(c.info().pipelining);
    const smtp::Envelope env3 = envelope("b@example.net", "c@example.net");

    auto s = co_await c.send(env3, kMessage);
    EXPECT_TRUE(s) << s.error().message();
    (void)co_await c.quit();
  });
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(dumps(1).size(), 1u);
  // -e: no ESMTP (EHLO refused): HELO, no extensions.
  start_sink({"-e"});
  r = with_client(addr(), plain(), [](smtp::Client& c) -> zp::Task<void> {
    EXPECT_FALSE(c.info().esmtp);
    const smtp::Envelope env4 = envelope("b@example.net");

    auto s = co_await c.send(env4, kMessage);
    EXPECT_TRUE(s) << s.error().message();
    (void)co_await c.quit();
  });
  ASSERT_TRUE(r) << r.error().message();
  const auto d = dumps(1);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_NE(d[0].find("X-Client-Proto: SMTP"), std::string::npos) << d[0];
  // -8: no 8BITMIME: an 8-bit message is refused before anything is sent.
  start_sink({"-8"});
  r = with_client(addr(), plain(), [](smtp::Client& c) -> zp::Task<void> {
    const smtp::Envelope env5 = envelope("b@example.net");

    auto s = co_await c.send(env5, "Subject: x\r\n\r\ncaf\xc3\xa9\r\n");
    EXPECT_EQ(s.error(), ClientErrc::eight_bit_unsupported);
    const smtp::Envelope env6 = envelope("b@example.net");

    auto t = co_await c.send(env6, kMessage);
    EXPECT_TRUE(t) << t.error().message();
    (void)co_await c.quit();
  });
  ASSERT_TRUE(r) << r.error().message();
  // AUTH: smtp-sink announces PLAIN and LOGIN but answers 250 where RFC 4954 says 235 (and
  // LOGIN without its 334 prompts): that is no success; then -a: none announced.
  smtp::ClientOptions o = plain();
  smtp::Credentials cred;
  cred.user = "user";
  cred.password = "secret";
  cred.allow_plaintext = true;
  cred.mechanism = smtp::AuthMechanism::plain;
  o.auth = cred;
  start_sink({});
  r = with_client(addr(), o, [](smtp::Client&) -> zp::Task<void> { co_return; });
  EXPECT_EQ(r.error(), ClientErrc::auth_failed);
  o.auth->mechanism = smtp::AuthMechanism::login;
  r = with_client(addr(), o, [](smtp::Client&) -> zp::Task<void> { co_return; });
  EXPECT_EQ(r.error(), ClientErrc::auth_failed);
  o.auth->mechanism = smtp::AuthMechanism::cram_md5;  // not offered
  r = with_client(addr(), o, [](smtp::Client&) -> zp::Task<void> { co_return; });
  EXPECT_EQ(r.error(), ClientErrc::auth_unavailable);
  start_sink({"-a"});
  r = with_client(addr(), o, [](smtp::Client&) -> zp::Task<void> { co_return; });
  EXPECT_EQ(r.error(), ClientErrc::auth_unavailable);
  // No STARTTLS from smtp-sink: required TLS is never downgraded.
  smtp::ClientOptions req = plain();
  req.tls = smtp::TlsMode::required;
  r = with_client(addr(), req, [](smtp::Client&) -> zp::Task<void> { co_return; });
  EXPECT_EQ(r.error(), ClientErrc::starttls_unavailable);
}

TEST_F(SmtpSinkInterop, RefusalsAndDrops) {
  struct Case {
    std::vector<std::string> flags;
    bool pipelining;
    zp::Error want;
  };
  const std::vector<Case> cases = {
      {{"-f", "RCPT"}, true, ClientErrc::recipients_refused},
      {{"-r", "MAIL"}, true, smtp::reply_error(450)},
      {{"-f", "DATA"}, true, smtp::reply_error(500)},
      {{"-f", "."}, true, smtp::reply_error(500)},
      {{"-r", "."}, false, smtp::reply_error(450)},
      {{"-Q", "RCPT"}, false, smtp::reply_error(421)},
      {{"-Q", "MAIL"}, true, smtp::reply_error(421)},
      {{"-q", "DATA"}, true, ClientErrc::connection_closed},
      {{"-q", "."}, false, ClientErrc::connection_closed},
  };
  for (const Case& k : cases) {
    start_sink(k.flags);
    smtp::ClientOptions o = plain();
    o.pipelining = k.pipelining;
    zp::Error got;
    auto r = with_client(addr(), o, [&got](smtp::Client& c) -> zp::Task<void> {
      const smtp::Envelope env7 = envelope("b@example.net", "c@example.net");

      auto s = co_await c.send(env7, kMessage);
      EXPECT_FALSE(s);
      if (!s) got = s.error();
      if (c.connected()) (void)co_await c.quit();
    });
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(got, k.want) << k.flags[0] << " " << k.flags[1] << ": " << got.message();
    EXPECT_EQ(smtp::is_transient(got), smtp::reply_code_of(got) ? smtp::reply_code_of(got) < 500 : got == ClientErrc::connection_closed)
        << got.message();
  }
  // -A 0: smtp-sink answers DATA, then aborts with 550 and stops reading.
  start_sink({"-A", "0"});
  zp::Error got;
  auto r = with_client(addr(), plain(), [&got](smtp::Client& c) -> zp::Task<void> {
    const smtp::Envelope env8 = envelope("b@example.net");

    auto s = co_await c.send(env8, kMessage);
    EXPECT_FALSE(s);
    if (!s) got = s.error();
  });
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(got == smtp::reply_error(550) || got == ClientErrc::connection_closed) << got.message();
}

TEST_F(SmtpSinkInterop, MailSendCli) {
  start_sink({});
  write_file(dir_ / "notes.txt", "attached text\n");
  // The body from standard input, as mail(1).
  const std::string cmd = "printf 'Hello from stdin\\n.\\nbye\\n' | '" + std::string(ZPROTO_BIN) +
                          "' mail send --server " + addr() + " --from 'Ann <a@example.org>' --to b@example.net,c@example.net"
                          " --cc d@example.net --subject 'Grüße' --attach " + (dir_ / "notes.txt").string() +
                          " --helo client.zp.test -v";
  int rc = wait_exit(spawn({"/bin/sh", "-c", cmd}, (dir_ / "stdin.out").string()), 30s);
  EXPECT_EQ(rc, 0) << out("stdin");
  auto d = dumps(1);
  ASSERT_EQ(d.size(), 1u);
  for (const char* s : {"X-Mail-Args: <a@example.org>", "X-Rcpt-Args: <b@example.net>", "X-Rcpt-Args: <c@example.net>",
                        "X-Rcpt-Args: <d@example.net>", "From: Ann <a@example.org>\n", "To: b@example.net, c@example.net\n",
                        "Cc: d@example.net\n", "Subject: =?UTF-8?B?R3LDvMOfZQ==?=\n", "Hello from stdin\n.\nbye\n",
                        "filename=\"notes.txt\"", "YXR0YWNoZWQgdGV4dAo="})
    EXPECT_NE(d[0].find(s), std::string::npos) << s << "\n" << d[0];
  EXPECT_NE(out("stdin").find("b@example.net accepted: 250"), std::string::npos) << out("stdin");
  // --body instead of stdin.
  start_sink({});
  rc = zcli({"--server", addr(), "--from", "a@example.org", "--to", "b@example.net", "--subject", "x", "--body",
             "given body"},
            "body");
  EXPECT_EQ(rc, 0) << out("body");
  d = dumps(1);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_NE(d[0].find("given body"), std::string::npos) << d[0];
  // Refusals and policy failures: exit 1 with the reason on stderr.
  start_sink({"-f", "RCPT"});
  rc = zcli({"--server", addr(), "--from", "a@example.org", "--to", "b@example.net", "--body", "x"}, "refused");
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out("refused").find("b@example.net refused: 500"), std::string::npos) << out("refused");
  EXPECT_NE(out("refused").find("every recipient was refused"), std::string::npos) << out("refused");
  rc = zcli({"--server", addr(), "--starttls", "--from", "a@example.org", "--to", "b@example.net", "--body", "x"},
            "starttls");
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out("starttls").find("STARTTLS required but not offered"), std::string::npos) << out("starttls");
  start_sink({"-Q", "MAIL"});
  rc = zcli({"--server", addr(), "--from", "a@example.org", "--to", "b@example.net", "--body", "x"}, "421");
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out("421").find("reply 421"), std::string::npos) << out("421");
  // A password only from the environment or a file: --user alone is a usage error.
  rc = zcli({"--server", addr(), "--user", "u", "--password-env", "ZP_TEST_NO_SUCH_VAR", "--from", "a@example.org",
             "--to", "b@example.net", "--body", "x"},
            "nopass");
  EXPECT_EQ(rc, 2) << out("nopass");
  EXPECT_NE(out("nopass").find("ZP_TEST_NO_SUCH_VAR"), std::string::npos) << out("nopass");
  // Header injection refused before connecting.
  rc = zcli({"--server", addr(), "--from", "a@example.org", "--to", "b@example.net", "--subject",
             "x\r\nBcc: victim@example.org", "--body", "x"},
            "inject");
  EXPECT_EQ(rc, 2) << out("inject");
  EXPECT_NE(out("inject").find("CR, LF or NUL"), std::string::npos) << out("inject");
  rc = zcli({"--help"}, "help");
  EXPECT_EQ(rc, 0);
  EXPECT_NE(out("help").find("ZPROTO_SMTP_PASSWORD"), std::string::npos) << out("help");
}

// ---- a private postfix ----

class PostfixInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_postfix.XXXXXX";
    dir_ = mkdtemp(tmpl);
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
    certs_ = zp::test::make_test_certs();
    ASSERT_FALSE(certs_.empty());
  }
  void TearDown() override {
    stop_postfix();
    std::error_code ec;
    fs::remove_all(dir_, ec);
    fs::remove_all(certs_, ec);
  }
  // postfix with its queue, data and Maildirs under dir_, smtpd on port_ (plain + STARTTLS)
  // and tls_port_ (implicit TLS).
  void start_postfix(const std::string& extra = {}) {
    ASSERT_TRUE(fs::exists("/usr/sbin/postfix")) << "postfix is not installed (tools/zp installs it)";
    // getpwnam's result is static: copy the ids before the next call.
    const passwd* pw = getpwnam("postfix");
    ASSERT_TRUE(pw) << "the postfix user (made by the postfix package)";
    const uid_t pf_uid = pw->pw_uid;
    const gid_t pf_gid = pw->pw_gid;
    pw = getpwnam("nobody");
    ASSERT_TRUE(pw);
    const uid_t nobody_uid = pw->pw_uid;
    const gid_t nobody_gid = pw->pw_gid;
    for (const char* d : {"conf", "queue", "data", "vmail"}) fs::create_directories(dir_ / d);
    ASSERT_EQ(chown((dir_ / "data").c_str(), pf_uid, pf_gid), 0);
    ASSERT_EQ(chown((dir_ / "vmail").c_str(), nobody_uid, nobody_gid), 0);
    // postfix reads the key as root; its smtpd (as postfix) gets it at startup.
    port_ = free_port();
    tls_port_ = free_port();
    const std::string d = dir_.string();
    write_file(dir_ / "conf" / "main.cf",
               "compatibility_level = 3.6\nqueue_directory = " + d + "/queue\ndata_directory = " + d +
                   "/data\nmail_owner = postfix\nsetgid_group = postdrop\ninet_interfaces = 127.0.0.1\n"
                   "inet_protocols = ipv4\nmyhostname = mx.zp.test\nmydomain = zp.test\nmydestination =\n"
                   "maillog_file_prefixes = /tmp\nmaillog_file = " + d + "/maillog\n"
                   "virtual_mailbox_domains = zp.test\nvirtual_mailbox_base = " + d + "/vmail\n"
                   "virtual_mailbox_maps = texthash:" + d + "/conf/vmailbox\n"
                   "virtual_uid_maps = static:" + std::to_string(nobody_uid) + "\n"
                   "virtual_gid_maps = static:" + std::to_string(nobody_gid) + "\n"
                   "mynetworks = 192.0.2.1/32\nsmtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n"
                   "alias_maps =\nalias_database =\nbiff = no\n"
                   "smtpd_tls_cert_file = " + certs_ + "/leaf.pem\nsmtpd_tls_key_file = " + certs_ + "/leaf.key\n"
                   "smtpd_tls_security_level = may\nsmtpd_tls_loglevel = 1\n" + extra);
    write_file(dir_ / "conf" / "vmailbox", "alice@zp.test alice/\nbob@zp.test bob/\n");
    const std::string services =
        "pickup unix n - n 60 1 pickup\ncleanup unix n - n - 0 cleanup\nqmgr unix n - n 300 1 qmgr\n"
        "tlsmgr unix - - n 1000? 1 tlsmgr\nrewrite unix - - n - - trivial-rewrite\nbounce unix - - n - 0 bounce\n"
        "defer unix - - n - 0 bounce\ntrace unix - - n - 0 bounce\nverify unix - - n - 1 verify\n"
        "flush unix n - n 1000? 0 flush\nproxymap unix - - n - - proxymap\nsmtp unix - - n - - smtp\n"
        "relay unix - - n - - smtp\nshowq unix n - n - - showq\nerror unix - - n - - error\n"
        "retry unix - - n - - error\ndiscard unix - - n - - discard\nlocal unix - n n - - local\n"
        "virtual unix - n n - - virtual\nanvil unix - - n - 1 anvil\nscache unix - - n - 1 scache\n"
        "postlog unix-dgram n - n - 1 postlogd\n";
    write_file(dir_ / "conf" / "master.cf", "127.0.0.1:" + std::to_string(port_) + " inet n - n - - smtpd\n" +
                                                "127.0.0.1:" + std::to_string(tls_port_) +
                                                " inet n - n - - smtpd -o smtpd_tls_wrappermode=yes\n" + services);
    const int rc = postfix("start");
    ASSERT_EQ(rc, 0) << slurp(dir_ / "postfix.out") << slurp(dir_ / "maillog");
    started_ = true;
    for (int i = 0; i < 500 && !zp::test::port_open(port_); ++i) std::this_thread::sleep_for(10ms);
    ASSERT_TRUE(zp::test::port_open(port_)) << slurp(dir_ / "maillog");
  }
  int postfix(const std::string& verb) {
    return wait_exit(spawn({"/usr/sbin/postfix", "-c", (dir_ / "conf").string(), verb}, (dir_ / "postfix.out").string()),
                     30s);
  }
  void stop_postfix() {
    if (!started_) return;
    const std::string pid_text = slurp(dir_ / "queue" / "pid" / "master.pid");
    EXPECT_EQ(postfix("stop"), 0) << slurp(dir_ / "postfix.out");
    started_ = false;
    // postfix stop signals the master by its pid file; wait until that pid is gone.
    const pid_t master = pid_t(std::atol(pid_text.c_str()));
    for (int i = 0; master > 0 && i < 500 && kill(master, 0) == 0; ++i) std::this_thread::sleep_for(10ms);
    if (master > 0) {
      EXPECT_NE(kill(master, 0), 0) << "postfix master still running";
    }
  }
  // The messages in vmail/USER/new, waiting up to 10 s for `want` of them.
  std::vector<std::string> maildir(const std::string& user, std::size_t want) {
    std::vector<std::string> out;
    for (int i = 0; i < 1000; ++i) {
      out.clear();
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(dir_ / "vmail" / user / "new", ec)) out.push_back(slurp(e.path()));
      if (out.size() >= want) break;
      std::this_thread::sleep_for(10ms);
    }
    return out;
  }
  smtp::ClientOptions tls_options(smtp::TlsMode m) const {
    smtp::ClientOptions o = plain();
    o.tls = m;
    o.tls_config.ca_file = certs_ + "/ca.pem";
    o.tls_server_name = "localhost";
    return o;
  }
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }

  fs::path dir_;
  std::string certs_;
  std::uint16_t port_ = 0;
  std::uint16_t tls_port_ = 0;
  bool started_ = false;
};

TEST_F(PostfixInterop, DeliversIntoMaildirWithResultPerRecipient) {
  start_postfix("message_size_limit = 20000\n");
  auto r = with_client(addr(), plain(), [](smtp::Client& c) -> zp::Task<void> {
    EXPECT_TRUE(c.info().pipelining);
    EXPECT_EQ(c.info().max_size, 20000u);
    EXPECT_TRUE(c.info().starttls);
    const smtp::Envelope env9 = envelope("alice@zp.test", "nobody@zp.test", "bob@zp.test", "x@remote.example");

    auto s = co_await c.send(env9, kMessage);
    EXPECT_TRUE(s) << s.error().message();
    if (s) {
      EXPECT_EQ(s->accepted, 2u);
      EXPECT_EQ(s->recipients[1].reply.code, 550u) << s->recipients[1].reply.text;
      EXPECT_EQ(s->recipients[1].reply.enhanced, "5.1.1");
      EXPECT_EQ(s->recipients[3].reply.code, 554u) << s->recipients[3].reply.text;  // relay access denied
      EXPECT_TRUE(s->data.text.find("queued as") != std::string::npos) << s->data.text;
    }
    // Over SIZE: refused before sending; the session goes on.
    const std::string big = "Subject: big\r\n\r\n" + std::string(30000, 'x') + "\r\n";
    const smtp::Envelope env10 = envelope("alice@zp.test");

    auto b = co_await c.send(env10, big);
    EXPECT_EQ(b.error(), ClientErrc::message_too_large);
    const smtp::Envelope env11 = envelope("alice@zp.test");

    auto t = co_await c.send(env11, "Subject: second\r\n\r\nsecond\r\n");
    EXPECT_TRUE(t) << t.error().message();
    auto q = co_await c.quit();
    EXPECT_TRUE(q) << q.error().message();
  });
  ASSERT_TRUE(r) << r.error().message();
  const auto alice = maildir("alice", 2);
  ASSERT_EQ(alice.size(), 2u) << slurp(dir_ / "maillog");
  const std::string& first = alice[0].find("interop") != std::string::npos ? alice[0] : alice[1];
  // postfix stores LF line ends; the dot came through unstuffed, the bare LF as a line end.
  EXPECT_NE(first.find("Subject: interop\n"), std::string::npos) << first;
  EXPECT_NE(first.find("\n\nline one\n.dot line\nbare lf\nlast\n"), std::string::npos) << first;
  EXPECT_NE(first.find("Return-Path: <a@example.org>"), std::string::npos) << first;
  EXPECT_EQ(maildir("bob", 1).size(), 1u);
}

TEST_F(PostfixInterop, StarttlsAndImplicitTls) {
  start_postfix();
  auto r = with_client(addr(), tls_options(smtp::TlsMode::required), [](smtp::Client& c) -> zp::Task<void> {
    EXPECT_TRUE(c.info().tls);
    EXPECT_FALSE(c.info().tls_version.empty());
    const smtp::Envelope env12 = envelope("alice@zp.test");

    auto s = co_await c.send(env12, kMessage);
    EXPECT_TRUE(s) << s.error().message();
    (void)co_await c.quit();
  });
  ASSERT_TRUE(r) << r.error().message();
  r = with_client("127.0.0.1:" + std::to_string(tls_port_), tls_options(smtp::TlsMode::implicit),
                  [](smtp::Client& c) -> zp::Task<void> {
                    EXPECT_TRUE(c.info().tls);
                    EXPECT_FALSE(c.info().starttls);
                    const smtp::Envelope env13 = envelope("bob@zp.test");

                    auto s = co_await c.send(env13, kMessage);
                    EXPECT_TRUE(s) << s.error().message();
                    (void)co_await c.quit();
                  });
  ASSERT_TRUE(r) << r.error().message();
  // The certificate is checked: without our CA the handshake fails, nothing is sent.
  smtp::ClientOptions untrusted = tls_options(smtp::TlsMode::required);
  untrusted.tls_config.ca_file = certs_ + "/self.pem";
  r = with_client(addr(), untrusted, [](smtp::Client&) -> zp::Task<void> { co_return; });
  EXPECT_FALSE(r);
  EXPECT_EQ(maildir("alice", 1).size(), 1u);
  EXPECT_EQ(maildir("bob", 1).size(), 1u);
  const auto log = slurp(dir_ / "maillog");
  EXPECT_NE(log.find("TLS connection established"), std::string::npos) << log;
  // The CLI over STARTTLS.
  const int rc = wait_exit(spawn({ZPROTO_BIN, "mail", "send", "--server", addr(), "--starttls", "--cafile",
                                  certs_ + "/ca.pem", "--from", "a@example.org", "--to", "alice@zp.test", "--subject",
                                  "from the cli", "--body", "cli body", "--helo", "client.zp.test", "-v"},
                                 (dir_ / "cli.out").string()),
                           30s);
  EXPECT_EQ(rc, 0) << slurp(dir_ / "cli.out");  // the certificate names 127.0.0.1 too
  EXPECT_NE(slurp(dir_ / "cli.out").find("TLSv1."), std::string::npos) << slurp(dir_ / "cli.out");
  const auto alice = maildir("alice", 2);
  ASSERT_EQ(alice.size(), 2u);
  EXPECT_NE((alice[0] + alice[1]).find("cli body"), std::string::npos);
}

}  // namespace
