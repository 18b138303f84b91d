#include "zp/http/service.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "config.h"

namespace zp::http {

namespace {

class HttpFlags final : public service::Flags {
 public:
  explicit HttpFlags(CLI::App& cmd) {
    cmd.add_option("-r,--root", root_, "Document root (default: the config's, or .)");
    cmd.add_option("--listen", listen_, "HOST:PORT to listen on (repeatable)");
    cmd.add_option("-p,--port", port_, "Shorthand for --listen 0.0.0.0:PORT")->check(CLI::Range(1, 65535));
    cmd.add_option("--cache-control", cache_control_, "Cache-Control for files");
    cmd.add_option("--admin", admin_, "HOST:PORT of the admin listener (GET /metrics)");
    cmd.add_flag("--tls", tls_,
                 "HTTPS on the --listen addresses (without --tls-cert: a self-signed certificate in the state directory)");
    cmd.add_option("--tls-cert", tls_cert_, "Certificate chain (PEM) for HTTPS; implies --tls");
    cmd.add_option("--tls-key", tls_key_, "Private key (PEM) of --tls-cert");
    cmd.add_option("--tls-client-ca", tls_client_ca_, "Require client certificates issued by this CA (PEM)");
  }

  std::string apply(std::unique_ptr<service::Service>& svc) override {
    if (!svc) svc = std::make_unique<HttpService>();
    ServerOptions& o = static_cast<HttpService&>(*svc).options;
    if (!root_.empty()) o.root = root_;
    if (!listen_.empty()) o.listen = listen_;
    if (port_ > 0) o.listen = {"0.0.0.0:" + std::to_string(port_)};
    if (!cache_control_.empty()) o.cache_control = cache_control_;
    if (!admin_.empty()) static_cast<HttpService&>(*svc).admin = admin_;
    if (tls_cert_.empty() != tls_key_.empty()) return "--tls-cert and --tls-key go together";
    if (tls_ || !tls_cert_.empty()) {
      // The listen addresses (flags, or the config's plain ones) become HTTPS listeners.
      tls::ServerConfig tc;
      if (!tls_cert_.empty()) tc.certs = {{tls_cert_, tls_key_}};
      tc.client_ca_file = tls_client_ca_;
      std::vector<std::string> addrs = o.listen;
      if (listen_.empty() && port_ == 0 && !o.tls_listen.empty()) addrs.clear();
      o.tls_listen.clear();
      for (auto& a : addrs) o.tls_listen.push_back({a, tc});
      if (o.tls_listen.empty()) o.tls_listen.push_back({"127.0.0.1:8443", tc});
      o.listen.clear();
    } else if (!listen_.empty() || port_ > 0) {
      o.tls_listen.clear();  // only what the flags name
    }
    return service::check_socket_addrs("--listen", o.listen);
  }

 private:
  std::string root_;
  std::vector<std::string> listen_;
  int port_ = 0;
  std::string cache_control_;
  std::string admin_;
  bool tls_ = false;  // --tls: the --listen addresses speak HTTPS
  std::string tls_cert_, tls_key_, tls_client_ca_;
};

}  // namespace

std::string HttpService::load(const service::Environment& env) {
  options.metrics = std::make_shared<Metrics>(env.shards);
  options.admin_listen.clear();  // zproto's shared admin listener serves admin (see admin_listen())
  return {};
}

std::string HttpService::prepare(const service::Environment& env) {
  return ensure_self_signed(options.tls_listen, env.state_dir);
}

std::string HttpService::summary() const {
  std::string s = options.listen.empty() ? std::string() : "http on " + service::join_addresses(options.listen);
  std::vector<std::string> tls;
  for (const auto& t : options.tls_listen) tls.push_back(t.address);
  if (!tls.empty()) s += (s.empty() ? "https on " : ", https on ") + service::join_addresses(tls);
  return s + " from " + options.root;
}

std::function<std::string()> HttpService::metrics() const { return service::renderer(options.metrics); }

const service::Definition& service_definition() {
  static const service::Definition def{
      .name = "http",
      .help = "Serve static files over HTTP/1.1 (only that)",
      .default_config = R"({ "root": "docs", "listen": ["127.0.0.1:8080"], "tls": { "listen": ["127.0.0.1:8443"] } })",
      .parse = parse_config_section,
      .add_flags = service::make_flags<HttpFlags>,
  };
  return def;
}

}  // namespace zp::http
