// The SMTP server on every backend (tests/common/service_fixture.h), over real sockets: the
// greeting and EHLO, the command order (503), each refusal code of RFC 5321 and the brief
// (500 5.5.2, 501 5.5.4, 500 5.5.6, 452 4.5.3, 552 5.3.4, 550 5.1.1, 554 5.7.1, 421),
// pipelining, BDAT, timeouts, and the SMTP-smuggling payloads, which never end the data.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <thread>

#include "../../common/service_fixture.h"
#include "engine_test_util.h"
#include "smtp_test_client.h"
#include "zp/smtp/server.h"

namespace zp {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;
using test::smtp::Client;
using test::smtp::new_messages;
using test::smtp::read_file;
using test::smtp::body_of;

class SmtpServerTest : public test::ServiceFixture {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_smtp_test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    opts_.listen.clear();
    opts_.hostname = "mx.local.test";
    opts_.policy.domains = {"local.test", "other.local"};
    opts_.policy.mailboxes = {{"@local.test", (dir_ / "all").string()},
                              {"bob@other.local", (dir_ / "bob").string()}};
    opts_.delivery_threads = 2;
  }
  void TearDown() override {
    stop_service();
    server_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  // The server on the fixture's port (created per attempt: the port is known only then).
  void start() {
    start_service([this](Shard& shard, uint16_t port) {
      auto o = opts_;
      o.listen = {"127.0.0.1:" + std::to_string(port)};
      auto s = smtp::Server::create(o);
      if (!s) return false;
      server_ = *s;
      return bool(server_->start(shard));
    });
  }
  // Connected, greeted, EHLO done.
  std::unique_ptr<Client> session() {
    auto c = std::make_unique<Client>(port_);
    EXPECT_TRUE(c->ok());
    EXPECT_EQ(c->code(), 220);
    EXPECT_EQ(c->cmd("EHLO client.example"), 250);
    return c;
  }
  fs::path all() const { return dir_ / "all"; }

  fs::path dir_;
  smtp::ServerOptions opts_;
  std::shared_ptr<smtp::Server> server_;
};

TEST_P(SmtpServerTest, GreetingAndEhlo) {
  start();
  Client c(port_);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.reply(), "220 mx.local.test ESMTP zproto\r\n");
  c.send("EHLO client.example\r\n");
  const std::string r = c.reply();
  EXPECT_TRUE(r.starts_with("250-mx.local.test greets client.example\r\n")) << r;
  for (const char* ext : {"PIPELINING", "SIZE 10485760", "8BITMIME", "ENHANCEDSTATUSCODES", "SMTPUTF8", "CHUNKING"})
    EXPECT_NE(r.find(std::string("250-") + ext + "\r\n"), std::string::npos) << ext << "\n" << r;
  EXPECT_EQ(r.find("STARTTLS"), std::string::npos) << "no certificate: no STARTTLS";
  EXPECT_EQ(r.find("AUTH"), std::string::npos);
  EXPECT_TRUE(r.ends_with("250 HELP\r\n")) << r;
  EXPECT_EQ(c.cmd("HELO client.example"), 250);
  EXPECT_EQ(c.cmd("NOOP"), 250);
  EXPECT_EQ(c.cmd("VRFY alice"), 252);
  EXPECT_EQ(c.cmd("HELP"), 214);
  EXPECT_EQ(c.cmd("EXPN list"), 502);
  EXPECT_EQ(c.cmd("RSET"), 250);
  EXPECT_EQ(c.cmd("QUIT"), 221);
  EXPECT_EQ(c.last(), "221 2.0.0 Bye\r\n");
  EXPECT_TRUE(c.closed());
}

TEST_P(SmtpServerTest, DeliversIntoMaildirWithTraceHeaders) {
  start();
  auto c = session();
  EXPECT_EQ(c->cmd("MAIL FROM:<sender@remote.example> SIZE=100 BODY=8BITMIME"), 250);
  EXPECT_EQ(c->last(), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(c->cmd("RCPT TO:<Alice@Local.Test>"), 250);
  EXPECT_EQ(c->last(), "250 2.1.5 Ok\r\n");
  EXPECT_EQ(c->cmd("DATA"), 354);
  // Dot-stuffed lines come out unstuffed; 8-bit bytes pass.
  c->send("Subject: hi\r\n\r\n..leading dot\r\ncaf\xc3\xa9\r\n.\r\n");
  EXPECT_EQ(c->code(), 250);
  EXPECT_EQ(c->last(), "250 2.0.0 Ok: delivered\r\n");
  const auto msgs = new_messages(all());
  ASSERT_EQ(msgs.size(), 1u);
  const std::string m = read_file(msgs[0]);
  EXPECT_TRUE(m.starts_with("Return-Path: <sender@remote.example>\r\nReceived: from client.example ([127.0.0.1])\r\n"
                            "\tby mx.local.test (zproto) with ESMTP\r\n\tfor <Alice@Local.Test>; "))
      << m;
  EXPECT_EQ(body_of(m), "Subject: hi\r\n\r\n.leading dot\r\ncaf\xc3\xa9\r\n");
  EXPECT_NE(msgs[0].filename().string().find(",S=" + std::to_string(m.size())), std::string::npos) << msgs[0];
  EXPECT_TRUE(fs::is_empty(all() / "tmp"));
  // The next transaction on the same session.
  EXPECT_EQ(c->cmd("MAIL FROM:<>"), 250);
  EXPECT_EQ(c->cmd("RCPT TO:<Postmaster>"), 250);
  EXPECT_EQ(c->cmd("DATA"), 354);
  c->send("x\r\n.\r\n");
  EXPECT_EQ(c->code(), 250);
  EXPECT_EQ(new_messages(all()).size(), 2u);
  EXPECT_EQ(server_->counters().messages_accepted.load(), 2u);
}

TEST_P(SmtpServerTest, OneCopyPerMailboxHardLinked) {
  start();
  auto c = session();
  EXPECT_EQ(c->cmd("MAIL FROM:<s@remote.example>"), 250);
  EXPECT_EQ(c->cmd("RCPT TO:<a@local.test>"), 250);
  EXPECT_EQ(c->cmd("RCPT TO:<b@local.test>"), 250);  // same catch-all: one copy
  EXPECT_EQ(c->cmd("RCPT TO:<bob@other.local>"), 250);
  EXPECT_EQ(c->cmd("DATA"), 354);
  c->send("two boxes\r\n.\r\n");
  EXPECT_EQ(c->code(), 250);
  const auto a = new_messages(all());
  const auto b = new_messages(dir_ / "bob");
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  struct stat sa {}, sb {};
  ASSERT_EQ(::stat(a[0].c_str(), &sa), 0);
  ASSERT_EQ(::stat(b[0].c_str(), &sb), 0);
  EXPECT_EQ(sa.st_ino, sb.st_ino);
  EXPECT_EQ(read_file(a[0]).find("\tfor <"), std::string::npos) << "no 'for' with several recipients";
}

TEST_P(SmtpServerTest, CommandOrder503) {
  start();
  Client c(port_);
  ASSERT_EQ(c.code(), 220);
  EXPECT_EQ(c.cmd("MAIL FROM:<a@b.example>"), 503);
  EXPECT_EQ(c.last(), "503 5.5.1 Error: send HELO/EHLO first\r\n");
  EXPECT_EQ(c.cmd("EHLO x.example"), 250);
  EXPECT_EQ(c.cmd("RCPT TO:<a@local.test>"), 503);
  EXPECT_EQ(c.cmd("DATA"), 503);
  EXPECT_EQ(c.cmd("MAIL FROM:<a@b.example>"), 250);
  EXPECT_EQ(c.cmd("MAIL FROM:<a@b.example>"), 503);
  EXPECT_EQ(c.cmd("DATA"), 554);
  EXPECT_EQ(c.last(), "554 5.5.1 Error: no valid recipients\r\n");
  EXPECT_EQ(c.cmd("RSET"), 250);
  EXPECT_EQ(c.cmd("RCPT TO:<a@local.test>"), 503);
}

TEST_P(SmtpServerTest, ParseErrorCodes) {
  start();
  auto c = session();
  EXPECT_EQ(c->cmd("FROB"), 500);
  EXPECT_EQ(c->last(), "500 5.5.2 Error: command not recognized\r\n");
  EXPECT_EQ(c->cmd("HELO"), 501);
  EXPECT_EQ(c->last(), "501 5.5.4 Syntax error in parameters or arguments\r\n");
  EXPECT_EQ(c->cmd("MAIL FROM:<a@b.example> FROB=1"), 555);
  EXPECT_EQ(c->cmd("MAIL FROM:<a@b.example> RET=FULL"), 555) << "DSN is not offered";
  // A command line over 512 octets: 500 5.5.6, skipped, the session goes on.
  EXPECT_EQ(c->cmd("NOOP " + std::string(600, 'x')), 500);
  EXPECT_EQ(c->last(), "500 5.5.6 Error: line too long\r\n");
  EXPECT_EQ(c->cmd("NOOP"), 250);
  // A bare LF in a command line: 500 and the session ends.
  c->send("NOOP\nNOOP\r\n");
  EXPECT_EQ(c->code(), 500);
  EXPECT_TRUE(c->closed());
}

TEST_P(SmtpServerTest, TooManyErrorsCloses421) {
  opts_.limits.max_errors = 3;
  start();
  auto c = session();
  EXPECT_EQ(c->cmd("FROB"), 500);
  EXPECT_EQ(c->cmd("FROB"), 500);
  c->send("FROB\r\n");
  EXPECT_EQ(c->rest(), "500 5.5.2 Error: command not recognized\r\n421 4.7.0 mx.local.test Error: too many errors\r\n");
  EXPECT_GE(server_->counters().refusals[421 - 400].load(), 1u);
}

TEST_P(SmtpServerTest, TooManyRecipients452) {
  opts_.limits.max_recipients = 2;
  start();
  auto c = session();
  EXPECT_EQ(c->cmd("MAIL FROM:<a@b.example>"), 250);
  EXPECT_EQ(c->cmd("RCPT TO:<x@local.test>"), 250);
  EXPECT_EQ(c->cmd("RCPT TO:<y@local.test>"), 250);
  EXPECT_EQ(c->cmd("RCPT TO:<z@local.test>"), 452);
  EXPECT_EQ(c->last(), "452 4.5.3 Error: too many recipients\r\n");
  EXPECT_EQ(c->cmd("DATA"), 354);
  c->send("ok\r\n.\r\n");
  EXPECT_EQ(c->code(), 250);
}

TEST_P(SmtpServerTest, MessageSize552) {
  opts_.limits.max_message_bytes = 2048;
  start();
  auto c = session();
  EXPECT_EQ(c->cmd("MAIL FROM:<a@b.example> SIZE=4096"), 552);
  EXPECT_EQ(c->last(), "552 5.3.4 Message size exceeds fixed limit\r\n");
  EXPECT_EQ(c->cmd("MAIL FROM:<a@b.example>"), 250);
  EXPECT_EQ(c->cmd("RCPT TO:<x@local.test>"), 250);
  EXPECT_EQ(c->cmd("DATA"), 354);
  std::string big;
  for (int i = 0; i < 60; ++i) big += std::string(70, 'a') + "\r\n";
  c->send(big + ".\r\n");
  EXPECT_EQ(c->code(), 552);
  EXPECT_EQ(c->last(), "552 5.3.4 Error: message too large\r\n");
  EXPECT_TRUE(new_messages(all()).empty());
  EXPECT_EQ(c->cmd("NOOP"), 250) << "in step after the refused data";
}

TEST_P(SmtpServerTest, RelayDeniedAndUnknownUser) {
  start();
  auto c = session();
  EXPECT_EQ(c->cmd("MAIL FROM:<a@b.example>"), 250);
  // Loopback is no relay by default.
  EXPECT_EQ(c->cmd("RCPT TO:<victim@elsewhere.example>"), 554);
  EXPECT_EQ(c->last(), "554 5.7.1 <victim@elsewhere.example>: Relay access denied\r\n");
  EXPECT_EQ(c->cmd("RCPT TO:<nobody@other.local>"), 550);
  EXPECT_EQ(c->last(), "550 5.1.1 <nobody@other.local>: Recipient address rejected: User unknown\r\n");
  EXPECT_EQ(c->cmd("RCPT TO:<BOB@other.local>"), 250);
  EXPECT_EQ(server_->counters().relay_denied.load(), 1u);
  const std::string metrics = server_->counters().render();
  EXPECT_NE(metrics.find("zproto_smtp_relay_denied_total 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("zproto_smtp_refusals_total{code=\"554\"} 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("zproto_smtp_refusals_total{code=\"550\"} 1\n"), std::string::npos) << metrics;
}

TEST_P(SmtpServerTest, RelayNetworkMayRelayButThereIsNoRelayQueue) {
  opts_.policy.relay_networks = {*smtp::Network::parse("127.0.0.0/8")};
  start();
  auto c = session();
  EXPECT_EQ(c->cmd("MAIL FROM:<a@b.example>"), 250);
  EXPECT_EQ(c->cmd("RCPT TO:<x@elsewhere.example>"), 554);
  EXPECT_EQ(c->last(), "554 5.7.1 <x@elsewhere.example>: Relaying not available (no relay queue)\r\n");
  EXPECT_EQ(server_->counters().relay_denied.load(), 0u);
}

TEST_P(SmtpServerTest, PipelinedTransactionsInOneWrite) {
  start();
  Client c(port_);
  ASSERT_EQ(c.code(), 220);
  c.send("EHLO p.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@local.test>\r\nRCPT TO:<no@elsewhere.example>\r\nDATA\r\n");
  EXPECT_EQ(c.code(), 250);
  EXPECT_EQ(c.code(), 250);
  EXPECT_EQ(c.code(), 250);
  EXPECT_EQ(c.code(), 554);
  EXPECT_EQ(c.code(), 354);
  // The data, its end and the next transaction in one write (RFC 2920).
  c.send("one\r\n.\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<y@local.test>\r\nDATA\r\n");
  EXPECT_EQ(c.code(), 250);
  EXPECT_EQ(c.code(), 250);
  EXPECT_EQ(c.code(), 250);
  EXPECT_EQ(c.code(), 354);
  c.send("two\r\n.\r\nQUIT\r\n");
  EXPECT_EQ(c.code(), 250);
  EXPECT_EQ(c.code(), 221);
  const auto msgs = new_messages(all());
  ASSERT_EQ(msgs.size(), 2u);
}

// The SMTP-smuggling payloads (SEC Consult 2023): none of them ends the data; each bare CR or
// LF is refused and the session ends, so the "second message" is never delivered.
TEST_P(SmtpServerTest, SmugglingPayloadsNeverEndTheData) {
  start();
  const std::string smuggled =
      "MAIL FROM:<admin@local.test>\r\nRCPT TO:<victim@local.test>\r\nDATA\r\nFrom: admin\r\n\r\nspoofed\r\n.\r\n";
  for (const std::string& p : {"\n.\n"s, "\r.\r"s, "\n.\r\n"s, "\r\n.\n"s, "\r.\r\n"s, "\r\n.\r"s, "\n."s, "\r\n\0.\r\n"s}) {
    auto c = session();
    EXPECT_EQ(c->cmd("MAIL FROM:<a@b.example>"), 250);
    EXPECT_EQ(c->cmd("RCPT TO:<x@local.test>"), 250);
    EXPECT_EQ(c->cmd("DATA"), 354);
    c->send("Subject: first\r\n\r\nfirst" + p + smuggled);
    const std::string r = c->rest();
    EXPECT_EQ(r.find("250"), std::string::npos) << "payload " << testing::PrintToString(p) << ": " << r;
    EXPECT_TRUE(r.starts_with("500 ")) << testing::PrintToString(p) << ": " << r;
    EXPECT_TRUE(new_messages(all()).empty()) << testing::PrintToString(p);
  }
  {  // NUL inside the data
    auto c = session();
    EXPECT_EQ(c->cmd("MAIL FROM:<a@b.example>"), 250);
    EXPECT_EQ(c->cmd("RCPT TO:<x@local.test>"), 250);
    EXPECT_EQ(c->cmd("DATA"), 354);
    c->send(std::string("a\0b\r\n.\r\n", 8));
    EXPECT_EQ(c->rest().find("250"), std::string::npos);
  }
  EXPECT_TRUE(new_messages(all()).empty());
}

TEST_P(SmtpServerTest, Bdat) {
  start();
  auto c = session();
  // BDAT without a transaction: the chunk is read (and dropped) to stay in step.
  c->send("BDAT 6\r\nNOOP\r\n");
  EXPECT_EQ(c->code(), 503);
  EXPECT_EQ(c->cmd("NOOP"), 250);
  EXPECT_EQ(c->cmd("MAIL FROM:<a@b.example>"), 250);
  EXPECT_EQ(c->cmd("RCPT TO:<x@local.test>"), 250);
  // Chunks carry bytes as they are: a bare LF and a lone dot line are data here.
  c->send("BDAT 8\r\nhello\n.\n");
  EXPECT_EQ(c->code(), 250);
  EXPECT_EQ(c->last(), "250 2.0.0 Ok: 8 octets received\r\n");
  EXPECT_EQ(c->cmd("DATA"), 503) << "no DATA after BDAT";
  c->send("BDAT 8 LAST\r\n world\r\n");
  EXPECT_EQ(c->code(), 250);
  EXPECT_EQ(c->last(), "250 2.0.0 Ok: delivered\r\n");
  const auto msgs = new_messages(all());
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(body_of(read_file(msgs[0])), "hello\n.\n world\r\n");
  // BDAT 0 LAST ends an empty-chunk message too.
  EXPECT_EQ(c->cmd("MAIL FROM:<a@b.example>"), 250);
  EXPECT_EQ(c->cmd("RCPT TO:<x@local.test>"), 250);
  c->send("BDAT 3\r\nabcBDAT 0 LAST\r\n");
  EXPECT_EQ(c->code(), 250);
  EXPECT_EQ(c->code(), 250);
  EXPECT_EQ(new_messages(all()).size(), 2u);
}

TEST_P(SmtpServerTest, BdatOverSize552) {
  opts_.limits.max_message_bytes = 1024;
  start();
  auto c = session();
  EXPECT_EQ(c->cmd("MAIL FROM:<a@b.example>"), 250);
  EXPECT_EQ(c->cmd("RCPT TO:<x@local.test>"), 250);
  c->send("BDAT 2000 LAST\r\n" + std::string(2000, 'z'));
  EXPECT_EQ(c->code(), 552);
  EXPECT_EQ(c->cmd("NOOP"), 250);
  EXPECT_TRUE(new_messages(all()).empty());
}

TEST_P(SmtpServerTest, CommandTimeout421) {
  opts_.limits.command_timeout_ms = 300;
  start();
  auto c = session();
  EXPECT_EQ(c->rest(), "421 4.4.2 mx.local.test Error: timeout exceeded\r\n");
  EXPECT_EQ(server_->counters().timeouts.load(), 1u);
}

TEST_P(SmtpServerTest, DataTimeout421AndNothingDelivered) {
  opts_.limits.data_timeout_ms = 300;
  start();
  auto c = session();
  EXPECT_EQ(c->cmd("MAIL FROM:<a@b.example>"), 250);
  EXPECT_EQ(c->cmd("RCPT TO:<x@local.test>"), 250);
  EXPECT_EQ(c->cmd("DATA"), 354);
  c->send("half a message\r\n");
  EXPECT_EQ(c->rest(), "421 4.4.2 mx.local.test Error: timeout exceeded\r\n");
  EXPECT_TRUE(new_messages(all()).empty());
  EXPECT_TRUE(fs::is_empty(all() / "tmp"));
}

TEST_P(SmtpServerTest, StarttlsNotOfferedWithoutCertificate) {
  start();
  auto c = session();
  EXPECT_EQ(c->cmd("STARTTLS"), 502);
  EXPECT_EQ(c->cmd("AUTH PLAIN"), 502);
}

TEST_P(SmtpServerTest, DisconnectMidDataLeavesNothing) {
  start();
  {
    auto c = session();
    EXPECT_EQ(c->cmd("MAIL FROM:<a@b.example>"), 250);
    EXPECT_EQ(c->cmd("RCPT TO:<x@local.test>"), 250);
    EXPECT_EQ(c->cmd("DATA"), 354);
    c->send("cut off\r\n");
  }
  auto c = session();  // the server is still fine
  EXPECT_EQ(c->cmd("NOOP"), 250);
  EXPECT_TRUE(new_messages(all()).empty());
}

// A store that takes its time, so the shard can stop while a delivery is running.
class SlowStore final : public smtp::MailStore {
 public:
  Result<void> deliver(std::span<const std::string>, std::string_view, std::string_view) override {
    started.store(true);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    finished.store(true);
    return {};
  }
  std::atomic<bool> started{false}, finished{false};
};

// The shard stops (without draining) and is destroyed while the delivery thread still
// writes: the late result is dropped, nothing touches the freed shard, no 250 is sent.
TEST_P(SmtpServerTest, StopDuringDeliveryIsClean) {
  auto slow = std::make_shared<SlowStore>();
  start_service([this, slow](Shard& shard, uint16_t port) {
    auto o = opts_;
    o.listen = {"127.0.0.1:" + std::to_string(port)};
    auto s = smtp::Server::create(o);
    if (!s) return false;
    server_ = *s;
    server_->set_store(slow);
    return bool(server_->start(shard));
  });
  auto c = session();
  EXPECT_EQ(c->cmd("MAIL FROM:<a@b.example>"), 250);
  EXPECT_EQ(c->cmd("RCPT TO:<x@local.test>"), 250);
  EXPECT_EQ(c->cmd("DATA"), 354);
  c->send("slow\r\n.\r\n");
  for (int i = 0; i < 300 && !slow->started.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(slow->started.load());
  stop_service();
  EXPECT_FALSE(slow->finished.load()) << "the shard was gone before the store finished";
  for (int i = 0; i < 200 && !slow->finished.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_TRUE(slow->finished.load());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(c->rest().find("250"), std::string::npos) << "no 250 for a delivery whose answer was dropped";
  EXPECT_EQ(server_->counters().messages_accepted.load(), 0u);
  server_.reset();
}

INSTANTIATE_TEST_SUITE_P(Backends, SmtpServerTest, ::testing::ValuesIn(test::all_backends()), test::param_name);

}  // namespace
}  // namespace zp
