// DNS message parsing: zproto's zero-copy parse_message vs ldns_wire2pkt (Debian
// libldns-dev 1.8.3) on the same packets: a typical query (with EDNS), a response with
// compression and several RRs, and an EDNS response with DNSSEC records (DO=1).
// "Ours" validates every name and RDATA structurally; "OursDeep" also decompresses every
// name (owner and RDATA) into a buffer, which is closer to the work ldns does.
//   build/release/codecs/dns/bench_dns --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "zp/codec/dns/message.h"
#include "zp/codec/dns/rdata.h"
#include "zp/codec/dns/writer.h"
#include "zp/codec/dns/zone.h"

#ifdef ZP_HAVE_LDNS
#include <ldns/ldns.h>
#endif

namespace {

namespace dns = zp::codec::dns;
using Bytes = std::vector<std::byte>;

Bytes build(std::string_view zone_text, bool query, bool edns_do) {
  dns::ZoneRecords recs;
  dns::ZoneOptions opt;
  opt.origin = "example.com.";
  opt.default_ttl = 3600;
  if (!dns::parse_zone(zone_text, opt, recs.sink())) std::abort();
  Bytes buf(65535);
  dns::MessageWriter w(buf);
  dns::Header h;
  h.id = 0x4242;
  h.set_flag(dns::Header::rd_bit, true);
  if (!query) h.set_flag(dns::Header::qr_bit, true), h.set_flag(dns::Header::aa_bit, true);
  w.set_header(h);
  const auto first = recs[0].view();
  w.add_question(first.owner, first.type, first.rclass);
  if (!query)
    for (std::size_t i = 0; i < recs.size(); ++i) w.add_record(dns::Section::answer, recs[i].view());
  dns::EdnsOut e;
  e.dnssec_ok = edns_do;
  w.add_opt(e);
  auto out = w.finish();
  if (!out) std::abort();
  return {out->begin(), out->end()};
}

const Bytes& packet(int which) {
  static const Bytes q = build("www 300 IN A 192.0.2.1\n", true, false);
  static const Bytes resp = build(R"(www 300 IN A 192.0.2.1
www 300 IN A 192.0.2.2
www 300 IN AAAA 2001:db8::1
@ 3600 IN NS ns1
@ 3600 IN NS ns2
@ 3600 IN MX 10 mail
@ 3600 IN MX 20 mail2
@ 3600 IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 300
ns1 3600 IN A 192.0.2.53
ns2 3600 IN A 198.51.100.53
)", false, false);
  static const Bytes dnssec = build(R"(www 300 IN A 192.0.2.1
www 300 IN RRSIG A 13 3 300 20300101000000 20200101000000 12345 example.com. 2+7jSU9XhJ0hGL0VnPsqfdZJ2RtNH0kXPDeTgKIn0NG3vFWr8hUnXCuUpH2oXWPYthHaC0qBPm5iJtfCn27+Kg==
@ 3600 IN DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==
@ 3600 IN DNSKEY 256 3 13 oJMRESz5E4gYzS/q6XDrvU1qMPYIjCWzJaOau8XNEZeqCYKD5ar0IRd8KqXXFJkqmVfRvMGPmM1x8fGAa2XhSA==
@ 3600 IN RRSIG DNSKEY 13 2 3600 20300101000000 20200101000000 54321 example.com. 2+7jSU9XhJ0hGL0VnPsqfdZJ2RtNH0kXPDeTgKIn0NG3vFWr8hUnXCuUpH2oXWPYthHaC0qBPm5iJtfCn27+Kg==
www 300 IN NSEC xyz.example.com. A RRSIG NSEC
www 300 IN RRSIG NSEC 13 3 300 20300101000000 20200101000000 12345 example.com. 2+7jSU9XhJ0hGL0VnPsqfdZJ2RtNH0kXPDeTgKIn0NG3vFWr8hUnXCuUpH2oXWPYthHaC0qBPm5iJtfCn27+Kg==
sub 3600 IN DS 60485 13 2 2BB183AF5F22588179A53B0A98631FAD1A2921182BB183AF5F22588179A53B0A
)", false, true);
  return which == 0 ? q : which == 1 ? resp : dnssec;
}

const char* const names[] = {"query", "response_compressed", "edns_dnssec"};

void BM_Ours(benchmark::State& st) {
  const Bytes& p = packet(static_cast<int>(st.range(0)));
  dns::Record rrs[64];
  dns::Message m;
  for (auto _ : st) {
    auto r = dns::parse_message(p, m, rrs);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(m);
  }
  st.SetLabel(names[st.range(0)]);
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * p.size()));
}
BENCHMARK(BM_Ours)->DenseRange(0, 2);

void BM_OursDeep(benchmark::State& st) {
  const Bytes& p = packet(static_cast<int>(st.range(0)));
  dns::Record rrs[64];
  dns::Message m;
  std::byte name[255];
  for (auto _ : st) {
    auto r = dns::parse_message(p, m, rrs);
    std::size_t total = 0;
    for (auto sec : {m.question, m.answer, m.authority, m.additional})
      for (const auto& rr : sec) {
        total += *rr.owner.to_wire(name);
        if (auto nv = dns::name_view(rr)) total += *nv->target.to_wire(name);
        else if (auto mx = dns::mx_view(rr)) total += *mx->exchange.to_wire(name);
        else if (auto soa = dns::soa_view(rr)) total += *soa->mname.to_wire(name) + *soa->rname.to_wire(name);
        else if (auto sig = dns::rrsig_view(rr)) total += *sig->signer.to_wire(name);
        else if (auto ns = dns::nsec_view(rr)) total += *ns->next.to_wire(name);
      }
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(total);
  }
  st.SetLabel(names[st.range(0)]);
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * p.size()));
}
BENCHMARK(BM_OursDeep)->DenseRange(0, 2);

#ifdef ZP_HAVE_LDNS
void BM_Ldns(benchmark::State& st) {
  const Bytes& p = packet(static_cast<int>(st.range(0)));
  for (auto _ : st) {
    ldns_pkt* pkt = nullptr;
    const ldns_status s = ldns_wire2pkt(&pkt, reinterpret_cast<const uint8_t*>(p.data()), p.size());
    if (s != LDNS_STATUS_OK) {
      st.SkipWithError("ldns_wire2pkt failed");
      break;
    }
    benchmark::DoNotOptimize(pkt);
    ldns_pkt_free(pkt);
  }
  st.SetLabel(names[st.range(0)]);
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * p.size()));
}
BENCHMARK(BM_Ldns)->DenseRange(0, 2);
#endif

}  // namespace
