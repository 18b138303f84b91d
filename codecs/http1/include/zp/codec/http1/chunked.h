/// \file
/// Chunked transfer coding (RFC 9112 §7.1): an incremental decoder whose state is a small
/// zero-initialised struct (like picohttpparser's phr_chunked_decoder), and the encoder's
/// framing helpers. The decoder accepts the body in arbitrary pieces: every split of the same
/// bytes gives the same data and outcome. Chunk extensions are checked and ignored; trailer
/// fields are checked with the header rules and dropped.
/// \code
///   ChunkedDecoder d{};                          // one per body
///   auto r = d.decode(in, limits);               // zero-copy: r.data is a view into `in`
///   deliver(r.data); in = in.subspan(r.consumed);  // loop until complete / need more input
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "zp/codec/http1/errc.h"

namespace zp::codec::http1 {

/// Outcome of ChunkedDecoder::decode.
///  need_more: the body is not finished; consumed bytes of `in` were used, of which `data`
///             (possibly empty) is chunk data to deliver. Call again with in[consumed..]
///             (and more input once consumed == in.size() or nothing was consumed).
///  complete:  the last chunk and trailer section ended; consumed bytes belong to the body,
///             the next message starts at in[consumed]. data is empty.
///  error:     `error` says why; the connection must be closed. consumed/data unspecified.
struct [[nodiscard]] ChunkResult {
  Status status = Status::need_more;  ///< complete, need_more or error
  std::size_t consumed = 0;  ///< input octets used
  std::span<const char> data{};  ///< body bytes found (a view into the input)
  Errc error = Errc::ok;  ///< Errc::ok, or what failed
};

/// Outcome of ChunkedDecoder::decode_in_place: `size` decoded bytes now sit at the front of
/// the buffer; consumed input bytes were used (the unread rest is still at buf[consumed..]).
struct [[nodiscard]] InPlaceResult {
  Status status = Status::need_more;  ///< complete, need_more or error
  std::size_t consumed = 0;  ///< input octets used
  std::size_t size = 0;  ///< body bytes now at the front of the buffer
  Errc error = Errc::ok;  ///< Errc::ok, or what failed
};

/// Decoder state: value-initialise (ChunkedDecoder d{};) for each body. 24 bytes.
struct ChunkedDecoder {
  std::uint64_t remaining = 0;   ///< data bytes left in the current chunk
  std::uint64_t body_bytes = 0;  ///< data bytes decoded so far
  std::uint32_t line_bytes = 0;  ///< bytes of the current chunk-size line or trailer section
  std::uint8_t state = 0;  ///< where the decoder is inside the framing (zero: before a chunk size)
  std::uint8_t error = 0;        ///< the Errc once failed (sticky)

  /// Consumes framing and at most one run of chunk data. Errors: bad_chunk_size (non-hex,
  /// a sign, junk around the size, "0x", a size over 64 bits whatever the limit),
  /// body_too_large (a chunk that takes the total over limits.max_body_bytes, found at the
  /// end of its size line), bad_chunk_extension, chunk_line_too_long, bad_chunk_terminator,
  /// bare_cr, bare_lf (chunk lines are always CRLF), nul, trailer field errors as in headers,
  /// trailers_too_large.
  ChunkResult decode(std::span<const char> in, const Limits& limits = {}) noexcept;

  /// Decodes all of `buf` it can, moving the data to its front (memmove; never grows).
  InPlaceResult decode_in_place(std::span<char> buf, const Limits& limits = {}) noexcept;

  /// True once the body ended (decode returned complete).
  bool done() const noexcept;
};

/// The largest chunk header write_chunk_header produces: 16 hex digits + CRLF.
inline constexpr std::size_t max_chunk_header_bytes = 18;

/// Writes "<hex size>\r\n" for a chunk of `size` bytes (size > 0; a zero size would end the
/// body) to the front of `out`; returns its length, or 0 when `out` is too small or size is 0.
std::size_t write_chunk_header(std::uint64_t size, std::span<char> out) noexcept;

/// The CRLF that follows every chunk's data.
inline constexpr std::string_view chunk_data_end = "\r\n";

/// The end of a body without trailers: last chunk and empty trailer section.
inline constexpr std::string_view last_chunk = "0\r\n\r\n";

}  // namespace zp::codec::http1
