// One SMTP session's state machine, without I/O: bytes in `in`, replies out in `out`, and an
// Action telling the connection loop what to do next (read, flush, deliver, STARTTLS, check
// AUTH credentials, close).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zp/codec/smtp/command.h"
#include "zp/codec/smtp/data.h"
#include "zp/smtp/server.h"

namespace zp::smtp::detail {

enum class Action { read, flush, deliver, starttls, authenticate, close };

// What one delivery needs (shared with the delivery thread).
struct Job {
  std::vector<std::string> mailboxes;  // distinct Maildirs
  std::string head;                    // Return-Path and Received
  std::string body;                    // the message as received
  std::string queue_dir;               // relayed recipients: the relay queue's Maildir; "" none
  std::string queue_head;              // X-Envelope-From/-To and Received
};

// Stores the job's copies (local mailboxes, then the relay queue); success only when all are
// on stable storage. Blocks: run it on the BlockingPool.
Result<void> deliver_job(MailStore& store, const Job& job);

// AUTH credentials waiting for the password check (shared with the checking thread).
struct Credentials {
  std::string user;
  std::string password;
  ~Credentials();  // wipes the password
};

class Session {
 public:
  // `tls_offered`: STARTTLS may be used; `tls_active`: the stream is TLS already (465).
  Session(const ServerOptions& opts, const std::string& hostname, Counters& counters, SocketAddr peer,
          bool tls_offered, bool tls_active);
  void greet();
  // Works through `in` (consuming what it used) and says what the loop must do next.
  Action run();
  // After Action::deliver: the job, then the store's answer.
  std::shared_ptr<Job> take_job() { return std::move(job_); }
  void delivered(const Result<void>& r, std::size_t bytes);
  // After Action::authenticate: the credentials, then whether the password file took them
  // (an error: the check could not run).
  std::shared_ptr<Credentials> take_credentials() { return std::move(creds_); }
  void authenticated(const Result<bool>& checked);
  // The TLS handshake after STARTTLS finished: back to the start (RFC 3207 4.2).
  void tls_started();
  // No command (or data) within the timeout: 421.
  void timed_out();
  // In the middle of a message (the data timeout applies, recv_more).
  bool in_message() const { return mode_ == Mode::data || mode_ == Mode::bdat; }

  std::string in;   // received, not yet used
  std::string out;  // replies not yet sent

 private:
  enum class Mode { command, data, bdat, skip_line, auth_plain, auth_login_user, auth_login_password };
  Action command(const codec::smtp::Command& cmd);
  Action auth(const codec::smtp::Command& cmd);
  // One base64 line of an AUTH exchange (an initial response or the answer to a 334).
  Action auth_response(std::string_view line);
  // AUTH may be used now: a password file, and TLS unless auth_plaintext.
  bool auth_offered() const;
  // Appends a reply; a 4xx/5xx counts against max_errors. False when that limit is reached
  // (421 appended: close).
  bool reply(unsigned code, std::string_view enhanced, std::string_view text);
  bool refuse_parse(codec::smtp::Errc e);
  void ehlo_reply(std::string_view domain);
  void reset_transaction();
  std::shared_ptr<Job> make_job();

  const ServerOptions& opts_;
  const std::string& hostname_;
  Counters& counters_;
  SocketAddr peer_;
  bool tls_offered_;
  bool tls_active_;
  bool authenticated_ = false;
  std::string auth_user_;                // authenticated as (or the LOGIN user name so far)
  std::shared_ptr<Credentials> creds_;
  bool closing_ = false;                 // the error limit was hit outside run(): close next
  std::size_t errors_ = 0;
  Mode mode_ = Mode::command;
  codec::smtp::Limits limits_;
  // Session
  std::string helo_;
  bool esmtp_ = false;
  // Transaction
  bool in_mail_ = false;
  std::string from_;
  bool smtputf8_ = false;
  std::vector<std::string> rcpts_;
  std::vector<std::string> mailboxes_;
  std::vector<std::string> relay_rcpts_;  // recipients for the relay queue
  std::string body_;
  std::optional<codec::smtp::DataDecoder> data_;
  std::optional<codec::smtp::BdatReader> bdat_;
  bool bdat_discard_ = false;  // a BDAT chunk read only to stay in step (503 after it)
  bool bdat_last_ = false;
  std::shared_ptr<Job> job_;
};

}  // namespace zp::smtp::detail
