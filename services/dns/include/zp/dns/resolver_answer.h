/// \file
/// What the stub resolver returns: owned, typed records (names in presentation format, RDATA
/// decompressed), and interpret_reply(), the pure function from a reply to an answer or a
/// negative result. It follows the CNAME chain inside the answer section from the name
/// asked (bounded, loop-checked), takes only records on that chain (never additional-section
/// glue, never records for other names), takes the negative TTL from the authority SOA of
/// an enclosing zone (RFC 2308 §5: min(SOA TTL, MINIMUM)), and checks that names used as
/// host names (CNAME, NS, PTR, MX, SRV targets) are host names.
/// \code
///   auto out = zp::dns::interpret_reply(msg, qname, rrtype::a, {});
///   if (out.status == ResolverErrc::ok) for (auto& a : out.answer.addresses()) ...
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "zp/codec/dns/message.h"
#include "zp/dns/ip_address.h"
#include "zp/dns/resolver_errc.h"

namespace zp::dns {

struct NameData { std::string target; /**< the name, with the final dot */ };  ///< CNAME, NS, PTR, DNAME
/// An MX record.
struct MxData { std::uint16_t preference = 0; /**< lower is preferred */ std::string exchange; /**< the mail host */ };
/// A TXT record.
struct TxtData { std::vector<std::string> strings; /**< its character-strings */ };
/// An SRV record.
struct SrvData { std::uint16_t priority = 0 /**< lower first */, weight = 0 /**< share within a priority */, port = 0; /**< the service port */ std::string target; /**< the host */ };
/// An SOA record.
struct SoaData {
  /// Primary server and responsible mailbox.
  ///@{
  std::string mname, rname;
  ///@}
  /// Serial and the timers, in seconds.
  ///@{
  std::uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
  ///@}
};
/// A CAA record.
struct CaaData { std::uint8_t flags = 0; /**< 128: critical */ std::string tag; /**< "issue", "iodef", ... */ std::string value; /**< the property value */ };
struct OpaqueData {};  ///< other types: see ResourceRecord::rdata
/// The typed data of a record (OpaqueData for types without a view).
using RecordData = std::variant<OpaqueData, IpAddress, NameData, MxData, TxtData, SrvData, SoaData, CaaData>;

/// One record of an answer, owned.
struct ResourceRecord {
  std::string name;                 ///< owner, presentation format with the final dot
  std::uint16_t type = 0;  ///< type code
  std::uint32_t ttl = 0;            ///< seconds left (decremented when served from the cache)
  std::vector<std::byte> rdata;     ///< uncompressed wire RDATA
  RecordData data;                  ///< the typed view of rdata (OpaqueData for other types)
  /// The RDATA in presentation format ("10 mail.example.test.").
  std::string rdata_text() const;
};

/// What query() returns: the records asked for, after the CNAME chain.
struct Answer {
  std::string qname;                ///< the name asked (after search-list expansion), with dot
  std::uint16_t qtype = 0;  ///< the type asked
  std::string canonical_name;       ///< the end of the CNAME chain (qname without one)
  std::vector<ResourceRecord> cnames;   ///< the chain, in order
  std::vector<ResourceRecord> records;  ///< the RRset of qtype at canonical_name
  std::uint32_t ttl = 0;            ///< min TTL over chain and records
  bool from_cache = false;  ///< served from the cache
  bool authoritative = false;       ///< AA of the reply
  /// A and AAAA records' addresses, in answer order.
  std::vector<IpAddress> addresses() const;
  std::size_t approx_bytes() const; ///< for the cache's size bound
};

/// Limits of interpret_reply().
struct InterpretLimits {
  std::size_t max_cname_chain = 8;  ///< CNAME steps followed
};

/// What one reply means for (qname, qtype).
struct Interpretation {
  ResolverErrc status = ResolverErrc::ok;  ///< ok, nxdomain, nodata, servfail, refused,
                                           ///< not_implemented, cname_loop, bad_reply_name,
                                           ///< malformed_reply
  Answer answer;                           ///< status ok
  std::uint32_t negative_ttl = 0;          ///< nxdomain/nodata: RFC 2308 TTL (0 without SOA)
};

/// Interprets a reply whose header ID and question already matched the query (the caller,
/// the transport, checks those). `qname` is the question name (any buffer).
Interpretation interpret_reply(const codec::dns::Message& reply, const codec::dns::Name& qname,
                               std::uint16_t qtype, const InterpretLimits& limits = {});

/// Makes a ResourceRecord from a parsed record (names decompressed). malformed_reply when
/// the RDATA does not validate, bad_reply_name when a host-name field is not a host name.
ResolverErrc make_resource_record(const codec::dns::Record& rr, ResourceRecord& out);

}  // namespace zp::dns
