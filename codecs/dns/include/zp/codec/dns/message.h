/// \file
/// DNS messages (RFC 1035 §4.1) parsed into views: a header, and one caller-owned array of
/// Records holding the question, answer, authority and additional sections in order. Names
/// and RDATA stay in the packet (zero-copy); the OPT pseudo-record (RFC 6891) is lifted out
/// of the additional section into Message::edns. Never allocates; never trusts the section
/// counts for sizing (it parses until the data or the caller's array runs out).
/// \code
///   zp::codec::dns::Record rrs[64];
///   zp::codec::dns::Message m;
///   auto r = zp::codec::dns::parse_message(pkt, m, rrs);   // r.error == Errc::ok on success
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "zp/codec/dns/errc.h"
#include "zp/codec/dns/name.h"
#include "zp/result.h"

namespace zp::codec::dns {

/// Type codes (RFC 1035 and successors) of the types the codec knows.
namespace rrtype {
/// Type codes, by mnemonic.
///@{
inline constexpr std::uint16_t a = 1, ns = 2, cname = 5, soa = 6, ptr = 12, hinfo = 13, mx = 15,
                               txt = 16, aaaa = 28, srv = 33, naptr = 35, dname = 39, opt = 41,
                               ds = 43, rrsig = 46, nsec = 47, dnskey = 48, nsec3 = 50,
                               nsec3param = 51, any = 255, caa = 257;
///@}
}  // namespace rrtype
namespace rrclass {
/// Class codes, by mnemonic.
///@{
inline constexpr std::uint16_t in = 1, ch = 3, hs = 4, none = 254, any = 255;
///@}
}  // namespace rrclass

/// The section of a message a record is in.
enum class Section : std::uint8_t { question, answer, authority, additional };

/// The fixed header (RFC 1035 §4.1.1) with flag accessors.
struct Header {
  std::uint16_t id = 0;  ///< message ID, copied into the reply
  std::uint16_t flags = 0;  ///< QR|Opcode(4)|AA|TC|RD|RA|Z|AD|CD|RCODE(4)
  /// Section counts, as on the wire (the parser never trusts them for sizing).
  ///@{
  std::uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
  ///@}

  /// The flag bits of Header::flags.
  ///@{
  static constexpr std::uint16_t qr_bit = 0x8000, aa_bit = 0x0400, tc_bit = 0x0200,
                                 rd_bit = 0x0100, ra_bit = 0x0080, ad_bit = 0x0020,
                                 cd_bit = 0x0010;
  ///@}
  bool qr() const noexcept { return flags & qr_bit; }  ///< QR: a response
  bool aa() const noexcept { return flags & aa_bit; }  ///< AA: authoritative answer
  bool tc() const noexcept { return flags & tc_bit; }  ///< TC: truncated
  bool rd() const noexcept { return flags & rd_bit; }  ///< RD: recursion desired
  bool ra() const noexcept { return flags & ra_bit; }  ///< RA: recursion available
  bool ad() const noexcept { return flags & ad_bit; }  ///< AD: authentic data
  bool cd() const noexcept { return flags & cd_bit; }  ///< CD: checking disabled
  std::uint8_t opcode() const noexcept { return (flags >> 11) & 0xF; }  ///< the 4-bit opcode (0 QUERY, 4 NOTIFY, ...)
  std::uint8_t rcode() const noexcept { return flags & 0xF; }  ///< low 4 bits; see full_rcode
  /// Sets or clears one flag bit.
  void set_flag(std::uint16_t bit, bool on) noexcept {
    flags = static_cast<std::uint16_t>(on ? (flags | bit) : (flags & ~bit));
  }
  /// Sets the 4-bit opcode.
  void set_opcode(std::uint8_t op) noexcept {
    flags = static_cast<std::uint16_t>((flags & ~0x7800) | ((op & 0xF) << 11));
  }
  /// Sets the low 4 bits of the RCODE (the upper bits travel in the OPT record).
  void set_rcode(std::uint8_t rc) noexcept {
    flags = static_cast<std::uint16_t>((flags & ~0xF) | (rc & 0xF));
  }
};

/// One record (or question: ttl 0, no RDATA) as views. Its RDATA lives at rdata_offset in
/// buffer() — the whole message for parsed records (names in it may be compressed), or the
/// RDATA alone for zone data. Valid as long as that buffer.
struct Record {
  Name owner{};  ///< owner name (a view into the buffer)
  std::uint16_t type = 0;  ///< type code (rrtype)
  std::uint16_t rclass = 0;  ///< class code (rrclass)
  std::uint32_t ttl = 0;  ///< TTL in seconds (0 for a question)
  Section section = Section::question;  ///< the section it came from
  const std::byte* base = nullptr;  ///< the buffer the RDATA (and compressed names) live in
  std::uint32_t base_size = 0;  ///< size of that buffer
  std::uint16_t rdata_offset = 0;  ///< where the RDATA starts in the buffer
  std::uint16_t rdata_size = 0;  ///< RDATA octets

  std::span<const std::byte> buffer() const noexcept { return {base, base_size}; }  ///< the buffer names in the RDATA may point into
  /// The RDATA octets (empty for a question).
  std::span<const std::byte> rdata() const noexcept {
    return base ? std::span<const std::byte>(base + rdata_offset, rdata_size) : std::span<const std::byte>();
  }
  /// A record over standalone RDATA (zone data, builders): no compression inside.
  static Record standalone(const Name& owner, std::uint16_t type, std::uint16_t rclass,
                           std::uint32_t ttl, std::span<const std::byte> rdata) noexcept {
    Record r;
    r.owner = owner;
    r.type = type;
    r.rclass = rclass;
    r.ttl = ttl;
    r.section = Section::answer;
    r.base = rdata.data();
    r.base_size = static_cast<std::uint32_t>(rdata.size());
    r.rdata_size = static_cast<std::uint16_t>(rdata.size());
    return r;
  }
};

/// EDNS(0) from an OPT record (RFC 6891 §6.1.2-6.1.3).
struct Edns {
  std::uint16_t udp_payload_size = 0;  ///< as sent (the OPT CLASS)
  std::uint8_t extended_rcode = 0;     ///< upper 8 bits of the 12-bit RCODE
  std::uint8_t version = 0;  ///< EDNS version (0; higher gets BADVERS)
  std::uint16_t flags = 0;             ///< DO is 0x8000; the rest are Z (must be ignored)
  std::span<const std::byte> options{};  ///< the OPT RDATA, validated option framing

  static constexpr std::uint16_t do_bit = 0x8000;  ///< the DO (DNSSEC OK) flag bit
  bool dnssec_ok() const noexcept { return flags & do_bit; }  ///< whether DO is set
  /// The requester's UDP payload size; values below 512 are treated as 512 (§6.2.3).
  std::size_t udp_size() const noexcept { return udp_payload_size < 512 ? 512 : udp_payload_size; }

  /// One EDNS option.
  struct Option {
    std::uint16_t code = 0;  ///< option code
    std::span<const std::byte> data{};  ///< option data
  };
  /// Iterates options in order (framing was validated by parse_edns).
  class OptionIterator {
   public:
    Option operator*() const noexcept;  ///< the option here
    OptionIterator& operator++() noexcept;  ///< the next option
    bool operator==(const OptionIterator& o) const noexcept { return pos_ == o.pos_; }  ///< same position
    bool operator!=(const OptionIterator& o) const noexcept { return pos_ != o.pos_; }  ///< not the same position

   private:
    friend struct Edns;
    std::span<const std::byte> data_{};
    std::size_t pos_ = 0;
  };
  OptionIterator begin() const noexcept;  ///< the first option
  OptionIterator end() const noexcept;  ///< past the last option
  /// The data of the first option with `code`, or nullopt. Unknown options are just skipped.
  std::optional<std::span<const std::byte>> find(std::uint16_t code) const noexcept;
};

/// Reads EDNS from an OPT record. Errors: bad_opt_owner (owner not root), bad_edns_option
/// (option framing overruns the RDATA).
Result<Edns> parse_edns(const Record& opt) noexcept;

/// The 12-bit RCODE of a response: header RCODE plus the OPT extended RCODE << 4.
inline std::uint16_t full_rcode(const Header& h, const Edns* edns) noexcept {
  return static_cast<std::uint16_t>(h.rcode() | (edns ? edns->extended_rcode << 4 : 0));
}
/// What a server answers a request's EDNS version with: BADVERS (16, with its own OPT of
/// version 0) when version > 0, else NOERROR (RFC 6891 §6.1.3).
inline Rcode edns_version_check(const Edns& e) noexcept {
  return e.version > 0 ? Rcode::badvers : Rcode::noerror;
}

/// A parsed message. The spans are slices of the caller's Record array; the OPT record (if
/// any) is not in `additional` but in `opt`/`edns`.
struct Message {
  Header header{};  ///< the fixed header
  std::span<const std::byte> wire{};  ///< the whole message
  /// The sections, in order (the OPT record is not in `additional`).
  ///@{
  std::span<const Record> question{}, answer{}, authority{}, additional{};
  ///@}
  std::optional<Record> opt{};  ///< the OPT record, if any
  std::optional<Edns> edns{};  ///< EDNS read from it, if any
  /// The 12-bit RCODE (header plus EDNS extended bits).
  std::uint16_t rcode() const noexcept { return full_rcode(header, edns ? &*edns : nullptr); }
};

/// Outcome of parse_message: error == ok and consumed == the octets of the message (the
/// whole input unless Limits::allow_trailing_data), or the first error found (consumed 0).
struct [[nodiscard]] ParseResult {
  Errc error = Errc::ok;  ///< Errc::ok, or what failed
  std::size_t consumed = 0;  ///< octets of the message
  std::size_t error_offset = 0;  ///< where the error was found (for logs)
  bool ok() const noexcept { return error == Errc::ok; }  ///< whether error is Errc::ok
};

/// Parses one complete message (a UDP datagram, or a TCP message without its 2-octet length).
/// Every name is validated (see parse_name); the RDATA of the known types is validated
/// structurally (Limits::validate_rdata); names inside RDATA may be compressed only where
/// RFC 3597 §4 lets receivers decompress (NS, CNAME, SOA, PTR, MX, SRV, NAPTR, DNAME).
/// At most one OPT, in the additional section, owned by the root. Errors: see Errc.
ParseResult parse_message(std::span<const std::byte> in, Message& out, std::span<Record> storage,
                          const Limits& limits = {}) noexcept;

/// Structural check of one record's RDATA for its type (lengths, names, bitmaps, CAA tag).
/// Unknown types are opaque and always pass. Names may be compressed only if the record's
/// buffer is a message (rdata_offset > 0 or the caller says so) and the type allows it.
Result<void> validate_rdata(const Record& rr, const Limits& limits = {}) noexcept;

}  // namespace zp::codec::dns
