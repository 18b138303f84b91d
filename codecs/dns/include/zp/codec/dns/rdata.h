// Typed RDATA views (names, numbers and octet views into the record's buffer) and
// builders of uncompressed wire RDATA. A view function checks the type and validates the
// RDATA (validate_rdata), so it works on parsed and on zone records alike.
//   auto mx = zp::codec::dns::mx_view(rr);          // Result<MxView>
//   if (mx) use(mx->preference, mx->exchange);       // exchange: a Name (may be compressed)
//   std::byte buf[64]; RdataBuilder b(buf); b.u16(10); b.name(exchange); auto rdata = b.finish();
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
  std::span<const std::byte> wire{};
  bool contains(std::uint16_t type) const noexcept;
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
  std::span<const std::byte> wire{};
  template <class F>
  void for_each(F&& f) const {
    std::size_t p = 0;
    while (p < wire.size()) {
      const std::size_t n = static_cast<std::uint8_t>(wire[p]);
      f(std::string_view(reinterpret_cast<const char*>(wire.data()) + p + 1, n));
      p += 1 + n;
    }
  }
  std::size_t count() const noexcept;
};

struct AView { std::array<std::uint8_t, 4> address; };
struct AaaaView { std::array<std::uint8_t, 16> address; };
struct NameView { Name target; };  ///< NS, CNAME, PTR, DNAME
struct SoaView {
  Name mname, rname;
  std::uint32_t serial, refresh, retry, expire, minimum;
};
struct MxView { std::uint16_t preference; Name exchange; };
struct TxtView { CharacterStrings strings; };
struct SrvView { std::uint16_t priority, weight, port; Name target; };
struct NaptrView {
  std::uint16_t order, preference;
  std::string_view flags, services, regexp;
  Name replacement;
};
struct CaaView { std::uint8_t flags; std::string_view tag; std::span<const std::byte> value; };
struct DsView { std::uint16_t key_tag; std::uint8_t algorithm, digest_type; std::span<const std::byte> digest; };
struct DnskeyView { std::uint16_t flags; std::uint8_t protocol, algorithm; std::span<const std::byte> public_key; };
struct RrsigView {
  std::uint16_t type_covered;
  std::uint8_t algorithm, labels;
  std::uint32_t original_ttl, expiration, inception;
  std::uint16_t key_tag;
  Name signer;
  std::span<const std::byte> signature;
};
struct NsecView { Name next; TypeBitmap types; };
struct Nsec3View {
  std::uint8_t hash_algorithm, flags;
  std::uint16_t iterations;
  std::span<const std::byte> salt, next_hashed_owner;
  TypeBitmap types;
};

/// Each: the view, or bad_text when rr.type is not that type, or the validate_rdata error.
Result<AView> a_view(const Record& rr) noexcept;
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

/// Builds uncompressed wire RDATA into a caller buffer (sticky overflow, like WireWriter).
class RdataBuilder {
 public:
  explicit RdataBuilder(std::span<std::byte> out) noexcept : w_(out) {}
  RdataBuilder& u8(std::uint8_t v) noexcept { w_.put_u8(v); return *this; }
  RdataBuilder& u16(std::uint16_t v) noexcept { w_.put_u16be(v); return *this; }
  RdataBuilder& u32(std::uint32_t v) noexcept { w_.put_u32be(v); return *this; }
  RdataBuilder& bytes(std::span<const std::byte> b) noexcept { w_.put_bytes(b); return *this; }
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
