// STARTTLS (RFC 3207) and implicit TLS (RFC 8314) on the SMTP server, over real handshakes on
// every backend: EHLO before and after, the state reset after STARTTLS, the injection case
// (plaintext pipelined behind STARTTLS is dropped, never run inside TLS: CVE-2011-0411), a
// failed handshake, delivery over TLS with "ESMTPS" in Received.
#include <gtest/gtest.h>

#include <string>

#include "smtp_tls_fixture.h"

namespace zp {
namespace {

using test::smtp::Client;
using test::smtp::new_messages;
using test::smtp::read_file;
using SmtpTlsTest = test::smtp::TlsServerTest;

TEST_P(SmtpTlsTest, StarttlsOfferedOnceAndStateReset) {
  start();
  Client c(port_);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.code(), 220);
  c.send("EHLO client.example\r\n");
  const std::string before = c.reply();
  EXPECT_NE(before.find("250-STARTTLS\r\n"), std::string::npos) << before;
  EXPECT_EQ(c.cmd("MAIL FROM:<a@remote.example>"), 250);  // a transaction the upgrade must forget
  EXPECT_EQ(c.cmd("STARTTLS"), 220);
  EXPECT_EQ(c.last(), "220 2.0.0 Ready to start TLS\r\n");
  ASSERT_TRUE(c.start_tls(ca()));
  // RFC 3207 4.2: back to the start: no EHLO, no transaction.
  EXPECT_EQ(c.cmd("MAIL FROM:<a@remote.example>"), 503);
  c.send("EHLO client.example\r\n");
  const std::string after = c.reply();
  EXPECT_TRUE(after.starts_with("250-mx.local.test greets client.example\r\n")) << after;
  EXPECT_EQ(after.find("STARTTLS"), std::string::npos) << after;
  EXPECT_EQ(c.cmd("STARTTLS"), 503);
  EXPECT_EQ(c.cmd("RCPT TO:<x@local.test>"), 503) << "the MAIL before STARTTLS is gone";
  EXPECT_EQ(c.cmd("QUIT"), 221);
  EXPECT_EQ(server_->counters().tls_handshakes.load(), 1u);
}

TEST_P(SmtpTlsTest, PlaintextPipelinedBehindStarttlsIsDiscarded) {
  start();
  Client c(port_);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.code(), 220);
  EXPECT_EQ(c.cmd("EHLO client.example"), 250);
  // One segment: STARTTLS and a whole transaction behind it, in plaintext.
  ASSERT_TRUE(c.send("STARTTLS\r\nEHLO evil.example\r\nMAIL FROM:<evil@remote.example>\r\n"
                     "RCPT TO:<victim@local.test>\r\nDATA\r\ninjected\r\n.\r\n"));
  EXPECT_EQ(c.code(), 220);
  if (!c.start_tls(ca())) {
    // Short reads (the fault layer) leave part of the injection unread when STARTTLS is
    // seen: it then reaches the handshake as garbage, which fails. Still nothing ran.
    ASSERT_TRUE(GetParam().faults) << "a whole segment is read at once: the handshake must succeed";
    EXPECT_TRUE(new_messages(all()).empty());
    EXPECT_EQ(server_->counters().refusals[503 - 400].load(), 0u);
    EXPECT_EQ(server_->counters().tls_handshakes.load(), 0u);
    return;
  }
  // Nothing of it ran: no EHLO is known, no transaction is open.
  EXPECT_EQ(c.cmd("RCPT TO:<victim@local.test>"), 503);
  EXPECT_EQ(c.cmd("DATA"), 503);
  EXPECT_EQ(c.cmd("EHLO client.example"), 250);
  EXPECT_EQ(c.cmd("MAIL FROM:<good@remote.example>"), 250);
  EXPECT_EQ(c.cmd("RCPT TO:<x@local.test>"), 250);
  EXPECT_EQ(c.cmd("DATA"), 354);
  c.send("Subject: over TLS\r\n\r\nfine\r\n.\r\n");
  EXPECT_EQ(c.code(), 250);
  const auto msgs = new_messages(all());
  ASSERT_EQ(msgs.size(), 1u) << "only the message sent over TLS";
  const std::string m = read_file(msgs[0]);
  EXPECT_EQ(m.find("injected"), std::string::npos);
  EXPECT_EQ(m.find("evil"), std::string::npos);
  EXPECT_NE(m.find("with ESMTPS"), std::string::npos) << m;
  EXPECT_GT(server_->counters().refusals[503 - 400].load(), 0u);
}

TEST_P(SmtpTlsTest, ImplicitTlsGreetsInsideTls) {
  start();
  auto c = implicit_session();
  EXPECT_EQ(c->cmd("STARTTLS"), 503) << "TLS is active already";
  c->send("EHLO client.example\r\n");
  const std::string r = c->reply();
  EXPECT_EQ(r.find("STARTTLS"), std::string::npos) << r;
  EXPECT_NE(r.find("250-PIPELINING\r\n"), std::string::npos) << r;
  EXPECT_EQ(c->cmd("MAIL FROM:<s@remote.example>"), 250);
  EXPECT_EQ(c->cmd("RCPT TO:<x@local.test>"), 250);
  EXPECT_EQ(c->cmd("DATA"), 354);
  c->send("Subject: smtps\r\n\r\nbody\r\n.\r\n");
  EXPECT_EQ(c->code(), 250);
  EXPECT_EQ(c->cmd("QUIT"), 221);
  const auto msgs = new_messages(all());
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_NE(read_file(msgs[0]).find("(zproto) with ESMTPS"), std::string::npos);
  EXPECT_EQ(server_->counters().tls_handshakes.load(), 1u);
}

TEST_P(SmtpTlsTest, PlaintextOnTheTlsPortFailsTheHandshake) {
  start();
  {
    Client c(tls_port_);
    ASSERT_TRUE(c.ok());
    c.send("EHLO plain.example\r\n");
    const std::string r = c.rest();
    EXPECT_EQ(r.find("250"), std::string::npos) << r;
  }
  {
    // Garbage after STARTTLS: the session ends, no plaintext reply comes.
    Client c(port_);
    EXPECT_EQ(c.code(), 220);
    EXPECT_EQ(c.cmd("EHLO client.example"), 250);
    EXPECT_EQ(c.cmd("STARTTLS"), 220);
    c.send("NOOP\r\n");
    EXPECT_EQ(c.rest().find("250"), std::string::npos);
  }
  for (int i = 0; i < 300 && server_->counters().tls_failures.load() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(server_->counters().tls_failures.load(), 2u);
  auto c = starttls_session();  // the server is still fine
  EXPECT_EQ(c->cmd("NOOP"), 250);
}

INSTANTIATE_TEST_SUITE_P(Backends, SmtpTlsTest, ::testing::ValuesIn(test::all_backends()), test::param_name);

}  // namespace
}  // namespace zp
