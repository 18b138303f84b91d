// codecs/mime: header parse, Content-Type with RFC 2231, multipart scan (MB/s), QP encode.
#include <benchmark/benchmark.h>

#include <array>
#include <string>

#include "zp/codec/mime/build.h"
#include "zp/codec/mime/header.h"
#include "zp/codec/mime/multipart.h"

namespace mime = zp::codec::mime;

static void BM_ParseHeader(benchmark::State& st) {
  const std::string in =
      "Return-Path: <a@example.org>\r\nReceived: from mx.example.org (mx.example.org [192.0.2.1])\r\n\tby local.test; Mon, 7 Dec 2026 16:24:27 +0000\r\n"
      "From: Ann <a@example.org>\r\nTo: Bob <b@example.net>\r\nSubject: benchmark\r\nDate: Mon, 07 Dec 2026 16:24:27 +0000\r\n"
      "Message-ID: <1@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=_zp_0_m\"\r\n\r\n";
  std::array<mime::Field, 32> f{};
  for (auto _ : st) benchmark::DoNotOptimize(mime::parse_header(in, {}, f));
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * in.size()));
}
BENCHMARK(BM_ParseHeader);

static void BM_ParseContentType(benchmark::State& st) {
  std::array<mime::Param, 8> p{};
  std::array<char, 256> s{};
  mime::ContentType ct;
  for (auto _ : st)
    benchmark::DoNotOptimize(mime::parse_content_type("text/plain; charset=\"utf-8\"; title*0*=us-ascii'en'This%20is; title*1=\" fun\"", ct, p, s));
}
BENCHMARK(BM_ParseContentType);

static void BM_MultipartScan(benchmark::State& st) {
  std::string body = "--=_zp_0_m\r\nContent-Type: application/octet-stream\r\n\r\n";
  while (body.size() < (1u << 20)) body += std::string(76, 'Q') + "\r\n";
  body += "--=_zp_0_m--\r\n";
  for (auto _ : st) {
    mime::MultipartParser mp("=_zp_0_m");
    std::string_view in = body;
    std::size_t total = 0;
    for (;;) {
      const mime::PartEvent ev = mp.next(in);
      total += ev.data.size();
      in.remove_prefix(ev.consumed);
      if (ev.event == mime::Event::end || ev.event == mime::Event::need_more) break;
    }
    benchmark::DoNotOptimize(total);
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * body.size()));
}
BENCHMARK(BM_MultipartScan);

static void BM_QpEncode(benchmark::State& st) {
  std::string in;
  while (in.size() < (64u << 10)) in += "Gr\xc3\xbc\xc3\x9f" "e aus Berlin, 100% = sicher.\r\n";
  std::string out(in.size() * 3 + 1024, '\0');
  for (auto _ : st) benchmark::DoNotOptimize(mime::qp_encode(in, out));
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * in.size()));
}
BENCHMARK(BM_QpEncode);
