// Config parsing with simdjson's On-Demand API (error codes, no exceptions). Positions
// in error messages come from pointers into the padded copy of the input: a key's
// raw_json_string points just past its opening quote, a value's raw_json_token() at
// its first byte, and the document's current_location() at the parse error.
#include "config.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include "zp/codec/dns/name.h"
#include "zp/dns/acl.h"
#include "zp/codec/url/mime.h"
#include "zp/http/middleware.h"

namespace zp::cli {
namespace {

namespace od = simdjson::ondemand;

std::string_view type_name(od::json_type t) {
  switch (t) {
    case od::json_type::array: return "array";
    case od::json_type::object: return "object";
    case od::json_type::number: return "number";
    case od::json_type::string: return "string";
    case od::json_type::boolean: return "boolean";
    case od::json_type::null: return "null";
  }
  return "value";
}

std::string join(std::initializer_list<std::string_view> names) {
  std::string out;
  for (auto n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

class Parser {
 public:
  Parser(std::string_view json, std::string_view source)
      : text_(json), padded_(json), source_(source) {}

  ConfigResult run() {
    Config cfg;
    if (!parse(cfg)) return {std::nullopt, std::move(error_)};
    return {std::move(cfg), {}};
  }

 private:
  // "<source>:<line>:<column>" for a pointer into padded_ (nullptr: end of input).
  std::string where(const char* at) const {
    size_t offset = text_.size();
    if (at && at >= padded_.data() && at <= padded_.data() + text_.size()) {
      offset = size_t(at - padded_.data());
    }
    const std::string_view before = text_.substr(0, offset);
    const size_t line = 1 + size_t(std::count(before.begin(), before.end(), '\n'));
    const size_t nl = before.rfind('\n');
    const size_t column = nl == std::string_view::npos ? offset + 1 : offset - nl;
    return fmt::format("{}:{}:{}", source_, line, column);
  }

  bool fail(const char* at, std::string_view what) {
    error_ = fmt::format("{}: {}", where(at), what);
    return false;
  }
  bool fail_json(simdjson::error_code e) {
    const char* at = nullptr;
    if (doc_ok_) {
      auto loc = doc_.current_location();
      if (!loc.error()) at = loc.value_unsafe();
    }
    return fail(at, fmt::format("invalid JSON: {}", simdjson::error_message(e)));
  }
  // A value's type error: names the key, what was expected and what was found.
  bool fail_type(const char* at, std::string_view key, std::string_view expected, od::value& v) {
    od::json_type t{};
    if (auto e = v.type().get(t)) return fail_json(e);
    return fail(at, fmt::format("key \"{}\": expected {}, got {}", key, expected, type_name(t)));
  }

  // Iterates an object's fields: fn(key, key_position, value) -> bool. Rejects duplicates.
  template <class Fn>
  bool for_each_field(od::object& obj, std::string_view path_prefix, Fn&& fn) {
    std::vector<std::string> seen;
    for (auto field_result : obj) {
      od::field field;
      if (auto e = std::move(field_result).get(field)) return fail_json(e);
      const char* key_at = field.key().raw() - 1;  // at the opening quote
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return fail_json(e);
      std::string path = fmt::format("{}{}", path_prefix, key);
      if (std::find(seen.begin(), seen.end(), path) != seen.end()) {
        return fail(key_at, fmt::format("duplicate key \"{}\"", path));
      }
      seen.push_back(path);
      od::value value = field.value();
      if (!fn(std::string_view(path), key, key_at, value)) return false;
    }
    return true;
  }

  bool get_string(od::value& v, const char* at, std::string_view key, std::string& out) {
    std::string_view s;
    if (v.get_string().get(s)) return fail_type(at, key, "a string", v);
    out.assign(s);
    return true;
  }

  bool parse(Config& cfg) {
    if (auto e = parser_.iterate(padded_).get(doc_)) return fail_json(e);
    doc_ok_ = true;
    od::object root;
    if (auto e = doc_.get_object().get(root)) {
      if (e == simdjson::INCORRECT_TYPE) return fail(text_start(), "the config must be a JSON object");
      return fail_json(e);
    }
    const bool ok = for_each_field(root, "", [&](std::string_view path, std::string_view key,
                                                 const char* at, od::value& v) {
      if (key == "shards") {
        uint64_t n = 0;
        if (v.get_uint64().get(n)) return fail_type(at, path, "a non-negative integer", v);
        if (n > kMaxShards) {
          return fail(at, fmt::format("key \"{}\": {} is out of range (0..{})", path, n, kMaxShards));
        }
        cfg.shards = unsigned(n);
        return true;
      }
      if (key == "backend") {
        std::string s;
        if (!get_string(v, at, path, s)) return false;
        auto kind = parse_backend(s);
        if (!kind) {
          return fail(at, fmt::format("key \"{}\": \"{}\" is not one of auto, io_uring, epoll", path, s));
        }
        cfg.backend = *kind;
        return true;
      }
      if (key == "log_level") {
        std::string s;
        if (!get_string(v, at, path, s)) return false;
        auto level = log::parse_level(s);
        if (!level) {
          return fail(at, fmt::format(
              "key \"{}\": \"{}\" is not one of trace, debug, info, warn, error, off", path, s));
        }
        cfg.log_level = *level;
        return true;
      }
      if (key == "log_file") return get_string(v, at, path, cfg.log_file);
      if (key == "user") return get_string(v, at, path, cfg.user);
      if (key == "group") return get_string(v, at, path, cfg.group);
      if (key == "state_dir") return get_string(v, at, path, cfg.state_dir);
      if (key == "echo") return parse_echo(v, at, path, cfg);
      if (key == "http") return parse_http(v, at, path, cfg);
      if (key == "dns") return parse_dns(v, at, path, cfg);
      return fail(at, fmt::format("unknown key \"{}\" (known keys: {})", path,
                                  join({"shards", "backend", "log_level", "log_file", "user",
                                        "group", "state_dir", "echo", "http", "dns"})));
    });
    if (!ok) return false;
    // At the end of input current_location() reports OUT_OF_BOUNDS; a position means
    // more tokens follow the object.
    auto loc = doc_.current_location();
    if (!loc.error()) {
      return fail(loc.value_unsafe(), "invalid JSON: unexpected content after the top-level object");
    }
    return true;
  }

  bool parse_echo(od::value& v, const char* at, std::string_view path, Config& cfg) {
    od::object obj;
    if (v.get_object().get(obj)) return fail_type(at, path, "an object", v);
    EchoConfig echo;
    bool have_listen = false;
    const bool ok = for_each_field(obj, "echo.", [&](std::string_view fpath, std::string_view key,
                                                     const char* fat, od::value& fv) {
      if (key == "listen") {
        have_listen = true;
        return parse_listen(fv, fat, fpath, echo.listen);
      }
      return fail(fat, fmt::format("unknown key \"{}\" (known keys in \"echo\": listen)", fpath));
    });
    if (!ok) return false;
    if (!have_listen || echo.listen.empty()) {
      return fail(at, fmt::format("key \"{}\": \"listen\" must name at least one address", path));
    }
    cfg.echo = std::move(echo);
    return true;
  }

  bool get_bool(od::value& v, const char* at, std::string_view key, bool& out) {
    if (v.get_bool().get(out)) return fail_type(at, key, "true or false", v);
    return true;
  }

  template <class T>
  bool get_count(od::value& v, const char* at, std::string_view key, T& out, uint64_t max) {
    uint64_t n = 0;
    if (v.get_uint64().get(n)) return fail_type(at, key, "a non-negative integer", v);
    if (n > max) return fail(at, fmt::format("key \"{}\": {} is out of range (0..{})", key, n, max));
    out = T(n);
    return true;
  }

  // {"ext": "type/subtype", ...}: overrides of the built-in MIME table.
  bool parse_mime_types(od::value& v, const char* at, std::string_view path,
                        std::vector<std::pair<std::string, std::string>>& out) {
    od::object obj;
    if (v.get_object().get(obj)) return fail_type(at, path, "an object of \"extension\": \"type\"", v);
    return for_each_field(obj, std::string(path) + ".", [&](std::string_view fpath, std::string_view key,
                                                             const char* fat, od::value& fv) {
      std::string type;
      if (!get_string(fv, fat, fpath, type)) return false;
      codec::url::MimeTable check;
      if (!check.add(key, type)) {
        return fail(fat, fmt::format("key \"{}\": \"{}\" is not a valid extension and MIME type", fpath, type));
      }
      out.emplace_back(std::string(key), std::move(type));
      return true;
    });
  }

  bool parse_http(od::value& v, const char* at, std::string_view path, Config& cfg) {
    od::object obj;
    if (v.get_object().get(obj)) return fail_type(at, path, "an object", v);
    http::ServerOptions o;
    o.listen.clear();
    const bool ok = for_each_field(obj, "http.", [&](std::string_view fpath, std::string_view key,
                                                     const char* fat, od::value& fv) {
      if (key == "root") return get_string(fv, fat, fpath, o.root);
      if (key == "listen") return parse_listen(fv, fat, fpath, o.listen);
      if (key == "index") return get_string(fv, fat, fpath, o.index);
      if (key == "cache_control") return get_string(fv, fat, fpath, o.cache_control);
      if (key == "server_name") return get_string(fv, fat, fpath, o.server_name);
      if (key == "access_log") return get_string(fv, fat, fpath, o.access_log);
      if (key == "admin_listen") {
        std::vector<std::string> one;
        std::string a;
        if (!get_string(fv, fat, fpath, a)) return false;
        if (!is_host_port(a)) return fail(fat, fmt::format("key \"{}\": \"{}\" is not HOST:PORT", fpath, a));
        o.admin_listen = std::move(a);
        return true;
      }
      if (key == "allow_dotfiles") return get_bool(fv, fat, fpath, o.allow_dotfiles);
      if (key == "directory_listing") return get_bool(fv, fat, fpath, o.directory_listing);
      if (key == "symlinks_outside_root") return get_bool(fv, fat, fpath, o.symlinks_outside_root);
      if (key == "header_timeout_ms") return get_count(fv, fat, fpath, o.header_timeout_ms, 3600000);
      if (key == "idle_timeout_ms") return get_count(fv, fat, fpath, o.idle_timeout_ms, 86400000);
      if (key == "max_connections") return get_count(fv, fat, fpath, o.max_connections, 10000000);
      if (key == "cache_max_file_bytes") return get_count(fv, fat, fpath, o.cache_max_file_bytes, 1u << 30);
      if (key == "cache_max_total_bytes") return get_count(fv, fat, fpath, o.cache_max_total_bytes, uint64_t(1) << 40);
      if (key == "max_open_files") return get_count(fv, fat, fpath, o.max_open_files, 1u << 20);
      if (key == "mime_types") return parse_mime_types(fv, fat, fpath, o.mime_types);
      if (key == "max_body_bytes") return get_count(fv, fat, fpath, o.limits.max_body_bytes, uint64_t(1) << 40);
      if (key == "body_timeout_ms") return get_count(fv, fat, fpath, o.body_timeout_ms, 3600000);
      if (key == "request_id") return get_bool(fv, fat, fpath, o.request_id);
      if (key == "security_headers") return parse_security_headers(fv, fat, fpath, o.security_headers);
      if (key == "rate_limit") return parse_rate_limit(fv, fat, fpath, o.rate_limit);
      if (key == "basic_auth") return parse_basic_auth(fv, fat, fpath, o.basic_auth);
      if (key == "middleware_order") return parse_middleware_order(fv, fat, fpath, o.middleware_order);
      if (key == "tls") return parse_tls(fv, fat, fpath, o.tls_listen);
      return fail(fat, fmt::format("unknown key \"{}\" (known keys in \"http\": {})", fpath,
                                   join({"root", "listen", "index", "cache_control", "server_name", "access_log", "admin_listen",
                                         "allow_dotfiles", "directory_listing", "symlinks_outside_root", "header_timeout_ms",
                                         "idle_timeout_ms", "max_connections", "cache_max_file_bytes",
                                         "cache_max_total_bytes", "max_open_files", "mime_types", "max_body_bytes", "body_timeout_ms",
                                         "request_id", "security_headers", "rate_limit", "basic_auth",
                                         "middleware_order", "tls"})));
    });
    if (!ok) return false;
    if (o.listen.empty() && o.tls_listen.empty())
      return fail(at, fmt::format("key \"{}\": \"listen\" (or \"tls\") must name at least one address", path));
    cfg.http = std::move(o);
    return true;
  }

  // "tls": {"listen": [...], "cert": F, "key": F, ...} or an array of such objects (one set of
  // certificates per group of listeners). No cert: zproto makes a self-signed one.
  bool parse_tls(od::value& v, const char* at, std::string_view path, std::vector<http::TlsListen>& out) {
    od::array arr;
    if (!v.get_array().get(arr)) {
      size_t index = 0;
      for (auto elem_result : arr) {
        od::value elem;
        if (auto e = std::move(elem_result).get(elem)) return fail_json(e);
        const char* elem_at = elem.raw_json_token().data();
        if (!parse_tls_one(elem, elem_at, fmt::format("{}[{}]", path, index++), out)) return false;
      }
      return true;
    }
    return parse_tls_one(v, at, std::string(path), out);
  }

  bool parse_tls_version(od::value& v, const char* at, std::string_view key, tls::Version& out) {
    std::string s;
    if (!get_string(v, at, key, s)) return false;
    if (s == "1.2") out = tls::Version::tls12;
    else if (s == "1.3") out = tls::Version::tls13;
    else return fail(at, fmt::format("key \"{}\": \"{}\" is not \"1.2\" or \"1.3\"", key, s));
    return true;
  }

  bool parse_tls_one(od::value& v, const char* at, const std::string& path, std::vector<http::TlsListen>& out) {
    od::object obj;
    if (v.get_object().get(obj)) return fail_type(at, path, "an object (or an array of objects)", v);
    tls::ServerConfig c;
    std::vector<std::string> listen;
    tls::CertKey first;
    const bool ok = for_each_field(obj, path + ".", [&](std::string_view fpath, std::string_view key, const char* fat,
                                                        od::value& fv) {
      if (key == "listen") return parse_listen(fv, fat, fpath, listen);
      if (key == "cert") return get_string(fv, fat, fpath, first.cert_file);
      if (key == "key") return get_string(fv, fat, fpath, first.key_file);
      if (key == "certs") {
        od::array arr;
        if (fv.get_array().get(arr)) return fail_type(fat, fpath, "an array of {\"cert\", \"key\"}", fv);
        for (auto elem_result : arr) {
          od::value elem;
          if (auto e = std::move(elem_result).get(elem)) return fail_json(e);
          const char* eat = elem.raw_json_token().data();
          od::object eo;
          if (elem.get_object().get(eo)) return fail_type(eat, fpath, "an object {\"cert\", \"key\"}", elem);
          tls::CertKey ck;
          if (!for_each_field(eo, std::string(fpath) + ".", [&](std::string_view p2, std::string_view k2, const char* a2,
                                                                 od::value& v2) {
                if (k2 == "cert") return get_string(v2, a2, p2, ck.cert_file);
                if (k2 == "key") return get_string(v2, a2, p2, ck.key_file);
                return fail(a2, fmt::format("unknown key \"{}\" (known keys: cert, key)", p2));
              }))
            return false;
          if (ck.cert_file.empty() || ck.key_file.empty())
            return fail(eat, fmt::format("key \"{}\": each entry needs \"cert\" and \"key\"", fpath));
          c.certs.push_back(std::move(ck));
        }
        return true;
      }
      if (key == "client_ca") return get_string(fv, fat, fpath, c.client_ca_file);
      if (key == "client_cert_required") return get_bool(fv, fat, fpath, c.client_cert_required);
      if (key == "min_version") return parse_tls_version(fv, fat, fpath, c.min_version);
      if (key == "max_version") return parse_tls_version(fv, fat, fpath, c.max_version);
      if (key == "ciphers") return get_string(fv, fat, fpath, c.cipher_list);
      if (key == "alpn") {
        od::array arr;
        if (fv.get_array().get(arr)) return fail_type(fat, fpath, "an array of protocol names", fv);
        c.alpn.clear();
        for (auto elem_result : arr) {
          od::value elem;
          if (auto e = std::move(elem_result).get(elem)) return fail_json(e);
          std::string p;
          if (!get_string(elem, elem.raw_json_token().data(), fpath, p)) return false;
          if (p.empty() || p.size() > 255 || p.find(',') != std::string::npos)
            return fail(fat, fmt::format("key \"{}\": \"{}\" is not a protocol name", fpath, p));
          c.alpn.push_back(std::move(p));
        }
        return true;
      }
      if (key == "handshake_timeout_ms") return get_count(fv, fat, fpath, c.handshake_timeout_ms, 600000);
      if (key == "session_tickets") return get_bool(fv, fat, fpath, c.session_tickets);
      return fail(fat, fmt::format("unknown key \"{}\" (known keys in \"{}\": {})", fpath, path,
                                   join({"listen", "cert", "key", "certs", "client_ca", "client_cert_required", "min_version",
                                         "max_version", "ciphers", "alpn", "handshake_timeout_ms", "session_tickets"})));
    });
    if (!ok) return false;
    if (listen.empty()) return fail(at, fmt::format("key \"{}\": \"listen\" must name at least one address", path));
    if (first.cert_file.empty() != first.key_file.empty())
      return fail(at, fmt::format("key \"{}\": \"cert\" and \"key\" go together", path));
    if (!first.cert_file.empty()) c.certs.insert(c.certs.begin(), std::move(first));
    if (int(c.min_version) > int(c.max_version))
      return fail(at, fmt::format("key \"{}\": min_version is above max_version", path));
    for (auto& a : listen) out.push_back({std::move(a), c});
    return true;
  }

  bool parse_dns(od::value& v, const char* at, std::string_view path, Config& cfg) {
    od::object obj;
    if (v.get_object().get(obj)) return fail_type(at, path, "an object", v);
    DnsConfig d;
    const bool ok = for_each_field(obj, "dns.", [&](std::string_view fpath, std::string_view key,
                                                    const char* fat, od::value& fv) {
      if (key == "zones") return parse_zones(fv, fat, fpath, d.zones);
      if (key == "listen") return parse_listen(fv, fat, fpath, d.listen);
      if (key == "tcp_idle_timeout_ms") return get_count(fv, fat, fpath, d.tcp_idle_timeout_ms, 86400000);
      if (key == "tcp_max_connections") return get_count(fv, fat, fpath, d.tcp_max_connections, 10000000);
      if (key == "tcp_max_message_bytes") return get_count(fv, fat, fpath, d.tcp_max_message_bytes, 65535);
      if (key == "xfr_max_concurrent") return get_count(fv, fat, fpath, d.xfr_max_concurrent, 100000);
      if (key == "xfr_send_timeout_ms") return get_count(fv, fat, fpath, d.xfr_send_timeout_ms, 3600000);
      if (key == "xfr_max_message_bytes") {
        if (!get_count(fv, fat, fpath, d.xfr_max_message_bytes, 65535)) return false;
        if (d.xfr_max_message_bytes < 512) return fail(fat, fmt::format("key \"{}\": must be at least 512", fpath));
        return true;
      }
      if (key == "ixfr_max_versions") return get_count(fv, fat, fpath, d.history.max_versions, 100000);
      if (key == "ixfr_max_bytes") return get_count(fv, fat, fpath, d.history.max_bytes, uint64_t(1) << 40);
      if (key == "notify_timeout_ms") {
        if (!get_count(fv, fat, fpath, d.notify.timeout_ms, 600000)) return false;
        if (d.notify.timeout_ms < 1) return fail(fat, fmt::format("key \"{}\": must be at least 1", fpath));
        return true;
      }
      if (key == "notify_max_attempts") {
        if (!get_count(fv, fat, fpath, d.notify.max_attempts, 100)) return false;
        if (d.notify.max_attempts < 1) return fail(fat, fmt::format("key \"{}\": must be at least 1", fpath));
        return true;
      }
      if (key == "udp_payload_size") {
        if (!get_count(fv, fat, fpath, d.udp_payload_size, 65535)) return false;
        if (d.udp_payload_size < 512) return fail(fat, fmt::format("key \"{}\": must be at least 512", fpath));
        return true;
      }
      if (key == "admin_listen") {
        if (!get_string(fv, fat, fpath, d.admin_listen)) return false;
        if (!is_host_port(d.admin_listen)) {
          return fail(fat, fmt::format("key \"{}\": \"{}\" is not HOST:PORT", fpath, d.admin_listen));
        }
        return true;
      }
      if (key == "rrl") return parse_rrl(fv, fat, fpath, d.rrl);
      return fail(fat, fmt::format("unknown key \"{}\" (known keys in \"dns\": {})", fpath,
                                   join({"zones", "listen", "tcp_idle_timeout_ms", "tcp_max_connections",
                                         "tcp_max_message_bytes", "udp_payload_size", "xfr_max_concurrent",
                                         "xfr_send_timeout_ms", "xfr_max_message_bytes", "ixfr_max_versions", "ixfr_max_bytes",
                                         "notify_timeout_ms", "notify_max_attempts", "admin_listen", "rrl"})));
    });
    if (!ok) return false;
    if (d.zones.empty()) return fail(at, fmt::format("key \"{}\": \"zones\" must name at least one zone", path));
    if (d.listen.empty()) return fail(at, fmt::format("key \"{}\": \"listen\" must name at least one address", path));
    cfg.dns = std::move(d);
    return true;
  }

  // {"responses_per_second": N, "slip": 2, "window": 15, "ipv4_prefix": 24, "ipv6_prefix": 56,
  //  "table_size": 65536}: response rate limiting (rrl.h); responses_per_second is required.
  bool parse_rrl(od::value& v, const char* at, std::string_view path, dns::RrlOptions& out) {
    od::object obj;
    if (v.get_object().get(obj)) return fail_type(at, path, "an object", v);
    dns::RrlOptions r;
    bool have_rate = false;
    const bool ok = for_each_field(obj, std::string(path) + ".", [&](std::string_view fpath, std::string_view key,
                                                                      const char* fat, od::value& fv) {
      if (key == "responses_per_second") {
        have_rate = true;
        return get_count(fv, fat, fpath, r.responses_per_second, 1000000);
      }
      if (key == "slip") return get_count(fv, fat, fpath, r.slip, 100);
      if (key == "window") {
        if (!get_count(fv, fat, fpath, r.window_s, 3600)) return false;
        if (r.window_s == 0) return fail(fat, fmt::format("key \"{}\": must be at least 1", fpath));
        return true;
      }
      if (key == "ipv4_prefix") return get_count(fv, fat, fpath, r.ipv4_prefix, 32);
      if (key == "ipv6_prefix") return get_count(fv, fat, fpath, r.ipv6_prefix, 128);
      if (key == "table_size") {
        if (!get_count(fv, fat, fpath, r.table_size, uint64_t(1) << 26)) return false;
        if (r.table_size == 0) return fail(fat, fmt::format("key \"{}\": must be at least 1", fpath));
        return true;
      }
      return fail(fat, fmt::format("unknown key \"{}\" (known keys in \"{}\": responses_per_second, slip, "
                                   "window, ipv4_prefix, ipv6_prefix, table_size)",
                                   fpath, path));
    });
    if (!ok) return false;
    if (!have_rate) return fail(at, fmt::format("key \"{}\": \"responses_per_second\" is required", path));
    out = r;
    return true;
  }

  // [{"name": "example.test.", "file": "path"}, ...]
  bool parse_zones(od::value& v, const char* at, std::string_view path, std::vector<dns::ZoneConfig>& out) {
    od::array arr;
    if (v.get_array().get(arr)) return fail_type(at, path, "an array of {\"name\", \"file\"} objects", v);
    size_t index = 0;
    for (auto elem_result : arr) {
      od::value elem;
      if (auto e = std::move(elem_result).get(elem)) return fail_json(e);
      const char* elem_at = elem.raw_json_token().data();
      const std::string elem_path = fmt::format("{}[{}]", path, index++);
      od::object zobj;
      if (elem.get_object().get(zobj)) return fail_type(elem_at, elem_path, "an object", elem);
      dns::ZoneConfig z;
      const bool ok = for_each_field(zobj, elem_path + ".", [&](std::string_view fpath, std::string_view key,
                                                                 const char* fat, od::value& fv) {
        if (key == "name") {
          if (!get_string(fv, fat, fpath, z.name)) return false;
          std::string n = z.name;
          if (n.empty() || n.back() != '.') n += '.';
          std::byte wire[255];
          if (!codec::dns::name_from_text(n, {}, wire)) {
            return fail(fat, fmt::format("key \"{}\": \"{}\" is not a domain name", fpath, z.name));
          }
          return true;
        }
        if (key == "file") return get_string(fv, fat, fpath, z.file);
        if (key == "allow_transfer") return parse_prefixes(fv, fat, fpath, z.allow_transfer);
        if (key == "notify") return parse_listen(fv, fat, fpath, z.notify);
        return fail(fat, fmt::format("unknown key \"{}\" (known keys in a zone: name, file, allow_transfer, notify)",
                                     fpath));
      });
      if (!ok) return false;
      if (z.name.empty() || z.file.empty()) {
        return fail(elem_at, fmt::format("key \"{}\": a zone needs \"name\" and \"file\"", elem_path));
      }
      out.push_back(std::move(z));
    }
    return true;
  }

  // ["127.0.0.1", "10.0.0.0/8", "::1/128"]: addresses and prefixes (zone transfer ACLs).
  bool parse_prefixes(od::value& v, const char* at, std::string_view path, std::vector<std::string>& out) {
    od::array arr;
    if (v.get_array().get(arr)) return fail_type(at, path, "an array of address or prefix strings", v);
    size_t index = 0;
    for (auto elem_result : arr) {
      od::value elem;
      if (auto e = std::move(elem_result).get(elem)) return fail_json(e);
      const char* elem_at = elem.raw_json_token().data();
      const std::string elem_path = fmt::format("{}[{}]", path, index++);
      std::string p;
      if (!get_string(elem, elem_at, elem_path, p)) return false;
      if (!dns::Prefix::parse(p)) {
        return fail(elem_at, fmt::format("key \"{}\": \"{}\" is not an IP address or prefix "
                                         "(like 10.0.0.0/8 or ::1/128, no host bits below the length)", elem_path, p));
      }
      out.push_back(std::move(p));
    }
    return true;
  }

  // true (the defaults), false (off) or an object of the fields to set.
  bool parse_security_headers(od::value& v, const char* at, std::string_view path,
                              std::optional<http::SecurityHeaderOptions>& out) {
    bool on = false;
    if (!v.get_bool().get(on)) {
      if (on) out.emplace();
      else out.reset();
      return true;
    }
    od::object obj;
    if (v.get_object().get(obj)) return fail_type(at, path, "true, false or an object", v);
    http::SecurityHeaderOptions sh;
    const bool ok = for_each_field(obj, std::string(path) + ".", [&](std::string_view fpath, std::string_view key,
                                                                      const char* fat, od::value& fv) {
      if (key == "nosniff") return get_bool(fv, fat, fpath, sh.nosniff);
      if (key == "frame_options") return get_field_value(fv, fat, fpath, sh.frame_options);
      if (key == "referrer_policy") return get_field_value(fv, fat, fpath, sh.referrer_policy);
      if (key == "strict_transport_security") return get_field_value(fv, fat, fpath, sh.strict_transport_security);
      if (key == "content_security_policy") return get_field_value(fv, fat, fpath, sh.content_security_policy);
      return fail(fat, fmt::format("unknown key \"{}\" (known keys in \"{}\": {})", fpath, path,
                                   join({"nosniff", "frame_options", "referrer_policy", "strict_transport_security",
                                         "content_security_policy"})));
    });
    if (!ok) return false;
    out = std::move(sh);
    return true;
  }

  // A string that can go into a response field: printable ASCII and tabs (empty: omitted).
  bool get_field_value(od::value& v, const char* at, std::string_view key, std::string& out) {
    if (!get_string(v, at, key, out)) return false;
    for (char c : out) {
      auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) return fail(at, fmt::format("key \"{}\": control characters are not allowed", key));
    }
    return true;
  }

  bool get_positive(od::value& v, const char* at, std::string_view key, double& out, double max) {
    if (v.get_double().get(out)) return fail_type(at, key, "a number", v);
    if (!(out > 0) || out > max) return fail(at, fmt::format("key \"{}\": {} is out of range (0 < n <= {})", key, out, max));
    return true;
  }

  // {"rps": 100, "burst": 200, "max_clients": 10000}
  bool parse_rate_limit(od::value& v, const char* at, std::string_view path, std::optional<http::RateLimitOptions>& out) {
    od::object obj;
    if (v.get_object().get(obj)) return fail_type(at, path, "an object", v);
    http::RateLimitOptions rl;
    bool have_burst = false;
    const bool ok = for_each_field(obj, std::string(path) + ".", [&](std::string_view fpath, std::string_view key,
                                                                      const char* fat, od::value& fv) {
      if (key == "rps") return get_positive(fv, fat, fpath, rl.rps, 1e9);
      if (key == "burst") {
        have_burst = true;
        if (!get_positive(fv, fat, fpath, rl.burst, 1e9)) return false;
        if (rl.burst < 1) return fail(fat, fmt::format("key \"{}\": must be at least 1", fpath));
        return true;
      }
      if (key == "max_clients") {
        if (!get_count(fv, fat, fpath, rl.max_clients, 100000000)) return false;
        if (rl.max_clients == 0) return fail(fat, fmt::format("key \"{}\": must be at least 1", fpath));
        return true;
      }
      return fail(fat, fmt::format("unknown key \"{}\" (known keys in \"{}\": rps, burst, max_clients)", fpath, path));
    });
    if (!ok) return false;
    if (!have_burst) rl.burst = std::max(1.0, rl.rps);
    out = rl;
    return true;
  }

  // {"realm": "...", "users": {"name": "password" | "{sha256}<hex>"}}
  bool parse_basic_auth(od::value& v, const char* at, std::string_view path, std::optional<http::BasicAuthOptions>& out) {
    od::object obj;
    if (v.get_object().get(obj)) return fail_type(at, path, "an object", v);
    http::BasicAuthOptions ba;
    const bool ok = for_each_field(obj, std::string(path) + ".", [&](std::string_view fpath, std::string_view key,
                                                                      const char* fat, od::value& fv) {
      if (key == "realm") {
        if (!get_string(fv, fat, fpath, ba.realm)) return false;
        http::BasicAuthOptions check;
        check.realm = ba.realm;
        if (std::string why = http::check_basic_auth(check); !why.empty()) return fail(fat, fmt::format("key \"{}\": {}", fpath, why));
        return true;
      }
      if (key == "users") {
        od::object users;
        if (fv.get_object().get(users)) return fail_type(fat, fpath, "an object of \"user\": \"password\"", fv);
        return for_each_field(users, std::string(fpath) + ".", [&](std::string_view upath, std::string_view name,
                                                                   const char* uat, od::value& uv) {
          std::string password;
          if (!get_string(uv, uat, upath, password)) return false;
          http::BasicAuthOptions check;
          check.users.emplace_back(std::string(name), password);
          if (std::string why = http::check_basic_auth(check); !why.empty()) return fail(uat, fmt::format("key \"{}\": {}", upath, why));
          ba.users.emplace_back(std::string(name), std::move(password));
          return true;
        });
      }
      return fail(fat, fmt::format("unknown key \"{}\" (known keys in \"{}\": realm, users)", fpath, path));
    });
    if (!ok) return false;
    if (ba.users.empty()) return fail(at, fmt::format("key \"{}\": \"users\" must name at least one user", path));
    out = std::move(ba);
    return true;
  }

  // ["access_log", "request_id", ...]: the order the built-in middlewares run in.
  bool parse_middleware_order(od::value& v, const char* at, std::string_view path, std::vector<std::string>& out) {
    od::array arr;
    if (v.get_array().get(arr)) return fail_type(at, path, "an array of middleware names", v);
    size_t index = 0;
    for (auto elem_result : arr) {
      od::value elem;
      if (auto e = std::move(elem_result).get(elem)) return fail_json(e);
      const char* elem_at = elem.raw_json_token().data();
      const std::string elem_path = fmt::format("{}[{}]", path, index++);
      std::string name;
      if (!get_string(elem, elem_at, elem_path, name)) return false;
      static constexpr std::string_view kNames[] = {"access_log", "request_id", "security_headers", "rate_limit", "basic_auth"};
      if (std::find(std::begin(kNames), std::end(kNames), name) == std::end(kNames)) {
        return fail(elem_at, fmt::format("key \"{}\": \"{}\" is not one of access_log, request_id, security_headers, "
                                         "rate_limit, basic_auth", elem_path, name));
      }
      if (std::find(out.begin(), out.end(), name) != out.end()) {
        return fail(elem_at, fmt::format("key \"{}\": \"{}\" is listed twice", elem_path, name));
      }
      out.push_back(std::move(name));
    }
    return true;
  }

  bool parse_listen(od::value& v, const char* at, std::string_view path,
                    std::vector<std::string>& out) {
    od::array arr;
    if (v.get_array().get(arr)) return fail_type(at, path, "an array of \"HOST:PORT\" strings", v);
    size_t index = 0;
    for (auto elem_result : arr) {
      od::value elem;
      if (auto e = std::move(elem_result).get(elem)) return fail_json(e);
      const char* elem_at = elem.raw_json_token().data();
      const std::string elem_path = fmt::format("{}[{}]", path, index);
      std::string addr;
      if (!get_string(elem, elem_at, elem_path, addr)) return false;
      if (!is_host_port(addr)) {
        return fail(elem_at, fmt::format("key \"{}\": \"{}\" is not HOST:PORT (port 1..65535, "
                                         "IPv6 in brackets)", elem_path, addr));
      }
      out.push_back(std::move(addr));
      ++index;
    }
    return true;
  }

  // The first non-blank byte of the input (for "must be an object").
  const char* text_start() const {
    const size_t i = text_.find_first_not_of(" \t\r\n");
    return padded_.data() + (i == std::string_view::npos ? text_.size() : i);
  }

  std::string_view text_;
  simdjson::padded_string padded_;
  std::string_view source_;
  od::parser parser_;
  od::document doc_;
  bool doc_ok_ = false;
  std::string error_;
};

}  // namespace

std::optional<BackendKind> parse_backend(std::string_view name) noexcept {
  if (name == "auto") return BackendKind::automatic;
  if (name == "io_uring") return BackendKind::io_uring;
  if (name == "epoll") return BackendKind::epoll;
  return std::nullopt;
}

std::string_view backend_name(BackendKind kind) noexcept {
  switch (kind) {
    case BackendKind::automatic: return "auto";
    case BackendKind::io_uring: return "io_uring";
    case BackendKind::epoll: return "epoll";
  }
  return "?";
}

bool is_host_port(std::string_view addr) noexcept {
  std::string_view host, port;
  if (!addr.empty() && addr.front() == '[') {
    const size_t close = addr.find("]:");
    if (close == std::string_view::npos) return false;
    host = addr.substr(1, close - 1);
    port = addr.substr(close + 2);
  } else {
    const size_t colon = addr.rfind(':');
    if (colon == std::string_view::npos) return false;
    host = addr.substr(0, colon);
    port = addr.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return false;  // bare IPv6: needs brackets
  }
  if (host.empty() || port.empty() || port.size() > 5) return false;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  return ec == std::errc() && end == port.data() + port.size() && value >= 1 && value <= 65535;
}

ConfigResult parse_config(std::string_view json, std::string_view source) {
  try {
    return Parser(json, source).run();
  } catch (const std::exception& e) {  // allocation failure in a container or fmt
    return {std::nullopt, fmt::format("{}: {}", source, e.what())};
  }
}

ConfigResult load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {std::nullopt, fmt::format("{}: {}", path, std::strerror(errno))};
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return {std::nullopt, fmt::format("{}: read error", path)};
  return parse_config(text.str(), path);
}

}  // namespace zp::cli
