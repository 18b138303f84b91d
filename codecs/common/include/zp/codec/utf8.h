/// \file
/// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
/// The one check the codecs share (MQTT strings, URL paths, SMTPUTF8 addresses, MIME words).
#pragma once

#include <cstddef>
#include <string_view>

namespace zp::codec {

/// The length (2..4) of the well-formed sequence starting with the non-ASCII byte s[i]; 0
/// when it is not one (a continuation byte, overlong, a surrogate, truncated, > U+10FFFF).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept;

/// True when all of s is well-formed UTF-8 (U+0000 included: callers that refuse it check).
bool valid_utf8(std::string_view s) noexcept;

}  // namespace zp::codec
