// Example: the stub resolver inside a service.
// Shows: an HTTP route that resolves names with zp::dns::Resolver (one per shard, made on
// its shard, like every piece of mutable state) against a DNS server the program starts
// itself; the resolver configured in code instead of /etc/resolv.conf and /etc/hosts (a
// search domain, a hosts table consulted first), its cache answering a repeated name, and
// NXDOMAIN mapped to a 404. Everything runs on one shard: DNS server, HTTP server, client.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "../common/free_port.h"
#include "zp/codec/dns/message.h"
#include "zp/dns/resolver.h"
#include "zp/dns/server.h"
#include "zp/dns/zone.h"
#include "zp/engine/backend.h"
#include "zp/engine/shard.h"
#include "zp/http/client.h"
#include "zp/http/router.h"
#include "zp/http/server.h"

namespace {

namespace dns = zp::dns;
namespace http = zp::http;

constexpr const char* kZone = R"($TTL 300
@     SOA   ns1 hostmaster 1 7200 3600 1209600 60
@     NS    ns1
@     MX    10 mail
ns1   A     192.0.2.1
mail  A     192.0.2.25
www   A     192.0.2.80
www   AAAA  2001:db8::80
)";

// One resolver per shard, indexed by shard id; each is used on its own shard only.
using Resolvers = std::vector<std::unique_ptr<dns::Resolver>>;

// GET /resolve/:name -> the addresses, one line; 404 when the name does not exist (a name
// with a final dot is absolute: the search list is not tried).
zp::Task<void> resolve_route(dns::Resolver& resolver, http::Context& c) {
  std::string name(c.param("name"));
  auto ips = co_await resolver.lookup_host(name);
  if (!ips) {
    bool missing = ips.error() == dns::ResolverErrc::nxdomain || ips.error() == dns::ResolverErrc::nodata;
    c.send(missing ? 404 : 502, name + ": " + ips.error().message() + "\n");
    co_return;
  }
  std::string body = name + " ->";
  for (const auto& ip : *ips) body += " " + ip.to_string();
  c.send(200, body + "\n");
}

// GET /stats -> the resolver's counters on this shard.
zp::Task<void> stats_route(dns::Resolver& resolver, http::Context& c) {
  auto s = resolver.stats();
  c.send(200, "questions " + std::to_string(s.queries) + ", sent to the server " + std::to_string(s.sent) +
                  ", cache hits " + std::to_string(s.cache_hits) + ", hosts hits " + std::to_string(s.hosts_hits) + "\n");
  co_return;
}

zp::Task<void> browse(http::Client& client, std::string base) {
  for (const char* path : {"/resolve/www", "/resolve/www.example.test", "/resolve/printer", "/resolve/nope.example.test.",
                           "/stats"}) {
    auto r = co_await client.get(base + path);
    if (r) std::printf("GET %-28s %d %s", path, r->status, r->body.c_str());
    else std::printf("GET %-28s error %s\n", path, r.error().message().c_str());
  }
}

}  // namespace

int main() {
  auto backend = zp::make_backend(zp::BackendKind::automatic, {});
  if (!backend) return std::fprintf(stderr, "backend: %s\n", backend.error().message().c_str()), 1;
  zp::Shard shard(0, 1, std::move(*backend));

  // The DNS server the resolver will ask.
  auto zone = dns::build_zone("example.test.", kZone, "example.test (inline)");
  if (!zone) return std::fprintf(stderr, "zone: %s\n", zone.error.c_str()), 1;
  dns::ServerOptions dso;
  dso.store = std::make_shared<dns::ZoneStore>(
      std::make_shared<const dns::ZoneSet>(std::vector<std::shared_ptr<const dns::Zone>>{zone.zone}));
  dso.reload_on_signal = false;
  auto dns_port = example::start_on_free_port([&](std::string addr) {
    dso.listen = {addr};
    return dns::start(shard, dso);
  });
  if (!dns_port) return std::fprintf(stderr, "dns server: %s\n", dns_port.error().message().c_str()), 1;

  // The resolver's configuration, as resolv.conf and hosts would give it.
  dns::ResolverOptions ro;
  ro.config = dns::parse_resolv_conf("nameserver 127.0.0.1:" + std::to_string(*dns_port) +
                                     "\nsearch example.test\noptions timeout:2 attempts:1\n");
  ro.hosts = dns::parse_hosts("192.0.2.99 printer.example.test printer\n");
  Resolvers resolvers(shard.count());
  resolvers[shard.id()] = std::make_unique<dns::Resolver>(shard, ro);  // on every shard's thread

  // The HTTP service. The handlers are shared by the shards; each picks its shard's resolver.
  auto router = std::make_shared<http::Router>();
  Resolvers* rs = &resolvers;
  router->get("/resolve/:name", [rs](http::Context& c) { return resolve_route(*(*rs)[c.shard().id()], c); });
  router->get("/stats", [rs](http::Context& c) { return stats_route(*(*rs)[c.shard().id()], c); });
  http::ServerOptions hso;
  auto http_port = example::start_on_free_port([&](std::string addr) {
    hso.listen = {addr};
    return http::start(shard, hso, router);
  });
  if (!http_port) return std::fprintf(stderr, "http server: %s\n", http_port.error().message().c_str()), 1;

  {
    http::Client client(shard);
    shard.block_on(browse(client, "http://127.0.0.1:" + std::to_string(*http_port)));
  }
  shard.request_stop(0);
  shard.run();
  std::printf("stopped cleanly\n");
  return 0;  // the resolvers go before the shard (declared after it)
}
