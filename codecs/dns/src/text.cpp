// Presentation-format printer and mnemonics.
#include "zp/codec/dns/text.h"

#include <arpa/inet.h>

#include <cstdio>

#include "field.h"
#include "zp/codec/base64.h"
#include "zp/codec/wire.h"

namespace zp::codec::dns {
namespace {

using detail::Field;

bool ieq(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 32);
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 32);
    if (x != y) return false;
  }
  return true;
}

// "TYPE123" style: prefix then 1..5 digits, value <= 65535.
std::optional<std::uint16_t> generic_number(std::string_view s, std::string_view prefix) noexcept {
  if (s.size() <= prefix.size() || !ieq(s.substr(0, prefix.size()), prefix)) return std::nullopt;
  s.remove_prefix(prefix.size());
  if (s.size() > 5) return std::nullopt;
  std::uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

void append_u(std::string& out, std::uint64_t v) { out += std::to_string(v); }

void append_hex(std::string& out, std::span<const std::byte> b) {
  static const char digits[] = "0123456789ABCDEF";
  for (std::byte x : b) {
    out += digits[static_cast<std::uint8_t>(x) >> 4];
    out += digits[static_cast<std::uint8_t>(x) & 15];
  }
}

void append_b32hex(std::string& out, std::span<const std::byte> b) {
  static const char digits[] = "0123456789abcdefghijklmnopqrstuv";
  std::uint64_t acc = 0;
  int bits = 0;
  for (std::byte x : b) {
    acc = (acc << 8) | static_cast<std::uint8_t>(x);
    bits += 8;
    while (bits >= 5) {
      out += digits[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += digits[(acc << (5 - bits)) & 31];
}

void append_b64(std::string& out, std::span<const std::byte> b) {
  const std::size_t at = out.size();
  out.resize(at + base64::encoded_size(b.size()));
  auto n = base64::encode(b, std::span<char>(out.data() + at, out.size() - at));
  if (!n) out.resize(at);
}

void append_quoted(std::string& out, std::span<const std::byte> s) {
  out += '"';
  for (std::byte b : s) {
    const auto c = static_cast<std::uint8_t>(b);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c > 0x7E) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\%03u", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
void append_time(std::string& out, std::uint32_t t) {
  const std::int64_t days = t / 86400, secs = t % 86400;
  std::int64_t z = days + 719468;
  const std::int64_t era = z / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = yoe + era * 400;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld%02lld%02lld%02lld%02lld%02lld", static_cast<long long>(y),
                static_cast<long long>(m), static_cast<long long>(d), static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  out += buf;
}

void append_bitmap(std::string& out, std::span<const std::byte> b) {
  std::size_t p = 0;
  bool first = true;
  while (p + 2 <= b.size()) {
    const unsigned window = static_cast<std::uint8_t>(b[p]);
    const std::size_t n = static_cast<std::uint8_t>(b[p + 1]);
    for (std::size_t i = 0; i < n && p + 2 + i < b.size(); ++i) {
      const auto octet = static_cast<std::uint8_t>(b[p + 2 + i]);
      for (int bit = 0; bit < 8; ++bit) {
        if (octet & (0x80 >> bit)) {
          if (!first) out += ' ';
          first = false;
          type_to_text(static_cast<std::uint16_t>(window * 256 + i * 8 + static_cast<unsigned>(bit)), out);
        }
      }
    }
    p += 2 + n;
  }
}

void append_generic(std::string& out, std::span<const std::byte> rdata) {
  out += "\\# ";
  append_u(out, rdata.size());
  if (!rdata.empty()) {
    out += ' ';
    append_hex(out, rdata);
  }
}

}  // namespace

void type_to_text(std::uint16_t type, std::string& out) {
  if (const auto* t = detail::type_info(type)) {
    out += t->mnemonic;
    return;
  }
  for (const auto& t : detail::pseudo_types())
    if (t.code == type) {
      out += t.mnemonic;
      return;
    }
  out += "TYPE";
  append_u(out, type);
}

std::optional<std::uint16_t> type_from_text(std::string_view s) noexcept {
  for (const auto& t : detail::all_types())
    if (ieq(s, t.mnemonic)) return t.code;
  for (const auto& t : detail::pseudo_types())
    if (ieq(s, t.mnemonic)) return t.code;
  return generic_number(s, "TYPE");
}

void class_to_text(std::uint16_t c, std::string& out) {
  switch (c) {
    case rrclass::in: out += "IN"; return;
    case rrclass::ch: out += "CH"; return;
    case rrclass::hs: out += "HS"; return;
    case rrclass::none: out += "NONE"; return;
    case rrclass::any: out += "ANY"; return;
  }
  out += "CLASS";
  append_u(out, c);
}

std::optional<std::uint16_t> class_from_text(std::string_view s) noexcept {
  if (ieq(s, "IN")) return rrclass::in;
  if (ieq(s, "CH")) return rrclass::ch;
  if (ieq(s, "HS")) return rrclass::hs;
  if (ieq(s, "NONE")) return rrclass::none;
  if (ieq(s, "ANY")) return rrclass::any;
  return generic_number(s, "CLASS");
}

void rdata_to_text(const Record& rr, std::string& out) {
  const detail::TypeInfo* ti = detail::type_info(rr.type);
  if (!ti || !validate_rdata(rr)) {
    append_generic(out, rr.rdata());
    return;
  }
  const auto buf = rr.buffer();
  const bool in_message = rr.rdata_offset != 0;
  std::size_t pos = rr.rdata_offset;
  const std::size_t end = pos + rr.rdata_size;
  bool first = true;
  const std::size_t out_start = out.size();
  for (Field f : ti->fields) {
    if (f == Field::end) break;
    auto v = detail::read_field(f, buf, pos, end, in_message, 16);
    if (!v) return;  // validated above
    const auto bytes = buf.subspan(v->start, v->size);
    WireReader r(bytes);
    // An empty bitmap prints nothing; an empty key, signature or digest has no
    // presentation form, so the whole RDATA goes generic (RFC 3597 §5).
    if (f == Field::bitmap && bytes.empty()) continue;
    if ((f == Field::b64_rest || f == Field::hex_rest) && bytes.empty()) {
      out.resize(out_start);
      append_generic(out, rr.rdata());
      return;
    }
    if (!first) out += ' ';
    first = false;
    switch (f) {
      case Field::end: break;
      case Field::u8: append_u(out, r.u8()); break;
      case Field::u16: append_u(out, r.u16be()); break;
      case Field::u32: case Field::ttl: append_u(out, r.u32be()); break;
      case Field::time: append_time(out, r.u32be()); break;
      case Field::type: type_to_text(r.u16be(), out); break;
      case Field::ipv4: case Field::ipv6: {
        char buf_text[64];
        if (inet_ntop(f == Field::ipv4 ? AF_INET : AF_INET6, bytes.data(), buf_text, sizeof buf_text))
          out += buf_text;
        break;
      }
      case Field::name_c: case Field::name_d: case Field::name_n: name_to_text(v->name, out); break;
      case Field::cstr: append_quoted(out, bytes.subspan(1)); break;
      case Field::cstrs: {
        std::size_t p = 0;
        while (p < bytes.size()) {
          const std::size_t n = static_cast<std::uint8_t>(bytes[p]);
          if (p) out += ' ';
          append_quoted(out, bytes.subspan(p + 1, n));
          p += 1 + n;
        }
        break;
      }
      case Field::b64_rest: append_b64(out, bytes); break;
      case Field::hex_rest: append_hex(out, bytes); break;
      case Field::hex_len8:
        if (bytes.size() == 1) out += '-';
        else append_hex(out, bytes.subspan(1));
        break;
      case Field::b32_len8: append_b32hex(out, bytes.subspan(1)); break;
      case Field::bitmap: append_bitmap(out, bytes); break;
      case Field::caa_tag: out.append(reinterpret_cast<const char*>(bytes.data()) + 1, bytes.size() - 1); break;
      case Field::caa_value: append_quoted(out, bytes); break;
    }
  }
}

void record_to_text(const Record& rr, std::string& out) {
  name_to_text(rr.owner, out);
  out += '\t';
  if (rr.section != Section::question) {
    append_u(out, rr.ttl);
    out += '\t';
  }
  class_to_text(rr.rclass, out);
  out += '\t';
  type_to_text(rr.type, out);
  if (rr.section == Section::question) return;
  out += '\t';
  rdata_to_text(rr, out);
}

void message_to_text(const Message& m, std::string& out) {
  static const char* const opcodes[] = {"QUERY", "IQUERY", "STATUS", "OPCODE3", "NOTIFY", "UPDATE"};
  static const char* const rcodes[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                       "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"};
  const Header& h = m.header;
  out += ";; ->>HEADER<<- opcode: ";
  if (h.opcode() < 6) out += opcodes[h.opcode()];
  else append_u(out, h.opcode());
  out += ", status: ";
  const std::uint16_t rc = m.rcode();
  if (rc < 11) out += rcodes[rc];
  else if (rc == 16) out += "BADVERS";
  else append_u(out, rc);
  out += ", id: ";
  append_u(out, h.id);
  out += "\n;; flags:";
  const std::pair<bool, const char*> flags[] = {{h.qr(), " qr"}, {h.aa(), " aa"}, {h.tc(), " tc"},
                                                {h.rd(), " rd"}, {h.ra(), " ra"}, {h.ad(), " ad"},
                                                {h.cd(), " cd"}};
  for (const auto& [on, text] : flags)
    if (on) out += text;
  out += "; QUERY: ";
  append_u(out, m.question.size());
  out += ", ANSWER: ";
  append_u(out, m.answer.size());
  out += ", AUTHORITY: ";
  append_u(out, m.authority.size());
  out += ", ADDITIONAL: ";
  append_u(out, m.additional.size() + (m.opt ? 1 : 0));
  out += '\n';
  if (m.edns) {
    out += "\n;; OPT PSEUDOSECTION:\n; EDNS: version: ";
    append_u(out, m.edns->version);
    out += ", flags:";
    if (m.edns->dnssec_ok()) out += " do";
    out += "; udp: ";
    append_u(out, m.edns->udp_payload_size);
    out += '\n';
    for (Edns::Option o : *m.edns) {
      out += "; OPT=";
      append_u(out, o.code);
      out += ": ";
      append_hex(out, o.data);
      out += '\n';
    }
  }
  const std::pair<const char*, std::span<const Record>> sections[] = {
      {"QUESTION", m.question}, {"ANSWER", m.answer}, {"AUTHORITY", m.authority}, {"ADDITIONAL", m.additional}};
  for (const auto& [title, rrs] : sections) {
    if (rrs.empty()) continue;
    out += "\n;; ";
    out += title;
    out += " SECTION:\n";
    for (const Record& rr : rrs) {
      if (rr.section == Section::question) out += ';';
      record_to_text(rr, out);
      out += '\n';
    }
  }
}

}  // namespace zp::codec::dns
