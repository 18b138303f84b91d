// zproto: the command-line front end. Verbs parse flags and call services; no protocol
// logic lives here.
//   zproto version
//   zproto serve --config /etc/zproto/zproto.json --shards 4 --log-level debug
//   zproto get -L -o page.html http://127.0.0.1:8080/
//   zproto dig www.example.test AAAA @127.0.0.1:5353 +short
//   zproto mqtt pub -h 127.0.0.1 -t sensors/t -m 21.5 -q 1
//   zproto mqtt sub -h 127.0.0.1 -t 'sensors/#' -v -C 1
//   echo hi | zproto mail send --server 127.0.0.1:2525 --from a@example.org --to b@local.test --subject t
//
// Exit codes: 0 success, 1 runtime failure (bind error, log file, privilege drop),
// 2 usage or configuration error.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <mimalloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "config.h"
#include "dig.h"
#include "get.h"
#include "privilege.h"
#include "registry.h"
#include "zp/http/admin.h"
#include "zp/mqtt/cli.h"
#include "zp/smtp/cli.h"
#include "zp/engine/log.h"
#include "zp/engine/probe.h"
#include "zp/engine/runtime.h"

#ifndef ZP_VERSION
#define ZP_VERSION "0.0.0-dev"
#endif

namespace zp::cli {

constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

// The runtime's reload event (SIGHUP): reopen the log file for logrotate.
void on_reload() {
  ZP_LOG_INFO("reload: reopening the log file");
  log::reopen();
}

namespace {

std::string yes_no(bool b) { return b ? "yes" : "no"; }

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

int run_version() {
  const int mi = mi_version();  // also keeps libmimalloc linked under --as-needed
  fmt::print("zproto {}\n", ZP_VERSION);
  fmt::print("allocator: mimalloc {}.{}.{}\n", mi / 100, (mi % 100) / 10, mi % 10);
  const Features f = probe_features();
  fmt::print("kernel: {}\n", f.kernel_release.empty() ? "unknown" : f.kernel_release);
  fmt::print("backends:\n");
  if (f.uring_available) {
    fmt::print("  io_uring  available\n");
  } else {
    fmt::print("  io_uring  unavailable ({})\n", std::strerror(f.uring_errno));
  }
  fmt::print("  epoll     {}\n", f.epoll_available ? "available" : "unavailable");
  if (!f.uring_available) return 0;
  fmt::print("io_uring:\n");
  fmt::print("  setup SINGLE_ISSUER: {}\n", yes_no(f.single_issuer));
  fmt::print("  setup DEFER_TASKRUN: {}\n", yes_no(f.defer_taskrun));
  fmt::print("  setup COOP_TASKRUN:  {}\n", yes_no(f.coop_taskrun));
  fmt::print("  provided-buffer ring registers: {}\n", yes_no(f.buf_ring));
  fmt::print("  features: {}\n", join(f.ring_features, " "));
  fmt::print("  ops ({}): {}\n", f.ops.size(), join(f.ops, " "));
  return 0;
}

struct ServeFlags {
  std::string config_path;
  int shards = -1;  // -1: from the config
  std::string log_level;
  std::string backend;
  std::string state_dir;
  // `serve <name>`: only that service, from its flags over the config's section.
  const service::Definition* only = nullptr;
  service::Flags* only_flags = nullptr;
};

int run_serve(const ServeFlags& flags) {
  ConfigResult loaded = flags.config_path.empty() ? parse_config(default_config(), "<default config>")
                                                  : load_config_file(flags.config_path);
  if (!loaded) {
    fmt::print(stderr, "zproto: {}\n", loaded.error);
    return kExitUsage;
  }
  Config cfg = std::move(*loaded.config);
  if (flags.shards >= 0) cfg.shards = unsigned(flags.shards);
  if (!flags.log_level.empty()) cfg.log_level = *log::parse_level(flags.log_level);
  if (!flags.backend.empty()) cfg.backend = *parse_backend(flags.backend);
  if (!flags.state_dir.empty()) cfg.state_dir = flags.state_dir;
  if (cfg.state_dir.empty()) cfg.state_dir = default_state_dir();
  const auto defs = registered_services();
  if (flags.only) {
    for (size_t i = 0; i < defs.size(); ++i) {
      if (defs[i] != flags.only) cfg.services[i].reset();
    }
    const size_t i = Config::service_index(flags.only->name);
    if (std::string err = flags.only_flags->apply(cfg.services[i]); !err.empty()) {
      fmt::print(stderr, "zproto: {}\n", err);
      return kExitUsage;
    }
  }
  std::vector<service::Service*> running;
  for (auto& svc : cfg.services) {
    if (svc) running.push_back(svc.get());
  }
  if (running.empty()) {
    std::string names;
    for (const service::Definition* d : defs) names += fmt::format("{}\"{}\"", names.empty() ? "" : ", ", d->name);
    fmt::print(stderr, "zproto: nothing to serve: the config enables no service (add one of {})\n", names);
    return kExitUsage;
  }
  service::Environment env;
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  env.shards = cfg.shards ? cfg.shards : unsigned(cores > 0 ? cores : 1);
  env.state_dir = cfg.state_dir;
  // What must exist (zone files) is read before anything starts: a configuration error.
  for (service::Service* svc : running) {
    if (std::string err = svc->load(env); !err.empty()) {
      fmt::print(stderr, "zproto: {}{}", err, err.back() == '\n' ? "" : "\n");
      return kExitUsage;
    }
  }
  // One admin listener per distinct address serves the counters of every running service.
  std::vector<std::string> admin_listen;
  http::AdminOptions admin;
  for (service::Service* svc : running) {
    const std::string a = svc->admin_listen();
    if (!a.empty() && std::find(admin_listen.begin(), admin_listen.end(), a) == admin_listen.end()) {
      admin_listen.push_back(a);
    }
    if (auto m = svc->metrics()) admin.renderers.push_back(std::move(m));
  }

  // Resolve the user before anything starts, so a typo fails at once.
  std::optional<Identity> identity;
  const bool is_root = geteuid() == 0;
  if (is_root && !cfg.user.empty()) {
    IdentityResult id = resolve_identity(cfg.user, cfg.group);
    if (!id) {
      fmt::print(stderr, "zproto: {}\n", id.error);
      return kExitUsage;
    }
    identity = std::move(id.identity);
  }

  if (auto r = log::init({.level = cfg.log_level, .path = cfg.log_file}); !r) {
    fmt::print(stderr, "zproto: cannot open log file {}: {}\n", cfg.log_file, r.error().message());
    log::shutdown();
    return kExitRuntime;
  }
  log::set_thread_tag("main");
  for (service::Service* svc : running) {
    if (std::string err = svc->prepare(env); !err.empty()) {
      ZP_LOG_ERROR("{}", err);
      log::shutdown();
      return kExitRuntime;
    }
  }
  ZP_LOG_INFO("zproto {} starting: {} shards, backend {}", ZP_VERSION,
              cfg.shards == 0 ? std::string("auto") : std::to_string(cfg.shards), backend_name(cfg.backend));
  for (service::Service* svc : running) ZP_LOG_INFO("{}", svc->summary());
  if (!is_root && !cfg.user.empty()) {
    ZP_LOG_WARN("\"user\": \"{}\" is ignored: zproto is not running as root", cfg.user);
  }

  RuntimeOptions opts;
  opts.shards = cfg.shards;
  opts.backend = cfg.backend;
  Runtime* runtime = nullptr;
  opts.after_setup = [&]() -> Result<void> {
    if (const BackendInfo* info = runtime->backend_info()) {
      const std::string& fallback = runtime->shard(0).backend().fallback();
      ZP_LOG_INFO("backend {} ({}){}{}", info->name, info->features,
                  fallback.empty() ? std::string() : "; chosen because " + fallback,
                  info->degraded.empty() ? std::string() : "; degraded: " + info->degraded);
    }
    if (!identity) return {};
    if (auto r = drop_privileges(*identity); !r) {
      ZP_LOG_ERROR("cannot drop privileges to user {} (uid {}), group {} (gid {}): {}",
                   identity->user, identity->uid, identity->group, identity->gid,
                   r.error().message());
      return r;
    }
    ZP_LOG_INFO("dropped privileges: now user {} (uid {}), group {} (gid {}) with its "
                "supplementary groups", identity->user, identity->uid, identity->group,
                identity->gid);
    return {};
  };

  Runtime rt(std::move(opts));
  runtime = &rt;
  Result<void> result = rt.run([&](Shard& shard) -> Result<void> {
    log::set_thread_tag(fmt::format("shard {}", shard.id()));
    if (shard.id() == 0) shard.on_reload(on_reload);  // one reopen per SIGHUP is enough
    for (service::Service* svc : running) {
      if (auto r = svc->start(shard); !r) return r;
    }
    if (shard.id() == 0) {
      for (const std::string& a : admin_listen) {
        admin.listen = a;
        if (auto r = http::start_admin(shard, admin); !r) return r.error();
      }
    }
    return {};
  });
  int code = 0;
  if (!result) {
    ZP_LOG_ERROR("zproto stopped: {}", result.error().message());
    code = kExitRuntime;
  } else {
    ZP_LOG_INFO("zproto stopped");
  }
  log::shutdown();
  return code;
}

int run_main(int argc, char** argv) {
  CLI::App app{"zproto: network protocol servers, clients and load generators on one engine"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(ZP_VERSION));

  app.add_subcommand("version", "Print the version, the allocator and this machine's I/O backends");

  ServeFlags flags;
  CLI::App* serve = app.add_subcommand("serve", "Run the configured servers until SIGINT/SIGTERM");
  serve->add_option("-c,--config", flags.config_path,
                    "JSON config file (default: echo on 127.0.0.1:7007)");
  serve->add_option("-s,--shards", flags.shards, "Shards (threads); 0 = one per core")
      ->check(CLI::Range(0, int(kMaxShards)));
  serve->add_option("-l,--log-level", flags.log_level, "trace, debug, info, warn, error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  serve->add_option("-b,--backend", flags.backend, "auto, io_uring or epoll")
      ->check(CLI::IsMember({"auto", "io_uring", "epoll"}));
  serve->add_option("--state-dir", flags.state_dir, "Directory for generated state (the self-signed certificate)");
  // One subcommand per registered service, with the flags its Definition declares; flags
  // of `serve` may also follow it on the command line.
  std::vector<std::pair<CLI::App*, std::unique_ptr<service::Flags>>> serve_commands;
  for (const service::Definition* d : registered_services()) {
    CLI::App* cmd = serve->add_subcommand(std::string(d->name), std::string(d->help));
    serve_commands.emplace_back(cmd, d->add_flags(*cmd));
    cmd->fallthrough();
  }

  GetFlags get_flags;
  CLI::App* get = app.add_subcommand("get", "HTTP/1.1 request, curl-style: prints the body (see docs/http-client.md)");
  get->add_option("url", get_flags.url, "http:// or https:// URL (a URL without scheme gets http://)")->required();
  get->add_option("-o,--output", get_flags.output, "Write the body to FILE instead of stdout");
  get->add_flag("-I,--head", get_flags.head, "HEAD request; print the response head");
  get->add_option("-H,--header", get_flags.headers, "Extra header 'Name: value' (repeatable)")
      ->allow_extra_args(false);
  get->add_option("-d,--data", get_flags.data,
                  "POST DATA as application/x-www-form-urlencoded (repeatable, joined by &; @FILE reads it)")
      ->allow_extra_args(false);
  get->add_option("-X,--request", get_flags.method, "Request method (GET, HEAD, POST, PUT, PATCH, DELETE...)");
  get->add_flag("-L,--location", get_flags.follow, "Follow redirects (at most 10)");
  get->add_flag("-v,--verbose", get_flags.verbose, "Print request and response heads on stderr");
  get->add_option("-m,--max-time", get_flags.max_time_s, "Seconds the whole transfer may take")
      ->check(CLI::PositiveNumber);
  get->add_option("--cacert", get_flags.cacert, "https: trust this CA bundle (PEM) instead of the system's");
  get->add_flag("-k,--insecure", get_flags.insecure, "https: accept any certificate and name (NOT SAFE)");
  get->add_option("-E,--cert", get_flags.cert, "https: client certificate (PEM)");
  get->add_option("--key", get_flags.key, "https: client certificate's private key (PEM)");

  DigFlags dig_flags;
  CLI::App* dig = app.add_subcommand("dig", "DNS query, dig-style: NAME [TYPE] [@SERVER[:PORT]] [+tcp] [+short] (see docs/dns_resolver.md)");
  dig->add_option("args", dig_flags.args, "NAME, TYPE, @SERVER[:PORT], +tcp, +short, +norec, +noedns, +time=S, +tries=N")
      ->required();
  dig->add_option("--resolv-conf", dig_flags.resolv_conf, "Servers from this file when no @SERVER is given");

  // mosquitto_pub/mosquitto_sub's flags: -h is the host there, so help is --help only.
  CLI::App* mqtt_cmd = app.add_subcommand("mqtt", "MQTT client verbs: pub and sub, mosquitto_pub/sub-style");
  mqtt_cmd->require_subcommand(1);
  auto add_common = [](CLI::App* c, zp::mqtt::cli::CommonFlags& f) {
    c->set_help_flag("--help", "Print this help message and exit");
    c->add_option("-h,--host", f.host, "Broker host: an address or a name (hosts file, then DNS; default localhost)");
    c->add_option("-p,--port", f.port, "Broker port (default 1883; 8883 with TLS)")->check(CLI::Range(1, 65535));
    c->add_option("-q,--qos", f.qos, "QoS 0, 1 or 2")->check(CLI::Range(0, 2));
    c->add_option("-i,--id", f.id, "Client id (default zproto-pub|sub-PID)");
    c->add_option("-u,--username", f.username, "User name");
    c->add_option("-P,--pw", f.password, "Password");
    c->add_option("-k,--keepalive", f.keepalive, "Keepalive in seconds (default 60)")->check(CLI::Range(0, 65535));
    c->add_option("-V,--protocol-version", f.version, "311, 5, mqttv311 or mqttv5 (default 311)")
        ->check(CLI::IsMember({"311", "5", "mqttv311", "mqttv5"}));
    c->add_option("--will-topic", f.will_topic, "Will: published by the broker if we vanish without DISCONNECT");
    c->add_option("--will-payload", f.will_payload, "Will message");
    c->add_option("--will-qos", f.will_qos, "Will QoS 0, 1 or 2")->check(CLI::Range(0, 2));
    c->add_flag("--will-retain", f.will_retain, "Will is retained");
    c->add_flag("--tls", f.tls, "TLS, verified against the system's CAs");
    c->add_option("--cafile", f.cafile, "TLS, verified against the CAs in this PEM file");
    c->add_flag("--insecure", f.insecure, "TLS without checking the certificate or its name");
    c->add_option("-L,--url", f.url, "mqtt(s)://[USER[:PASS]@]HOST[:PORT]/TOPIC instead of -h -p -u -P -t");
  };
  zp::mqtt::cli::PubFlags pub_flags;
  CLI::App* pub = mqtt_cmd->add_subcommand("pub", "Publish: -t TOPIC (-m MSG | -n | -l | -s) [-q QOS] [-r]");
  add_common(pub, pub_flags);
  pub->add_option("-t,--topic", pub_flags.topic, "Topic to publish to (or -L)");
  pub->add_option("-m,--message", pub_flags.message, "The message")->allow_extra_args(false);
  pub->add_flag("-n,--null-message", pub_flags.null_message, "An empty (zero-length) message");
  pub->add_flag("-l,--stdin-line", pub_flags.stdin_line, "Each line of stdin is a message");
  pub->add_flag("-s,--stdin-file", pub_flags.stdin_file, "The whole of stdin is one message");
  pub->add_flag("-r,--retain", pub_flags.retain, "Retained message");
  zp::mqtt::cli::SubFlags sub_flags;
  CLI::App* sub = mqtt_cmd->add_subcommand("sub", "Subscribe and print messages: -t FILTER... [-C COUNT] [-v] [-W SECONDS]");
  add_common(sub, sub_flags);
  sub->add_option("-t,--topic", sub_flags.topics, "Topic filter (repeatable; or -L)")->allow_extra_args(false);
  sub->add_option("-C,--count", sub_flags.count, "Exit after COUNT messages")->check(CLI::NonNegativeNumber);
  sub->add_flag("-v,--verbose", sub_flags.verbose, "Print \"topic payload\"");
  sub->add_option("-W,--timeout", sub_flags.timeout_s, "Exit with code 27 after SECONDS")->check(CLI::NonNegativeNumber);
  sub->add_flag("-c,--disable-clean-session", sub_flags.persistent, "Persistent session (needs -i)");

  CLI::App* mail_cmd = app.add_subcommand("mail", "SMTP client verbs: send (mail(1)-style)");
  mail_cmd->require_subcommand(1);
  zp::smtp::cli::SendFlags mail_flags;
  CLI::App* send = mail_cmd->add_subcommand(
      "send", "Send a message: --from ADDR --to ADDR... [--subject S] [--attach FILE]... body on stdin unless --body");
  send->add_option("--to", mail_flags.to, "Recipient (repeatable, or comma-separated)")->allow_extra_args(false);
  send->add_option("--cc", mail_flags.cc, "Copy recipient (Cc: header and envelope)")->allow_extra_args(false);
  send->add_option("--bcc", mail_flags.bcc, "Blind copy recipient (envelope only)")->allow_extra_args(false);
  send->add_option("--from", mail_flags.from, "Sender: ADDR or 'Name <ADDR>' (From: header and envelope)");
  send->add_option("-s,--subject", mail_flags.subject, "Subject (UTF-8)");
  send->add_option("--body", mail_flags.body, "The text of the message (default: read from standard input)");
  send->add_option("-a,--attach", mail_flags.attach, "Attach FILE (repeatable)")->allow_extra_args(false);
  send->add_option("--server", mail_flags.server,
                   "HOST[:PORT] smarthost (default port 25, 465 with --tls); without it each recipient "
                   "domain's MX hosts (fallback A/AAAA)");
  send->add_flag("--starttls", mail_flags.starttls, "Require STARTTLS: fail rather than send in plaintext");
  send->add_flag("--tls", mail_flags.tls, "Implicit TLS from the first byte (RFC 8314, port 465)");
  send->add_flag("--no-tls", mail_flags.no_tls, "Never STARTTLS (default: STARTTLS when offered)");
  send->add_option("--cafile", mail_flags.cafile, "TLS: trust the CAs in this PEM file instead of the system's");
  send->add_flag("--insecure", mail_flags.insecure, "TLS without checking the certificate or its name (NOT SAFE)");
  send->add_option("-u,--user", mail_flags.user,
                   "AUTH as USER; the password comes from $ZPROTO_SMTP_PASSWORD (or --password-env/--password-file)");
  send->add_option("--password-env", mail_flags.password_env, "Environment variable holding the password or token");
  send->add_option("--password-file", mail_flags.password_file, "File whose first line is the password or token");
  send->add_option("--auth", mail_flags.mechanism, "SASL mechanism: auto, plain, login, cram-md5, xoauth2")
      ->check(CLI::IsMember({"auto", "plain", "login", "cram-md5", "xoauth2"}));
  send->add_flag("--allow-plaintext-auth", mail_flags.plaintext_auth, "Send credentials without TLS (NOT SAFE)");
  send->add_option("--helo", mail_flags.helo, "EHLO/HELO name (default: this host's name)");
  send->add_option("--timeout", mail_flags.timeout_s, "Seconds per step (default RFC 5321's: 5 min, 10 min after the data)")
      ->check(CLI::PositiveNumber);
  send->add_flag("-v,--verbose", mail_flags.verbose, "The session and every reply on stderr");
  send->footer("Exit codes: 0 delivered, 1 failure, 2 usage error, 3 some recipients refused.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, the version or the error
    return code == 0 ? 0 : kExitUsage;
  }
  if (app.got_subcommand("version")) return run_version();
  if (app.got_subcommand(get)) return run_get(get_flags);
  if (app.got_subcommand(dig)) return run_dig(dig_flags);
  if (mqtt_cmd->got_subcommand(pub)) return zp::mqtt::cli::run_pub(pub_flags);
  if (mqtt_cmd->got_subcommand(sub)) return zp::mqtt::cli::run_sub(sub_flags);
  if (mail_cmd->got_subcommand(send)) {
    mail_flags.body_given = send->count("--body") > 0;
    return zp::smtp::cli::run_send(mail_flags);
  }
  if (app.got_subcommand(serve)) {
    for (size_t i = 0; i < serve_commands.size(); ++i) {
      if (serve->got_subcommand(serve_commands[i].first)) {
        flags.only = registered_services()[i];
        flags.only_flags = serve_commands[i].second.get();
      }
    }
    return run_serve(flags);
  }
  return kExitUsage;
}

}  // namespace
}  // namespace zp::cli

int main(int argc, char** argv) {
  try {
    return zp::cli::run_main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zproto: fatal: %s\n", e.what());
    return 1;
  }
}
