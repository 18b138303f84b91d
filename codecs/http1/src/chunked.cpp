// Chunked transfer decoding (RFC 9112 §7.1) as a byte-level state machine over the framing,
// with chunk data reported (or moved) as whole runs. Strict: chunk lines end in CRLF, the
// size is bare HEXDIG (no "0x", sign, "_" or whitespace before it), whitespace after it only
// as BWS before a ";" extension, and extensions follow the chunk-ext grammar.
#include <cstring>
#include <limits>

#include "chars.h"
#include "zp/codec/http1/chunked.h"

namespace zp::codec::http1 {
namespace {

using detail::hex_value;
using detail::is;
using detail::kHex;
using detail::kOws;
using detail::kToken;
using detail::kValue;

enum State : std::uint8_t {
  size_start = 0,  // must be zero: a value-initialised decoder starts here
  size_digits,
  size_ws,         // BWS after the size: only more BWS or ";" may follow
  ext_pre_name,    // after ";": BWS then chunk-ext-name
  ext_name,
  ext_post_name,   // BWS after the name: "=", ";" or CRLF
  ext_pre_value,   // after "=": BWS then token or quoted-string
  ext_token_value,
  ext_quoted,
  ext_quoted_escape,
  ext_post_value,  // BWS after a value: ";" or CRLF
  size_lf,
  data,
  data_cr,
  data_lf,
  trailer_line_start,
  trailer_name,
  trailer_value,
  trailer_lf,
  final_lf,
  finished,
  failed,
};

bool is_qdtext(char c) noexcept {
  // HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
  const auto u = static_cast<unsigned char>(c);
  return c == '\t' || c == ' ' || c == 0x21 || (u >= 0x23 && u <= 0x5b) || (u >= 0x5d && u <= 0x7e) || u >= 0x80;
}

}  // namespace

bool ChunkedDecoder::done() const noexcept { return state == finished; }

ChunkResult ChunkedDecoder::decode(std::span<const char> in, const Limits& limits) noexcept {
  if (state == failed) return {Status::error, 0, {}, static_cast<Errc>(error)};
  if (state == finished) return {Status::complete, 0, {}, Errc::ok};
  const char* const begin = in.data();
  const char* const end = begin + in.size();
  const char* p = begin;
  const auto fail = [&](Errc e) noexcept {
    state = failed;
    error = static_cast<std::uint8_t>(e);
    return ChunkResult{Status::error, 0, {}, e};
  };
  // A CRLF-terminated framing line: LF alone or NUL inside is never accepted.
  const auto line_ctl = [&](char c, Errc otherwise) noexcept {
    return c == '\n' ? Errc::bare_lf : c == '\0' ? Errc::nul : otherwise;
  };

  while (p < end) {
    if (state == data) {
      const std::size_t avail = static_cast<std::size_t>(end - p);
      const std::size_t n = remaining < avail ? static_cast<std::size_t>(remaining) : avail;
      remaining -= n;
      if (remaining == 0) state = data_cr;
      const char* run = p;
      p += n;
      return {Status::need_more, static_cast<std::size_t>(p - begin), {run, n}, Errc::ok};
    }
    const char c = *p++;
    if (state <= size_lf) {
      if (++line_bytes > limits.max_chunk_line_bytes) return fail(Errc::chunk_line_too_long);
    } else if (state >= trailer_line_start) {
      if (++line_bytes > limits.max_trailer_bytes) return fail(Errc::trailers_too_large);
    }
    switch (state) {
      case size_start:
        if (!is(c, kHex)) return fail(line_ctl(c, Errc::bad_chunk_size));
        remaining = static_cast<std::uint64_t>(hex_value(c));
        state = size_digits;
        break;
      case size_digits:
        if (is(c, kHex)) {
          if (remaining > (std::numeric_limits<std::uint64_t>::max() >> 4)) return fail(Errc::bad_chunk_size);
          // An overflowing size is malformed (400) whatever the body limit, as an overflowing
          // Content-Length is; the limit (413) is checked once the size is read.
          remaining = (remaining << 4) | static_cast<std::uint64_t>(hex_value(c));
        } else if (c == '\r') {
          state = size_lf;
        } else if (c == ';') {
          state = ext_pre_name;
        } else if (is(c, kOws)) {
          state = size_ws;
        } else {
          return fail(line_ctl(c, Errc::bad_chunk_size));
        }
        break;
      case size_ws:
        if (c == ';') state = ext_pre_name;
        else if (!is(c, kOws)) return fail(line_ctl(c, Errc::bad_chunk_size));
        break;
      case ext_pre_name:
        if (is(c, kToken)) state = ext_name;
        else if (!is(c, kOws)) return fail(line_ctl(c, Errc::bad_chunk_extension));
        break;
      case ext_name:
        if (is(c, kToken)) break;
        if (c == '\r') state = size_lf;
        else if (c == ';') state = ext_pre_name;
        else if (c == '=') state = ext_pre_value;
        else if (is(c, kOws)) state = ext_post_name;
        else return fail(line_ctl(c, Errc::bad_chunk_extension));
        break;
      case ext_post_name:
        if (c == '\r') state = size_lf;
        else if (c == ';') state = ext_pre_name;
        else if (c == '=') state = ext_pre_value;
        else if (!is(c, kOws)) return fail(line_ctl(c, Errc::bad_chunk_extension));
        break;
      case ext_pre_value:
        if (is(c, kToken)) state = ext_token_value;
        else if (c == '"') state = ext_quoted;
        else if (!is(c, kOws)) return fail(line_ctl(c, Errc::bad_chunk_extension));
        break;
      case ext_token_value:
        if (is(c, kToken)) break;
        if (c == '\r') state = size_lf;
        else if (c == ';') state = ext_pre_name;
        else if (is(c, kOws)) state = ext_post_value;
        else return fail(line_ctl(c, Errc::bad_chunk_extension));
        break;
      case ext_quoted:
        if (c == '"') state = ext_post_value;
        else if (c == '\\') state = ext_quoted_escape;
        else if (!is_qdtext(c)) return fail(c == '\r' ? Errc::bare_cr : line_ctl(c, Errc::bad_chunk_extension));
        break;
      case ext_quoted_escape:
        if (c == '\t' || c == ' ' || (static_cast<unsigned char>(c) > 0x20 && c != 0x7f)) state = ext_quoted;
        else return fail(c == '\r' ? Errc::bare_cr : line_ctl(c, Errc::bad_chunk_extension));
        break;
      case ext_post_value:
        if (c == '\r') state = size_lf;
        else if (c == ';') state = ext_pre_name;
        else if (!is(c, kOws)) return fail(line_ctl(c, Errc::bad_chunk_extension));
        break;
      case size_lf:
        if (c != '\n') return fail(Errc::bare_cr);
        line_bytes = 0;
        if (remaining > limits.max_body_bytes - body_bytes) return fail(Errc::body_too_large);
        if (remaining == 0) {
          state = trailer_line_start;
        } else {
          body_bytes += remaining;  // checked against max_body_bytes just above
          state = data;
        }
        break;
      case data_cr:
        if (c != '\r') return fail(line_ctl(c, Errc::bad_chunk_terminator));
        state = data_lf;
        break;
      case data_lf:
        if (c != '\n') return fail(Errc::bare_cr);
        state = size_start;
        line_bytes = 0;
        break;
      case trailer_line_start:
        if (c == '\r') state = final_lf;
        else if (is(c, kToken)) state = trailer_name;
        else if (is(c, kOws)) return fail(Errc::obs_fold);
        else return fail(line_ctl(c, Errc::bad_header_name));
        break;
      case trailer_name:
        if (c == ':') state = trailer_value;
        else if (is(c, kOws)) return fail(Errc::space_before_colon);
        else if (!is(c, kToken)) return fail(line_ctl(c, Errc::bad_header_name));
        break;
      case trailer_value:
        if (c == '\r') state = trailer_lf;
        else if (!is(c, kValue)) return fail(line_ctl(c, Errc::bad_header_value));
        break;
      case trailer_lf:
        if (c != '\n') return fail(Errc::bare_cr);
        state = trailer_line_start;
        break;
      case final_lf:
        if (c != '\n') return fail(Errc::bare_cr);
        state = finished;
        return {Status::complete, static_cast<std::size_t>(p - begin), {}, Errc::ok};
      default:
        return fail(Errc::bad_chunk_size);  // unreachable: finished/failed handled above
    }
  }
  return {Status::need_more, static_cast<std::size_t>(p - begin), {}, Errc::ok};
}

InPlaceResult ChunkedDecoder::decode_in_place(std::span<char> buf, const Limits& limits) noexcept {
  std::size_t rd = 0, wr = 0;
  for (;;) {
    const auto r = decode(std::span<const char>(buf.data() + rd, buf.size() - rd), limits);
    if (r.status == Status::error) return {Status::error, rd, wr, r.error};
    if (!r.data.empty()) {
      std::memmove(buf.data() + wr, r.data.data(), r.data.size());
      wr += r.data.size();
    }
    rd += r.consumed;
    if (r.status == Status::complete) return {Status::complete, rd, wr, Errc::ok};
    if (rd == buf.size() || r.consumed == 0) return {Status::need_more, rd, wr, Errc::ok};
  }
}

std::size_t write_chunk_header(std::uint64_t size, std::span<char> out) noexcept {
  if (size == 0) return 0;
  char tmp[16];
  std::size_t n = 0;
  while (size != 0) {
    tmp[n++] = "0123456789abcdef"[size & 0xf];
    size >>= 4;
  }
  if (out.size() < n + 2) return 0;
  for (std::size_t i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
  out[n] = '\r';
  out[n + 1] = '\n';
  return n + 2;
}

}  // namespace zp::codec::http1
