#include "zp/engine/net.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace zp {

// ---------------------------------------------------------------- SocketAddr

Result<SocketAddr> SocketAddr::parse(std::string_view text) {
  SocketAddr a;
  if (text.starts_with("unix:")) {
    auto path = text.substr(5);
    sockaddr_un un{};
    if (path.empty() || path.size() >= sizeof un.sun_path) return fail(EINVAL);
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path, path.data(), path.size());
    std::memcpy(&a.storage, &un, sizeof un);
    a.len = socklen_t(offsetof(sockaddr_un, sun_path) + path.size() + 1);
    return a;
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return fail(EINVAL);
  auto host = text.substr(0, colon);
  auto port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || p != port_text.data() + port_text.size() || port > 65535 || port_text.empty())
    return fail(EINVAL);
  char buf[64];
  if (host.starts_with('[')) {
    if (!host.ends_with(']') || host.size() - 2 >= sizeof buf) return fail(EINVAL);
    host = host.substr(1, host.size() - 2);
  } else if (host.empty()) {
    host = "::";
  }
  if (host.size() >= sizeof buf) return fail(EINVAL);
  std::memcpy(buf, host.data(), host.size());
  buf[host.size()] = 0;
  sockaddr_in in4{};
  sockaddr_in6 in6{};
  if (inet_pton(AF_INET, buf, &in4.sin_addr) == 1) {
    in4.sin_family = AF_INET;
    in4.sin_port = htons(uint16_t(port));
    std::memcpy(&a.storage, &in4, sizeof in4);
    a.len = sizeof in4;
  } else if (inet_pton(AF_INET6, buf, &in6.sin6_addr) == 1) {
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(uint16_t(port));
    std::memcpy(&a.storage, &in6, sizeof in6);
    a.len = sizeof in6;
  } else {
    return fail(EINVAL);
  }
  return a;
}

SocketAddr SocketAddr::from(const sockaddr* sa, socklen_t len) {
  SocketAddr a;
  if (len > sizeof a.storage) len = sizeof a.storage;
  std::memcpy(&a.storage, sa, len);
  a.len = len;
  return a;
}

uint16_t SocketAddr::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  return 0;
}

std::string SocketAddr::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(port());
  }
  if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(port());
  }
  if (family() == AF_UNIX) return "unix:" + std::string(reinterpret_cast<const sockaddr_un*>(&storage)->sun_path);
  return "?";
}

// ---------------------------------------------------------------- Stream

namespace {
struct Chunk {
  Chunk* next;
  uint32_t bid;
  uint32_t offset;
  uint32_t size;
};
}  // namespace

// 112 bytes (an idle connection holds one): shard-wide retry list instead of a Timer,
// 32-bit sizes, flags together, the backend through the shard, the queue a ring.
struct StreamCore : RetryLink {
  Shard* shard = nullptr;
  Op recv_op;
  Chunk* tail = nullptr;  // received chunks: a circular list, tail->next is the oldest
  Stream::SendAwaiter* sends = nullptr;  // sends in flight (they keep an orphan alive)
  std::coroutine_handle<> reader;
  union {
    TaskCtx* reader_ctx = nullptr;  // with `reader`
    ReadyHook* hook;                // when `hooked` (Stream::park): no task waits
  };
  StreamLayer* layer = nullptr;  // Stream::set_layer (here, not in Stream: a frame holds a Stream)
  int fd = -1;
  uint32_t max_queued_bytes = 0;  // StreamOptions::max_queued_bytes
  uint32_t queued_bytes = 0;
  int16_t error = 0;        // an errno value
  bool armed : 1 = false;   // multishot recv in flight (until its final completion)
  bool pausing : 1 = false; // we cancelled it to stop reading (backpressure)
  bool eof : 1 = false;
  bool orphaned : 1 = false;  // the Stream is gone; free on the final completion
  bool closed : 1 = false;    // close() ran: sends in flight end, none is resubmitted
  bool reader_cancelled : 1 = false;
  bool hooked : 1 = false;  // parked: `hook` fires once input is there

  bool waiting() const { return reader || hooked; }

  // The ENOBUFS retry: re-arm once buffers had a moment to come back.
  static void retry(RetryLink* l) {
    auto* self = static_cast<StreamCore*>(l);
    if (!self->armed) self->arm();
  }
  RetryList& retries() { return shard->recv_retry(&StreamCore::retry); }
  Backend& backend() { return shard->backend(); }
  Chunk* head() const { return tail ? tail->next : nullptr; }
  Chunk* pop() {  // the oldest chunk (the queue must not be empty)
    Chunk* c = tail->next;
    if (c == tail) tail = nullptr;
    else tail->next = c->next;
    queued_bytes -= c->size;
    return c;
  }

  void arm() {
    if (armed || eof || error || closed) return;  // never on a closed (maybe reused) fd
    armed = true;
    pausing = false;
    backend().recv_multishot(recv_op, fd);
  }
  void push(uint32_t bid, uint32_t offset, uint32_t size) {
    auto block = shard->small_pool().allocate();
    if (!block) {
      // No node for it: treat as a reset, never as silent loss.
      backend().buffer_release(bid);
      error = int16_t(ENOMEM);
      return;
    }
    auto* c = static_cast<Chunk*>(*block);
    *c = {nullptr, bid, offset, size};
    if (tail) {
      c->next = tail->next;
      tail->next = c;
    } else {
      c->next = c;
    }
    tail = c;
    queued_bytes += size;  // bounded: reading pauses beyond max_queued_bytes
  }
  void wake_reader() {
    if (hooked) {
      hooked = false;
      ReadyHook* h = std::exchange(hook, nullptr);
      h->fire(h);
      return;
    }
    if (!reader) return;
    auto h = std::exchange(reader, {});
    if (reader_ctx) {
      reader_ctx->cancel_hook = nullptr;
      reader_ctx->idle = false;
    }
    h.resume();
  }
  void drop_queue() {
    while (tail) {
      Chunk* c = pop();
      backend().buffer_release(c->bid);
      shard->small_pool().free(c);
    }
    queued_bytes = 0;
  }
  // An orphan goes once its receive and every send in flight have completed.
  void free_if_done() {
    if (orphaned && !armed && !sends) {
      shard->remove_orphan();
      destroy();
    }
  }
  void destroy() {
    drop_queue();
    retries().remove(*this);
    delete this;
  }

  static void on_recv(Op* op, int32_t res, uint32_t flags) {
    auto* self = static_cast<StreamCore*>(op->owner);
    if (!(flags & kMore)) self->armed = false;
    if (self->orphaned) {
      if (flags & kBuffer) self->backend().buffer_release(buffer_id(flags));
      self->free_if_done();
      return;
    }
    if (res > 0 && (flags & kBuffer)) {
      self->push(buffer_id(flags), buffer_offset(flags), uint32_t(res));
      if (self->armed && !self->pausing && self->queued_bytes > self->max_queued_bytes) {
        self->pausing = true;
        self->backend().cancel(self->recv_op);
      }
    } else if (res == 0) {
      self->eof = true;
    } else if (res == -ENOBUFS) {
      // The ring ran dry: retry shortly, once other connections returned buffers.
      if (self->waiting()) self->retries().add(self->shard->timers(), *self, self->shard->now_ms(), 1);
    } else if (res == -ECANCELED) {
      // Our own pause or close: nothing to report.
    } else if (res < 0) {
      self->error = int16_t(-res);
    }
    if (!self->armed && self->waiting() && !self->tail && !self->eof && !self->error && res != -ENOBUFS)
      self->arm();  // a pause ended while the reader already waits
    if (self->tail || self->eof || self->error) self->wake_reader();
  }
};

static_assert(sizeof(StreamCore) <= 112, "an idle connection holds one StreamCore: keep it small");

Result<Stream> Stream::adopt(Shard& shard, int fd, StreamOptions opts) {
  auto* c = new (std::nothrow) StreamCore();
  if (c) {
    c->shard = &shard;
        c->fd = fd;
    c->max_queued_bytes = uint32_t(std::min<size_t>(opts.max_queued_bytes, UINT32_MAX / 2));
  }
  if (!c) {
    ::close(fd);
    return fail(ENOMEM);
  }
  c->recv_op.complete = &StreamCore::on_recv;
  c->recv_op.owner = c;
  return Stream(c);
}

int Stream::fd() const { return core_ ? core_->fd : -1; }

bool Stream::input_ready() const { return !core_ || core_->tail || core_->eof || core_->error; }

bool Stream::park(ReadyHook& hook) {
  StreamCore* c = core_;
  if (!c || c->hooked || c->layer || c->reader || c->tail || c->eof || c->error || c->closed) return false;
  c->hooked = true;
  c->hook = &hook;
  if (!c->armed) c->arm();
  return true;
}

void Stream::unpark() {
  if (core_ && core_->hooked) {
    core_->hooked = false;
    core_->hook = nullptr;
  }
}

bool Stream::RecvAwaiter::await_ready() noexcept {
  if (is_layered) return !core;
  return !core || core->tail || core->eof || core->error;
}

bool Stream::RecvAwaiter::suspend(std::coroutine_handle<> h, TaskCtx* ctx) {
  // Going idle during a graceful stop ends the wait, as for tasks idle when it began.
  if (ctx && (ctx->cancelled || (idle && core->shard->stopping()))) {
    core->reader_cancelled = true;
    return false;
  }
  core->hooked = false;  // a task receives now: the hook (sharing reader_ctx's word) is off
  core->reader = h;
  core->reader_ctx = ctx;
  core->reader_cancelled = false;
  if (ctx) {
    ctx->idle = idle;
    ctx->cancel_hook = [](void* arg) {
      auto* c = static_cast<StreamCore*>(arg);
      c->reader_cancelled = true;
      if (c->reader) c->shard->schedule(std::exchange(c->reader, {}));
      if (c->reader_ctx) c->reader_ctx->idle = false;
    };
    ctx->cancel_arg = core;
  }
  // While a pause is still being cancelled, on_recv re-arms at its final completion.
  if (!core->armed) core->arm();
  return true;
}

Result<RecvBuf> Stream::RecvAwaiter::await_resume() {
  if (!core) return fail(EBADF);
  if (started) return std::move(Task<Result<RecvBuf>>::Handle::from_address(inner).promise().value);
  if (core->reader_cancelled) {
    core->reader_cancelled = false;
    return fail(ECANCELED);
  }
  if (core->tail) {
    Chunk* c = core->pop();
    RecvBuf b(&core->backend(), c->bid, core->backend().buffer(c->bid).data() + c->offset, c->size);
    core->shard->small_pool().free(c);
    // Drained below the mark after a pause: read again.
    if (!core->armed && !core->eof && !core->error && core->queued_bytes == 0) core->arm();
    return b;
  }
  if (core->error) return fail(core->error);
  if (core->eof) return RecvBuf{};
  return fail(EAGAIN);
}

Stream::SendAwaiter Stream::send(std::span<const std::byte> data) {
  SendAwaiter a;
  a.core = core_;
  a.layered = layered();
  a.iov[0] = {const_cast<std::byte*>(data.data()), data.size()};
  a.iov_count = 1;
  a.total = data.size();
  return a;
}

Stream::SendAwaiter Stream::sendv(std::span<const iovec> iov) { return sendv_impl(iov, layer() != nullptr); }

Stream::SendAwaiter Stream::sendv_impl(std::span<const iovec> iov, bool layered) {
  SendAwaiter a;
  a.core = core_;
  a.layered = layered ? this : nullptr;
  size_t n = iov.size() < kMaxIov ? iov.size() : kMaxIov;
  for (size_t i = 0; i < n; ++i) {
    a.iov[i] = iov[i];
    a.total += iov[i].iov_len;
  }
  a.iov_count = n;
  if (iov.size() > kMaxIov) a.error = EINVAL;
  return a;
}

Stream::SendAwaiter Stream::send_and_close(std::span<const iovec> iov) {
  SendAwaiter a = sendv(iov);
  a.closing = this;  // closed in suspend() (io_uring) or await_resume(); by the layer's task when layered
  return a;
}

Stream::SendAwaiter Stream::raw_send_and_close(std::span<const iovec> iov) {
  SendAwaiter a = sendv_impl(iov, false);
  a.closing = this;
  return a;
}

Result<void> Stream::set_layer(StreamLayer* layer) {
  if (!core_) return fail(EBADF);
  if (core_->layer) return fail(EBUSY);
  core_->layer = layer;
  return {};
}

StreamLayer* Stream::layer() const { return core_ ? core_->layer : nullptr; }

std::span<const std::byte> Stream::peek_received() const {
  if (!core_ || !core_->tail) return {};
  Chunk* c = core_->head();
  return core_->backend().buffer(c->bid).subspan(c->offset, c->size);
}

size_t Stream::discard_received() {
  if (!core_) return 0;
  size_t n = core_->queued_bytes;
  core_->drop_queue();
  if (!core_->armed && !core_->eof && !core_->error && core_->waiting()) core_->arm();
  return n;
}

Stream::SendAwaiter Stream::send_fixed(const FixedBuf& buf, size_t offset, size_t len) {
  SendAwaiter a;
  a.core = core_;
  a.layered = layered();  // the layer copies out of the fixed buffer
  auto bytes = buf.bytes();
  if (offset > bytes.size() || len > bytes.size() - offset) a.error = EINVAL;
  a.iov[0] = {bytes.data() + offset, len};
  a.iov_count = 1;
  a.total = len;
  a.fixed_idx = buf.index();
  return a;
}

bool Stream::SendAwaiter::await_ready() noexcept {
  if (layered) return !core || error;  // an empty send_and_close still says close_notify
  return !core || error || total == 0;
}

void Stream::SendAwaiter::submit() {
  msg = {};
  msg.msg_iov = iov;
  msg.msg_iovlen = iov_count;
  if (fixed_idx >= 0) core->backend().send_fixed(op, core->fd, &msg, uint32_t(fixed_idx));
  // A send the close follows at once: the kernel must finish it (no resubmission after a
  // short send, the descriptor is gone by then).
  else core->backend().sendmsg(op, core->fd, &msg, closing && core->backend().close_keeps_ops() ? MSG_WAITALL : 0);
}

bool Stream::SendAwaiter::suspend(std::coroutine_handle<> hh) {
  if (core->closed) {
    error = EBADF;
    return false;
  }
  if (ctx && ctx->cancelled) {
    error = ECANCELED;
    return false;
  }
  h = hh;
  op.owner = this;
  op.complete = [](Op* o, int32_t res, uint32_t) {
    auto* self = static_cast<SendAwaiter*>(o->owner);
    if (res < 0) {
      self->error = -res;
    } else {
      self->sent += size_t(res);
      // Short send: drop what went out and send the rest.
      size_t n = size_t(res);
      size_t i = 0;
      while (i < self->iov_count && n >= self->iov[i].iov_len) n -= self->iov[i++].iov_len;
      if (i < self->iov_count) {
        std::memmove(self->iov, self->iov + i, (self->iov_count - i) * sizeof(iovec));
        self->iov_count -= i;
        self->iov[0].iov_base = static_cast<char*>(self->iov[0].iov_base) + n;
        self->iov[0].iov_len -= n;
        if (self->sent < self->total && !(self->ctx && self->ctx->cancelled) && !self->core->closed) {
          self->submit();
          return;
        }
        if (self->core->closed && self->sent < self->total) self->error = ECANCELED;
      }
    }
    if (self->ctx) self->ctx->cancel_hook = nullptr;
    StreamCore* c = self->core;
    if (self->prev_send) self->prev_send->next_send = self->next_send;
    else c->sends = self->next_send;
    if (self->next_send) self->next_send->prev_send = self->prev_send;
    c->free_if_done();  // closed meanwhile: this was the last operation keeping c alive
    self->h.resume();
  };
  if (ctx) {
    ctx->idle = false;
    ctx->cancel_hook = [](void* arg) {
      auto* self = static_cast<SendAwaiter*>(arg);
      self->core->backend().cancel(self->op);
    };
    ctx->cancel_arg = this;
  }
  prev_send = nullptr;
  next_send = core->sends;
  if (next_send) next_send->prev_send = this;
  core->sends = this;
  submit();
  if (closing && core->backend().close_keeps_ops()) {
    // The close goes into the same submit; this send keeps the (orphaned) core alive.
    std::exchange(closing, nullptr)->close_impl(false);
  }
  return true;
}

Result<size_t> Stream::SendAwaiter::await_resume() {
  // send_and_close() on a backend where the close must wait for the send, or not sent.
  if (closing) std::exchange(closing, nullptr)->close();
  if (!core) return fail(EBADF);
  if (inner.valid()) return std::move(inner.handle().promise().value);
  if (error) return fail(error);
  if (ctx && ctx->cancelled && sent < total) return fail(ECANCELED);
  return sent;
}

Result<void> Stream::shutdown_write() {
  if (!core_) return fail(EBADF);
  if (core_->layer) core_->layer->close_notify(core_->fd);  // before the FIN
  if (::shutdown(core_->fd, SHUT_WR) < 0) return fail(errno);
  return {};
}

Result<SocketAddr> Stream::peer_addr() const {
  if (!core_) return fail(EBADF);
  SocketAddr a;
  a.len = sizeof a.storage;
  if (getpeername(core_->fd, reinterpret_cast<sockaddr*>(&a.storage), &a.len) < 0) return fail(errno);
  return a;
}

void Stream::close() { close_impl(true); }

void Stream::close_impl(bool cancel_sends) {
  StreamCore* c = std::exchange(core_, nullptr);
  StreamLayer* layer = c ? std::exchange(c->layer, nullptr) : nullptr;
  if (layer) layer->on_close(c ? c->fd : -1);  // before the descriptor goes
  if (!c) return;
  // io_uring: a CLOSE in this turn's submit instead of a syscall of its own. The descriptor
  // stays ours until then, so its number cannot be reused under an operation below.
  c->backend().close_fd(c->fd);
  c->drop_queue();
  if (c->hooked) {  // a parked owner closes its own stream: its hook never fires
    c->hooked = false;
    c->hook = nullptr;
  }
  // A reader waiting in another task ends with ECANCELED now, while c is still alive; its
  // TaskCtx must not keep a cancel_hook pointing at c.
  if (c->reader) {
    auto h = std::exchange(c->reader, {});
    if (c->reader_ctx) {
      c->reader_ctx->cancel_hook = nullptr;
      c->reader_ctx->idle = false;
    }
    c->reader_ctx = nullptr;
    c->reader_cancelled = true;
    h.resume();
  }
  // Sends in flight from other tasks end (ECANCELED) before c goes: they hold pointers to it.
  c->closed = true;
  c->retries().remove(*c);  // an ENOBUFS retry must not re-arm it
  if (cancel_sends)
    for (auto* a = c->sends; a; a = a->next_send) c->backend().cancel(a->op);
  if (c->armed || c->sends) {
    c->orphaned = true;
    c->shard->add_orphan();
    if (c->armed && !c->pausing) c->backend().cancel(c->recv_op);
  } else {
    c->destroy();
  }
}

namespace {
int make_socket(int family, int type) {
  return ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, family == AF_UNIX ? 0 : 0);
}

struct OneShot {
  Backend* backend = nullptr;
  Op op;
  int32_t res = 0;
  TaskCtx* ctx = nullptr;
  std::coroutine_handle<> h;
  void (*start)(OneShot&) = nullptr;
  const void* arg = nullptr;
  int fd = -1;
  uint32_t mask = 0;

  bool await_ready() noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> hh) {
    ctx = hh.promise().ctx;
    if (ctx && ctx->cancelled) {
      res = -ECANCELED;
      return false;
    }
    h = hh;
    op.owner = this;
    op.complete = [](Op* o, int32_t r, uint32_t) {
      auto* self = static_cast<OneShot*>(o->owner);
      self->res = r;
      if (self->ctx) self->ctx->cancel_hook = nullptr;
      self->h.resume();
    };
    if (ctx) {
      ctx->idle = false;
      ctx->cancel_hook = [](void* a) {
        auto* self = static_cast<OneShot*>(a);
        self->backend->cancel(self->op);
      };
      ctx->cancel_arg = this;
    }
    start(*this);
    return true;
  }
  int32_t await_resume() noexcept { return res; }
};
}  // namespace

Task<Result<Stream>> Stream::connect(SocketAddr addr, StreamOptions opts) {
  Shard* shard = Shard::current();
  int fd = make_socket(addr.family(), SOCK_STREAM);
  if (fd < 0) co_return fail(errno);
  if (addr.family() != AF_UNIX) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  OneShot os;
  os.backend = &shard->backend();
  os.fd = fd;
  os.arg = &addr;
  os.start = [](OneShot& s) {
    auto* a = static_cast<const SocketAddr*>(s.arg);
    s.backend->connect(s.op, s.fd, a->sa(), a->len);
  };
  int32_t r = co_await os;
  if (r < 0) {
    ::close(fd);
    co_return fail(-r);
  }
  co_return Stream::adopt(*shard, fd, opts);
}

Task<Result<uint32_t>> wait_ready(int fd, uint32_t mask) {
  Shard* shard = Shard::current();
  OneShot os;
  os.backend = &shard->backend();
  os.fd = fd;
  os.mask = mask;
  os.start = [](OneShot& s) { s.backend->poll(s.op, s.fd, s.mask); };
  int32_t r = co_await os;
  if (r < 0) co_return fail(-r);
  co_return uint32_t(r);
}

// ---------------------------------------------------------------- Listener

struct ListenerCore {
  Shard* shard = nullptr;
  Backend* backend = nullptr;
  int fd = -1;
  ListenOptions opts;
  SocketAddr addr;
  Op accept_op;
  bool armed = false;
  bool closed = false;
  bool orphaned = false;
  std::vector<int> pending;  // accepted fds, oldest first from `head`
  size_t head = 0;
  std::coroutine_handle<> waiter;
  TaskCtx* waiter_ctx = nullptr;
  bool waiter_cancelled = false;
  size_t stop_cb = 0;
  int error = 0;

  size_t queued() const { return pending.size() - head; }
  void arm() {
    if (armed || closed) return;
    armed = true;
    backend->accept(accept_op, fd);
  }
  void wake() {
    if (!waiter) return;
    if (waiter_ctx) waiter_ctx->cancel_hook = nullptr;
    std::exchange(waiter, {}).resume();
  }
  void close() {
    if (closed) return;
    closed = true;
    if (stop_cb) shard->remove_callback(stop_cb);
    stop_cb = 0;
    ::close(fd);
    for (size_t i = head; i < pending.size(); ++i) ::close(pending[i]);
    pending.clear();
    head = 0;
    if (armed) backend->cancel(accept_op);
    wake();
  }
  static void on_accept(Op* op, int32_t res, uint32_t flags) {
    auto* self = static_cast<ListenerCore*>(op->owner);
    if (!(flags & kMore)) self->armed = false;
    if (res >= 0) {
      if (self->closed) {
        ::close(res);
      } else {
        self->pending.push_back(res);
        if (self->armed && self->queued() >= self->opts.max_pending) self->backend->cancel(self->accept_op);
      }
    } else if (res != -ECANCELED && !self->closed) {
      // EMFILE and friends: report it to the acceptor, who decides.
      self->error = -res;
    }
    if (self->orphaned && !self->armed) {
      self->shard->remove_orphan();
      delete self;
      return;
    }
    if (self->queued() || self->error || self->closed) self->wake();
  }
};

Result<Listener> Listener::bind(Shard& shard, const SocketAddr& addr, ListenOptions opts) {
  int fd = make_socket(addr.family(), SOCK_STREAM);
  if (fd < 0) return fail(errno);
  int one = 1;
  if (addr.family() != AF_UNIX) {
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (opts.reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    // Inherited by every accepted socket (a syscall per connection saved).
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (addr.family() == AF_INET6) {
      int v6only = 0;
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    }
  }
  if (::bind(fd, addr.sa(), addr.len) < 0 || ::listen(fd, opts.backlog) < 0) {
    int e = errno;
    ::close(fd);
    return fail(e);
  }
  auto* c = new (std::nothrow) ListenerCore();
  if (c) {
    c->shard = &shard;
    c->backend = &shard.backend();
    c->fd = fd;
    c->opts = opts;
    c->addr = addr;
  }
  if (!c) {
    ::close(fd);
    return fail(ENOMEM);
  }
  SocketAddr bound;
  bound.len = sizeof bound.storage;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound.storage), &bound.len) == 0) c->addr = bound;
  c->accept_op.owner = c;
  c->accept_op.complete = &ListenerCore::on_accept;
  c->pending.reserve(64);
  c->stop_cb = shard.on_stop([c] {
    c->stop_cb = 0;
    c->close();
  });
  c->arm();
  return Listener(c);
}

bool Listener::AcceptAwaiter::await_ready() noexcept {
  return !core || core->queued() || core->closed || core->error;
}

bool Listener::AcceptAwaiter::suspend(std::coroutine_handle<> h) {
  if (ctx && ctx->cancelled) {
    core->waiter_cancelled = true;
    return false;
  }
  core->waiter = h;
  core->waiter_ctx = ctx;
  if (ctx) {
    ctx->idle = false;
    ctx->cancel_hook = [](void* arg) {
      auto* c = static_cast<ListenerCore*>(arg);
      c->waiter_cancelled = true;
      if (c->waiter) c->shard->schedule(std::exchange(c->waiter, {}));
    };
    ctx->cancel_arg = core;
  }
  core->arm();
  return true;
}

Result<Stream> Listener::AcceptAwaiter::await_resume() {
  if (!core) return fail(EBADF);
  if (core->waiter_cancelled) {
    core->waiter_cancelled = false;
    return fail(ECANCELED);
  }
  if (core->queued()) {
    int fd = core->pending[core->head++];
    if (core->head == core->pending.size()) {
      core->pending.clear();
      core->head = 0;
    } else if (core->head * 2 >= core->pending.size()) {
      // Under steady load the queue never empties: drop the taken half so it stays bounded.
      core->pending.erase(core->pending.begin(), core->pending.begin() + core->head);
      core->head = 0;
    }
    if (!core->armed && !core->closed) core->arm();
    // TCP_NODELAY comes from the listening socket (Linux copies it into accepted sockets):
    // no setsockopt per connection.
    return Stream::adopt(*core->shard, fd, core->opts.stream);
  }
  if (core->closed) return fail(ECANCELED);
  if (core->error) {
    int e = std::exchange(core->error, 0);
    if (!core->armed) core->arm();
    return fail(e);
  }
  return fail(EAGAIN);
}

SocketAddr Listener::local_addr() const { return core_ ? core_->addr : SocketAddr{}; }
int Listener::fd() const { return core_ ? core_->fd : -1; }

void Listener::close() {
  ListenerCore* c = std::exchange(core_, nullptr);
  if (!c) return;
  c->close();
  if (c->armed) {
    c->orphaned = true;
    c->shard->add_orphan();
  } else {
    delete c;
  }
}

// ---------------------------------------------------------------- UDP

Result<UdpSocket> UdpSocket::bind(Shard& shard, const SocketAddr& addr, bool reuse_port) {
  int fd = make_socket(addr.family(), SOCK_DGRAM);
  if (fd < 0) return fail(errno);
  int one = 1;
  if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (addr.family() == AF_INET6) {
    int v6only = 0;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
  }
  if (::bind(fd, addr.sa(), addr.len) < 0) {
    int e = errno;
    ::close(fd);
    return fail(e);
  }
  UdpSocket s;
  s.fd_ = fd;
  s.shard_ = &shard;
  return s;
}

SocketAddr UdpSocket::local_addr() const {
  SocketAddr a;
  a.len = sizeof a.storage;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&a.storage), &a.len);
  return a;
}

void UdpSocket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Task<Result<size_t>> UdpSocket::recv_batch(std::span<Datagram> out) {
  constexpr size_t kMax = 64;
  mmsghdr msgs[kMax];
  iovec iovs[kMax];
  size_t n = out.size() < kMax ? out.size() : kMax;
  if (n == 0) co_return size_t(0);
  for (;;) {
    for (size_t i = 0; i < n; ++i) {
      iovs[i] = {out[i].data.data(), out[i].data.size()};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_name = &out[i].peer.storage;
      msgs[i].msg_hdr.msg_namelen = sizeof out[i].peer.storage;
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int r = ::recvmmsg(fd_, msgs, unsigned(n), MSG_DONTWAIT, nullptr);
    if (r > 0) {
      for (int i = 0; i < r; ++i) {
        out[i].size = msgs[i].msg_len;
        out[i].peer.len = msgs[i].msg_hdr.msg_namelen;
      }
      co_return size_t(r);
    }
    if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) co_return fail(errno);
    auto ready = co_await wait_ready(fd_, POLLIN);
    if (!ready) co_return ready.error();
  }
}

Task<Result<size_t>> UdpSocket::send_batch(std::span<const Datagram> in) {
  constexpr size_t kMax = 64;
  mmsghdr msgs[kMax];
  iovec iovs[kMax];
  size_t done = 0;
  while (done < in.size()) {
    size_t n = in.size() - done < kMax ? in.size() - done : kMax;
    for (size_t i = 0; i < n; ++i) {
      const Datagram& d = in[done + i];
      iovs[i] = {d.data.data(), d.size ? d.size : d.data.size()};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_name = const_cast<sockaddr_storage*>(&d.peer.storage);
      msgs[i].msg_hdr.msg_namelen = d.peer.len;
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int r = ::sendmmsg(fd_, msgs, unsigned(n), MSG_DONTWAIT);
    if (r > 0) {
      done += size_t(r);
      continue;
    }
    if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) co_return fail(errno);
    auto ready = co_await wait_ready(fd_, POLLOUT);
    if (!ready) co_return ready.error();
  }
  co_return done;
}

}  // namespace zp
