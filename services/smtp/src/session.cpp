// The SMTP session state machine (RFC 5321 4.1.4 command order, 4.5.3 limits).
#include "session.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include "zp/codec/smtp/auth.h"

namespace zp::smtp::detail {

namespace cs = codec::smtp;

namespace {

// Replies past this are sent before more pipelined commands are read.
constexpr std::size_t kMaxPendingOut = 64 * 1024;
// AUTH lines (the command with an initial response, and each answer to a 334), CRLF
// included (RFC 4954 4: at least 12288 octets).
constexpr std::size_t kMaxAuthLine = 12288;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char x = a[i] >= 'A' && a[i] <= 'Z' ? char(a[i] | 0x20) : a[i];
    const char y = b[i] >= 'A' && b[i] <= 'Z' ? char(b[i] | 0x20) : b[i];
    if (x != y) return false;
  }
  return true;
}

bool starts_with_auth(std::string_view s) {
  if (s.size() < 5 || s[4] != ' ') return false;
  for (std::size_t i = 0; i < 4; ++i)
    if ((s[i] | 0x20) != "auth"[i]) return false;
  return true;
}

std::string peer_literal(const SocketAddr& a) {
  if (a.len == 0) return "[unknown]";
  std::string s = a.to_string();  // "1.2.3.4:5" or "[::1]:5"
  const std::size_t colon = s.rfind(':');
  if (colon != std::string::npos) s.resize(colon);
  if (a.family() == AF_INET6) return "[IPv6:" + s.substr(1, s.size() - 2) + "]";
  return "[" + s + "]";
}

std::string rfc5322_date() {
  const time_t now = ::time(nullptr);
  tm t{};
  ::gmtime_r(&now, &t);
  char buf[64];
  const std::size_t n = ::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &t);
  return std::string(buf, n);
}

}  // namespace

Session::Session(const ServerOptions& opts, const std::string& hostname, Counters& counters, SocketAddr peer,
                 bool tls_offered, bool tls_active)
    : opts_(opts), hostname_(hostname), counters_(counters), peer_(peer), tls_offered_(tls_offered),
      tls_active_(tls_active) {
  limits_.max_line_bytes = opts.limits.max_line_bytes;
}

Credentials::~Credentials() {
  // The password leaves memory with the request (volatile: the wipe is not optimised out).
  volatile char* p = password.data();
  for (std::size_t i = 0; i < password.size(); ++i) p[i] = 0;
}

Result<void> deliver_job(MailStore& store, const Job& job) {
  if (!job.mailboxes.empty()) {
    if (auto r = store.deliver(job.mailboxes, job.head, job.body); !r) return r;
  }
  if (!job.queue_dir.empty()) {
    const std::string dirs[1] = {job.queue_dir};
    if (auto r = store.deliver(dirs, job.queue_head, job.body); !r) return r;
  }
  return {};
}

void Session::greet() { reply(220, "", hostname_ + " ESMTP zproto"); }

bool Session::reply(unsigned code, std::string_view enhanced, std::string_view text) {
  out += std::to_string(code);
  out += ' ';
  if (!enhanced.empty()) {
    out += enhanced;
    out += ' ';
  }
  out += text;
  out += "\r\n";
  if (code < 400) return true;
  counters_.refused(code);
  if (++errors_ < opts_.limits.max_errors) return true;
  out += "421 4.7.0 " + hostname_ + " Error: too many errors\r\n";
  counters_.refused(421);
  return false;
}

// The codec's errors as replies: the brief's codes where they differ from reply_for().
bool Session::refuse_parse(cs::Errc e) {
  switch (e) {
    case cs::Errc::unknown_command: return reply(500, "5.5.2", "Error: command not recognized");
    case cs::Errc::syntax: return reply(501, "5.5.4", "Syntax error in parameters or arguments");
    case cs::Errc::line_too_long: return reply(500, "5.5.6", "Error: line too long");
    default: {
      const cs::ErrorReply r = cs::reply_for(e);
      return reply(r.code, r.enhanced, r.text);
    }
  }
}

void Session::reset_transaction() {
  in_mail_ = false;
  from_.clear();
  smtputf8_ = false;
  rcpts_.clear();
  mailboxes_.clear();
  relay_rcpts_.clear();
  body_.clear();
  data_.reset();
  bdat_.reset();
  bdat_discard_ = false;
  bdat_last_ = false;
}

void Session::tls_started() {
  tls_active_ = true;
  helo_.clear();
  esmtp_ = false;
  authenticated_ = false;  // nothing learnt before TLS carries over (RFC 3207 4.2)
  auth_user_.clear();
  reset_transaction();
  mode_ = Mode::command;
}

void Session::timed_out() {
  counters_.timeouts.fetch_add(1, std::memory_order_relaxed);
  counters_.refused(421);
  out += "421 4.4.2 " + hostname_ + " Error: timeout exceeded\r\n";
}

void Session::ehlo_reply(std::string_view domain) {
  std::vector<std::string> lines;
  lines.push_back(hostname_ + " greets " + std::string(domain));
  lines.push_back("PIPELINING");
  lines.push_back("SIZE " + std::to_string(opts_.limits.max_message_bytes));
  lines.push_back("8BITMIME");
  lines.push_back("ENHANCEDSTATUSCODES");
  lines.push_back("SMTPUTF8");
  lines.push_back("CHUNKING");
  if (tls_offered_ && !tls_active_) lines.push_back("STARTTLS");
  if (auth_offered() && !authenticated_) lines.push_back("AUTH PLAIN LOGIN");
  lines.push_back("HELP");
  for (std::size_t i = 0; i < lines.size(); ++i) {
    out += "250";
    out += i + 1 < lines.size() ? '-' : ' ';
    out += lines[i];
    out += "\r\n";
  }
}

std::shared_ptr<Job> Session::make_job() {
  auto job = std::make_shared<Job>();
  job->mailboxes = mailboxes_;
  std::string proto = smtputf8_ ? "UTF8SMTP" : (esmtp_ ? "ESMTP" : "SMTP");
  if (tls_active_) proto += 'S';
  if (authenticated_) proto += 'A';
  if (proto == "SMTPS") proto = "ESMTPS";  // RFC 3848 has no SMTPS
  std::string received = "Received: from " + helo_ + " (" + peer_literal(peer_) + ")\r\n\tby " + hostname_ +
                         " (zproto) with " + proto;
  if (rcpts_.size() == 1) received += "\r\n\tfor <" + rcpts_.front() + ">";
  received += "; " + rfc5322_date() + "\r\n";
  // RFC 5321 4.4: Return-Path at final delivery, our Received on top.
  if (!mailboxes_.empty()) job->head = "Return-Path: <" + from_ + ">\r\n" + received;
  if (!relay_rcpts_.empty()) {
    // The relay queue's envelope, written by us ahead of everything the client sent.
    job->queue_dir = opts_.relay_queue;
    std::string& q = job->queue_head;
    q = "X-Envelope-From: <" + from_ + ">\r\n";
    for (const std::string& r : relay_rcpts_) q += "X-Envelope-To: <" + r + ">\r\n";
    q += received;
  }
  job->body = std::move(body_);
  body_.clear();
  return job;
}

void Session::delivered(const Result<void>& r, std::size_t bytes) {
  if (r) {
    if (!relay_rcpts_.empty()) counters_.messages_relayed.fetch_add(1, std::memory_order_relaxed);
    counters_.messages_accepted.fetch_add(1, std::memory_order_relaxed);
    counters_.bytes_accepted.fetch_add(bytes, std::memory_order_relaxed);
    reply(250, "2.0.0", "Ok: delivered");
  } else {
    counters_.delivery_failures.fetch_add(1, std::memory_order_relaxed);
    // 4xx: the client keeps the message and tries again (disk full, I/O error).
    reply(451, "4.3.0", "Error: local delivery failed: " + r.error().message());
  }
  reset_transaction();
}

Action Session::command(const cs::Command& cmd) {
  using cs::Verb;
  switch (cmd.verb) {
    case Verb::ehlo:
    case Verb::helo:
      helo_ = std::string(cmd.domain);
      esmtp_ = cmd.verb == Verb::ehlo;
      reset_transaction();
      if (esmtp_) ehlo_reply(cmd.domain);
      else reply(250, "", hostname_);
      return Action::read;
    case Verb::mail: {
      bool ok = true;
      if (helo_.empty()) ok = reply(503, "5.5.1", "Error: send HELO/EHLO first");
      else if (in_mail_) ok = reply(503, "5.5.1", "Error: nested MAIL command");
      else if (cmd.mail.body == cs::Body::binary_mime) ok = reply(555, "5.5.4", "BODY=BINARYMIME not supported");
      else if (cmd.mail.ret != cs::Ret::none || !cmd.mail.envid.empty()) ok = reply(555, "5.5.4", "DSN not supported");
      else if (!esmtp_ && (cmd.mail.has_size || cmd.mail.body != cs::Body::none || cmd.mail.smtputf8))
        ok = reply(555, "5.5.4", "Parameters need EHLO");
      else if (cmd.mail.has_size && cmd.mail.size > opts_.limits.max_message_bytes)
        ok = reply(552, "5.3.4", "Message size exceeds fixed limit");
      else {
        in_mail_ = true;
        from_ = std::string(cmd.path.mailbox);
        smtputf8_ = cmd.mail.smtputf8;
        reply(250, "2.1.0", "Ok");
      }
      return ok ? Action::read : Action::close;
    }
    case Verb::rcpt: {
      bool ok = true;
      const std::string addr(cmd.path.postmaster ? std::string_view("Postmaster") : cmd.path.mailbox);
      if (!in_mail_) ok = reply(503, "5.5.1", "Error: need MAIL command");
      else if (cmd.rcpt.notify != 0 || !cmd.rcpt.orcpt.empty()) ok = reply(555, "5.5.4", "DSN not supported");
      else if (rcpts_.size() >= opts_.limits.max_recipients) ok = reply(452, "4.5.3", "Error: too many recipients");
      else {
        const Decision d = opts_.policy.route(cmd.path.local_part, cmd.path.domain, peer_, authenticated_);
        switch (d.route) {
          case Route::local:
            rcpts_.push_back(addr);
            if (std::find(mailboxes_.begin(), mailboxes_.end(), d.mailbox) == mailboxes_.end())
              mailboxes_.push_back(d.mailbox);
            reply(250, "2.1.5", "Ok");
            break;
          case Route::unknown_user:
            ok = reply(550, "5.1.1", "<" + addr + ">: Recipient address rejected: User unknown");
            break;
          case Route::relay_denied:
            counters_.relay_denied.fetch_add(1, std::memory_order_relaxed);
            ok = reply(554, "5.7.1", "<" + addr + ">: Relay access denied");
            break;
          case Route::relay:
            if (opts_.relay_queue.empty()) {
              // Allowed to relay, but there is no queue to relay with.
              ok = reply(554, "5.7.1", "<" + addr + ">: Relaying not available (no relay queue)");
              break;
            }
            rcpts_.push_back(addr);
            relay_rcpts_.push_back(addr);
            reply(250, "2.1.5", "Ok");
            break;
        }
      }
      return ok ? Action::read : Action::close;
    }
    case Verb::data: {
      bool ok = true;
      if (!in_mail_) ok = reply(503, "5.5.1", "Error: need MAIL command");
      else if (rcpts_.empty()) ok = reply(554, "5.5.1", "Error: no valid recipients");
      else if (bdat_) ok = reply(503, "5.5.1", "Error: DATA after BDAT");
      else {
        reply(354, "", "End data with <CR><LF>.<CR><LF>");
        data_.emplace(cs::DataLimits{.max_line_bytes = opts_.limits.max_text_line_bytes,
                                     .max_message_bytes = opts_.limits.max_message_bytes});
        body_.clear();
        mode_ = Mode::data;
        return Action::flush;  // DATA ends a pipelined group (RFC 2920 3.1)
      }
      return ok ? Action::read : Action::close;
    }
    case Verb::bdat:
      // The chunk follows whatever we think of it: read it to stay in step.
      bdat_discard_ = !in_mail_ || rcpts_.empty();
      if (!bdat_) bdat_.emplace(opts_.limits.max_message_bytes);
      bdat_->start(cmd.chunk_size, cmd.last);
      bdat_last_ = cmd.last;
      mode_ = Mode::bdat;
      return Action::read;
    case Verb::rset:
      reset_transaction();
      reply(250, "2.0.0", "Ok");
      return Action::read;
    case Verb::noop:
      reply(250, "2.0.0", "Ok");
      return Action::read;
    case Verb::quit:
      reply(221, "2.0.0", "Bye");
      return Action::close;
    case Verb::vrfy:
      reply(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
      return Action::read;
    case Verb::expn:
      return reply(502, "5.5.1", "Error: EXPN not available") ? Action::read : Action::close;
    case Verb::help:
      reply(214, "2.0.0", "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH");
      return Action::read;
    case Verb::starttls:
      if (!tls_offered_) return reply(502, "5.5.1", "Error: STARTTLS not available") ? Action::read : Action::close;
      if (tls_active_) return reply(503, "5.5.1", "Error: TLS already active") ? Action::read : Action::close;
      reply(220, "2.0.0", "Ready to start TLS");
      return Action::starttls;
    case Verb::auth:
      return auth(cmd);
  }
  return Action::read;
}

bool Session::auth_offered() const { return opts_.passwords && (tls_active_ || opts_.auth_plaintext); }

Action Session::auth(const cs::Command& cmd) {
  bool ok = true;
  if (!opts_.passwords) ok = reply(502, "5.5.1", "Error: AUTH not available");
  else if (!esmtp_) ok = reply(503, "5.5.1", "Error: send EHLO first");
  else if (authenticated_) ok = reply(503, "5.5.1", "Error: already authenticated");
  else if (in_mail_) ok = reply(503, "5.5.1", "Error: AUTH not allowed during a mail transaction");
  else if (!auth_offered() && tls_offered_) ok = reply(530, "5.7.0", "Must issue a STARTTLS command first");
  else if (!auth_offered()) ok = reply(538, "5.7.11", "Encryption required for requested authentication mechanism");
  else {
    const bool plain = iequals(cmd.mechanism, "PLAIN");
    const bool login = iequals(cmd.mechanism, "LOGIN");
    if (!plain && !login) {
      ok = reply(504, "5.5.4", "Unrecognized authentication type");
    } else if (!cmd.initial_response.empty()) {
      // LOGIN's initial response is the user name (the de-facto form; RFC 4954 allows one).
      mode_ = plain ? Mode::auth_plain : Mode::auth_login_user;
      return auth_response(cmd.initial_response);
    } else if (plain) {
      out += "334 \r\n";
      mode_ = Mode::auth_plain;
      return Action::flush;
    } else {
      out += "334 " + std::string(cs::login_user_prompt) + "\r\n";
      mode_ = Mode::auth_login_user;
      return Action::flush;
    }
  }
  return ok ? Action::read : Action::close;
}

Action Session::auth_response(std::string_view line) {
  const Mode m = mode_;
  mode_ = Mode::command;
  std::vector<char> buf(line.size() + 4);
  bool ok = true;
  auto refuse = [&](cs::Errc e) {
    if (e == cs::Errc::auth_cancelled) return reply(501, "5.7.0", "Authentication cancelled");
    if (e == cs::Errc::bad_base64) return reply(501, "5.5.2", "Cannot decode response");
    counters_.auth_failures.fetch_add(1, std::memory_order_relaxed);
    return reply(535, "5.7.8", "Authentication credentials invalid");
  };
  if (m == Mode::auth_plain) {
    auto c = cs::decode_plain(line, buf);
    if (!c) {
      ok = refuse(cs::Errc(c.error().value()));
    } else if (!c->authzid.empty() && c->authzid != c->authcid) {
      // Acting for another user is not something a password file can allow.
      counters_.auth_failures.fetch_add(1, std::memory_order_relaxed);
      ok = reply(535, "5.7.8", "Authentication credentials invalid");
    } else {
      creds_ = std::make_shared<Credentials>();
      auth_user_ = std::string(c->authcid);
      creds_->user = auth_user_;
      creds_->password = std::string(c->password);
      std::memset(buf.data(), 0, buf.size());
      return Action::authenticate;
    }
  } else {
    auto v = cs::decode_login(line, buf);
    if (!v) {
      ok = refuse(cs::Errc(v.error().value()));
    } else if (m == Mode::auth_login_user) {
      auth_user_ = std::string(*v);
      out += "334 " + std::string(cs::login_password_prompt) + "\r\n";
      mode_ = Mode::auth_login_password;
      return Action::flush;
    } else {
      creds_ = std::make_shared<Credentials>();
      creds_->user = auth_user_;
      creds_->password = std::string(*v);
      std::memset(buf.data(), 0, buf.size());
      return Action::authenticate;
    }
  }
  auth_user_.clear();
  return ok ? Action::read : Action::close;
}

void Session::authenticated(const Result<bool>& checked) {
  if (!checked) {
    // The check did not run (the pool's queue is full): not the client's fault (RFC 4954 6).
    auth_user_.clear();
    if (!reply(454, "4.7.0", "Temporary authentication failure")) closing_ = true;
    return;
  }
  if (*checked) {
    authenticated_ = true;
    counters_.auth_successes.fetch_add(1, std::memory_order_relaxed);
    reply(235, "2.7.0", "Authentication successful");
    return;
  }
  auth_user_.clear();
  counters_.auth_failures.fetch_add(1, std::memory_order_relaxed);
  // Counted against max_errors like every refusal: a guesser is cut off after that many.
  if (!reply(535, "5.7.8", "Authentication credentials invalid")) closing_ = true;
}

Action Session::run() {
  if (closing_) return Action::close;
  std::size_t pos = 0;
  Action action = Action::read;
  for (;;) {
    const std::string_view rest = std::string_view(in).substr(pos);
    if (mode_ == Mode::auth_plain || mode_ == Mode::auth_login_user || mode_ == Mode::auth_login_password) {
      const std::size_t eol = rest.find("\r\n");
      if (eol == std::string_view::npos) {
        if (rest.size() < kMaxAuthLine) break;
        mode_ = Mode::command;
        auth_user_.clear();
        refuse_parse(cs::Errc::line_too_long);
        action = Action::close;  // no telling where the line ends
        break;
      }
      pos += eol + 2;
      action = auth_response(rest.substr(0, eol));
      if (action != Action::read) break;
      continue;
    }
    if (mode_ == Mode::data) {
      if (rest.empty()) break;
      const cs::DataResult r = data_->decode(rest);
      body_.append(r.data);
      pos += r.consumed;
      if (r.status == cs::DataStatus::more) {
        if (r.consumed == 0) break;
        continue;
      }
      mode_ = Mode::command;
      if (r.status == cs::DataStatus::error) {
        // Bare CR or LF in the data (SMTP smuggling), NUL: refuse and end the session.
        refuse_parse(r.error);
        reset_transaction();
        action = Action::close;
        break;
      }
      if (r.error != cs::Errc::ok) {
        const bool ok = r.error == cs::Errc::message_too_large
                            ? reply(552, "5.3.4", "Error: message too large")
                            : refuse_parse(r.error);
        reset_transaction();
        if (!ok) {
          action = Action::close;
          break;
        }
        continue;
      }
      job_ = make_job();
      action = Action::deliver;
      break;
    }
    if (mode_ == Mode::bdat) {
      const cs::BdatReader::Step st = bdat_->read(rest);
      pos += st.consumed;
      if (!bdat_discard_) body_.append(st.data);
      if (!st.chunk_done) break;
      mode_ = Mode::command;
      bool ok = true;
      if (bdat_discard_) {
        ok = !in_mail_ ? reply(503, "5.5.1", "Error: need MAIL command")
                       : reply(554, "5.5.1", "Error: no valid recipients");
        bdat_.reset();
        bdat_discard_ = false;
      } else if (st.error == cs::Errc::message_too_large) {
        ok = reply(552, "5.3.4", "Error: message too large");
        reset_transaction();
      } else if (st.message_done) {
        job_ = make_job();
        action = Action::deliver;
        break;
      } else {
        reply(250, "2.0.0", "Ok: " + std::to_string(bdat_->size()) + " octets received");
      }
      if (!ok) {
        action = Action::close;
        break;
      }
      continue;
    }
    if (mode_ == Mode::skip_line) {
      const std::size_t eol = rest.find("\r\n");
      if (eol == std::string_view::npos) {
        pos += rest.size() - (rest.ends_with('\r') ? 1 : 0);
        break;
      }
      pos += eol + 2;
      mode_ = Mode::command;
      continue;
    }
    if (out.size() > kMaxPendingOut) {
      action = Action::flush;
      break;
    }
    cs::Command cmd;
    cs::Limits lim = limits_;
    if (starts_with_auth(rest)) lim.max_line_bytes = kMaxAuthLine;
    const cs::ParseResult r = cs::parse_command(rest, lim, cmd, cs::Context{.smtputf8 = smtputf8_});
    if (r.status == cs::Status::need_more) break;
    if (r.status == cs::Status::error) {
      if (r.consumed == 0) {
        if (r.error == cs::Errc::line_too_long) {
          // Skip to the end of the over-long line and go on (RFC 5321 4.5.3.1.4).
          if (!refuse_parse(r.error)) {
            action = Action::close;
            break;
          }
          mode_ = Mode::skip_line;
          continue;
        }
        // Bare CR, bare LF, NUL in a command line: no telling where it ends.
        refuse_parse(r.error);
        action = Action::close;
        break;
      }
      pos += r.consumed;
      // A BDAT line we cannot read leaves its chunk unframed: stop here.
      if (cmd.verb == cs::Verb::bdat || !refuse_parse(r.error)) {
        if (cmd.verb == cs::Verb::bdat) refuse_parse(r.error);
        action = Action::close;
        break;
      }
      continue;
    }
    pos += r.consumed;
    action = command(cmd);
    if (action != Action::read) break;
  }
  in.erase(0, pos);
  return action;
}

}  // namespace zp::smtp::detail
