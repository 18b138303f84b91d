// The TLS stream layer: wolfSSL reads records from the bytes the stream received (custom
// I/O callbacks over memory) and writes records into `out`, which goes out through the
// stream's own send. The handshake, record reads and writes never block: wolfSSL says
// WANT_READ, we await the stream's next receive and call again.
#include <arpa/inet.h>
#include <sys/socket.h>
#include <wolfssl/options.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "internal.h"
#include "zp/engine/log.h"
#include "zp/engine/shard.h"

namespace zp::tls {

namespace {

constexpr size_t kMaxHelloBytes = 5 + 16384 + 2048;  // one record (+ the expansion TLS allows)
constexpr size_t kSendFlushBytes = 64 * 1024;         // encrypt this much, then send it

class Layer final : public StreamLayer {
 public:
  Layer(ContextImpl* c, std::shared_ptr<void> keep, WOLFSSL* s) : ctx_(c), keep_(std::move(keep)), ssl_(s) {
    wolfSSL_SSLSetIORecv(ssl_, &Layer::io_recv);
    wolfSSL_SSLSetIOSend(ssl_, &Layer::io_send);
    wolfSSL_SetIOReadCtx(ssl_, this);
    wolfSSL_SetIOWriteCtx(ssl_, this);
  }

  Task<Result<RecvBuf>> recv(Stream& s, bool idle) override;
  Task<Result<size_t>> send(Stream& s, std::span<const iovec> iov, bool close_after) override;
  void close_notify(int fd) override {
    if (notify_sent_ || !established_ || failed_ || fd < 0) return;
    notify_sent_ = true;
    wolfSSL_shutdown(ssl_);  // writes the alert into out_
    wolfSSL_ERR_clear_error();
    if (!sending_ && !out_.empty()) {
      ssize_t n = ::send(fd, out_.data(), out_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      (void)n;  // best effort: the socket buffer is almost always free at this point
    }
    out_.clear();
  }
  void on_close(int fd) override {
    close_notify(fd);
    dead_ = true;
    if (busy_ == 0) delete this;
  }

  // The handshake (server or client): wolfSSL_accept/connect until done.
  Task<Result<void>> handshake(Stream& s);
  Error fail_with(int wolf_err);
  Info info() const;
  WOLFSSL* ssl() const { return ssl_; }
  std::string pre_;  // bytes received before the layer existed (the ClientHello), read first

 private:
  ~Layer() override {
    wolfSSL_free(ssl_);
    wolfSSL_ERR_clear_error();  // the thread's queue keeps a node per error until then
  }

  // Keeps the layer alive while one of its tasks runs (the stream may close meanwhile).
  struct Busy {
    Layer* l;
    explicit Busy(Layer* x) : l(x) { ++l->busy_; }
    ~Busy() {
      if (--l->busy_ == 0 && l->dead_) delete l;
    }
  };

  static int io_recv(WOLFSSL*, char* buf, int sz, void* arg) {
    auto* self = static_cast<Layer*>(arg);
    if (!self->pre_.empty()) {
      size_t n = std::min(self->pre_.size() - self->pre_off_, size_t(sz));
      std::memcpy(buf, self->pre_.data() + self->pre_off_, n);
      self->pre_off_ += n;
      if (self->pre_off_ == self->pre_.size()) {
        self->pre_.clear();
        self->pre_.shrink_to_fit();
        self->pre_off_ = 0;
      }
      return int(n);
    }
    if (self->in_off_ < self->in_.size()) {
      size_t n = std::min(self->in_.size() - self->in_off_, size_t(sz));
      std::memcpy(buf, self->in_.bytes().data() + self->in_off_, n);
      self->in_off_ += n;
      if (self->in_off_ == self->in_.size()) self->in_ = RecvBuf();  // back to the ring now
      return int(n);
    }
    if (self->in_eof_) return WOLFSSL_CBIO_ERR_CONN_CLOSE;
    return WOLFSSL_CBIO_ERR_WANT_READ;
  }
  static int io_send(WOLFSSL*, char* buf, int sz, void* arg) {
    auto* self = static_cast<Layer*>(arg);
    if (self->out_.size() + size_t(sz) > self->ctx_->max_out()) {
      self->out_overflow_ = true;
      return WOLFSSL_CBIO_ERR_GENERAL;
    }
    self->out_.append(buf, size_t(sz));
    return sz;
  }

  // Awaits the next raw bytes into in_ (or in_eof_); the stream's error otherwise.
  Task<Result<void>> fill(Stream& s, bool idle);
  // Sends out_ (and what is added to it meanwhile).
  Task<Result<void>> flush(Stream& s);

  ContextImpl* ctx_;
  std::shared_ptr<void> keep_;  // the context
  WOLFSSL* ssl_;
  RecvBuf in_;
  size_t in_off_ = 0;
  size_t pre_off_ = 0;
  std::string out_;
  Error error_;
  int busy_ = 0;
  bool dead_ = false;
  bool in_eof_ = false;
  bool sending_ = false;
  bool out_overflow_ = false;
  bool notify_sent_ = false;
  bool failed_ = false;
  bool peer_closed_ = false;

 public:
  bool established_ = false;
  bool notify_received_ = false;
};

Task<Result<void>> Layer::fill(Stream& s, bool idle) {
  in_ = RecvBuf();
  in_off_ = 0;
  auto b = co_await s.raw_recv(idle);
  if (!b) co_return b.error();
  if (b->eof()) in_eof_ = true;
  else in_ = std::move(*b);
  co_return Result<void>{};
}

Task<Result<void>> Layer::flush(Stream& s) {
  while (!out_.empty()) {
    std::string sending = std::move(out_);
    out_.clear();
    sending_ = true;
    iovec v{sending.data(), sending.size()};
    auto w = co_await s.raw_sendv(std::span<const iovec>(&v, 1));
    sending_ = false;
    if (out_.empty() && sending.capacity() <= 2 * kSendFlushBytes) {
      sending.clear();
      out_ = std::move(sending);  // keep the capacity for the next send
    }
    if (!w) co_return w.error();
  }
  co_return Result<void>{};
}

Error Layer::fail_with(int e) {
  failed_ = true;
  Errc c = Errc::handshake_failed;
  switch (e) {
    case ASN_AFTER_DATE_E: c = Errc::cert_expired; break;
    case ASN_BEFORE_DATE_E: c = Errc::cert_not_yet_valid; break;
    case ASN_NO_SIGNER_E:
    case ASN_SELF_SIGNED_E: c = Errc::unknown_ca; break;
    case DOMAIN_NAME_MISMATCH:
    case IPADDR_MISMATCH: c = Errc::name_mismatch; break;
    case ASN_SIG_CONFIRM_E:
    case VERIFY_CERT_ERROR: c = Errc::bad_certificate; break;
    case NO_PEER_CERT: c = Errc::no_peer_certificate; break;
    case VERSION_ERROR: c = Errc::protocol_version; break;
    case MATCH_SUITE_ERROR:
    case UNSUPPORTED_SUITE: c = Errc::no_shared_cipher; break;
    case UNKNOWN_RECORD_TYPE:
    case LENGTH_ERROR:
    case PARSE_ERROR:
    case BUFFER_ERROR:
    case DECODE_E:
    case SANITY_MSG_E:
    case VERIFY_MAC_ERROR:
    case DECRYPT_ERROR: c = Errc::bad_record; break;
    case SOCKET_PEER_CLOSED_E:
    case SOCKET_ERROR_E: c = out_overflow_ ? Errc::too_large : established_ ? Errc::truncated : Errc::peer_closed; break;
    case FATAL_ERROR: {
      WOLFSSL_ALERT_HISTORY h{};
      if (wolfSSL_get_alert_history(ssl_, &h) == WOLFSSL_SUCCESS && h.last_rx.code >= 0)
        return error_ = alert_error(h.last_rx.code);
      break;
    }
    default: break;
  }
  if (out_overflow_) c = Errc::too_large;
  ZP_LOG_DEBUG("tls: wolfSSL error {} ({})", e, wolfSSL_ERR_reason_error_string(static_cast<unsigned long>(e)));
  return error_ = make_error(c);
}

Task<Result<void>> Layer::handshake(Stream& s) {
  Busy busy(this);
  for (;;) {
    wolfSSL_ERR_clear_error();  // the thread's error queue: a stale entry would fail this call
    int r = ctx_->server ? wolfSSL_accept(ssl_) : wolfSSL_connect(ssl_);
    int e = r == WOLFSSL_SUCCESS ? 0 : wolfSSL_get_error(ssl_, r);
    if (e != 0 && e != WOLFSSL_ERROR_WANT_READ && e != WOLFSSL_ERROR_WANT_WRITE) {
      Error err = fail_with(e);
      // The alert wolfSSL wrote, if any: best effort, without waiting.
      if (!out_.empty() && s.fd() >= 0) {
        ssize_t n = ::send(s.fd(), out_.data(), out_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        (void)n;
      }
      out_.clear();
      co_return err;
    }
    if (!out_.empty()) {
      auto f = co_await flush(s);
      if (!f) {
        failed_ = true;
        co_return f.error();
      }
    }
    if (e == 0) {
      established_ = true;
      co_return Result<void>{};
    }
    if (e == WOLFSSL_ERROR_WANT_READ) {
      auto f = co_await fill(s, false);
      if (!f) {
        failed_ = true;
        co_return f.error();
      }
    }
  }
}

Task<Result<RecvBuf>> Layer::recv(Stream& s, bool idle) {
  Busy busy(this);
  if (failed_) co_return error_;
  if (peer_closed_) co_return RecvBuf();
  PlainBlock* b = ctx_->pool->take();
  if (!b) co_return fail(ENOMEM);
  struct Guard {  // gives the block back on every early return
    PlainBlock* b;
    ~Guard() {
      if (b) b->pool->give(b);
    }
  } guard{b};
  for (;;) {
    wolfSSL_ERR_clear_error();
    int n = wolfSSL_read(ssl_, b->data(), int(kPlainBlockBytes));
    // Post-handshake messages may have produced output (TLS 1.3 key update answers).
    if (!out_.empty() && !sending_) {
      auto f = co_await flush(s);
      if (!f) co_return f.error();
    }
    if (n > 0) {
      guard.b = nullptr;  // the lease gives it back
      co_return RecvBuf(b, 0, b->data(), size_t(n));
    }
    int e = wolfSSL_get_error(ssl_, n);
    if (e == WOLFSSL_ERROR_WANT_READ) {
      auto f = co_await fill(s, idle);
      if (!f) co_return f.error();
      continue;
    }
    if (e == WOLFSSL_ERROR_ZERO_RETURN) {  // close_notify
      peer_closed_ = true;
      notify_received_ = true;
      co_return RecvBuf();
    }
    if (in_eof_ && (e == SOCKET_PEER_CLOSED_E || e == SOCKET_ERROR_E)) {
      // A TCP close without close_notify: EOF to the service (HTTP frames its own messages,
      // as most clients close so); the stream is done either way.
      peer_closed_ = true;
      co_return RecvBuf();
    }
    co_return fail_with(e);
  }
}

Task<Result<size_t>> Layer::send(Stream& s, std::span<const iovec> iov, bool close_after) {
  Busy busy(this);
  if (failed_) co_return error_;
  size_t total = 0;
  size_t bytes = 0;
  for (const iovec& v : iov) bytes += v.iov_len;
  if (iov.size() > 1 && bytes <= kPlainBlockBytes) {
    // A response head and a small body: one record instead of one each (one AEAD pass and
    // one record header less per response).
    PlainBlock* b = ctx_->pool->take();
    if (!b) co_return fail(ENOMEM);
    size_t off = 0;
    for (const iovec& v : iov) {
      std::memcpy(b->data() + off, v.iov_base, v.iov_len);
      off += v.iov_len;
    }
    wolfSSL_ERR_clear_error();
    int n = off ? wolfSSL_write(ssl_, b->data(), int(off)) : 0;
    ctx_->pool->give(b);
    if (off && n <= 0) co_return fail_with(wolfSSL_get_error(ssl_, n));
    total = off;
    iov = {};
  }
  for (const iovec& v : iov) {
    const char* p = static_cast<const char*>(v.iov_base);
    size_t off = 0;
    while (off < v.iov_len) {
      int chunk = int(std::min<size_t>(v.iov_len - off, kPlainBlockBytes));
      wolfSSL_ERR_clear_error();
      int n = wolfSSL_write(ssl_, p + off, chunk);
      if (n <= 0) co_return fail_with(wolfSSL_get_error(ssl_, n));
      off += size_t(n);
      total += size_t(n);
      if (out_.size() >= kSendFlushBytes) {
        auto f = co_await flush(s);
        if (!f) co_return f.error();
      }
    }
  }
  if (close_after && !notify_sent_) {
    notify_sent_ = true;
    wolfSSL_shutdown(ssl_);  // close_notify rides with the last data
    wolfSSL_ERR_clear_error();
  }
  auto f = co_await flush(s);
  if (!f) co_return f.error();
  co_return total;
}

Info Layer::info() const {
  Info i;
  if (const char* v = wolfSSL_get_version(ssl_)) i.version = v;
  if (const char* c = wolfSSL_get_cipher_name(ssl_)) i.cipher = c;
  char* proto = nullptr;
  unsigned short len = 0;
  if (wolfSSL_ALPN_GetProtocol(ssl_, &proto, &len) == WOLFSSL_SUCCESS && proto) i.alpn.assign(proto, len);
  i.resumed = wolfSSL_session_reused(ssl_) != 0;
  return i;
}

// Reads the first record (the ClientHello) whole, so its SNI can pick the certificate
// before wolfSSL sees it. not_tls for anything that does not start as a TLS handshake.
Task<Result<std::string>> read_client_hello(Stream& s) {
  std::string hello;
  for (;;) {
    if (hello.size() >= 1 && hello[0] != 0x16) co_return make_error(Errc::not_tls);
    if (hello.size() >= 2 && hello[1] != 0x03) co_return make_error(Errc::not_tls);
    if (hello.size() >= 5) {
      size_t len = (size_t(uint8_t(hello[3])) << 8) | uint8_t(hello[4]);
      if (5 + len > kMaxHelloBytes) co_return make_error(Errc::bad_record);
      if (hello.size() >= 5 + len) co_return hello;
    }
    auto b = co_await s.raw_recv(false);
    if (!b) co_return b.error();
    if (b->eof()) co_return make_error(hello.empty() ? Errc::peer_closed : Errc::not_tls);
    if (hello.size() + b->size() > kMaxHelloBytes + 16384) co_return make_error(Errc::too_large);
    hello.append(b->text());
  }
}

Task<Result<Info>> accept_impl(Stream& s, std::shared_ptr<ServerContext> sc) {
  auto hello = co_await read_client_hello(s);
  if (!hello) co_return hello.error();
  ContextImpl& ci = sc->impl();
  unsigned char sni[256] = {};
  unsigned int sni_len = sizeof sni - 1;
  std::string name;
  if (wolfSSL_SNI_GetFromBuffer(reinterpret_cast<const unsigned char*>(hello->data()), unsigned(hello->size()),
                                WOLFSSL_SNI_HOST_NAME, sni, &sni_len) == WOLFSSL_SUCCESS)
    name.assign(reinterpret_cast<const char*>(sni), sni_len);
  WOLFSSL* ssl = wolfSSL_new(ci.pick(name));
  if (!ssl) co_return fail(ENOMEM);
  auto* layer = new Layer(&ci, sc, ssl);
  layer->pre_ = std::move(*hello);
  if (!ci.alpn_list.empty())
    wolfSSL_UseALPN(ssl, ci.alpn_list.data(), unsigned(ci.alpn_list.size()), WOLFSSL_ALPN_CONTINUE_ON_MISMATCH);
  if (auto r = s.set_layer(layer); !r) {
    layer->on_close(-1);
    co_return r.error();
  }
  auto h = co_await layer->handshake(s);
  if (!h) co_return h.error();
  Info i = layer->info();
  i.sni = name;
  co_return i;
}

Task<Result<Info>> connect_impl(Stream& s, std::shared_ptr<ClientContext> cc, std::string server_name,
                                std::shared_ptr<void> session) {
  ContextImpl& ci = cc->impl();
  WOLFSSL* ssl = wolfSSL_new(ci.entries.front().ctx);
  if (!ssl) co_return fail(ENOMEM);
  auto* layer = new Layer(&ci, cc, ssl);
  if (auto r = s.set_layer(layer); !r) {
    layer->on_close(-1);
    co_return r.error();
  }
  in6_addr a6{};
  in_addr a4{};
  bool ip = inet_pton(AF_INET, server_name.c_str(), &a4) == 1 || inet_pton(AF_INET6, server_name.c_str(), &a6) == 1;
  if (!server_name.empty() && !ip)
    wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, server_name.data(), uint16_t(server_name.size()));
  if (ci.ccfg.verify && !server_name.empty()) wolfSSL_check_domain_name(ssl, server_name.c_str());
  if (!ci.alpn_list.empty())
    wolfSSL_UseALPN(ssl, ci.alpn_list.data(), unsigned(ci.alpn_list.size()), WOLFSSL_ALPN_FAILED_ON_MISMATCH);
  if (session) wolfSSL_set_session(ssl, static_cast<WOLFSSL_SESSION*>(session.get()));
  auto h = co_await layer->handshake(s);
  if (!h) co_return h.error();
  co_return layer->info();
}

// The handshake within its deadline; on failure the stream is closed.
Task<Result<Info>> bounded(Stream& s, int64_t timeout_ms, Task<Result<Info>> t) {
  auto r = co_await with_timeout(std::chrono::milliseconds(timeout_ms), std::move(t));
  if (!r) {
    s.close();
    if (r.error() == std::errc::timed_out) co_return make_error(Errc::handshake_timeout);
    co_return r.error();
  }
  co_return r;
}

// STARTTLS: plaintext received past the upgrade point is not the peer's TLS (it sent that
// only after our go-ahead): a ClientHello already queued is kept, anything else dropped.
// (Whatever is kept goes through TLS, where injected bytes can only fail the handshake.)
size_t drop_plaintext(Stream& s) {
  auto first = s.peek_received();
  if (first.empty() || first[0] == std::byte{0x16}) return 0;
  return s.discard_received();
}

}  // namespace

Task<Result<Info>> accept(Stream& s, std::shared_ptr<ServerContext> ctx) {
  int64_t ms = ctx->impl().timeout_ms();
  co_return co_await bounded(s, ms, accept_impl(s, std::move(ctx)));
}

Task<Result<Info>> connect(Stream& s, std::shared_ptr<ClientContext> ctx, std::string server_name,
                           std::shared_ptr<void> session) {
  int64_t ms = ctx->impl().timeout_ms();
  co_return co_await bounded(s, ms, connect_impl(s, std::move(ctx), std::move(server_name), std::move(session)));
}

Task<Result<Info>> starttls_server(Stream& s, std::shared_ptr<ServerContext> ctx) {
  size_t dropped = drop_plaintext(s);
  if (dropped) ZP_LOG_WARN("tls: STARTTLS: {} bytes of plaintext after the command dropped", dropped);
  auto r = co_await accept(s, std::move(ctx));
  if (r) r->discarded_plaintext = dropped;
  co_return r;
}

Task<Result<Info>> starttls_client(Stream& s, std::shared_ptr<ClientContext> ctx, std::string server_name) {
  size_t dropped = drop_plaintext(s);
  if (dropped) ZP_LOG_WARN("tls: STARTTLS: {} bytes of plaintext after the server's go-ahead dropped", dropped);
  auto r = co_await connect(s, std::move(ctx), std::move(server_name));
  if (r) r->discarded_plaintext = dropped;
  co_return r;
}

bool closed_cleanly(const Stream& s) {
  auto* l = dynamic_cast<Layer*>(s.layer());
  return l && l->notify_received_;
}

std::shared_ptr<void> save_session(const Stream& s) {
  auto* l = dynamic_cast<Layer*>(s.layer());
  if (!l || !l->established_) return {};
  WOLFSSL_SESSION* sess = wolfSSL_get1_session(l->ssl());
  if (!sess) return {};
  return std::shared_ptr<void>(sess, [](void* p) { wolfSSL_SESSION_free(static_cast<WOLFSSL_SESSION*>(p)); });
}

}  // namespace zp::tls
