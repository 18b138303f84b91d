// `zproto mail send` over the client: the message composed from the flags, then one session
// to --server or one per recipient domain through its MX hosts, on a private engine.
#include "zp/smtp/cli.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "zp/engine/private_shard.h"
#include "zp/smtp/client.h"

namespace zp::smtp::cli {

namespace {

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

// "a@b, c@d" and repeated flags into one list.
std::vector<std::string> split_list(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  for (const auto& item : in) {
    std::size_t start = 0;
    while (start <= item.size()) {
      std::size_t comma = item.find(',', start);
      if (comma == std::string::npos) comma = item.size();
      std::string a = item.substr(start, comma - start);
      const std::size_t b = a.find_first_not_of(" \t");
      const std::size_t e = a.find_last_not_of(" \t");
      if (b != std::string::npos) out.push_back(a.substr(b, e - b + 1));
      start = comma + 1;
    }
  }
  return out;
}

// The address of "Ann <a@example.org>" (or the whole text without angle brackets).
std::string address_of(const std::string& s) {
  const std::size_t lt = s.rfind('<');
  const std::size_t gt = s.rfind('>');
  if (lt != std::string::npos && gt != std::string::npos && gt > lt) return s.substr(lt + 1, gt - lt - 1);
  return s;
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return bool(f) || f.eof();
}

std::string content_type_for(const std::string& name) {
  const std::size_t dot = name.rfind('.');
  const std::string ext = dot == std::string::npos ? std::string() : name.substr(dot + 1);
  if (ext == "txt" || ext == "log" || ext == "csv") return "text/plain";
  if (ext == "html" || ext == "htm") return "text/html";
  if (ext == "pdf") return "application/pdf";
  if (ext == "png") return "image/png";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "json") return "application/json";
  return "application/octet-stream";
}

std::string hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

void print_result(const SendResult& r, bool verbose) {
  for (const auto& rc : r.recipients) {
    if (!rc.accepted())
      std::fprintf(stderr, "zproto mail send: %s refused: %u %s\n", rc.address.c_str(), rc.reply.code,
                   rc.reply.text.c_str());
    else if (verbose)
      std::fprintf(stderr, "zproto mail send: %s accepted: %u %s\n", rc.address.c_str(), rc.reply.code,
                   rc.reply.text.c_str());
  }
  if (verbose) std::fprintf(stderr, "zproto mail send: message: %u %s\n", r.data.code, r.data.text.c_str());
}

Task<Result<SendResult>> send_via(std::string server, const Envelope* env, const std::string* message,
                                  ClientOptions options, bool verbose) {
  auto c = co_await Client::connect(server, std::move(options));
  if (!c) {
    std::fprintf(stderr, "zproto mail send: %s: %s\n", server.c_str(), c.error().message().c_str());
    co_return c.error();
  }
  if (verbose) {
    const SessionInfo& i = c->info();
    std::fprintf(stderr, "zproto mail send: connected to %s (%s): %u %s; %s%s%s%s\n", i.server.c_str(),
                 i.addr.to_string().c_str(), i.greeting.code, i.greeting.text.c_str(), i.esmtp ? "ESMTP" : "SMTP",
                 i.tls ? (", " + i.tls_version).c_str() : "", i.authenticated ? ", AUTH " : "",
                 i.authenticated ? i.mechanism.c_str() : "");
  }
  auto r = co_await c->send(*env, *message);
  if (!r) {
    const std::string why = c->last_reply().code ? " (" + std::to_string(c->last_reply().code) + " " +
                                                       c->last_reply().text + ")"
                                                 : std::string();
    print_result(c->last_send(), false);
    std::fprintf(stderr, "zproto mail send: %s%s\n", r.error().message().c_str(), why.c_str());
    co_return r.error();
  }
  (void)co_await c->quit();
  co_return r;
}

}  // namespace

int run_send(const SendFlags& f) {
  const std::vector<std::string> to = split_list(f.to);
  const std::vector<std::string> cc = split_list(f.cc);
  const std::vector<std::string> bcc = split_list(f.bcc);
  if (to.empty() && cc.empty() && bcc.empty()) {
    std::fprintf(stderr, "zproto mail send: no recipients (--to, --cc or --bcc)\n");
    return kExitUsage;
  }
  if (f.from.empty()) {
    std::fprintf(stderr, "zproto mail send: --from is required\n");
    return kExitUsage;
  }
  if (int(f.starttls) + int(f.tls) + int(f.no_tls) > 1) {
    std::fprintf(stderr, "zproto mail send: --starttls, --tls and --no-tls exclude each other\n");
    return kExitUsage;
  }
  ClientOptions o;
  o.helo_name = f.helo.empty() ? hostname() : f.helo;
  o.tls = f.tls ? TlsMode::implicit : f.starttls ? TlsMode::required : f.no_tls ? TlsMode::off : TlsMode::opportunistic;
  o.tls_config.ca_file = f.cafile;
  o.tls_config.verify = !f.insecure;
  if (f.timeout_s > 0) {
    const std::int64_t ms = std::int64_t(f.timeout_s) * 1000;
    o.timeouts = {ms, ms, ms, ms, ms, ms};
  }
  if (!f.user.empty()) {
    Credentials c;
    c.user = f.user;
    std::string secret;
    if (!f.password_file.empty()) {
      if (!read_file(f.password_file, secret)) {
        std::fprintf(stderr, "zproto mail send: cannot read --password-file %s\n", f.password_file.c_str());
        return kExitError;
      }
      secret = secret.substr(0, secret.find_first_of("\r\n"));
    } else if (const char* env = std::getenv(f.password_env.c_str())) {
      secret = env;
    } else {
      std::fprintf(stderr, "zproto mail send: --user needs a password: set %s or give --password-file\n",
                   f.password_env.c_str());
      return kExitUsage;
    }
    if (f.mechanism == "xoauth2") {
      c.oauth_token = secret;
      c.mechanism = AuthMechanism::xoauth2;
    } else {
      c.password = secret;
      c.mechanism = f.mechanism == "plain"      ? AuthMechanism::plain
                    : f.mechanism == "login"    ? AuthMechanism::login
                    : f.mechanism == "cram-md5" ? AuthMechanism::cram_md5
                                                : AuthMechanism::automatic;
    }
    c.allow_plaintext = f.plaintext_auth;
    o.auth = c;
  }

  Compose m;
  m.from = f.from;
  m.to = to;
  m.cc = cc;
  m.subject = f.subject;
  if (f.body_given) {
    m.text = f.body;
  } else {
    m.text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  for (const auto& path : f.attach) {
    Compose::File file;
    if (!read_file(path, file.data)) {
      std::fprintf(stderr, "zproto mail send: cannot read --attach %s\n", path.c_str());
      return kExitError;
    }
    const std::size_t slash = path.rfind('/');
    file.name = slash == std::string::npos ? path : path.substr(slash + 1);
    file.content_type = content_type_for(file.name);
    m.attachments.push_back(std::move(file));
  }
  Envelope env;
  env.from = address_of(f.from);
  const std::size_t at = env.from.rfind('@');
  m.message_id_domain = at == std::string::npos ? o.helo_name : env.from.substr(at + 1);
  for (const auto* list : {&to, &cc, &bcc})
    for (const auto& a : *list) env.to.push_back(address_of(a));
  auto message = compose(m);
  if (!message) {
    std::fprintf(stderr, "zproto mail send: %s\n", message.error().message().c_str());
    return kExitUsage;
  }

  std::vector<SendResult> results;
  if (!f.server.empty()) {
    std::string server = f.server;
    const bool has_port = server.starts_with('[') ? server.find("]:") != std::string::npos
                                                  : server.find(':') != std::string::npos;
    if (!has_port) server += f.tls ? ":465" : ":25";
    const bool verbose = f.verbose;
    auto r = run_on_private_shard<SendResult>([&] { return send_via(server, &env, &*message, o, verbose); });
    if (!r) return kExitError;  // send_via said why
    results.push_back(std::move(*r));
  } else {
    auto r = send_mail_mx(env, *message, o);
    if (!r) {
      std::fprintf(stderr, "zproto mail send: %s\n", r.error().message().c_str());
      return kExitError;
    }
    results = std::move(*r);
  }
  bool partial = false;
  for (const auto& r : results) {
    print_result(r, f.verbose);
    partial = partial || r.accepted != r.recipients.size();
  }
  return partial ? kExitPartial : 0;
}

}  // namespace zp::smtp::cli
