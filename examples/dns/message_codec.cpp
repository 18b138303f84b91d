// Example: building and parsing DNS messages with the codec alone (no sockets, no engine).
// Shows: a query built with MessageWriter (question + EDNS OPT) into a caller buffer; the
// same bytes parsed back with parse_message into caller-owned Record storage (views into
// the packet, nothing allocated); a response whose answers point back at the question's
// name (compression); the dig-like text form; all-or-nothing adds that report a full
// 512-octet UDP reply (the server then sets TC); and a damaged packet as an error value.
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "zp/codec/dns/errc.h"
#include "zp/codec/dns/message.h"
#include "zp/codec/dns/name.h"
#include "zp/codec/dns/text.h"
#include "zp/codec/dns/writer.h"

namespace dns = zp::codec::dns;

namespace {

void print_message(std::span<const std::byte> wire) {
  dns::Record storage[64];
  dns::Message m;
  auto r = dns::parse_message(wire, m, storage);
  if (!r.ok()) {
    std::printf("parse error: %s at offset %zu\n", std::string(dns::errc_name(r.error)).c_str(), r.error_offset);
    return;
  }
  std::string text;
  dns::message_to_text(m, text);
  std::printf("%s", text.c_str());
}

}  // namespace

int main() {
  // A name in wire form, and a Name view over it.
  std::byte name_buf[dns::max_name_bytes];
  auto len = dns::name_from_text("www.example.test.", {}, name_buf);
  if (!len) return std::fprintf(stderr, "name: %s\n", len.error().message().c_str()), 1;
  auto qname = dns::Name::from_wire(std::span(name_buf, *len));
  if (!qname) return 1;

  // The query: header, one question, an OPT saying we take 1232-octet UDP replies.
  std::vector<std::byte> query(512);
  dns::MessageWriter qw(query);
  dns::Header qh;
  qh.id = 0xbeef;
  qh.set_flag(dns::Header::rd_bit, true);
  qw.set_header(qh);
  (void)qw.add_question(*qname, dns::rrtype::a, dns::rrclass::in);
  (void)qw.add_opt({.udp_payload_size = 1232});
  auto q = qw.finish();
  if (!q) return std::fprintf(stderr, "query: %s\n", q.error().message().c_str()), 1;
  std::printf("query: %zu octets\n", q->size());
  print_message(*q);

  // The response: the question echoed, two A records owned by the question's name.
  dns::Record qstorage[4];
  dns::Message parsed;
  if (!dns::parse_message(*q, parsed, qstorage).ok()) return 1;
  const dns::Record& question = parsed.question[0];
  const std::byte a1[] = {std::byte{192}, std::byte{0}, std::byte{2}, std::byte{80}};
  const std::byte a2[] = {std::byte{192}, std::byte{0}, std::byte{2}, std::byte{81}};
  const dns::Record answers[] = {dns::Record::standalone(question.owner, dns::rrtype::a, dns::rrclass::in, 300, a1),
                                 dns::Record::standalone(question.owner, dns::rrtype::a, dns::rrclass::in, 300, a2)};
  std::vector<std::byte> response(512);
  dns::MessageWriter rw(response, 512);
  dns::Header rh;
  rh.id = parsed.header.id;
  rh.flags = dns::Header::qr_bit | dns::Header::aa_bit | (parsed.header.flags & dns::Header::rd_bit);
  rw.set_header(rh);
  (void)rw.add_question(question.owner, question.type, question.rclass);
  (void)rw.add_rrset(dns::Section::answer, answers);
  auto resp = rw.finish();
  if (!resp) return 1;
  std::printf("response: %zu octets (each answer's owner is a 2-octet pointer)\n", resp->size());
  print_message(*resp);

  // A 512-octet UDP reply that cannot hold the RRset: it is left out whole, truncated()
  // turns true, and a server sends what fitted with TC set (RFC 2181 §9).
  std::vector<std::byte> big(512);
  dns::MessageWriter bw(big, 512);
  bw.set_header(rh);
  (void)bw.add_question(question.owner, question.type, question.rclass);
  std::vector<dns::Record> many(40, answers[0]);  // 40 x 16 octets: more than 512
  if (!bw.add_rrset(dns::Section::answer, many))
    std::printf("40 records: did not fit, truncated() = %s, %zu octets kept\n", bw.truncated() ? "true" : "false",
                bw.size());

  // A damaged packet: the parser says what and where, and never reads past the input.
  print_message(resp->first(resp->size() - 3));
  return 0;
}
