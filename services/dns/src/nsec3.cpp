// NSEC3 owner hashes with wolfSSL's SHA-1 (a stack context: no allocation per hash) and the
// base32hex decoding of hashed owner labels.
#include "zp/dns/nsec3.h"

// clang-format off
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/sha.h>
// clang-format on

namespace zp::dns {

bool nsec3_hash(std::span<const std::byte> name, std::span<const std::byte> salt, std::uint16_t iterations,
                std::byte* out) noexcept {
  if (iterations > kNsec3MaxIterations) return false;
  wc_Sha sha;
  if (wc_InitSha(&sha) != 0) return false;
  auto bytes = [](std::span<const std::byte> s) { return reinterpret_cast<const byte*>(s.data()); };
  auto* digest = reinterpret_cast<byte*>(out);
  bool ok = wc_ShaUpdate(&sha, bytes(name), word32(name.size())) == 0 &&
            wc_ShaUpdate(&sha, bytes(salt), word32(salt.size())) == 0 && wc_ShaFinal(&sha, digest) == 0;
  for (std::uint16_t i = 0; ok && i < iterations; ++i) {
    ok = wc_ShaUpdate(&sha, digest, kNsec3HashBytes) == 0 && wc_ShaUpdate(&sha, bytes(salt), word32(salt.size())) == 0 &&
         wc_ShaFinal(&sha, digest) == 0;
  }
  wc_ShaFree(&sha);
  return ok;
}

bool nsec3_label_hash(std::span<const std::byte> label, std::byte* out) noexcept {
  if (label.size() != 32) return false;
  std::uint64_t acc = 0;
  int bits = 0;
  std::size_t o = 0;
  for (std::byte b : label) {
    auto c = static_cast<unsigned char>(b);
    unsigned v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'v') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'V') v = c - 'A' + 10;
    else return false;
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = static_cast<std::byte>((acc >> bits) & 0xFF);
    }
  }
  return o == kNsec3HashBytes;
}

}  // namespace zp::dns
