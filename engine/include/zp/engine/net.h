/// \file
/// Sockets on the shard's backend: TCP and Unix stream listeners and connections, UDP.
/// A Stream receives through the backend's multishot recv into provided buffers, so an
/// idle connection holds no receive buffer; recv() hands out a RecvBuf lease (zero copy).
/// \code
///   auto l = zp::Listener::bind(shard, *zp::SocketAddr::parse("127.0.0.1:7007"));
///   auto s = co_await l->accept();                  // Result<Stream>
///   auto b = co_await s->recv();                    // Result<RecvBuf>, size 0 = EOF
///   auto w = co_await s->send(b->bytes());          // sends all of it, or an error
/// \endcode
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <coroutine>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "zp/engine/backend.h"
#include "zp/engine/shard.h"
#include "zp/engine/task.h"
#include "zp/engine/timer_wheel.h"
#include "zp/result.h"

namespace zp {

/// An IPv4, IPv6 or Unix-domain socket address.
struct SocketAddr {
  sockaddr_storage storage{};  ///< the address
  socklen_t len = 0;  ///< its length (0: none)

  /// "127.0.0.1:80", "[::1]:80", ":80" (IPv6 any, dual stack), "unix:/path".
  /// EINVAL for anything else.
  static Result<SocketAddr> parse(std::string_view text);
  static SocketAddr from(const sockaddr* sa, socklen_t len);  ///< copies a kernel-filled address
  int family() const { return storage.ss_family; }  ///< AF_INET, AF_INET6 or AF_UNIX
  uint16_t port() const;  ///< the port (0 for Unix addresses)
  std::string to_string() const;  ///< the form parse() reads
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&storage); }  ///< for system calls
};

/// A lease on received bytes: the buffer goes back to its owner (the backend's provided-buffer
/// ring, or a stream layer's pool) when it dies.
class RecvBuf {
 public:
  RecvBuf() = default;
  /// A lease on `size` bytes (< 4 GiB: one receive buffer) at `data` in buffer `bid` of owner `b`.
  RecvBuf(BufferOwner* b, uint32_t bid, const std::byte* data, size_t size)
      : backend_(b), data_(data), bid_(bid), size_(uint32_t(size)) {}
  /// Takes o's lease; o is left empty.
  RecvBuf(RecvBuf&& o) noexcept
      : backend_(std::exchange(o.backend_, nullptr)), data_(o.data_), bid_(o.bid_), size_(o.size_) {}
  RecvBuf& operator=(RecvBuf&& o) noexcept {  ///< releases ours, takes o's
    if (this != &o) {
      reset();
      backend_ = std::exchange(o.backend_, nullptr);
      bid_ = o.bid_;
      data_ = o.data_;
      size_ = o.size_;
    }
    return *this;
  }
  ~RecvBuf() { reset(); }
  void reset() {  ///< releases the buffer now
    if (backend_) backend_->buffer_release(bid_);
    backend_ = nullptr;
  }
  std::span<const std::byte> bytes() const { return {data_, size_}; }  ///< the bytes
  std::string_view text() const { return {reinterpret_cast<const char*>(data_), size_}; }  ///< the bytes as text
  size_t size() const { return size_; }  ///< their count
  bool eof() const { return size_ == 0; }  ///< true at end of stream (size 0)

 private:
  // 24 bytes: a pending receive's result lives in every idle connection's frame.
  BufferOwner* backend_ = nullptr;
  const std::byte* data_ = nullptr;
  uint32_t bid_ = 0;
  uint32_t size_ = 0;
};

struct StreamCore;

/// A lease on one of the backend's fixed (registered) buffers; returned when it dies.
/// Fill it (e.g. File::read_at, which then uses READ_FIXED) and send it with send_fixed().
class FixedBuf {
 public:
  FixedBuf() = default;
  FixedBuf(FixedBuf&& o) noexcept : backend_(std::exchange(o.backend_, nullptr)), idx_(o.idx_) {}  ///< takes o's lease; o is left empty
  FixedBuf& operator=(FixedBuf&& o) noexcept {  ///< releases ours, takes o's
    if (this != &o) {
      reset();
      backend_ = std::exchange(o.backend_, nullptr);
      idx_ = o.idx_;
    }
    return *this;
  }
  ~FixedBuf() { reset(); }
  /// ENOBUFS when every fixed buffer is out.
  static Result<FixedBuf> acquire(Backend& b) {
    auto idx = b.acquire_fixed();
    if (!idx) return idx.error();
    FixedBuf f;
    f.backend_ = &b;
    f.idx_ = *idx;
    return f;
  }
  std::span<std::byte> bytes() const { return backend_->fixed_buffer(idx_); }  ///< the buffer's bytes
  uint32_t index() const { return idx_; }  ///< its index among the backend's fixed buffers
  void reset() {  ///< gives the buffer back now
    if (backend_) backend_->release_fixed(idx_);
    backend_ = nullptr;
  }

 private:
  Backend* backend_ = nullptr;
  uint32_t idx_ = 0;
};

class Stream;

/// What a parked stream calls once input is there (Stream::park): an idle connection then
/// holds no coroutine frame, only its own state and the stream.
struct ReadyHook {
  void (*fire)(ReadyHook* self) = nullptr;  ///< called once, on the shard's thread
};

/// A transform between a stream's socket and its user (TLS, tls.h): once attached with
/// Stream::set_layer, the stream's recv/send/close go through it, so a service reads and
/// writes plaintext without knowing. It reaches the socket through Stream::raw_recv/raw_sendv.
/// The stream owns it until it calls on_close(); from then on the layer frees itself (at
/// once, or when its own tasks in flight have ended).
class StreamLayer {
 public:
  /// The next plaintext bytes (size 0: the peer closed cleanly), or the error.
  virtual Task<Result<RecvBuf>> recv(Stream& s, bool idle) = 0;
  /// Sends all of iov (the bytes are copied before the first suspension ends, as the caller's
  /// iov stays valid only for the await), then closes the stream when close_after is set.
  virtual Task<Result<size_t>> send(Stream& s, std::span<const iovec> iov, bool close_after) = 0;
  /// Half-close (Stream::shutdown_write): the last word (TLS close_notify), without waiting.
  virtual void close_notify(int fd) = 0;
  /// The stream closes now (fd is still open, or -1): a last word (TLS close_notify) may go
  /// out without waiting. The stream never touches the layer again.
  virtual void on_close(int fd) = 0;

 protected:
  virtual ~StreamLayer() = default;
};

/// Per-stream limits.
struct StreamOptions {
  size_t max_queued_bytes = 64 * 1024;  ///< received but unread: beyond this, stop reading
};

/// A connected TCP or Unix stream socket owned by one shard.
class Stream {
 public:
  Stream() = default;
  explicit Stream(StreamCore* core) : core_(core) {}  ///< wraps a core made by the engine
  Stream(Stream&& o) noexcept : core_(std::exchange(o.core_, nullptr)) {}  ///< takes o's socket (and layer); o is left closed
  Stream& operator=(Stream&& o) noexcept {  ///< closes ours, takes o's
    if (this != &o) {
      close();
      core_ = std::exchange(o.core_, nullptr);
    }
    return *this;
  }
  ~Stream() { close(); }

  /// Wraps a connected non-blocking socket the stream now owns.
  static Result<Stream> adopt(Shard& shard, int fd, StreamOptions opts = {});
  /// Connects to addr (TCP or Unix). ECONNREFUSED, ETIMEDOUT (use with_timeout), ...
  /// addr is taken by value: the task may start after the caller's copy is gone.
  static Task<Result<Stream>> connect(SocketAddr addr, StreamOptions opts = {});

  /// The awaitable of recv() and recv_more(): co_await it for a Result<RecvBuf>.
  struct RecvAwaiter {
    /// \cond internal
    // 24 bytes, in every idle connection's frame: the TaskCtx is read in await_suspend and
    // kept by the core, and a layered stream's pointer gives way to its receive task.
    StreamCore* core;
    union {
      Stream* layered;  // before await_suspend, when `is_layered`
      void* inner;      // after it: the frame of the layer's receive task
    };
    bool idle;        ///< waiting between messages: ends at a graceful stop
    bool is_layered;  ///< the stream's layer receives (a task of its own)
    bool started = false;  ///< `inner` holds the layer's task
    RecvAwaiter(StreamCore* c, bool i, Stream* l = nullptr) : core(c), layered(l), idle(i), is_layered(l != nullptr) {}
    RecvAwaiter(RecvAwaiter&& o) noexcept
        : core(o.core), layered(o.layered), idle(o.idle), is_layered(o.is_layered), started(std::exchange(o.started, false)) {}
    RecvAwaiter& operator=(RecvAwaiter&&) = delete;
    ~RecvAwaiter() {
      if (started) Task<Result<RecvBuf>>::Handle::from_address(inner).destroy();
    }
    bool await_ready() noexcept;
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) {
      if (is_layered) {
        Task<Result<RecvBuf>> t = layered->layer()->recv(*layered, idle);
        auto th = t.release();
        inner = th.address();
        started = true;
        return typename Task<Result<RecvBuf>>::Awaiter{th}.await_suspend(h);
      }
      if (suspend(h, h.promise().ctx)) return std::noop_coroutine();
      return h;
    }
    Result<RecvBuf> await_resume();
    bool suspend(std::coroutine_handle<> h, TaskCtx* ctx);
    /// \endcond
  };
  /// The next received bytes (size 0 at EOF); ECONNRESET etc.; ECANCELED if cancelled.
  /// The waiting task counts as idle (it is cancelled at graceful stop).
  RecvAwaiter recv() { return RecvAwaiter(core_, true, layered()); }
  /// The same, in the middle of a message (a body, the rest of a header): a graceful stop
  /// lets it finish within the drain time instead of ending it.
  RecvAwaiter recv_more() { return RecvAwaiter(core_, false, layered()); }

  /// True when recv() would not wait: bytes, EOF or an error are queued (or no socket).
  bool input_ready() const;
  /// Instead of a task waiting in recv(): hook.fire(&hook) once input is there, then the
  /// owner takes it with recv() (it does not wait). False, and nothing is registered, when
  /// input is there already, a task waits in recv(), or the stream has a layer (TLS
  /// receives in a task of its own): then receive as usual. Parked, the stream is not a
  /// task's: a graceful stop does not end it; its owner does (unpark() or close()).
  bool park(ReadyHook& hook);
  /// Cancels park(): the hook will not fire.
  void unpark();

  static constexpr size_t kMaxIov = 4;  ///< small: the awaiter lives in the caller's frame
  /// The awaitable of the send calls: co_await it for a Result<size_t> (bytes sent).
  struct SendAwaiter {
    /// \cond internal
    StreamCore* core = nullptr;
    Op op;
    msghdr msg{};
    iovec iov[kMaxIov];
    size_t iov_count = 0;
    size_t sent = 0;
    size_t total = 0;
    int64_t fixed_idx = -1;  ///< >= 0: the data lies in this fixed buffer
    int32_t error = 0;
    TaskCtx* ctx = nullptr;
    std::coroutine_handle<> h;
    SendAwaiter* prev_send = nullptr;  ///< in the stream's list of sends in flight
    SendAwaiter* next_send = nullptr;
    Stream* closing = nullptr;  ///< send_and_close(): the stream to close behind this send
    Stream* layered = nullptr;  ///< set: the stream's layer sends (a task of its own)
    Task<Result<size_t>> inner;
    bool await_ready() noexcept;
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> hh) {
      ctx = hh.promise().ctx;
      if (layered) {
        inner = layered->layer()->send(*layered, std::span<const iovec>(iov, iov_count), closing != nullptr);
        return typename Task<Result<size_t>>::Awaiter{inner.handle()}.await_suspend(hh);
      }
      if (suspend(hh)) return std::noop_coroutine();
      return hh;
    }
    bool suspend(std::coroutine_handle<> hh);
    Result<size_t> await_resume();
    void submit();
    /// \endcond
  };
  /// Sends every byte (resubmitting after short sends), or returns the error (EPIPE,
  /// ECONNRESET, ECANCELED). At most kMaxIov iovecs per call (EINVAL beyond).
  SendAwaiter send(std::span<const std::byte> data);
  SendAwaiter sendv(std::span<const iovec> iov);  ///< the same for a gather list
  /// Sends buf.bytes()[offset, offset + len): zero-copy from the registered buffer on
  /// io_uring. buf must stay alive until the send completes.
  SendAwaiter send_fixed(const FixedBuf& buf, size_t offset, size_t len);

  /// Sends every byte of iov, then closes the stream (afterwards is_open() is false, also
  /// on error). On io_uring the close goes to the kernel in the same submit as the send,
  /// which finishes it (MSG_WAITALL) before the FIN: one loop turn and no EOF wake-up less
  /// than send() then close(). The result is the send's.
  SendAwaiter send_and_close(std::span<const iovec> iov);

  /// Half-close: the peer reads EOF (after a layer's close_notify); we can still receive.
  Result<void> shutdown_write();

  /// Layers (TLS): set_layer routes recv/send/close through `layer` from now on; the stream
  /// owns it (see StreamLayer). EBUSY if one is attached already, EBADF on a closed stream.
  /// The raw_* calls reach the socket under the layer.
  Result<void> set_layer(StreamLayer* layer);
  StreamLayer* layer() const;  ///< the attached layer, or null
  RecvAwaiter raw_recv(bool idle) { return RecvAwaiter(core_, idle); }  ///< receive from the socket under the layer
  SendAwaiter raw_sendv(std::span<const iovec> iov) { return sendv_impl(iov, false); }  ///< send to the socket under the layer
  SendAwaiter raw_send_and_close(std::span<const iovec> iov);  ///< send to the socket under the layer, then close
  /// The first chunk received and not yet read (empty if none): STARTTLS checks it.
  std::span<const std::byte> peek_received() const;
  /// Drops everything received and not yet read; returns how many bytes.
  size_t discard_received();
  /// Closes the socket; a receive still in flight finishes in the background.
  void close();

  bool is_open() const { return core_ != nullptr; }  ///< false once closed
  int fd() const;  ///< the socket, -1 when closed
  Result<SocketAddr> peer_addr() const;  ///< the peer's address, or the getpeername error

 private:
  /// close(); cancel_sends false leaves the sends in flight to finish (send_and_close).
  void close_impl(bool cancel_sends);
  SendAwaiter sendv_impl(std::span<const iovec> iov, bool layered);
  Stream* layered() { return layer() ? this : nullptr; }
  // One pointer: the layer lives in the core, so a connection's frame holds 8 bytes here.
  StreamCore* core_ = nullptr;
};

/// Options of a listening socket.
struct ListenOptions {
  int backlog = 4096;  ///< listen(2) backlog
  bool reuse_port = true;       ///< one listener per shard on the same port
  size_t max_pending = 1024;    ///< accepted, not yet taken by accept(): beyond, pause
  StreamOptions stream{};  ///< options of each accepted stream
};

struct ListenerCore;

/// A listening TCP or Unix socket on one shard; closes itself when the shard stops.
class Listener {
 public:
  Listener() = default;
  Listener(Listener&& o) noexcept : core_(std::exchange(o.core_, nullptr)) {}  ///< takes o's socket; o is left closed
  Listener& operator=(Listener&& o) noexcept {  ///< closes ours, takes o's
    if (this != &o) {
      close();
      core_ = std::exchange(o.core_, nullptr);
    }
    return *this;
  }
  ~Listener() { close(); }

  /// EADDRINUSE, EACCES, EINVAL...
  static Result<Listener> bind(Shard& shard, const SocketAddr& addr, ListenOptions opts = {});

  /// The awaitable of accept(): co_await it for a Result<Stream>.
  struct AcceptAwaiter {
    /// \cond internal
    ListenerCore* core;
    TaskCtx* ctx = nullptr;
    bool await_ready() noexcept;
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
      ctx = h.promise().ctx;
      return suspend(h);
    }
    bool suspend(std::coroutine_handle<> h);
    Result<Stream> await_resume();
    /// \endcond
  };
  /// The next connection; ECANCELED once the listener is closed or the shard stops.
  AcceptAwaiter accept() { return AcceptAwaiter{core_}; }

  SocketAddr local_addr() const;  ///< the bound address (the port the kernel chose for port 0)
  void close();  ///< closes the socket; a pending accept ends with ECANCELED
  int fd() const;  ///< the socket, -1 when closed

 private:
  explicit Listener(ListenerCore* c) : core_(c) {}
  ListenerCore* core_ = nullptr;
};

/// A datagram and its peer, for batched UDP I/O. `data` is caller storage.
struct Datagram {
  SocketAddr peer;  ///< the sender (receive) or destination (send)
  std::span<std::byte> data;  ///< receive: capacity in, see `size`; send: the payload
  size_t size = 0;  ///< receive: the datagram's length
};

/// A UDP socket. Batches use recvmmsg/sendmmsg on a ready socket: on this kernel that
/// spent less CPU per datagram than io_uring recvmsg/sendmsg (see docs/perf.md).
class UdpSocket {
 public:
  UdpSocket() = default;
  UdpSocket(UdpSocket&& o) noexcept : fd_(std::exchange(o.fd_, -1)), shard_(o.shard_) {}  ///< takes o's socket; o is left closed
  UdpSocket& operator=(UdpSocket&& o) noexcept {  ///< closes ours, takes o's
    if (this != &o) {
      close();
      fd_ = std::exchange(o.fd_, -1);
      shard_ = o.shard_;
    }
    return *this;
  }
  ~UdpSocket() { close(); }

  /// Binds a UDP socket on `addr` (SO_REUSEPORT unless reuse_port is false). EADDRINUSE, EACCES...
  static Result<UdpSocket> bind(Shard& shard, const SocketAddr& addr, bool reuse_port = true);
  /// Receives at least one datagram (waiting for one), up to out.size(); returns how many.
  Task<Result<size_t>> recv_batch(std::span<Datagram> out);
  /// Sends all datagrams in order (waiting while the socket buffer is full).
  Task<Result<size_t>> send_batch(std::span<const Datagram> in);
  SocketAddr local_addr() const;  ///< the bound address
  void close();  ///< closes the socket
  int fd() const { return fd_; }  ///< the socket, -1 when closed

 private:
  int fd_ = -1;
  Shard* shard_ = nullptr;
};

/// Waits until fd is ready for `mask` (POLLIN/POLLOUT); the ready mask, or ECANCELED.
Task<Result<uint32_t>> wait_ready(int fd, uint32_t mask);

}  // namespace zp
