#include "zp/http/metrics.h"

#include <cstdio>

namespace zp::http {

std::string Metrics::render() const {
  uint64_t accepted = 0, open = 0, requests = 0, bytes = 0, bad = 0, cls[6] = {};
  for (const ShardCounters& c : shards_) {
    accepted += c.accepted.load(std::memory_order_relaxed);
    open += c.open.load(std::memory_order_relaxed);
    requests += c.requests.load(std::memory_order_relaxed);
    bytes += c.body_bytes.load(std::memory_order_relaxed);
    bad += c.bad_requests.load(std::memory_order_relaxed);
    for (int i = 1; i <= 5; ++i) cls[i] += c.status_class[i].load(std::memory_order_relaxed);
  }
  std::string out;
  char line[512];
  auto metric = [&](const char* name, const char* type, const char* help, uint64_t v) {
    std::snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name,
                  (unsigned long long)v);
    out += line;
  };
  metric("zproto_http_connections_accepted_total", "counter", "Connections accepted.", accepted);
  metric("zproto_http_connections_open", "gauge", "Connections open now.", open);
  metric("zproto_http_requests_total", "counter", "Requests answered.", requests);
  metric("zproto_http_response_body_bytes_total", "counter", "Response body bytes.", bytes);
  metric("zproto_http_bad_requests_total", "counter", "Malformed requests (answered, then closed).", bad);
  out += "# HELP zproto_http_responses_total Responses by status class.\n# TYPE zproto_http_responses_total counter\n";
  for (int i = 1; i <= 5; ++i) {
    std::snprintf(line, sizeof line, "zproto_http_responses_total{code=\"%dxx\"} %llu\n", i, (unsigned long long)cls[i]);
    out += line;
  }
  // Per status code: only the codes seen.
  out += "# HELP zproto_http_responses_by_code_total Responses by status code.\n# TYPE zproto_http_responses_by_code_total counter\n";
  for (int code = 100; code < 600; ++code) {
    uint64_t n = 0;
    for (const ShardCounters& c : shards_) n += c.status_code[code].load(std::memory_order_relaxed);
    if (n == 0) continue;
    std::snprintf(line, sizeof line, "zproto_http_responses_by_code_total{code=\"%d\"} %llu\n", code, (unsigned long long)n);
    out += line;
  }
  // Request duration histogram (cumulative buckets in seconds).
  uint64_t buckets[ShardCounters::kLatencyBuckets] = {}, sum_us = 0;
  for (const ShardCounters& c : shards_) {
    for (size_t i = 0; i < ShardCounters::kLatencyBuckets; ++i) buckets[i] += c.latency_bucket[i].load(std::memory_order_relaxed);
    sum_us += c.latency_sum_us.load(std::memory_order_relaxed);
  }
  out += "# HELP zproto_http_request_duration_seconds Time from a request's head to its response sent.\n"
         "# TYPE zproto_http_request_duration_seconds histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < ShardCounters::kLatencyBuckets; ++i) {
    cumulative += buckets[i];
    if (i < std::size(ShardCounters::kLatencyBoundsUs)) {
      std::snprintf(line, sizeof line, "zproto_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                    double(ShardCounters::kLatencyBoundsUs[i]) / 1e6, (unsigned long long)cumulative);
    } else {
      std::snprintf(line, sizeof line, "zproto_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                    (unsigned long long)cumulative);
    }
    out += line;
  }
  std::snprintf(line, sizeof line, "zproto_http_request_duration_seconds_sum %.6f\nzproto_http_request_duration_seconds_count %llu\n",
                double(sum_us) / 1e6, (unsigned long long)cumulative);
  out += line;
  std::snprintf(line, sizeof line, "# HELP zproto_shards Shards serving.\n# TYPE zproto_shards gauge\nzproto_shards %zu\n",
                shards_.size());
  out += line;
  return out;
}

}  // namespace zp::http
