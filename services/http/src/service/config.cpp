#include "config.h"

#include <fmt/format.h>

#include <algorithm>

#include "zp/codec/url/mime.h"
#include "zp/http/middleware.h"
#include "zp/service/tls_config.h"

namespace zp::http {

namespace {

using service::ConfigReader;
using service::Node;
namespace od = service::od;

// {"ext": "type/subtype", ...}: overrides of the built-in MIME table.
bool parse_mime_types(ConfigReader& r, const Node& n, std::vector<std::pair<std::string, std::string>>& out) {
  return r.object(
      n,
      [&](const Node& f, std::string_view key) {
        std::string type;
        if (!r.string(f, type)) return false;
        codec::url::MimeTable check;
        if (!check.add(key, type)) return r.invalid(f, fmt::format("\"{}\" is not a valid extension and MIME type", type));
        out.emplace_back(std::string(key), std::move(type));
        return true;
      },
      "an object of \"extension\": \"type\"");
}

bool parse_tls_one(ConfigReader& r, const Node& n, std::vector<TlsListen>& out) {
  tls::ServerConfig c;
  std::vector<std::string> listen;
  if (!service::parse_tls_server(r, n, c, &listen)) return false;
  if (listen.empty()) return r.invalid(n, "\"listen\" must name at least one address");
  for (auto& a : listen) out.push_back({std::move(a), c});
  return true;
}

// "tls": {"listen": [...], "cert": F, "key": F, ...} or an array of such objects (one set of
// certificates per group of listeners). No cert: zproto makes a self-signed one.
bool parse_tls(ConfigReader& r, const Node& n, std::vector<TlsListen>& out) {
  od::json_type t{};
  if (auto e = n.value.type().get(t)) return r.fail_json(e);
  if (t == od::json_type::array) {
    return r.array(n, "an array", [&](const Node& elem) { return parse_tls_one(r, elem, out); });
  }
  return parse_tls_one(r, n, out);
}

// true (the defaults), false (off) or an object of the fields to set.
bool parse_security_headers(ConfigReader& r, const Node& n, std::optional<SecurityHeaderOptions>& out) {
  bool on = false;
  if (!n.value.get_bool().get(on)) {
    if (on) out.emplace();
    else out.reset();
    return true;
  }
  SecurityHeaderOptions sh;
  const bool ok = r.object(
      n,
      [&](const Node& f, std::string_view key) {
        if (key == "nosniff") return r.boolean(f, sh.nosniff);
        if (key == "frame_options") return r.field_value(f, sh.frame_options);
        if (key == "referrer_policy") return r.field_value(f, sh.referrer_policy);
        if (key == "strict_transport_security") return r.field_value(f, sh.strict_transport_security);
        if (key == "content_security_policy") return r.field_value(f, sh.content_security_policy);
        return r.unknown_key(f, n.path, {"nosniff", "frame_options", "referrer_policy", "strict_transport_security",
                                         "content_security_policy"});
      },
      "true, false or an object");
  if (!ok) return false;
  out = std::move(sh);
  return true;
}

// {"rps": 100, "burst": 200, "max_clients": 10000}
bool parse_rate_limit(ConfigReader& r, const Node& n, std::optional<RateLimitOptions>& out) {
  RateLimitOptions rl;
  bool have_burst = false;
  const bool ok = r.object(n, [&](const Node& f, std::string_view key) {
    if (key == "rps") return r.positive(f, rl.rps, 1e9);
    if (key == "burst") {
      have_burst = true;
      if (!r.positive(f, rl.burst, 1e9)) return false;
      if (rl.burst < 1) return r.invalid(f, "must be at least 1");
      return true;
    }
    if (key == "max_clients") return r.count_at_least(f, rl.max_clients, 1, 100000000);
    return r.unknown_key(f, n.path, {"rps", "burst", "max_clients"});
  });
  if (!ok) return false;
  if (!have_burst) rl.burst = std::max(1.0, rl.rps);
  out = rl;
  return true;
}

// {"realm": "...", "users": {"name": "password" | "{sha256}<hex>"}}
bool parse_basic_auth(ConfigReader& r, const Node& n, std::optional<BasicAuthOptions>& out) {
  BasicAuthOptions ba;
  const bool ok = r.object(n, [&](const Node& f, std::string_view key) {
    if (key == "realm") {
      if (!r.string(f, ba.realm)) return false;
      BasicAuthOptions check;
      check.realm = ba.realm;
      if (std::string why = check_basic_auth(check); !why.empty()) return r.invalid(f, why);
      return true;
    }
    if (key == "users") {
      return r.object(
          f,
          [&](const Node& u, std::string_view name) {
            std::string password;
            if (!r.string(u, password)) return false;
            BasicAuthOptions check;
            check.users.emplace_back(std::string(name), password);
            if (std::string why = check_basic_auth(check); !why.empty()) return r.invalid(u, why);
            ba.users.emplace_back(std::string(name), std::move(password));
            return true;
          },
          "an object of \"user\": \"password\"");
    }
    return r.unknown_key(f, n.path, {"realm", "users"});
  });
  if (!ok) return false;
  if (ba.users.empty()) return r.invalid(n, "\"users\" must name at least one user");
  out = std::move(ba);
  return true;
}

// ["access_log", "request_id", ...]: the order the built-in middlewares run in.
bool parse_middleware_order(ConfigReader& r, const Node& n, std::vector<std::string>& out) {
  return r.array(n, "an array of middleware names", [&](const Node& elem) {
    std::string name;
    if (!r.string(elem, name)) return false;
    static constexpr std::string_view kNames[] = {"access_log", "request_id", "security_headers", "rate_limit",
                                                  "basic_auth"};
    if (std::find(std::begin(kNames), std::end(kNames), name) == std::end(kNames)) {
      return r.invalid(elem, fmt::format("\"{}\" is not one of access_log, request_id, security_headers, "
                                         "rate_limit, basic_auth", name));
    }
    if (std::find(out.begin(), out.end(), name) != out.end()) {
      return r.invalid(elem, fmt::format("\"{}\" is listed twice", name));
    }
    out.push_back(std::move(name));
    return true;
  });
}

}  // namespace

std::unique_ptr<service::Service> parse_config_section(ConfigReader& r, const Node& section) {
  auto svc = std::make_unique<HttpService>();
  ServerOptions& o = svc->options;
  o.listen.clear();
  const bool ok = r.object(section, [&](const Node& f, std::string_view key) {
    if (key == "root") return r.string(f, o.root);
    if (key == "listen") return r.host_ports(f, o.listen);
    if (key == "index") return r.string(f, o.index);
    if (key == "cache_control") return r.string(f, o.cache_control);
    if (key == "server_name") return r.string(f, o.server_name);
    if (key == "access_log") return r.string(f, o.access_log);
    if (key == "admin_listen") return r.host_port(f, svc->admin);
    if (key == "allow_dotfiles") return r.boolean(f, o.allow_dotfiles);
    if (key == "directory_listing") return r.boolean(f, o.directory_listing);
    if (key == "symlinks_outside_root") return r.boolean(f, o.symlinks_outside_root);
    if (key == "header_timeout_ms") return r.count(f, o.header_timeout_ms, 3600000);
    if (key == "idle_timeout_ms") return r.count(f, o.idle_timeout_ms, 86400000);
    if (key == "max_connections") return r.count(f, o.max_connections, 10000000);
    if (key == "cache_max_file_bytes") return r.count(f, o.cache_max_file_bytes, 1u << 30);
    if (key == "cache_max_total_bytes") return r.count(f, o.cache_max_total_bytes, uint64_t(1) << 40);
    if (key == "max_open_files") return r.count(f, o.max_open_files, 1u << 20);
    if (key == "mime_types") return parse_mime_types(r, f, o.mime_types);
    if (key == "max_body_bytes") return r.count(f, o.limits.max_body_bytes, uint64_t(1) << 40);
    if (key == "body_timeout_ms") return r.count(f, o.body_timeout_ms, 3600000);
    if (key == "request_id") return r.boolean(f, o.request_id);
    if (key == "security_headers") return parse_security_headers(r, f, o.security_headers);
    if (key == "rate_limit") return parse_rate_limit(r, f, o.rate_limit);
    if (key == "basic_auth") return parse_basic_auth(r, f, o.basic_auth);
    if (key == "middleware_order") return parse_middleware_order(r, f, o.middleware_order);
    if (key == "tls") return parse_tls(r, f, o.tls_listen);
    return r.unknown_key(f, section.path,
                         {"root", "listen", "index", "cache_control", "server_name", "access_log", "admin_listen",
                          "allow_dotfiles", "directory_listing", "symlinks_outside_root", "header_timeout_ms",
                          "idle_timeout_ms", "max_connections", "cache_max_file_bytes", "cache_max_total_bytes",
                          "max_open_files", "mime_types", "max_body_bytes", "body_timeout_ms", "request_id",
                          "security_headers", "rate_limit", "basic_auth", "middleware_order", "tls"});
  });
  if (!ok) return nullptr;
  if (o.listen.empty() && o.tls_listen.empty()) {
    r.invalid(section, "\"listen\" (or \"tls\") must name at least one address");
    return nullptr;
  }
  return svc;
}

}  // namespace zp::http
