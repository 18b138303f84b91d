/// \file
/// RFC 4648 §4 base64: encode into a caller buffer, strict decode (SASL, IMAP AUTHENTICATE,
/// MIME, WebSocket keys, HTTP Basic auth). Never allocates.
/// \code
///   char out[zp::codec::base64::encoded_size(3)];
///   auto n = zp::codec::base64::encode(std::as_bytes(std::span(data)), out);   // Result<size_t>
///   auto m = zp::codec::base64::decode(text, buf);   // bad chars, padding, trailing bits rejected
/// \endcode
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "zp/result.h"

namespace zp::codec::base64 {

/// Errors of encode/decode (category "zp.codec.base64").
enum class Errc : int {
  ok = 0,
  buffer_too_small = 1,  ///< the output buffer cannot hold the result
  bad_char = 2,          ///< a byte outside the alphabet (or whitespace when not skipped)
  bad_padding = 3,       ///< '=' anywhere but the end of the last quantum, or data after it
  bad_length = 4,        ///< number of (non-whitespace) characters not a multiple of 4
  non_canonical = 5,     ///< unused bits before the padding are not zero (RFC 4648 §3.5)
};
const std::error_category& category() noexcept;  ///< the category of Errc
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), category()}; }  ///< an error_code of `e` (lets Errc convert to std::error_code)

/// Characters encode() writes for n input bytes (with padding).
constexpr std::size_t encoded_size(std::size_t n) noexcept { return (n + 2) / 3 * 4; }
/// Upper bound of the bytes decode() writes for n input characters.
constexpr std::size_t decoded_size_max(std::size_t n) noexcept { return (n + 3) / 4 * 3; }

/// Writes the padded encoding of `in` to the front of `out` and returns its length
/// (encoded_size(in.size())), or buffer_too_small with nothing written.
Result<std::size_t> encode(std::span<const std::byte> in, std::span<char> out) noexcept;

/// How decode() treats its input.
struct DecodeOptions {
  /// Leniency, off by default: skip space, tab, CR and LF anywhere (MIME bodies wrap lines).
  bool skip_whitespace = false;
};

/// Decodes `in` into the front of `out` and returns the number of bytes written.
/// Padding is required; errors: bad_char, bad_padding, bad_length, non_canonical,
/// buffer_too_small (with skip_whitespace, the bytes before the failure may be written).
/// An empty input decodes to 0 bytes.
Result<std::size_t> decode(std::string_view in, std::span<std::byte> out,
                           DecodeOptions options = {}) noexcept;

}  // namespace zp::codec::base64

/// \cond internal
template <>
struct std::is_error_code_enum<zp::codec::base64::Errc> : std::true_type {};
/// \endcond
