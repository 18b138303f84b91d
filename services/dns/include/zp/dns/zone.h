/// \file
/// Authoritative zone store: an immutable tree of one zone's names built from the zone
/// parser's records (canonical order, RRsets grouped by owner and type, RRSIGs grouped by the
/// type they cover, empty non-terminals as nodes without data), and a ZoneSet of zones that
/// the answer logic searches for the closest enclosing apex. Built once, then shared
/// read-only by every shard (std::shared_ptr<const ZoneSet>); lookups never lock or allocate.
/// \code
///   auto z = zp::dns::load_zone("example.test.", "/etc/zproto/example.test.zone");
///   if (!z) log(z.error);   // "/etc/.../example.test.zone:12:5: bad A address ..."
///   auto set = std::make_shared<const zp::dns::ZoneSet>(std::vector{z.zone});
/// \endcode
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zp/codec/dns/message.h"
#include "zp/codec/dns/name.h"
#include "zp/codec/dns/zone.h"

namespace zp::dns {

/// Lower-cases a wire name (ASCII only, RFC 4343) into `out` (>= 255 octets); returns its
/// size, or 0 when `n` is empty.
std::size_t lower_wire(const codec::dns::Name& n, std::span<std::byte> out) noexcept;

/// One RRset at a node: records [first, first + count) of Zone::records(); for RRSIG sets,
/// `covered` is the type they sign. `sigs` indexes the RRSIG set covering this one (or -1).
struct RRset {
  std::uint16_t type = 0;  ///< type code
  std::uint16_t covered = 0;  ///< for RRSIG sets: the type signed
  std::uint32_t first = 0;  ///< index of the first record
  std::uint32_t count = 0;  ///< records in the set
  std::int32_t sigs = -1;  ///< index of the covering RRSIG set, or -1
  /// The set's records within `all` (Zone::all_records()).
  std::span<const codec::dns::Record> records(const std::vector<codec::dns::Record>& all) const noexcept {
    return {all.data() + first, count};
  }
};

/// A name in the zone; an empty non-terminal has no RRsets.
struct Node {
  codec::dns::Name name{};             ///< original case, standalone wire form
  std::uint32_t key_at = 0;     ///< lower-cased wire name in Zone::keys_
  std::uint8_t key_size = 0;  ///< its size
  std::uint32_t rrset_first = 0;  ///< in Zone::rrsets()
  std::uint32_t rrset_count = 0;  ///< RRsets at the node
  bool delegation = false;      ///< NS below the apex: a zone cut
  bool dname = false;  ///< holds a DNAME
  bool cname = false;  ///< holds a CNAME
  bool nsec3_only = false;      ///< only NSEC3 (+ RRSIG): a hashed name, not a name of the zone
  bool empty() const noexcept { return rrset_count == 0; }  ///< true for an empty non-terminal
};

/// One loaded zone, immutable (see the file comment).
class Zone {
 public:
  const codec::dns::Name& apex() const noexcept { return nodes_[apex_].name; }  ///< the apex name
  std::span<const std::byte> apex_key() const noexcept { return key(nodes_[apex_]); }  ///< the apex as a lower-cased wire name
  const std::string& source() const noexcept { return source_; }  ///< where the zone came from (file name, or the caller's label)
  std::uint32_t serial() const noexcept { return serial_; }  ///< the SOA serial
  /// The apex SOA record and the negative-answer TTL (min of SOA TTL and MINIMUM, RFC 2308).
  const RRset& soa() const noexcept { return rrsets_[soa_]; }
  std::uint32_t negative_ttl() const noexcept { return negative_ttl_; }  ///< the negative-answer TTL

  /// The node whose lower-cased wire name is `key`, or nullptr.
  const Node* find(std::span<const std::byte> key) const noexcept;
  /// The RRset of `type` at `n` (not RRSIG), or nullptr.
  const RRset* rrset(const Node& n, std::uint16_t type) const noexcept;
  /// The RRsets at `n`.
  std::span<const RRset> rrsets(const Node& n) const noexcept {
    return {rrsets_.data() + n.rrset_first, n.rrset_count};
  }
  std::span<const codec::dns::Record> records(const RRset& s) const noexcept { return s.records(records_); }  ///< the records of `s`
  const RRset& rrset_at(std::int32_t i) const noexcept { return rrsets_[std::size_t(i)]; }  ///< the RRset at index i (RRset::sigs)
  std::span<const Node> nodes() const noexcept { return nodes_; }  ///< canonical order
  /// The last node at or before `name` in canonical order that has an RRset of `type`
  /// (the NSEC covering a name that does not exist, or matching one that does), or nullptr.
  const Node* at_or_before(const codec::dns::Name& name, std::uint16_t type) const noexcept;
  std::size_t record_count() const noexcept { return records_.size(); }  ///< records in the zone

  /// NSEC3 (RFC 5155), for zones signed with it: set when the apex has an NSEC3PARAM; the
  /// zone's NSEC3 records of those parameters are indexed by their owner's hash.
  bool has_nsec3() const noexcept { return nsec3_param_ >= 0; }
  /// The NSEC3 hash of the lower-cased wire name `key` with the zone's parameters (20 octets
  /// into `out`); false when the zone has no NSEC3PARAM.
  bool nsec3_hash(std::span<const std::byte> key, std::byte* out) const noexcept;
  /// The node whose NSEC3 owner hash equals `hash`, or nullptr.
  const Node* nsec3_match(const std::byte* hash) const noexcept;
  /// The node whose NSEC3 covers `hash` (RFC 5155 §3.1.7: the last owner hash before it, the
  /// chain wrapping around), or nullptr when the zone has no NSEC3 chain.
  const Node* nsec3_cover(const std::byte* hash) const noexcept;
  /// Every record, grouped by node (canonical order), then type; the SOA among them.
  std::span<const codec::dns::Record> all_records() const noexcept { return records_; }
  /// The lower-cased wire name of `n`.
  std::span<const std::byte> key(const Node& n) const noexcept {
    return {keys_.data() + n.key_at, n.key_size};
  }

 private:
  friend struct ZoneBuilder;
  std::string source_;
  codec::dns::ZoneRecords src_;              ///< owns the names and RDATA the records view
  std::vector<codec::dns::Record> records_;  ///< grouped by node, then type
  std::vector<RRset> rrsets_;
  std::vector<Node> nodes_;
  std::vector<std::byte> keys_;       ///< lower-cased wire names of the nodes
  std::vector<std::uint32_t> table_;  ///< open addressing: node index + 1, 0 = free
  struct Nsec3Entry {
    std::array<std::byte, 20> hash;
    std::uint32_t node;
  };
  std::vector<Nsec3Entry> nsec3_;  ///< sorted by hash
  std::int32_t nsec3_param_ = -1;  ///< the apex NSEC3PARAM's record index
  std::uint16_t nsec3_iterations_ = 0;
  std::span<const std::byte> nsec3_salt_;
  std::size_t apex_ = 0;
  std::size_t soa_ = 0;
  std::uint32_t serial_ = 0;
  std::uint32_t negative_ttl_ = 0;
};

/// A zone or why it could not be built: "file:line:col: what" from the parser, or
/// "file: owner TYPE: what" for a semantic error (no SOA at the apex, CNAME and other data,
/// data outside the zone).
struct ZoneLoad {
  std::shared_ptr<const Zone> zone;  ///< the zone, on success
  std::string error;  ///< why it could not be built, otherwise
  explicit operator bool() const noexcept { return zone != nullptr; }  ///< true when the zone was built
};

inline constexpr std::size_t default_max_zone_file_bytes = std::size_t{1} << 30;  ///< default bound of a zone file's size

/// Builds a zone from zone-file text; `origin` is the apex ("example.test." or without the
/// final dot), `source` names the text in errors and resolves $INCLUDE (when `allow_include`:
/// beneath its directory, symlinks included, each file at most max_file_bytes).
ZoneLoad build_zone(std::string_view origin, std::string_view text, std::string_view source,
                    bool allow_include = true, std::size_t max_file_bytes = default_max_zone_file_bytes);
/// Reads `path` (a regular file of at most max_file_bytes) and builds its zone; a read error
/// is "path: strerror".
ZoneLoad load_zone(std::string_view origin, const std::string& path,
                   std::size_t max_file_bytes = default_max_zone_file_bytes);

class Acl;
class ZoneHistory;

/// What a zone's transfers need beside its data (xfr.h): who may transfer it, and the
/// differences from earlier versions for IXFR. Published with the zone, so a transfer sees
/// one consistent version.
struct ZoneTransfer {
  std::shared_ptr<const Acl> allow_transfer;  ///< null or empty: nobody
  std::shared_ptr<const ZoneHistory> history; ///< null: no earlier version known
  std::vector<std::string> notify;            ///< "HOST:PORT" of secondaries to NOTIFY
};

/// The zones a server answers for; immutable once made.
class ZoneSet {
 public:
  /// `transfer` is empty or parallel to `zones`.
  explicit ZoneSet(std::vector<std::shared_ptr<const Zone>> zones, std::vector<ZoneTransfer> transfer = {});
  /// The zone with the longest apex that `key` (a lower-cased wire name) is in, or nullptr.
  const Zone* find(std::span<const std::byte> key) const noexcept;
  std::span<const std::shared_ptr<const Zone>> zones() const noexcept { return zones_; }  ///< the zones, in the order given
  /// The transfer settings of `z` (a zone of this set); empty ones when none were given.
  const ZoneTransfer& transfer(const Zone* z) const noexcept;

 private:
  std::vector<std::shared_ptr<const Zone>> zones_;
  std::vector<ZoneTransfer> transfer_;
};

}  // namespace zp::dns
