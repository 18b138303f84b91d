/// \file
/// WireReader / WireWriter: the one bounds-checked cursor every binary codec (DNS, MQTT,
/// BER, WebSocket frames) reads and builds wire data with (Knot's wire_ctx_t, BoringSSL's
/// CBS/CBB). The error is sticky: after the first overrun every read returns zero or an
/// empty view and every write is dropped, so a parser checks ok() once at the end.
/// \code
///   zp::codec::WireReader r(packet);
///   uint16_t id = r.u16be(), flags = r.u16be();
///   if (!r.ok()) return r.error_code();        // one check for every read above
/// \endcode
/// Codec code does no pointer arithmetic outside these two classes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>
#include <type_traits>

#include "zp/result.h"

namespace zp::codec {

namespace wire {
/// Errors of WireReader and WireWriter (category "zp.codec.wire").
enum class Errc : int {
  ok = 0,
  overrun = 1,    ///< a read or skip past the end of the input
  bad_seek = 2,   ///< seek to an offset beyond the end of the input
  overflow = 3,   ///< a write or reserve past the end of the output buffer
  bad_patch = 4,  ///< patch of bytes that were not written (reserved) yet
};
const std::error_category& category() noexcept;  ///< the category of Errc
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), category()}; }  ///< an error_code of `e` (lets Errc convert to std::error_code)
}  // namespace wire

/// A read cursor over bytes the caller owns; views it returns live as long as that input.
/// Invariant: position() <= size(). Once ok() is false it stays false: every read returns
/// 0 or an empty span, skip/seek do nothing, remaining() is 0, position() stays where the
/// first failing call started.
class WireReader {
 public:
  using Errc = wire::Errc;  ///< its error type
  constexpr WireReader() noexcept = default;
  /// A reader over `in`, at offset 0.
  constexpr explicit WireReader(std::span<const std::byte> in) noexcept
      : data_(in.data()), size_(in.size()) {}

  /// The next 1/2/4/8 bytes as an unsigned big-endian integer, or 0 (and overrun) if
  /// fewer remain or the reader has already failed.
  constexpr std::uint8_t u8() noexcept {
    const std::byte* p = take(1);
    return p ? static_cast<std::uint8_t>(p[0]) : 0;
  }
  constexpr std::uint16_t u16be() noexcept { return static_cast<std::uint16_t>(be(2)); }  ///< next 2 octets, big-endian (0 and a sticky error past the end)
  constexpr std::uint32_t u32be() noexcept { return static_cast<std::uint32_t>(be(4)); }  ///< next 4 octets, big-endian (0 and a sticky error past the end)
  constexpr std::uint64_t u64be() noexcept { return be(8); }  ///< next 8 octets, big-endian (0 and a sticky error past the end)

  /// A view of the next n bytes (advancing past them), or an empty span (and overrun)
  /// if fewer than n remain. bytes(0) on a healthy reader is an empty span and not an error.
  constexpr std::span<const std::byte> bytes(std::size_t n) noexcept {
    const std::byte* p = take(n);
    return p ? std::span<const std::byte>(p, n) : std::span<const std::byte>();
  }
  /// Advances n bytes; overrun if fewer remain.
  constexpr void skip(std::size_t n) noexcept { (void)take(n); }

  /// The next byte without advancing, or 0 when none remains or the reader failed.
  /// Never sets an error: peeking is a question, not a read.
  constexpr std::uint8_t peek_u8() const noexcept {
    return (ok() && pos_ < size_) ? static_cast<std::uint8_t>(data_[pos_]) : 0;
  }
  /// The next n bytes without advancing, or an empty span when fewer remain or the reader
  /// failed. Never sets an error.
  constexpr std::span<const std::byte> peek(std::size_t n) const noexcept {
    return (ok() && size_ - pos_ >= n) ? std::span<const std::byte>(data_ + pos_, n)
                                       : std::span<const std::byte>();
  }

  /// Moves to absolute offset `pos` from the start of the input (DNS compression pointers).
  /// pos == size() is allowed (at end); pos > size() sets bad_seek.
  constexpr void seek(std::size_t pos) noexcept {
    if (!ok()) return;
    if (pos > size_) {
      err_ = Errc::bad_seek;
      return;
    }
    pos_ = pos;
  }

  /// Offset of the next read from the start of the input.
  constexpr std::size_t position() const noexcept { return pos_; }
  /// Bytes left to read; 0 once the reader has failed.
  constexpr std::size_t remaining() const noexcept { return ok() ? size_ - pos_ : 0; }
  constexpr std::size_t size() const noexcept { return size_; }  ///< size of the input
  /// True when every read so far was in bounds and nothing remains.
  constexpr bool at_end() const noexcept { return ok() && pos_ == size_; }
  /// The whole input (for callers that keep offsets, e.g. DNS name decompression).
  constexpr std::span<const std::byte> data() const noexcept { return {data_, size_}; }

  constexpr bool ok() const noexcept { return err_ == Errc::ok; }  ///< true while no read has failed
  constexpr Errc error() const noexcept { return err_; }  ///< the first error, or Errc::ok
  std::error_code error_code() const noexcept { return wire::make_error_code(err_); }  ///< the first error as a std::error_code
  /// {} when every read so far was in bounds, else the first error.
  Result<void> status() const noexcept {
    if (ok()) return {};
    return error_code();
  }

 private:
  /// Pointer to n bytes at the cursor (advancing), or nullptr and a sticky overrun.
  constexpr const std::byte* take(std::size_t n) noexcept {
    if (!ok()) return nullptr;
    if (size_ - pos_ < n) {
      err_ = Errc::overrun;
      return nullptr;
    }
    const std::byte* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  constexpr std::uint64_t be(std::size_t n) noexcept {
    const std::byte* p = take(n);
    if (!p) return 0;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
    return v;
  }

  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t pos_ = 0;
  Errc err_ = Errc::ok;
};

/// A write cursor over a buffer the caller owns; never allocates. A write that does not
/// fit writes nothing and sets overflow; after that every write, reserve and patch is a
/// no-op and ok() stays false. Length prefixes are written with reserve-and-patch:
///   auto at = w.reserve(2);  w.put_bytes(payload);  w.patch_u16be(at, w.position() - at - 2);
class WireWriter {
 public:
  using Errc = wire::Errc;  ///< its error type
  constexpr WireWriter() noexcept = default;
  /// A writer into `out`, at offset 0.
  constexpr explicit WireWriter(std::span<std::byte> out) noexcept
      : data_(out.data()), size_(out.size()) {}

  constexpr void put_u8(std::uint8_t v) noexcept { put_be(v, 1); }  ///< writes 1 octet (a sticky error when it does not fit)
  constexpr void put_u16be(std::uint16_t v) noexcept { put_be(v, 2); }  ///< writes 2 octets big-endian (a sticky error when they do not fit)
  constexpr void put_u32be(std::uint32_t v) noexcept { put_be(v, 4); }  ///< writes 4 octets big-endian (a sticky error when they do not fit)
  constexpr void put_u64be(std::uint64_t v) noexcept { put_be(v, 8); }  ///< writes 8 octets big-endian (a sticky error when they do not fit)
  /// Copies b; overflow (nothing written) if it does not fit.
  constexpr void put_bytes(std::span<const std::byte> b) noexcept {
    std::byte* p = take(b.size());
    if (!p) return;
    for (std::size_t i = 0; i < b.size(); ++i) p[i] = b[i];
  }

  /// Writes n zero bytes and returns their offset, to be filled by patch_* later. On
  /// overflow (or after a failure) returns position() and writes nothing.
  constexpr std::size_t reserve(std::size_t n) noexcept {
    std::size_t at = pos_;
    std::byte* p = take(n);
    if (p)
      for (std::size_t i = 0; i < n; ++i) p[i] = std::byte{0};
    return at;
  }
  /// Overwrite 1/2/4 already-written bytes at offset `at` (big-endian). bad_patch when
  /// [at, at+width) is not inside what was written; a no-op after a failure.
  constexpr void patch_u8(std::size_t at, std::uint8_t v) noexcept { patch_be(at, v, 1); }
  constexpr void patch_u16be(std::size_t at, std::uint16_t v) noexcept { patch_be(at, v, 2); }  ///< overwrites 2 octets at `at` (a length written after its data)
  constexpr void patch_u32be(std::size_t at, std::uint32_t v) noexcept { patch_be(at, v, 4); }  ///< overwrites 4 octets at `at`

  /// Bytes written so far (the offset of the next write).
  constexpr std::size_t position() const noexcept { return pos_; }
  /// Room left; 0 once the writer has failed.
  constexpr std::size_t remaining() const noexcept { return ok() ? size_ - pos_ : 0; }
  /// The bytes written so far (valid also after a failure: what fitted before it).
  constexpr std::span<const std::byte> written() const noexcept { return {data_, pos_}; }

  constexpr bool ok() const noexcept { return err_ == Errc::ok; }  ///< true while no write has failed
  constexpr Errc error() const noexcept { return err_; }  ///< the first error, or Errc::ok
  std::error_code error_code() const noexcept { return wire::make_error_code(err_); }  ///< the first error as a std::error_code
  /// {} when every write fitted, else the first error.
  Result<void> status() const noexcept {
    if (ok()) return {};
    return error_code();
  }

 private:
  constexpr std::byte* take(std::size_t n) noexcept {
    if (!ok()) return nullptr;
    if (size_ - pos_ < n) {
      err_ = Errc::overflow;
      return nullptr;
    }
    std::byte* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  static constexpr void store_be(std::byte* p, std::uint64_t v, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::byte>(v >> (8 * (n - 1 - i)));
  }
  constexpr void put_be(std::uint64_t v, std::size_t n) noexcept {
    std::byte* p = take(n);
    if (p) store_be(p, v, n);
  }
  constexpr void patch_be(std::size_t at, std::uint64_t v, std::size_t n) noexcept {
    if (!ok()) return;
    if (at > pos_ || pos_ - at < n) {
      err_ = Errc::bad_patch;
      return;
    }
    store_be(data_ + at, v, n);
  }

  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t pos_ = 0;
  Errc err_ = Errc::ok;
};

}  // namespace zp::codec

/// \cond internal
template <>
struct std::is_error_code_enum<zp::codec::wire::Errc> : std::true_type {};
/// \endcond
