/// \file
/// Typed RDATA views (names, numbers and octet views into the record's buffer) and
/// builders of uncompressed wire RDATA. A view function checks the type and validates the
/// RDATA (validate_rdata), so it works on parsed and on zone records alike.
/// \code
///   auto mx = zp::codec::dns::mx_view(rr);          // Result<MxView>
///   if (mx) use(mx->preference, mx->exchange);       // exchange: a Name (may be compressed)
///   std::byte buf[64]; RdataBuilder b(buf); b.u16(10); b.name(exchange); auto rdata = b.finish();
/// \endcode
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "zp/codec/dns/message.h"
#include "zp/codec/wire.h"
#include "zp/result.h"

namespace zp::codec::dns {

/// NSEC/NSEC3 type bitmap (RFC 4034 §4.1.2), validated.
struct TypeBitmap {
  std::span<const std::byte> wire{};  ///< the bitmap's octets (window, length, bits)*
  bool contains(std::uint16_t type) const noexcept;  ///< whether `type` is in the bitmap
  /// Calls f(type) for each type in ascending order.
  template <class F>
  void for_each(F&& f) const {
    std::size_t p = 0;
    while (p + 2 <= wire.size()) {
      const unsigned window = static_cast<std::uint8_t>(wire[p]);
      const std::size_t n = static_cast<std::uint8_t>(wire[p + 1]);
      for (std::size_t i = 0; i < n && p + 2 + i < wire.size(); ++i)
        for (unsigned bit = 0; bit < 8; ++bit)
          if (static_cast<std::uint8_t>(wire[p + 2 + i]) & (0x80u >> bit))
            f(static_cast<std::uint16_t>(window * 256 + i * 8 + bit));
      p += 2 + n;
    }
  }
};

/// Character-strings of a TXT record (or any run of them), iterated without copying.
struct CharacterStrings {
  std::span<const std::byte> wire{};  ///< length-prefixed strings, back to back
  /// Calls f(std::string_view) for each string, in order.
  template <class F>
  void for_each(F&& f) const {
    std::size_t p = 0;
    while (p < wire.size()) {
      const std::size_t n = static_cast<std::uint8_t>(wire[p]);
      f(std::string_view(reinterpret_cast<const char*>(wire.data()) + p + 1, n));
      p += 1 + n;
    }
  }
  std::size_t count() const noexcept;  ///< how many strings
};

/// A record's address.
struct AView { std::array<std::uint8_t, 4> address; /**< network order */ };
/// An AAAA record's address.
struct AaaaView { std::array<std::uint8_t, 16> address; /**< network order */ };
struct NameView { Name target; /**< the name in the RDATA */ };  ///< NS, CNAME, PTR, DNAME
/// An SOA record (RFC 1035 §3.3.13).
struct SoaView {
  /// Primary server and responsible mailbox.
  ///@{
  Name mname, rname;
  ///@}
  /// Serial and the timers, in seconds.
  ///@{
  std::uint32_t serial, refresh, retry, expire, minimum;
  ///@}
};
/// An MX record.
struct MxView { std::uint16_t preference; /**< lower is preferred */ Name exchange; /**< the mail host */ };
/// A TXT record.
struct TxtView { CharacterStrings strings; /**< its strings */ };
/// An SRV record (RFC 2782).
struct SrvView { std::uint16_t priority /**< lower first */, weight /**< share within a priority */, port /**< the service port */; Name target; /**< the host */ };
/// A NAPTR record (RFC 3403).
struct NaptrView {
  /// Order and preference, lower first.
  ///@{
  std::uint16_t order, preference;
  ///@}
  /// Flags, services and the regular expression, as character-strings.
  ///@{
  std::string_view flags, services, regexp;
  ///@}
  Name replacement;  ///< the next name to look up
};
/// A CAA record (RFC 8659).
struct CaaView { std::uint8_t flags; /**< 128: critical */ std::string_view tag; /**< "issue", "iodef", ... */ std::span<const std::byte> value; /**< the property value */ };
/// A DS record (RFC 4034 §5).
struct DsView { std::uint16_t key_tag; /**< of the DNSKEY */ std::uint8_t algorithm /**< of the DNSKEY */, digest_type; /**< 1 SHA-1, 2 SHA-256, 4 SHA-384 */ std::span<const std::byte> digest; /**< the digest */ };
/// A DNSKEY record (RFC 4034 §2).
struct DnskeyView { std::uint16_t flags; /**< 256 ZSK, 257 KSK */ std::uint8_t protocol /**< always 3 */, algorithm; /**< 8 RSASHA256, 13 ECDSAP256, ... */ std::span<const std::byte> public_key; /**< the key */ };
/// An RRSIG record (RFC 4034 §3).
struct RrsigView {
  std::uint16_t type_covered;  ///< the type of the RRset it signs
  /// Algorithm, and labels of the owner (without a wildcard).
  ///@{
  std::uint8_t algorithm, labels;
  ///@}
  /// The TTL of the signed RRset, and the validity period (seconds since 1970).
  ///@{
  std::uint32_t original_ttl, expiration, inception;
  ///@}
  std::uint16_t key_tag;  ///< of the signing DNSKEY
  Name signer;  ///< the zone that signed
  std::span<const std::byte> signature;  ///< the signature
};
/// An NSEC record (RFC 4034 §4).
struct NsecView { Name next; /**< the next owner in the zone */ TypeBitmap types; /**< types at the owner */ };
/// An NSEC3 record (RFC 5155 §3).
struct Nsec3View {
  /// Hash algorithm (1 SHA-1) and flags (1 opt-out).
  ///@{
  std::uint8_t hash_algorithm, flags;
  ///@}
  std::uint16_t iterations;  ///< extra hash iterations
  /// Salt, and the next hashed owner (raw, not base32).
  ///@{
  std::span<const std::byte> salt, next_hashed_owner;
  ///@}
  TypeBitmap types;  ///< types at the original owner
};

/// Each: the view, or bad_text when rr.type is not that type, or the validate_rdata error.
Result<AView> a_view(const Record& rr) noexcept;
/// The same for the other types.
///@{
Result<AaaaView> aaaa_view(const Record& rr) noexcept;
Result<NameView> name_view(const Record& rr) noexcept;  ///< NS, CNAME, PTR, DNAME
Result<SoaView> soa_view(const Record& rr) noexcept;
Result<MxView> mx_view(const Record& rr) noexcept;
Result<TxtView> txt_view(const Record& rr) noexcept;
Result<SrvView> srv_view(const Record& rr) noexcept;
Result<NaptrView> naptr_view(const Record& rr) noexcept;
Result<CaaView> caa_view(const Record& rr) noexcept;
Result<DsView> ds_view(const Record& rr) noexcept;
Result<DnskeyView> dnskey_view(const Record& rr) noexcept;
Result<RrsigView> rrsig_view(const Record& rr) noexcept;
Result<NsecView> nsec_view(const Record& rr) noexcept;
Result<Nsec3View> nsec3_view(const Record& rr) noexcept;
///@}

/// Builds uncompressed wire RDATA into a caller buffer (sticky overflow, like WireWriter).
class RdataBuilder {
 public:
  /// A builder writing into `out`.
  explicit RdataBuilder(std::span<std::byte> out) noexcept : w_(out) {}
  RdataBuilder& u8(std::uint8_t v) noexcept { w_.put_u8(v); return *this; }  ///< appends one octet
  RdataBuilder& u16(std::uint16_t v) noexcept { w_.put_u16be(v); return *this; }  ///< appends 2 octets, big-endian
  RdataBuilder& u32(std::uint32_t v) noexcept { w_.put_u32be(v); return *this; }  ///< appends 4 octets, big-endian
  RdataBuilder& bytes(std::span<const std::byte> b) noexcept { w_.put_bytes(b); return *this; }  ///< appends octets as they are
  /// The name decompressed (never a pointer in built RDATA).
  RdataBuilder& name(const Name& n) noexcept;
  /// A <character-string>; longer than 255 octets sets bad_character_string.
  RdataBuilder& character_string(std::string_view s) noexcept;
  /// The RDATA built, or buffer_too_small / bad_character_string.
  Result<std::span<const std::byte>> finish() const noexcept;

 private:
  WireWriter w_;
  Errc error_ = Errc::ok;
};

}  // namespace zp::codec::dns
