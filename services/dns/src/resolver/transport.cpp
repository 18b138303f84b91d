// One question over the wire: a fresh UDP socket per try (the kernel picks a random source
// port; connect() makes it drop datagrams from other peers and report ICMP refusals), a
// random ID from getrandom, strict reply matching, EDNS fallback, TC → TCP, backoff and
// failover ordered by server health.
#include <poll.h>
#include <sys/random.h>
#include <unistd.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <numeric>

#include "zp/codec/dns/message.h"
#include "zp/codec/dns/name.h"
#include "zp/codec/dns/writer.h"
#include "zp/dns/resolver.h"

namespace zp::dns {

namespace cd = codec::dns;

namespace {

constexpr std::size_t kMaxRecords = 1024;  // per reply; never sized from the header counts

// A random ID (CVE-2023-31147: IDs must be unpredictable): from the kernel CSPRNG, a batch
// at a time when there is a state to keep the batch in.
std::uint16_t random_id(TransportState* st) {
  std::uint16_t one = 0;
  std::uint16_t* buf = st ? st->ids : &one;
  const std::size_t want = st ? std::size(st->ids) : 1;
  if (!st || st->ids_left == 0) {
    // getrandom of at most 256 bytes does not block once the pool is initialised, nor is short.
    if (getrandom(buf, want * sizeof(std::uint16_t), 0) != static_cast<ssize_t>(want * sizeof(std::uint16_t))) {
      std::uint64_t t = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
      for (std::size_t i = 0; i < want; ++i) buf[i] = static_cast<std::uint16_t>((t >> (i % 48)) ^ (t >> 32) ^ i);
    }
    if (!st) return one;
    st->ids_left = want;
  }
  return st->ids[--st->ids_left];
}

enum class Match { ignore, malformed, ok };

// Whether `pkt` answers our query (id, question). Fills `m` when ok.
Match match_reply(std::span<const std::byte> pkt, std::uint16_t id, const cd::Name& qname, std::uint16_t qtype,
                  cd::Message& m, std::span<cd::Record> storage) {
  if (pkt.size() < 12) return Match::ignore;  // a zero-length datagram is no reply (CVE-2023-32067)
  const std::uint16_t rid = static_cast<std::uint16_t>((std::to_integer<unsigned>(pkt[0]) << 8) | std::to_integer<unsigned>(pkt[1]));
  const bool qr = std::to_integer<unsigned>(pkt[2]) & 0x80;
  if (rid != id || !qr) return Match::ignore;
  auto r = cd::parse_message(pkt, m, storage);
  if (!r.ok()) return Match::malformed;
  if (m.header.opcode() != 0) return Match::ignore;
  const auto rc = m.header.rcode();
  // Some servers answer FORMERR/NOTIMP to an EDNS query without echoing the question.
  if (m.question.empty() && (rc == 1 || rc == 4)) return Match::ok;
  if (m.question.size() != 1) return Match::ignore;
  const auto& q = m.question[0];
  if (q.type != qtype || q.rclass != cd::rrclass::in || !q.owner.equals(qname)) return Match::ignore;
  return Match::ok;
}

struct Query {
  std::byte buf[cd::max_name_bytes + 64];
  std::span<std::byte> wire;
  std::uint16_t id = 0;
  cd::Name qname;  // in buf
};

Result<void> build_query(Query& q, std::span<const std::byte> name_wire, std::uint16_t type, bool edns,
                         std::uint16_t payload, bool rd, TransportState* st) {
  q.id = random_id(st);
  cd::MessageWriter w(q.buf, sizeof q.buf);
  cd::Header h;
  h.id = q.id;
  h.set_flag(cd::Header::rd_bit, rd);
  w.set_header(h);
  auto name = cd::Name::from_wire(name_wire);
  if (!name) return name.error();
  if (edns) w.reserve(11);
  if (!w.add_question(*name, type, cd::rrclass::in)) return make_error_code(ResolverErrc::bad_name);
  if (edns && !w.add_opt(cd::EdnsOut{.udp_payload_size = payload})) return make_error_code(ResolverErrc::bad_name);
  auto out = w.finish();
  if (!out) return out.error();
  q.wire = std::span<std::byte>(q.buf, out->size());
  std::size_t pos = 12;
  auto parsed = cd::parse_name(std::span<const std::byte>(q.wire), pos);
  if (!parsed) return parsed.error();
  q.qname = *parsed;
  return {};
}

// A connected UDP socket's descriptor, closed with its owner.
struct Fd {
  int fd = -1;
  Fd() = default;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Waits on the connected UDP socket for the reply to q; ignores what does not match.
Task<Result<std::vector<std::byte>>> udp_receive(int fd, const Query& q, std::uint16_t qtype, std::size_t max_bytes) {
  std::vector<std::byte> buf(max_bytes);
  std::vector<cd::Record> storage(kMaxRecords);
  for (;;) {
    auto ready = co_await wait_ready(fd, POLLIN);
    if (!ready) co_return ready.error();
    for (;;) {
      const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
        co_return fail(errno);  // ECONNREFUSED (ICMP port unreachable), ...
      }
      cd::Message m;
      switch (match_reply(std::span<const std::byte>(buf.data(), size_t(n)), q.id, q.qname, qtype, m, storage)) {
        case Match::ignore: continue;
        case Match::malformed: co_return make_error_code(ResolverErrc::malformed_reply);
        case Match::ok: co_return std::vector<std::byte>(buf.begin(), buf.begin() + n);
      }
    }
  }
}

bool same_addr(const SocketAddr& a, const SocketAddr& b) {
  return a.len == b.len && std::memcmp(&a.storage, &b.storage, a.len) == 0;
}

// One datagram try from an idle socket to `server` or a fresh one: connect() binds a fresh
// socket to a random ephemeral port (Linux picks UDP ports at random) and makes the kernel
// drop datagrams from other peers. The socket goes back to the idle list only after a reply.
Task<Result<std::vector<std::byte>>> udp_try(SocketAddr server, const Query& q, std::uint16_t qtype,
                                             std::size_t max_bytes, unsigned timeout_ms, TransportState* st) {
  Fd s;
  std::uint32_t uses = 0;
  if (st) {
    for (auto it = st->idle.begin(); it != st->idle.end(); ++it) {
      if (!same_addr(it->server, server)) continue;
      s.fd = it->fd;
      uses = it->uses;
      st->idle.erase(it);
      break;
    }
  }
  if (s.fd < 0) {
    s.fd = ::socket(server.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s.fd < 0) co_return fail(errno);
    if (::connect(s.fd, server.sa(), server.len) < 0) co_return fail(errno);
  }
  if (::send(s.fd, q.wire.data(), q.wire.size(), 0) < 0) co_return fail(errno);  // one query per socket at a time
  auto r = co_await with_timeout(std::chrono::milliseconds(timeout_ms), udp_receive(s.fd, q, qtype, max_bytes));
  if (r && st && ++uses < st->max_socket_uses && st->idle.size() < st->max_idle_sockets) {
    st->idle.push_back({server, std::exchange(s.fd, -1), uses});
  }
  co_return r;
}

Task<Result<std::vector<std::byte>>> tcp_exchange(SocketAddr server, const Query& q, std::uint16_t qtype,
                                                  std::size_t max_bytes) {
  auto s = co_await Stream::connect(server);
  if (!s) co_return s.error();
  std::byte prefix[2] = {std::byte(q.wire.size() >> 8), std::byte(q.wire.size() & 0xFF)};
  iovec iov[2] = {{prefix, 2}, {q.wire.data(), q.wire.size()}};
  auto w = co_await s->sendv(iov);
  if (!w) co_return w.error();
  std::vector<std::byte> in;
  std::size_t want = 0;
  for (;;) {
    if (in.size() >= 2) {
      want = (std::to_integer<std::size_t>(in[0]) << 8) | std::to_integer<std::size_t>(in[1]);
      if (want < 12 || want > max_bytes) co_return make_error_code(ResolverErrc::malformed_reply);
      if (in.size() >= 2 + want) break;
    }
    auto b = co_await s->recv_more();
    if (!b) co_return b.error();
    if (b->eof()) co_return make_error_code(ResolverErrc::malformed_reply);
    if (in.size() + b->size() > max_bytes + 2) co_return make_error_code(ResolverErrc::malformed_reply);
    in.insert(in.end(), b->bytes().begin(), b->bytes().end());
  }
  std::vector<std::byte> msg(in.begin() + 2, in.begin() + 2 + static_cast<std::ptrdiff_t>(want));
  std::vector<cd::Record> storage(kMaxRecords);
  cd::Message m;
  // One query per connection: anything else on it is not an answer to us.
  if (match_reply(msg, q.id, q.qname, qtype, m, storage) != Match::ok)
    co_return make_error_code(ResolverErrc::malformed_reply);
  co_return msg;
}

}  // namespace

TransportState::~TransportState() {
  for (auto& s : idle) ::close(s.fd);
}

Task<Result<Reply>> exchange(std::vector<SocketAddr> servers, std::string name, std::uint16_t type,
                             ExchangeOptions o, TransportState* state, bool rotate) {
  if (servers.empty()) co_return make_error_code(ResolverErrc::no_servers);
  std::byte name_wire[cd::max_name_bytes];
  static constexpr std::byte root[1] = {std::byte{0}};
  auto nlen = cd::name_from_text(name, root, name_wire);
  if (!nlen) co_return make_error_code(ResolverErrc::bad_name);
  const std::span<const std::byte> qwire(name_wire, *nlen);

  // Order: fewest consecutive failures first; ties keep the configured order (after rotation).
  std::vector<std::size_t> order(servers.size());
  std::iota(order.begin(), order.end(), 0);
  if (state) {
    state->failures.resize(servers.size(), 0);
    if (rotate) {
      std::rotate(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(state->next % servers.size()), order.end());
      state->next = (state->next + 1) % servers.size();
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return state->failures[a] < state->failures[b]; });
  }
  bool edns = o.edns;
  bool malformed = false;
  std::optional<Reply> fallback;  // the last SERVFAIL/REFUSED/NOTIMP: used when nothing better comes
  unsigned tries = 0;
  for (unsigned round = 0; round < std::max(1u, o.attempts); ++round) {
    const unsigned timeout =
        std::min<unsigned>(o.max_timeout_ms, o.timeout_ms << std::min(round, 8u));
    for (std::size_t idx : order) {
      const SocketAddr& server = servers[idx];
      bool use_tcp = o.tcp;
      for (int step = 0; step < 3; ++step) {  // at most: EDNS dropped, then TC → TCP
        Query q;
        if (auto b = build_query(q, qwire, type, edns, o.udp_payload, o.recursion_desired, state); !b)
          co_return make_error_code(ResolverErrc::bad_name);
        ++tries;
        Result<std::vector<std::byte>> got = fail(ETIMEDOUT);
        if (use_tcp) {
          got = co_await with_timeout(std::chrono::milliseconds(timeout), tcp_exchange(server, q, type, o.max_tcp_bytes));
        } else {
          got = co_await udp_try(server, q, type, o.max_udp_bytes, timeout, state);
        }
        if (!got) {
          if (got.error() == std::errc::operation_canceled) co_return got.error();
          if (got.error() == make_error_code(ResolverErrc::malformed_reply)) malformed = true;
          break;  // timeout, refused port, reset: the next server
        }
        cd::Header h;
        const auto& w = *got;
        h.flags = static_cast<std::uint16_t>((std::to_integer<unsigned>(w[2]) << 8) | std::to_integer<unsigned>(w[3]));
        const auto rc = h.rcode();
        if (h.tc() && !use_tcp) {
          use_tcp = true;
          continue;
        }
        if ((rc == 1 || rc == 4) && edns) {
          edns = false;  // RFC 6891 §7: a server that does not understand OPT
          continue;
        }
        Reply r{std::move(*got), server, use_tcp, edns, tries};
        if (rc == 0 || rc == 3) {
          if (state) state->failures[idx] = 0;
          co_return r;
        }
        fallback = std::move(r);
        break;
      }
      if (state) ++state->failures[idx];  // only reached without an acceptable reply
    }
  }
  if (fallback) co_return std::move(*fallback);
  if (malformed) co_return make_error_code(ResolverErrc::malformed_reply);
  co_return make_error_code(ResolverErrc::timeout);
}

}  // namespace zp::dns
