// Helpers for the DNS server tests: a test zone, queries built with the codec's writer,
// and answers parsed back into text lines (record_to_text) for readable expectations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zp/codec/dns/message.h"
#include "zp/codec/dns/name.h"
#include "zp/codec/dns/text.h"
#include "zp/codec/dns/writer.h"

namespace zp::test {

inline constexpr std::string_view kTestZone = R"($ORIGIN example.test.
$TTL 3600
@       3600 IN SOA ns1.example.test. hostmaster.example.test. 2024010101 7200 3600 1209600 300
@       NS    ns1
@       NS    ns2.example.test.
@       MX    10 mail
@       RRSIG SOA 8 2 3600 20300101000000 20200101000000 12345 example.test. AAECAwQFBgcICQ==
ns1     A     192.0.2.1
ns2     A     192.0.2.2
mail    A     192.0.2.3
www     A     192.0.2.10
www     AAAA  2001:db8::10
www     RRSIG A 8 3 3600 20300101000000 20200101000000 12345 example.test. AAECAwQFBgcICQ==
alias   CNAME www
chain1  CNAME chain2
chain2  CNAME www
loop1   CNAME loop2
loop2   CNAME loop1
ext     CNAME www.example.org.
*.wild  TXT   "wildcard"
*.wild  A     192.0.2.50
a.b.c.ent A   192.0.2.60
*.ent   TXT   "ent-wildcard"
sub     NS    ns.sub
sub     NS    ns.other.test.
sub     DS    12345 8 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
ns.sub  A     192.0.2.100
dn      DNAME target.example.test.
x.target A    192.0.2.70
srv     SRV   0 5 5060 www
)";

// Wire name of presentation text (absolute).
inline std::vector<std::byte> wire_name(std::string_view text) {
  std::vector<std::byte> out(255);
  auto n = codec::dns::name_from_text(text, {}, out);
  out.resize(n ? *n : 0);
  return out;
}

struct QueryOptions {
  std::uint16_t id = 0x1234;
  bool rd = true;
  std::uint8_t opcode = 0;
  bool edns = false;
  std::uint16_t edns_size = 1232;
  std::uint8_t edns_version = 0;
  bool dnssec_ok = false;
  std::uint16_t qclass = codec::dns::rrclass::in;
};

inline std::vector<std::byte> make_query(std::string_view name, std::uint16_t type, QueryOptions o = {}) {
  auto wire = wire_name(name);
  auto n = codec::dns::Name::from_wire(wire);
  std::vector<std::byte> buf(512);
  codec::dns::MessageWriter w(buf);
  codec::dns::Header h;
  h.id = o.id;
  h.set_flag(codec::dns::Header::rd_bit, o.rd);
  h.set_opcode(o.opcode);
  w.set_header(h);
  (void)w.add_question(*n, type, o.qclass);
  if (o.edns) {
    codec::dns::EdnsOut e;
    e.udp_payload_size = o.edns_size;
    e.version = o.edns_version;
    e.dnssec_ok = o.dnssec_ok;
    (void)w.add_opt(e);
  }
  auto out = w.finish();
  buf.resize(out ? out->size() : 0);
  return buf;
}

// A parsed answer with its sections as text lines.
struct Answer {
  bool ok = false;
  codec::dns::Header header{};
  std::uint16_t rcode = 0;  // 12-bit
  std::size_t size = 0;
  std::vector<std::string> question, answer, authority, additional;
  bool has_opt = false;
  std::uint16_t opt_size = 0;
  std::uint8_t opt_version = 0;
  bool opt_do = false;
  bool aa() const { return header.aa(); }
  bool tc() const { return header.tc(); }
};

inline Answer parse_answer(std::span<const std::byte> wire) {
  Answer a;
  a.size = wire.size();
  std::vector<codec::dns::Record> rrs(512);
  codec::dns::Message m;
  auto r = codec::dns::parse_message(wire, m, rrs);
  if (!r.ok()) return a;
  a.ok = true;
  a.header = m.header;
  a.rcode = m.rcode();
  auto lines = [](std::span<const codec::dns::Record> s, std::vector<std::string>& out) {
    for (const auto& rr : s) {
      std::string t;
      codec::dns::record_to_text(rr, t);
      for (auto& c : t) c = c == '\t' ? ' ' : c;
      out.push_back(t);
    }
  };
  lines(m.question, a.question);
  lines(m.answer, a.answer);
  lines(m.authority, a.authority);
  lines(m.additional, a.additional);
  if (m.edns) {
    a.has_opt = true;
    a.opt_size = m.edns->udp_payload_size;
    a.opt_version = m.edns->version;
    a.opt_do = m.edns->dnssec_ok();
  }
  return a;
}

}  // namespace zp::test
