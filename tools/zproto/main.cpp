// zproto: the command-line front end. Verbs parse flags and call services; no protocol
// logic lives here.
//   zproto version
//   zproto serve --config /etc/zproto/zproto.json --shards 4 --log-level debug
//   zproto get -L -o page.html http://127.0.0.1:8080/
//   zproto dig www.example.test AAAA @127.0.0.1:5353 +short
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
#include "zp/dns/acl.h"
#include "zp/dns/server.h"
#include "zp/echo/echo.h"
#include "zp/http/admin.h"
#include "zp/http/server.h"
#include "zp/engine/net.h"
#include "zp/engine/log.h"
#include "zp/engine/probe.h"
#include "zp/engine/runtime.h"
#include "zp/engine/tls.h"

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
  // `serve http`: only the HTTP server, from these flags (over the config's "http").
  bool http_only = false;
  std::string http_root;
  std::vector<std::string> http_listen;
  int http_port = 0;
  std::string http_cache_control;
  std::string http_admin;
  bool http_tls = false;         // --tls: the --listen addresses speak HTTPS
  std::string http_tls_cert;     // --tls-cert/--tls-key (imply --tls)
  std::string http_tls_key;
  std::string http_tls_client_ca;
  std::string state_dir;
  // `serve dns`: only the DNS server, zones and addresses from these flags.
  bool dns_only = false;
  std::vector<std::string> dns_zones;  // "NAME=FILE"
  std::vector<std::string> dns_listen;
  int dns_port = 0;
  std::string dns_admin;
  int dns_rrl = -1;  // -1: from the config
  std::vector<std::string> dns_allow_transfer;  // applied to every zone
  std::vector<std::string> dns_notify;          // applied to every zone
};

int run_serve(const ServeFlags& flags) {
  ConfigResult loaded = flags.config_path.empty() ? parse_config(kDefaultConfig, "<default config>")
                                                  : load_config_file(flags.config_path);
  if (!loaded) {
    fmt::print(stderr, "zproto: {}\n", loaded.error);
    return kExitUsage;
  }
  Config cfg = std::move(*loaded.config);
  if (flags.shards >= 0) cfg.shards = unsigned(flags.shards);
  if (!flags.log_level.empty()) cfg.log_level = *log::parse_level(flags.log_level);
  if (!flags.backend.empty()) cfg.backend = *parse_backend(flags.backend);
  if (flags.http_only) {
    cfg.echo.reset();
    cfg.dns.reset();
    if (!cfg.http) cfg.http.emplace();
    if (!flags.http_root.empty()) cfg.http->root = flags.http_root;
    if (!flags.http_listen.empty()) cfg.http->listen = flags.http_listen;
    if (flags.http_port > 0) cfg.http->listen = {"0.0.0.0:" + std::to_string(flags.http_port)};
    if (!flags.http_cache_control.empty()) cfg.http->cache_control = flags.http_cache_control;
    if (flags.http_tls_cert.empty() != flags.http_tls_key.empty()) {
      fmt::print(stderr, "zproto: --tls-cert and --tls-key go together\n");
      return kExitUsage;
    }
    if (flags.http_tls || !flags.http_tls_cert.empty()) {
      // The listen addresses (flags, or the config's plain ones) become HTTPS listeners.
      tls::ServerConfig tc;
      if (!flags.http_tls_cert.empty()) tc.certs = {{flags.http_tls_cert, flags.http_tls_key}};
      tc.client_ca_file = flags.http_tls_client_ca;
      std::vector<std::string> addrs = cfg.http->listen;
      if (flags.http_listen.empty() && flags.http_port == 0 && !cfg.http->tls_listen.empty()) addrs.clear();
      cfg.http->tls_listen.clear();
      for (auto& a : addrs) cfg.http->tls_listen.push_back({a, tc});
      if (cfg.http->tls_listen.empty()) cfg.http->tls_listen.push_back({"127.0.0.1:8443", tc});
      cfg.http->listen.clear();
    } else if (!flags.http_listen.empty() || flags.http_port > 0) {
      cfg.http->tls_listen.clear();  // only what the flags name
    }
    for (const auto& a : cfg.http->listen) {
      if (!SocketAddr::parse(a)) {
        fmt::print(stderr, "zproto: --listen {}: not HOST:PORT\n", a);
        return kExitUsage;
      }
    }
  }
  if (flags.dns_only) {
    cfg.echo.reset();
    cfg.http.reset();
    if (!cfg.dns) cfg.dns.emplace();
    if (!flags.dns_zones.empty()) {
      cfg.dns->zones.clear();
      for (const auto& z : flags.dns_zones) {
        const size_t eq = z.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == z.size()) {
          fmt::print(stderr, "zproto: --zone {}: not NAME=FILE\n", z);
          return kExitUsage;
        }
        dns::ZoneConfig zc;
        zc.name = z.substr(0, eq);
        zc.file = z.substr(eq + 1);
        cfg.dns->zones.push_back(std::move(zc));
      }
    }
    if (!flags.dns_listen.empty()) cfg.dns->listen = flags.dns_listen;
    if (flags.dns_port > 0) cfg.dns->listen = {"0.0.0.0:" + std::to_string(flags.dns_port)};
    if (cfg.dns->listen.empty()) cfg.dns->listen = {"127.0.0.1:5353"};
    if (!flags.dns_admin.empty()) {
      if (!is_host_port(flags.dns_admin)) {
        fmt::print(stderr, "zproto: --admin {}: not HOST:PORT\n", flags.dns_admin);
        return kExitUsage;
      }
      cfg.dns->admin_listen = flags.dns_admin;
    }
    if (flags.dns_rrl >= 0) cfg.dns->rrl.responses_per_second = uint32_t(flags.dns_rrl);
    if (cfg.dns->zones.empty()) {
      fmt::print(stderr, "zproto: serve dns: no zone (--zone NAME=FILE)\n");
      return kExitUsage;
    }
    for (const auto& p : flags.dns_allow_transfer) {
      if (!dns::Prefix::parse(p)) {
        fmt::print(stderr, "zproto: --allow-transfer {}: not an IP address or prefix (like 10.0.0.0/8)\n", p);
        return kExitUsage;
      }
    }
    for (const auto& a : flags.dns_notify) {
      if (!SocketAddr::parse(a)) {
        fmt::print(stderr, "zproto: --notify {}: not HOST:PORT\n", a);
        return kExitUsage;
      }
    }
    for (auto& z : cfg.dns->zones) {
      z.allow_transfer.insert(z.allow_transfer.end(), flags.dns_allow_transfer.begin(), flags.dns_allow_transfer.end());
      z.notify.insert(z.notify.end(), flags.dns_notify.begin(), flags.dns_notify.end());
    }
    for (const auto& a : cfg.dns->listen) {
      if (!SocketAddr::parse(a)) {
        fmt::print(stderr, "zproto: --listen {}: not HOST:PORT\n", a);
        return kExitUsage;
      }
    }
  }
  // Zones are read before anything starts: a broken zone file is a configuration error.
  dns::ServerOptions dns_opts;
  if (cfg.dns) {
    dns_opts.store = std::make_shared<dns::ZoneStore>(cfg.dns->zones, cfg.dns->history);
    if (std::string errors = dns_opts.store->load(); !errors.empty()) {
      fmt::print(stderr, "zproto: {}", errors);
      return kExitUsage;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    dns_opts.metrics = std::make_shared<dns::Metrics>(cfg.shards ? cfg.shards : unsigned(cores > 0 ? cores : 1));
    dns_opts.listen = cfg.dns->listen;
    dns_opts.tcp_idle_timeout_ms = cfg.dns->tcp_idle_timeout_ms;
    dns_opts.tcp_max_connections = cfg.dns->tcp_max_connections;
    dns_opts.tcp_max_message_bytes = cfg.dns->tcp_max_message_bytes;
    dns_opts.udp_payload_size = cfg.dns->udp_payload_size;
    dns_opts.rrl = cfg.dns->rrl;
    dns_opts.xfr_max_concurrent = cfg.dns->xfr_max_concurrent;
    dns_opts.xfr_send_timeout_ms = cfg.dns->xfr_send_timeout_ms;
    dns_opts.xfr_max_message_bytes = cfg.dns->xfr_max_message_bytes;
    dns_opts.notify = cfg.dns->notify;
  }
  if (!flags.state_dir.empty()) cfg.state_dir = flags.state_dir;
  if (cfg.http) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cfg.http->metrics = std::make_shared<http::Metrics>(cfg.shards ? cfg.shards : unsigned(cores > 0 ? cores : 1));
    if (!flags.http_admin.empty()) cfg.http->admin_listen = flags.http_admin;
  }
  // One admin listener per distinct address serves the counters of every service that runs
  // (the services' own admin_listen is not used: HTTP's would show HTTP's counters only).
  std::vector<std::string> admin_listen;
  http::AdminOptions admin;
  if (cfg.http) {
    if (!cfg.http->admin_listen.empty()) admin_listen.push_back(cfg.http->admin_listen);
    cfg.http->admin_listen.clear();
    admin.renderers.push_back([m = cfg.http->metrics] { return m->render(); });
  }
  if (cfg.dns) {
    const std::string& a = cfg.dns->admin_listen;
    if (!a.empty() && std::find(admin_listen.begin(), admin_listen.end(), a) == admin_listen.end()) {
      admin_listen.push_back(a);
    }
    admin.renderers.push_back([m = dns_opts.metrics] { return m->render(); });
  }
  if (!cfg.echo && !cfg.http && !cfg.dns) {
    fmt::print(stderr, "zproto: nothing to serve: the config enables no service (add \"echo\", \"http\" or \"dns\")\n");
    return kExitUsage;
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
  if (cfg.http) {
    if (std::string err = ensure_self_signed(cfg.http->tls_listen, cfg.state_dir); !err.empty()) {
      ZP_LOG_ERROR("{}", err);
      log::shutdown();
      return kExitRuntime;
    }
  }
  ZP_LOG_INFO("zproto {} starting: {} shards, backend {}{}{}", ZP_VERSION,
              cfg.shards == 0 ? std::string("auto") : std::to_string(cfg.shards),
              backend_name(cfg.backend), cfg.echo ? ", echo on " + join(cfg.echo->listen, ", ") : "",
              cfg.http && !cfg.http->listen.empty() ? ", http on " + join(cfg.http->listen, ", ") + " from " + cfg.http->root : "");
  if (cfg.http && !cfg.http->tls_listen.empty()) {
    std::vector<std::string> addrs;
    for (const auto& t : cfg.http->tls_listen) addrs.push_back(t.address);
    ZP_LOG_INFO("https on {}", join(addrs, ", "));
  }
  if (cfg.dns) ZP_LOG_INFO("dns on {} (udp+tcp), {} zone(s)", join(cfg.dns->listen, ", "), cfg.dns->zones.size());
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
    if (cfg.echo) {
      const std::vector<std::string>& listen = cfg.echo->listen;
      if (auto r = echo::start(shard, listen); !r) {
        ZP_LOG_ERROR("echo: cannot listen on {}: {}", join(listen, ", "), r.error().message());
        return r;
      }
    }
    if (cfg.http) {
      if (auto r = http::start(shard, *cfg.http); !r) return r;
    }
    if (cfg.dns) {
      if (auto r = dns::start(shard, dns_opts); !r) return r;
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
  CLI::App* serve_http = serve->add_subcommand("http", "Serve static files over HTTP/1.1 (only that)");
  serve_http->add_option("-r,--root", flags.http_root, "Document root (default: the config's, or .)");
  serve_http->add_option("--listen", flags.http_listen, "HOST:PORT to listen on (repeatable)");
  serve_http->add_option("-p,--port", flags.http_port, "Shorthand for --listen 0.0.0.0:PORT")
      ->check(CLI::Range(1, 65535));
  serve_http->add_option("--cache-control", flags.http_cache_control, "Cache-Control for files");
  serve_http->add_option("--admin", flags.http_admin, "HOST:PORT of the admin listener (GET /metrics)");
  serve_http->add_flag("--tls", flags.http_tls,
                       "HTTPS on the --listen addresses (without --tls-cert: a self-signed certificate in the state directory)");
  serve_http->add_option("--tls-cert", flags.http_tls_cert, "Certificate chain (PEM) for HTTPS; implies --tls");
  serve_http->add_option("--tls-key", flags.http_tls_key, "Private key (PEM) of --tls-cert");
  serve_http->add_option("--tls-client-ca", flags.http_tls_client_ca, "Require client certificates issued by this CA (PEM)");
  // Flags of `serve` may also follow `http` on the command line.
  serve_http->fallthrough();
  CLI::App* serve_dns = serve->add_subcommand("dns", "Serve zones as an authoritative DNS server (only that)");
  serve_dns->add_option("-z,--zone", flags.dns_zones, "NAME=FILE: a zone and its file (repeatable)");
  serve_dns->add_option("--listen", flags.dns_listen, "HOST:PORT for UDP and TCP (repeatable; default 127.0.0.1:5353)");
  serve_dns->add_option("-p,--port", flags.dns_port, "Shorthand for --listen 0.0.0.0:PORT")
      ->check(CLI::Range(1, 65535));
  serve_dns->add_option("--admin", flags.dns_admin, "HOST:PORT of the admin listener (GET /metrics)");
  serve_dns->add_option("--rrl", flags.dns_rrl, "Response rate limiting: responses per second per client prefix (0: off)")
      ->check(CLI::Range(0, 1000000));
  serve_dns->add_option("--allow-transfer", flags.dns_allow_transfer,
                        "ADDR or PREFIX allowed to AXFR/IXFR every zone (repeatable; default: nobody)");
  serve_dns->add_option("--notify", flags.dns_notify,
                        "HOST:PORT of a secondary to NOTIFY when a reload raises a zone's serial (repeatable)");
  serve_dns->fallthrough();

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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, the version or the error
    return code == 0 ? 0 : kExitUsage;
  }
  if (app.got_subcommand("version")) return run_version();
  if (app.got_subcommand(get)) return run_get(get_flags);
  if (app.got_subcommand(dig)) return run_dig(dig_flags);
  if (app.got_subcommand(serve)) {
    flags.http_only = serve->got_subcommand(serve_http);
    flags.dns_only = serve->got_subcommand(serve_dns);
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
