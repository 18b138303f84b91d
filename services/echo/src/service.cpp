#include "zp/echo/service.h"

#include <CLI/CLI.hpp>

namespace zp::echo {

namespace {

std::unique_ptr<service::Service> parse(service::ConfigReader& r, const service::Node& section) {
  auto svc = std::make_unique<EchoService>();
  const bool ok = r.object(section, [&](const service::Node& f, std::string_view key) {
    if (key == "listen") return r.host_ports(f, svc->listen);
    if (key == "idle_timeout_ms") return r.count(f, svc->options.idle_timeout_ms, 86400000);
    if (key == "max_connections") return r.count(f, svc->options.max_connections, 10000000);
    return r.unknown_key(f, section.path, {"listen", "idle_timeout_ms", "max_connections"});
  });
  if (!ok) return nullptr;
  if (svc->listen.empty()) {
    r.invalid(section, "\"listen\" must name at least one address");
    return nullptr;
  }
  return svc;
}

class EchoFlags final : public service::Flags {
 public:
  explicit EchoFlags(CLI::App& cmd) {
    cmd.add_option("--listen", listen_, "HOST:PORT to listen on (repeatable; default 127.0.0.1:7007)");
    cmd.add_option("-p,--port", port_, "Shorthand for --listen 0.0.0.0:PORT")->check(CLI::Range(1, 65535));
  }
  std::string apply(std::unique_ptr<service::Service>& svc) override {
    if (!svc) {
      auto e = std::make_unique<EchoService>();
      e->listen = {"127.0.0.1:7007"};
      svc = std::move(e);
    }
    auto& e = static_cast<EchoService&>(*svc);
    if (std::string err = service::check_socket_addrs("--listen", listen_); !err.empty()) return err;
    if (!listen_.empty()) e.listen = listen_;
    if (port_ > 0) e.listen = {"0.0.0.0:" + std::to_string(port_)};
    return {};
  }

 private:
  std::vector<std::string> listen_;
  int port_ = 0;
};

}  // namespace

std::string EchoService::summary() const {
  return "echo on " + service::join_addresses(listen);
}

const service::Definition& service_definition() {
  static const service::Definition def{
      .name = "echo",
      .help = "Echo every byte back over TCP (only that)",
      .default_config = R"({ "listen": ["127.0.0.1:7007"] })",
      .parse = parse,
      .add_flags = service::make_flags<EchoFlags>,
  };
  return def;
}

}  // namespace zp::echo
