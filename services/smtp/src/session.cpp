// The SMTP session state machine (RFC 5321 4.1.4 command order, 4.5.3 limits).
#include "session.h"

#include <time.h>

#include <algorithm>
#include <cstdio>

namespace zp::smtp::detail {

namespace cs = codec::smtp;

namespace {

// Replies past this are sent before more pipelined commands are read.
constexpr std::size_t kMaxPendingOut = 64 * 1024;

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
  // RFC 5321 4.4: Return-Path at final delivery, our Received on top.
  std::string& h = job->head;
  h = "Return-Path: <" + from_ + ">\r\n";
  std::string proto = smtputf8_ ? "UTF8SMTP" : (esmtp_ ? "ESMTP" : "SMTP");
  if (tls_active_) proto += 'S';
  if (authenticated_) proto += 'A';
  if (proto == "SMTPS") proto = "ESMTPS";  // RFC 3848 has no SMTPS
  h += "Received: from " + helo_ + " (" + peer_literal(peer_) + ")\r\n\tby " + hostname_ + " (zproto) with " + proto;
  if (rcpts_.size() == 1) h += "\r\n\tfor <" + rcpts_.front() + ">";
  h += "; " + rfc5322_date() + "\r\n";
  job->body = std::move(body_);
  body_.clear();
  return job;
}

void Session::delivered(const Result<void>& r, std::size_t bytes) {
  if (r) {
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
            // Allowed to relay, but there is no outbound queue yet to relay with.
            ok = reply(554, "5.7.1", "<" + addr + ">: Relaying not available (no outbound queue)");
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
      reply(214, "2.0.0", "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS");
      return Action::read;
    case Verb::starttls:
      if (!tls_offered_) return reply(502, "5.5.1", "Error: STARTTLS not available") ? Action::read : Action::close;
      if (tls_active_) return reply(503, "5.5.1", "Error: TLS already active") ? Action::read : Action::close;
      reply(220, "2.0.0", "Ready to start TLS");
      return Action::starttls;
    case Verb::auth:
      return reply(502, "5.5.1", "Error: AUTH not available") ? Action::read : Action::close;
  }
  return Action::read;
}

Action Session::run() {
  std::size_t pos = 0;
  Action action = Action::read;
  for (;;) {
    const std::string_view rest = std::string_view(in).substr(pos);
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
    const cs::ParseResult r = cs::parse_command(rest, limits_, cmd, cs::Context{.smtputf8 = smtputf8_});
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
