/// \file
/// Zone files (RFC 1035 §5 master format, RFC 2308 $TTL, RFC 3597 generic RDATA) parsed
/// into wire-form records. Sans-I/O: the caller passes the text and, for $INCLUDE, a
/// resolver that loads a path the parser has already confined (relative, no "..", no NUL;
/// the caller opens it beneath the zone's directory, e.g. openat2(RESOLVE_BENEATH)).
/// \code
///   zp::codec::dns::ZoneRecords zone;
///   zp::codec::dns::ZoneError err;
///   auto r = parse_zone(text, {.origin = "example.com.", .file_name = "db.example"}, zone.sink(), &err);
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "zp/codec/dns/message.h"
#include "zp/result.h"

namespace zp::codec::dns {

/// Errors of the zone parser (category "zp.codec.dns.zone").
enum class ZoneErrc : int {
  ok = 0,
  syntax = 1,             ///< a token where none fits (missing type, extra tokens, ...)
  bad_name = 2,           ///< owner or RDATA name: empty label, label > 63, name > 255
  bad_ttl = 3,            ///< not a number or units, or over 2^31-1
  bad_class = 4,          ///< unknown class mnemonic
  unknown_type = 5,       ///< unknown type mnemonic (TYPEnnn always works)
  bad_rdata = 6,          ///< RDATA not in its type's presentation format
  line_too_long = 7,      ///< physical line over ZoneLimits::max_line_bytes
  too_many_records = 8,   ///< over ZoneLimits::max_records
  rdata_too_large = 9,    ///< RDATA over ZoneLimits::max_rdata_bytes
  include_depth = 10,     ///< $INCLUDE nesting over ZoneLimits::max_include_depth
  include_forbidden = 11, ///< absolute path, "..", or no resolver given
  include_failed = 12,    ///< the resolver could not load the file
  unbalanced_paren = 13,  ///< ")" without "(", or end of file inside "( ... "
  unterminated_string = 14,
  bad_escape = 15,        ///< "\" at the end of a line, or `\DDD` over 255
  no_ttl = 16,            ///< a record without TTL and no $TTL or earlier TTL or default
  no_owner = 17,          ///< the first record has no owner
  class_mismatch = 18,    ///< a class other than the zone's (the first record's)
  bad_directive = 19,     ///< unknown $ directive or bad arguments
  rejected = 20,          ///< the sink refused a record
  crlf = 21,              ///< a CR byte (CRLF line ending) without ZoneOptions::allow_crlf
};
const std::error_category& zone_category() noexcept;  ///< the category of ZoneErrc
inline std::error_code make_error_code(ZoneErrc e) noexcept { return {static_cast<int>(e), zone_category()}; }  ///< an error_code of `e` (lets ZoneErrc convert to std::error_code)
std::string_view zone_errc_name(ZoneErrc e) noexcept;  ///< the enumerator's name ("bad_ttl"); "" when out of range

/// Limits of the zone-file parser; each hit is its own ZoneErrc.
struct ZoneLimits {
  std::size_t max_line_bytes = 65535;      ///< one physical line
  std::size_t max_records = 10'000'000;  ///< records in the whole zone
  std::size_t max_rdata_bytes = 65535;  ///< RDATA of one record
  std::size_t max_include_depth = 8;  ///< nested $INCLUDE files
  std::size_t max_entry_tokens = 4096;     ///< tokens in one entry ("(...)" spans lines)
};

/// Where and why parsing stopped. `file` is ZoneOptions::file_name or the $INCLUDE path.
struct ZoneError {
  ZoneErrc code = ZoneErrc::ok;  ///< what stopped the parser
  std::string file;  ///< the file it was reading
  std::size_t line = 0;    ///< 1-based
  std::size_t column = 0;  ///< 1-based, of the offending token
  std::string message;     ///< "db.example:12:5: bad A address '10.0.0.256'"
};

/// One record; views valid only during the sink call (copy what you keep).
struct ZoneRecord {
  std::span<const std::byte> owner{};  ///< uncompressed wire name
  std::uint16_t type = 0;  ///< type code
  std::uint16_t rclass = rrclass::in;  ///< class code
  std::uint32_t ttl = 0;  ///< TTL in seconds
  std::span<const std::byte> rdata{};  ///< uncompressed wire RDATA
  /// The record as a Record view (for MessageWriter and the printer).
  Record view() const noexcept;
};

/// Receives each record in file order; an error stops parsing with ZoneErrc::rejected.
using ZoneSink = std::function<Result<void>(const ZoneRecord&)>;
/// Loads an $INCLUDE file: `path` is relative to the zone's directory, checked by the parser.
using IncludeResolver = std::function<Result<std::string>(std::string_view path)>;

/// How parse_zone() reads its text.
struct ZoneOptions {
  std::string_view origin{};     ///< initial $ORIGIN in text ("example.com."); "" = none
  std::string_view file_name{};  ///< for error messages
  std::optional<std::uint32_t> default_ttl{};  ///< used when neither $TTL nor an earlier TTL
  IncludeResolver include{};     ///< none: every $INCLUDE is include_forbidden
  ZoneLimits limits{};  ///< size bounds
  /// Leniency, off by default (Knot refuses CR too): treat CR as white space (DOS files).
  bool allow_crlf = false;
};

/// Parses `text`; returns the number of records passed to `sink`, or the first error (details
/// in *error when given). Omitted owner: the previous one. Omitted TTL: $TTL, else the last
/// explicit TTL (RFC 1035), else default_ttl. Omitted class: the zone's (first record's).
/// TXT strings over 255 octets are split into several character-strings (as Knot does);
/// other character-strings over 255 octets are bad_rdata.
Result<std::size_t> parse_zone(std::string_view text, const ZoneOptions& options, const ZoneSink& sink,
                               ZoneError* error = nullptr);

/// Parses the RDATA of `type` from presentation text ("10 mail.example.com.") into `out`,
/// relative names completed with `origin` (a wire name, may be empty). Errors: the zone
/// parser's codes as ZoneErrc.
Result<std::size_t> rdata_from_text(std::uint16_t type, std::string_view text,
                                    std::span<const std::byte> origin, std::span<std::byte> out);

/// A simple caller-visible container: records copied into one byte vector.
class ZoneRecords {
 public:
  /// Where one record lies in the byte vector.
  struct Entry {
    /// Offsets and sizes of the owner and the RDATA.
    ///@{
    std::uint32_t owner_at, owner_size, rdata_at, rdata_size;
    ///@}
    /// Type and class codes.
    ///@{
    std::uint16_t type, rclass;
    ///@}
    std::uint32_t ttl;  ///< TTL in seconds
  };
  ZoneSink sink();  ///< a sink that copies each record in
  std::size_t size() const noexcept { return entries_.size(); }  ///< records held
  ZoneRecord operator[](std::size_t i) const noexcept;  ///< record `i`, viewing this container's bytes
  void clear() noexcept {  ///< drops every record
    entries_.clear();
    bytes_.clear();
  }

 private:
  std::vector<Entry> entries_;
  std::vector<std::byte> bytes_;
};

}  // namespace zp::codec::dns

/// \cond internal
template <>
struct std::is_error_code_enum<zp::codec::dns::ZoneErrc> : std::true_type {};
/// \endcond
