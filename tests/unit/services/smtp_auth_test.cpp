// AUTH PLAIN and LOGIN (RFC 4954) on the SMTP server against a password file, on every
// backend: offered only after TLS (530 before, unless auth_plaintext), 235 / 535 5.7.8,
// cancel and bad base64, failures counted toward max_errors (421 after them), and the relay
// rule: authenticated clients may relay (into the relay queue), others never, loopback included.
#include <gtest/gtest.h>

#include <string>

#include "smtp_tls_fixture.h"

namespace zp {
namespace {

namespace fs = std::filesystem;
using test::smtp::b64;
using test::smtp::Client;
using test::smtp::new_messages;
using test::smtp::read_file;
using SmtpAuthTest = test::smtp::TlsServerTest;

TEST_P(SmtpAuthTest, OfferedOnlyAfterTls) {
  with_passwords();
  start();
  Client c(port_);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.code(), 220);
  c.send("EHLO client.example\r\n");
  const std::string before = c.reply();
  EXPECT_EQ(before.find("AUTH"), std::string::npos) << before;
  EXPECT_EQ(c.cmd("AUTH PLAIN " + b64(std::string("\0alice\0secret", 13))), 530);
  EXPECT_EQ(c.last(), "530 5.7.0 Must issue a STARTTLS command first\r\n");
  EXPECT_EQ(c.cmd("STARTTLS"), 220);
  ASSERT_TRUE(c.start_tls(ca()));
  c.send("EHLO client.example\r\n");
  const std::string after = c.reply();
  EXPECT_NE(after.find("250-AUTH PLAIN LOGIN\r\n"), std::string::npos) << after;
  EXPECT_EQ(server_->counters().auth_successes.load(), 0u);
}

TEST_P(SmtpAuthTest, PlainWithInitialResponseAndChallenge) {
  with_passwords();
  start();
  auto c = starttls_session();
  EXPECT_EQ(c->cmd("AUTH PLAIN " + b64(std::string("\0alice\0secret", 13))), 235);
  EXPECT_EQ(c->last(), "235 2.7.0 Authentication successful\r\n");
  EXPECT_EQ(c->cmd("AUTH PLAIN"), 503) << "once per session";
  c->send("EHLO client.example\r\n");
  EXPECT_EQ(c->reply().find("AUTH"), std::string::npos) << "not offered once authenticated";
  // The other form: an empty challenge, then the response; authzid = authcid is fine.
  auto d = implicit_session();
  EXPECT_EQ(d->cmd("AUTH PLAIN"), 334);
  EXPECT_EQ(d->last(), "334 \r\n");
  EXPECT_EQ(d->cmd(b64(std::string("bob\0bob\0hunter2", 15))), 235);
  EXPECT_EQ(server_->counters().auth_successes.load(), 2u);
}

TEST_P(SmtpAuthTest, LoginBothForms) {
  with_passwords();
  start();
  auto c = starttls_session();
  EXPECT_EQ(c->cmd("AUTH LOGIN"), 334);
  EXPECT_EQ(c->last(), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(c->cmd(b64("alice")), 334);
  EXPECT_EQ(c->last(), "334 UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(c->cmd(b64("secret")), 235);
  auto d = implicit_session();
  EXPECT_EQ(d->cmd("auth login " + b64("bob")), 334);  // the user name as initial response
  EXPECT_EQ(d->last(), "334 UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(d->cmd(b64("wrong")), 535);
  EXPECT_EQ(d->last(), "535 5.7.8 Authentication credentials invalid\r\n");
  EXPECT_EQ(d->cmd("AUTH LOGIN " + b64("bob")), 334);
  EXPECT_EQ(d->cmd(b64("hunter2")), 235);
  EXPECT_EQ(server_->counters().auth_failures.load(), 1u);
  EXPECT_EQ(server_->counters().auth_successes.load(), 2u);
}

TEST_P(SmtpAuthTest, RefusalCodes) {
  with_passwords();
  start();
  auto c = starttls_session();
  EXPECT_EQ(c->cmd("AUTH PLAIN " + b64(std::string("\0alice\0wrong", 12))), 535);
  EXPECT_EQ(c->cmd("AUTH PLAIN " + b64(std::string("\0nobody\0secret", 14))), 535) << "unknown user: same reply";
  EXPECT_EQ(c->cmd("AUTH PLAIN " + b64(std::string("bob\0alice\0secret", 17))), 535) << "acting for another user";
  EXPECT_EQ(c->cmd("AUTH PLAIN " + b64(std::string("\0alice", 6))), 535) << "no password field";
  EXPECT_EQ(c->cmd("AUTH CRAM-MD5"), 504);
  EXPECT_EQ(c->last(), "504 5.5.4 Unrecognized authentication type\r\n");
  EXPECT_EQ(c->cmd("AUTH PLAIN"), 334);
  EXPECT_EQ(c->cmd("*"), 501);
  EXPECT_EQ(c->last(), "501 5.7.0 Authentication cancelled\r\n");
  EXPECT_EQ(c->cmd("AUTH LOGIN"), 334);
  EXPECT_EQ(c->cmd("!!not base64!!"), 501);
  EXPECT_EQ(c->cmd("MAIL FROM:<a@remote.example>"), 250);
  EXPECT_EQ(c->cmd("AUTH PLAIN " + b64(std::string("\0alice\0secret", 13))), 503) << "not inside a transaction";
  EXPECT_EQ(c->cmd("RSET"), 250);
  // Still usable after all that: the right password works.
  EXPECT_EQ(c->cmd("AUTH PLAIN " + b64(std::string("\0alice\0secret", 13))), 235);
  EXPECT_EQ(server_->counters().refusals[535 - 400].load(), 4u);
  EXPECT_EQ(server_->counters().auth_failures.load(), 4u);
}

TEST_P(SmtpAuthTest, FailuresCountTowardTheErrorLimit) {
  with_passwords();
  opts_.limits.max_errors = 3;
  start();
  auto c = starttls_session();
  EXPECT_EQ(c->cmd("AUTH PLAIN " + b64(std::string("\0alice\0guess1", 13))), 535);
  EXPECT_EQ(c->cmd("AUTH LOGIN " + b64("alice")), 334);
  EXPECT_EQ(c->cmd(b64("guess2")), 535);
  EXPECT_EQ(c->cmd("AUTH PLAIN " + b64(std::string("\0alice\0guess3", 13))), 535);
  EXPECT_EQ(c->reply(), "421 4.7.0 mx.local.test Error: too many errors\r\n");
  EXPECT_TRUE(c->closed());
  EXPECT_EQ(server_->counters().auth_failures.load(), 3u);
}

TEST_P(SmtpAuthTest, AuthFailureIsSlow) {
  with_passwords();
  opts_.limits.auth_failure_delay_ms = 300;
  start();
  auto c = starttls_session();
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(c->cmd("AUTH PLAIN " + b64(std::string("\0alice\0guess", 12))), 535);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(290));
  t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(c->cmd("AUTH PLAIN " + b64(std::string("\0alice\0secret", 13))), 235);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(290)) << "success is not delayed";
}

TEST_P(SmtpAuthTest, PlaintextAuthWhenConfigured) {
  with_passwords();
  opts_.auth_plaintext = true;
  start();
  Client c(port_);
  EXPECT_EQ(c.code(), 220);
  c.send("EHLO client.example\r\n");
  EXPECT_NE(c.reply().find("250-AUTH PLAIN LOGIN\r\n"), std::string::npos);
  EXPECT_EQ(c.cmd("AUTH PLAIN " + b64(std::string("\0alice\0secret", 13))), 235);
}

TEST_P(SmtpAuthTest, HeloIsNotEnoughAndNoPasswordsNoAuth) {
  with_passwords();
  start();
  auto c = implicit_session();
  EXPECT_EQ(c->cmd("HELO client.example"), 250);
  EXPECT_EQ(c->cmd("AUTH PLAIN " + b64(std::string("\0alice\0secret", 13))), 503);
}

TEST_P(SmtpAuthTest, WithoutPasswordFileAuthIsNotAvailable) {
  start();
  auto c = implicit_session();
  EXPECT_EQ(c->cmd("AUTH PLAIN " + b64(std::string("\0alice\0secret", 13))), 502);
}

TEST_P(SmtpAuthTest, OnlyAuthenticatedClientsRelay) {
  with_passwords();
  opts_.relay_queue = (dir_ / "relay").string();
  start();
  // Unauthenticated, from loopback, over TLS: never a relay.
  auto c = starttls_session();
  EXPECT_EQ(c->cmd("MAIL FROM:<alice@local.test>"), 250);
  EXPECT_EQ(c->cmd("RCPT TO:<someone@remote.example>"), 554);
  EXPECT_EQ(c->last(), "554 5.7.1 <someone@remote.example>: Relay access denied\r\n");
  EXPECT_EQ(c->cmd("RSET"), 250);
  EXPECT_EQ(c->cmd("AUTH PLAIN " + b64(std::string("\0alice\0secret", 13))), 235);
  EXPECT_EQ(c->cmd("MAIL FROM:<alice@local.test>"), 250);
  EXPECT_EQ(c->cmd("RCPT TO:<someone@remote.example>"), 250);
  EXPECT_EQ(c->cmd("RCPT TO:<x@local.test>"), 250);
  EXPECT_EQ(c->cmd("DATA"), 354);
  c->send("Subject: out\r\n\r\nrelayed\r\n.\r\n");
  EXPECT_EQ(c->code(), 250);
  const auto queued = new_messages(dir_ / "relay");
  ASSERT_EQ(queued.size(), 1u);
  const std::string q = read_file(queued[0]);
  EXPECT_TRUE(q.starts_with("X-Envelope-From: <alice@local.test>\r\nX-Envelope-To: <someone@remote.example>\r\n"
                            "Received: from client.example ([127.0.0.1])\r\n"))
      << q;
  EXPECT_NE(q.find("with ESMTPSA"), std::string::npos) << q;
  EXPECT_TRUE(q.ends_with("Subject: out\r\n\r\nrelayed\r\n"));
  EXPECT_EQ(q.find("Return-Path"), std::string::npos) << "not the final delivery";
  const auto local = new_messages(all());
  ASSERT_EQ(local.size(), 1u);
  const std::string l = read_file(local[0]);
  EXPECT_TRUE(l.starts_with("Return-Path: <alice@local.test>\r\n")) << l;
  EXPECT_EQ(l.find("X-Envelope"), std::string::npos);
  EXPECT_EQ(server_->counters().messages_relayed.load(), 1u);
  // A second session that did not authenticate is refused again.
  auto d = implicit_session();
  EXPECT_EQ(d->cmd("MAIL FROM:<alice@local.test>"), 250);
  EXPECT_EQ(d->cmd("RCPT TO:<someone@remote.example>"), 554);
  EXPECT_EQ(server_->counters().relay_denied.load(), 2u);
}

TEST_P(SmtpAuthTest, AuthenticatedWithoutRelayQueueStillRefused) {
  with_passwords();
  start();
  auto c = starttls_session();
  EXPECT_EQ(c->cmd("AUTH PLAIN " + b64(std::string("\0alice\0secret", 13))), 235);
  EXPECT_EQ(c->cmd("MAIL FROM:<alice@local.test>"), 250);
  EXPECT_EQ(c->cmd("RCPT TO:<someone@remote.example>"), 554);
  EXPECT_EQ(c->last(), "554 5.7.1 <someone@remote.example>: Relaying not available (no relay queue)\r\n");
}

TEST_P(SmtpAuthTest, StarttlsForgetsAPlaintextLogin) {
  with_passwords();
  opts_.auth_plaintext = true;
  opts_.relay_queue = (dir_ / "relay").string();
  start();
  Client c(port_);
  EXPECT_EQ(c.code(), 220);
  EXPECT_EQ(c.cmd("EHLO client.example"), 250);
  EXPECT_EQ(c.cmd("AUTH PLAIN " + b64(std::string("\0alice\0secret", 13))), 235);
  EXPECT_EQ(c.cmd("STARTTLS"), 220);
  ASSERT_TRUE(c.start_tls(ca()));
  EXPECT_EQ(c.cmd("EHLO client.example"), 250);
  EXPECT_EQ(c.cmd("MAIL FROM:<alice@local.test>"), 250);
  EXPECT_EQ(c.cmd("RCPT TO:<someone@remote.example>"), 554) << "RFC 3207 4.2: nothing carries over";
}

INSTANTIATE_TEST_SUITE_P(Backends, SmtpAuthTest, ::testing::ValuesIn(test::all_backends()), test::param_name);

}  // namespace
}  // namespace zp
