// Fuzz target for codecs/dns messages. Any input: parse_message never reads out of bounds
// and either fails with a FORMERR-class error or yields a message that
//  - prints (dig-like), converts every name to wire and text, compares equal to itself
//    (equals and canonical_compare), and answers the typed views without crashing;
//  - serializes with MessageWriter (compression on) and re-parses to the same records
//    (by presentation text), the same header and the same EDNS;
//  - serialized a second time gives the same octets (the writer is deterministic).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "zp/codec/dns/message.h"
#include "zp/codec/dns/rdata.h"
#include "zp/codec/dns/text.h"
#include "zp/codec/dns/writer.h"

namespace {

namespace dns = zp::codec::dns;

std::vector<std::byte> serialize(const dns::Message& m) {
  std::vector<std::byte> buf(65535);
  dns::MessageWriter w(buf);
  FUZZ_CHECK(w.add_message(m));
  auto out = w.finish();
  FUZZ_CHECK(out);
  return {out->begin(), out->end()};
}

std::string text_of(const dns::Message& m) {
  std::string all;
  for (auto sec : {m.question, m.answer, m.authority, m.additional}) {
    for (const auto& rr : sec) {
      dns::record_to_text(rr, all);
      all += '\n';
    }
  }
  return all;
}

void check_record(const dns::Record& rr) {
  std::byte buf[255];
  auto n = rr.owner.to_wire(buf);
  FUZZ_CHECK(n && *n == rr.owner.wire_size());
  FUZZ_CHECK(rr.owner.equals(rr.owner));
  FUZZ_CHECK(dns::canonical_compare(rr.owner, rr.owner) == 0);
  auto again = dns::Name::from_wire(std::span<const std::byte>(buf, *n));
  FUZZ_CHECK(again && again->equals(rr.owner));
  std::string t;
  dns::name_to_text(rr.owner, t);
  std::byte back[255];
  auto m = dns::name_from_text(t, {}, back);
  FUZZ_CHECK(m && *m == *n);
  (void)dns::mx_view(rr);
  (void)dns::soa_view(rr);
  (void)dns::nsec3_view(rr);
  (void)dns::rrsig_view(rr);
  if (auto tv = dns::txt_view(rr)) FUZZ_CHECK(tv->strings.count() >= 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  std::vector<dns::Record> rrs(256), rrs2(256);
  dns::Message m, m2;
  auto r = dns::parse_message(in, m, rrs);
  if (!r.ok()) {
    FUZZ_CHECK(dns::rcode_for(r.error) == dns::Rcode::formerr);
    return 0;
  }
  std::string dig;
  dns::message_to_text(m, dig);
  for (auto sec : {m.question, m.answer, m.authority, m.additional})
    for (const auto& rr : sec) check_record(rr);
  const auto wire = serialize(m);
  auto r2 = dns::parse_message(wire, m2, rrs2);
  FUZZ_CHECK(r2.ok());
  FUZZ_CHECK(m2.header.id == m.header.id && m2.header.flags == m.header.flags);
  FUZZ_CHECK(text_of(m) == text_of(m2));
  FUZZ_CHECK(m.edns.has_value() == m2.edns.has_value());
  if (m.edns) FUZZ_CHECK(m.rcode() == m2.rcode() && m.edns->flags == m2.edns->flags);
  FUZZ_CHECK(serialize(m2) == wire);
  return 0;
}
