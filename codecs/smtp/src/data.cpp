// DATA decoding/encoding and BDAT framing: see zp/codec/smtp/data.h.
#include "zp/codec/smtp/data.h"

#include <cstring>

namespace zp::codec::smtp {
namespace {

constexpr std::string_view crlf = "\r\n";
constexpr std::string_view lf = "\n";

}  // namespace

DataResult DataDecoder::emit(std::string_view in, std::size_t begin, std::size_t end, std::size_t consumed) noexcept {
  DataResult r;
  r.consumed = consumed;
  if (deferred_ != Errc::ok || end == begin) return r;
  const std::size_t n = end - begin;
  if (size_ + n > limits_.max_message_bytes) {
    deferred_ = Errc::message_too_large;
    return r;
  }
  size_ += n;
  r.data = in.substr(begin, n);
  return r;
}

DataResult DataDecoder::decode(std::string_view in) noexcept {
  if (state_ == State::done) return {DataStatus::done, 0, {}, deferred_};
  if (state_ == State::failed) return {DataStatus::error, 0, {}, deferred_};
  const std::size_t n = in.size();
  // Longest line before its CRLF; the dot of a stuffed line counts (it was sent).
  const std::size_t max_line = limits_.max_line_bytes < 2 ? 0 : limits_.max_line_bytes - 2;
  const auto failure = [&](Errc e) {
    state_ = State::failed;
    deferred_ = e;
    return DataResult{DataStatus::error, 0, {}, e};
  };
  // A normalised bare CR/LF: CRLF goes out in its own step, the line does not restart.
  const auto normalised = [&](std::size_t at, std::size_t skip, std::string_view out) {
    state_ = State::text;
    line_ = 0;
    DataResult r = emit(out, 0, out.size(), at + skip);
    return r;
  };
  std::size_t i = 0;
  std::size_t seg = 0;  // start of the octets to return
  while (i < n) {
    switch (state_) {
      case State::bol:
        if (in[i] == '.') {
          // Drop the dot: stuffing or the start of the terminator. Return what is before it first.
          if (i > seg) return emit(in, seg, i, i);
          ++i;
          seg = i;
          line_ = 1;
          state_ = State::dot;
        } else {
          state_ = State::text;
          line_ = 0;
        }
        break;
      case State::dot:
        if (in[i] == '\r') {
          ++i;
          seg = i;
          state_ = State::dot_cr;
        } else {
          state_ = State::text;
        }
        break;
      case State::dot_cr:
        if (in[i] == '\n') {
          state_ = State::done;
          return {DataStatus::done, i + 1, {}, deferred_};
        }
        // ".\rX": a bare CR after a dot.
        if (!limits_.normalise_bare) return failure(Errc::bare_cr);
        return normalised(i, 0, crlf);
      case State::text: {
        // The hot loop: everything above '\r' is plain text.
        std::size_t j = i;
        while (j < n && static_cast<unsigned char>(in[j]) > '\r') ++j;
        while (j < n) {
          const char c = in[j];
          if (c == '\r' || c == '\n' || c == '\0') break;
          ++j;
          while (j < n && static_cast<unsigned char>(in[j]) > '\r') ++j;
        }
        line_ += j - i;
        if (line_ > max_line && deferred_ == Errc::ok) deferred_ = Errc::line_too_long;
        i = j;
        if (i == n) break;
        const char c = in[i];
        if (c == '\r') {
          ++i;
          state_ = State::cr;
        } else if (c == '\n') {
          if (!limits_.normalise_bare) return failure(Errc::bare_lf);
          if (i > seg) return emit(in, seg, i, i);
          return normalised(i, 1, crlf);
        } else {  // NUL
          if (!limits_.allow_nul) return failure(Errc::nul);
          ++i;
          ++line_;
        }
        break;
      }
      case State::cr:
        if (in[i] == '\n') {
          ++i;
          state_ = State::bol;
          line_ = 0;
          break;
        }
        // The CR already went out (or is in this segment): add the LF it lacks.
        if (!limits_.normalise_bare) return failure(Errc::bare_cr);
        if (i > seg) return emit(in, seg, i, i);
        return normalised(i, 0, lf);
      case State::done:
      case State::failed:
        break;  // not reached: handled on entry
    }
  }
  DataResult r = emit(in, seg, n, n);
  return r;
}

DataEncoder::Step DataEncoder::encode(std::string_view in, std::span<char> out) noexcept {
  Step s;
  std::size_t o = 0;
  const std::size_t cap = out.size();
  std::size_t i = 0;
  while (i < in.size()) {
    const char c = in[i];
    if (cr_) {
      // A CR was written: close it with LF whatever follows.
      if (o + 1 > cap) break;
      out[o++] = '\n';
      cr_ = false;
      bol_ = true;
      if (c == '\n') ++i;
      continue;
    }
    if (bol_ && c == '.') {
      if (o + 2 > cap) break;
      out[o++] = '.';
      out[o++] = '.';
      bol_ = false;
      ++i;
      continue;
    }
    if (c == '\r') {
      if (o + 1 > cap) break;
      out[o++] = '\r';
      cr_ = true;
      ++i;
      continue;
    }
    if (c == '\n') {  // bare LF
      if (o + 2 > cap) break;
      out[o++] = '\r';
      out[o++] = '\n';
      bol_ = true;
      ++i;
      continue;
    }
    // A run of plain octets.
    std::size_t j = i;
    while (j < in.size() && in[j] != '\r' && in[j] != '\n' && j - i < cap - o) ++j;
    if (j == i) break;
    std::memcpy(out.data() + o, in.data() + i, j - i);
    o += j - i;
    i = j;
    bol_ = false;
  }
  s.consumed = i;
  s.written = o;
  return s;
}

std::size_t DataEncoder::finish(std::span<char> out) noexcept {
  std::string_view tail;
  if (cr_) tail = "\n.\r\n";
  else if (bol_) tail = ".\r\n";
  else tail = "\r\n.\r\n";
  if (out.size() < tail.size()) return 0;
  std::memcpy(out.data(), tail.data(), tail.size());
  cr_ = false;
  bol_ = true;
  return tail.size();
}

BdatReader::Step BdatReader::read(std::string_view in) noexcept {
  Step s;
  const std::size_t take = left_ < in.size() ? static_cast<std::size_t>(left_) : in.size();
  s.consumed = take;
  left_ -= take;
  const bool over = total_ + take > max_;
  total_ += take;
  if (over) s.error = Errc::message_too_large;
  else s.data = in.substr(0, take);
  s.chunk_done = left_ == 0;
  s.message_done = s.chunk_done && last_;
  return s;
}

}  // namespace zp::codec::smtp
