// RFC 4648 base64: see zp/codec/base64.h.
#include "zp/codec/base64.h"

#include <array>
#include <cstdint>

namespace zp::codec::base64 {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint8_t kBad = 0xFF;  // not in the alphabet
constexpr std::uint8_t kPad = 0xFE;  // '='
constexpr std::uint8_t kSpace = 0xFD;  // space, tab, CR, LF

constexpr std::array<std::uint8_t, 256> make_table() {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) v = kBad;
  for (std::uint8_t i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = i;
  t['='] = kPad;
  t[' '] = t['\t'] = t['\r'] = t['\n'] = kSpace;
  return t;
}
constexpr std::array<std::uint8_t, 256> kDecode = make_table();

inline Failure failure(Errc e) { return Failure{make_error_code(e)}; }

inline std::uint8_t value_of(char c) { return kDecode[static_cast<unsigned char>(c)]; }

// Error for a quantum's character that is not a sextet: '=' is misplaced padding,
// anything else (whitespace included: the caller already dropped skippable whitespace)
// is a bad character.
inline Errc classify(std::uint8_t v) { return v == kPad ? Errc::bad_padding : Errc::bad_char; }

// Decodes the final quantum q[0..3] (possibly padded) to `out`, which has `room` bytes.
// Returns the bytes written, or the error of the first offending character, or
// buffer_too_small.
struct Tail {
  Errc err;
  std::size_t n;
};
Tail decode_last(const char q[4], std::byte* out, std::size_t room) {
  const std::uint8_t a = value_of(q[0]), b = value_of(q[1]), c = value_of(q[2]),
                     d = value_of(q[3]);
  if (a >= 64) return {classify(a), 0};
  if (b >= 64) return {classify(b), 0};
  std::size_t n;
  if (c == kPad) {
    if (d != kPad) return {d >= 64 ? Errc::bad_char : Errc::bad_padding, 0};  // "xx=y"
    if (b & 0x0F) return {Errc::non_canonical, 0};
    n = 1;
  } else if (c >= 64) {
    return {Errc::bad_char, 0};
  } else if (d == kPad) {
    if (c & 0x03) return {Errc::non_canonical, 0};
    n = 2;
  } else if (d >= 64) {
    return {Errc::bad_char, 0};
  } else {
    n = 3;
  }
  if (room < n) return {Errc::buffer_too_small, 0};
  const std::uint32_t cv = n > 1 ? c : 0, dv = n > 2 ? d : 0;  // '=' carries no bits
  const std::uint32_t v = (std::uint32_t{a} << 18) | (std::uint32_t{b} << 12) | (cv << 6) | dv;
  out[0] = static_cast<std::byte>(v >> 16);
  if (n > 1) out[1] = static_cast<std::byte>(v >> 8);
  if (n > 2) out[2] = static_cast<std::byte>(v);
  return {Errc::ok, n};
}

// Decodes one full (non-final) quantum into out[0..2]; false if any character is not a sextet.
inline bool decode_full(const char* q, std::byte* out) {
  const std::uint8_t a = value_of(q[0]), b = value_of(q[1]), c = value_of(q[2]),
                     d = value_of(q[3]);
  if ((a | b | c | d) & 0xC0) return false;
  const std::uint32_t v = (std::uint32_t{a} << 18) | (std::uint32_t{b} << 12) |
                          (std::uint32_t{c} << 6) | d;
  out[0] = static_cast<std::byte>(v >> 16);
  out[1] = static_cast<std::byte>(v >> 8);
  out[2] = static_cast<std::byte>(v);
  return true;
}

// The first offending character's error in q[0..3] (called after decode_full failed).
Errc first_error(const char* q) {
  for (int i = 0; i < 4; ++i) {
    const std::uint8_t v = value_of(q[i]);
    if (v >= 64) return classify(v);
  }
  return Errc::bad_char;  // unreachable
}

Result<std::size_t> decode_packed(std::string_view in, std::span<std::byte> out) {
  const std::size_t len = in.size();
  if (len == 0) return std::size_t{0};
  // A character outside the alphabet anywhere is reported before a length problem, so
  // garbage is called what it is; "Zg=" is a truncated quantum (bad_length).
  if (len % 4 != 0) {
    for (char c : in)
      if (const std::uint8_t v = value_of(c); v >= 64 && v != kPad) return failure(Errc::bad_char);
    return failure(Errc::bad_length);
  }
  const std::size_t full = len / 4 - 1;  // quanta before the last
  if (out.size() < full * 3) return failure(Errc::buffer_too_small);
  const char* p = in.data();
  std::byte* o = out.data();
  for (std::size_t i = 0; i < full; ++i) {
    if (!decode_full(p + 4 * i, o + 3 * i)) return failure(first_error(p + 4 * i));
  }
  const Tail t = decode_last(p + 4 * full, o + 3 * full, out.size() - 3 * full);
  if (t.err != Errc::ok) return failure(t.err);
  return full * 3 + t.n;
}

Result<std::size_t> decode_spaced(std::string_view in, std::span<std::byte> out) {
  char q[4];
  int k = 0;                // characters gathered in q
  std::size_t written = 0;  // bytes written to out
  bool done = false;        // the padded final quantum was seen: only whitespace may follow
  std::size_t i = 0;
  const std::size_t len = in.size();
  for (; i < len; ++i) {
    const char ch = in[i];
    const std::uint8_t v = value_of(ch);
    if (v == kSpace) continue;
    if (done) return failure(v == kBad ? Errc::bad_char : Errc::bad_padding);
    if (v == kBad) return failure(Errc::bad_char);
    q[k++] = ch;
    if (k < 4) continue;
    k = 0;
    if (value_of(q[2]) == kPad || value_of(q[3]) == kPad) {
      const Tail t = decode_last(q, out.data() + written, out.size() - written);
      if (t.err != Errc::ok) return failure(t.err);
      written += t.n;
      done = true;
      continue;
    }
    if (out.size() - written < 3) {
      // No room for a full quantum: decode_last reports a bad character first, else
      // buffer_too_small (never ok: an unpadded quantum needs 3 bytes).
      return failure(decode_last(q, out.data() + written, out.size() - written).err);
    }
    if (!decode_full(q, out.data() + written)) return failure(first_error(q));
    written += 3;
  }
  if (k != 0) return failure(Errc::bad_length);
  return written;
}

}  // namespace

Result<std::size_t> encode(std::span<const std::byte> in, std::span<char> out) noexcept {
  const std::size_t n = in.size();
  if (n > (SIZE_MAX / 4) * 3 - 2 || out.size() < encoded_size(n))
    return failure(Errc::buffer_too_small);
  const std::byte* p = in.data();
  char* o = out.data();
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const std::uint32_t v = (std::uint32_t(p[i]) << 16) | (std::uint32_t(p[i + 1]) << 8) |
                            std::uint32_t(p[i + 2]);
    *o++ = kAlphabet[(v >> 18) & 63];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
    *o++ = kAlphabet[v & 63];
  }
  if (const std::size_t rest = n - i; rest != 0) {
    std::uint32_t v = std::uint32_t(p[i]) << 16;
    if (rest == 2) v |= std::uint32_t(p[i + 1]) << 8;
    *o++ = kAlphabet[(v >> 18) & 63];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    *o++ = '=';
  }
  return static_cast<std::size_t>(o - out.data());
}

Result<std::size_t> decode(std::string_view in, std::span<std::byte> out,
                           DecodeOptions options) noexcept {
  return options.skip_whitespace ? decode_spaced(in, out) : decode_packed(in, out);
}

}  // namespace zp::codec::base64
