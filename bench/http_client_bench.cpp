// zp_http_client_bench: sequential keep-alive GETs of one URL, our client (Client on a
// one-shard engine) or libcurl's easy API (one handle, connection reused), body collected in
// memory by both. Prints requests/s and latency percentiles. See bench/http_client_compare.sh.
//   zp_http_client_bench zproto http://127.0.0.1:8080/128.bin 20000
//   zp_http_client_bench curl   http://127.0.0.1:8080/128.bin 20000
#include <curl/curl.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "zp/engine/backend.h"
#include "zp/engine/shard.h"
#include "zp/http/client.h"

namespace {

using Clock = std::chrono::steady_clock;

// User + system CPU seconds of this process: less sensitive to a busy machine than wall time.
double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void report(const char* impl, std::vector<double>& lat_us, double total_s, double cpu_s, size_t bytes) {
  std::sort(lat_us.begin(), lat_us.end());
  auto pct = [&](double p) { return lat_us[std::min(lat_us.size() - 1, size_t(p * double(lat_us.size())))]; };
  std::printf("%-7s requests=%zu req_per_s=%.0f p50_us=%.1f p99_us=%.1f cpu_us_per_req=%.1f body_bytes=%zu\n", impl,
              lat_us.size(), double(lat_us.size()) / total_s, pct(0.50), pct(0.99), cpu_s * 1e6 / double(lat_us.size()),
              bytes);
}

int run_zproto(const std::string& url, size_t n) {
  auto backend = zp::make_backend(zp::BackendKind::automatic, {});
  if (!backend) return 1;
  zp::Shard shard(0, 1, std::move(*backend));
  std::vector<double> lat;
  lat.reserve(n);
  size_t bytes = 0;
  int rc = 0;
  double total = 0, cpu = 0;
  {
    zp::http::Client client(shard);
    rc = shard.block_on([&]() -> zp::Task<int> {
      // Warm-up: the connection, the pool, the frame pools.
      for (int i = 0; i < 100; ++i) {
        if (!co_await client.get(url)) co_return 1;
      }
      const auto t0 = Clock::now();
      const double c0 = cpu_seconds();
      for (size_t i = 0; i < n; ++i) {
        const auto a = Clock::now();
        auto r = co_await client.get(url);
        if (!r || r->status != 200) {
          std::fprintf(stderr, "zproto: request %zu failed: %s\n", i, r ? "status" : r.error().message().c_str());
          co_return 1;
        }
        bytes += r->body.size();
        lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
      }
      total = std::chrono::duration<double>(Clock::now() - t0).count();
      cpu = cpu_seconds() - c0;
      co_return 0;
    }());
    if (rc == 0 && client.stats().connections_opened != 1) {
      std::fprintf(stderr, "zproto: %llu connections opened: keep-alive broken\n",
                   static_cast<unsigned long long>(client.stats().connections_opened));
      rc = 1;
    }
  }
  shard.request_stop(0);
  shard.run();
  if (rc == 0) report("zproto", lat, total, cpu, bytes);
  return rc;
}

size_t collect(char* p, size_t size, size_t n, void* ud) {
  static_cast<std::string*>(ud)->append(p, size * n);
  return size * n;
}

int run_curl(const std::string& url, size_t n) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL* h = curl_easy_init();
  std::string body;
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  std::vector<double> lat;
  lat.reserve(n);
  size_t bytes = 0;
  for (int i = 0; i < 100; ++i) {
    body.clear();
    if (curl_easy_perform(h) != CURLE_OK) return 1;
  }
  const auto t0 = Clock::now();
  const double c0 = cpu_seconds();
  for (size_t i = 0; i < n; ++i) {
    const auto a = Clock::now();
    body.clear();
    CURLcode c = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (c != CURLE_OK || status != 200) {
      std::fprintf(stderr, "curl: request %zu failed: %s\n", i, curl_easy_strerror(c));
      return 1;
    }
    bytes += body.size();
    lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
  }
  const double total = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu = cpu_seconds() - c0;
  long conns = 0;
  curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &conns);  // of the last transfer: 0 = reused
  curl_easy_cleanup(h);
  curl_global_cleanup();
  if (conns != 0) {
    std::fprintf(stderr, "curl: the last transfer opened a connection: keep-alive broken\n");
    return 1;
  }
  report("libcurl", lat, total, cpu, bytes);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s zproto|curl URL [REQUESTS]\n", argv[0]);
    return 2;
  }
  const std::string impl = argv[1], url = argv[2];
  const size_t n = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 20000;
  if (impl == "zproto") return run_zproto(url, n);
  if (impl == "curl") return run_curl(url, n);
  std::fprintf(stderr, "unknown implementation %s\n", impl.c_str());
  return 2;
}
