/// \file
/// Backend: the one interface between the reactor and the kernel. io_uring and epoll
/// implement it; the fault-injection layer wraps either. Services never see it: they use
/// the sockets in net.h. Every operation is a caller-owned Op (nothing allocated per op).
///
/// Op lifetime rule: once submitted, an Op stays valid until its final completion, the
/// one without kMore. cancel() asks for that final completion soon (res -ECANCELED or the
/// real result); it never completes the Op inside the cancel() call itself.
/// \code
///   op.complete = [](Op* o, int32_t res, uint32_t flags) { ... };
///   backend.recv_multishot(op, fd);
/// \endcode
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "zp/alloc/buffer_pool.h"
#include "zp/result.h"

namespace zp {

/// Completion flags.
inline constexpr uint32_t kMore = 1u << 0;     ///< a multishot op will complete again
inline constexpr uint32_t kBuffer = 1u << 1;   ///< a provided buffer is attached: buffer_id(flags)
/// Bits 2..15: offset of the data in the buffer (non-zero only when the fault layer split a
/// completion); bits 16..31: the buffer id.
inline constexpr uint32_t buffer_id(uint32_t flags) { return flags >> 16; }
inline constexpr uint32_t buffer_offset(uint32_t flags) { return (flags >> 2) & 0x3fff; }  ///< the data's offset in the buffer (see above)
/// Flags with buffer `bid` (at `offset`) attached, keeping kMore.
inline constexpr uint32_t with_buffer(uint32_t flags, uint32_t bid, uint32_t offset = 0) {
  return (flags & 3u) | kBuffer | (offset << 2) | (bid << 16);
}

/// One operation's completion slot, owned by its caller (nothing is allocated per operation).
struct Op {
  /// Called once per completion. res: >= 0 on success, -errno on failure.
  void (*complete)(Op* self, int32_t res, uint32_t flags) = nullptr;
  void* owner = nullptr;  ///< the owner's object, for complete() to find it
  /// Backend bookkeeping (epoll registration, fault-layer state); owners leave it alone.
  void* backend_data = nullptr;
  int fd = -1;  ///< the descriptor the operation is on (for the backend)
  uint32_t backend_flags = 0;  ///< backend bookkeeping bits; owners leave them alone
};

/// Sizes of a backend's rings and buffers.
struct BackendOptions {
  uint32_t sq_entries = 4096;  ///< submission queue entries
  uint32_t cq_entries = 16384;        ///< well above SQ: multishot ops complete many times
  uint32_t recv_buffer_bytes = 4096;  ///< provided-buffer ring: size of each buffer (<= 16 KiB)
  uint32_t recv_buffer_count = 256;   ///< power of two
  uint32_t fixed_buffer_bytes = 65536;  ///< registered send/read buffers
  uint32_t fixed_buffer_count = 64;  ///< number of fixed buffers
  bool buf_ring = true;  ///< false: io_uring receives into buffers we pick (the kernel's fallback path)
};

/// What the backend found when it started (for `zproto version` and the start-up log).
struct BackendInfo {
  std::string name;        ///< "io_uring" or "epoll"
  std::string features;    ///< e.g. "single_issuer defer_taskrun buf_ring fixed_buffers"
  std::string degraded;    ///< non-empty when something fell back (logged once)
};

/// Who takes a received buffer back when its RecvBuf lease ends: the backend (provided
/// buffers) or a stream layer's own pool (TLS plaintext, see tls.h).
class BufferOwner {
 public:
  /// Takes buffer `id` back (its lease ended).
  virtual void buffer_release(uint32_t id) = 0;

 protected:
  ~BufferOwner() = default;
};

/// The reactor's view of the kernel (io_uring or epoll; see the file comment).
class Backend : public BufferOwner {
 public:
  virtual ~Backend() = default;
  virtual const BackendInfo& info() const = 0;  ///< what the backend is and found at start

  /// Multishot accept: one completion per accepted connection (res = fd) with kMore.
  virtual void accept(Op& op, int listen_fd) = 0;
  /// Multishot receive into the provided-buffer ring: res = bytes (0 = EOF, final),
  /// buffer in flags. -ENOBUFS (final) when the ring ran dry: release buffers, then re-arm.
  virtual void recv_multishot(Op& op, int fd) = 0;
  /// One-shot operations.
  virtual void connect(Op& op, int fd, const sockaddr* addr, socklen_t len) = 0;
  virtual void sendmsg(Op& op, int fd, const msghdr* msg, int flags) = 0;  ///< one-shot sendmsg(2) of msg
  /// Completes with the ready mask (POLLIN/POLLOUT...) once fd is ready.
  virtual void poll(Op& op, int fd, uint32_t poll_mask) = 0;
  /// File read at offset (regular files; the epoll backend reads synchronously).
  virtual void read(Op& op, int fd, void* buf, uint32_t len, uint64_t offset) = 0;
  /// File write at offset; offset UINT64_MAX appends at the current position (O_APPEND
  /// files: the end). res = bytes written (may be short). The epoll backend writes synchronously.
  virtual void write(Op& op, int fd, const void* buf, uint32_t len, uint64_t offset) = 0;
  /// fdatasync(2) of fd: its data, and the metadata needed to read it back (the size), on
  /// stable storage. res = 0 or -errno (EIO: the data may be lost). io_uring: IORING_OP_FSYNC
  /// with IORING_FSYNC_DATASYNC; the epoll backend runs it synchronously (see there).
  virtual void sync(Op& op, int fd) = 0;
  virtual void cancel(Op& op) = 0;  ///< asks for op's final completion soon (see the file comment)
  /// Closes fd, which no operation of ours may use afterwards. io_uring queues a CLOSE with
  /// this turn's submit (no completion is reported); elsewhere it is close(2) at once.
  virtual void close_fd(int fd) { ::close(fd); }
  /// Whether an operation in flight keeps its socket alive past close_fd() (io_uring holds
  /// a file reference), so a send and the close may go out in the same submit.
  virtual bool close_keeps_ops() const { return false; }

  /// Provided receive buffers. Each completion carrying kBuffer holds one reference;
  /// the buffer returns to the ring when its references are released.
  virtual std::span<std::byte> buffer(uint32_t bid) = 0;
  virtual void buffer_ref(uint32_t bid) = 0;  ///< one more reference to provided buffer bid
  void buffer_release(uint32_t bid) override = 0;  ///< drops a reference; the buffer returns to the ring at zero
  virtual uint32_t buffers_available() const = 0;  ///< provided buffers free now

  /// Fixed buffers: page-aligned, registered with io_uring where the kernel allows (else
  /// plain memory). File reads into them use READ_FIXED; sends from them use
  /// send_fixed(). ENOBUFS when all are out.
  virtual Result<uint32_t> acquire_fixed() {
    if (!fixed_pool_) return fail(ENOBUFS);
    return fixed_pool_->acquire();
  }
  virtual std::span<std::byte> fixed_buffer(uint32_t idx) const { return fixed_pool_->buffer(idx); }  ///< the bytes of fixed buffer idx
  virtual void release_fixed(uint32_t idx) { fixed_pool_->release(idx); }  ///< gives fixed buffer idx back
  /// Sends msg, whose single iovec lies in fixed buffer idx: zero-copy from the registered
  /// buffer on io_uring (completes once the kernel no longer needs the buffer), a plain
  /// sendmsg elsewhere. Same result as sendmsg.
  virtual void send_fixed(Op& op, int fd, const msghdr* msg, uint32_t idx) {
    (void)idx;
    sendmsg(op, fd, msg, 0);
  }

  /// Submits what is queued, waits up to timeout_ms (-1: no limit) for at least one
  /// completion or a wake(), and dispatches every completion ready. Returns how many.
  virtual int run_once(int timeout_ms) = 0;
  /// Thread-safe: makes a run_once() in progress return soon.
  virtual void wake() = 0;
  /// Wake `target` from this backend's thread, cheaper where the kernel allows (MSG_RING).
  virtual void wake_peer(Backend& target) { target.wake(); }
  /// For the fault backend: a wake_peer whose fast path fails as a kernel refusing MSG_RING
  /// would (io_uring: sent to an invalid ring). target must be woken all the same.
  virtual void wake_peer_failing(Backend& target) { wake_peer(target); }

  /// Why this backend was picked over io_uring, if it was a fallback (logged once at start).
  void note_fallback(std::string why) { fallback_ = std::move(why); }
  const std::string& fallback() const { return fallback_; }  ///< why this backend is a fallback; "" when it is not

  /// Routes every completion through `hook` first (fault injection). nullptr restores.
  using Interceptor = void (*)(void* arg, Op* op, int32_t res, uint32_t flags);
  /// Routes every completion through `hook` (with `arg`) before its Op sees it.
  void set_interceptor(Interceptor hook, void* arg) {
    interceptor_ = hook;
    interceptor_arg_ = arg;
  }

  /// Called by run_once() after a wait that may have slept, before any completion is
  /// dispatched: the shard moves its clock there, so code resumed by a completion does not
  /// see the time from before the wait. Wrappers forward it to what they wrap.
  using AfterWait = void (*)(void* arg);
  /// Sets the after-wait hook (see above).
  virtual void set_after_wait(AfterWait hook, void* arg) {
    after_wait_ = hook;
    after_wait_arg_ = arg;
  }

 protected:
  /// For implementations: hands a completion to its Op, through the interceptor when set.
  void dispatch(Op* op, int32_t res, uint32_t flags) {
    if (interceptor_) interceptor_(interceptor_arg_, op, res, flags);
    else op->complete(op, res, flags);
  }
  /// For implementations: calls the after-wait hook.
  void after_wait() {
    if (after_wait_) after_wait_(after_wait_arg_);
  }

 private:
  std::string fallback_;
  Interceptor interceptor_ = nullptr;
  AfterWait after_wait_ = nullptr;
  void* after_wait_arg_ = nullptr;

 protected:
  /// For implementations: makes the fixed-buffer pool (none when the mapping fails).
  void make_fixed_pool(const BackendOptions& opts) {
    fixed_pool_ = std::make_unique<BufferPool>(
        BufferPoolLimits{.buffer_bytes = opts.fixed_buffer_bytes, .count = opts.fixed_buffer_count});
    if (!fixed_pool_->ok()) fixed_pool_.reset();
  }
  std::unique_ptr<BufferPool> fixed_pool_;  ///< for implementations: the fixed buffers, or null
  void* interceptor_arg_ = nullptr;  ///< for implementations: the interceptor's argument
};

/// Which backend make_backend() makes.
enum class BackendKind { automatic, io_uring, epoll };

/// Creates the backend: io_uring unless kind says epoll, ZP_BACKEND=epoll is set, or
/// io_uring_setup is refused (EPERM/ENOSYS/EINVAL), in which case epoll is returned.
Result<std::unique_ptr<Backend>> make_backend(BackendKind kind, const BackendOptions& opts);
Result<std::unique_ptr<Backend>> make_uring_backend(const BackendOptions& opts);  ///< an io_uring backend, or the io_uring_setup error
Result<std::unique_ptr<Backend>> make_epoll_backend(const BackendOptions& opts);  ///< an epoll backend

}  // namespace zp
