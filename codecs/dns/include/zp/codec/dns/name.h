/// \file
/// Domain names as views: a Name points at a name in wire form inside some buffer (a packet,
/// an RDATA, a standalone wire name) and follows its compression pointers on demand. Parsing
/// validates a name once (RFC 1035 §4.1.4 plus the c-ares/NAME:WRECK lessons: only strictly
/// backward pointers, bounded hops, labels <= 63, names <= 255); afterwards iteration,
/// comparison and decompression cannot fail.
/// \code
///   std::size_t pos = 12;
///   auto n = zp::codec::dns::parse_name(packet, pos);     // pos moves past the in-place part
///   std::byte buf[255]; auto len = n->to_wire(buf);         // decompressed copy
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "zp/codec/dns/errc.h"
#include "zp/result.h"

namespace zp::codec::dns {

inline constexpr std::size_t max_name_bytes = 255;   ///< uncompressed wire form, root included
inline constexpr std::size_t max_label_bytes = 63;  ///< longest label, in octets
inline constexpr std::size_t max_labels = 127;  ///< most labels in a name

/// Whether a name may contain compression pointers where it is read.
enum class Compression : std::uint8_t {
  forbidden,  ///< a pointer is compression_not_allowed (RRSIG signer, NSEC next, zone data)
  allowed,    ///< pointers strictly backwards, never into the header of a message
};

/// A validated name inside a buffer the caller owns; lives as long as that buffer. The
/// default Name is empty() (no name at all), which is not the root name.
class Name {
 public:
  constexpr Name() noexcept = default;

  /// A standalone, uncompressed wire name filling all of `wire` (e.g. a zone record's
  /// owner). Errors: name_overrun, label_too_long, name_too_long, compression_not_allowed,
  /// trailing_data (octets after the root label).
  static Result<Name> from_wire(std::span<const std::byte> wire) noexcept;
  /// The root name ("."), a view of a static octet.
  static Name root() noexcept;

  bool empty() const noexcept { return base_ == nullptr; }  ///< true for a default Name (no name at all)
  bool is_root() const noexcept { return wire_size_ == 1; }  ///< true for the root name "."
  /// Octets of the uncompressed wire form, root label included (1..255; 0 when empty()).
  std::size_t wire_size() const noexcept { return wire_size_; }
  /// Labels, the root not counted ("www.example." has 2).
  std::size_t label_count() const noexcept { return labels_; }
  /// Where the name starts in its buffer, and the buffer (for pointer following).
  std::size_t offset() const noexcept { return offset_; }
  std::span<const std::byte> buffer() const noexcept { return {base_, size_}; }  ///< the buffer the name lives in (pointers are followed inside it)
  /// True when the name's first octets are its complete uncompressed form (no pointer).
  bool is_contiguous() const noexcept { return contiguous_; }

  /// Writes the uncompressed wire form to the front of `out`; returns wire_size(), or
  /// buffer_too_small (nothing useful written).
  Result<std::size_t> to_wire(std::span<std::byte> out) const noexcept;

  /// Labels left to right, each without its length octet; pointers followed.
  class LabelIterator {
   public:
    std::span<const std::byte> operator*() const noexcept;  ///< the current label
    LabelIterator& operator++() noexcept;  ///< the next label
    bool operator==(const LabelIterator& o) const noexcept { return left_ == o.left_; }  ///< same position
    bool operator!=(const LabelIterator& o) const noexcept { return left_ != o.left_; }  ///< not the same position

   private:
    friend class Name;
    void settle() noexcept;  ///< follow pointers at pos_
    const std::byte* base_ = nullptr;
    std::size_t pos_ = 0;
    std::size_t left_ = 0;  ///< labels still to visit
  };
  LabelIterator begin() const noexcept;  ///< the first (leftmost) label
  LabelIterator end() const noexcept;  ///< past the root label

  /// The name without its first `n` labels (n <= label_count()), e.g. parent() == suffix(1).
  Name suffix(std::size_t n) const noexcept;

  /// ASCII case-insensitive equality (RFC 4343); octets >= 0x80 compare exactly.
  bool equals(const Name& o) const noexcept;
  /// True when *this is `parent` or below it (case-insensitive).
  bool is_subdomain_of(const Name& parent) const noexcept;

  /// Internal: made by the parsers after validation.
  constexpr Name(const std::byte* base, std::size_t size, std::size_t offset, std::size_t wire_size,
                 std::size_t labels, bool contiguous) noexcept
      : base_(base), size_(static_cast<std::uint32_t>(size)), offset_(static_cast<std::uint16_t>(offset)),
        wire_size_(static_cast<std::uint8_t>(wire_size)), labels_(static_cast<std::uint8_t>(labels)),
        contiguous_(contiguous) {}

 private:
  const std::byte* base_ = nullptr;
  std::uint32_t size_ = 0;
  std::uint16_t offset_ = 0;  ///< buffers (messages, RDATA) are at most 65535 octets
  std::uint8_t wire_size_ = 0;
  std::uint8_t labels_ = 0;
  bool contiguous_ = false;
};

/// Parses the name at `pos` in `buf` (a message when compression is allowed: offsets are
/// message offsets). On success `pos` moves past the name's in-place octets (up to and
/// including its first pointer). On error `pos` is unchanged. Errors: name_overrun,
/// label_too_long, name_too_long, forward_pointer, pointer_loop, too_many_pointers,
/// pointer_into_header (when `header_bytes` > 0), compression_not_allowed.
Result<Name> parse_name(std::span<const std::byte> buf, std::size_t& pos,
                        Compression compression = Compression::allowed,
                        std::size_t max_pointer_hops = 16, std::size_t header_bytes = 12) noexcept;

/// RFC 4034 §6.1 canonical order: <0, 0, >0. Labels compared right to left as lower-cased
/// octet strings, a name sorting before its subdomains.
int canonical_compare(const Name& a, const Name& b) noexcept;

/// Presentation format (RFC 1035 §5.1, RFC 4343): "www.example." with '\\' escapes for
/// '.', '\\', '"', '(', ')', ';', '@', '$' and \\DDD for octets outside 0x21..0x7E. The root
/// is ".". Appends to `out`.
void name_to_text(const Name& n, std::string& out);

/// Parses a presentation-format name into uncompressed wire form at the front of `out`
/// (>= 255 octets is always enough) and returns its length. A name without a trailing dot
/// is relative: `origin` (a wire name) is appended, and an empty origin is bad_name_text.
/// "@" is the origin. Errors: bad_name_text (empty label, bad escape, label > 63, name >
/// 255), buffer_too_small.
Result<std::size_t> name_from_text(std::string_view text, std::span<const std::byte> origin,
                                   std::span<std::byte> out) noexcept;

}  // namespace zp::codec::dns
