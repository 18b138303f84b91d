// The error category of codecs/smtp, enumerator names, and the reply per error.
#include <array>
#include <string>

#include "zp/codec/smtp/errc.h"

namespace zp::codec::smtp {
namespace {

struct Entry {
  std::string_view name;
  std::string_view message;
  std::uint16_t code;
  std::string_view enhanced;
};

// Indexed by Errc; the static_assert keeps it in step with the enum.
constexpr std::array<Entry, 25> entries{{
    {"ok", "ok", 0, ""},
    {"bare_lf", "bare <LF> received", 500, "5.5.2"},
    {"bare_cr", "bare <CR> received", 500, "5.5.2"},
    {"nul", "NUL byte received", 500, "5.5.2"},
    {"line_too_long", "line too long", 500, "5.5.2"},
    {"unknown_command", "command not recognized", 500, "5.5.1"},
    {"syntax", "syntax error in parameters or arguments", 501, "5.5.4"},
    {"bad_path", "bad address syntax", 553, "5.1.3"},
    {"local_part_too_long", "local part too long", 553, "5.1.3"},
    {"domain_too_long", "domain too long", 553, "5.1.3"},
    {"path_too_long", "path too long", 553, "5.1.3"},
    {"non_ascii_address", "non-ASCII address without SMTPUTF8", 553, "5.6.7"},
    {"unknown_parameter", "parameter not recognized", 555, "5.5.4"},
    {"bad_parameter", "bad parameter value", 501, "5.5.4"},
    {"duplicate_parameter", "parameter given twice", 501, "5.5.4"},
    {"bad_xtext", "bad xtext", 501, "5.5.4"},
    {"bad_reply", "malformed reply", 0, ""},
    {"too_many_reply_lines", "reply has too many lines", 0, ""},
    {"message_too_large", "message size exceeds fixed limit", 552, "5.3.4"},
    {"bad_chunk", "bad BDAT chunk size", 501, "5.5.4"},
    {"bad_base64", "invalid base64 data", 501, "5.5.2"},
    {"bad_auth_payload", "invalid authentication data", 535, "5.7.8"},
    {"auth_cancelled", "authentication cancelled", 501, "5.7.0"},
    {"buffer_too_small", "output buffer too small", 0, ""},
    {"bad_reply_text", "reply text or code not allowed", 0, ""},
}};
static_assert(entries.size() == static_cast<std::size_t>(Errc::bad_reply_text) + 1);

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "zp.codec.smtp"; }
  std::string message(int ev) const override {
    if (ev < 0 || static_cast<std::size_t>(ev) >= entries.size()) return "unknown smtp codec error";
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

ErrorReply reply_for(Errc e) noexcept {
  const auto i = static_cast<std::size_t>(e);
  if (i >= entries.size() || entries[i].code == 0) return {};
  return {entries[i].code, entries[i].enhanced, entries[i].message};
}

}  // namespace zp::codec::smtp
