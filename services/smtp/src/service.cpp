#include "zp/smtp/service.h"

#include <CLI/CLI.hpp>

#include "zp/codec/smtp/command.h"
#include "zp/service/tls_config.h"

namespace zp::smtp {

namespace {

bool parse_domains(service::ConfigReader& r, const service::Node& n, std::vector<std::string>& out) {
  out.clear();
  return r.array(n, "an array of domain names", [&](const service::Node& e) {
    std::string d;
    if (!r.string(e, d)) return false;
    if (!codec::smtp::valid_domain(d)) return r.invalid(e, "not a domain name");
    out.push_back(ascii_lower(d));
    return true;
  });
}

bool parse_networks(service::ConfigReader& r, const service::Node& n, std::vector<Network>& out) {
  out.clear();
  return r.array(n, "an array of networks (CIDR)", [&](const service::Node& e) {
    std::string s;
    if (!r.string(e, s)) return false;
    auto net = Network::parse(s);
    if (!net) return r.invalid(e, "not an address or CIDR network (\"192.0.2.0/24\", \"2001:db8::/32\")");
    out.push_back(*net);
    return true;
  });
}

// "user@domain" or "@domain" -> directory.
bool parse_mailboxes(service::ConfigReader& r, const service::Node& n, Policy& p) {
  return r.object(n, [&](const service::Node& f, std::string_view key) {
    const std::size_t at = key.rfind('@');
    if (at == std::string_view::npos || at + 1 == key.size() ||
        !codec::smtp::valid_domain(key.substr(at + 1)))
      return r.invalid(f, "must be \"user@domain\" or \"@domain\" (a catch-all)");
    std::string dir;
    if (!r.string(f, dir)) return false;
    if (dir.empty()) return r.invalid(f, "must name a Maildir directory");
    p.mailboxes[ascii_lower(key)] = dir;
    return true;
  });
}

std::unique_ptr<service::Service> parse(service::ConfigReader& r, const service::Node& section) {
  auto svc = std::make_unique<SmtpService>();
  auto& o = svc->options;
  const char* tls_node = nullptr;
  const bool ok = r.object(section, [&](const service::Node& f, std::string_view key) {
    if (key == "listen") return r.host_ports(f, o.listen);
    if (key == "tls_listen") return r.host_ports(f, o.tls_listen);
    if (key == "tls") {
      tls_node = f.at;
      return service::parse_tls_server(r, f, o.tls, nullptr);
    }
    if (key == "admin_listen") return r.host_port(f, svc->admin);
    if (key == "hostname") {
      if (!r.string(f, o.hostname)) return false;
      if (!codec::smtp::valid_domain(o.hostname)) return r.invalid(f, "not a domain name");
      return true;
    }
    if (key == "domains") return parse_domains(r, f, o.policy.domains);
    if (key == "maildir") {
      if (!r.string(f, svc->maildir)) return false;
      if (svc->maildir.empty()) return r.invalid(f, "must name a directory");
      return true;
    }
    if (key == "mailboxes") return parse_mailboxes(r, f, o.policy);
    if (key == "relay_networks") return parse_networks(r, f, o.policy.relay_networks);
    if (key == "max_message_bytes") return r.count_at_least(f, o.limits.max_message_bytes, 1024, uint64_t{1} << 36);
    if (key == "max_recipients") return r.count_at_least(f, o.limits.max_recipients, 1, 100000);
    if (key == "max_errors") return r.count_at_least(f, o.limits.max_errors, 1, 100000);
    if (key == "command_timeout_ms") return r.count_at_least(f, o.limits.command_timeout_ms, 1, 3600000);
    if (key == "data_timeout_ms") return r.count_at_least(f, o.limits.data_timeout_ms, 1, 3600000);
    if (key == "auth_failure_delay_ms") return r.count(f, o.limits.auth_failure_delay_ms, 60000);
    if (key == "max_connections") return r.count_at_least(f, o.max_connections, 1, 10000000);
    if (key == "delivery_threads") return r.count_at_least(f, o.delivery_threads, 1, 256);
    if (key == "password_file") {
      if (!r.string(f, svc->password_file)) return false;
      if (svc->password_file.empty()) return r.invalid(f, "must name a password file");
      return true;
    }
    if (key == "auth_plaintext") return r.boolean(f, o.auth_plaintext);
    if (key == "relay_queue") {
      if (!r.string(f, o.relay_queue)) return false;
      if (o.relay_queue.empty()) return r.invalid(f, "must name a Maildir directory");
      return true;
    }
    return r.unknown_key(f, section.path,
                         {"listen", "tls_listen", "tls", "admin_listen", "hostname", "domains", "maildir", "mailboxes",
                          "relay_networks", "max_message_bytes", "max_recipients", "max_errors",
                          "command_timeout_ms", "data_timeout_ms", "max_connections", "delivery_threads",
                          "password_file", "auth_plaintext", "relay_queue", "auth_failure_delay_ms"});
  });
  if (!ok) return nullptr;
  if (o.listen.empty() && o.tls_listen.empty()) {
    r.invalid(section, "\"listen\" (or \"tls_listen\") must name at least one address");
    return nullptr;
  }
  if (o.policy.domains.empty()) {
    r.invalid(section, "\"domains\" must name at least one local domain");
    return nullptr;
  }
  for (const auto& [key, dir] : o.policy.mailboxes) {
    if (!o.policy.is_local(key.substr(key.rfind('@') + 1))) {
      r.invalid(section, "mailbox \"" + key + "\" is not in a local domain (\"domains\")");
      return nullptr;
    }
  }
  if (svc->maildir.empty() && o.policy.mailboxes.empty()) {
    r.invalid(section, "\"maildir\" or \"mailboxes\" must say where mail goes");
    return nullptr;
  }
  if (!o.tls_listen.empty() && o.tls.certs.empty()) {
    r.invalid(section, "\"tls_listen\" needs \"tls\": {\"cert\": ..., \"key\": ...}");
    return nullptr;
  }
  (void)tls_node;  // "tls" alone is fine: it enables STARTTLS
  if (!svc->password_file.empty() && o.tls.certs.empty() && !o.auth_plaintext) {
    r.invalid(section, "\"password_file\" needs \"tls\" (AUTH is offered only over TLS) or \"auth_plaintext\": true");
    return nullptr;
  }
  if (svc->password_file.empty() && o.auth_plaintext) {
    r.invalid(section, "\"auth_plaintext\" needs \"password_file\"");
    return nullptr;
  }
  return svc;
}

class SmtpFlags final : public service::Flags {
 public:
  explicit SmtpFlags(CLI::App& cmd) {
    cmd.add_option("--listen", listen_, "HOST:PORT to listen on (repeatable; default 127.0.0.1:2525)");
    cmd.add_option("-p,--port", port_, "Shorthand for --listen 0.0.0.0:PORT")->check(CLI::Range(1, 65535));
    cmd.add_option("--domain", domains_, "Local domain (repeatable)");
    cmd.add_option("--maildir", maildir_, "Maildir for every local recipient (the domains' catch-all)");
    cmd.add_option("--relay-network", relay_, "CIDR allowed to relay (repeatable; default none)");
    cmd.add_option("--hostname", hostname_, "Name in the greeting and Received: (default: the host name)");
    cmd.add_option("--max-message-bytes", max_message_, "Largest message (SIZE)")->check(CLI::Range(1024.0, 68719476736.0));
    cmd.add_option("--admin", admin_, "HOST:PORT of the admin listener (GET /metrics)");
    cmd.add_option("--tls-listen", tls_listen_, "HOST:PORT for implicit TLS (RFC 8314; needs --tls-cert/--tls-key)");
    cmd.add_option("--tls-cert", tls_cert_, "Certificate chain (PEM): enables STARTTLS");
    cmd.add_option("--tls-key", tls_key_, "Private key (PEM) of --tls-cert");
    cmd.add_option("--password-file", password_file_,
                   "Users for AUTH PLAIN/LOGIN (mosquitto_passwd format); offered after TLS only");
    cmd.add_flag("--auth-plaintext", auth_plaintext_, "Offer AUTH without TLS too (passwords in clear)");
    cmd.add_option("--relay-queue", relay_queue_, "Maildir for mail to relayed recipients (authenticated clients)");
  }
  std::string apply(std::unique_ptr<service::Service>& svc) override {
    if (!svc) {
      auto m = std::make_unique<SmtpService>();
      m->options.listen = {"127.0.0.1:2525"};
      svc = std::move(m);
    }
    auto& m = static_cast<SmtpService&>(*svc);
    auto& o = m.options;
    if (std::string err = service::check_socket_addrs("--listen", listen_); !err.empty()) return err;
    if (!listen_.empty()) o.listen = listen_;
    if (port_ > 0) o.listen = {"0.0.0.0:" + std::to_string(port_)};
    if (!admin_.empty()) {
      if (std::string err = service::check_socket_addrs("--admin", {admin_}); !err.empty()) return err;
      m.admin = admin_;
    }
    if (!domains_.empty()) {
      o.policy.domains.clear();
      for (const auto& d : domains_) {
        if (!codec::smtp::valid_domain(d)) return "--domain " + d + ": not a domain name";
        o.policy.domains.push_back(ascii_lower(d));
      }
    }
    if (!maildir_.empty()) m.maildir = maildir_;
    if (!relay_.empty()) {
      o.policy.relay_networks.clear();
      for (const auto& n : relay_) {
        auto net = Network::parse(n);
        if (!net) return "--relay-network " + n + ": not an address or CIDR network";
        o.policy.relay_networks.push_back(*net);
      }
    }
    if (!hostname_.empty()) {
      if (!codec::smtp::valid_domain(hostname_)) return "--hostname " + hostname_ + ": not a domain name";
      o.hostname = hostname_;
    }
    if (max_message_ > 0) o.limits.max_message_bytes = max_message_;
    if (tls_cert_.empty() != tls_key_.empty()) return "--tls-cert and --tls-key go together";
    if (!tls_cert_.empty()) o.tls.certs = {{tls_cert_, tls_key_}};
    if (std::string err = service::check_socket_addrs("--tls-listen", tls_listen_); !err.empty()) return err;
    if (!tls_listen_.empty()) o.tls_listen = tls_listen_;
    if (!o.tls_listen.empty() && o.tls.certs.empty()) return "--tls-listen needs --tls-cert and --tls-key";
    if (!password_file_.empty()) m.password_file = password_file_;
    if (auth_plaintext_) o.auth_plaintext = true;
    if (!relay_queue_.empty()) o.relay_queue = relay_queue_;
    if (!m.password_file.empty() && o.tls.certs.empty() && !o.auth_plaintext)
      return "--password-file needs --tls-cert/--tls-key (AUTH only over TLS) or --auth-plaintext";
    if (m.password_file.empty() && o.auth_plaintext) return "--auth-plaintext needs --password-file";
    if (o.policy.domains.empty()) return "smtp needs a local domain: --domain D";
    if (m.maildir.empty() && o.policy.mailboxes.empty()) return "smtp needs --maildir DIR";
    return {};
  }

 private:
  std::vector<std::string> listen_, domains_, relay_, tls_listen_;
  std::string maildir_, hostname_, admin_, tls_cert_, tls_key_, password_file_, relay_queue_;
  bool auth_plaintext_ = false;
  int port_ = 0;
  std::uint64_t max_message_ = 0;
};

}  // namespace

std::string SmtpService::load(const service::Environment&) {
  if (!maildir.empty())
    for (const std::string& d : options.policy.domains) options.policy.mailboxes.try_emplace("@" + d, maildir);
  if (!password_file.empty()) {
    auto pw = std::make_shared<service::PasswordFile>();
    if (std::string e = service::PasswordFile::load(password_file, {}, *pw); !e.empty()) return "smtp: " + e;
    options.passwords = std::move(pw);
  }
  std::string err;
  auto s = Server::create(options, &err);
  if (!s) return "smtp: " + (err.empty() ? s.error().message() : err);
  server_ = std::move(*s);
  return {};
}

Result<void> SmtpService::start(Shard& shard) { return server_->start(shard); }

std::string SmtpService::summary() const {
  std::string s = options.listen.empty() ? "smtp" : "smtp on " + service::join_addresses(options.listen);
  if (!options.tls_listen.empty())
    s += (options.listen.empty() ? " over TLS on " : ", over TLS on ") + service::join_addresses(options.tls_listen);
  std::string doms;
  for (const auto& d : options.policy.domains) doms += (doms.empty() ? "" : ", ") + d;
  return s + " for " + doms;
}

std::function<std::string()> SmtpService::metrics() const {
  if (!server_) return {};
  return [s = server_] { return s->counters().render(); };
}

const service::Definition& service_definition() {
  static const service::Definition def{
      .name = "smtp",
      .help = "SMTP receiving server delivering into Maildir (a 250 means fsynced)",
      .default_config = "",
      .parse = parse,
      .add_flags = service::make_flags<SmtpFlags>,
  };
  return def;
}

}  // namespace zp::smtp
