// The client's session: the primitive steps, then connect (greeting, EHLO/HELO, STARTTLS,
// AUTH) to a smarthost or through the MX hosts, QUIT and NOOP.
#include <algorithm>
#include <chrono>
#include <utility>

#include "client_auth.h"
#include "client_impl.h"
#include "client_route.h"
#include "zp/codec/smtp/reply.h"
#include "zp/smtp/client.h"

namespace zp::smtp {

namespace detail {

namespace cs = zp::codec::smtp;
using std::chrono::milliseconds;

namespace {

Task<Result<std::size_t>> send_all(Stream* s, const std::string* data) {
  co_return co_await s->send(std::as_bytes(std::span<const char>(data->data(), data->size())));
}

// One reply from c->in, reading more while it is incomplete.
Task<Result<Reply>> read_reply_raw(ClientImpl* c) {
  std::vector<std::string_view> views(c->opts.reply_limits.max_lines);
  for (;;) {
    cs::Reply rep;
    const auto r = cs::parse_reply(c->in, c->opts.reply_limits, rep, views);
    if (r.status == cs::Status::error) co_return make_error_code(ClientErrc::protocol_error);
    if (r.status == cs::Status::ok) {
      Reply out;
      out.code = rep.code;
      if (rep.enhanced)
        out.enhanced = std::to_string(rep.enhanced.cls) + "." + std::to_string(rep.enhanced.subject) + "." +
                       std::to_string(rep.enhanced.detail);
      c->lines.clear();
      for (std::size_t i = 0; i < rep.lines.size(); ++i) {
        if (i) out.text += '\n';
        out.text += rep.text(i);
        c->lines.emplace_back(rep.lines[i]);
      }
      c->in.erase(0, r.consumed);
      co_return out;
    }
    auto got = co_await c->stream.recv_more();
    if (!got) co_return got.error();
    if (got->eof()) co_return make_error_code(ClientErrc::connection_closed);
    c->in.append(got->text());
  }
}

}  // namespace

Task<Result<void>> write(ClientImpl* c, const std::string* data, std::int64_t timeout_ms) {
  if (!c->open) co_return make_error_code(ClientErrc::not_connected);
  auto t = send_all(&c->stream, data);
  auto r = co_await with_timeout(milliseconds(timeout_ms), std::move(t));
  if (!r) {
    c->close();
    co_return r.error();
  }
  co_return Result<void>{};
}

Task<Result<Reply>> read_reply(ClientImpl* c, std::int64_t timeout_ms) {
  if (!c->open) co_return make_error_code(ClientErrc::not_connected);
  auto t = read_reply_raw(c);
  auto r = co_await with_timeout(milliseconds(timeout_ms), std::move(t));
  if (!r) {
    c->close();
    co_return r.error();
  }
  c->last = *r;
  // 421: the server is closing the channel (RFC 5321 3.8), whatever the command was.
  if (r->code == 421) c->close();
  co_return r;
}

Task<Result<Reply>> command(ClientImpl* c, std::string line, std::int64_t timeout_ms) {
  line += "\r\n";
  auto w = co_await write(c, &line, timeout_ms);
  if (!w) co_return w.error();
  co_return co_await read_reply(c, timeout_ms);
}

Task<void> quit_quietly(ClientImpl* c) {
  if (c->open) {
    const std::string line = "QUIT";
    (void)co_await command(c, line, std::min<std::int64_t>(5000, c->opts.timeouts.command_ms));
  }
  c->close();
}

namespace {

bool has_ctl(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos; }

// EHLO (HELO after a 5xx): the extensions into c->info.
Task<Result<void>> hello(ClientImpl* c) {
  const std::string ehlo = "EHLO " + c->opts.helo_name;
  auto r = co_await command(c, ehlo, c->opts.timeouts.command_ms);
  if (!r) co_return r.error();
  SessionInfo& i = c->info;
  if (r->code == 250) {
    std::vector<std::string_view> views(c->lines.begin(), c->lines.end());
    cs::Reply rep;
    rep.code = 250;
    rep.lines = views;
    const cs::Extensions ext = cs::parse_ehlo(rep);
    i.esmtp = true;
    i.pipelining = ext.pipelining;
    i.size = ext.size;
    i.max_size = ext.max_size;
    i.eight_bit_mime = ext.eight_bit_mime;
    i.smtputf8 = ext.smtputf8;
    if (!i.tls) i.starttls = ext.starttls;
    i.auth = std::string(ext.auth);
    co_return Result<void>{};
  }
  if (r->code < 500 || !c->open) co_return reply_error(r->code);
  const std::string helo = "HELO " + c->opts.helo_name;
  auto h = co_await command(c, helo, c->opts.timeouts.command_ms);
  if (!h) co_return h.error();
  if (h->code != 250) co_return reply_error(h->code);
  i.esmtp = false;
  i.pipelining = i.size = i.eight_bit_mime = i.smtputf8 = i.starttls = false;
  i.max_size = 0;
  i.auth.clear();
  co_return Result<void>{};
}

// STARTTLS per the policy; EHLO again after the handshake (RFC 3207 4.2).
Task<Result<void>> starttls(ClientImpl* c) {
  const TlsMode mode = c->opts.tls;
  if (mode == TlsMode::off || mode == TlsMode::implicit || c->info.tls) co_return Result<void>{};
  if (!c->info.starttls) {
    if (mode == TlsMode::required) co_return make_error_code(ClientErrc::starttls_unavailable);
    co_return Result<void>{};
  }
  const std::string line = "STARTTLS";
  auto r = co_await command(c, line, c->opts.timeouts.command_ms);
  if (!r) co_return r.error();
  if (r->code != 220) {
    if (mode == TlsMode::required || !c->open) co_return make_error_code(ClientErrc::starttls_refused);
    co_return Result<void>{};
  }
  // Anything the server sent after its 220 came in plaintext: never read it as if it came
  // over TLS (the STARTTLS response injection, CVE-2020-15953/14954).
  c->in.clear();
  auto t = co_await tls::starttls_client(c->stream, c->tls_ctx, c->server_name);
  if (!t) {
    c->close();
    co_return t.error();
  }
  c->info.tls = true;
  c->info.tls_version = t->version;
  co_return co_await hello(c);
}

// One SASL exchange; 235 is success.
Task<Result<void>> authenticate(ClientImpl* c) {
  const Credentials& cr = *c->opts.auth;
  if (has_ctl(cr.user) || has_ctl(cr.password) || has_ctl(cr.oauth_token))
    co_return make_error_code(ClientErrc::bad_input);
  if (!c->info.tls && !cr.allow_plaintext) co_return make_error_code(ClientErrc::auth_needs_tls);
  const AuthMechanism m = choose_mechanism(cr, c->info.auth, c->info.tls);
  if (m == AuthMechanism::automatic) co_return make_error_code(ClientErrc::auth_unavailable);
  const std::int64_t ms = c->opts.timeouts.command_ms;
  const std::string name(mechanism_name(m));
  Result<Reply> r = make_error_code(ClientErrc::auth_failed);
  if (m == AuthMechanism::plain) {
    auto ir = plain_response(cr.user, cr.password);
    if (!ir) co_return ir.error();
    // SASL-IR (RFC 4954 4) when the line stays within 512 octets.
    const std::string with_ir = "AUTH PLAIN " + *ir;
    if (with_ir.size() + 2 <= 512) {
      r = co_await command(c, with_ir, ms);
    } else {
      const std::string bare = "AUTH PLAIN";
      r = co_await command(c, bare, ms);
      if (r && r->code == 334) r = co_await command(c, *ir, ms);
    }
  } else if (m == AuthMechanism::login) {
    const std::string start = "AUTH LOGIN";
    r = co_await command(c, start, ms);
    if (r && r->code == 334) {
      const std::string user = base64(cr.user);
      r = co_await command(c, user, ms);
    }
    if (r && r->code == 334) {
      const std::string pass = base64(cr.password);
      r = co_await command(c, pass, ms);
    }
  } else if (m == AuthMechanism::cram_md5) {
    const std::string start = "AUTH CRAM-MD5";
    r = co_await command(c, start, ms);
    if (r && r->code == 334) {
      const std::string challenge = c->lines.empty() ? std::string() : c->lines[0];
      auto answer = cram_md5_response(cr.user, cr.password, challenge);
      if (!answer) {
        const std::string cancel = "*";
        (void)co_await command(c, cancel, ms);
        co_return answer.error();
      }
      r = co_await command(c, *answer, ms);
    }
  } else {
    const std::string start = "AUTH XOAUTH2 " + xoauth2_response(cr.user, cr.oauth_token);
    r = co_await command(c, start, ms);
    // A 334 carries the error as JSON; an empty line asks for the final 535.
    const std::string empty;
    if (r && r->code == 334) r = co_await command(c, empty, ms);
  }
  if (!r) co_return r.error();
  if (r->code != 235) {
    if (r->code == 334) {
      const std::string cancel = "*";
      (void)co_await command(c, cancel, ms);
    }
    if (r->code == 421) co_return reply_error(421);
    co_return make_error_code(ClientErrc::auth_failed);
  }
  c->info.authenticated = true;
  c->info.mechanism = name;
  co_return Result<void>{};
}

// Greeting to AUTH on a connected stream.
Task<Result<void>> start_session(ClientImpl* c) {
  if (c->opts.tls == TlsMode::implicit) {
    auto t = co_await tls::connect(c->stream, c->tls_ctx, c->server_name);
    if (!t) {
      c->close();
      co_return t.error();
    }
    c->info.tls = true;
    c->info.tls_version = t->version;
  }
  auto g = co_await read_reply(c, c->opts.timeouts.greeting_ms);
  if (!g) co_return g.error();
  c->info.greeting = *g;
  if (g->code != 220) {
    co_await quit_quietly(c);
    co_return reply_error(g->code);
  }
  auto h = co_await hello(c);
  if (!h) {
    co_await quit_quietly(c);
    co_return h.error();
  }
  auto s = co_await starttls(c);
  if (!s) {
    co_await quit_quietly(c);
    co_return s.error();
  }
  if (c->opts.auth) {
    auto a = co_await authenticate(c);
    if (!a) {
      co_await quit_quietly(c);
      co_return a.error();
    }
  }
  co_return Result<void>{};
}

Task<Result<Stream>> connect_stream(SocketAddr addr, std::int64_t timeout_ms) {
  auto t = Stream::connect(addr);
  co_return co_await with_timeout(milliseconds(timeout_ms), std::move(t));
}

}  // namespace

// A session on `addr` for `host` (the TLS name).
Task<Result<std::unique_ptr<ClientImpl>>> open_session(SocketAddr addr, std::string host, const ClientOptions* opts,
                                                       std::shared_ptr<tls::ClientContext> ctx) {
  auto impl = std::make_unique<ClientImpl>();
  impl->opts = *opts;
  impl->tls_ctx = std::move(ctx);
  impl->server_name = opts->tls_server_name.empty() ? host : opts->tls_server_name;
  impl->info.server = std::move(host);
  impl->info.addr = addr;
  auto s = co_await connect_stream(addr, opts->timeouts.connect_ms);
  if (!s) co_return s.error();
  impl->stream = std::move(*s);
  impl->open = true;
  auto r = co_await start_session(impl.get());
  if (!r) co_return r.error();
  co_return std::move(impl);
}

// The TLS context the options ask for (none with TlsMode::off).
Result<std::shared_ptr<tls::ClientContext>> tls_context(const ClientOptions& o) {
  if (o.tls == TlsMode::off) return std::shared_ptr<tls::ClientContext>();
  return tls::ClientContext::create(o.tls_config);
}

Result<void> check_options(const ClientOptions& o) {
  if (o.helo_name.empty() || has_ctl(o.helo_name) || o.helo_name.find(' ') != std::string::npos)
    return make_error_code(ClientErrc::bad_input);
  if (o.reply_limits.max_lines == 0 || o.block_bytes == 0) return fail(EINVAL);
  return {};
}

// Each address of `host` in turn while the failure is worth the next one.
Task<Result<std::unique_ptr<ClientImpl>>> try_addresses(std::vector<SocketAddr> addrs, std::string host,
                                                        const ClientOptions* opts,
                                                        std::shared_ptr<tls::ClientContext> ctx) {
  Error last = make_error_code(ClientErrc::host_not_found);
  for (const SocketAddr& a : addrs) {
    auto s = co_await open_session(a, host, opts, ctx);
    if (s) co_return std::move(s);
    last = s.error();
    if (!try_next(last)) break;
  }
  co_return last;
}

}  // namespace detail

Client::Client(std::unique_ptr<detail::ClientImpl> impl) : impl_(std::move(impl)) {}
Client::Client(Client&& o) noexcept = default;
Client& Client::operator=(Client&& o) noexcept = default;
Client::~Client() = default;

Task<Result<Client>> Client::connect(SocketAddr addr, ClientOptions options) {
  if (auto ok = detail::check_options(options); !ok) co_return ok.error();
  auto ctx = detail::tls_context(options);
  if (!ctx) co_return ctx.error();
  std::string host = addr.to_string();
  const std::size_t colon = host.rfind(':');
  if (colon != std::string::npos) host.resize(colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  auto s = co_await detail::open_session(addr, std::move(host), &options, *ctx);
  if (!s) co_return s.error();
  co_return Client(std::move(*s));
}

Task<Result<Client>> Client::connect(std::string host_port, ClientOptions options) {
  if (auto ok = detail::check_options(options); !ok) co_return ok.error();
  auto hp = dns::split_host_port(host_port);
  if (!hp) co_return make_error_code(ClientErrc::bad_address);
  auto ctx = detail::tls_context(options);
  if (!ctx) co_return ctx.error();
  dns::Resolver resolver(*Shard::current(), options.resolver);
  auto addrs = co_await detail::resolve_host(resolver, hp->host, hp->port);
  if (!addrs) co_return addrs.error();
  auto s = co_await detail::try_addresses(std::move(*addrs), hp->host, &options, *ctx);
  if (!s) co_return s.error();
  co_return Client(std::move(*s));
}

Task<Result<Client>> Client::connect_mx(std::string domain, ClientOptions options) {
  if (auto ok = detail::check_options(options); !ok) co_return ok.error();
  auto ctx = detail::tls_context(options);
  if (!ctx) co_return ctx.error();
  dns::Resolver resolver(*Shard::current(), options.resolver);
  auto hosts = co_await detail::mail_hosts(resolver, domain, options.max_mx_hosts);
  if (!hosts) co_return hosts.error();
  Error last = make_error_code(ClientErrc::host_not_found);
  for (const std::string& host : *hosts) {
    auto addrs = co_await detail::resolve_host(resolver, host, options.mx_port);
    if (!addrs) {
      // A mail host without an address is skipped (RFC 5321 5.1); the others may answer.
      last = addrs.error();
      if (last == std::errc::operation_canceled) break;
      continue;
    }
    auto s = co_await detail::try_addresses(std::move(*addrs), host, &options, *ctx);
    if (s) co_return Client(std::move(*s));
    last = s.error();
    if (!detail::try_next(last)) break;
  }
  co_return last;
}

Task<Result<void>> Client::quit() {
  if (!impl_ || !impl_->open) co_return make_error_code(ClientErrc::not_connected);
  const std::string line = "QUIT";
  auto r = co_await detail::command(impl_.get(), line, impl_->opts.timeouts.command_ms);
  impl_->close();
  if (!r) co_return r.error();
  if (r->code != 221) co_return reply_error(r->code);
  co_return Result<void>{};
}

Task<Result<Reply>> Client::noop() {
  if (!impl_ || !impl_->open) co_return make_error_code(ClientErrc::not_connected);
  const std::string line = "NOOP";
  co_return co_await detail::command(impl_.get(), line, impl_->opts.timeouts.command_ms);
}

bool Client::connected() const { return impl_ && impl_->open; }
const SessionInfo& Client::info() const { return impl_->info; }
const Reply& Client::last_reply() const { return impl_->last; }
const SendResult& Client::last_send() const { return impl_->last_send; }
std::uint64_t Client::messages_sent() const { return impl_ ? impl_->sent : 0; }

}  // namespace zp::smtp
