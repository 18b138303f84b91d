// Zone store: records sorted canonically and grouped into nodes and RRsets, empty
// non-terminals added, a hash table of lower-cased names for lookups, and the checks a zone
// must pass before it is served.
#include "zp/dns/zone.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "zp/codec/dns/rdata.h"
#include "zp/codec/dns/text.h"
#include "zp/dns/nsec3.h"

namespace zp::dns {

namespace dns = ::zp::codec::dns;

namespace {

// Reads a whole regular file of at most max_bytes. With `beneath`, `path` is resolved by
// openat2(RESOLVE_BENEATH) under `dir`, so neither "..", an absolute path nor a symlink
// can lead an $INCLUDE out of the zone's directory (the textual check cannot see symlinks).
Result<std::string> read_file_bounded(const std::string& dir, const std::string& path, bool beneath,
                                      std::size_t max_bytes) {
  int fd = -1;
  if (beneath) {
    const int dirfd = ::open(dir.empty() ? "." : dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) return fail(errno);
    open_how how{};
    how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    fd = static_cast<int>(::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how));
    const int err = errno;
    ::close(dirfd);
    if (fd < 0) return fail(err);
  } else {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return fail(errno);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || std::size_t(st.st_size) > max_bytes) {
    const int err = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
    ::close(fd);
    return fail(err);
  }
  std::string text(std::size_t(st.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // shrank under us: serve what was there
    got += std::size_t(n);
  }
  const int err = errno;
  ::close(fd);
  if (got < text.size() && err != 0 && err != EINTR) return fail(err);
  text.resize(got);
  return text;
}

std::uint32_t hash_key(std::span<const std::byte> key) noexcept {
  std::uint32_t h = 2166136261u;
  for (std::byte b : key) h = (h ^ static_cast<std::uint8_t>(b)) * 16777619u;
  return h ^ (h >> 15);
}

std::uint16_t covered_type(const dns::Record& r) noexcept {
  auto d = r.rdata();
  if (r.type != dns::rrtype::rrsig || d.size() < 2) return 0;
  return static_cast<std::uint16_t>((std::uint16_t(d[0]) << 8) | std::uint16_t(d[1]));
}

std::string name_text(const dns::Name& n) {
  std::string s;
  dns::name_to_text(n, s);
  return s;
}

std::string type_text(std::uint16_t t) {
  std::string s;
  dns::type_to_text(t, s);
  return s;
}

bool same_rdata(const dns::Record& a, const dns::Record& b) noexcept {
  auto x = a.rdata(), y = b.rdata();
  return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size()) == 0);
}

}  // namespace

std::size_t lower_wire(const dns::Name& n, std::span<std::byte> out) noexcept {
  if (n.empty() || out.size() < n.wire_size()) return 0;
  std::size_t p = 0;
  for (auto label : n) {
    out[p++] = static_cast<std::byte>(label.size());
    for (std::byte b : label) {
      auto c = static_cast<std::uint8_t>(b);
      out[p++] = static_cast<std::byte>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
  }
  out[p++] = std::byte{0};
  return p;
}

const Node* Zone::find(std::span<const std::byte> k) const noexcept {
  const std::size_t mask = table_.size() - 1;
  for (std::size_t i = hash_key(k) & mask;; i = (i + 1) & mask) {
    const std::uint32_t slot = table_[i];
    if (slot == 0) return nullptr;
    const Node& n = nodes_[slot - 1];
    if (n.key_size == k.size() && std::memcmp(keys_.data() + n.key_at, k.data(), k.size()) == 0) return &n;
  }
}

const RRset* Zone::rrset(const Node& n, std::uint16_t type) const noexcept {
  for (std::uint32_t i = 0; i < n.rrset_count; ++i) {
    const RRset& s = rrsets_[n.rrset_first + i];
    if (s.type == type) return &s;
  }
  return nullptr;
}

const Node* Zone::at_or_before(const dns::Name& name, std::uint16_t type) const noexcept {
  auto it = std::upper_bound(nodes_.begin(), nodes_.end(), name, [](const dns::Name& n, const Node& node) {
    return dns::canonical_compare(n, node.name) < 0;
  });
  while (it != nodes_.begin()) {
    --it;
    if (rrset(*it, type)) return &*it;
  }
  return nullptr;
}

bool Zone::nsec3_hash(std::span<const std::byte> key, std::byte* out) const noexcept {
  return has_nsec3() && ::zp::dns::nsec3_hash(key, nsec3_salt_, nsec3_iterations_, out);
}

const Node* Zone::nsec3_match(const std::byte* hash) const noexcept {
  auto it = std::lower_bound(nsec3_.begin(), nsec3_.end(), hash, [](const Nsec3Entry& e, const std::byte* h) {
    return std::memcmp(e.hash.data(), h, kNsec3HashBytes) < 0;
  });
  if (it == nsec3_.end() || std::memcmp(it->hash.data(), hash, kNsec3HashBytes) != 0) return nullptr;
  return &nodes_[it->node];
}

const Node* Zone::nsec3_cover(const std::byte* hash) const noexcept {
  if (nsec3_.empty()) return nullptr;
  auto it = std::lower_bound(nsec3_.begin(), nsec3_.end(), hash, [](const Nsec3Entry& e, const std::byte* h) {
    return std::memcmp(e.hash.data(), h, kNsec3HashBytes) < 0;
  });
  // The last owner hash below `hash`; before the first one, the chain's last (wrap-around).
  if (it == nsec3_.begin()) return &nodes_[nsec3_.back().node];
  return &nodes_[std::prev(it)->node];
}

struct ZoneBuilder {
  // The apex NSEC3PARAM (RFC 5155 §4) and the NSEC3 records with its parameters, sorted by
  // owner hash; hashed-name nodes flagged. An error text, or empty.
  static std::string index_nsec3(Zone& z, std::string_view source, const std::string& origin) {
    const std::size_t apex_labels = z.nodes_[0].name.label_count();
    if (const RRset* p = z.rrset(z.nodes_[0], dns::rrtype::nsec3param)) {
      auto d = z.records_[p->first].rdata();
      if (d.size() < 5 || d.size() != 5 + std::size_t(d[4])) {
        return fmt::format("{}: {} NSEC3PARAM: malformed", source, origin);
      }
      if (d[0] != std::byte{1}) {
        return fmt::format("{}: {} NSEC3PARAM: hash algorithm {} is not supported (only 1, SHA-1)", source, origin,
                           unsigned(d[0]));
      }
      const auto iterations = static_cast<std::uint16_t>((std::uint16_t(d[2]) << 8) | std::uint16_t(d[3]));
      if (iterations > kNsec3MaxIterations) {
        return fmt::format("{}: {} NSEC3PARAM: {} iterations is above the limit of {}", source, origin, iterations,
                           kNsec3MaxIterations);
      }
      z.nsec3_param_ = std::int32_t(p->first);
      z.nsec3_iterations_ = iterations;
      z.nsec3_salt_ = d.subspan(5);
    }
    for (std::uint32_t ni = 0; ni < z.nodes_.size(); ++ni) {
      Node& n = z.nodes_[ni];
      const RRset* set = z.rrset(n, dns::rrtype::nsec3);
      if (!set) continue;
      n.nsec3_only = true;
      for (const RRset& s : z.rrsets(n)) {
        if (s.type != dns::rrtype::nsec3 && !(s.type == dns::rrtype::rrsig && s.covered == dns::rrtype::nsec3)) {
          n.nsec3_only = false;
        }
      }
      if (!z.has_nsec3()) continue;
      bool in_chain = false;
      for (const dns::Record& r : z.records(*set)) {
        auto v = dns::nsec3_view(r);
        if (!v) return fmt::format("{}: {} NSEC3: malformed", source, name_text(n.name));
        in_chain = in_chain || (v->hash_algorithm == 1 && v->iterations == z.nsec3_iterations_ &&
                                v->salt.size() == z.nsec3_salt_.size() &&
                                std::equal(v->salt.begin(), v->salt.end(), z.nsec3_salt_.begin()));
      }
      if (!in_chain) continue;  // another chain (a parameter rollover): not used for proofs
      Zone::Nsec3Entry e{};
      e.node = ni;
      std::span<const std::byte> first;
      for (auto l : n.name) {
        first = std::span<const std::byte>(l.data(), l.size());
        break;
      }
      if (n.name.label_count() != apex_labels + 1 || !nsec3_label_hash(first, e.hash.data())) {
        return fmt::format("{}: {} NSEC3: the owner is not a base32hex SHA-1 hash just below the apex", source,
                           name_text(n.name));
      }
      z.nsec3_.push_back(e);
    }
    std::sort(z.nsec3_.begin(), z.nsec3_.end(),
              [](const Zone::Nsec3Entry& a, const Zone::Nsec3Entry& b) { return a.hash < b.hash; });
    return {};
  }

  static ZoneLoad build(std::string_view origin_text, std::string_view text, std::string_view source,
                        bool allow_include, std::size_t max_file_bytes) {
    auto z = std::make_shared<Zone>();
    z->source_ = std::string(source);
    std::string origin(origin_text);
    if (origin.empty() || origin.back() != '.') origin += '.';
    std::byte apex_wire[dns::max_name_bytes];
    auto apex_len = dns::name_from_text(origin, {}, apex_wire);
    if (!apex_len) return {nullptr, fmt::format("{}: bad zone name '{}'", source, origin_text)};
    auto apex_name = dns::Name::from_wire(std::span<const std::byte>(apex_wire, *apex_len));
    if (!apex_name) return {nullptr, fmt::format("{}: bad zone name '{}'", source, origin_text)};

    dns::ZoneOptions zo;
    zo.origin = origin;
    zo.file_name = source;
    const std::string dir = std::filesystem::path(std::string(source)).parent_path().string();
    if (allow_include) {
      zo.include = [dir, max_file_bytes](std::string_view path) -> Result<std::string> {
        return read_file_bounded(dir, std::string(path), true, max_file_bytes);
      };
    }
    dns::ZoneError err;
    auto parsed = dns::parse_zone(text, zo, z->src_.sink(), &err);
    if (!parsed) {
      return {nullptr, err.message.empty() ? fmt::format("{}: {}", source, parsed.error().message()) : err.message};
    }

    // Records, checked to be in the zone, in canonical order, duplicates dropped.
    std::vector<dns::Record> recs;
    recs.reserve(z->src_.size());
    for (std::size_t i = 0; i < z->src_.size(); ++i) {
      dns::Record r = z->src_[i].view();
      if (r.owner.empty()) return {nullptr, fmt::format("{}: a record with a bad owner", source)};
      if (!r.owner.is_subdomain_of(*apex_name)) {
        return {nullptr, fmt::format("{}: {} {}: out of zone (not below {})", source, name_text(r.owner),
                                     type_text(r.type), origin)};
      }
      if (r.rclass != dns::rrclass::in) {
        return {nullptr, fmt::format("{}: {} {}: only class IN is served", source, name_text(r.owner), type_text(r.type))};
      }
      recs.push_back(r);
    }
    std::stable_sort(recs.begin(), recs.end(), [](const dns::Record& a, const dns::Record& b) {
      int c = dns::canonical_compare(a.owner, b.owner);
      if (c != 0) return c < 0;
      if (a.type != b.type) return a.type < b.type;
      return covered_type(a) < covered_type(b);
    });
    {
      std::vector<dns::Record> uniq;
      uniq.reserve(recs.size());
      for (const auto& r : recs) {
        if (!uniq.empty()) {
          const auto& p = uniq.back();
          if (p.type == r.type && p.owner.equals(r.owner) && same_rdata(p, r)) continue;
        }
        uniq.push_back(r);
      }
      recs.swap(uniq);
    }

    // Node names: every owner and every name between an owner and the apex (ENTs).
    std::vector<dns::Name> names;
    names.reserve(recs.size() * 2 + 1);
    names.push_back(*apex_name);
    const std::size_t apex_labels = apex_name->label_count();
    for (std::size_t i = 0; i < recs.size(); ++i) {
      if (i > 0 && recs[i].owner.equals(recs[i - 1].owner)) continue;
      const dns::Name& o = recs[i].owner;
      for (std::size_t k = 0; k + apex_labels < o.label_count(); ++k) names.push_back(o.suffix(k));
    }
    std::sort(names.begin(), names.end(),
              [](const dns::Name& a, const dns::Name& b) { return dns::canonical_compare(a, b) < 0; });
    names.erase(std::unique(names.begin(), names.end(),
                            [](const dns::Name& a, const dns::Name& b) { return a.equals(b); }),
                names.end());

    z->records_.reserve(recs.size());
    z->nodes_.reserve(names.size());
    std::size_t ri = 0;
    for (const auto& nm : names) {
      Node node;
      node.name = nm;
      std::byte kb[dns::max_name_bytes];
      const std::size_t kl = lower_wire(nm, kb);
      node.key_at = static_cast<std::uint32_t>(z->keys_.size());
      node.key_size = static_cast<std::uint8_t>(kl);
      z->keys_.insert(z->keys_.end(), kb, kb + kl);
      node.rrset_first = static_cast<std::uint32_t>(z->rrsets_.size());
      while (ri < recs.size() && recs[ri].owner.equals(nm)) {
        RRset s;
        s.type = recs[ri].type;
        s.covered = covered_type(recs[ri]);
        s.first = static_cast<std::uint32_t>(z->records_.size());
        const std::uint32_t ttl = recs[ri].ttl;
        while (ri < recs.size() && recs[ri].owner.equals(nm) && recs[ri].type == s.type &&
               covered_type(recs[ri]) == s.covered) {
          dns::Record r = recs[ri++];
          if (s.type != dns::rrtype::rrsig) r.ttl = ttl;  // RFC 2181 §5.2: one TTL per RRset
          z->records_.push_back(r);
        }
        s.count = static_cast<std::uint32_t>(z->records_.size() - s.first);
        z->rrsets_.push_back(s);
      }
      node.rrset_count = static_cast<std::uint32_t>(z->rrsets_.size() - node.rrset_first);
      // A record's owner lives in src_ (the apex name above is on this stack).
      if (node.rrset_count > 0) node.name = z->records_[z->rrsets_[node.rrset_first].first].owner;
      z->nodes_.push_back(node);
    }

    // Per-node checks and flags; RRSIG sets linked to what they cover.
    bool have_soa = false;
    for (std::size_t ni = 0; ni < z->nodes_.size(); ++ni) {
      Node& n = z->nodes_[ni];
      const bool is_apex = ni == 0;
      std::size_t others = 0;
      for (std::uint32_t i = 0; i < n.rrset_count; ++i) {
        RRset& s = z->rrsets_[n.rrset_first + i];
        const std::string where = fmt::format("{}: {} {}", source, name_text(n.name), type_text(s.type));
        switch (s.type) {
          case dns::rrtype::soa:
            if (!is_apex) return {nullptr, where + ": SOA below the apex"};
            if (s.count != 1) return {nullptr, where + ": more than one SOA at the apex"};
            have_soa = true;
            z->soa_ = n.rrset_first + i;
            break;
          case dns::rrtype::ns:
            if (!is_apex) n.delegation = true;
            ++others;
            break;
          case dns::rrtype::cname:
            if (s.count != 1) return {nullptr, where + ": more than one CNAME at a name"};
            if (is_apex) return {nullptr, where + ": CNAME at the apex"};
            n.cname = true;
            break;
          case dns::rrtype::dname:
            if (s.count != 1) return {nullptr, where + ": more than one DNAME at a name"};
            n.dname = true;
            ++others;
            break;
          case dns::rrtype::rrsig:
          case dns::rrtype::nsec:
            break;
          default:
            ++others;
            break;
        }
        if (s.type != dns::rrtype::rrsig) {
          for (std::uint32_t j = 0; j < n.rrset_count; ++j) {
            const RRset& g = z->rrsets_[n.rrset_first + j];
            if (g.type == dns::rrtype::rrsig && g.covered == s.type) s.sigs = std::int32_t(n.rrset_first + j);
          }
        }
      }
      if (n.cname && others > 0) {
        return {nullptr, fmt::format("{}: {} CNAME: CNAME and other data at the same name", source, name_text(n.name))};
      }
      if (is_apex && !have_soa) return {nullptr, fmt::format("{}: {}: no SOA at the zone apex", source, origin)};
      if (is_apex && !z->rrset(n, dns::rrtype::ns)) {
        return {nullptr, fmt::format("{}: {}: no NS at the zone apex", source, origin)};
      }
    }
    z->apex_ = 0;
    const RRset& soa = z->rrsets_[z->soa_];
    auto sv = dns::soa_view(z->records_[soa.first]);
    if (!sv) return {nullptr, fmt::format("{}: {} SOA: malformed", source, origin)};
    z->serial_ = sv->serial;
    z->negative_ttl_ = std::min(z->records_[soa.first].ttl, sv->minimum);

    if (std::string e = index_nsec3(*z, source, origin); !e.empty()) return {nullptr, std::move(e)};

    std::size_t cap = 16;
    while (cap < z->nodes_.size() * 2) cap <<= 1;
    z->table_.assign(cap, 0);
    for (std::size_t i = 0; i < z->nodes_.size(); ++i) {
      if (z->nodes_[i].nsec3_only) continue;  // hashed names are not names of the zone (as in Knot)
      std::size_t h = hash_key(z->key(z->nodes_[i])) & (cap - 1);
      while (z->table_[h] != 0) h = (h + 1) & (cap - 1);
      z->table_[h] = static_cast<std::uint32_t>(i + 1);
    }
    return {std::move(z), {}};
  }
};

ZoneLoad build_zone(std::string_view origin, std::string_view text, std::string_view source, bool allow_include,
                    std::size_t max_file_bytes) {
  try {
    return ZoneBuilder::build(origin, text, source, allow_include, max_file_bytes);
  } catch (const std::exception& e) {  // allocation failure
    return {nullptr, fmt::format("{}: {}", source, e.what())};
  }
}

ZoneLoad load_zone(std::string_view origin, const std::string& path, std::size_t max_file_bytes) {
  auto text = read_file_bounded({}, path, false, max_file_bytes);
  if (!text) return {nullptr, fmt::format("{}: {}", path, text.error().message())};
  return build_zone(origin, *text, path, true, max_file_bytes);
}

ZoneSet::ZoneSet(std::vector<std::shared_ptr<const Zone>> zones, std::vector<ZoneTransfer> transfer)
    : zones_(std::move(zones)), transfer_(std::move(transfer)) {
  transfer_.resize(zones_.size());
}

const ZoneTransfer& ZoneSet::transfer(const Zone* z) const noexcept {
  static const ZoneTransfer kNone{};
  for (std::size_t i = 0; i < zones_.size(); ++i) {
    if (zones_[i].get() == z) return transfer_[i];
  }
  return kNone;
}

const Zone* ZoneSet::find(std::span<const std::byte> key) const noexcept {
  // Longest apex first: walk the suffixes of `key` from the whole name to the root.
  std::size_t p = 0;
  while (p < key.size()) {
    auto suffix = key.subspan(p);
    for (const auto& z : zones_) {
      auto a = z->apex_key();
      if (a.size() == suffix.size() && std::memcmp(a.data(), suffix.data(), a.size()) == 0) return z.get();
    }
    p += 1 + static_cast<std::uint8_t>(key[p]);
  }
  return nullptr;
}

}  // namespace zp::dns
