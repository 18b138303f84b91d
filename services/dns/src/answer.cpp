// Answer logic: header and EDNS checks, zone selection, the RFC 1034 §4.3.2 walk (zone cuts
// and DNAMEs on the way down, exact match, CNAME chain, wildcard, NXDOMAIN), and section
// building with whole-RRset truncation.
#include "zp/dns/answer.h"

#include <algorithm>
#include <cstring>
#include <iterator>

#include "zp/codec/dns/rdata.h"
#include "zp/codec/dns/writer.h"
#include "zp/dns/nsec3.h"
#include "zp/dns/xfr.h"

namespace zp::dns {

namespace {

using codec::dns::Edns;
using codec::dns::EdnsOut;
using codec::dns::Header;
using codec::dns::MessageWriter;
using codec::dns::Name;
using codec::dns::Rcode;
using codec::dns::Record;
using codec::dns::Section;
namespace rrtype = codec::dns::rrtype;

constexpr std::uint16_t kMailb = 253, kMaila = 254;  // AXFR, IXFR: xfr.h

std::uint16_t rc(Rcode r) { return static_cast<std::uint16_t>(r); }

// The label start offsets of a lower-cased wire name: offs[i] is where the name without its
// first i labels begins (offs[labels] is the root).
std::size_t label_offsets(std::span<const std::byte> key, std::size_t* offs) {
  std::size_t n = 0, p = 0;
  while (p < key.size()) {
    offs[n++] = p;
    if (key[p] == std::byte{0}) break;
    p += 1 + static_cast<std::uint8_t>(key[p]);
  }
  return n - 1;  // labels (the root not counted)
}

// One query's answer under construction.
struct Build {
  MessageWriter& w;
  std::vector<Record>& scratch;
  const Zone* z = nullptr;
  bool dnssec = false;
  bool tc = false;
  bool aa = true;
  std::uint16_t rcode = 0;
  std::size_t answers = 0;

  // Adds `set` (and its RRSIGs when DO) under `owner`; all or nothing. False: did not fit.
  bool add(Section s, const Name& owner, const RRset& set, std::uint32_t ttl_cap = 0xFFFFFFFFu) {
    if (tc) return false;
    scratch.clear();
    for (const Record& r : z->records(set)) {
      Record c = r;
      c.owner = owner;
      c.ttl = std::min(c.ttl, ttl_cap);
      scratch.push_back(c);
    }
    if (dnssec && set.sigs >= 0) {
      for (const Record& r : z->records(z->rrset_at(set.sigs))) {
        Record c = r;
        c.owner = owner;
        c.ttl = std::min(c.ttl, ttl_cap);
        scratch.push_back(c);
      }
    }
    if (!w.add_rrset(s, scratch)) return false;
    if (s == Section::answer) ++answers;
    return true;
  }
  // The same; not fitting sets TC (answer, authority, required glue).
  void add_required(Section s, const Name& owner, const RRset& set, std::uint32_t ttl_cap = 0xFFFFFFFFu) {
    if (!tc && !add(s, owner, set, ttl_cap)) tc = true;
  }
  void add_soa_authority() {
    const RRset& soa = z->soa();
    add_required(Section::authority, z->apex(), soa, z->negative_ttl());
  }
  // DNSSEC denial (RFC 4035 §3.1.3) with NSEC, for pre-signed zones: the NSEC at or
  // covering `name`, once per answer. Zones without NSEC get nothing (NSEC3 is not done).
  const Node* nsec_added[3] = {};
  void add_nsec_for(const Name& name) {
    if (!dnssec || tc) return;
    const Node* n = z->at_or_before(name, rrtype::nsec);
    if (!n) return;
    for (const Node*& a : nsec_added) {
      if (a == n) return;
      if (!a) {
        a = n;
        add_required(Section::authority, n->name, *z->rrset(*n, rrtype::nsec));
        return;
      }
    }
  }
  // NXDOMAIN: the NSEC covering the name, and the one covering *.<closest encloser>.
  void nsec_nxdomain(const Name& name, const Node& encloser) {
    if (!dnssec) return;
    add_nsec_for(name);
    std::byte wild[codec::dns::max_name_bytes];
    const auto ek = z->key(encloser);
    if (ek.size() + 2 > sizeof wild) return;
    wild[0] = std::byte{1};
    wild[1] = std::byte{'*'};
    std::memcpy(wild + 2, ek.data(), ek.size());
    auto w = Name::from_wire(std::span<const std::byte>(wild, ek.size() + 2));
    if (w) add_nsec_for(*w);
  }
  // NSEC3 denial (RFC 5155 §7.2) for pre-signed zones with an NSEC3PARAM; each NSEC3 once.
  bool use_nsec3() const noexcept { return dnssec && z->has_nsec3(); }
  const Node* nsec3_added[4] = {};
  void add_nsec3(const Node* n) {
    if (!n || tc) return;
    for (const Node*& a : nsec3_added) {
      if (a == n) return;
      if (!a) {
        a = n;
        add_required(Section::authority, n->name, *z->rrset(*n, rrtype::nsec3));
        return;
      }
    }
  }
  // The NSEC3 matching (or else covering) the lower-cased wire name `key`, or nullptr.
  const Node* nsec3_find(std::span<const std::byte> key, bool match) const {
    std::byte h[kNsec3HashBytes];
    if (!z->nsec3_hash(key, h)) return nullptr;
    return match ? z->nsec3_match(h) : z->nsec3_cover(h);
  }
  // Closest provable encloser proof (RFC 5155 §7.2.1): the NSEC3 matching the nearest
  // ancestor of `name` at least `skip` labels up that has one, and the NSEC3 covering the
  // next closer name (one label longer). Returns the labels removed to reach the encloser.
  std::size_t nsec3_closest_encloser(std::span<const std::byte> name, std::size_t skip) {
    std::size_t offs[codec::dns::max_labels + 2];
    const std::size_t labels = label_offsets(name, offs);
    for (std::size_t k = skip; k <= labels; ++k) {
      if (const Node* m = nsec3_find(name.subspan(offs[k]), true)) {
        add_nsec3(m);
        if (k > 0) add_nsec3(nsec3_find(name.subspan(offs[k - 1]), false));
        return k;
      }
    }
    return labels;
  }
  // "*." + the lower-cased wire name `key` into `buf`; empty when too long.
  static std::span<const std::byte> wildcard_of(std::span<const std::byte> key, std::byte* buf) {
    if (key.size() + 2 > codec::dns::max_name_bytes) return {};
    buf[0] = std::byte{1};
    buf[1] = std::byte{'*'};
    std::memcpy(buf + 2, key.data(), key.size());
    return {buf, key.size() + 2};
  }
  // NXDOMAIN for `key` whose closest encloser is `removed` labels up (§7.2.2): the closest
  // encloser proof and the NSEC3 covering the wildcard at the closest encloser.
  void nsec3_nxdomain(std::span<const std::byte> key, std::size_t removed) {
    const std::size_t k = nsec3_closest_encloser(key, removed);
    std::size_t offs[codec::dns::max_labels + 2];
    if (k > label_offsets(key, offs)) return;
    std::byte wild[codec::dns::max_name_bytes];
    auto w = wildcard_of(key.subspan(offs[k]), wild);
    if (!w.empty()) add_nsec3(nsec3_find(w, false));
  }
  // NODATA for an existing `key` (§7.2.3, and §7.2.4 for DS under opt-out: no matching
  // NSEC3, so the closest provable encloser proof).
  void nsec3_nodata(std::span<const std::byte> key) {
    if (const Node* m = nsec3_find(key, true)) add_nsec3(m);
    else nsec3_closest_encloser(key, 1);
  }
  // A/AAAA of `target` when it is a name of this zone; `required`: TC when they do not fit.
  void add_addresses(const Name& target, bool required) {
    if (tc || target.empty() || !target.is_subdomain_of(z->apex())) return;
    std::byte key[codec::dns::max_name_bytes];
    const std::size_t kl = lower_wire(target, key);
    const Node* n = z->find(std::span<const std::byte>(key, kl));
    if (!n) return;
    for (std::uint16_t t : {rrtype::a, rrtype::aaaa}) {
      if (const RRset* s = z->rrset(*n, t)) {
        if (!add(Section::additional, n->name, *s) && required) tc = true;
      }
    }
  }
  // Additional-section processing for NS, MX and SRV answers (RFC 1035 §3.3, RFC 2782).
  void additional_for(const RRset& set) {
    for (const Record& r : z->records(set)) {
      Name target;
      if (set.type == rrtype::ns) {
        if (auto v = codec::dns::name_view(r)) target = v->target;
      } else if (set.type == rrtype::mx) {
        if (auto v = codec::dns::mx_view(r)) target = v->exchange;
      } else if (set.type == rrtype::srv) {
        if (auto v = codec::dns::srv_view(r)) target = v->target;
      }
      add_addresses(target, false);
    }
  }
  // Referral to the child zone at `cut` (RFC 1034 §4.3.2 step 3b): AA off unless the
  // answer already holds authoritative data (a CNAME into the cut).
  void referral(const Node& cut) {
    if (answers == 0) aa = false;
    const RRset* ns = z->rrset(cut, rrtype::ns);
    add_required(Section::authority, cut.name, *ns);
    if (dnssec) {
      if (const RRset* ds = z->rrset(cut, rrtype::ds)) {
        add_required(Section::authority, cut.name, *ds);
      } else if (use_nsec3()) {
        nsec3_nodata(z->key(cut));  // an unsigned delegation (RFC 5155 §7.2.7)
      } else {
        add_nsec_for(cut.name);  // RFC 4035 §3.1.4: the NSEC proving there is no DS
      }
    }
    for (const Record& r : z->records(*ns)) {
      auto v = codec::dns::name_view(r);
      if (!v) continue;
      add_addresses(v->target, v->target.is_subdomain_of(cut.name));  // in-bailiwick glue is required
    }
  }
};

}  // namespace

AnswerResult Responder::answer(const ZoneSet* zones, std::span<const std::byte> query, std::span<std::byte> out,
                               Transport transport, const sockaddr* peer) {
  AnswerResult res;
  if (query.size() < 12) return res;
  Header qh;
  qh.id = static_cast<std::uint16_t>((std::uint16_t(query[0]) << 8) | std::uint16_t(query[1]));
  qh.flags = static_cast<std::uint16_t>((std::uint16_t(query[2]) << 8) | std::uint16_t(query[3]));
  if (qh.qr()) return res;  // never answer a response

  Record storage[8];
  codec::dns::Message m;
  const auto pr = codec::dns::parse_message(query, m, storage);

  const bool tcp = transport == Transport::tcp;
  std::size_t limit = tcp ? 65535 : 512;
  const Edns* edns = pr.ok() && m.edns ? &*m.edns : nullptr;
  if (edns && !tcp) limit = std::max<std::size_t>(512, std::min<std::size_t>(edns->udp_size(), opts_.udp_payload_size));

  MessageWriter w(out, limit);
  if (edns) w.reserve(11);
  const std::uint16_t base_flags = static_cast<std::uint16_t>(Header::qr_bit | (qh.flags & 0x7800) |
                                                              (qh.flags & (Header::rd_bit | Header::cd_bit)));
  auto finish = [&](std::uint16_t rcode, bool aa, bool tc, bool dnssec,
                    std::span<const std::byte> options = {}) -> AnswerResult {
    Header h;
    h.id = qh.id;
    h.flags = static_cast<std::uint16_t>(base_flags | (aa ? Header::aa_bit : 0) | (tc ? Header::tc_bit : 0) |
                                         (rcode & 0xF));
    if (edns) {
      EdnsOut e;
      e.udp_payload_size = opts_.udp_payload_size;
      e.extended_rcode_bits = rcode;
      e.dnssec_ok = dnssec;
      e.options = options;
      (void)w.add_opt(e);
    }
    w.set_header(h);
    auto wire = w.finish();
    if (!wire) return AnswerResult{};
    AnswerResult r;
    r.size = wire->size();
    r.rcode = rcode;
    r.truncated = tc;
    if (pr.ok() && m.question.size() == 1) r.qtype = m.question[0].type;
    return r;
  };

  if (!pr.ok()) return finish(rc(Rcode::formerr), false, false, false);
  const std::uint8_t opcode = qh.opcode();
  if (edns && edns->version > 0) {
    if (m.question.size() == 1) (void)w.add_question(m.question[0].owner, m.question[0].type, m.question[0].rclass);
    return finish(rc(Rcode::badvers), false, false, false);
  }
  if (opcode != 0) {
    if (m.question.size() == 1) (void)w.add_question(m.question[0].owner, m.question[0].type, m.question[0].rclass);
    // NOTIFY (RFC 1996) is for secondaries; we are the primary of our zones: REFUSED.
    return finish(rc(opcode == kOpcodeNotify ? Rcode::refused : Rcode::notimp), false, false, false);
  }
  if (m.question.size() != 1) return finish(rc(Rcode::formerr), false, false, false);

  const Record& q = m.question[0];
  const std::uint16_t qtype = q.type;
  const bool dnssec = edns && edns->dnssec_ok();
  (void)w.add_question(q.owner, q.type, q.rclass);
  if (!tcp && qtype == kTypeIxfr && zones) {
    // IXFR over UDP (RFC 1995 §2): the SOA alone, if the peer may transfer the zone. The
    // set is borrowed for this call (an aliasing shared_ptr owns nothing).
    XfrOptions xo;
    xo.udp_payload_size = opts_.udp_payload_size;
    XfrPlan p = plan_transfer(std::shared_ptr<const ZoneSet>(std::shared_ptr<const ZoneSet>(), zones), query, peer,
                              Transport::udp, out, xo);
    // Rate limited as an error: keyed by the client prefix alone.
    return AnswerResult{p.reply_size, p.rcode, false, ResponseKind::error, qtype, {}};
  }
  if (qtype == rrtype::opt || (!tcp && (qtype == kTypeAxfr || qtype == kTypeIxfr))) return finish(rc(Rcode::formerr), false, false, dnssec);
  if (qtype == kMailb || qtype == kMaila) return finish(rc(Rcode::notimp), false, false, dnssec);
  if (q.rclass != codec::dns::rrclass::in || qtype == kTypeAxfr || qtype == kTypeIxfr || !zones) {
    return finish(rc(Rcode::refused), false, false, dnssec);
  }

  std::byte key_buf[codec::dns::max_name_bytes];
  std::size_t key_len = lower_wire(q.owner, key_buf);
  const Zone* z = zones->find(std::span<const std::byte>(key_buf, key_len));
  if (!z) {
    // RFC 8914 Extended DNS Error 20, "Not Authoritative" (as Knot sends).
    static constexpr std::byte kEdeNotAuth[] = {std::byte{0}, std::byte{15}, std::byte{0}, std::byte{2},
                                                std::byte{0}, std::byte{20}};
    return finish(rc(Rcode::refused), false, false, dnssec, kEdeNotAuth);
  }

  std::memcpy(qkey_.data(), key_buf, key_len);
  const std::span<const std::byte> qkey(qkey_.data(), key_len);
  Build b{w, scratch_};
  b.z = z;
  b.dnssec = dnssec;
  Name cur = q.owner;
  std::size_t synth_i = 0;
  const std::size_t apex_labels = z->apex().label_count();
  const Node* visited[16] = {};
  std::size_t n_visited = 0;

  for (std::size_t hop = 0;; ++hop) {
    std::span<const std::byte> key(key_buf, key_len);
    std::size_t offs[codec::dns::max_labels + 2];
    const std::size_t labels = label_offsets(key, offs);
    const std::size_t depth = labels - apex_labels;  // labels of cur below the apex

    // Down from the apex: the deepest existing node, stopping at a zone cut or a DNAME above cur.
    const Node* enc = nullptr;
    std::size_t enc_depth = 0;
    bool done = false, restart = false;
    for (std::size_t d = 0; d <= depth; ++d) {
      const Node* n = z->find(key.subspan(offs[depth - d]));
      if (!n) break;
      enc = n;
      enc_depth = d;
      if (n->delegation && !(d == depth && qtype == rrtype::ds)) {
        b.referral(*n);
        done = true;
        break;
      }
      if (n->dname && d < depth) {
        // RFC 6672: the DNAME, then a CNAME synthesized from it (TTL of the DNAME).
        const RRset* ds = z->rrset(*n, rrtype::dname);
        const Record& dr = z->records(*ds)[0];
        b.add_required(Section::answer, n->name, *ds);
        auto target = codec::dns::name_view(dr);
        auto& buf = synth_[synth_i++ & 1];
        // New name: cur's labels above the DNAME owner, then the target.
        std::size_t p = 0;
        std::size_t i = 0;
        bool too_long = false;
        for (auto l : cur) {
          if (i++ == depth - d) break;
          buf[p++] = static_cast<std::byte>(l.size());
          std::memcpy(buf.data() + p, l.data(), l.size());
          p += l.size();
        }
        if (!target || p + target->target.wire_size() > codec::dns::max_name_bytes) {
          too_long = true;
        } else {
          auto tw = target->target.to_wire(std::span<std::byte>(buf.data() + p, buf.size() - p));
          if (!tw) too_long = true;
          else p += *tw;
        }
        if (too_long) {
          b.rcode = rc(Rcode::yxdomain);
          done = true;
          break;
        }
        auto nn = Name::from_wire(std::span<const std::byte>(buf.data(), p));
        if (!nn) {
          done = true;
          break;
        }
        Record cn = Record::standalone(cur, rrtype::cname, codec::dns::rrclass::in, dr.ttl,
                                       std::span<const std::byte>(buf.data(), p));
        if (!b.tc && !w.add_record(Section::answer, cur, cn)) b.tc = true;
        cur = *nn;
        key_len = lower_wire(cur, key_buf);
        restart = cur.is_subdomain_of(z->apex()) && hop + 1 < opts_.max_cname_chain && !b.tc;
        done = !restart;
        break;
      }
    }
    if (restart) continue;
    if (done) break;

    const Node* match = nullptr;
    if (enc && enc_depth == depth) {
      match = enc;
    } else if (enc) {
      // RFC 4592: the source of synthesis is "*." + the closest encloser.
      std::byte wk[codec::dns::max_name_bytes + 2];
      const auto ek = z->key(*enc);
      if (ek.size() + 2 <= codec::dns::max_name_bytes) {
        wk[0] = std::byte{1};
        wk[1] = std::byte{'*'};
        std::memcpy(wk + 2, ek.data(), ek.size());
        match = z->find(std::span<const std::byte>(wk, ek.size() + 2));
      }
    }
    if (!match) {
      b.rcode = rc(Rcode::nxdomain);
      b.add_soa_authority();
      if (enc && b.use_nsec3()) b.nsec3_nxdomain(key, depth - enc_depth);
      else if (enc) b.nsec_nxdomain(cur, *enc);
      break;
    }
    const bool wildcard = match != enc;
    // A wildcard answer proves no closer name exists: NSEC covering the name, or the NSEC3
    // covering the next closer name (RFC 5155 §7.2.6).
    auto wildcard_proof = [&] {
      if (!b.use_nsec3()) b.add_nsec_for(cur);
      else if (depth > enc_depth) b.add_nsec3(b.nsec3_find(key.subspan(offs[depth - enc_depth - 1]), false));
    };
    // `match` answers for `cur` (itself, or the wildcard synthesizing it).
    if (match->cname && qtype != rrtype::cname) {
      // A CNAME loop ends at the first name already answered (as Knot does).
      if (!wildcard) {
        bool seen = false;
        for (std::size_t i = 0; i < n_visited; ++i) seen = seen || visited[i] == match;
        if (seen) break;
        if (n_visited < std::size(visited)) visited[n_visited++] = match;
      }
      const RRset* cs = z->rrset(*match, rrtype::cname);
      b.add_required(Section::answer, cur, *cs);
      auto t = codec::dns::name_view(z->records(*cs)[0]);
      if (wildcard) wildcard_proof();
      if (!t || b.tc || hop + 1 >= opts_.max_cname_chain || !t->target.is_subdomain_of(z->apex())) break;
      cur = t->target;
      key_len = lower_wire(cur, key_buf);
      continue;
    }
    if (qtype == rrtype::any) {
      // RFC 8482 §4.2: one RRset of the name.
      const RRset* pick = nullptr;
      for (const RRset& s : z->rrsets(*match)) {
        if (s.type == rrtype::rrsig || s.type == rrtype::nsec) continue;
        pick = &s;
        break;
      }
      if (pick) {
        b.add_required(Section::answer, cur, *pick);
        if (wildcard) wildcard_proof();
      } else {
        b.add_soa_authority();
        if (b.use_nsec3()) b.nsec3_nodata(key);
        else b.add_nsec_for(cur);
      }
      break;
    }
    if (const RRset* s = z->rrset(*match, qtype)) {
      b.add_required(Section::answer, cur, *s);
      if (wildcard) wildcard_proof();  // no closer match exists (RFC 4035 §3.1.3.3)
      if (qtype == rrtype::ns || qtype == rrtype::mx || qtype == rrtype::srv) b.additional_for(*s);
      break;
    }
    b.add_soa_authority();  // NODATA
    if (b.use_nsec3()) {
      if (wildcard) {  // RFC 5155 §7.2.5: closest encloser proof and the wildcard's own NSEC3
        b.nsec3_closest_encloser(key, depth - enc_depth);
        b.add_nsec3(b.nsec3_find(z->key(*match), true));
      } else {
        b.nsec3_nodata(key);
      }
    } else if (wildcard) {  // RFC 4035 §3.1.3.4: the wildcard's NSEC and the one covering the name
      b.add_nsec_for(match->name);
      b.add_nsec_for(cur);
    } else {
      b.add_nsec_for(cur);  // the name's own NSEC, or for an ENT the one covering it
    }
    break;
  }
  AnswerResult r = finish(b.rcode, b.aa, b.tc, dnssec);
  if (r.rcode == rc(Rcode::nxdomain)) {
    r.kind = ResponseKind::nxdomain;
    r.rrl_name = z->apex_key();
  } else if (r.rcode != 0) {
    r.kind = ResponseKind::error;
  } else if (b.answers > 0) {
    r.kind = ResponseKind::answer;
    r.rrl_name = qkey;
  } else {
    r.kind = b.aa ? ResponseKind::nodata : ResponseKind::referral;
    r.rrl_name = z->apex_key();
  }
  return r;
}

}  // namespace zp::dns
