/// \file
/// Multipart bodies (RFC 2046 5.1), streaming and zero-copy: MultipartParser finds the
/// boundaries of one level in a body that arrives in pieces and hands out views of the
/// parts' octets; parse_structure walks a whole message's nested multiparts, bounded in
/// depth and part count.
/// \code
///   zp::codec::mime::MultipartParser mp(*ct.param("boundary"));
///   for (;;) {
///     auto r = mp.next(buf);                  // buf: unconsumed octets + new ones
///     buf = buf.substr(r.consumed);
///     if (r.event == Event::part_data) sink(r.data);
///     else if (r.event == Event::need_more) { /* keep buf, append more, call again */ }
///     else if (r.event == Event::end) break;  // close delimiter; the rest is epilogue
///   }
/// \endcode
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "zp/codec/mime/errc.h"
#include "zp/codec/mime/header.h"
#include "zp/result.h"

namespace zp::codec::mime {

/// True when `b` is a valid boundary (RFC 2046 5.1.1: 1-70 bchars, not ending in space).
bool valid_boundary(std::string_view b) noexcept;

/// What MultipartParser::next() reached.
enum class Event : std::uint8_t {
  need_more,   ///< call again with the unconsumed octets plus more
  preamble,    ///< data: octets before the first delimiter (to be ignored)
  part_begin,  ///< a delimiter: a part starts (its header, then its body)
  part_data,   ///< data: octets of the current part
  part_end,    ///< the current part ended (a delimiter follows)
  end,         ///< the close delimiter was consumed; what follows is the epilogue
  error,       ///< bad boundary
};

/// One step of the parser.
struct [[nodiscard]] PartEvent {
  Event event = Event::need_more;  ///< what was reached
  std::size_t consumed = 0;        ///< input octets used by this step
  std::string_view data;           ///< preamble/part_data: a view into the input
  Errc error = Errc::ok;           ///< error: bad_boundary
};

/// One level of multipart framing. Zero-initialised apart from the boundary; never
/// allocates; holds back at most boundary + 76 octets (a possible delimiter) as unconsumed.
class MultipartParser {
 public:
  /// A parser for `boundary` (copied; at most 70 octets).
  explicit MultipartParser(std::string_view boundary) noexcept;
  /// The next event from the front of `in` (see PartEvent).
  PartEvent next(std::string_view in) noexcept;
  /// Octets of the delimiter pattern "\r\n--boundary".
  std::size_t delimiter_size() const noexcept { return size_; }

 private:
  enum class State : std::uint8_t { start, preamble, part, end, bad };  // preamble: also between parts
  std::array<char, 74> delim_{};  // "\r\n--" + boundary
  std::size_t size_ = 0;
  State state_ = State::start;
};

/// Limits of parse_structure.
struct StructureLimits {
  std::size_t max_depth = 8;    ///< nested multipart levels (the top-level message is 0)
  std::size_t max_parts = 256;  ///< entities in all, the message included
  HeaderLimits header{};        ///< each entity's header
};

/// One entity of a message: the message itself, a multipart, or a leaf part. Views into
/// the message.
struct Entity {
  std::string_view header;    ///< the header section with its empty line
  std::string_view body;      ///< the body (for a multipart: preamble to epilogue)
  std::string_view type;      ///< Content-Type type ("text" when absent, RFC 2045 5.2)
  std::string_view subtype;   ///< Content-Type subtype ("plain" when absent)
  Cte cte = Cte::seven_bit;   ///< Content-Transfer-Encoding
  std::uint8_t depth = 0;     ///< nesting level, 0 for the message
  std::int32_t parent = -1;   ///< index of the enclosing multipart, -1 for the message
};

/// Walks `message` (all of it in memory) and writes its entities in pre-order into
/// `out`; returns their number. Errors: any of parse_header's, bad_content_type,
/// bad_boundary (multipart without a valid boundary), too_deep, too_many_parts,
/// no_close_delimiter. A header without its empty line at the end of the input is taken
/// as a header with an empty body.
Result<std::size_t> parse_structure(std::string_view message, const StructureLimits& limits,
                                    std::span<Entity> out) noexcept;

}  // namespace zp::codec::mime
