/// \file
/// DNS codec (RFC 1035, 3597, 4034, 5155, 6891) — shared vocabulary: error codes of the
/// wire codec and the zone-file parser, the RCODE a server answers each one with, and limits.
/// \code
///   auto r = zp::codec::dns::parse_message(pkt, msg, records);
///   if (r.error != Errc::ok) reply_rcode(rcode_for(r.error));   // FORMERR for malformed input
///   // errc_name(Errc::pointer_loop) == "pointer_loop" for logs and test vectors.
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace zp::codec::dns {

/// Errors of the wire codec (category "zp.codec.dns"). Every parse error maps to FORMERR.
enum class Errc : int {
  ok = 0,
  /// names
  name_overrun = 1,          ///< a name runs past the end of the packet or RDATA
  label_too_long = 2,        ///< a length octet 64..191 (label over 63 octets, or label type 01/10)
  name_too_long = 3,         ///< uncompressed name over 255 octets
  forward_pointer = 4,       ///< compression pointer to an offset after the pointer itself
  pointer_loop = 5,          ///< pointer to itself, into the name being read, or not strictly backwards
  too_many_pointers = 6,     ///< more pointer hops than Limits::max_pointer_hops
  pointer_into_header = 7,   ///< pointer to an offset inside the 12-octet header
  compression_not_allowed = 8,  ///< a pointer where none may be (RRSIG signer, NSEC next, zone data)
  /// message framing
  truncated_header = 9,      ///< fewer than 12 octets
  truncated_question = 10,   ///< QTYPE/QCLASS past the end
  truncated_rr = 11,         ///< TYPE/CLASS/TTL/RDLENGTH past the end
  rdata_overrun = 12,        ///< RDLENGTH beyond the end of the packet
  count_mismatch = 13,       ///< a section count larger than the records the packet holds
  trailing_data = 14,        ///< octets after the last counted record (Limits::allow_trailing_data)
  too_many_records = 15,     ///< more records than the caller's array or Limits::max_records
  /// RDATA
  bad_rdata_length = 16,     ///< RDATA shorter or longer than its type's fields
  bad_type_bitmap = 17,      ///< NSEC/NSEC3 bitmap: window order, length 0 or >32, trailing zero octet
  bad_character_string = 18, ///< a character-string running past the RDATA
  bad_caa = 19,              ///< CAA tag empty or not alphanumeric
  /// EDNS
  multiple_opt = 20,         ///< more than one OPT record (RFC 6891 §6.1.1: FORMERR)
  opt_not_in_additional = 21,  ///< OPT in the question, answer or authority section
  bad_opt_owner = 22,        ///< OPT owner not the root name
  bad_edns_option = 23,      ///< option length past the end of the OPT RDATA
  /// writer and text
  buffer_too_small = 24,     ///< output buffer too small (writer: see MessageWriter::truncated)
  bad_name_text = 25,        ///< presentation-format name: empty label, bad escape, too long
  bad_text = 26,             ///< presentation-format RDATA that does not parse
  too_many_questions = 27,   ///< QDCOUNT over Limits::max_questions
  message_too_large = 28,    ///< input over 65535 octets (no DNS message is)
};
const std::error_category& category() noexcept;  ///< the category of Errc ("zp.codec.dns")
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), category()}; }  ///< an error_code of `e` (lets Errc convert to std::error_code)

/// The enumerator's name ("pointer_loop"), for logs and test vectors; "" when out of range.
std::string_view errc_name(Errc e) noexcept;

/// RCODEs (RFC 1035 §4.1.1, RFC 6891 §9 for the extended BADVERS).
enum class Rcode : std::uint16_t {
  noerror = 0, formerr = 1, servfail = 2, nxdomain = 3, notimp = 4, refused = 5,
  yxdomain = 6, yxrrset = 7, nxrrset = 8, notauth = 9, notzone = 10, badvers = 16,
};
/// The RCODE a server answers a parse error with: NOERROR for ok, FORMERR for every parse
/// error, SERVFAIL for our own writer errors (buffer_too_small).
Rcode rcode_for(Errc e) noexcept;

/// Safe defaults; each hit is its own Errc.
struct Limits {
  std::size_t max_pointer_hops = 16;   ///< compression pointers followed per name (c-ares GHSA-pjmc)
  std::size_t max_records = 4096;      ///< records of all sections (also capped by the caller's array)
  std::size_t max_questions = 16;      ///< QDCOUNT (a server wants exactly 1; see Message)
  /// Leniency, off by default: accept octets after the last record (some middleboxes pad).
  bool allow_trailing_data = false;
  /// Structural RDATA checks of the known types while parsing (on by default).
  bool validate_rdata = true;
};

}  // namespace zp::codec::dns

/// \cond internal
template <>
struct std::is_error_code_enum<zp::codec::dns::Errc> : std::true_type {};
/// \endcond
