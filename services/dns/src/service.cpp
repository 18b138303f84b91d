#include "zp/dns/service.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "zp/codec/dns/name.h"
#include "zp/dns/acl.h"

namespace zp::dns {

namespace {

using service::ConfigReader;
using service::Node;

// {"responses_per_second": N, "slip": 2, "window": 15, "ipv4_prefix": 24, "ipv6_prefix": 56,
//  "table_size": 65536}: response rate limiting (rrl.h); responses_per_second is required.
bool parse_rrl(ConfigReader& r, const Node& n, RrlOptions& out) {
  RrlOptions rrl;
  bool have_rate = false;
  const bool ok = r.object(n, [&](const Node& f, std::string_view key) {
    if (key == "responses_per_second") {
      have_rate = true;
      return r.count(f, rrl.responses_per_second, 1000000);
    }
    if (key == "slip") return r.count(f, rrl.slip, 100);
    if (key == "window") return r.count_at_least(f, rrl.window_s, 1, 3600);
    if (key == "ipv4_prefix") return r.count(f, rrl.ipv4_prefix, 32);
    if (key == "ipv6_prefix") return r.count(f, rrl.ipv6_prefix, 128);
    if (key == "table_size") return r.count_at_least(f, rrl.table_size, 1, uint64_t(1) << 26);
    return r.unknown_key(f, n.path, {"responses_per_second", "slip", "window", "ipv4_prefix", "ipv6_prefix", "table_size"});
  });
  if (!ok) return false;
  if (!have_rate) return r.invalid(n, "\"responses_per_second\" is required");
  out = rrl;
  return true;
}

// ["127.0.0.1", "10.0.0.0/8", "::1/128"]: addresses and prefixes (zone transfer ACLs).
bool parse_prefixes(ConfigReader& r, const Node& n, std::vector<std::string>& out) {
  return r.array(n, "an array of address or prefix strings", [&](const Node& elem) {
    std::string p;
    if (!r.string(elem, p)) return false;
    if (!Prefix::parse(p)) {
      return r.invalid(elem, fmt::format("\"{}\" is not an IP address or prefix "
                                         "(like 10.0.0.0/8 or ::1/128, no host bits below the length)", p));
    }
    out.push_back(std::move(p));
    return true;
  });
}

// [{"name": "example.test.", "file": "path", "allow_transfer": [...], "notify": [...]}, ...]
bool parse_zones(ConfigReader& r, const Node& n, std::vector<ZoneConfig>& out) {
  ZoneConfig z;
  return r.array_of_objects(
      n, "an array of {\"name\", \"file\"} objects", [&](const Node&) { z = {}; return true; },
      [&](const Node& f, std::string_view key) {
        if (key == "name") {
          if (!r.string(f, z.name)) return false;
          std::string name = z.name;
          if (name.empty() || name.back() != '.') name += '.';
          std::byte wire[255];
          if (!codec::dns::name_from_text(name, {}, wire)) {
            return r.invalid(f, fmt::format("\"{}\" is not a domain name", z.name));
          }
          return true;
        }
        if (key == "file") return r.string(f, z.file);
        if (key == "allow_transfer") return parse_prefixes(r, f, z.allow_transfer);
        if (key == "notify") return r.host_ports(f, z.notify);
        return r.fail(f.at, fmt::format("unknown key \"{}\" (known keys in a zone: name, file, allow_transfer, notify)",
                                        f.path));
      },
      [&](const Node& elem) {
        if (z.name.empty() || z.file.empty()) return r.invalid(elem, "a zone needs \"name\" and \"file\"");
        out.push_back(std::move(z));
        return true;
      });
}

std::unique_ptr<service::Service> parse(ConfigReader& r, const Node& section) {
  auto svc = std::make_unique<DnsService>();
  ServerOptions& o = svc->options;
  o.listen.clear();
  const bool ok = r.object(section, [&](const Node& f, std::string_view key) {
    if (key == "zones") return parse_zones(r, f, svc->zones);
    if (key == "listen") return r.host_ports(f, o.listen);
    if (key == "tcp_idle_timeout_ms") return r.count(f, o.tcp_idle_timeout_ms, 86400000);
    if (key == "tcp_max_connections") return r.count(f, o.tcp_max_connections, 10000000);
    if (key == "tcp_max_message_bytes") return r.count(f, o.tcp_max_message_bytes, 65535);
    if (key == "xfr_max_concurrent") return r.count(f, o.xfr_max_concurrent, 100000);
    if (key == "xfr_send_timeout_ms") return r.count(f, o.xfr_send_timeout_ms, 3600000);
    if (key == "xfr_max_message_bytes") return r.count_at_least(f, o.xfr_max_message_bytes, 512, 65535);
    if (key == "ixfr_max_versions") return r.count(f, svc->history.max_versions, 100000);
    if (key == "ixfr_max_bytes") return r.count(f, svc->history.max_bytes, uint64_t(1) << 40);
    if (key == "notify_timeout_ms") return r.count_at_least(f, o.notify.timeout_ms, 1, 600000);
    if (key == "notify_max_attempts") return r.count_at_least(f, o.notify.max_attempts, 1, 100);
    if (key == "udp_payload_size") return r.count_at_least(f, o.udp_payload_size, 512, 65535);
    if (key == "admin_listen") return r.host_port(f, svc->admin);
    if (key == "rrl") return parse_rrl(r, f, o.rrl);
    return r.unknown_key(f, section.path,
                         {"zones", "listen", "tcp_idle_timeout_ms", "tcp_max_connections", "tcp_max_message_bytes",
                          "udp_payload_size", "xfr_max_concurrent", "xfr_send_timeout_ms", "xfr_max_message_bytes",
                          "ixfr_max_versions", "ixfr_max_bytes", "notify_timeout_ms", "notify_max_attempts",
                          "admin_listen", "rrl"});
  });
  if (!ok) return nullptr;
  if (svc->zones.empty()) {
    r.invalid(section, "\"zones\" must name at least one zone");
    return nullptr;
  }
  if (o.listen.empty()) {
    r.invalid(section, "\"listen\" must name at least one address");
    return nullptr;
  }
  return svc;
}

class DnsFlags final : public service::Flags {
 public:
  explicit DnsFlags(CLI::App& cmd) {
    cmd.add_option("-z,--zone", zones_, "NAME=FILE: a zone and its file (repeatable)");
    cmd.add_option("--listen", listen_, "HOST:PORT for UDP and TCP (repeatable; default 127.0.0.1:5353)");
    cmd.add_option("-p,--port", port_, "Shorthand for --listen 0.0.0.0:PORT")->check(CLI::Range(1, 65535));
    cmd.add_option("--admin", admin_, "HOST:PORT of the admin listener (GET /metrics)");
    cmd.add_option("--rrl", rrl_, "Response rate limiting: responses per second per client prefix (0: off)")
        ->check(CLI::Range(0, 1000000));
    cmd.add_option("--allow-transfer", allow_transfer_,
                   "ADDR or PREFIX allowed to AXFR/IXFR every zone (repeatable; default: nobody)");
    cmd.add_option("--notify", notify_,
                   "HOST:PORT of a secondary to NOTIFY when a reload raises a zone's serial (repeatable)");
  }

  std::string apply(std::unique_ptr<service::Service>& svc) override {
    if (!svc) {
      auto d = std::make_unique<DnsService>();
      d->options.listen.clear();
      svc = std::move(d);
    }
    auto& d = static_cast<DnsService&>(*svc);
    if (!zones_.empty()) {
      d.zones.clear();
      for (const auto& z : zones_) {
        const size_t eq = z.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == z.size()) return "--zone " + z + ": not NAME=FILE";
        ZoneConfig zc;
        zc.name = z.substr(0, eq);
        zc.file = z.substr(eq + 1);
        d.zones.push_back(std::move(zc));
      }
    }
    if (!listen_.empty()) d.options.listen = listen_;
    if (port_ > 0) d.options.listen = {"0.0.0.0:" + std::to_string(port_)};
    if (d.options.listen.empty()) d.options.listen = {"127.0.0.1:5353"};
    if (!admin_.empty()) {
      if (!service::is_host_port(admin_)) return "--admin " + admin_ + ": not HOST:PORT";
      d.admin = admin_;
    }
    if (rrl_ >= 0) d.options.rrl.responses_per_second = uint32_t(rrl_);
    if (d.zones.empty()) return "serve dns: no zone (--zone NAME=FILE)";
    for (const auto& p : allow_transfer_) {
      if (!Prefix::parse(p)) return "--allow-transfer " + p + ": not an IP address or prefix (like 10.0.0.0/8)";
    }
    if (std::string err = service::check_socket_addrs("--notify", notify_); !err.empty()) return err;
    for (auto& z : d.zones) {
      z.allow_transfer.insert(z.allow_transfer.end(), allow_transfer_.begin(), allow_transfer_.end());
      z.notify.insert(z.notify.end(), notify_.begin(), notify_.end());
    }
    return service::check_socket_addrs("--listen", d.options.listen);
  }

 private:
  std::vector<std::string> zones_;  // "NAME=FILE"
  std::vector<std::string> listen_;
  int port_ = 0;
  std::string admin_;
  int rrl_ = -1;  // -1: from the config
  std::vector<std::string> allow_transfer_;  // applied to every zone
  std::vector<std::string> notify_;          // applied to every zone
};

}  // namespace

// Zones are read before anything starts: a broken zone file is a configuration error.
std::string DnsService::load(const service::Environment& env) {
  options.store = std::make_shared<ZoneStore>(zones, history);
  if (std::string errors = options.store->load(); !errors.empty()) return errors;
  options.metrics = std::make_shared<Metrics>(env.shards);
  return {};
}

std::string DnsService::summary() const {
  return fmt::format("dns on {} (udp+tcp), {} zone(s)", service::join_addresses(options.listen), zones.size());
}

std::function<std::string()> DnsService::metrics() const { return service::renderer(options.metrics); }

const service::Definition& service_definition() {
  static const service::Definition def{
      .name = "dns",
      .help = "Serve zones as an authoritative DNS server (only that)",
      .default_config = R"({ "zones": [{ "name": "zproto.test.", "file": "docs/demo.zone" }], "listen": ["127.0.0.1:5353"] })",
      .parse = parse,
      .add_flags = service::make_flags<DnsFlags>,
  };
  return def;
}

}  // namespace zp::dns
