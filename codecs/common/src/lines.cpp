// CRLF line framing: see zp/codec/lines.h.
#include "zp/codec/lines.h"


namespace zp::codec::lines {
namespace {

constexpr LineResult fail(Errc e) noexcept { return {Status::error, 0, {}, e}; }
constexpr LineResult found(const char* p, std::size_t len, std::size_t consumed) noexcept {
  return {Status::ok, consumed, std::string_view(p, len), Errc::ok};
}

}  // namespace

LineResult next_line(std::span<const char> in, const Limits& limits) noexcept {
  const char* p = in.data();
  const std::size_t size = in.size();
  // A terminator or forbidden byte can only start within the first max_line_bytes + 1
  // bytes of an acceptable line; scanning further would only find a too-long line.
  const std::size_t scan = limits.max_line_bytes < size ? limits.max_line_bytes + 1 : size;
  std::size_t i = 0;
  for (; i < scan; ++i) {
    const char c = p[i];
    // One compare rejects every printable byte; the rest are checked below.
    if (static_cast<unsigned char>(c) > '\r') continue;
    if (c == '\r' || c == '\n' || c == '\0') break;
  }
  if (i == scan) {
    if (i > limits.max_line_bytes) return fail(Errc::line_too_long);  // no end can save it
    return {};                                                        // need more
  }
  switch (p[i]) {
    case '\0':
      return fail(Errc::nul);
    case '\n':
      if (!limits.allow_bare_lf) return fail(Errc::bare_lf);
      return found(p, i, i + 1);
    default:  // '\r'
      if (i + 1 == size) return {};  // the LF may be in the next read
      if (p[i + 1] != '\n') return fail(Errc::bare_cr);
      return found(p, i, i + 2);
  }
}

}  // namespace zp::codec::lines
