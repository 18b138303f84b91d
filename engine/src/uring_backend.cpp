// io_uring backend. user_data layout: the Op* of the operation, or one of the small
// tags below for the backend's own requests (never a valid pointer).
#include <liburing.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "zp/alloc/buffer_pool.h"
#include "zp/engine/backend.h"

namespace zp {

namespace {

constexpr uint64_t kTagIgnore = 0;  // cancel, msg_ring and close requests (skip-success)
constexpr uint64_t kTagWakeFd = 1;  // the eventfd read that external wake() completes
constexpr uint64_t kTagWakeMsg = 2; // a peer's MSG_RING wake-up
// A MSG_RING wake that failed (skip-success: only failures complete) carries its target:
// a UringBackend* (8-aligned, unlike an Op* never with these low bits) | kTagFailedWake.
constexpr uint64_t kTagFailedWake = 3;
constexpr uint64_t kTagLowBits = 7;
constexpr uint16_t kBufGroup = 0;
constexpr uint32_t kEmulatedRecv = 1;  // Op::backend_flags: recv emulated without a buf ring
constexpr uint32_t kCancelAsked = 2;   // ... and its owner asked to cancel it
constexpr uint32_t kZeroCopy = 4;      // a SEND_ZC: result held until the buffer notification

class UringBackend final : public Backend {
 public:
  ~UringBackend() override;
  Result<void> init(const BackendOptions& opts);
  const BackendInfo& info() const override { return info_; }

  void accept(Op& op, int listen_fd) override {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_multishot_accept(sqe, listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    io_uring_sqe_set_data(sqe, &op);
  }
  void recv_multishot(Op& op, int fd) override;
  void connect(Op& op, int fd, const sockaddr* addr, socklen_t len) override {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_connect(sqe, fd, addr, len);
    io_uring_sqe_set_data(sqe, &op);
  }
  void sendmsg(Op& op, int fd, const msghdr* msg, int flags) override {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_sendmsg(sqe, fd, msg, unsigned(flags) | MSG_NOSIGNAL);
    io_uring_sqe_set_data(sqe, &op);
  }
  void poll(Op& op, int fd, uint32_t mask) override {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_poll_add(sqe, fd, mask);
    io_uring_sqe_set_data(sqe, &op);
  }
  void read(Op& op, int fd, void* buf, uint32_t len, uint64_t offset) override;
  void write(Op& op, int fd, const void* buf, uint32_t len, uint64_t offset) override {
    io_uring_sqe* sqe = get_sqe();
    // -1 as the offset: the file position (the end, for O_APPEND files).
    io_uring_prep_write(sqe, fd, buf, len, offset == UINT64_MAX ? uint64_t(-1) : offset);
    io_uring_sqe_set_data(sqe, &op);
  }
  void sync(Op& op, int fd) override {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
    io_uring_sqe_set_data(sqe, &op);
  }
  void send_fixed(Op& op, int fd, const msghdr* msg, uint32_t idx) override {
    if (!fixed_registered_ || msg->msg_iovlen != 1) {
      sendmsg(op, fd, msg, 0);
      return;
    }
    op.backend_flags = kZeroCopy;
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_send_zc_fixed(sqe, fd, msg->msg_iov[0].iov_base, msg->msg_iov[0].iov_len, MSG_NOSIGNAL, 0,
                                0);
    // One registration covers the whole pool: index 0, any address inside it.
    sqe->buf_index = 0;
    (void)idx;
    io_uring_sqe_set_data(sqe, &op);
  }
  void cancel(Op& op) override {
    if (op.backend_flags & kEmulatedRecv) op.backend_flags |= kCancelAsked;
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_cancel64(sqe, reinterpret_cast<uint64_t>(&op), 0);
    io_uring_sqe_set_data64(sqe, kTagIgnore);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
  }

  void close_fd(int fd) override {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_close(sqe, fd);
    io_uring_sqe_set_data64(sqe, kTagIgnore);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
  }
  bool close_keeps_ops() const override { return true; }

  std::span<std::byte> buffer(uint32_t bid) override { return recv_pool_->buffer(bid); }
  void buffer_ref(uint32_t bid) override { ++refs_[bid]; }
  void buffer_release(uint32_t bid) override;
  uint32_t buffers_available() const override { return available_; }

  int run_once(int timeout_ms) override;
  void wake() override {
    uint64_t one = 1;
    ssize_t n = ::write(wake_fd_, &one, sizeof one);
    (void)n;
  }
  void wake_peer(Backend& target) override;
  void wake_peer_failing(Backend& target) override;

 private:
  io_uring_sqe* get_sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    while (!sqe) {
      // SQ full mid-turn: hand what we have to the kernel and take a fresh slot.
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
  }
  void send_msg_ring_wake(UringBackend& peer, int ring_fd);
  void arm_wake_read() {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_read(sqe, wake_fd_, &wake_value_, sizeof wake_value_, 0);
    io_uring_sqe_set_data64(sqe, kTagWakeFd);
  }
  void provide(uint32_t bid) {
    if (buf_ring_) {
      auto b = recv_pool_->buffer(bid);
      io_uring_buf_ring_add(buf_ring_, b.data(), unsigned(b.size()), uint16_t(bid),
                            io_uring_buf_ring_mask(ring_entries_), int(pending_provides_));
      ++pending_provides_;
    } else {
      recv_pool_->release(bid);
    }
    ++available_;
  }
  void flush_provides() {
    if (pending_provides_) {
      io_uring_buf_ring_advance(buf_ring_, int(pending_provides_));
      pending_provides_ = 0;
    }
  }
  // from_submit: called from recv_multishot(), where completing inline is not allowed.
  void arm_emulated_recv(Op& op, bool from_submit);
  std::vector<Op*> deferred_enobufs_;
  int reap();
  void handle(io_uring_cqe* cqe);

  io_uring ring_{};
  bool ring_ok_ = false;
  BackendInfo info_;
  int wake_fd_ = -1;
  uint64_t wake_value_ = 0;
  std::unique_ptr<BufferPool> recv_pool_;
  io_uring_buf_ring* buf_ring_ = nullptr;
  size_t buf_ring_bytes_ = 0;
  uint32_t ring_entries_ = 0;
  uint32_t pending_provides_ = 0;
  uint32_t available_ = 0;
  std::vector<uint16_t> refs_;
  bool fixed_registered_ = false;
};

UringBackend::~UringBackend() {
  if (ring_ok_) {
    io_uring_submit(&ring_);  // queued closes must not leak their descriptors
    io_uring_queue_exit(&ring_);
  }
  if (buf_ring_) munmap(buf_ring_, buf_ring_bytes_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Result<void> UringBackend::init(const BackendOptions& opts) {
  io_uring_params p{};
  p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  p.cq_entries = opts.cq_entries;
  std::string features;
  int r = io_uring_queue_init_params(opts.sq_entries, &ring_, &p);
  if (r == 0) {
    features = "single_issuer defer_taskrun";
  } else if (r == -EINVAL) {
    p = {};
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN;
    p.cq_entries = opts.cq_entries;
    r = io_uring_queue_init_params(opts.sq_entries, &ring_, &p);
    if (r == 0) features = "coop_taskrun";
    if (r == -EINVAL) {
      p = {};
      p.flags = IORING_SETUP_CQSIZE;
      p.cq_entries = opts.cq_entries;
      r = io_uring_queue_init_params(opts.sq_entries, &ring_, &p);
    }
  }
  if (r < 0) return fail(-r);
  ring_ok_ = true;
  if (!(p.features & IORING_FEAT_NODROP)) info_.degraded += "no FEAT_NODROP; ";
  info_.name = "io_uring";

  wake_fd_ = eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) return fail(errno);
  arm_wake_read();

  // Provided-buffer ring, registered by hand: liburing 2.3 lacks io_uring_setup_buf_ring.
  ring_entries_ = opts.recv_buffer_count;
  recv_pool_ = std::make_unique<BufferPool>(
      BufferPool::Limits{.buffer_bytes = opts.recv_buffer_bytes, .count = ring_entries_});
  if (!recv_pool_->ok()) return fail(ENOMEM);
  refs_.assign(ring_entries_, 0);
  buf_ring_bytes_ = ring_entries_ * sizeof(io_uring_buf);
  void* mem = opts.buf_ring ? mmap(nullptr, buf_ring_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0)
                           : MAP_FAILED;
  if (mem != MAP_FAILED) {
    buf_ring_ = static_cast<io_uring_buf_ring*>(mem);
    io_uring_buf_ring_init(buf_ring_);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<uint64_t>(buf_ring_);
    reg.ring_entries = ring_entries_;
    reg.bgid = kBufGroup;
    int rr = io_uring_register_buf_ring(&ring_, &reg, 0);
    if (rr < 0) {
      munmap(buf_ring_, buf_ring_bytes_);
      buf_ring_ = nullptr;
      info_.degraded += "buffer ring refused (" + std::string(strerror(-rr)) + "), recv emulated; ";
    }
  }
  if (buf_ring_) {
    // Ring ownership: every buffer starts in the kernel's hands.
    while (recv_pool_->acquire()) {
    }
    for (uint32_t bid = 0; bid < ring_entries_; ++bid) provide(bid);
    flush_provides();
    features += " buf_ring multishot_recv";
  } else {
    available_ = ring_entries_;
  }

  // Registered buffers for file reads; a low RLIMIT_MEMLOCK degrades to plain reads.
  make_fixed_pool(opts);
  if (fixed_pool_) {
    iovec iov{fixed_pool_->base(), fixed_pool_->buffer_bytes() * fixed_pool_->count()};
    int rr = io_uring_register_buffers(&ring_, &iov, 1);
    if (rr == 0) {
      fixed_registered_ = true;
      features += " fixed_buffers";
    } else {
      info_.degraded += "fixed buffers refused (" + std::string(strerror(-rr)) + "); ";
    }
  }
  if (io_uring_register_ring_fd(&ring_) == 1) features += " registered_ring_fd";
  info_.features = features;
  return {};
}

void UringBackend::recv_multishot(Op& op, int fd) {
  op.fd = fd;
  if (!buf_ring_) {
    op.backend_flags = kEmulatedRecv;
    arm_emulated_recv(op, true);
    return;
  }
  flush_provides();
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_recv_multishot(sqe, fd, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kBufGroup;
  io_uring_sqe_set_data(sqe, &op);
}

void UringBackend::arm_emulated_recv(Op& op, bool from_submit) {
  auto bid = recv_pool_->acquire();
  if (!bid) {
    op.backend_flags = 0;
    if (from_submit) deferred_enobufs_.push_back(&op);
    else dispatch(&op, -ENOBUFS, 0);
    return;
  }
  --available_;
  refs_[*bid] = 1;
  op.backend_flags = kEmulatedRecv | (*bid << 16);
  auto b = recv_pool_->buffer(*bid);
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_recv(sqe, op.fd, b.data(), b.size(), 0);
  io_uring_sqe_set_data(sqe, &op);
}

void UringBackend::read(Op& op, int fd, void* buf, uint32_t len, uint64_t offset) {
  io_uring_sqe* sqe = get_sqe();
  auto* p = static_cast<std::byte*>(buf);
  std::byte* base = fixed_pool_ ? fixed_pool_->base() : nullptr;
  if (fixed_registered_ && p >= base && p + len <= base + fixed_pool_->buffer_bytes() * fixed_pool_->count())
    io_uring_prep_read_fixed(sqe, fd, buf, len, offset, 0);
  else
    io_uring_prep_read(sqe, fd, buf, len, offset);
  io_uring_sqe_set_data(sqe, &op);
}

void UringBackend::buffer_release(uint32_t bid) {
  if (--refs_[bid] == 0) provide(bid);
}

void UringBackend::wake_peer(Backend& target) {
  auto* peer = dynamic_cast<UringBackend*>(&target);
  if (!peer) {
    target.wake();
    return;
  }
  send_msg_ring_wake(*peer, peer->ring_.ring_fd);
}

void UringBackend::wake_peer_failing(Backend& target) {
  auto* peer = dynamic_cast<UringBackend*>(&target);
  if (!peer) {
    target.wake();
    return;
  }
  send_msg_ring_wake(*peer, -1);  // EBADF: the failure path a refusing kernel takes
}

void UringBackend::send_msg_ring_wake(UringBackend& peer, int ring_fd) {
  static_assert(alignof(UringBackend) > kTagLowBits);
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_msg_ring(sqe, ring_fd, 0, kTagWakeMsg, 0);
  io_uring_sqe_set_data64(sqe, reinterpret_cast<uintptr_t>(&peer) | kTagFailedWake);
  sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
  // Leaves with this turn's one submit: the current turn ends soon, whatever it does.
}

void UringBackend::handle(io_uring_cqe* cqe) {
  uint64_t tag = io_uring_cqe_get_data64(cqe);
  int32_t res = cqe->res;
  uint32_t cf = cqe->flags;
  if (tag == kTagIgnore || tag == kTagWakeMsg) return;
  if ((tag & kTagLowBits) == kTagFailedWake) {
    // The kernel refused the MSG_RING (old kernel, target ring gone, CQ overflow): the
    // message is already in the peer's inbox, so wake it the slow way instead of never.
    reinterpret_cast<UringBackend*>(tag & ~kTagLowBits)->wake();
    return;
  }
  if (tag == kTagWakeFd) {
    arm_wake_read();
    return;
  }
  auto* op = reinterpret_cast<Op*>(tag);
  if (op->backend_flags & kZeroCopy) {
    // SEND_ZC: the result CQE (with F_MORE) then a notification once the buffer is free.
    if (cf & IORING_CQE_F_NOTIF) {
      op->backend_flags = 0;
      dispatch(op, int32_t(reinterpret_cast<intptr_t>(op->backend_data)), 0);
    } else if (cf & IORING_CQE_F_MORE) {
      op->backend_data = reinterpret_cast<void*>(intptr_t(res));
    } else {
      op->backend_flags = 0;
      dispatch(op, res, 0);
    }
    return;
  }
  if (op->backend_flags & kEmulatedRecv) {
    uint32_t bid = op->backend_flags >> 16;
    if (res > 0) {
      dispatch(op, res, with_buffer(kMore, bid));
      // The owner may have cancelled inside dispatch; it then re-arms nothing.
      if (op->backend_flags & kCancelAsked) {
        op->backend_flags = 0;
        dispatch(op, -ECANCELED, 0);
      } else {
        arm_emulated_recv(*op, false);
      }
    } else {
      buffer_release(bid);
      op->backend_flags = 0;
      dispatch(op, res, 0);
    }
    return;
  }
  uint32_t flags = 0;
  if (cf & IORING_CQE_F_MORE) flags |= kMore;
  if (cf & IORING_CQE_F_BUFFER) {
    uint32_t bid = cf >> IORING_CQE_BUFFER_SHIFT;
    --available_;
    refs_[bid] = 1;
    flags = with_buffer(flags, bid);
    if (res <= 0) {
      // No data in it (EOF or error): give it straight back.
      buffer_release(bid);
      flags &= ~kBuffer;
    }
  }
  dispatch(op, res, flags);
}

int UringBackend::reap() {
  io_uring_cqe* cqes[256];
  int total = 0;
  for (;;) {
    unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, 256);
    if (n == 0) break;
    // Copy out before advancing: handlers may submit and the CQ slots get reused.
    struct Done {
      uint64_t data;
      int32_t res;
      uint32_t flags;
    } done[256];
    for (unsigned i = 0; i < n; ++i) done[i] = {cqes[i]->user_data, cqes[i]->res, cqes[i]->flags};
    io_uring_cq_advance(&ring_, n);
    for (unsigned i = 0; i < n; ++i) {
      io_uring_cqe c{};
      c.user_data = done[i].data;
      c.res = done[i].res;
      c.flags = done[i].flags;
      handle(&c);
    }
    total += int(n);
    if (n < 256) break;
  }
  return total;
}

int UringBackend::run_once(int timeout_ms) {
  if (buf_ring_) flush_provides();
  if (!deferred_enobufs_.empty()) {
    auto ops = std::move(deferred_enobufs_);
    deferred_enobufs_.clear();
    for (Op* op : ops) dispatch(op, -ENOBUFS, 0);
    timeout_ms = 0;
  }
  if (timeout_ms == 0) {
    io_uring_submit_and_get_events(&ring_);
  } else {
    __kernel_timespec ts{};
    __kernel_timespec* tsp = nullptr;
    if (timeout_ms > 0) {
      ts.tv_sec = timeout_ms / 1000;
      ts.tv_nsec = (timeout_ms % 1000) * 1000000L;
      tsp = &ts;
    }
    io_uring_cqe* cqe = nullptr;
    int r = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, tsp, nullptr);
    (void)r;  // -ETIME / -EINTR: nothing to reap is fine
    after_wait();
  }
  return reap();
}

}  // namespace

Result<std::unique_ptr<Backend>> make_uring_backend(const BackendOptions& opts) {
  auto b = std::make_unique<UringBackend>();
  auto r = b->init(opts);
  if (!r) return r.error();
  return std::unique_ptr<Backend>(std::move(b));
}

}  // namespace zp
