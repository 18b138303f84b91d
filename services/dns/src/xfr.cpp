// Zone transfers without I/O: version differences (sorted record keys, one merge walk), the
// bounded history, the decision for an AXFR/IXFR query, and the reply cut into messages.
#include "zp/dns/xfr.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "zp/codec/dns/rdata.h"
#include "zp/codec/dns/writer.h"
#include "zp/dns/acl.h"

namespace zp::dns {

namespace {

using codec::dns::EdnsOut;
using codec::dns::Header;
using codec::dns::MessageWriter;
using codec::dns::Name;
using codec::dns::Rcode;
using codec::dns::Record;
using codec::dns::Section;
namespace rrtype = codec::dns::rrtype;

// Owner (lower-cased), type, TTL and RDATA in one comparable string.
struct Keyed {
  std::string key;
  const Record* rr;
};

std::vector<Keyed> keyed_records(const Zone& z) {
  std::vector<Keyed> out;
  out.reserve(z.record_count());
  for (const Record& r : z.all_records()) {
    if (r.type == rrtype::soa) continue;
    std::byte owner[codec::dns::max_name_bytes];
    const std::size_t ol = lower_wire(r.owner, owner);
    const auto rd = r.rdata();
    std::string k;
    k.reserve(ol + 6 + rd.size());
    k.append(reinterpret_cast<const char*>(owner), ol);
    const unsigned char fixed[6] = {static_cast<unsigned char>(r.type >> 8), static_cast<unsigned char>(r.type),
                                    static_cast<unsigned char>(r.ttl >> 24), static_cast<unsigned char>(r.ttl >> 16),
                                    static_cast<unsigned char>(r.ttl >> 8), static_cast<unsigned char>(r.ttl)};
    k.append(reinterpret_cast<const char*>(fixed), sizeof fixed);
    k.append(reinterpret_cast<const char*>(rd.data()), rd.size());
    out.push_back({std::move(k), &r});
  }
  std::sort(out.begin(), out.end(), [](const Keyed& a, const Keyed& b) { return a.key < b.key; });
  return out;
}

bool copy_record(codec::dns::ZoneSink& sink, const Record& r) {
  std::byte owner[codec::dns::max_name_bytes];
  auto ol = r.owner.to_wire(owner);
  if (!ol) return false;
  codec::dns::ZoneRecord zr;
  zr.owner = std::span<const std::byte>(owner, *ol);
  zr.type = r.type;
  zr.rclass = r.rclass;
  zr.ttl = r.ttl;
  zr.rdata = r.rdata();
  return bool(sink(zr));
}

std::uint16_t rc(Rcode r) { return static_cast<std::uint16_t>(r); }

}  // namespace

std::shared_ptr<const ZoneDiff> compute_diff(const Zone& older, const Zone& newer) {
  try {
    auto d = std::make_shared<ZoneDiff>();
    d->from_ = older.serial();
    d->to_ = newer.serial();
    const auto a = keyed_records(older);
    const auto b = keyed_records(newer);
    std::vector<const Record*> removed, added;
    std::size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
      if (j == b.size() || (i < a.size() && a[i].key < b[j].key)) {
        removed.push_back(a[i++].rr);
      } else if (i == a.size() || b[j].key < a[i].key) {
        added.push_back(b[j++].rr);
      } else {
        ++i;
        ++j;
      }
    }
    auto sink = d->store_.sink();
    bool ok = copy_record(sink, older.records(older.soa())[0]) && copy_record(sink, newer.records(newer.soa())[0]);
    for (const Record* r : removed) ok = ok && copy_record(sink, *r);
    for (const Record* r : added) ok = ok && copy_record(sink, *r);
    if (!ok) return nullptr;
    // Views only now: the store's bytes moved while it grew.
    d->soa_[0] = d->store_[0].view();
    d->soa_[1] = d->store_[1].view();
    d->removed_.reserve(removed.size());
    d->added_.reserve(added.size());
    std::size_t bytes = sizeof(ZoneDiff);
    for (std::size_t k = 0; k < d->store_.size(); ++k) {
      const auto zr = d->store_[k];
      bytes += zr.owner.size() + zr.rdata.size() + sizeof(codec::dns::ZoneRecords::Entry);
      if (k < 2) continue;
      (k < 2 + removed.size() ? d->removed_ : d->added_).push_back(zr.view());
      bytes += sizeof(Record);
    }
    d->bytes_ = bytes;
    return d;
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

std::shared_ptr<const ZoneHistory> ZoneHistory::extend(const ZoneHistory* old, std::shared_ptr<const ZoneDiff> d,
                                                       const HistoryLimits& limits) {
  auto h = std::make_shared<ZoneHistory>();
  if (!d || limits.max_versions == 0 || d->bytes() > limits.max_bytes) return h;
  if (old && !old->diffs_.empty() && old->diffs_.back()->to_serial() == d->from_serial()) {
    h->diffs_ = old->diffs_;
    h->bytes_ = old->bytes_;
  }
  h->bytes_ += d->bytes();
  h->diffs_.push_back(std::move(d));
  std::size_t drop = 0;
  while (h->diffs_.size() - drop > limits.max_versions || h->bytes_ > limits.max_bytes) {
    h->bytes_ -= h->diffs_[drop]->bytes();
    ++drop;
  }
  h->diffs_.erase(h->diffs_.begin(), h->diffs_.begin() + std::ptrdiff_t(drop));
  return h;
}

std::span<const std::shared_ptr<const ZoneDiff>> ZoneHistory::since(std::uint32_t serial) const noexcept {
  for (std::size_t i = 0; i < diffs_.size(); ++i) {
    if (diffs_[i]->from_serial() == serial) return std::span(diffs_).subspan(i);
  }
  return {};
}

Result<std::size_t> XfrStream::next(std::span<std::byte> out) {
  if (done()) return std::size_t{0};
  MessageWriter w(out, std::min(out.size(), max_message_bytes_));
  if (edns_) w.reserve(11);
  if (messages_ == 0) {
    // RFC 5936 §2.2.1: the question in the first message (later ones may leave it out).
    auto qn = Name::from_wire(std::span<const std::byte>(qname_, qname_size_));
    if (!qn || !w.add_question(*qn, qtype_, qclass_)) return fail(EMSGSIZE);
  }
  std::size_t added = 0;
  while (seg_ < segments_.size()) {
    const auto seg = segments_[seg_];
    if (idx_ >= seg.size()) {
      ++seg_;
      idx_ = 0;
      continue;
    }
    if (!w.add_record(Section::answer, seg[idx_])) break;
    ++idx_;
    ++added;
  }
  if (added == 0 && !done()) return fail(EMSGSIZE);
  if (edns_) {
    EdnsOut e;
    e.udp_payload_size = edns_size_;
    (void)w.add_opt(e);
  }
  Header h;
  h.id = id_;
  h.flags = static_cast<std::uint16_t>(Header::qr_bit | Header::aa_bit | (flags_ & (Header::rd_bit | Header::cd_bit)));
  w.set_header(h);
  auto wire = w.finish();
  if (!wire) return wire.error();
  ++messages_;
  records_ += added;
  return wire->size();
}

bool is_transfer_query(std::span<const std::byte> q) noexcept {
  if (q.size() < 12) return false;
  const auto u8 = [&](std::size_t i) { return static_cast<std::uint8_t>(q[i]); };
  if ((u8(2) & 0x80) || ((u8(2) >> 3) & 0xF) != 0) return false;  // a response, or not QUERY
  if (u8(4) != 0 || u8(5) != 1) return false;                      // QDCOUNT 1
  std::size_t p = 12;
  while (p < q.size()) {
    const std::uint8_t l = u8(p);
    if (l == 0) break;
    if (l > 63) return false;  // a pointer in a question is refused by the parser anyway
    p += 1 + l;
  }
  if (p + 3 > q.size()) return false;
  const std::uint16_t t = static_cast<std::uint16_t>((u8(p + 1) << 8) | u8(p + 2));
  return t == kTypeAxfr || t == kTypeIxfr;
}

struct XfrPlanner {
  static XfrPlan plan(std::shared_ptr<const ZoneSet> zones, std::span<const std::byte> query, const sockaddr* peer,
                      Transport transport, std::span<std::byte> out, const XfrOptions& opts) {
    XfrPlan plan;
    if (query.size() < 12) return plan;
    Header qh;
    qh.id = static_cast<std::uint16_t>((std::uint16_t(query[0]) << 8) | std::uint16_t(query[1]));
    qh.flags = static_cast<std::uint16_t>((std::uint16_t(query[2]) << 8) | std::uint16_t(query[3]));
    if (qh.qr()) return plan;

    Record storage[8];
    codec::dns::Message m;
    const auto pr = codec::dns::parse_message(query, m, storage);
    const bool udp = transport == Transport::udp;
    const codec::dns::Edns* edns = pr.ok() && m.edns ? &*m.edns : nullptr;
    std::size_t limit = udp ? 512 : 65535;
    if (edns && udp) limit = std::max<std::size_t>(512, std::min<std::size_t>(edns->udp_size(), opts.udp_payload_size));
    MessageWriter w(out, limit);
    if (edns) w.reserve(11);
    const bool one_q = pr.ok() && m.question.size() == 1;
    if (one_q) (void)w.add_question(m.question[0].owner, m.question[0].type, m.question[0].rclass);
    auto reply = [&](std::uint16_t rcode, bool aa) -> XfrPlan {
      Header h;
      h.id = qh.id;
      h.flags = static_cast<std::uint16_t>(Header::qr_bit | (qh.flags & 0x7800) |
                                           (qh.flags & (Header::rd_bit | Header::cd_bit)) |
                                           (aa ? Header::aa_bit : 0) | (rcode & 0xF));
      if (edns) {
        EdnsOut e;
        e.udp_payload_size = opts.udp_payload_size;
        e.extended_rcode_bits = rcode;
        (void)w.add_opt(e);
      }
      w.set_header(h);
      auto wire = w.finish();
      XfrPlan p;
      p.reply_size = wire ? wire->size() : 0;
      p.rcode = rcode;
      return p;
    };
    if (!pr.ok() || !one_q) return reply(rc(Rcode::formerr), false);
    if (edns && edns->version > 0) return reply(rc(Rcode::badvers), false);
    const Record& q = m.question[0];
    if (udp && q.type == kTypeAxfr) return reply(rc(Rcode::formerr), false);
    if (q.rclass != codec::dns::rrclass::in || !zones) return reply(rc(Rcode::refused), false);
    std::byte key[codec::dns::max_name_bytes];
    const std::size_t kl = lower_wire(q.owner, key);
    const Zone* z = zones->find(std::span<const std::byte>(key, kl));
    if (!z || z->apex_key().size() != kl || std::memcmp(z->apex_key().data(), key, kl) != 0) {
      return reply(rc(Rcode::notauth), false);  // RFC 5936 §2.2.1: not authoritative for it
    }
    const ZoneTransfer& t = zones->transfer(z);
    if (!t.allow_transfer || !t.allow_transfer->allows(peer)) return reply(rc(Rcode::refused), false);
    if (opts.busy && !udp) return reply(rc(Rcode::servfail), false);

    XfrStream s;
    if (q.type == kTypeIxfr) {
      // RFC 1995 §3: the client's SOA is in the authority section.
      const Record* client = nullptr;
      for (const Record& r : m.authority) {
        if (r.type == rrtype::soa && r.owner.equals(z->apex())) client = &r;
      }
      auto sv = client ? codec::dns::soa_view(*client) : Result<codec::dns::SoaView>(fail(EINVAL));
      if (!sv) return reply(rc(Rcode::formerr), false);
      const std::uint32_t cs = sv->serial;
      std::span<const std::shared_ptr<const ZoneDiff>> diffs;
      if (serial_lt(cs, z->serial()) && t.history) diffs = t.history->since(cs);
      if (!serial_lt(cs, z->serial()) || udp) {
        // Current (or ahead): the single SOA. Over UDP also when behind: "use TCP" (RFC 1995 §2).
        if (!w.add_record(Section::answer, z->records(z->soa())[0])) return reply(rc(Rcode::servfail), false);
        return reply(rc(Rcode::noerror), true);
      }
      const Record* soa = &z->records(z->soa())[0];
      if (!diffs.empty()) {
        s.kind_ = XfrKind::ixfr_incremental;
        s.segments_.push_back({soa, 1});
        for (const auto& d : diffs) {
          s.segments_.push_back({&d->old_soa(), 1});
          s.segments_.push_back(d->removed());
          s.segments_.push_back({&d->new_soa(), 1});
          s.segments_.push_back(d->added());
        }
        s.segments_.push_back({soa, 1});
      } else {
        s.kind_ = XfrKind::ixfr_full;
      }
    } else {
      s.kind_ = XfrKind::axfr;
    }
    if (s.kind_ != XfrKind::ixfr_incremental) {
      const Record* soa = &z->records(z->soa())[0];
      const auto all = z->all_records();
      const std::size_t at = z->soa().first;
      s.segments_.push_back({soa, 1});
      s.segments_.push_back(all.first(at));
      s.segments_.push_back(all.subspan(at + 1));
      s.segments_.push_back({soa, 1});
    }
    s.zones_ = std::move(zones);
    s.zone_ = z;
    s.max_message_bytes_ = std::min<std::size_t>(opts.max_message_bytes, 65535);
    s.id_ = qh.id;
    s.flags_ = qh.flags;
    s.qtype_ = q.type;
    s.qclass_ = q.rclass;
    auto qn = q.owner.to_wire(s.qname_);
    s.qname_size_ = qn ? *qn : 0;
    s.edns_ = edns != nullptr;
    s.edns_size_ = opts.udp_payload_size;
    plan.stream = std::move(s);
    return plan;
  }
};

XfrPlan plan_transfer(std::shared_ptr<const ZoneSet> zones, std::span<const std::byte> query, const sockaddr* peer,
                      Transport transport, std::span<std::byte> out, const XfrOptions& options) {
  return XfrPlanner::plan(std::move(zones), query, peer, transport, out, options);
}

}  // namespace zp::dns
