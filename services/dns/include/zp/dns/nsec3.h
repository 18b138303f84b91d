/// \file
/// NSEC3 (RFC 5155) helpers for serving pre-signed zones: the owner-name hash (SHA-1 through
/// wolfSSL, iterated with the zone's salt) and the base32hex decoding of hashed owner labels.
/// \code
///   std::byte h[zp::dns::kNsec3HashBytes];
///   if (zp::dns::nsec3_hash(lower_wire_name, salt, iterations, h)) index.find(h);
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace zp::dns {

inline constexpr std::size_t kNsec3HashBytes = 20;      ///< SHA-1, the only algorithm (1) defined
inline constexpr std::uint16_t kNsec3MaxIterations = 2500;  ///< RFC 5155 §10.3's largest limit

/// IH(salt, name, iterations) of RFC 5155 §5 into `out` (20 octets). `name` must be the
/// lower-cased wire form. False when iterations > kNsec3MaxIterations or SHA-1 fails.
bool nsec3_hash(std::span<const std::byte> name, std::span<const std::byte> salt, std::uint16_t iterations,
                std::byte* out) noexcept;

/// Decodes base32hex text (RFC 4648 §7, either case, no padding) of exactly 32 characters
/// into 20 octets. False for any other length or character.
bool nsec3_label_hash(std::span<const std::byte> label, std::byte* out) noexcept;

}  // namespace zp::dns
