// The error category of codecs/mime and enumerator names.
#include <array>
#include <string>

#include "zp/codec/mime/errc.h"

namespace zp::codec::mime {
namespace {

struct Entry {
  std::string_view name;
  std::string_view message;
};

constexpr std::array<Entry, 19> entries{{
    {"ok", "ok"},
    {"bare_lf", "bare LF in header"},
    {"bare_cr", "bare CR in header"},
    {"nul", "NUL in header"},
    {"line_too_long", "header line too long"},
    {"header_too_large", "header section too large"},
    {"too_many_fields", "too many header fields"},
    {"bad_field", "malformed header field"},
    {"bad_content_type", "malformed Content-Type"},
    {"too_many_params", "too many parameters"},
    {"duplicate_param", "parameter given twice"},
    {"bad_rfc2231", "malformed RFC 2231 parameter"},
    {"bad_boundary", "missing or invalid boundary"},
    {"too_deep", "multipart nesting too deep"},
    {"too_many_parts", "too many parts"},
    {"no_close_delimiter", "multipart without close delimiter"},
    {"bad_encoding", "malformed transfer encoding"},
    {"bad_header_value", "CR, LF or NUL in a header value"},
    {"buffer_too_small", "output buffer too small"},
}};
static_assert(entries.size() == static_cast<std::size_t>(Errc::buffer_too_small) + 1);

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "zp.codec.mime"; }
  std::string message(int ev) const override {
    if (ev < 0 || static_cast<std::size_t>(ev) >= entries.size()) return "unknown mime codec error";
    return std::string(entries[static_cast<std::size_t>(ev)].message);
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const Category c;
  return c;
}

std::string_view errc_name(Errc e) noexcept {
  const auto i = static_cast<std::size_t>(e);
  return i < entries.size() ? entries[i].name : std::string_view{};
}

}  // namespace zp::codec::mime
