// Example: an authoritative DNS server from zone text, queried over UDP and TCP.
// Shows: build_zone (zone-file text in memory, errors as "source:line:col: what"), a
// ZoneStore over the built ZoneSet, zp::dns::start on the application's shard, and
// zp::dns::exchange (the resolver's transport: random ID and source port, reply matched
// to the question) to query it; the replies are parsed with the codec and printed dig-like.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "../common/free_port.h"
#include "zp/codec/dns/message.h"
#include "zp/codec/dns/text.h"
#include "zp/dns/resolver.h"
#include "zp/dns/server.h"
#include "zp/dns/zone.h"
#include "zp/engine/backend.h"
#include "zp/engine/shard.h"

namespace {

namespace dns = zp::dns;
namespace codec = zp::codec::dns;

constexpr const char* kZone = R"($TTL 3600
@     IN SOA ns1 hostmaster 2024060101 7200 3600 1209600 300
@     NS    ns1
@     MX    10 mail
ns1   A     192.0.2.1
mail  A     192.0.2.25
www   A     192.0.2.80
www   AAAA  2001:db8::80
docs  CNAME www
)";

const char* rcode_name(unsigned rcode) {
  static const char* const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
  return rcode < 6 ? names[rcode] : "other";
}

// Sends one question and prints the reply's RCODE, flags and answer records.
zp::Task<void> ask(zp::SocketAddr server, std::string name, std::uint16_t type, bool tcp) {
  dns::ExchangeOptions o{.timeout_ms = 2000, .attempts = 1, .tcp = tcp, .recursion_desired = false};
  std::vector<zp::SocketAddr> servers(1, server);  // not {server}: GCC 12 rejects that list in a coroutine
  auto reply = co_await dns::exchange(servers, name, type, o);
  std::string qtype;
  codec::type_to_text(type, qtype);
  if (!reply) {
    std::printf("%s %s: error %s\n", name.c_str(), qtype.c_str(), reply.error().message().c_str());
    co_return;
  }
  codec::Record storage[32];
  codec::Message m;
  if (!codec::parse_message(reply->wire, m, storage).ok()) {
    std::printf("%s %s: unparsable reply\n", name.c_str(), qtype.c_str());
    co_return;
  }
  std::printf("%s %s over %s: %s%s, %zu answer(s)\n", name.c_str(), qtype.c_str(), reply->tcp ? "TCP" : "UDP",
              rcode_name(m.rcode()), m.header.aa() ? " (authoritative)" : "", m.answer.size());
  for (const auto& rr : m.answer) {
    std::string line;
    codec::record_to_text(rr, line);
    std::printf("  %s\n", line.c_str());
  }
}

zp::Task<void> queries(zp::SocketAddr server) {
  co_await ask(server, "www.example.test.", codec::rrtype::a, false);
  co_await ask(server, "example.test.", codec::rrtype::mx, false);
  co_await ask(server, "docs.example.test.", codec::rrtype::aaaa, true);  // a CNAME, then its target
  co_await ask(server, "nope.example.test.", codec::rrtype::a, false);
}

}  // namespace

int main() {
  auto zone = dns::build_zone("example.test.", kZone, "example.test (inline)");
  if (!zone) return std::fprintf(stderr, "zone: %s\n", zone.error.c_str()), 1;
  std::printf("zone example.test.: serial %u, %zu records\n", zone.zone->serial(), zone.zone->record_count());
  // A broken line is reported with where it is, and nothing is served from it.
  auto bad = dns::build_zone("example.test.", "$TTL 60\n@ SOA ns1 hm 1 2 3 4 5\nwww A 192.0.2.300\n", "broken.zone");
  std::printf("a broken zone: %s\n", bad.error.c_str());

  auto backend = zp::make_backend(zp::BackendKind::automatic, {});
  if (!backend) return std::fprintf(stderr, "backend: %s\n", backend.error().message().c_str()), 1;
  zp::Shard shard(0, 1, std::move(*backend));
  dns::ServerOptions so;
  so.store = std::make_shared<dns::ZoneStore>(
      std::make_shared<const dns::ZoneSet>(std::vector<std::shared_ptr<const dns::Zone>>{zone.zone}));
  so.reload_on_signal = false;  // the zones are not files: nothing to reload
  auto port = example::start_on_free_port([&](std::string addr) {
    so.listen = {addr};
    return dns::start(shard, so);  // UDP and TCP on the same port
  });
  if (!port) return std::fprintf(stderr, "server: %s\n", port.error().message().c_str()), 1;

  shard.block_on(queries(*zp::SocketAddr::parse("127.0.0.1:" + std::to_string(*port))));
  shard.request_stop(0);
  shard.run();
  std::printf("stopped cleanly\n");
  return 0;
}
