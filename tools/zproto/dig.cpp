// `zproto dig`: parses dig-style arguments, sends one question with zp::dns::exchange on a
// private one-shard engine and prints the reply with the codec's presentation printer.
#include "dig.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>

#include "zp/codec/dns/message.h"
#include "zp/codec/dns/text.h"
#include "zp/dns/resolver.h"
#include "zp/engine/backend.h"
#include "zp/engine/private_shard.h"
#include "zp/engine/shard.h"

namespace zp::cli {

namespace cd = codec::dns;

namespace {

struct Plan {
  std::string name;
  std::uint16_t type = cd::rrtype::a;
  std::string server;  // empty: resolv.conf
  bool short_form = false;
  dns::ExchangeOptions x;
  bool time_set = false, tries_set = false;
};

std::optional<unsigned> number(std::string_view s) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// The error text, or "" when the arguments make a plan.
std::string parse_args(const std::vector<std::string>& args, Plan& p) {
  bool have_type = false;
  for (const auto& a : args) {
    if (a.empty()) continue;
    if (a[0] == '@') {
      p.server = a.substr(1);
    } else if (a[0] == '+') {
      std::string_view o = std::string_view(a).substr(1);
      if (o == "tcp" || o == "vc") p.x.tcp = true;
      else if (o == "notcp" || o == "novc") p.x.tcp = false;
      else if (o == "short") p.short_form = true;
      else if (o == "norec" || o == "norecurse") p.x.recursion_desired = false;
      else if (o == "rec" || o == "recurse") p.x.recursion_desired = true;
      else if (o == "noedns") p.x.edns = false;
      else if (o == "edns") p.x.edns = true;
      else if (o.starts_with("time=")) {
        auto v = number(o.substr(5));
        if (!v || *v == 0 || *v > 300) return "bad +time value '" + a + "' (1..300 seconds)";
        p.x.timeout_ms = *v * 1000;
        p.time_set = true;
      } else if (o.starts_with("tries=") || o.starts_with("retry=")) {
        auto v = number(o.substr(o.find('=') + 1));
        if (!v || *v > 10) return "bad value '" + a + "' (0..10)";
        p.x.attempts = o.starts_with("tries=") ? std::max(1u, *v) : *v + 1;
        p.tries_set = true;
      } else {
        return "unknown option '" + a + "'";
      }
    } else if (p.name.empty()) {
      p.name = a;
    } else if (!have_type) {
      auto t = cd::type_from_text(a);
      if (!t) return "unknown type '" + a + "'";
      p.type = *t;
      have_type = true;
    } else {
      return "unexpected argument '" + a + "'";
    }
  }
  if (p.name.empty()) return "a NAME is required";
  return {};
}

// "192.0.2.1", "192.0.2.1:5353", "::1", "[::1]:5353" → an address (port 53 by default).
std::optional<SocketAddr> parse_server(const std::string& s) {
  auto conf = dns::parse_resolv_conf("nameserver " + s + "\n");
  if (!conf.warnings.empty() || conf.servers.size() != 1) return std::nullopt;
  return conf.servers[0];
}

std::string server_text(const SocketAddr& a) {
  std::string s = a.to_string();  // "1.2.3.4:53" / "[::1]:53"
  auto colon = s.rfind(':');
  std::string host = s.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  return host + "#" + s.substr(colon + 1) + "(" + host + ")";
}

}  // namespace

int run_dig(const DigFlags& f) {
  Plan p;
  if (auto err = parse_args(f.args, p); !err.empty()) {
    fmt::print(stderr, "zproto dig: {}\n", err);
    return 1;
  }
  if (p.name.back() != '.') p.name += '.';  // dig: names are absolute (no search list)
  std::vector<SocketAddr> servers;
  if (!p.server.empty()) {
    auto a = parse_server(p.server);
    if (!a) {
      fmt::print(stderr, "zproto dig: bad server '@{}' (an IPv4/IPv6 address, optionally :PORT)\n", p.server);
      return 1;
    }
    servers.push_back(*a);
  } else {
    auto conf = dns::load_resolv_conf(f.resolv_conf);
    if (!conf) {
      fmt::print(stderr, "zproto dig: {}: {}\n", f.resolv_conf, conf.error().message());
      return 10;
    }
    servers = conf->servers;
    if (!p.time_set) p.x.timeout_ms = conf->timeout_ms;
    if (!p.tries_set) p.x.attempts = conf->attempts;
  }

  auto backend = make_backend(BackendKind::automatic, private_shard_backend_options());
  if (!backend) {
    fmt::print(stderr, "zproto dig: no I/O backend: {}\n", backend.error().message());
    return 10;
  }
  Result<dns::Reply> reply = fail(ECANCELED);
  std::chrono::steady_clock::duration took{};
  {
    Shard shard(0, 1, std::move(*backend));
    const auto t0 = std::chrono::steady_clock::now();
    reply = shard.block_on(dns::exchange(servers, p.name, p.type, p.x));
    took = std::chrono::steady_clock::now() - t0;
    shard.request_stop(0);
    shard.run();
  }
  if (!reply) {
    const auto e = reply.error();
    fmt::print(stderr, "zproto dig: {} {}: {}\n", p.name, [&] {
      std::string t;
      cd::type_to_text(p.type, t);
      return t;
    }(), e.message());
    if (e == dns::ResolverErrc::timeout || e == dns::ResolverErrc::malformed_reply) return 9;
    return 10;
  }
  std::vector<cd::Record> storage(4096);
  cd::Message m;
  auto parsed = cd::parse_message(reply->wire, m, storage);
  if (!parsed.ok()) {  // the transport matched it, so this does not happen; still no crash
    fmt::print(stderr, "zproto dig: malformed reply: {}\n", cd::errc_name(parsed.error));
    return 9;
  }
  std::string out;
  if (p.short_form) {
    for (const auto& rr : m.answer) {
      cd::rdata_to_text(rr, out);
      out += '\n';
    }
  } else {
    std::string t;
    cd::type_to_text(p.type, t);
    out += fmt::format("\n; <<>> zproto dig <<>> {} {}\n;; Got answer:\n", p.name, t);
    cd::message_to_text(m, out);
    out += fmt::format("\n;; Query time: {} msec\n;; SERVER: {} ({})\n;; MSG SIZE  rcvd: {}\n\n",
                       std::chrono::duration_cast<std::chrono::milliseconds>(took).count(),
                       server_text(reply->server), reply->tcp ? "TCP" : "UDP", reply->wire.size());
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace zp::cli
