// codecs/http1 benchmarks against nodejs http_parser 2.9.4 (Debian libhttp-parser-dev) on
// the same inputs: a small curl-like GET (85 B), a browser-like GET (703 B), and a
// response with a chunked body (head + 4 x 256 B chunks). Both sides record the same views
// (method, target, header names/values; body spans); neither copies.
//   ./bench_http1 --benchmark_filter=. --benchmark_repetitions=5
#include <benchmark/benchmark.h>
#include <http_parser.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "zp/codec/http1/chunked.h"
#include "zp/codec/http1/parser.h"

namespace {

namespace h1 = zp::codec::http1;

const std::string kSmallGet =
    "GET /index.html HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\n"
    "\r\n";

const std::string kBrowserGet =
    "GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\n"
    "Host: www.kittyhell.com\r\n"
    "User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10.6; ja-JP-mac; rv:1.9.2.3) "
    "Gecko/20100401 Firefox/3.6.3 Pathtraq/0.9\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: ja,en-us;q=0.7,en;q=0.3\r\n"
    "Accept-Encoding: gzip,deflate\r\n"
    "Accept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7\r\n"
    "Keep-Alive: 115\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxxxx; "
    "__utma=xxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.x; "
    "__utmz=xxxxxxxxx.xxxxxxxxxx.x.x.utmccn=(referral)|utmcsr=reader.livedoor.com|utmcct=/reader/|utmcmd=referral\r\n"
    "\r\n";

std::string chunked_response() {
  std::string s =
      "HTTP/1.1 200 OK\r\n"
      "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
      "Server: zproto\r\n"
      "Content-Type: text/html; charset=utf-8\r\n"
      "Transfer-Encoding: chunked\r\n"
      "\r\n";
  for (int i = 0; i < 4; ++i) s += "100\r\n" + std::string(256, static_cast<char>('a' + i)) + "\r\n";
  s += "0\r\n\r\n";
  return s;
}
const std::string kChunkedResponse = chunked_response();

// --- ours

void BM_ours_request(benchmark::State& state, const std::string& in) {
  h1::Header hs[64];
  h1::Request req;
  for (auto _ : state) {
    auto r = h1::parse_request(in, req, hs);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(req);
    if (r.status != h1::Status::complete) state.SkipWithError("parse failed");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
}

void BM_ours_chunked_response(benchmark::State& state) {
  const std::string& in = kChunkedResponse;
  h1::Header hs[64];
  h1::Response resp;
  for (auto _ : state) {
    auto r = h1::parse_response(in, resp, hs);
    if (r.status != h1::Status::complete || !resp.chunked) state.SkipWithError("parse failed");
    h1::ChunkedDecoder d{};
    std::span<const char> body(in.data() + r.consumed, in.size() - r.consumed);
    std::size_t total = 0;
    for (;;) {
      auto c = d.decode(body);
      benchmark::DoNotOptimize(c.data.data());
      total += c.data.size();
      body = body.subspan(c.consumed);
      if (c.status != h1::Status::need_more) break;
    }
    if (total != 1024) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(resp);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
}

// --- http_parser: the callbacks record the same views ours returns.

struct Views {
  const char* url = nullptr;
  std::size_t url_len = 0;
  std::string_view names[64], values[64];
  std::size_t n = 0;
  std::size_t body = 0;
  bool done = false;
};

int on_url(http_parser* p, const char* at, std::size_t len) {
  auto* v = static_cast<Views*>(p->data);
  v->url = at;
  v->url_len = len;
  return 0;
}
int on_field(http_parser* p, const char* at, std::size_t len) {
  auto* v = static_cast<Views*>(p->data);
  if (v->n < 64) v->names[v->n] = std::string_view(at, len);
  return 0;
}
int on_value(http_parser* p, const char* at, std::size_t len) {
  auto* v = static_cast<Views*>(p->data);
  if (v->n < 64) v->values[v->n++] = std::string_view(at, len);
  return 0;
}
int on_body(http_parser* p, const char* at, std::size_t len) {
  auto* v = static_cast<Views*>(p->data);
  benchmark::DoNotOptimize(at);
  v->body += len;
  return 0;
}
int on_complete(http_parser* p) {
  static_cast<Views*>(p->data)->done = true;
  return 0;
}

http_parser_settings settings() {
  http_parser_settings s;
  http_parser_settings_init(&s);
  s.on_url = on_url;
  s.on_header_field = on_field;
  s.on_header_value = on_value;
  s.on_body = on_body;
  s.on_message_complete = on_complete;
  return s;
}

void BM_theirs(benchmark::State& state, const std::string& in, http_parser_type type) {
  const http_parser_settings s = settings();
  http_parser p;
  Views v;
  for (auto _ : state) {
    v.n = 0;
    v.body = 0;
    v.done = false;
    http_parser_init(&p, type);
    p.data = &v;
    const std::size_t n = http_parser_execute(&p, &s, in.data(), in.size());
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(v);
    if (n != in.size() || !v.done) state.SkipWithError("http_parser failed");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
}

BENCHMARK_CAPTURE(BM_ours_request, small_get, kSmallGet);
BENCHMARK_CAPTURE(BM_theirs, small_get, kSmallGet, HTTP_REQUEST);
BENCHMARK_CAPTURE(BM_ours_request, browser_get, kBrowserGet);
BENCHMARK_CAPTURE(BM_theirs, browser_get, kBrowserGet, HTTP_REQUEST);
BENCHMARK(BM_ours_chunked_response);
BENCHMARK_CAPTURE(BM_theirs, chunked_response, kChunkedResponse, HTTP_RESPONSE);

}  // namespace
