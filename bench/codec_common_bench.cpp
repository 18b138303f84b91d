// codecs/common benchmarks: base64 encode/decode of 4 KiB, CRLF framing of a 64 KiB
// SMTP-like stream, and a WireReader walk of a DNS-like response (header + records).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "zp/codec/base64.h"
#include "zp/codec/lines.h"
#include "zp/codec/wire.h"

namespace {

namespace b64 = zp::codec::base64;
namespace lines = zp::codec::lines;
using zp::codec::WireReader;
using zp::codec::WireWriter;

std::vector<std::byte> random_bytes(std::size_t n) {
  std::mt19937 rng(1);
  std::vector<std::byte> v(n);
  for (auto& b : v) b = static_cast<std::byte>(rng());
  return v;
}

void BM_base64_encode_4k(benchmark::State& state) {
  const auto in = random_bytes(4096);
  std::string out(b64::encoded_size(in.size()), '\0');
  for (auto _ : state) {
    auto n = b64::encode(in, out);
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
}
BENCHMARK(BM_base64_encode_4k);

void BM_base64_decode_4k(benchmark::State& state) {
  const auto raw = random_bytes(4096);
  std::string text(b64::encoded_size(raw.size()), '\0');
  if (!b64::encode(raw, text)) state.SkipWithError("encode failed");
  std::vector<std::byte> out(raw.size());
  const bool ws = state.range(0) != 0;
  for (auto _ : state) {
    auto n = b64::decode(text, out, {.skip_whitespace = ws});
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw.size()));
  state.SetLabel(ws ? "skip_whitespace" : "strict");
}
BENCHMARK(BM_base64_decode_4k)->Arg(0)->Arg(1);

std::string smtp_stream(std::size_t size) {
  static const char* lines_[] = {
      "MAIL FROM:<sender@example.org> SIZE=12345\r\n",
      "RCPT TO:<recipient.number.one@example.net>\r\n",
      "Received: from mx.example.org (mx.example.org [192.0.2.1]) by zproto; Tue, 11 Jun 2024\r\n",
      "Subject: quarterly report\r\n",
      "\r\n",
      "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n",
  };
  std::string s;
  for (std::size_t i = 0; s.size() < size; ++i) s += lines_[i % 6];
  s.resize(size);
  return s;
}

void BM_lines_smtp_64k(benchmark::State& state) {
  const std::string buf = smtp_stream(64 * 1024);
  std::size_t count = 0;
  for (auto _ : state) {
    std::span<const char> rest(buf.data(), buf.size());
    for (;;) {
      auto r = lines::next_line(rest, {.max_line_bytes = 998});
      if (r.status != lines::Status::ok) break;
      benchmark::DoNotOptimize(r.line.data());
      rest = rest.subspan(r.consumed);
      ++count;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buf.size()));
  state.counters["lines/s"] = benchmark::Counter(static_cast<double>(count), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_lines_smtp_64k);

// A DNS-like response: 12-byte header, a question "www.example.com A IN", then `records`
// answers whose names are compression pointers to the question name, A records.
std::vector<std::byte> dns_message(int records) {
  std::vector<std::byte> buf(512 + 16 * records);
  WireWriter w(buf);
  w.put_u16be(0x1234);
  w.put_u16be(0x8180);
  w.put_u16be(1);
  w.put_u16be(static_cast<std::uint16_t>(records));
  w.put_u16be(0);
  w.put_u16be(0);
  for (std::string_view label : {"www", "example", "com"}) {
    w.put_u8(static_cast<std::uint8_t>(label.size()));
    w.put_bytes(std::as_bytes(std::span(label.data(), label.size())));
  }
  w.put_u8(0);
  w.put_u16be(1);
  w.put_u16be(1);
  for (int i = 0; i < records; ++i) {
    w.put_u16be(0xc00c);
    w.put_u16be(1);
    w.put_u16be(1);
    w.put_u32be(3600);
    const std::size_t at = w.reserve(2);
    w.put_u32be(0xc0000200u + static_cast<std::uint32_t>(i));
    w.patch_u16be(at, 4);
  }
  buf.resize(w.position());
  return buf;
}

// Walks a name (labels, possibly ending in a pointer) and returns its label count.
int skip_name(WireReader& r) {
  int labels = 0;
  for (;;) {
    const std::uint8_t len = r.u8();
    if (len == 0 || !r.ok()) return labels;
    if ((len & 0xc0) == 0xc0) {
      const std::size_t back = r.position() + 1;
      r.seek(static_cast<std::size_t>(len & 0x3f) << 8 | r.u8());
      const int n = skip_name(r);  // one level deep in this benchmark
      r.seek(back);
      return labels + n;
    }
    r.skip(len);
    ++labels;
  }
}

void BM_wire_dns_parse(benchmark::State& state) {
  const auto msg = dns_message(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    WireReader r(msg);
    const std::uint16_t id = r.u16be();
    r.skip(2);
    const std::uint16_t qd = r.u16be(), an = r.u16be();
    r.skip(4);
    std::uint32_t sum = id;
    for (int i = 0; i < qd; ++i) {
      sum += static_cast<std::uint32_t>(skip_name(r));
      sum += r.u16be() + r.u16be();
    }
    for (int i = 0; i < an; ++i) {
      sum += static_cast<std::uint32_t>(skip_name(r));
      sum += r.u16be() + r.u16be() + r.u32be();
      const auto rdata = r.bytes(r.u16be());
      sum += static_cast<std::uint32_t>(rdata.size());
    }
    if (!r.at_end()) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * msg.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * (state.range(0) + 1)));
}
BENCHMARK(BM_wire_dns_parse)->Arg(1)->Arg(16);

}  // namespace
