// swaks, Python's smtplib and Dovecot's doveadm against `zproto serve smtp` on loopback:
// plain, PIPELINING, 8-bit bodies and BODY=8BITMIME, SIZE refusal (552), STARTTLS (--tls) and
// implicit TLS (--tlsc) verified against the test CA, AUTH PLAIN and LOGIN over TLS against a
// password file written by mosquitto_passwd ($7$ and $6$), bad passwords (535), relaying
// refused without AUTH and queued with it, SMTPUTF8 (smtplib send_message), and doveadm
// reading the Maildir we wrote (sizes from ",S=" checked by Dovecot itself). Every peer is
// required: a missing one fails.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "../common/test_certs.h"
#include "../common/test_files.h"
#include "../common/test_net.h"
#include "../common/test_process.h"
#include "../unit/services/smtp_test_client.h"

namespace {

using namespace std::chrono_literals;
using zp::test::slurp;
using zp::test::smtp::body_of;
using zp::test::smtp::new_messages;
using zp::test::smtp::read_file;
using zp::test::which;
namespace fs = std::filesystem;

class SmtpInterop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { certs_ = zp::test::make_test_certs(); }
  static void TearDownTestSuite() {
    std::error_code ec;
    if (!certs_.empty()) fs::remove_all(certs_, ec);
  }
  void SetUp() override {
    ASSERT_FALSE(certs_.empty()) << "openssl could not make the test certificates";
    char tmpl[] = "/tmp/zp_smtp_interop.XXXXXX";
    dir_ = mkdtemp(tmpl);
    // The real mosquitto_passwd: PBKDF2 ($7$) for alice, salted SHA-512 ($6$) for bob.
    const std::string pw = (dir_ / "users.pw").string();
    ASSERT_EQ(run({bin("mosquitto_passwd"), "-c", "-b", pw, "alice", "s3cret"}, "passwd1"), 0) << out("passwd1");
    ASSERT_EQ(run({bin("mosquitto_passwd"), "-H", "sha512", "-b", pw, "bob", "hunter 2"}, "passwd2"), 0)
        << out("passwd2");
    start_zproto();
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      EXPECT_EQ(zp::test::wait_exit(pid_, 10s), 0) << slurp(dir_ / "zproto.log");
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void start_zproto() {
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
      port_ = zp::test::free_port();
      tls_port_ = zp::test::free_port();
      pid_ = zp::test::spawn_listening(
          {ZPROTO_BIN, "serve", "smtp", "--listen", "127.0.0.1:" + std::to_string(port_), "--tls-listen",
           "127.0.0.1:" + std::to_string(tls_port_), "--tls-cert", certs_ + "/leaf.pem", "--tls-key",
           certs_ + "/leaf.key", "--domain", "local.test", "--hostname", "mx.local.test", "--maildir",
           maildir().string(), "--password-file", (dir_ / "users.pw").string(), "--relay-queue",
           relay().string(), "--max-message-bytes", "65536", "--shards", "1"},
          (dir_ / "zproto.log").string(), port_);
    }
    ASSERT_GT(pid_, 0) << slurp(dir_ / "zproto.log");
  }
  std::string bin(const std::string& prog) {
    std::string b = which(prog);
    if (b.empty()) ADD_FAILURE() << prog << " is not installed (tools/zp installs it)";
    return b;
  }
  int run(std::vector<std::string> args, const std::string& name) {
    const pid_t pid = zp::test::spawn(args, (dir_ / (name + ".out")).string());
    return zp::test::wait_exit(pid, 30s);
  }
  std::string out(const std::string& name) { return slurp(dir_ / (name + ".out")); }
  void write_body(const std::string& text) { zp::test::write_file(dir_ / "body.txt", text); }
  // swaks to our plain port from s@remote.example, with `extra` options; its exit code.
  int swaks(const std::string& name, std::vector<std::string> extra) {
    std::vector<std::string> a{bin("swaks"), "--server", "127.0.0.1", "--port", std::to_string(port_), "--from",
                               "s@remote.example", "--ehlo", "client.example"};
    a.insert(a.end(), extra.begin(), extra.end());
    return run(a, name);
  }
  std::vector<std::string> tls_verify() const { return {"--tls-verify", "--tls-ca-path", certs_ + "/ca.pem"}; }
  // Runs a Python 3 program (python3 -c); its exit code.
  int python(const std::string& name, const std::string& program) { return run({bin("python3"), "-c", program}, name); }
  fs::path maildir() const { return dir_ / "mail"; }
  fs::path relay() const { return dir_ / "relay"; }
  // The one message in new/ (a failure when there is not exactly one).
  std::string only_message(const fs::path& md) {
    const auto msgs = new_messages(md);
    EXPECT_EQ(msgs.size(), 1u);
    return msgs.size() == 1 ? read_file(msgs[0]) : std::string();
  }

  static std::string certs_;
  fs::path dir_;
  uint16_t port_ = 0, tls_port_ = 0;
  pid_t pid_ = -1;
};

std::string SmtpInterop::certs_;

TEST_F(SmtpInterop, SwaksPlainWith8BitBody) {
  ASSERT_EQ(swaks("plain", {"--to", "alice@local.test", "--header", "Subject: plain", "--body", "caf\xc3\xa9 au lait"}),
            0)
      << out("plain");
  EXPECT_NE(out("plain").find("<-  250-8BITMIME"), std::string::npos) << out("plain");
  const std::string m = only_message(maildir());
  EXPECT_TRUE(m.starts_with("Return-Path: <s@remote.example>\r\nReceived: from client.example ([127.0.0.1])\r\n"
                            "\tby mx.local.test (zproto) with ESMTP\r\n\tfor <alice@local.test>; "))
      << m;
  EXPECT_NE(m.find("\r\nSubject: plain\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("\r\n\r\ncaf\xc3\xa9 au lait\r\n"), std::string::npos) << "8-bit bytes unchanged\n" << m;
}

TEST_F(SmtpInterop, SwaksPipelining) {
  ASSERT_EQ(swaks("pipe", {"--pipeline", "--to", "alice@local.test,bob@local.test", "--body", "pipelined"}), 0)
      << out("pipe");
  // swaks sent the whole envelope before reading a reply (that is what it prints).
  EXPECT_NE(out("pipe").find(" -> MAIL FROM:<s@remote.example>\n -> RCPT TO:<alice@local.test>\n"
                             " -> RCPT TO:<bob@local.test>\n -> DATA\n<-  250 2.1.0 Ok\n"),
            std::string::npos)
      << out("pipe");
  const std::string m = only_message(maildir());  // one catch-all Maildir: one copy
  EXPECT_NE(m.find("pipelined"), std::string::npos);
}

TEST_F(SmtpInterop, SwaksSizeRefused552) {
  std::string big(70000, 'x');
  for (std::size_t i = 100; i < big.size(); i += 100) big[i] = '\n';
  write_body(big);
  EXPECT_EQ(swaks("big", {"--to", "alice@local.test", "--body", (dir_ / "body.txt").string()}), 26) << out("big");
  EXPECT_NE(out("big").find("<** 552 5.3.4"), std::string::npos) << out("big");
  EXPECT_TRUE(new_messages(maildir()).empty());
  EXPECT_TRUE(fs::is_empty(maildir() / "tmp"));
}

TEST_F(SmtpInterop, SwaksStarttlsAndImplicitTls) {
  std::vector<std::string> a{"--tls", "--to", "alice@local.test", "--header", "Subject: starttls"};
  for (auto& v : tls_verify()) a.push_back(v);
  ASSERT_EQ(swaks("starttls", a), 0) << out("starttls");
  EXPECT_NE(out("starttls").find("=== TLS started with cipher TLSv1.3"), std::string::npos) << out("starttls");
  // The EHLO after TLS does not offer STARTTLS again, and now offers AUTH.
  const std::string t = out("starttls");
  const std::size_t after = t.find("=== TLS started");
  ASSERT_NE(after, std::string::npos);
  const std::size_t ehlo2 = t.find("~> EHLO", after);
  ASSERT_NE(ehlo2, std::string::npos) << t;
  EXPECT_EQ(t.find("STARTTLS", ehlo2), std::string::npos) << t;
  EXPECT_NE(t.find("250-AUTH PLAIN LOGIN", after), std::string::npos) << t;
  EXPECT_EQ(t.rfind("AUTH PLAIN LOGIN", after), std::string::npos) << "AUTH offered before TLS\n" << t;
  const std::string m = only_message(maildir());
  EXPECT_NE(m.find("with ESMTPS\r\n"), std::string::npos) << m;

  std::vector<std::string> args{bin("swaks"), "--server", "127.0.0.1", "--port", std::to_string(tls_port_), "--tlsc",
                                "--from", "s@remote.example", "--ehlo", "client.example", "--to", "bob@local.test",
                                "--header", "Subject: implicit"};
  for (auto& v : tls_verify()) args.push_back(v);
  ASSERT_EQ(run(args, "tlsc"), 0) << out("tlsc");
  EXPECT_NE(out("tlsc").find("=== TLS started"), std::string::npos) << out("tlsc");
  EXPECT_EQ(new_messages(maildir()).size(), 2u);
}

TEST_F(SmtpInterop, SwaksAuthPlainAndLoginOverTls) {
  std::vector<std::string> a{"--tls", "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "s3cret", "--to",
                             "alice@local.test"};
  for (auto& v : tls_verify()) a.push_back(v);
  ASSERT_EQ(swaks("plain", a), 0) << out("plain");
  EXPECT_NE(out("plain").find("<~  235 2.7.0 Authentication successful"), std::string::npos) << out("plain");
  // bob's entry is $6$ (salted SHA-512); LOGIN, over implicit TLS.
  std::vector<std::string> b{bin("swaks"), "--server", "127.0.0.1", "--port", std::to_string(tls_port_), "--tlsc",
                             "--from", "bob@local.test", "--ehlo", "client.example", "--auth", "LOGIN",
                             "--auth-user", "bob", "--auth-password", "hunter 2", "--to", "alice@local.test"};
  for (auto& v : tls_verify()) b.push_back(v);
  ASSERT_EQ(run(b, "login"), 0) << out("login");
  EXPECT_NE(out("login").find("<~  334 VXNlcm5hbWU6"), std::string::npos) << out("login");
  EXPECT_NE(out("login").find("<~  235 2.7.0"), std::string::npos) << out("login");
  const auto msgs = new_messages(maildir());
  ASSERT_EQ(msgs.size(), 2u);
  for (const auto& p : msgs) EXPECT_NE(read_file(p).find("with ESMTPSA\r\n"), std::string::npos) << p;
  // A wrong password: 535 5.7.8, swaks stops (28), nothing delivered.
  std::vector<std::string> c{"--tls", "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "wrong", "--to",
                             "alice@local.test"};
  for (auto& v : tls_verify()) c.push_back(v);
  EXPECT_EQ(swaks("wrong", c), 28) << out("wrong");
  EXPECT_NE(out("wrong").find("<~* 535 5.7.8"), std::string::npos) << out("wrong");
  // Without TLS, AUTH is not offered: swaks refuses to go on (28).
  EXPECT_EQ(swaks("cleartext", {"--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "s3cret", "--to",
                                "alice@local.test"}),
            28)
      << out("cleartext");
  EXPECT_EQ(out("cleartext").find("AUTH PLAIN"), std::string::npos) << out("cleartext");
  EXPECT_EQ(new_messages(maildir()).size(), 2u);
}

TEST_F(SmtpInterop, RelayRefusedWithoutAuthQueuedWithIt) {
  EXPECT_EQ(swaks("open", {"--to", "someone@remote.example"}), 24) << out("open");
  EXPECT_NE(out("open").find("<** 554 5.7.1 <someone@remote.example>: Relay access denied"), std::string::npos)
      << out("open");
  // Over TLS but without AUTH, from loopback: still no relay.
  std::vector<std::string> a{"--tls", "--to", "someone@remote.example"};
  for (auto& v : tls_verify()) a.push_back(v);
  EXPECT_EQ(swaks("tls-noauth", a), 24) << out("tls-noauth");
  EXPECT_TRUE(new_messages(relay()).empty());
  std::vector<std::string> b{"--tls", "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "s3cret",
                             "--to", "someone@remote.example", "--header", "Subject: relayed"};
  for (auto& v : tls_verify()) b.push_back(v);
  ASSERT_EQ(swaks("relay", b), 0) << out("relay");
  const std::string q = only_message(relay());
  EXPECT_TRUE(q.starts_with("X-Envelope-From: <s@remote.example>\r\nX-Envelope-To: <someone@remote.example>\r\n"))
      << q;
  EXPECT_NE(q.find("Subject: relayed\r\n"), std::string::npos);
  EXPECT_TRUE(new_messages(maildir()).empty());
}

TEST_F(SmtpInterop, PythonSmtplibSmtputf8And8bitmime) {
  const std::string prog =
      "import smtplib, ssl, sys\n"
      "from email.message import EmailMessage\n"
      "m = EmailMessage()\n"
      "m['From'] = 'J\\u00f6rg <j\\u00f6rg@remote.example>'\n"
      "m['To'] = '\\u00fcser@local.test'\n"
      "m['Subject'] = 'gr\\u00fc\\u00dfe'\n"
      "m.set_content('Stra\\u00dfe \\u2014 utf-8 body\\n')\n"
      "s = smtplib.SMTP('127.0.0.1', " + std::to_string(port_) + ", local_hostname='py.example')\n"
      "s.ehlo()\n"
      "assert s.has_extn('smtputf8') and s.has_extn('8bitmime'), s.esmtp_features\n"
      "ctx = ssl.create_default_context(cafile='" + certs_ + "/ca.pem')\n"
      "s.starttls(context=ctx)\n"
      "s.ehlo()\n"
      "assert s.has_extn('auth'), s.esmtp_features\n"
      "s.login('alice', 's3cret')\n"
      "refused = s.send_message(m)\n"  // non-ASCII addresses: smtplib adds SMTPUTF8 and BODY=8BITMIME
      "assert refused == {}, refused\n"
      "s.quit()\n";
  ASSERT_EQ(python("py", prog), 0) << out("py");
  const std::string m = only_message(maildir());
  EXPECT_TRUE(m.starts_with("Return-Path: <j\xc3\xb6rg@remote.example>\r\n")) << m;
  EXPECT_NE(m.find("with UTF8SMTPSA\r\n\tfor <\xc3\xbcser@local.test>;"), std::string::npos) << m;
  EXPECT_NE(m.find("Subject: gr\xc3\xbc\xc3\x9f" "e\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("Stra\xc3\x9f" "e \xe2\x80\x94 utf-8 body\r\n"), std::string::npos) << m;
}

TEST_F(SmtpInterop, DoveadmReadsTheMaildir) {
  ASSERT_EQ(swaks("one", {"--to", "alice@local.test", "--header", "Subject: first", "--body", "one"}), 0) << out("one");
  ASSERT_EQ(swaks("two", {"--to", "bob@local.test", "--header", "Subject: second", "--body", "caf\xc3\xa9"}), 0)
      << out("two");
  const auto msgs = new_messages(maildir());
  ASSERT_EQ(msgs.size(), 2u);
  std::vector<std::size_t> sizes;
  for (const auto& p : msgs) sizes.push_back(fs::file_size(p));
  // Dovecot will not read mail as root: a private config, the Maildir handed to nobody.
  const std::string conf = (dir_ / "dovecot.conf").string();
  zp::test::write_file(conf, "mail_location = maildir:" + maildir().string() +
                                 "\nssl = no\nlog_path = /dev/stderr\nmail_uid = nobody\nmail_gid = nogroup\n");
  ASSERT_EQ(run({"/bin/chown", "-R", "nobody:nogroup", maildir().string()}, "chown"), 0) << out("chown");
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);  // mkdtemp: 0700
  const std::vector<std::string> env{"/usr/bin/env", "USER=nobody", "HOME=" + dir_.string()};
  auto doveadm = [&](std::vector<std::string> args, const std::string& name) {
    std::vector<std::string> a = env;
    a.push_back(bin("doveadm"));
    a.push_back("-c");
    a.push_back(conf);
    a.insert(a.end(), args.begin(), args.end());
    return run(a, name);
  };
  ASSERT_EQ(doveadm({"search", "all"}, "search"), 0) << out("search");
  const std::string found = out("search");
  EXPECT_EQ(std::count(found.begin(), found.end(), '\n'), 2) << found;
  ASSERT_EQ(doveadm({"fetch", "hdr.subject size.physical body", "all"}, "fetch"), 0) << out("fetch");
  const std::string f = out("fetch");
  EXPECT_EQ(f.find("Error"), std::string::npos) << f;
  EXPECT_NE(f.find("hdr.subject: first"), std::string::npos) << f;
  EXPECT_NE(f.find("hdr.subject: second"), std::string::npos) << f;
  for (std::size_t s : sizes) EXPECT_NE(f.find("size.physical: " + std::to_string(s)), std::string::npos) << s << "\n" << f;
  EXPECT_NE(f.find("caf\xc3\xa9"), std::string::npos) << f;
  ASSERT_EQ(doveadm({"search", "mailbox", "INBOX", "subject", "second"}, "subject"), 0) << out("subject");
  const std::string one = out("subject");
  EXPECT_EQ(std::count(one.begin(), one.end(), '\n'), 1) << one;
}

}  // namespace

namespace {

// `zproto serve smtp` with flags that cannot work: exit 2 and a message saying why, before
// anything listens; a bad password file names file:line.
TEST(SmtpServeFlags, BadAuthFlagsAndPasswordFileExitTwo) {
  char tmpl[] = "/tmp/zp_smtp_flags.XXXXXX";
  const fs::path dir = mkdtemp(tmpl);
  const std::string md = (dir / "mail").string();
  auto serve = [&](std::vector<std::string> extra, const std::string& name) {
    std::vector<std::string> a{ZPROTO_BIN, "serve", "smtp", "--listen", "127.0.0.1:1", "--domain", "local.test",
                               "--maildir", md};
    a.insert(a.end(), extra.begin(), extra.end());
    const pid_t pid = zp::test::spawn(a, (dir / name).string());
    return zp::test::wait_exit(pid, 10s);
  };
  EXPECT_EQ(serve({"--password-file", (dir / "pw").string()}, "notls"), 2);
  EXPECT_NE(slurp(dir / "notls").find("--password-file needs --tls-cert/--tls-key"), std::string::npos)
      << slurp(dir / "notls");
  EXPECT_EQ(serve({"--auth-plaintext"}, "nopw"), 2);
  EXPECT_NE(slurp(dir / "nopw").find("--auth-plaintext needs --password-file"), std::string::npos) << slurp(dir / "nopw");
  zp::test::write_file(dir / "pw", "alice:$7$101$c2FsdA==$aGFzaA==\n# fine so far\nbob:hunter2\n");
  EXPECT_EQ(serve({"--password-file", (dir / "pw").string(), "--auth-plaintext"}, "badpw"), 2);
  const std::string err = slurp(dir / "badpw");
  EXPECT_NE(err.find((dir / "pw").string() + ":1: bad base64 hash"), std::string::npos) << err;
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
