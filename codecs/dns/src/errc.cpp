// Error categories of codecs/dns: "zp.codec.dns" (wire) and "zp.codec.dns.zone" (zone files).
#include <string>

#include "zp/codec/dns/errc.h"
#include "zp/codec/dns/zone.h"

namespace zp::codec::dns {
namespace {

struct Entry {
  std::string_view name, message;
};
constexpr Entry entries[] = {
    {"ok", "ok"},
    {"name_overrun", "domain name runs past the end of the data"},
    {"label_too_long", "label longer than 63 octets or reserved label type"},
    {"name_too_long", "domain name longer than 255 octets"},
    {"forward_pointer", "compression pointer points forward"},
    {"pointer_loop", "compression pointer loop"},
    {"too_many_pointers", "too many compression pointers in one name"},
    {"pointer_into_header", "compression pointer into the message header"},
    {"compression_not_allowed", "compression pointer where none is allowed"},
    {"truncated_header", "message shorter than its 12-octet header"},
    {"truncated_question", "question truncated"},
    {"truncated_rr", "resource record truncated"},
    {"rdata_overrun", "RDLENGTH beyond the end of the message"},
    {"count_mismatch", "section count larger than the records present"},
    {"trailing_data", "octets after the last record"},
    {"too_many_records", "more records than allowed"},
    {"bad_rdata_length", "RDATA length does not match its type"},
    {"bad_type_bitmap", "malformed type bitmap"},
    {"bad_character_string", "character-string runs past the RDATA"},
    {"bad_caa", "malformed CAA tag"},
    {"multiple_opt", "more than one OPT record"},
    {"opt_not_in_additional", "OPT record outside the additional section"},
    {"bad_opt_owner", "OPT owner is not the root name"},
    {"bad_edns_option", "EDNS option runs past the OPT RDATA"},
    {"buffer_too_small", "output buffer too small"},
    {"bad_name_text", "malformed domain name text"},
    {"bad_text", "malformed presentation-format data"},
    {"too_many_questions", "too many questions"},
    {"message_too_large", "message longer than 65535 octets"},
};

class DnsCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "zp.codec.dns"; }
  std::string message(int ev) const override {
    if (ev < 0 || static_cast<std::size_t>(ev) >= std::size(entries)) return "unknown DNS error";
    return std::string(entries[ev].message);
  }
};

constexpr std::string_view zone_names[] = {
    "ok", "syntax", "bad_name", "bad_ttl", "bad_class", "unknown_type", "bad_rdata",
    "line_too_long", "too_many_records", "rdata_too_large", "include_depth",
    "include_forbidden", "include_failed", "unbalanced_paren", "unterminated_string",
    "bad_escape", "no_ttl", "no_owner", "class_mismatch", "bad_directive", "rejected", "crlf"};

class ZoneCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "zp.codec.dns.zone"; }
  std::string message(int ev) const override {
    switch (static_cast<ZoneErrc>(ev)) {
      case ZoneErrc::ok: return "ok";
      case ZoneErrc::syntax: return "syntax error";
      case ZoneErrc::bad_name: return "invalid domain name";
      case ZoneErrc::bad_ttl: return "invalid TTL";
      case ZoneErrc::bad_class: return "invalid class";
      case ZoneErrc::unknown_type: return "unknown record type";
      case ZoneErrc::bad_rdata: return "invalid RDATA";
      case ZoneErrc::line_too_long: return "line too long";
      case ZoneErrc::too_many_records: return "too many records";
      case ZoneErrc::rdata_too_large: return "RDATA too large";
      case ZoneErrc::include_depth: return "$INCLUDE nested too deep";
      case ZoneErrc::include_forbidden: return "$INCLUDE path outside the zone directory";
      case ZoneErrc::include_failed: return "$INCLUDE file cannot be read";
      case ZoneErrc::unbalanced_paren: return "unbalanced parentheses";
      case ZoneErrc::unterminated_string: return "unterminated quoted string";
      case ZoneErrc::bad_escape: return "invalid escape";
      case ZoneErrc::no_ttl: return "no TTL and no $TTL";
      case ZoneErrc::no_owner: return "no owner name";
      case ZoneErrc::class_mismatch: return "class differs from the zone's";
      case ZoneErrc::bad_directive: return "unknown or malformed directive";
      case ZoneErrc::rejected: return "record rejected by the caller";
      case ZoneErrc::crlf: return "CR byte in zone file (CRLF line ending)";
    }
    return "unknown zone error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const DnsCategory c;
  return c;
}
const std::error_category& zone_category() noexcept {
  static const ZoneCategory c;
  return c;
}

std::string_view errc_name(Errc e) noexcept {
  const int v = static_cast<int>(e);
  if (v < 0 || static_cast<std::size_t>(v) >= std::size(entries)) return {};
  return entries[v].name;
}

std::string_view zone_errc_name(ZoneErrc e) noexcept {
  const int v = static_cast<int>(e);
  if (v < 0 || static_cast<std::size_t>(v) >= std::size(zone_names)) return {};
  return zone_names[v];
}

Rcode rcode_for(Errc e) noexcept {
  if (e == Errc::ok) return Rcode::noerror;
  if (e == Errc::buffer_too_small) return Rcode::servfail;
  return Rcode::formerr;
}

}  // namespace zp::codec::dns
