// SHA-256 (FIPS 180-4) for Basic auth password digests: one call over a byte string.
//   auto d = zp::http::sha256("password");   // std::array<uint8_t, 32>
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace zp::http {

using Sha256Digest = std::array<uint8_t, 32>;

// The digest of `data`.
Sha256Digest sha256(std::string_view data) noexcept;

// Whether a and b are equal, in time that does not depend on where they differ.
bool digest_equal(const Sha256Digest& a, const Sha256Digest& b) noexcept;

}  // namespace zp::http
