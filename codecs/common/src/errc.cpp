// Error categories of codecs/common: one per header, so an error_code names its codec.
#include <string>

#include "zp/codec/base64.h"
#include "zp/codec/lines.h"
#include "zp/codec/wire.h"

namespace zp::codec {
namespace {

class WireCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "zp.codec.wire"; }
  std::string message(int ev) const override {
    switch (static_cast<wire::Errc>(ev)) {
      case wire::Errc::ok: return "ok";
      case wire::Errc::overrun: return "read past the end of the input";
      case wire::Errc::bad_seek: return "seek beyond the end of the input";
      case wire::Errc::overflow: return "write past the end of the output buffer";
      case wire::Errc::bad_patch: return "patch outside the written bytes";
    }
    return "unknown wire error";
  }
};

class LinesCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "zp.codec.lines"; }
  std::string message(int ev) const override {
    switch (static_cast<lines::Errc>(ev)) {
      case lines::Errc::ok: return "ok";
      case lines::Errc::bare_lf: return "bare LF (line feed without carriage return)";
      case lines::Errc::bare_cr: return "bare CR (carriage return without line feed)";
      case lines::Errc::nul: return "NUL byte in line";
      case lines::Errc::line_too_long: return "line too long";
    }
    return "unknown line framing error";
  }
};

class Base64Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "zp.codec.base64"; }
  std::string message(int ev) const override {
    switch (static_cast<base64::Errc>(ev)) {
      case base64::Errc::ok: return "ok";
      case base64::Errc::buffer_too_small: return "output buffer too small";
      case base64::Errc::bad_char: return "character outside the base64 alphabet";
      case base64::Errc::bad_padding: return "misplaced base64 padding";
      case base64::Errc::bad_length: return "base64 length not a multiple of 4";
      case base64::Errc::non_canonical: return "non-zero bits before base64 padding";
    }
    return "unknown base64 error";
  }
};

}  // namespace

const std::error_category& wire::category() noexcept {
  static const WireCategory c;
  return c;
}
const std::error_category& lines::category() noexcept {
  static const LinesCategory c;
  return c;
}
const std::error_category& base64::category() noexcept {
  static const Base64Category c;
  return c;
}

}  // namespace zp::codec
