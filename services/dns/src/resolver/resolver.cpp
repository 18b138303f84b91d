// Resolver: configuration, search list, cache, coalescing of identical queries in flight
// (one spawned task per distinct question; every caller waits on it), lookup_host.
#include "zp/dns/resolver.h"

#include <algorithm>
#include <coroutine>
#include <unordered_map>

#include "zp/codec/dns/message.h"

namespace zp::dns {

namespace cd = codec::dns;

namespace {

std::string lower_fqdn(std::string_view name) {
  std::string s(name);
  for (auto& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  if (s.empty() || s.back() != '.') s.push_back('.');
  return s;
}

bool valid_query_name(std::string_view name) {
  if (name.empty() || name.size() > 254) return false;
  if (name == ".") return true;
  std::byte out[cd::max_name_bytes];
  static constexpr std::byte root[1] = {std::byte{0}};
  return bool(cd::name_from_text(name, root, out));
}

}  // namespace

std::vector<std::string> search_names(std::string_view name, const ResolvConf& conf) {
  std::vector<std::string> out;
  if (name.empty()) return out;
  if (name.back() == '.') {
    out.emplace_back(name);
    return out;
  }
  const auto dots = static_cast<unsigned>(std::count(name.begin(), name.end(), '.'));
  const std::string as_is = std::string(name) + ".";
  if (dots >= conf.ndots) out.push_back(as_is);
  for (const auto& s : conf.search) {
    std::string c = std::string(name) + "." + s + ".";
    if (c.size() <= 254) out.push_back(std::move(c));
  }
  if (dots < conf.ndots) out.push_back(as_is);
  return out;
}

struct Flight;

// A caller waiting for a flight; cancellable (its cancel hook unlinks it).
struct FlightWait {
  Flight* f = nullptr;
  Shard* shard = nullptr;
  TaskCtx* ctx = nullptr;
  std::coroutine_handle<> h;
  bool cancelled = false;
  bool await_ready() noexcept;
  template <class P>
  bool await_suspend(std::coroutine_handle<P> hh) {
    ctx = hh.promise().ctx;
    return suspend(hh);
  }
  bool suspend(std::coroutine_handle<> hh);
  Result<Answer> await_resume();
};

struct Flight {
  std::string key;
  std::string fqdn;
  std::uint16_t type = 0;
  std::optional<Result<Answer>> result;
  std::vector<FlightWait*> waiters;
  TaskCtx* ctx = nullptr;  // the flight task's, while it runs

  void finish(Result<Answer> r) {
    result.emplace(std::move(r));
    for (FlightWait* w : std::exchange(waiters, {})) {
      if (w->ctx && w->ctx->cancel_arg == w) w->ctx->cancel_hook = nullptr;
      w->shard->schedule(w->h);
    }
  }
};

bool FlightWait::await_ready() noexcept { return f->result.has_value(); }

bool FlightWait::suspend(std::coroutine_handle<> hh) {
  if (ctx && ctx->cancelled) {
    cancelled = true;
    return false;
  }
  h = hh;
  f->waiters.push_back(this);
  if (ctx) {
    ctx->cancel_hook = [](void* a) {
      auto* w = static_cast<FlightWait*>(a);
      w->cancelled = true;
      std::erase(w->f->waiters, w);
      w->shard->schedule(w->h);
    };
    ctx->cancel_arg = this;
  }
  return true;
}

Result<Answer> FlightWait::await_resume() {
  if (ctx && ctx->cancel_arg == this) ctx->cancel_hook = nullptr;
  if (cancelled) return fail(ECANCELED);
  return *f->result;
}

struct Resolver::Impl {
  Shard& shard;
  ResolverOptions opts;
  ResolvConf conf;
  Hosts hosts;
  Error config_error{};
  ResolverCache cache;
  TransportState transport;
  ResolverStats stats;
  std::unordered_map<std::string, std::shared_ptr<Flight>> inflight;

  Impl(Shard& s, ResolverOptions o) : shard(s), opts(std::move(o)), cache(opts.cache) {
    transport.max_socket_uses = std::max<std::uint32_t>(1, opts.max_socket_uses);
    if (opts.config) {
      conf = *opts.config;
    } else {
      auto c = load_resolv_conf(opts.resolv_conf_path, opts.resolv_conf_limits);
      if (c) conf = std::move(*c);
      else config_error = c.error();
    }
    if (opts.use_hosts) {
      if (opts.hosts) {
        hosts = *opts.hosts;
      } else {
        auto h = load_hosts(opts.hosts_path, opts.hosts_limits);
        if (h) hosts = std::move(*h);
        else config_error = h.error();
      }
    }
  }

  ExchangeOptions exchange_options() const {
    ExchangeOptions x;
    x.timeout_ms = conf.timeout_ms;
    x.max_timeout_ms = opts.max_timeout_ms;
    x.attempts = conf.attempts;
    x.edns = opts.edns;
    x.udp_payload = opts.udp_payload;
    return x;
  }

  // A flight for (fqdn, type): completed at once from the cache or an error, joined when
  // the same question is already on the wire, else started.
  std::shared_ptr<Flight> start(std::shared_ptr<Impl> self, std::string fqdn, std::uint16_t type) {
    ++stats.queries;
    auto f = std::make_shared<Flight>();
    f->type = type;
    if (config_error) {
      f->result.emplace(config_error);
      return f;
    }
    if (!valid_query_name(fqdn)) {
      f->result.emplace(make_error_code(ResolverErrc::bad_name));
      return f;
    }
    f->fqdn = lower_fqdn(fqdn);
    // RFC 6761 §6.4: names under "invalid." never exist; no packet for them.
    if (f->fqdn == "invalid." || f->fqdn.ends_with(".invalid.")) {
      f->result.emplace(make_error_code(ResolverErrc::nxdomain));
      return f;
    }
    if (auto hit = cache.get(f->fqdn, type, shard.now_ms())) {
      ++stats.cache_hits;
      if (hit->status == ResolverErrc::ok) f->result.emplace(std::move(hit->answer));
      else f->result.emplace(make_error_code(hit->status));
      return f;
    }
    f->key = f->fqdn + "/" + std::to_string(type);
    if (auto it = inflight.find(f->key); it != inflight.end()) {
      ++stats.coalesced;
      return it->second;
    }
    if (inflight.size() >= opts.max_inflight) {
      f->result.emplace(make_error_code(ResolverErrc::too_many_queries));
      return f;
    }
    inflight.emplace(f->key, f);
    ++stats.sent;
    auto h = shard.spawn(run(std::move(self), f));
    if (!h) {
      inflight.erase(f->key);
      f->finish(h.error());
    }
    return f;
  }

  static Task<void> run(std::shared_ptr<Impl> self, std::shared_ptr<Flight> f) {
    f->ctx = co_await CurrentCtx{};
    auto reply = co_await exchange(self->conf.servers, f->fqdn, f->type, self->exchange_options(), &self->transport,
                                   self->conf.rotate);
    f->ctx = nullptr;
    Result<Answer> out = fail(ECANCELED);
    if (!reply) {
      out = reply.error();
    } else {
      std::vector<cd::Record> storage(1024);
      cd::Message m;
      auto p = cd::parse_message(reply->wire, m, storage);
      if (!p.ok() || m.question.size() != 1) {
        out = make_error_code(m.question.empty() && p.ok() ? ResolverErrc::not_implemented : ResolverErrc::malformed_reply);
      } else {
        auto in = interpret_reply(m, m.question[0].owner, f->type, InterpretLimits{self->opts.max_cname_chain});
        const auto now = self->shard.now_ms();
        if (in.status == ResolverErrc::ok) {
          in.answer.qname = f->fqdn;  // the cache key's spelling
          self->cache.put(in.answer, now);
          out = std::move(in.answer);
        } else {
          self->cache.put_negative(f->fqdn, f->type, in.status, in.negative_ttl, now);
          out = make_error_code(in.status);
        }
      }
    }
    self->inflight.erase(f->key);
    f->finish(std::move(out));
  }

  static Task<Result<Answer>> wait(std::shared_ptr<Flight> f, Shard* shard) {
    FlightWait w;
    w.f = f.get();
    w.shard = shard;
    co_return co_await w;
  }
};

Resolver::Resolver(Shard& shard, ResolverOptions options) : impl_(std::make_shared<Impl>(shard, std::move(options))) {}

Resolver::~Resolver() {
  // The flight tasks own the Impl too; cancelling them ends their waits with ECANCELED.
  std::vector<TaskCtx*> ctxs;
  for (auto& [k, f] : impl_->inflight)
    if (f->ctx) ctxs.push_back(f->ctx);
  for (auto* c : ctxs) c->cancel();
}

Task<Result<Answer>> Resolver::query_exact(std::string name, std::uint16_t type) {
  auto f = impl_->start(impl_, std::move(name), type);
  co_return co_await Impl::wait(std::move(f), &impl_->shard);
}

Task<Result<Answer>> Resolver::query(std::string name, std::uint16_t type) {
  if (!valid_query_name(name)) co_return make_error_code(ResolverErrc::bad_name);
  const auto names = search_names(name, impl_->conf);
  Error negative = make_error_code(ResolverErrc::nxdomain);
  for (const auto& n : names) {
    auto r = co_await query_exact(n, type);
    if (r) co_return r;
    if (r.error() == ResolverErrc::nodata) negative = r.error();
    else if (r.error() != ResolverErrc::nxdomain) co_return r.error();
  }
  co_return negative;
}

Task<Result<std::vector<IpAddress>>> Resolver::lookup_host(std::string name) {
  std::string_view literal = name;
  if (literal.size() > 2 && literal.front() == '[' && literal.back() == ']') literal = literal.substr(1, literal.size() - 2);
  if (auto ip = IpAddress::parse(literal)) co_return std::vector<IpAddress>{*ip};
  if (impl_->opts.use_hosts) {
    auto h = impl_->hosts.lookup(name);
    if (!h.empty()) {
      ++impl_->stats.hosts_hits;
      std::vector<IpAddress> out(h.begin(), h.end());
      std::stable_partition(out.begin(), out.end(), [](const IpAddress& a) { return a.family == AF_INET6; });
      co_return out;
    }
  }
  if (!is_host_name(name)) co_return make_error_code(ResolverErrc::bad_name);
  {
    // RFC 6761 §6.3: localhost is the loopback, whatever the hosts file says.
    std::string l = lower_fqdn(name);
    if (l == "localhost." || (l.size() > 11 && l.ends_with(".localhost."))) {
      IpAddress v6, v4;
      v6.family = AF_INET6;
      v6.bytes[15] = 1;
      v4 = IpAddress::v4({127, 0, 0, 1});
      co_return std::vector<IpAddress>{v6, v4};
    }
  }
  Error negative = make_error_code(ResolverErrc::nxdomain);
  for (const auto& n : search_names(name, impl_->conf)) {
    // Both questions go out before either is awaited: A and AAAA in parallel.
    auto f6 = impl_->start(impl_, n, cd::rrtype::aaaa);
    auto f4 = impl_->start(impl_, n, cd::rrtype::a);
    auto r6 = co_await Impl::wait(std::move(f6), &impl_->shard);
    auto r4 = co_await Impl::wait(std::move(f4), &impl_->shard);
    std::vector<IpAddress> out;
    if (r6) out = r6->addresses();
    if (r4)
      for (auto& a : r4->addresses()) out.push_back(a);
    if (!out.empty()) co_return out;
    for (const auto* r : {&r6, &r4}) {
      if (*r) continue;
      const Error e = r->error();
      if (e == std::errc::operation_canceled) co_return e;
      if (e == ResolverErrc::nodata) negative = e;
      else if (e != ResolverErrc::nxdomain) co_return e;
    }
  }
  co_return negative;
}

Task<Result<std::vector<std::string>>> Resolver::reverse(IpAddress addr) {
  auto r = co_await query_exact(reverse_name(addr), cd::rrtype::ptr);
  if (!r) co_return r.error();
  std::vector<std::string> out;
  for (const auto& rr : r->records)
    if (auto* n = std::get_if<NameData>(&rr.data)) out.push_back(n->target);
  co_return out;
}

const ResolvConf& Resolver::config() const { return impl_->conf; }
ResolverStats Resolver::stats() const { return impl_->stats; }
CacheStats Resolver::cache_stats() const { return impl_->cache.stats(); }
Error Resolver::config_error() const { return impl_->config_error; }

std::string reverse_name(const IpAddress& addr) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  if (addr.family == AF_INET) {
    for (int i = 3; i >= 0; --i) s += std::to_string(addr.bytes[static_cast<std::size_t>(i)]) + ".";
    return s + "in-addr.arpa.";
  }
  for (int i = 15; i >= 0; --i) {
    const auto b = addr.bytes[static_cast<std::size_t>(i)];
    s += hex[b & 0xF];
    s += '.';
    s += hex[b >> 4];
    s += '.';
  }
  return s + "ip6.arpa.";
}

}  // namespace zp::dns
