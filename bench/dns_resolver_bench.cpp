// zp_dns_resolver_bench: sequential lookups of one A record against one server, our stub
// resolver (zp::dns::Resolver on a one-shard engine) or c-ares (ares_query + ares_parse_a_reply,
// one channel, poll loop). Prints lookups/s, latency percentiles and CPU per lookup.
// Modes: "cached" (ours answers from its cache after the first lookup; c-ares 1.18 has no
// cache, so it asks the server every time) and "uncached" (our cache off: every lookup goes
// to the server, the fair comparison of the two transports). See bench/dns_resolver_compare.sh.
//   zp_dns_resolver_bench zproto uncached 127.0.0.1:5353 www.resolver.test 20000
//   zp_dns_resolver_bench cares  uncached 127.0.0.1:5353 www.resolver.test 20000
#include <ares.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <poll.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "zp/codec/dns/message.h"
#include "zp/dns/resolver.h"
#include "zp/engine/backend.h"
#include "zp/engine/shard.h"

namespace {

using Clock = std::chrono::steady_clock;

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void report(const char* impl, const char* mode, std::vector<double>& lat_us, double total_s, double cpu_s) {
  std::sort(lat_us.begin(), lat_us.end());
  auto pct = [&](double p) { return lat_us[std::min(lat_us.size() - 1, size_t(p * double(lat_us.size())))]; };
  std::printf("%-6s %-8s lookups=%zu lookups_per_s=%.0f p50_us=%.2f p99_us=%.2f cpu_us_per_lookup=%.2f\n", impl, mode,
              lat_us.size(), double(lat_us.size()) / total_s, pct(0.50), pct(0.99), cpu_s * 1e6 / double(lat_us.size()));
}

zp::Task<int> zproto_loop(zp::dns::Resolver& r, std::string name, size_t n, std::vector<double>* lat, double* total,
                          double* cpu) {
  for (int i = 0; i < 200; ++i) {  // warm-up: frame pools, the cache entry
    auto a = co_await r.query_exact(name, zp::codec::dns::rrtype::a);
    if (!a) {
      std::fprintf(stderr, "zproto: %s\n", a.error().message().c_str());
      co_return 1;
    }
  }
  const auto t0 = Clock::now();
  const double c0 = cpu_seconds();
  for (size_t i = 0; i < n; ++i) {
    const auto a = Clock::now();
    auto ans = co_await r.query_exact(name, zp::codec::dns::rrtype::a);
    if (!ans || ans->records.empty()) {
      std::fprintf(stderr, "zproto: lookup failed\n");
      co_return 1;
    }
    lat->push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
  }
  *total = std::chrono::duration<double>(Clock::now() - t0).count();
  *cpu = cpu_seconds() - c0;
  co_return 0;
}

int run_zproto(bool cached, const std::string& server, const std::string& name, size_t n) {
  auto backend = zp::make_backend(zp::BackendKind::automatic, {});
  if (!backend) return 1;
  zp::Shard shard(0, 1, std::move(*backend));
  zp::dns::ResolverOptions o;
  zp::dns::ResolvConf c;
  auto addr = zp::SocketAddr::parse(server);
  if (!addr) return 2;
  c.servers.push_back(*addr);
  o.config = c;
  o.hosts = zp::dns::Hosts{};
  if (!cached) o.cache.max_entries = 0;
  std::vector<double> lat;
  lat.reserve(n);
  double total = 0, cpu = 0;
  int rc;
  {
    zp::dns::Resolver r(shard, o);
    rc = shard.block_on(zproto_loop(r, name, n, &lat, &total, &cpu));
  }
  shard.request_stop(0);
  shard.run();
  if (rc == 0) report("zproto", cached ? "cached" : "uncached", lat, total, cpu);
  return rc;
}

struct CaresState {
  bool done = false;
  int status = 0;
  int addrs = 0;
};

void on_reply(void* arg, int status, int, unsigned char* abuf, int alen) {
  auto* st = static_cast<CaresState*>(arg);
  st->done = true;
  st->status = status;
  if (status != ARES_SUCCESS) return;
  ares_addrttl ttls[8];
  int nttl = 8;
  hostent* he = nullptr;
  if (ares_parse_a_reply(abuf, alen, &he, ttls, &nttl) == ARES_SUCCESS) st->addrs = nttl;
  if (he) ares_free_hostent(he);
}

void cares_wait(ares_channel ch, CaresState& st) {
  while (!st.done) {
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    const int bits = ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
    pollfd pfd[ARES_GETSOCK_MAXNUM];
    int n = 0;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      short ev = 0;
      if (ARES_GETSOCK_READABLE(bits, i)) ev |= POLLIN;
      if (ARES_GETSOCK_WRITABLE(bits, i)) ev |= POLLOUT;
      if (ev) pfd[n++] = {socks[i], ev, 0};
    }
    timeval tv{};
    timeval* t = ares_timeout(ch, nullptr, &tv);
    const int ms = t ? int(t->tv_sec * 1000 + t->tv_usec / 1000) : 1000;
    const int r = poll(pfd, nfds_t(n), ms);
    if (r <= 0) {
      ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      continue;
    }
    for (int i = 0; i < n; ++i) {
      if (!pfd[i].revents) continue;
      ares_process_fd(ch, (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) ? pfd[i].fd : ARES_SOCKET_BAD,
                      (pfd[i].revents & POLLOUT) ? pfd[i].fd : ARES_SOCKET_BAD);
    }
  }
}

int run_cares(bool cached, const std::string& server, const std::string& name, size_t n) {
  if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) return 1;
  ares_channel ch;
  ares_options opts{};
  opts.flags = ARES_FLAG_EDNS;
  opts.ednspsz = 1232;
  opts.lookups = const_cast<char*>("b");  // DNS only, no hosts file
  if (ares_init_options(&ch, &opts, ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ | ARES_OPT_LOOKUPS) != ARES_SUCCESS) return 1;
  if (ares_set_servers_ports_csv(ch, server.c_str()) != ARES_SUCCESS) {
    std::fprintf(stderr, "c-ares: bad server %s\n", server.c_str());
    return 2;
  }
  auto one = [&]() -> bool {
    CaresState st;
    ares_query(ch, name.c_str(), ns_c_in, ns_t_a, on_reply, &st);
    cares_wait(ch, st);
    return st.status == ARES_SUCCESS && st.addrs > 0;
  };
  for (int i = 0; i < 200; ++i)
    if (!one()) {
      std::fprintf(stderr, "c-ares: lookup failed\n");
      return 1;
    }
  std::vector<double> lat;
  lat.reserve(n);
  const auto t0 = Clock::now();
  const double c0 = cpu_seconds();
  for (size_t i = 0; i < n; ++i) {
    const auto a = Clock::now();
    if (!one()) {
      std::fprintf(stderr, "c-ares: lookup failed\n");
      return 1;
    }
    lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
  }
  const double total = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu = cpu_seconds() - c0;
  ares_destroy(ch);
  ares_library_cleanup();
  report("c-ares", cached ? "cached" : "uncached", lat, total, cpu);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s zproto|cares cached|uncached HOST:PORT NAME COUNT\n", argv[0]);
    return 2;
  }
  const std::string impl = argv[1], mode = argv[2], server = argv[3], name = argv[4];
  const size_t n = std::strtoull(argv[5], nullptr, 10);
  if (n == 0 || (mode != "cached" && mode != "uncached")) return 2;
  if (impl == "zproto") return run_zproto(mode == "cached", server, name, n);
  if (impl == "cares") return run_cares(mode == "cached", server, name, n);
  return 2;
}
