// `zproto get`: maps curl's flags onto a client::Request and Options, prints what curl
// prints (-v heads on stderr with "> "/"< ", -I heads on stdout), streams the body out.
#include "get.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string_view>

#include "zp/codec/http1/errc.h"
#include "zp/codec/http1/parser.h"
#include "zp/codec/url/url.h"
#include "zp/engine/tls.h"
#include "zp/http/client.h"

namespace zp::cli {

namespace hc = http::client;

namespace {

// Prints each line of an HTTP head with prefix (CRLFs become newlines).
void print_head(std::FILE* out, std::string_view prefix, std::string_view head) {
  while (!head.empty()) {
    auto eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    fmt::print(out, "{}{}\n", prefix, line);
    if (eol == std::string_view::npos) break;
    head.remove_prefix(eol + 2);
  }
}

int exit_code_for(const Error& e) {
  if (e.category() == hc::category()) {
    switch (static_cast<hc::Errc>(e.value())) {
      case hc::Errc::unsupported_scheme: return 1;
      case hc::Errc::userinfo_in_url:
      case hc::Errc::no_host: return 3;
      case hc::Errc::host_not_found:
      case hc::Errc::resolver_failed: return 6;
      case hc::Errc::too_many_redirects: return 47;
      case hc::Errc::unexpected_eof: return 52;
      case hc::Errc::body_too_large: return 63;
      default: return 8;
    }
  }
  if (e.category() == tls::category()) {
    switch (static_cast<tls::Errc>(e.value())) {
      case tls::Errc::cert_expired:
      case tls::Errc::cert_not_yet_valid:
      case tls::Errc::unknown_ca:
      case tls::Errc::name_mismatch:
      case tls::Errc::bad_certificate: return 60;  // curl's CURLE_PEER_FAILED_VERIFICATION
      case tls::Errc::bad_cert_file:
      case tls::Errc::bad_key_file: return 58;
      case tls::Errc::bad_ca_file: return 77;
      case tls::Errc::handshake_timeout: return 28;
      default: return 35;  // CURLE_SSL_CONNECT_ERROR
    }
  }
  if (e.category() == codec::url::category()) return 3;
  if (e.category() == codec::http1::category()) return 8;
  if (e == std::errc::timed_out) return 28;
  if (e == std::errc::connection_refused || e == std::errc::network_unreachable ||
      e == std::errc::host_unreachable)
    return 7;
  return 56;
}

}  // namespace

int run_get(const GetFlags& f) {
  hc::Request req;
  req.url = f.url.find("://") == std::string::npos ? "http://" + f.url : f.url;  // curl's default
  for (const auto& h : f.headers) {
    auto colon = h.find(':');
    if (colon == std::string::npos || colon == 0) {
      fmt::print(stderr, "zproto: -H {}: expected 'Name: value'\n", h);
      return 2;
    }
    std::string value = h.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
    req.headers.push_back({h.substr(0, colon), value});
  }
  if (!f.data.empty()) {
    std::string body;
    for (const auto& d : f.data) {
      std::string piece = d;
      if (!d.empty() && d[0] == '@') {
        std::ifstream in(d.substr(1), std::ios::binary);
        if (!in) {
          fmt::print(stderr, "zproto: -d {}: cannot read the file\n", d);
          return 26;
        }
        std::ostringstream ss;
        ss << in.rdbuf();
        piece = ss.str();
        std::erase_if(piece, [](char c) { return c == '\r' || c == '\n'; });  // as curl -d does
      }
      if (!body.empty()) body += '&';
      body += piece;
    }
    req.method = "POST";
    req.body = std::move(body);
    bool has_type = false;
    for (const auto& h : req.headers) has_type |= codec::http1::iequals(h.name, "Content-Type");
    if (!has_type) req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
  }
  if (f.head) req.method = "HEAD";
  if (!f.method.empty()) req.method = f.method;

  std::FILE* out = stdout;
  std::FILE* file = nullptr;
  if (!f.output.empty() && !f.head) {
    file = std::fopen(f.output.c_str(), "wb");
    if (!file) {
      fmt::print(stderr, "zproto: -o {}: cannot open for writing\n", f.output);
      return 23;
    }
    out = file;
  }
  bool write_failed = false;
  req.on_body = [&](std::span<const char> d) -> Result<void> {
    if (std::fwrite(d.data(), 1, d.size(), out) != d.size()) {
      write_failed = true;
      return fail(EIO);
    }
    return {};
  };

  hc::Options o;
  o.follow_redirects = f.follow;
  o.tls.ca_file = f.cacert;
  o.tls.verify = !f.insecure;
  if (f.insecure && req.url.starts_with("https"))
    fmt::print(stderr, "zproto: WARNING: -k: the server's certificate and name are NOT verified; "
                       "anyone on the path can read and change this transfer\n");
  o.tls.cert_file = f.cert;
  o.tls.key_file = f.key;
  if (f.max_time_s > 0) o.total_timeout_ms = std::max<int64_t>(1, std::llround(f.max_time_s * 1000));
  if (f.verbose) {
    o.on_request_head = [](std::string_view h) { print_head(stderr, "> ", h); };
  }
  o.on_response_head = [&](std::string_view h) {
    if (f.verbose) print_head(stderr, "< ", h);
    if (f.head) {
      std::fwrite(h.data(), 1, h.size(), stdout);  // curl -I prints the head as received
    }
  };

  auto r = hc::fetch(std::move(req), o);
  if (file && std::fclose(file) != 0) write_failed = true;
  std::fflush(stdout);
  if (write_failed) {
    fmt::print(stderr, "zproto: {}: cannot write the body\n", f.output.empty() ? "stdout" : f.output);
    return 23;
  }
  if (!r) {
    fmt::print(stderr, "zproto: {}: {}\n", f.url, r.error().message());
    return exit_code_for(r.error());
  }
  return 0;
}

}  // namespace zp::cli
