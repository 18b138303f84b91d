/// \file
/// SMTP message transfer, streaming: the DATA decoder (RFC 5321 4.1.1.4, 4.5.2) removes
/// dot-stuffing and finds the end of the data ONLY at `CRLF.CRLF`; the encoder
/// dot-stuffs and terminates; the BDAT reader frames RFC 3030 chunks.
///
/// Smuggling (SEC Consult 2023): a bare LF or a bare CR is never a line end here. By
/// default it is an error; with DataLimits::normalise_bare it becomes CRLF in the output,
/// but the line it "ends" still does not start a line: `LF.LF`, `CR.CR`,
/// `LF.CRLF` and `CRLF.LF` never end the data.
/// \code
///   zp::codec::smtp::DataDecoder dec({.max_message_bytes = 10 << 20});
///   for (;;) {
///     auto r = dec.decode(in);            // in: the bytes received, any split
///     sink(r.data);                       // a view into `in`, or static "\r\n"
///     in = in.substr(r.consumed);
///     if (r.status != DataStatus::more) break;    // done: reply by r.error; error: close
///     if (in.empty()) in = read_more();
///   }
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "zp/codec/smtp/errc.h"

namespace zp::codec::smtp {

/// Limits of the DATA decoder.
struct DataLimits {
  std::size_t max_line_bytes = 1000;          ///< text line, CRLF included (RFC 5321 4.5.3.1.6)
  std::uint64_t max_message_bytes = 10u << 20;///< unstuffed message octets (SIZE, 552)
  /// Leniency, off by default: write a bare LF or bare CR as CRLF instead of failing.
  /// Even then it never ends a line for dot handling or for the end of the data.
  bool normalise_bare = false;
  /// Leniency, off by default: pass NUL bytes through instead of failing.
  bool allow_nul = false;
};

/// What a decode() call reached.
enum class DataStatus : std::uint8_t {
  more,   ///< the input is used up (or a piece ended); call again with the rest or more
  done,   ///< `<CRLF>.<CRLF>` seen; bytes after it (consumed onwards) are the next command
  error,  ///< bare LF/CR or NUL: the session should answer reply_for(error) and close
};

/// One step of the decoder.
struct [[nodiscard]] DataResult {
  DataStatus status = DataStatus::more;  ///< more, done or error
  std::size_t consumed = 0;              ///< input octets used by this step
  std::string_view data;                 ///< message octets: a view into the input or static "\r\n"/"\n"
  /// done: ok, or a limit passed on the way (message_too_large, line_too_long) — the data
  /// stopped flowing then, the end was still found, and the reply is reply_for(error).
  /// error: bare_lf, bare_cr or nul.
  Errc error = Errc::ok;
};

/// Streaming DATA decoder. Zero-initialised state; one per message. Never allocates,
/// never buffers: every input octet is either returned in `data`, dropped (a stuffed dot,
/// the terminator) or held in the state (at most ".\r" at a line start).
class DataDecoder {
 public:
  /// A decoder for one message with `limits`.
  explicit DataDecoder(const DataLimits& limits = {}) noexcept : limits_(limits) {}
  /// Decodes from the front of `in`: see DataResult. Call until status is not `more` or
  /// `in` is used up; an empty `in` returns {more, 0, {}}.
  DataResult decode(std::string_view in) noexcept;
  /// Message octets returned so far.
  std::uint64_t size() const noexcept { return size_; }
  /// True after `done`.
  bool finished() const noexcept { return state_ == State::done; }

 private:
  enum class State : std::uint8_t { bol, dot, dot_cr, text, cr, done, failed };
  DataResult emit(std::string_view in, std::size_t begin, std::size_t end, std::size_t consumed) noexcept;
  DataLimits limits_;
  State state_ = State::bol;
  std::size_t line_ = 0;      // octets of the current line so far
  std::uint64_t size_ = 0;
  Errc deferred_ = Errc::ok;  // a limit passed: keep framing, stop emitting
};

/// Streaming DATA encoder (client side): dot-stuffs lines that start with '.', turns bare
/// LF and bare CR into CRLF (never send them: smuggling at the next hop), and finish()
/// ends the data with CRLF.CRLF (adding the CRLF a last line lacks).
class DataEncoder {
 public:
  /// Octets encode() may write for `n` input octets in the worst case.
  static constexpr std::size_t max_encoded(std::size_t n) noexcept { return 2 * n + 1; }
  /// What encode() did.
  struct Step {
    std::size_t consumed = 0;  ///< input octets used
    std::size_t written = 0;   ///< output octets written
  };
  /// Encodes as much of `in` as fits into `out` (stops early rather than split an escape).
  Step encode(std::string_view in, std::span<char> out) noexcept;
  /// Writes the terminator (".\r\n", preceded by "\r\n" unless the data ended with a line
  /// end); returns the octets written (at most 5), or 0 when `out` is too small.
  std::size_t finish(std::span<char> out) noexcept;

 private:
  bool bol_ = true;  // the next octet starts a line
  bool cr_ = false;  // the last octet written was a CR of a CRLF still open
};

/// RFC 3030 BDAT: reads exactly the chunk's octets after a `BDAT n [LAST]` line, and
/// counts the message across chunks against a size limit (the octets of a chunk over the
/// limit are still consumed so the session stays in step, then 552).
class BdatReader {
 public:
  /// A reader for one message of at most `max_message_bytes` octets.
  explicit BdatReader(std::uint64_t max_message_bytes = 10u << 20) noexcept : max_(max_message_bytes) {}
  /// Starts a chunk of `size` octets (`last`: BDAT ... LAST).
  void start(std::uint64_t size, bool last) noexcept {
    left_ = size;
    last_ = last;
  }
  /// One step over the chunk.
  struct Step {
    std::size_t consumed = 0;  ///< input octets used
    std::string_view data;     ///< chunk octets (empty once over the size limit)
    bool chunk_done = false;   ///< all of the chunk's octets have been read
    bool message_done = false; ///< chunk_done of the LAST chunk
    Errc error = Errc::ok;     ///< message_too_large once the message passed the limit
  };
  /// Takes up to the rest of the chunk from the front of `in`.
  Step read(std::string_view in) noexcept;
  /// Octets of the message so far.
  std::uint64_t size() const noexcept { return total_; }

 private:
  std::uint64_t max_;
  std::uint64_t left_ = 0;
  std::uint64_t total_ = 0;
  bool last_ = false;
};

}  // namespace zp::codec::smtp
