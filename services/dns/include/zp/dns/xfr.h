/// \file
/// Outbound zone transfers as pure functions: the differences between two versions of a
/// zone (RFC 1995 IXFR history, computed on reload), a bounded history of them, and the
/// message stream of an AXFR (RFC 5936) or IXFR reply cut into messages of at most 64 KiB,
/// each compressed on its own. No I/O: services/dns/src/xfr_serve.cpp sends the messages.
/// \code
///   auto plan = zp::dns::plan_transfer(zones, query, peer.sa(), zp::dns::Transport::tcp);
///   if (!plan.stream) send(error_reply(...));
///   while (auto n = plan.stream->next(buf); n && *n) send(buf.first(*n));
/// \endcode
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "zp/codec/dns/message.h"
#include "zp/codec/dns/zone.h"
#include "zp/dns/answer.h"
#include "zp/dns/zone.h"
#include "zp/result.h"

namespace zp::dns {

/// The IXFR and AXFR query types.
///@{
inline constexpr std::uint16_t kTypeIxfr = 251, kTypeAxfr = 252;
///@}
inline constexpr std::uint8_t kOpcodeNotify = 4;  ///< the NOTIFY opcode

/// RFC 1982 serial number arithmetic: a < b.
constexpr bool serial_lt(std::uint32_t a, std::uint32_t b) noexcept {
  return a != b && std::uint32_t(b - a) < 0x80000000u;
}

/// The change from one version of a zone to the next: the records removed and added (the
/// SOA is not among them; it is old_soa()/new_soa()). Owns copies of its records.
class ZoneDiff {
 public:
  std::uint32_t from_serial() const noexcept { return from_; }  ///< the serial it starts from
  std::uint32_t to_serial() const noexcept { return to_; }  ///< the serial it ends at
  const codec::dns::Record& old_soa() const noexcept { return soa_[0]; }  ///< the SOA of the older version
  const codec::dns::Record& new_soa() const noexcept { return soa_[1]; }  ///< the SOA of the newer version
  std::span<const codec::dns::Record> removed() const noexcept { return removed_; }  ///< records of the older version only
  std::span<const codec::dns::Record> added() const noexcept { return added_; }  ///< records of the newer version only
  /// Octets held (record copies and views), for the history's byte bound.
  std::size_t bytes() const noexcept { return bytes_; }

 private:
  friend std::shared_ptr<const ZoneDiff> compute_diff(const Zone&, const Zone&);
  codec::dns::ZoneRecords store_;
  codec::dns::Record soa_[2]{};
  std::vector<codec::dns::Record> removed_, added_;
  std::uint32_t from_ = 0, to_ = 0;
  std::size_t bytes_ = 0;
};

/// What changed from `older` to `newer` (same apex): records compared by owner
/// (case-insensitive), type, TTL and RDATA octets; a TTL change is a removal and an addition.
/// nullptr only when memory runs out.
std::shared_ptr<const ZoneDiff> compute_diff(const Zone& older, const Zone& newer);

/// Bounds of a zone's IXFR history.
struct HistoryLimits {
  std::size_t max_versions = 16;          ///< diffs kept per zone
  std::size_t max_bytes = 16u << 20;      ///< octets of diffs kept per zone
};

/// Diffs of consecutive versions of one zone, oldest first; the last ends at the version
/// being served. Immutable; a reload makes a new one (sharing the diffs).
class ZoneHistory {
 public:
  /// `old` (may be null) plus `d`, dropping the oldest diffs beyond the limits. When `d`
  /// does not start where `old` ends, the history restarts with `d` alone. A diff larger
  /// than max_bytes alone (or max_versions 0) gives an empty history.
  static std::shared_ptr<const ZoneHistory> extend(const ZoneHistory* old, std::shared_ptr<const ZoneDiff> d,
                                                   const HistoryLimits& limits);
  std::span<const std::shared_ptr<const ZoneDiff>> diffs() const noexcept { return diffs_; }  ///< the diffs, oldest first
  /// The diffs from version `serial` to the newest, or an empty span when `serial` is not
  /// the start of one of them (too old, unknown, or already current).
  std::span<const std::shared_ptr<const ZoneDiff>> since(std::uint32_t serial) const noexcept;
  std::size_t bytes() const noexcept { return bytes_; }  ///< octets held by the diffs

 private:
  std::vector<std::shared_ptr<const ZoneDiff>> diffs_;
  std::size_t bytes_ = 0;
};

/// How a transfer query is answered.
enum class XfrKind : std::uint8_t {
  axfr,              ///< AXFR: SOA, every other record, SOA
  ixfr_incremental,  ///< IXFR: SOA, then per version (old SOA, removed, new SOA, added), SOA
  ixfr_full,         ///< IXFR for a serial not in the history: the AXFR form (RFC 1995 §4)
  soa_only,          ///< IXFR from a current client, or over UDP: the single SOA
};

/// The messages of one transfer reply. Holds the ZoneSet snapshot (and so the zone version
/// and its history) until it dies: a reload during the transfer changes nothing in it.
class XfrStream {
 public:
  XfrKind kind() const noexcept { return kind_; }  ///< how the transfer is answered
  /// Writes the next message into `out` (at most min(out.size(), max_message_bytes) octets)
  /// and returns its size; 0 once every record was sent. Errors: EMSGSIZE when one record
  /// fits in no message (RDATA near 64 KiB), EINVAL from the writer.
  Result<std::size_t> next(std::span<std::byte> out);
  bool done() const noexcept { return seg_ >= segments_.size(); }  ///< true once every message was written
  std::size_t messages() const noexcept { return messages_; }  ///< messages written so far
  std::size_t records_sent() const noexcept { return records_; }  ///< records written so far
  std::uint32_t serial() const noexcept { return zone_->serial(); }  ///< the serial being transferred
  const Zone& zone() const noexcept { return *zone_; }  ///< the zone being transferred

 private:
  friend struct XfrPlanner;
  std::shared_ptr<const ZoneSet> zones_;  ///< keeps zone_, history_ and the diffs alive
  const Zone* zone_ = nullptr;
  XfrKind kind_ = XfrKind::axfr;
  std::vector<std::span<const codec::dns::Record>> segments_;
  std::size_t seg_ = 0, idx_ = 0;
  std::size_t messages_ = 0, records_ = 0;
  std::size_t max_message_bytes_ = 65535;
  /// The query's header and question, copied (the query buffer does not outlive a read).
  std::uint16_t id_ = 0, flags_ = 0;
  std::uint16_t qtype_ = 0, qclass_ = 0;
  std::byte qname_[codec::dns::max_name_bytes]{};
  std::size_t qname_size_ = 0;
  bool edns_ = false;
  std::uint16_t edns_size_ = 1232;
};

/// How transfer replies are built.
struct XfrOptions {
  std::size_t max_message_bytes = 65535;  ///< each message of the reply (RFC 5936 §2.2: ≤ 65535)
  std::uint16_t udp_payload_size = 1232;  ///< our EDNS size, in the OPT of replies
  bool busy = false;  ///< every transfer slot of the shard is taken: SERVFAIL to allowed peers
};

/// The decision for one AXFR/IXFR query: either a stream to send, or a single error reply
/// already written (`reply_size` octets of the caller's buffer; 0 = send nothing).
struct XfrPlan {
  std::optional<XfrStream> stream;  ///< the transfer, when the query is answered with one
  std::size_t reply_size = 0;  ///< octets of the error reply written (0: send nothing)
  std::uint16_t rcode = 0;  ///< of the error reply
};

/// True when `query` is a query (QR clear, opcode QUERY) with one question of type AXFR
/// or IXFR; cheap (reads the question's type only after parsing the message header).
bool is_transfer_query(std::span<const std::byte> query) noexcept;

/// Decides how to answer the transfer query `query` from `peer` and, for an error, writes
/// the reply into `out` (>= 512 octets). Over UDP: AXFR → FORMERR (RFC 5936 §4.2: not
/// defined over UDP), IXFR → the single SOA (RFC 1995 §2: current, or "use TCP"). Parse
/// errors → FORMERR; a name outside our zones or not an apex → NOTAUTH; a peer outside the
/// zone's allow_transfer ACL → REFUSED; an allowed peer while options.busy → SERVFAIL (it
/// retries later); an IXFR without the client's SOA in the authority section → FORMERR.
XfrPlan plan_transfer(std::shared_ptr<const ZoneSet> zones, std::span<const std::byte> query, const sockaddr* peer,
                      Transport transport, std::span<std::byte> out, const XfrOptions& options = {});

}  // namespace zp::dns
