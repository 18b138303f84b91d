#include "zp/mqtt/service.h"

#include <CLI/CLI.hpp>

#include "bridge_config.h"
#include "zp/service/tls_config.h"

namespace zp::mqtt {

namespace {

constexpr std::string_view kKeys[] = {"listen", "admin_listen", "max_connections", "max_packet_size",
                                      "max_inflight", "max_queued_messages", "connect_timeout_ms",
                                      "max_keepalive", "max_subscriptions", "retained_max_messages",
                                      "retained_max_bytes", "sys_interval", "password_file", "acl_file",
                                      "allow_anonymous", "tls_listen", "tls", "persistence", "max_topic_alias", "bridges"};

// "persistence": {"dir": "...", "fsync": true, "max_log_bytes": N}; "dir" is required.
bool parse_persistence(service::ConfigReader& r, const service::Node& n, PersistenceOptions& p) {
  bool have_dir = false;
  const bool ok = r.object(n, [&](const service::Node& f, std::string_view key) {
    if (key == "dir") {
      if (!r.string(f, p.dir)) return false;
      if (p.dir.empty()) return r.invalid(f, "must name a directory");
      have_dir = true;
      return true;
    }
    if (key == "fsync") return r.boolean(f, p.fsync);
    if (key == "max_log_bytes") return r.count_at_least(f, p.max_log_bytes, 4096, uint64_t{1} << 40);
    return r.unknown_key(f, n.path, {"dir", "fsync", "max_log_bytes"});
  });
  if (!ok) return false;
  if (!have_dir) return r.invalid(n, "\"dir\" is required");
  return true;
}

std::unique_ptr<service::Service> parse(service::ConfigReader& r, const service::Node& section) {
  auto svc = std::make_unique<MqttService>();
  auto& o = svc->options;
  const char* tls_node = nullptr;
  const char* bridges_node = nullptr;
  const bool ok = r.object(section, [&](const service::Node& f, std::string_view key) {
    if (key == "listen") return r.host_ports(f, svc->listen);
    if (key == "admin_listen") return r.host_port(f, svc->admin);
    if (key == "max_connections") return r.count_at_least(f, o.max_connections, 1, 10000000);
    if (key == "max_packet_size") return r.count_at_least(f, o.limits.max_packet_size, 64, 268435460);
    if (key == "max_inflight") return r.count_at_least(f, o.max_inflight, 1, 65535);
    if (key == "max_queued_messages") return r.count(f, o.max_queued_messages, 10000000);
    if (key == "connect_timeout_ms") return r.count_at_least(f, o.connect_timeout_ms, 1, 3600000);
    if (key == "max_keepalive") return r.count(f, o.max_keepalive_s, 65535);
    if (key == "max_subscriptions") return r.count_at_least(f, o.max_subscriptions, 1, 10000000);
    if (key == "retained_max_messages") return r.count(f, o.retained.max_messages, 100000000);
    if (key == "retained_max_bytes") return r.count(f, o.retained.max_bytes, uint64_t{1} << 40);
    if (key == "password_file") return r.string(f, svc->access.password_file);
    if (key == "acl_file") return r.string(f, svc->access.acl_file);
    if (key == "allow_anonymous") {
      bool b = false;
      if (!r.boolean(f, b)) return false;
      svc->access.allow_anonymous = b;
      return true;
    }
    if (key == "tls_listen") return r.host_ports(f, svc->tls_listen);
    if (key == "tls") {
      tls_node = f.at;
      return service::parse_tls_server(r, f, svc->tls, nullptr);
    }
    if (key == "persistence") return parse_persistence(r, f, o.persistence);
    if (key == "max_topic_alias") return r.count(f, o.max_topic_alias, 65535);
    if (key == "sys_interval") return r.count(f, o.sys_interval_s, 86400);
    if (key == "bridges") {
      bridges_node = f.at;
      return detail::parse_bridges(r, f, svc->bridges);
    }
    return r.unknown_key(f, section.path,
                         {kKeys[0], kKeys[1], kKeys[2], kKeys[3], kKeys[4], kKeys[5], kKeys[6], kKeys[7],
                          kKeys[8], kKeys[9], kKeys[10], kKeys[11], kKeys[12], kKeys[13], kKeys[14], kKeys[15], kKeys[16],
                          kKeys[17], kKeys[18], kKeys[19]});
  });
  if (!ok) return nullptr;
  if (svc->listen.empty() && svc->tls_listen.empty()) {
    r.invalid(section, "\"listen\" (or \"tls_listen\") must name at least one address");
    return nullptr;
  }
  if (!svc->tls_listen.empty() && svc->tls.certs.empty()) {
    r.invalid(section, "\"tls_listen\" needs \"tls\": {\"cert\": ..., \"key\": ...}");
    return nullptr;
  }
  if (bridges_node && !svc->bridges.empty() && svc->listen.empty()) {
    r.fail(bridges_node, "key \"mqtt.bridges\": a bridge connects to our own plain \"listen\" address, and there is none");
    return nullptr;
  }
  if (tls_node && svc->tls_listen.empty()) {
    r.fail(tls_node, "key \"mqtt.tls\": no \"tls_listen\" address to use it on");
    return nullptr;
  }
  return svc;
}

class MqttFlags final : public service::Flags {
 public:
  explicit MqttFlags(CLI::App& cmd) {
    cmd.add_option("--listen", listen_, "HOST:PORT to listen on (repeatable; default 127.0.0.1:1883)");
    cmd.add_option("-p,--port", port_, "Shorthand for --listen 0.0.0.0:PORT")->check(CLI::Range(1, 65535));
    cmd.add_option("--admin", admin_, "HOST:PORT of the admin listener (GET /metrics)");
    cmd.add_option("--max-connections", max_connections_, "Connections per shard")->check(CLI::Range(1, 10000000));
    cmd.add_option("--password-file", password_file_, "mosquitto_passwd password file (anonymous clients refused)");
    cmd.add_option("--acl-file", acl_file_, "mosquitto acl_file (topic, user, pattern lines)");
    cmd.add_option("--tls-listen", tls_listen_, "HOST:PORT for MQTT over TLS (repeatable; needs --tls-cert/--tls-key)");
    cmd.add_option("--tls-cert", tls_cert_, "Certificate chain (PEM) of the TLS listener");
    cmd.add_option("--tls-key", tls_key_, "Private key (PEM) of --tls-cert");
    cmd.add_option("--persistence", persistence_dir_, "Directory for retained messages and persistent sessions (fsync on)");
  }
  std::string apply(std::unique_ptr<service::Service>& svc) override {
    if (!svc) {
      auto m = std::make_unique<MqttService>();
      m->listen = {"127.0.0.1:1883"};
      svc = std::move(m);
    }
    auto& m = static_cast<MqttService&>(*svc);
    if (std::string err = service::check_socket_addrs("--listen", listen_); !err.empty()) return err;
    if (!admin_.empty()) {
      if (std::string err = service::check_socket_addrs("--admin", {admin_}); !err.empty()) return err;
      m.admin = admin_;
    }
    if (!listen_.empty()) m.listen = listen_;
    if (port_ > 0) m.listen = {"0.0.0.0:" + std::to_string(port_)};
    if (max_connections_ > 0) m.options.max_connections = max_connections_;
    if (!password_file_.empty()) m.access.password_file = password_file_;
    if (!acl_file_.empty()) m.access.acl_file = acl_file_;
    if (tls_cert_.empty() != tls_key_.empty()) return "--tls-cert and --tls-key go together";
    if (!tls_cert_.empty()) m.tls.certs = {{tls_cert_, tls_key_}};
    if (std::string err = service::check_socket_addrs("--tls-listen", tls_listen_); !err.empty()) return err;
    if (!tls_listen_.empty()) m.tls_listen = tls_listen_;
    if (!m.tls_listen.empty() && m.tls.certs.empty()) return "--tls-listen needs --tls-cert and --tls-key";
    if (!persistence_dir_.empty()) m.options.persistence.dir = persistence_dir_;
    return {};
  }

 private:
  std::vector<std::string> listen_;
  std::string admin_;
  int port_ = 0;
  size_t max_connections_ = 0;
  std::string password_file_, acl_file_, tls_cert_, tls_key_, persistence_dir_;
  std::vector<std::string> tls_listen_;
};

}  // namespace

std::string MqttService::load(const service::Environment& env) {
  if (!access.password_file.empty() || !access.acl_file.empty() || access.allow_anonymous) {
    std::string err;
    options.access = Access::load(access, err);
    if (!options.access) return err;
  }
  broker_ = std::make_shared<Broker>(env.shards, options);
  bridges_.clear();
  for (const BridgeConfig& b : bridges) bridges_.push_back(std::make_shared<Bridge>(b));
  if (!bridges_.empty() && listen.empty()) return "mqtt: a bridge connects to our own plain \"listen\" address, and there is none";
  return {};
}

std::string MqttService::prepare(const service::Environment&) {
  if (std::string err = broker_->restore(); !err.empty()) return "mqtt persistence: " + err;
  return {};
}

Result<void> MqttService::start(Shard& shard) {
  if (auto r = broker_->start(shard, listen); !r) return r;
  if (!tls_listen.empty()) {
    if (auto r = broker_->start_tls(shard, tls_listen, tls); !r) return r;
  }
  if (shard.id() == 0) {  // the bridges run on shard 0, through our first plain listener
    for (const auto& b : bridges_) {
      if (auto r = b->start(shard, loopback_of(listen.front())); !r) return r;
    }
  }
  return {};
}

std::string MqttService::summary() const {
  std::string s = "mqtt on " + service::join_addresses(listen);
  if (listen.empty()) s = "mqtt";
  if (!tls_listen.empty()) s += (listen.empty() ? " over TLS on " : ", over TLS on ") + service::join_addresses(tls_listen);
  for (const BridgeConfig& b : bridges) s += ", bridge " + b.name + " to " + b.address;
  return s;
}

std::function<std::string()> MqttService::metrics() const {
  if (!broker_) return {};
  return [b = broker_, bridges = bridges_] { return b->metrics() + Bridge::metrics(bridges); };
}

const service::Definition& service_definition() {
  static const service::Definition def{
      .name = "mqtt",
      .help = "MQTT 3.1.1 and 5.0 broker, sharded across cores",
      .default_config = R"({ "listen": ["127.0.0.1:1883"] })",
      .parse = parse,
      .add_flags = service::make_flags<MqttFlags>,
  };
  return def;
}

}  // namespace zp::mqtt
