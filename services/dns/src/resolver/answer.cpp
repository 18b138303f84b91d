// Reply → answer: owned typed records and the CNAME chain walk (RFC 1034 §3.6.2,
// RFC 2308 for the negative TTL, RFC 6604 for the RCODE of a chain).
#include <algorithm>

#include "zp/codec/dns/rdata.h"
#include "zp/codec/dns/text.h"
#include "zp/dns/hosts.h"
#include "zp/dns/resolver_answer.h"

namespace zp::dns {

namespace cd = codec::dns;

namespace {

std::string name_text(const cd::Name& n) {
  std::string s;
  cd::name_to_text(n, s);
  return s;
}

bool host_name_or_root(const std::string& s) { return s == "." || is_host_name(s); }

ResolverErrc append_name(std::vector<std::byte>& out, const cd::Name& n) {
  std::byte buf[cd::max_name_bytes];
  auto len = n.to_wire(buf);
  if (!len) return ResolverErrc::malformed_reply;
  out.insert(out.end(), buf, buf + *len);
  return ResolverErrc::ok;
}

void append_u16(std::vector<std::byte>& out, std::uint16_t v) {
  out.push_back(std::byte(v >> 8));
  out.push_back(std::byte(v & 0xFF));
}
void append_u32(std::vector<std::byte>& out, std::uint32_t v) {
  append_u16(out, static_cast<std::uint16_t>(v >> 16));
  append_u16(out, static_cast<std::uint16_t>(v & 0xFFFF));
}

}  // namespace

ResolverErrc make_resource_record(const cd::Record& rr, ResourceRecord& out) {
  using namespace cd::rrtype;
  out.name = name_text(rr.owner);
  out.type = rr.type;
  out.ttl = rr.ttl;
  out.rdata.clear();
  const auto raw = rr.rdata();
  switch (rr.type) {
    case a: {
      auto v = cd::a_view(rr);
      if (!v) return ResolverErrc::malformed_reply;
      IpAddress ip;
      ip.family = AF_INET;
      std::copy(v->address.begin(), v->address.end(), ip.bytes.begin());
      out.data = ip;
      out.rdata.assign(raw.begin(), raw.end());
      return ResolverErrc::ok;
    }
    case aaaa: {
      auto v = cd::aaaa_view(rr);
      if (!v) return ResolverErrc::malformed_reply;
      IpAddress ip;
      ip.family = AF_INET6;
      std::copy(v->address.begin(), v->address.end(), ip.bytes.begin());
      out.data = ip;
      out.rdata.assign(raw.begin(), raw.end());
      return ResolverErrc::ok;
    }
    case cname: case ns: case ptr: case dname: {
      auto v = cd::name_view(rr);
      if (!v) return ResolverErrc::malformed_reply;
      NameData d{name_text(v->target)};
      if (!is_host_name(d.target)) return ResolverErrc::bad_reply_name;
      if (auto e = append_name(out.rdata, v->target); e != ResolverErrc::ok) return e;
      out.data = std::move(d);
      return ResolverErrc::ok;
    }
    case mx: {
      auto v = cd::mx_view(rr);
      if (!v) return ResolverErrc::malformed_reply;
      MxData d{v->preference, name_text(v->exchange)};
      if (!host_name_or_root(d.exchange)) return ResolverErrc::bad_reply_name;  // "." is RFC 7505 null MX
      append_u16(out.rdata, v->preference);
      if (auto e = append_name(out.rdata, v->exchange); e != ResolverErrc::ok) return e;
      out.data = std::move(d);
      return ResolverErrc::ok;
    }
    case srv: {
      auto v = cd::srv_view(rr);
      if (!v) return ResolverErrc::malformed_reply;
      SrvData d{v->priority, v->weight, v->port, name_text(v->target)};
      if (!host_name_or_root(d.target)) return ResolverErrc::bad_reply_name;  // "." : no service
      append_u16(out.rdata, v->priority);
      append_u16(out.rdata, v->weight);
      append_u16(out.rdata, v->port);
      if (auto e = append_name(out.rdata, v->target); e != ResolverErrc::ok) return e;
      out.data = std::move(d);
      return ResolverErrc::ok;
    }
    case soa: {
      auto v = cd::soa_view(rr);
      if (!v) return ResolverErrc::malformed_reply;
      SoaData d{name_text(v->mname), name_text(v->rname), v->serial, v->refresh, v->retry, v->expire, v->minimum};
      if (auto e = append_name(out.rdata, v->mname); e != ResolverErrc::ok) return e;
      if (auto e = append_name(out.rdata, v->rname); e != ResolverErrc::ok) return e;
      for (std::uint32_t x : {v->serial, v->refresh, v->retry, v->expire, v->minimum}) append_u32(out.rdata, x);
      out.data = std::move(d);
      return ResolverErrc::ok;
    }
    case txt: {
      auto v = cd::txt_view(rr);
      if (!v) return ResolverErrc::malformed_reply;
      TxtData d;
      v->strings.for_each([&](std::string_view s) { d.strings.emplace_back(s); });
      out.data = std::move(d);
      out.rdata.assign(raw.begin(), raw.end());
      return ResolverErrc::ok;
    }
    case caa: {
      auto v = cd::caa_view(rr);
      if (!v) return ResolverErrc::malformed_reply;
      out.data = CaaData{v->flags, std::string(v->tag),
                         std::string(reinterpret_cast<const char*>(v->value.data()), v->value.size())};
      out.rdata.assign(raw.begin(), raw.end());
      return ResolverErrc::ok;
    }
    case naptr: {
      auto v = cd::naptr_view(rr);
      if (!v) return ResolverErrc::malformed_reply;
      append_u16(out.rdata, v->order);
      append_u16(out.rdata, v->preference);
      for (std::string_view s : {v->flags, v->services, v->regexp}) {
        out.rdata.push_back(std::byte(s.size()));
        for (char c : s) out.rdata.push_back(std::byte(c));
      }
      if (auto e = append_name(out.rdata, v->replacement); e != ResolverErrc::ok) return e;
      out.data = OpaqueData{};
      return ResolverErrc::ok;
    }
    default:
      // Other types carry no compressed names (RFC 3597 §4): their RDATA is standalone.
      if (auto ok = cd::validate_rdata(rr); !ok) return ResolverErrc::malformed_reply;
      out.data = OpaqueData{};
      out.rdata.assign(raw.begin(), raw.end());
      return ResolverErrc::ok;
  }
}

std::string ResourceRecord::rdata_text() const {
  auto r = cd::Record::standalone(cd::Name::root(), type, cd::rrclass::in, ttl, rdata);
  std::string s;
  cd::rdata_to_text(r, s);
  return s;
}

std::vector<IpAddress> Answer::addresses() const {
  std::vector<IpAddress> out;
  for (const auto& r : records)
    if (auto* ip = std::get_if<IpAddress>(&r.data)) out.push_back(*ip);
  return out;
}

std::size_t Answer::approx_bytes() const {
  std::size_t n = sizeof(Answer) + qname.size() + canonical_name.size();
  for (const auto* v : {&cnames, &records})
    for (const auto& r : *v) n += sizeof(ResourceRecord) + r.name.size() + 2 * r.rdata.size();
  return n;
}

Interpretation interpret_reply(const cd::Message& reply, const cd::Name& qname, std::uint16_t qtype,
                               const InterpretLimits& limits) {
  Interpretation out;
  const auto rcode = reply.rcode();
  switch (rcode) {
    case 0: case 3: break;
    case 2: out.status = ResolverErrc::servfail; return out;
    case 5: out.status = ResolverErrc::refused; return out;
    case 1: case 4: out.status = ResolverErrc::not_implemented; return out;
    default: out.status = ResolverErrc::servfail; return out;
  }
  Answer& ans = out.answer;
  ans.qname = name_text(qname);
  ans.qtype = qtype;
  ans.authoritative = reply.header.aa();
  cd::Name cur = qname;
  std::vector<cd::Name> seen{qname};
  std::uint32_t ttl = UINT32_MAX;
  for (std::size_t hops = 0;; ++hops) {
    bool found = false;
    for (const auto& rr : reply.answer) {
      if (rr.rclass != cd::rrclass::in || rr.type != qtype || !rr.owner.equals(cur)) continue;
      ResourceRecord r;
      if (auto e = make_resource_record(rr, r); e != ResolverErrc::ok) {
        out.status = e;
        return out;
      }
      ttl = std::min(ttl, rr.ttl);
      ans.records.push_back(std::move(r));
      found = true;
    }
    if (found || qtype == cd::rrtype::cname) break;
    const cd::Record* cn = nullptr;
    for (const auto& rr : reply.answer)
      if (rr.rclass == cd::rrclass::in && rr.type == cd::rrtype::cname && rr.owner.equals(cur)) {
        cn = &rr;
        break;
      }
    if (!cn) break;
    auto target = cd::name_view(*cn);
    if (!target) {
      out.status = ResolverErrc::malformed_reply;
      return out;
    }
    if (hops >= limits.max_cname_chain ||
        std::any_of(seen.begin(), seen.end(), [&](const cd::Name& n) { return n.equals(target->target); })) {
      out.status = ResolverErrc::cname_loop;
      return out;
    }
    ResourceRecord r;
    if (auto e = make_resource_record(*cn, r); e != ResolverErrc::ok) {
      out.status = e;
      return out;
    }
    ttl = std::min(ttl, cn->ttl);
    ans.cnames.push_back(std::move(r));
    cur = target->target;
    seen.push_back(cur);
  }
  ans.canonical_name = name_text(cur);
  if (!ans.records.empty() && rcode == 0) {
    ans.ttl = ttl;
    return out;
  }
  // Negative (RFC 2308): the SOA of a zone enclosing the last name of the chain.
  out.status = rcode == 3 ? ResolverErrc::nxdomain : ResolverErrc::nodata;
  for (const auto& rr : reply.authority) {
    if (rr.type != cd::rrtype::soa || !cur.is_subdomain_of(rr.owner)) continue;
    auto soa = cd::soa_view(rr);
    if (!soa) continue;
    out.negative_ttl = std::min(rr.ttl, soa->minimum);
    break;
  }
  out.answer = Answer{};
  return out;
}

}  // namespace zp::dns
