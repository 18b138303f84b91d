// Internal: the RDATA layout of every known type as a list of field kinds (Knot's rdata
// descriptors). One table drives validation, re-encoding with or without compression,
// presentation printing and zone-text parsing, so the four cannot disagree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace zp::codec::dns::detail {

enum class Field : std::uint8_t {
  end,
  u8, u16, u32,
  ttl,        // u32, text accepts units (SOA timers)
  time,       // u32, text YYYYMMDDHHmmSS (RRSIG)
  type,       // u16 type mnemonic (RRSIG type covered)
  ipv4, ipv6,
  name_c,     // name: compressed on write, decompressed on read (RFC 1035 types)
  name_d,     // name: never compressed on write, pointers accepted on read (SRV, NAPTR, DNAME)
  name_n,     // name: pointers never allowed (RRSIG signer, NSEC next; RFC 4034 §3.1.7, §4.1.1)
  cstr,       // one <character-string>
  cstrs,      // one or more character-strings to the end (TXT)
  b64_rest,   // octets to the end, base64 in text (DNSKEY key, RRSIG signature)
  hex_rest,   // octets to the end, hex in text (DS digest)
  hex_len8,   // u8 length + octets, hex in text, "-" when empty (NSEC3 salt)
  b32_len8,   // u8 length + octets (>= 1), base32hex in text (NSEC3 next hashed owner)
  bitmap,     // type bitmap to the end (NSEC, NSEC3)
  caa_tag,    // u8 length + alphanumeric tag (>= 1)
  caa_value,  // octets to the end, a quoted string in text
};

struct TypeInfo {
  std::uint16_t code;
  const char* mnemonic;
  Field fields[10];
};

// The descriptor of a known type, or nullptr (unknown: opaque per RFC 3597).
const TypeInfo* type_info(std::uint16_t type) noexcept;
// All known types (including OPT, which has no fields and is handled apart), for mnemonic lookup.
std::span<const TypeInfo> all_types() noexcept;

}  // namespace zp::codec::dns::detail
