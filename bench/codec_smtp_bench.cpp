// codecs/smtp: command parse (ns/op), reply parse, DATA decode and encode (MB/s).
#include <benchmark/benchmark.h>

#include <array>
#include <string>

#include "zp/codec/smtp/command.h"
#include "zp/codec/smtp/data.h"
#include "zp/codec/smtp/reply.h"

namespace smtp = zp::codec::smtp;

namespace {

void parse_loop(benchmark::State& st, std::string_view line) {
  smtp::Command cmd;
  for (auto _ : st) {
    const smtp::ParseResult r = smtp::parse_command(line, {}, cmd);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(cmd);
  }
}

// A message of `size` octets: 76-column lines, some starting with a dot.
std::string message(std::size_t size) {
  std::string body = "From: a@example.org\r\nTo: b@example.org\r\nSubject: bench\r\n\r\n";
  std::size_t n = 0;
  while (body.size() < size) {
    body += (n++ % 16 == 0) ? ".." : "";
    body.append(74, 'a' + static_cast<char>(n % 26));
    body += "\r\n";
  }
  return body + ".\r\n";
}

}  // namespace

static void BM_ParseCommandMail(benchmark::State& st) {
  parse_loop(st, "MAIL FROM:<john.smith@example.org> SIZE=123456 BODY=8BITMIME\r\n");
}
BENCHMARK(BM_ParseCommandMail);

static void BM_ParseCommandRcpt(benchmark::State& st) {
  parse_loop(st, "RCPT TO:<jane.doe@mail.example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;jane.doe@mail.example.com\r\n");
}
BENCHMARK(BM_ParseCommandRcpt);

static void BM_ParseCommandNoop(benchmark::State& st) { parse_loop(st, "NOOP\r\n"); }
BENCHMARK(BM_ParseCommandNoop);

static void BM_ParseReplyEhlo(benchmark::State& st) {
  const std::string_view in =
      "250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n"
      "250-ENHANCEDSTATUSCODES\r\n250-AUTH PLAIN LOGIN\r\n250 SMTPUTF8\r\n";
  std::array<std::string_view, 16> lines{};
  smtp::Reply rep;
  for (auto _ : st) {
    benchmark::DoNotOptimize(smtp::parse_reply(in, {}, rep, lines));
    benchmark::DoNotOptimize(smtp::parse_ehlo(rep));
  }
}
BENCHMARK(BM_ParseReplyEhlo);

static void BM_DataDecode(benchmark::State& st) {
  const std::string in = message(static_cast<std::size_t>(st.range(0)));
  for (auto _ : st) {
    smtp::DataDecoder dec({.max_line_bytes = 1000, .max_message_bytes = 1u << 30});
    std::string_view p = in;
    std::size_t total = 0;
    for (;;) {
      const smtp::DataResult r = dec.decode(p);
      total += r.data.size();
      p.remove_prefix(r.consumed);
      if (r.status != smtp::DataStatus::more || p.empty()) break;
    }
    benchmark::DoNotOptimize(total);
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * in.size()));
}
BENCHMARK(BM_DataDecode)->Arg(4 << 10)->Arg(1 << 20);

static void BM_DataEncode(benchmark::State& st) {
  const std::string in = message(static_cast<std::size_t>(st.range(0)));
  std::string out(smtp::DataEncoder::max_encoded(in.size()) + 5, '\0');
  for (auto _ : st) {
    smtp::DataEncoder enc;
    const auto s = enc.encode(in, out);
    benchmark::DoNotOptimize(enc.finish(std::span<char>(out).subspan(s.written)));
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * in.size()));
}
BENCHMARK(BM_DataEncode)->Arg(1 << 20);
