/// \file
/// MessageWriter: builds a message into a caller buffer up to a size limit (512, the EDNS
/// UDP size, or 65535 for TCP), with name compression (RFC 1035 §4.1.4) through a bounded
/// table, pointers only to earlier names below 0x3FFF. Each add is all-or-nothing: what does
/// not fit is left out, truncated() turns true, and the server sets TC (RFC 2181 §9).
/// \code
///   zp::codec::dns::MessageWriter w(buf, edns ? edns->udp_size() : 512);
///   w.set_header(h); w.add_question(q.owner, q.type, q.rclass);
///   if (!w.add_rrset(Section::answer, rrs)) header_tc = true;   auto wire = w.finish();
/// \endcode
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>

#include "zp/codec/dns/message.h"
#include "zp/codec/wire.h"
#include "zp/result.h"

namespace zp::codec::dns {

/// The OPT record a writer adds (RFC 6891 §6.1.2). `options` is pre-encoded option framing
/// (code, length, data)*.
struct EdnsOut {
  std::uint16_t udp_payload_size = 1232;  ///< our UDP payload size (the OPT CLASS)
  std::uint16_t extended_rcode_bits = 0;  ///< full 12-bit RCODE; the writer keeps the upper 8
  std::uint8_t version = 0;  ///< EDNS version
  bool dnssec_ok = false;  ///< the DO bit
  /// The other 15 flag bits (Z). Servers leave them 0 (RFC 6891 §6.1.4: clear unknown flags);
  /// set them only to reproduce a parsed OPT exactly.
  std::uint16_t z_flags = 0;
  std::span<const std::byte> options{};  ///< raw option framing, copied as is
};

/// Builds a DNS message (see the file comment).
class MessageWriter {
 public:
  static constexpr std::size_t max_compression_entries = 128;  ///< names remembered for compression

  /// Writes into `out`, never past min(out.size(), max_size) octets.
  explicit MessageWriter(std::span<std::byte> out,
                         std::size_t max_size = std::numeric_limits<std::size_t>::max()) noexcept;

  /// Sets id and flags (counts are the writer's). The RCODE's upper bits go into the OPT.
  void set_header(const Header& h) noexcept;
  /// Each add returns true when the item was written, false when it did not fit (nothing
  /// written, truncated() true) or the writer already failed. Records are re-encoded from
  /// their buffer: names in RDATA are compressed only for RFC 1035 types (NS, CNAME, SOA,
  /// PTR, MX); SRV, NAPTR, DNAME, RRSIG and NSEC names are written whole (RFC 3597 §4).
  bool add_question(const Name& name, std::uint16_t type, std::uint16_t rclass) noexcept;
  bool add_record(Section s, const Record& rr) noexcept;  ///< adds one record to section `s` (all or nothing)
  /// The same with another owner (e.g. the question name, to preserve its case).
  bool add_record(Section s, const Name& owner, const Record& rr) noexcept;
  /// All of `rrs` or none of them.
  bool add_rrset(Section s, std::span<const Record> rrs) noexcept;
  bool add_opt(const EdnsOut& e) noexcept;  ///< adds the OPT record (once, in the additional section)
  /// Header, question and every section of a parsed message, and its OPT exactly as it came
  /// (flags and options): parse ∘ add_message ∘ finish re-creates the message.
  bool add_message(const Message& m) noexcept;
  /// Keeps `n` octets free for a later add_opt (which may use them): call it before the
  /// sections when the reply will carry an OPT (11 octets plus options).
  void reserve(std::size_t n) noexcept { reserved_ = n; }

  bool truncated() const noexcept { return truncated_; }  ///< whether an add did not fit
  std::size_t size() const noexcept { return pos_; }  ///< octets written so far
  /// Patches the counts and returns the message; buffer_too_small when not even the header
  /// fitted, bad_rdata_length/name errors when a record's RDATA was malformed (a caller bug:
  /// records should come from parse_message or the zone parser).
  Result<std::span<const std::byte>> finish() noexcept;

 private:
  struct Entry {
    std::uint16_t offset;
    std::uint8_t wire_size;
    std::uint8_t labels;
    std::uint32_t hash;
  };
  /// Writes `n` at the cursor of `w` (whose offset 0 is message offset pos_); compression
  /// when `compress`. False on overflow.
  bool put_name(WireWriter& w, const Name& n, bool compress) noexcept;
  bool put_record(WireWriter& w, Section s, const Name& owner, const Record& rr) noexcept;
  bool commit(WireWriter& w, std::size_t saved_entries) noexcept;

  std::span<std::byte> out_;
  std::size_t pos_ = 0;
  std::uint16_t counts_[4] = {};
  std::array<Entry, max_compression_entries> entries_{};
  std::size_t n_entries_ = 0;
  /// Open-addressing index over entries_ by hash: entry index + 1, 0 = free. A slot whose
  /// entry was rolled back (or reused) costs a probe only: lookups re-check the entry.
  std::array<std::uint8_t, 256> index_{};
  static_assert(max_compression_entries < 256, "index_ holds entry index + 1 in a byte");
  bool truncated_ = false;
  bool header_ok_ = false;
  Errc error_ = Errc::ok;
  bool opt_written_ = false;
  std::size_t reserved_ = 0;
  Header header_{};
};

}  // namespace zp::codec::dns
