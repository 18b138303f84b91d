// A TLS server object of a config section (HTTP and MQTT listeners).
#include "zp/service/tls_config.h"

#include <fmt/format.h>

namespace zp::service {

namespace {

bool parse_tls_version(ConfigReader& r, const Node& n, tls::Version& out) {
  std::string s;
  if (!r.string(n, s)) return false;
  if (s == "1.2") out = tls::Version::tls12;
  else if (s == "1.3") out = tls::Version::tls13;
  else return r.invalid(n, fmt::format("\"{}\" is not \"1.2\" or \"1.3\"", s));
  return true;
}

bool parse_cert_list(ConfigReader& r, const Node& n, std::vector<tls::CertKey>& out) {
  tls::CertKey ck;
  return r.array_of_objects(
      n, "an array of {\"cert\", \"key\"}", [&](const Node&) { ck = {}; return true; },
      [&](const Node& f, std::string_view key) {
        if (key == "cert") return r.string(f, ck.cert_file);
        if (key == "key") return r.string(f, ck.key_file);
        return r.fail(f.at, fmt::format("unknown key \"{}\" (known keys: cert, key)", f.path));
      },
      [&](const Node& elem) {
        if (ck.cert_file.empty() || ck.key_file.empty())
          return r.fail(elem.at, fmt::format("key \"{}\": each entry needs \"cert\" and \"key\"", n.path));
        out.push_back(std::move(ck));
        return true;
      });
}

bool parse_alpn(ConfigReader& r, const Node& n, std::vector<std::string>& out) {
  out.clear();
  return r.array(n, "an array of protocol names", [&](const Node& elem) {
    std::string p;
    if (!r.string(elem, p)) return false;
    if (p.empty() || p.size() > 255 || p.find(',') != std::string::npos)
      return r.fail(n.at, fmt::format("key \"{}\": \"{}\" is not a protocol name", n.path, p));
    out.push_back(std::move(p));
    return true;
  });
}

}  // namespace

bool parse_tls_server(ConfigReader& r, const Node& n, tls::ServerConfig& c, std::vector<std::string>* listen) {
  tls::CertKey first;
  const bool ok = r.object(
      n,
      [&](const Node& f, std::string_view key) {
        if (listen && key == "listen") return r.host_ports(f, *listen);
        if (key == "cert") return r.string(f, first.cert_file);
        if (key == "key") return r.string(f, first.key_file);
        if (key == "certs") return parse_cert_list(r, f, c.certs);
        if (key == "client_ca") return r.string(f, c.client_ca_file);
        if (key == "client_cert_required") return r.boolean(f, c.client_cert_required);
        if (key == "min_version") return parse_tls_version(r, f, c.min_version);
        if (key == "max_version") return parse_tls_version(r, f, c.max_version);
        if (key == "ciphers") return r.string(f, c.cipher_list);
        if (key == "alpn") return parse_alpn(r, f, c.alpn);
        if (key == "handshake_timeout_ms") return r.count(f, c.handshake_timeout_ms, 600000);
        if (key == "session_tickets") return r.boolean(f, c.session_tickets);
        if (listen) {
          return r.unknown_key(f, n.path,
                               {"listen", "cert", "key", "certs", "client_ca", "client_cert_required", "min_version",
                                "max_version", "ciphers", "alpn", "handshake_timeout_ms", "session_tickets"});
        }
        return r.unknown_key(f, n.path,
                             {"cert", "key", "certs", "client_ca", "client_cert_required", "min_version",
                              "max_version", "ciphers", "alpn", "handshake_timeout_ms", "session_tickets"});
      },
      listen ? "an object (or an array of objects)" : "an object");
  if (!ok) return false;
  if (first.cert_file.empty() != first.key_file.empty()) return r.invalid(n, "\"cert\" and \"key\" go together");
  if (!first.cert_file.empty()) c.certs.insert(c.certs.begin(), std::move(first));
  if (int(c.min_version) > int(c.max_version)) return r.invalid(n, "min_version is above max_version");
  return true;
}

}  // namespace zp::service
