// The DNS server's transports: a UDP loop per socket (recvmmsg batch → answers into this
// loop's buffers → one sendmmsg), and a task per TCP connection (length-prefixed queries
// answered in order, all replies to one read sent with one write).
#include "zp/dns/server.h"

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <thread>

#include "zp/codec/dns/text.h"
#include "zp/engine/idle_guard.h"
#include "zp/engine/listen.h"
#include "zp/engine/log.h"
#include "zp/engine/net.h"
#include "xfr_serve.h"

namespace zp::dns {

namespace {

void render_rrl_and_types(const std::vector<ShardCounters>& shards, std::string& out) {
  std::uint64_t dropped = 0, slipped = 0, types[kQtypeSlots] = {};
  for (const auto& s : shards) {
    dropped += s.rrl_dropped.load(std::memory_order_relaxed);
    slipped += s.rrl_slipped.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < kQtypeSlots; ++i) types[i] += s.qtype[i].load(std::memory_order_relaxed);
  }
  out += fmt::format("# TYPE zproto_dns_rrl_dropped_total counter\nzproto_dns_rrl_dropped_total {}\n", dropped);
  out += fmt::format("# TYPE zproto_dns_rrl_slipped_total counter\nzproto_dns_rrl_slipped_total {}\n", slipped);
  out += "# TYPE zproto_dns_queries_by_type_total counter\n";
  for (std::size_t i = 0; i < kQtypeSlots; ++i) {
    if (types[i] == 0) continue;
    std::string name = "other";
    if (i < std::size(kCountedQtypes)) {
      name.clear();
      codec::dns::type_to_text(kCountedQtypes[i], name);
    }
    out += fmt::format("zproto_dns_queries_by_type_total{{type=\"{}\"}} {}\n", name, types[i]);
  }
}

}  // namespace

std::string Metrics::render() const {
  std::uint64_t udp = 0, tcp = 0, trunc = 0, dropped = 0, conns = 0;
  std::uint64_t rcodes[17] = {};
  for (const auto& s : shards_) {
    udp += s.queries_udp.load(std::memory_order_relaxed);
    tcp += s.queries_tcp.load(std::memory_order_relaxed);
    trunc += s.truncated.load(std::memory_order_relaxed);
    dropped += s.dropped.load(std::memory_order_relaxed);
    conns += s.tcp_connections.load(std::memory_order_relaxed);
    for (int i = 0; i < 17; ++i) rcodes[i] += s.rcode[i].load(std::memory_order_relaxed);
  }
  static constexpr const char* kNames[17] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                             "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "RCODE11",
                                             "RCODE12", "RCODE13", "RCODE14", "RCODE15", "BADVERS"};
  std::string out;
  out += "# TYPE zproto_dns_queries_total counter\n";
  out += fmt::format("zproto_dns_queries_total{{transport=\"udp\"}} {}\n", udp);
  out += fmt::format("zproto_dns_queries_total{{transport=\"tcp\"}} {}\n", tcp);
  out += "# TYPE zproto_dns_responses_total counter\n";
  for (int i = 0; i < 17; ++i) {
    if (rcodes[i]) out += fmt::format("zproto_dns_responses_total{{rcode=\"{}\"}} {}\n", kNames[i], rcodes[i]);
  }
  out += fmt::format("# TYPE zproto_dns_truncated_total counter\nzproto_dns_truncated_total {}\n", trunc);
  out += fmt::format("# TYPE zproto_dns_dropped_total counter\nzproto_dns_dropped_total {}\n", dropped);
  out += fmt::format("# TYPE zproto_dns_tcp_connections_total counter\nzproto_dns_tcp_connections_total {}\n", conns);
  render_rrl_and_types(shards_, out);
  return out;
}

namespace {

// Zone files are read on a helper thread so a reload does not stall shard 0's queries. The
// thread is joined before the next reload starts and when the server's state goes away.
struct Reloader {
  std::thread thread;
  std::atomic<bool> busy{false};
  ~Reloader() {
    if (thread.joinable()) thread.join();
  }
  // `loaded(before)` runs on the helper thread after the load, with the set it replaced.
  void start(std::shared_ptr<ZoneStore> store, std::function<void(std::shared_ptr<const ZoneSet>)> loaded) {
    if (busy.load()) {
      ZP_LOG_WARN("dns: reload: the previous reload is still running");
      return;
    }
    if (thread.joinable()) thread.join();
    busy.store(true);
    thread = std::thread([this, store = std::move(store), loaded = std::move(loaded)] {
      std::shared_ptr<const ZoneSet> before = store->snapshot();
      const std::string errors = store->load();
      if (errors.empty()) {
        ZP_LOG_INFO("dns: zones reloaded");
      } else {
        ZP_LOG_ERROR("dns: reload: {}", errors.substr(0, errors.size() - 1));
      }
      if (loaded) loaded(std::move(before));
      busy.store(false);
    });
  }
};

struct ShardState {
  ServerOptions opts;
  std::shared_ptr<const ZoneSet> zones;
  std::uint64_t generation = ~std::uint64_t(0);
  Responder responder;
  ShardCounters local;  // when no Metrics table is given
  ShardCounters* counters = &local;
  std::vector<UdpSocket> udp;
  std::vector<Listener> tcp;
  std::vector<TaskHandle> udp_tasks;
  std::size_t connections = 0;
  std::size_t transfers = 0;  // AXFR/IXFR in progress on this shard
  std::vector<std::byte> tcp_scratch;
  std::unique_ptr<Reloader> reloader;
  std::unique_ptr<Rrl> rrl;  // set when options.rrl.responses_per_second > 0

  explicit ShardState(const ServerOptions& o)
      : opts(o), responder(AnswerOptions{.udp_payload_size = o.udp_payload_size}) {
    if (o.rrl.responses_per_second > 0) rrl = std::make_unique<Rrl>(o.rrl);
  }
  // Picks up a reloaded ZoneSet: one atomic load when nothing changed.
  void refresh() {
    const std::uint64_t g = opts.store->generation();
    if (g != generation) {
      zones = opts.store->snapshot();
      generation = g;
    }
  }
  // RRL's verdict on a UDP answer: false to drop it; a slipped answer is cut down in `slot`.
  bool rrl_allows(const SocketAddr& peer, AnswerResult& a, std::span<std::byte> slot) {
    switch (rrl->check(peer.sa(), a.kind, a.qtype, a.rrl_name, Shard::current()->now_ms())) {
      case RrlAction::send:
        return true;
      case RrlAction::slip:
        a.size = Rrl::slip_response(slot, a.size);
        ShardCounters::bump(counters->rrl_slipped);
        return true;
      case RrlAction::drop:
        break;
    }
    ShardCounters::bump(counters->rrl_dropped);
    return false;
  }
  void count(const AnswerResult& a) {
    if (a.size == 0) {
      ShardCounters::bump(counters->dropped);
      return;
    }
    ShardCounters::bump(counters->rcode[a.rcode < 16 ? a.rcode : 16]);
    if (a.qtype != 0) ShardCounters::bump(counters->qtype[qtype_slot(a.qtype)]);
    if (a.truncated) ShardCounters::bump(counters->truncated);
  }
};

constexpr std::size_t kUdpQueryBytes = 4096;

Task<void> udp_loop(std::shared_ptr<ShardState> st, UdpSocket* sock) {
  const std::size_t batch = st->opts.udp_batch ? std::min<std::size_t>(st->opts.udp_batch, 64) : 32;
  const std::size_t reply_bytes = std::max<std::size_t>(512, st->opts.udp_payload_size);
  std::vector<std::byte> rx(batch * kUdpQueryBytes), tx(batch * reply_bytes);
  std::vector<Datagram> in(batch), out(batch);
  for (std::size_t i = 0; i < batch; ++i) in[i].data = std::span<std::byte>(rx.data() + i * kUdpQueryBytes, kUdpQueryBytes);
  for (;;) {
    auto n = co_await sock->recv_batch(in);
    if (!n) {
      const int e = n.error().value();
      if (e == ECONNREFUSED || e == ENOMEM || e == ENOBUFS || e == EINTR || e == EHOSTUNREACH ||
          e == ENETUNREACH) {
        continue;  // an ICMP error queued by an earlier reply, memory pressure: keep serving
      }
      if (n.error() != std::errc::operation_canceled) {
        ZP_LOG_ERROR("dns: UDP on {}: {}", sock->local_addr().to_string(), n.error().message());
      }
      break;
    }
    st->refresh();
    std::size_t k = 0;
    for (std::size_t i = 0; i < *n; ++i) {
      std::span<std::byte> slot(tx.data() + k * reply_bytes, reply_bytes);
      AnswerResult a = st->responder.answer(st->zones.get(), in[i].data.first(in[i].size), slot, Transport::udp,
                                            in[i].peer.sa());
      st->count(a);
      if (a.size == 0) continue;
      if (st->rrl && !st->rrl_allows(in[i].peer, a, slot)) continue;
      out[k].peer = in[i].peer;
      out[k].data = slot;
      out[k].size = a.size;
      ++k;
    }
    ShardCounters::bump(st->counters->queries_udp, *n);
    if (k == 0) continue;
    auto s = co_await sock->send_batch(std::span<const Datagram>(out.data(), k));
    if (!s && s.error() == std::errc::operation_canceled) break;
  }
}

Task<void> tcp_connection(std::shared_ptr<ShardState> st, Stream s, TaskCtx* ctx) {
  ++st->connections;
  ShardCounters::bump(st->counters->tcp_connections);
  {
    IdleGuard idle(Shard::current(), ctx, st->opts.tcp_idle_timeout_ms);
    std::vector<std::byte> pending, out;
    for (;;) {
      // Not a conditional expression around co_await: GCC 12 destroys its temporaries twice.
      Result<RecvBuf> b = fail(EAGAIN);
      if (pending.empty()) b = co_await s.recv();
      else b = co_await s.recv_more();
      if (!b || b->eof()) break;
      idle.touch();
      st->refresh();
      std::span<const std::byte> data = b->bytes();
      if (!pending.empty()) {
        pending.insert(pending.end(), data.begin(), data.end());
        data = pending;
      }
      std::size_t pos = 0;
      bool bad = false;
      out.clear();
      while (data.size() - pos >= 2) {
        const std::size_t len = (std::size_t(data[pos]) << 8) | std::size_t(data[pos + 1]);
        if (len > st->opts.tcp_max_message_bytes) {
          bad = true;
          break;
        }
        if (data.size() - pos - 2 < len) break;
        if (is_transfer_query(data.subspan(pos + 2, len))) {
          // Replies to earlier queries go first; then the transfer, message by message.
          if (!out.empty()) {
            auto w = co_await s.send(out);
            out.clear();
            if (!w) {
              bad = true;
              break;
            }
          }
          std::vector<std::byte> q(data.begin() + std::ptrdiff_t(pos + 2), data.begin() + std::ptrdiff_t(pos + 2 + len));
          pos += 2 + len;
          ShardCounters::bump(st->counters->queries_tcp);
          const bool kept = co_await serve_transfer(s, st->zones, std::move(q), st->transfers, st->opts, idle);
          if (!kept) {
            bad = true;
            break;
          }
          continue;
        }
        AnswerResult a = st->responder.answer(st->zones.get(), data.subspan(pos + 2, len), st->tcp_scratch,
                                              Transport::tcp);
        ShardCounters::bump(st->counters->queries_tcp);
        st->count(a);
        pos += 2 + len;
        if (a.size == 0) continue;
        out.push_back(static_cast<std::byte>(a.size >> 8));
        out.push_back(static_cast<std::byte>(a.size & 0xFF));
        out.insert(out.end(), st->tcp_scratch.begin(), st->tcp_scratch.begin() + std::ptrdiff_t(a.size));
      }
      if (!bad) {
        if (data.data() == pending.data()) {
          pending.erase(pending.begin(), pending.begin() + std::ptrdiff_t(pos));
        } else {
          pending.assign(data.begin() + std::ptrdiff_t(pos), data.end());
        }
      }
      b->reset();
      if (!out.empty()) {
        auto w = co_await s.send(out);
        if (!w) break;
      }
      if (bad) break;
    }
  }
  --st->connections;
}

}  // namespace

Result<void> start(Shard& shard, const ServerOptions& options) {
  if (!options.store || !options.store->snapshot()) {
    ZP_LOG_ERROR("dns: no zones loaded");
    return fail(EINVAL);
  }
  auto st = std::make_shared<ShardState>(options);
  if (options.metrics && shard.id() < options.metrics->shards()) st->counters = &options.metrics->shard(shard.id());
  st->tcp_scratch.resize(65535);
  st->refresh();
  for (const auto& text : options.listen) {
    auto addr = SocketAddr::parse(text);
    if (!addr) {
      ZP_LOG_ERROR("dns: bad listen address '{}'", text);
      return addr.error();
    }
    if (options.udp) {
      auto u = UdpSocket::bind(shard, *addr);
      if (!u) {
        ZP_LOG_ERROR("dns: UDP on {}: {}", text, u.error().message());
        return u.error();
      }
      st->udp.push_back(std::move(*u));
    }
    if (options.tcp) {
      // Port 0 (tests): TCP takes the port UDP got.
      SocketAddr taddr = *addr;
      if (addr->port() == 0 && options.udp) taddr = st->udp.back().local_addr();
      auto l = Listener::bind(shard, taddr);
      if (!l) {
        ZP_LOG_ERROR("dns: TCP on {}: {}", text, l.error().message());
        return l.error();
      }
      st->tcp.push_back(std::move(*l));
    }
  }
  for (auto& u : st->udp) {
    if (shard.id() == 0) ZP_LOG_INFO("dns/udp: listening on {}", u.local_addr().to_string());
    auto h = shard.spawn(udp_loop(st, &u));
    if (!h) return h.error();
    st->udp_tasks.push_back(std::move(*h));
  }
  for (auto& l : st->tcp) {
    AcceptHandler h{.admit = [st] { return st->connections < st->opts.tcp_max_connections; },
                    .serve = [st](Stream s, TaskCtx* ctx) { return tcp_connection(st, std::move(s), ctx); }};
    if (auto r = start_accepting(shard, "dns/tcp", l, std::move(h)); !r) return r;
  }
  // UDP loops wait in recvmmsg's readiness poll, not as idle requests: end them at stop.
  std::weak_ptr<ShardState> weak = st;
  shard.on_stop([weak] {
    if (auto s = weak.lock()) {
      auto tasks = std::move(s->udp_tasks);
      for (auto& t : tasks) t.cancel();
    }
  });
  if (options.reload_on_signal && shard.id() == 0) {
    st->reloader = std::make_unique<Reloader>();
    Shard* sh = &shard;
    shard.on_reload([weak, sh] {
      auto s = weak.lock();
      if (!s) return;
      // NOTIFY (RFC 1996) from this shard for the zones whose serial grew.
      s->reloader->start(s->opts.store, [weak, sh](std::shared_ptr<const ZoneSet> before) {
        sh->post_external([weak, before = std::move(before)] {
          if (auto st = weak.lock()) notify_changed(before.get(), st->opts.store->snapshot(), st->opts.notify);
        });
      });
    });
  }
  return {};
}

}  // namespace zp::dns
