// The server: Maildirs made at creation, listeners per shard, counters as metrics.
#include "zp/smtp/server.h"

#include <fmt/format.h>
#include <unistd.h>

#include "server_state.h"
#include "zp/engine/listen.h"
#include "zp/engine/log.h"

namespace zp::smtp {

Result<std::shared_ptr<Server>> Server::create(ServerOptions opts, std::string* error) {
  std::shared_ptr<Server> s(new Server());
  s->hostname_ = opts.hostname;
  if (s->hostname_.empty()) {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) == 0) s->hostname_ = buf;
    if (s->hostname_.empty()) s->hostname_ = "localhost";
  }
  std::vector<std::string> dirs = opts.policy.maildirs();
  if (!opts.relay_queue.empty()) dirs.push_back(opts.relay_queue);
  for (const std::string& dir : dirs) {
    if (auto r = MaildirStore::create(dir); !r) {
      if (error) *error = "Maildir " + dir + ": " + r.error().message();
      return r.error();
    }
  }
  s->store_ = std::make_shared<MaildirStore>(s->hostname_);
  s->pool_ = std::make_shared<BlockingPool>(
      BlockingPoolOptions{.threads = opts.delivery_threads == 0 ? 1 : opts.delivery_threads, .max_queued = 4096});
  s->opts_ = std::move(opts);
  return s;
}

Result<void> Server::start(Shard& shard) {
  auto st = LocalRc<detail::ShardState>::make();
  st->server = shared_from_this();
  st->store = store_;
  st->pool = pool_;
  st->hostname = hostname_;
  if (!opts_.tls.certs.empty()) {
    auto ctx = tls::ServerContext::create(opts_.tls);
    if (!ctx) {
      ZP_LOG_ERROR("smtp: TLS: {}", ctx.error().message());
      return ctx.error();
    }
    st->tls = std::move(*ctx);
  } else if (!opts_.tls_listen.empty()) {
    ZP_LOG_ERROR("smtp: tls_listen needs a certificate");
    return fail(EINVAL);
  }
  auto plain = bind_listeners(shard, "smtp", opts_.listen);
  if (!plain) return plain.error();
  auto implicit = bind_listeners(shard, "smtps", opts_.tls_listen);
  if (!implicit) return implicit.error();
  const std::size_t n_plain = plain->size();
  for (auto& l : *plain) st->listeners.push_back(std::move(l));
  for (auto& l : *implicit) st->listeners.push_back(std::move(l));
  for (std::size_t i = 0; i < st->listeners.size(); ++i) {
    const bool tls = i >= n_plain;
    AcceptHandler h{.admit = [st] { return st->connections < st->server->opts_.max_connections; },
                    .serve = [st, tls](Stream s, TaskCtx*) { return detail::serve_session(st, std::move(s), tls); }};
    if (auto r = start_accepting(shard, tls ? "smtps" : "smtp", st->listeners[i], std::move(h)); !r) return r;
  }
  return {};
}

std::string Counters::render() const {
  std::string out;
  auto one = [&](const char* name, const char* type, const char* help, const std::atomic<std::uint64_t>& v) {
    out += fmt::format("# HELP zproto_smtp_{0} {1}\n# TYPE zproto_smtp_{0} {2}\nzproto_smtp_{0} {3}\n", name, help, type,
                       v.load(std::memory_order_relaxed));
  };
  one("sessions", "gauge", "Open SMTP sessions.", sessions);
  one("sessions_total", "counter", "SMTP sessions accepted.", sessions_total);
  one("messages_accepted_total", "counter", "Messages answered 250 after a durable delivery.", messages_accepted);
  one("bytes_accepted_total", "counter", "Octets of accepted messages as stored (trace headers included).",
      bytes_accepted);
  one("relay_denied_total", "counter", "Recipients refused with 554 5.7.1 relay access denied.", relay_denied);
  one("delivery_failures_total", "counter", "Deliveries the store failed (answered 451).", delivery_failures);
  one("tls_handshakes_total", "counter", "TLS handshakes done (STARTTLS and implicit TLS).", tls_handshakes);
  one("tls_failures_total", "counter", "TLS handshakes failed.", tls_failures);
  one("timeouts_total", "counter", "Sessions closed with 421 after a timeout.", timeouts);
  one("auth_successes_total", "counter", "AUTH exchanges answered 235.", auth_successes);
  one("auth_failures_total", "counter", "AUTH exchanges answered 535 (bad credentials).", auth_failures);
  one("messages_relayed_total", "counter", "Accepted messages with relayed recipients (in the relay queue).",
      messages_relayed);
  out += "# HELP zproto_smtp_refusals_total Replies 4xx/5xx by code.\n# TYPE zproto_smtp_refusals_total counter\n";
  for (unsigned i = 0; i < 200; ++i) {
    const std::uint64_t v = refusals[i].load(std::memory_order_relaxed);
    if (v != 0) out += fmt::format("zproto_smtp_refusals_total{{code=\"{}\"}} {}\n", 400 + i, v);
  }
  return out;
}

}  // namespace zp::smtp
