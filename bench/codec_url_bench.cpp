// codecs/url benchmarks: parse of typical URLs (absolute with query, IPv6 literal with
// userinfo, origin-form request target), RFC 3986 resolution, request-path normalization of
// typical paths (plain, encoded, dot segments) and MIME lookup by path.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "zp/codec/url/mime.h"
#include "zp/codec/url/path.h"
#include "zp/codec/url/url.h"

namespace {

namespace url = zp::codec::url;

const std::vector<std::string> k_urls = {
    "https://www.example.com/search?q=zero+copy&lang=en#results",
    "http://user:pass@[2001:db8::7]:8080/api/v1/items/42?expand=true",
    "/static/js/app.3f2a9c.min.js",
    "wss://chat.example.org/socket?token=abcdef0123456789",
};

void BM_url_parse(benchmark::State& state) {
  const std::string& s = k_urls[static_cast<std::size_t>(state.range(0))];
  for (auto _ : state) {
    auto r = url::parse(s);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.size()));
  state.SetLabel(s.substr(0, 32));
}
BENCHMARK(BM_url_parse)->DenseRange(0, 3);

void BM_url_resolve(benchmark::State& state) {
  auto base = url::parse("http://a/b/c/d;p?q");
  auto ref = url::parse("../../g/./h?y#s");
  if (!base || !ref) state.SkipWithError("parse failed");
  char out[128];
  for (auto _ : state) {
    auto n = url::resolve(*base, *ref, out);
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_url_resolve);

const std::vector<std::string> k_paths = {
    "/index.html",
    "/static/css/site.min.css",
    "/docs/My%20Document%20(final).pdf",
    "/a/./b/../c//d/e/../f.txt",
};

void BM_path_normalize(benchmark::State& state) {
  const std::string& s = k_paths[static_cast<std::size_t>(state.range(0))];
  char out[256];
  for (auto _ : state) {
    auto r = url::normalize_path(s, out);
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.size()));
  state.SetLabel(s);
}
BENCHMARK(BM_path_normalize)->DenseRange(0, 3);

void BM_mime_for_path(benchmark::State& state) {
  const url::MimeTable table;
  const std::vector<std::string> paths = {"/index.html", "/app.JS", "/img/logo.webp",
                                          "/font.woff2", "/data.bin.unknown", "/README"};
  std::size_t i = 0;
  for (auto _ : state) {
    auto t = table.for_path(paths[i++ % paths.size()]);
    benchmark::DoNotOptimize(t);
  }
}
BENCHMARK(BM_mime_for_path);

}  // namespace
