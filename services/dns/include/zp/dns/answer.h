/// \file
/// The authoritative answer logic (RFC 1034 §4.3.2, RFC 2308, RFC 4592, RFC 6672, RFC 6891,
/// RFC 8482) as a pure function of a query and a ZoneSet: no I/O, no clock, and no heap
/// allocation per query once the Responder's scratch has grown to the largest RRset.
/// \code
///   zp::dns::Responder r;
///   auto a = r.answer(zones.get(), query, out, zp::dns::Transport::udp);
///   if (a.size) send(out.first(a.size));   // a.size == 0: drop (a response, < 12 octets)
/// \endcode
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "zp/codec/dns/message.h"
#include "zp/dns/zone.h"

namespace zp::dns {

/// How the query arrived (UDP replies are size-capped and may be truncated).
enum class Transport : std::uint8_t { udp, tcp };

/// Limits of the answer logic.
struct AnswerOptions {
  std::uint16_t udp_payload_size = 1232;  ///< advertised in our OPT; caps UDP replies
  std::size_t max_cname_chain = 8;        ///< CNAME/DNAME steps followed within a zone
};

/// What an answer was, for response rate limiting (rrl.h) and metrics.
enum class ResponseKind : std::uint8_t { answer, nodata, nxdomain, referral, error };

/// What Responder::answer() wrote.
struct AnswerResult {
  std::size_t size = 0;       ///< octets written to `out`; 0: send nothing
  std::uint16_t rcode = 0;    ///< the 12-bit RCODE sent
  bool truncated = false;     ///< TC was set
  ResponseKind kind = ResponseKind::error;  ///< the kind of answer, for RRL and metrics
  std::uint16_t qtype = 0;    ///< the question's type (0 without a question)
  /// The name RRL accounts the response to: the lower-cased QNAME for answers, the zone apex
  /// for NODATA, NXDOMAIN and referrals, empty for errors. Valid until the next answer().
  std::span<const std::byte> rrl_name;
};

/// Per-shard answer builder. Not thread-safe; one per shard.
class Responder {
 public:
  /// A responder with `opts`.
  explicit Responder(AnswerOptions opts = {}) : opts_(opts) { scratch_.reserve(64); }

  /// Answers `query` (one DNS message) into `out` (>= 512 octets for UDP; 65535 for TCP is
  /// always enough). Never larger than the client's limit: 512 without EDNS, the EDNS UDP
  /// size (capped by ours) with it, 65535 over TCP. Returns size 0 for input that gets no
  /// answer: shorter than a header, or a response (QR set).
  /// `peer` is the client (for IXFR over UDP, which the zone's allow_transfer ACL
  /// guards; null: refused).
  AnswerResult answer(const ZoneSet* zones, std::span<const std::byte> query, std::span<std::byte> out,
                      Transport transport, const sockaddr* peer = nullptr);

 private:
  AnswerOptions opts_;
  std::vector<codec::dns::Record> scratch_;
  std::array<std::array<std::byte, codec::dns::max_name_bytes>, 2> synth_{};  ///< DNAME targets
  std::array<std::byte, codec::dns::max_name_bytes> qkey_{};  ///< the QNAME, lower-cased
};

}  // namespace zp::dns
