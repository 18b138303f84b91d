// The connection loop: the Session's actions over a Stream (reads with the RFC 5321 timeouts,
// batched replies, delivery on the BlockingPool, STARTTLS), and the listeners.
#include <unistd.h>

#include <chrono>

#include "server_state.h"
#include "session.h"
#include "zp/engine/listen.h"
#include "zp/engine/log.h"

namespace zp::smtp::detail {

namespace {

Task<Result<RecvBuf>> recv_once(Stream& s, bool idle) {
  if (idle) co_return co_await s.recv();
  co_return co_await s.recv_more();
}

Task<bool> send_out(Stream& s, std::string& out) {
  if (out.empty()) co_return true;
  auto w = co_await s.send(std::as_bytes(std::span<const char>(out.data(), out.size())));
  out.clear();
  co_return w.ok();
}

}  // namespace

Task<void> serve_session(LocalRc<ShardState> st, Stream s, bool implicit_tls) {
  Server& srv = *st->server;
  Counters& c = srv.counters();
  c.sessions.fetch_add(1, std::memory_order_relaxed);
  c.sessions_total.fetch_add(1, std::memory_order_relaxed);
  ++st->connections;
  bool ok = true;
  if (implicit_tls) {
    auto hs = co_await tls::accept(s, st->tls);
    if (hs) {
      c.tls_handshakes.fetch_add(1, std::memory_order_relaxed);
    } else {
      c.tls_failures.fetch_add(1, std::memory_order_relaxed);
      ZP_LOG_DEBUG("smtps: TLS handshake failed: {}", hs.error().message());
      ok = false;
    }
  }
  if (ok) {
    const auto peer = s.peer_addr();
    Session sess(srv.options(), st->hostname, c, peer ? *peer : SocketAddr{}, st->tls != nullptr, implicit_tls);
    sess.greet();
    const auto& lim = srv.options().limits;
    for (;;) {
      const Action a = sess.run();
      if (a == Action::deliver) {
        std::shared_ptr<Job> job = sess.take_job();
        const std::size_t bytes = job->head.size() + job->body.size();
        auto deliver = [store = st->store, job] { return deliver_job(*store, *job); };
        Result<void> r = co_await run_blocking(*st->pool, std::move(deliver));
        sess.delivered(r, bytes);
        continue;
      }
      if (a == Action::authenticate) {
        // PBKDF2 takes a while by design: on the pool, never on the shard.
        std::shared_ptr<Credentials> cr = sess.take_credentials();
        auto check = [pw = srv.options().passwords, cr] {
          return Result<bool>(pw->check(cr->user, std::as_bytes(std::span<const char>(cr->password))));
        };
        Result<bool> ok = co_await run_blocking(*st->pool, std::move(check));
        if (ok && !*ok && lim.auth_failure_delay_ms > 0) {
          // A guesser waits for each wrong answer (like postfix's error sleep).
          Result<void> slept = co_await sleep(std::chrono::milliseconds(lim.auth_failure_delay_ms));
          if (!slept) break;  // cancelled: the shard stops
        }
        sess.authenticated(ok);
        continue;
      }
      if (!co_await send_out(s, sess.out)) break;
      if (a == Action::close) break;
      if (a == Action::flush) continue;
      if (a == Action::starttls) {
        // Plaintext pipelined behind STARTTLS is dropped, never run inside TLS (CVE-2011-0411).
        sess.in.clear();
        auto hs = co_await tls::starttls_server(s, st->tls);
        if (!hs) {
          c.tls_failures.fetch_add(1, std::memory_order_relaxed);
          ZP_LOG_DEBUG("smtp: STARTTLS handshake failed: {}", hs.error().message());
          break;
        }
        c.tls_handshakes.fetch_add(1, std::memory_order_relaxed);
        sess.tls_started();
        continue;
      }
      const bool mid = sess.in_message();
      const std::chrono::milliseconds limit(mid ? lim.data_timeout_ms : lim.command_timeout_ms);
      auto got = co_await with_timeout(limit, recv_once(s, !mid));
      if (!got) {
        if (got.error() == std::errc::timed_out) {
          sess.timed_out();
          (void)co_await send_out(s, sess.out);
        }
        break;
      }
      if (got->eof()) break;
      sess.in.append(got->text());
    }
  }
  --st->connections;
  c.sessions.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace zp::smtp::detail
