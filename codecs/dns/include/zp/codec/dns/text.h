/// \file
/// Presentation format (RFC 1035 §5.1, RFC 3597 §5, RFC 4034 §§2.2-5.3, RFC 5155 §3.3):
/// records and messages to text for dig-like output and zone round trips, and the type and
/// class mnemonics. Appends to a caller string.
/// \code
///   std::string s;
///   zp::codec::dns::record_to_text(rr, s);   // "www.example. 3600 IN A 192.0.2.1"
/// \endcode
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "zp/codec/dns/message.h"
#include "zp/result.h"

namespace zp::codec::dns {

/// "A", "NSEC3", ... or "TYPE65280" for types without a mnemonic (RFC 3597 §5).
void type_to_text(std::uint16_t type, std::string& out);
/// A mnemonic (case-insensitive) or TYPEnnn; nullopt otherwise.
std::optional<std::uint16_t> type_from_text(std::string_view s) noexcept;
/// "IN", "CH", "HS", "NONE", "ANY" or "CLASSnnn".
void class_to_text(std::uint16_t rclass, std::string& out);
std::optional<std::uint16_t> class_from_text(std::string_view s) noexcept;  ///< the class code of a mnemonic ("IN") or CLASSnnn; nullopt otherwise

/// The RDATA of `rr` in its type's presentation format; unknown types (and known types
/// whose RDATA does not validate) as "\# <len> <hex>". Never fails.
void rdata_to_text(const Record& rr, std::string& out);
/// "<owner> <ttl> <class> <type> <rdata>" (a question: "<owner> <class> <type>").
void record_to_text(const Record& rr, std::string& out);
/// dig-like: header line, then ";; QUESTION SECTION:" etc., one record per line, and the
/// EDNS pseudo-section.
void message_to_text(const Message& m, std::string& out);

}  // namespace zp::codec::dns
