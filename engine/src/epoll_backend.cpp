// EpollBackend: the zp::Backend contract on epoll(7), for hosts where io_uring_setup is
// refused (containers) or ZP_BACKEND=epoll. Same semantics as the io_uring backend:
// completions only from run_once(), multishot accept/recv, provided receive buffers with
// reference counts, -ENOBUFS when they run dry, one final completion per Op.
//
// Technique: level-triggered epoll, one registration per fd. Each fd has a small record
// (FdRec) in a two-level table indexed by fd; the record lists the ops waiting on that fd
// (at most one reader: accept or recv_multishot; a FIFO of writers: connect, sendmsg; any
// number of polls). The registered event mask is the union of what those ops wait for;
// it is updated with EPOLL_CTL_ADD/MOD/DEL only when that union changes, and removed as
// soon as no op waits, so a closed fd never leaves a stale registration behind (callers
// cancel an fd's ops before closing it, as they must with io_uring).
//
// Bookkeeping in Op (the "backend_*" fields are ours while the op is in flight):
//   backend_flags  kIdle (0), kPending or kDeferred.
//   kPending:      backend_data = Node* (pooled, never freed until the backend dies),
//                  fd = the op's fd.
//   kDeferred:     the op's final result is known and waits in the deferred queue:
//                  backend_data = next Op* in that queue, fd = the result.
// Before the final completion the op is reset to kIdle, so cancel() after it is a no-op
// and the Op may be reused or destroyed by its callback.
//
// Nothing is allocated per operation in steady state: Nodes come from chunked free lists
// and fd records from 1024-entry chunks, both grown only to the high-water mark.
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#include "zp/engine/backend.h"

namespace zp {
namespace {

// Per-turn bounds (fairness between fds and with the deferred queue).
constexpr int kAcceptsPerTurn = 64;     // accept4 calls per listener per turn
constexpr int kRecvsPerTurn = 8;        // buffers filled per fd per turn
constexpr int kMaxEvents = 256;         // epoll_wait batch
constexpr size_t kMaxNodes = size_t(1) << 22;  // ops in flight at once (-ENOMEM above)
constexpr uint32_t kMaxBuffers = 65536;        // buffer ids travel in 16 bits of flags
constexpr uint64_t kWakeTag = ~uint64_t(0);    // epoll data of the eventfd

// Op::backend_flags values.
constexpr uint32_t kIdle = 0;
constexpr uint32_t kPending = 1;
constexpr uint32_t kDeferred = 2;

// The poll bits an epoll registration accepts (numerically equal to POLL*).
constexpr uint32_t kPollBits = EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDNORM | EPOLLRDBAND |
                               EPOLLWRNORM | EPOLLWRBAND | EPOLLMSG | EPOLLRDHUP |
                               EPOLLERR | EPOLLHUP;

static_assert(EPOLLIN == POLLIN && EPOLLOUT == POLLOUT && EPOLLPRI == POLLPRI &&
                  EPOLLERR == POLLERR && EPOLLHUP == POLLHUP && EPOLLRDHUP == POLLRDHUP,
              "epoll and poll bits must match: poll() results are passed through");

enum class Kind : uint8_t { accept, recv, connect, sendmsg, poll };

struct Node {
  Op* op = nullptr;
  Node* next = nullptr;  // in the fd's writer or poll list; in the free list when unused
  Node* prev = nullptr;
  const msghdr* msg = nullptr;  // sendmsg
  uint64_t armed_turn = 0;      // turn_ when submitted: not handled by that turn's events
  int fd = -1;
  int send_flags = 0;
  uint32_t poll_mask = 0;  // poll: requested bits
  Kind kind = Kind::poll;
};

// A doubly-linked FIFO of Nodes.
struct NodeList {
  Node* head = nullptr;
  Node* tail = nullptr;
  void push_back(Node* n) {
    n->next = nullptr;
    n->prev = tail;
    if (tail) tail->next = n;
    else head = n;
    tail = n;
  }
  void remove(Node* n) {
    if (n->prev) n->prev->next = n->next;
    else head = n->next;
    if (n->next) n->next->prev = n->prev;
    else tail = n->prev;
    n->next = n->prev = nullptr;
  }
};

struct FdRec {
  Node* reader = nullptr;  // accept or recv_multishot
  NodeList writers;        // connect / sendmsg, in submission order
  NodeList polls;
  uint32_t events = 0;     // registered mask
  bool in_set = false;     // registered with the epoll instance
  bool empty() const { return !reader && !writers.head && !polls.head; }
};

// The provided receive buffers: one anonymous mapping of `count` equal slots, a LIFO
// free stack (recently used buffers are warm in cache) and a reference count per slot.
// (Plain mmap rather than zp::BufferPool: that header does not compile yet, see report.)
class RecvBuffers {
 public:
  RecvBuffers(uint32_t bytes, uint32_t count) : bytes_(bytes), count_(count) {
    stride_ = (size_t(bytes) + 63) / 64 * 64;
    void* p = ::mmap(nullptr, stride_ * count_, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return;
    base_ = static_cast<std::byte*>(p);
    free_.reserve(count_);
    for (uint32_t i = count_; i-- > 0;) free_.push_back(i);
    refs_.assign(count_, 0);
  }
  ~RecvBuffers() {
    if (base_) ::munmap(base_, stride_ * count_);
  }
  RecvBuffers(const RecvBuffers&) = delete;
  RecvBuffers& operator=(const RecvBuffers&) = delete;

  bool ok() const { return base_ != nullptr; }
  uint32_t count() const { return count_; }
  uint32_t bytes() const { return bytes_; }
  uint32_t available() const { return uint32_t(free_.size()); }
  std::byte* data(uint32_t bid) const { return base_ + size_t(bid) * stride_; }

  // A free buffer id (refcount still 0), or false when all are out.
  bool take(uint32_t& bid) {
    if (free_.empty()) return false;
    bid = free_.back();
    free_.pop_back();
    return true;
  }
  // Back to the free stack without having been delivered.
  void untake(uint32_t bid) { free_.push_back(bid); }
  // Delivered: the completion holds one reference.
  void deliver(uint32_t bid) { refs_[bid] = 1; }
  // Programmer errors (unknown id, a buffer not held) abort: going on would hand a buffer
  // in use to the next recv.
  void ref(uint32_t bid) {
    if (bid >= count_ || refs_[bid] == 0 || refs_[bid] == UINT32_MAX) std::abort();
    ++refs_[bid];
  }
  void release(uint32_t bid) {
    if (bid >= count_ || refs_[bid] == 0) std::abort();
    if (--refs_[bid] == 0) free_.push_back(bid);
  }

 private:
  std::byte* base_ = nullptr;
  size_t stride_ = 0;
  uint32_t bytes_;
  uint32_t count_;
  std::vector<uint32_t> free_;
  std::vector<uint32_t> refs_;  // 0 = free
};

class EpollBackend final : public Backend {
 public:
  void setup_fixed(const BackendOptions& o) { make_fixed_pool(o); }
  explicit EpollBackend(const BackendOptions& opts)
      : bufs_(opts.recv_buffer_bytes, opts.recv_buffer_count) {
    info_.name = "epoll";
    info_.features = "level_triggered eventfd provided_buffers";
  }

  ~EpollBackend() override {
    // Ops still in flight are abandoned: their owners must not outlive the backend.
    if (wake_fd_ >= 0) ::close(wake_fd_);
    if (epfd_ >= 0) ::close(epfd_);
  }

  // Creates the epoll instance and the wake eventfd. Returns the errno on failure.
  int init() {
    if (!bufs_.ok()) return ENOMEM;
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) return errno;
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) return errno;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeTag;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, wake_fd_, &ev) < 0) return errno;
    return 0;
  }

  const BackendInfo& info() const override { return info_; }

  void accept(Op& op, int listen_fd) override { arm_reader(op, listen_fd, Kind::accept); }
  void recv_multishot(Op& op, int fd) override { arm_reader(op, fd, Kind::recv); }

  void connect(Op& op, int fd, const sockaddr* addr, socklen_t len) override {
    if (::connect(fd, addr, len) == 0) return defer(op, 0);
    int e = errno;
    // EINTR: the connection attempt goes on asynchronously, like EINPROGRESS.
    if (e != EINPROGRESS && e != EINTR) return defer(op, -e);
    Node* n = arm(op, fd, Kind::connect);
    if (!n) return;
    FdRec* r = rec(fd, false);
    r->writers.push_back(n);
    update_interest(fd, *r);
  }

  void sendmsg(Op& op, int fd, const msghdr* msg, int flags) override {
    FdRec* r = rec(fd, true);
    if (!r) return defer(op, fd < 0 ? -EBADF : -ENOMEM);
    if (!r->writers.head) {  // nothing queued ahead: try at once
      ssize_t n = send_now(fd, msg, flags);
      if (n >= 0) return defer(op, int32_t(n));
      if (n != -EAGAIN && n != -EWOULDBLOCK) return defer(op, int32_t(n));
    }
    Node* n = arm(op, fd, Kind::sendmsg);
    if (!n) return;
    n->msg = msg;
    n->send_flags = flags;
    r->writers.push_back(n);
    update_interest(fd, *r);
  }

  void poll(Op& op, int fd, uint32_t poll_mask) override {
    Node* n = arm(op, fd, Kind::poll);
    if (!n) return;
    n->poll_mask = poll_mask & kPollBits;
    FdRec* r = rec(fd, false);
    r->polls.push_back(n);
    update_interest(fd, *r);
  }

  void read(Op& op, int fd, void* buf, uint32_t len, uint64_t offset) override {
    if (len > uint32_t(INT32_MAX)) len = uint32_t(INT32_MAX);  // the result is an int32
    if (offset > uint64_t(INT64_MAX)) return defer(op, -EINVAL);
    ssize_t n;
    do n = ::pread(fd, buf, len, off_t(offset));
    while (n < 0 && errno == EINTR);
    defer(op, n < 0 ? -errno : int32_t(n));
  }

  void write(Op& op, int fd, const void* buf, uint32_t len, uint64_t offset) override {
    if (len > uint32_t(INT32_MAX)) len = uint32_t(INT32_MAX);
    ssize_t n;
    do n = offset == UINT64_MAX ? ::write(fd, buf, len) : ::pwrite(fd, buf, len, off_t(offset));
    while (n < 0 && errno == EINTR);
    defer(op, n < 0 ? -errno : int32_t(n));
  }

  // Synchronous, like read and write here: epoll cannot wait for a file, and a thread pool
  // would add a thread and a cross-thread wake-up per sync to a fallback backend. The shard
  // stalls for one device flush; its callers batch (the MQTT store syncs once per loop turn).
  void sync(Op& op, int fd) override {
    int rc;
    do rc = ::fdatasync(fd);
    while (rc < 0 && errno == EINTR);
    defer(op, rc < 0 ? -errno : 0);
  }

  void cancel(Op& op) override {
    if (op.backend_flags != kPending) return;  // idle, or its final result is queued
    Node* n = static_cast<Node*>(op.backend_data);
    int fd = n->fd;
    FdRec* r = rec(fd, false);
    unlink(*r, n);
    free_node(n);
    update_interest(fd, *r);
    defer(op, -ECANCELED);
  }

  std::span<std::byte> buffer(uint32_t bid) override {
    if (bid >= bufs_.count()) return {};
    return {bufs_.data(bid), bufs_.bytes()};
  }
  void buffer_ref(uint32_t bid) override { bufs_.ref(bid); }
  void buffer_release(uint32_t bid) override { bufs_.release(bid); }
  uint32_t buffers_available() const override { return bufs_.available(); }

  int run_once(int timeout_ms) override {
    uint64_t before = dispatched_;
    drain_deferred();
    if (dispatched_ != before || deferred_head_) timeout_ms = 0;
    int k = ::epoll_wait(epfd_, events_, kMaxEvents, timeout_ms);
    if (k < 0) k = 0;  // EINTR: a signal; the caller loops
    if (timeout_ms != 0) after_wait();
    ++turn_;           // ops armed from here on wait for the next epoll_wait
    for (int i = 0; i < k; ++i) {
      if (events_[i].data.u64 == kWakeTag) {
        drain_wake();
        continue;
      }
      handle_events(int(events_[i].data.u64), events_[i].events);
    }
    drain_deferred();  // results known while handling events (e.g. a resubmitted send)
    uint64_t n = dispatched_ - before;
    return n > uint64_t(INT_MAX) ? INT_MAX : int(n);
  }

  void wake() override {
    if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
    uint64_t one = 1;
    ssize_t rc;
    do rc = ::write(wake_fd_, &one, sizeof one);
    while (rc < 0 && errno == EINTR);
    // EAGAIN: the counter is saturated, so a wake is pending anyway.
  }

 private:
  static constexpr size_t kFdChunk = 1024;

  // The fd's record; with create, makes its chunk on first use. nullptr: fd < 0, or
  // no record (create false), or out of memory (create true).
  FdRec* rec(int fd, bool create) {
    if (fd < 0) return nullptr;
    size_t idx = size_t(fd) / kFdChunk;
    if (idx >= fd_chunks_.size()) {
      if (!create) return nullptr;
      fd_chunks_.resize(idx + 1);
    }
    if (!fd_chunks_[idx]) {
      if (!create) return nullptr;
      fd_chunks_[idx].reset(new (std::nothrow) FdRec[kFdChunk]());
      if (!fd_chunks_[idx]) return nullptr;
    }
    return &fd_chunks_[idx][size_t(fd) % kFdChunk];
  }

  Node* alloc_node() {
    if (!free_nodes_) {
      if (nodes_total_ >= kMaxNodes) return nullptr;
      size_t count = nodes_total_ == 0 ? 64 : nodes_total_;  // double each time
      if (count > kMaxNodes - nodes_total_) count = kMaxNodes - nodes_total_;
      std::unique_ptr<Node[]> chunk(new (std::nothrow) Node[count]());
      if (!chunk) return nullptr;
      for (size_t i = 0; i < count; ++i) free_node(&chunk[i]);
      nodes_total_ += count;
      node_chunks_.push_back(std::move(chunk));
    }
    Node* n = free_nodes_;
    free_nodes_ = n->next;
    *n = Node{};
    return n;
  }
  void free_node(Node* n) {
    n->op = nullptr;
    n->prev = nullptr;
    n->next = free_nodes_;
    free_nodes_ = n;
  }

  // Makes op pending on fd with a fresh node (not yet linked into the fd's record), or
  // queues its final error (-EBADF, -ENOMEM) and returns nullptr.
  Node* arm(Op& op, int fd, Kind kind) {
    if (!rec(fd, true)) {
      defer(op, fd < 0 ? -EBADF : -ENOMEM);
      return nullptr;
    }
    Node* n = alloc_node();
    if (!n) {
      defer(op, -ENOMEM);
      return nullptr;
    }
    n->op = &op;
    n->fd = fd;
    n->kind = kind;
    n->armed_turn = turn_;
    op.backend_flags = kPending;
    op.backend_data = n;
    op.fd = fd;
    return n;
  }

  void arm_reader(Op& op, int fd, Kind kind) {
    FdRec* r = rec(fd, true);
    if (!r) return defer(op, fd < 0 ? -EBADF : -ENOMEM);
    if (r->reader) return defer(op, -EBUSY);  // one accept/recv_multishot per fd
    Node* n = arm(op, fd, kind);
    if (!n) return;
    r->reader = n;
    update_interest(fd, *r);
  }

  static void unlink(FdRec& r, Node* n) {
    switch (n->kind) {
      case Kind::accept:
      case Kind::recv: r.reader = nullptr; break;
      case Kind::connect:
      case Kind::sendmsg: r.writers.remove(n); break;
      case Kind::poll: r.polls.remove(n); break;
    }
  }

  static bool still_pending(const Op* op, const Node* n) {
    return op->backend_flags == kPending && op->backend_data == n;
  }

  // Queues op's final result for the next dispatch from run_once().
  void defer(Op& op, int32_t res) {
    op.backend_flags = kDeferred;
    op.backend_data = nullptr;
    op.fd = res;
    if (deferred_tail_) deferred_tail_->backend_data = &op;
    else deferred_head_ = &op;
    deferred_tail_ = &op;
  }

  // Dispatches the deferred completions queued before this call (not those their
  // callbacks queue: those wait for the next pass, so a callback loop cannot starve I/O).
  void drain_deferred() {
    Op* op = deferred_head_;
    deferred_head_ = deferred_tail_ = nullptr;
    while (op) {
      Op* next = static_cast<Op*>(op->backend_data);
      int32_t res = op->fd;
      op->backend_flags = kIdle;
      op->backend_data = nullptr;
      op->fd = -1;
      deliver(op, res, 0);
      op = next;
    }
  }

  void deliver(Op* op, int32_t res, uint32_t flags) {
    ++dispatched_;
    dispatch(op, res, flags);
  }

  // Ends a pending op with its final completion, dispatched now.
  void finish(Node* n, int32_t res) {
    Op* op = n->op;
    int fd = n->fd;
    FdRec* r = rec(fd, false);
    unlink(*r, n);
    free_node(n);
    update_interest(fd, *r);
    op->backend_flags = kIdle;
    op->backend_data = nullptr;
    op->fd = -1;
    deliver(op, res, 0);
  }

  // Brings the epoll registration of fd in line with the ops waiting on it. If the kernel
  // refuses (EPERM: not pollable; EBADF: closed), every op on fd ends with that error.
  void update_interest(int fd, FdRec& r) {
    if (r.empty()) {
      if (r.in_set) {
        ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);  // EBADF/ENOENT: already gone
        r.in_set = false;
        r.events = 0;
      }
      return;
    }
    uint32_t want = 0;
    if (r.reader) want |= EPOLLIN;
    if (r.writers.head) want |= EPOLLOUT;
    for (Node* p = r.polls.head; p; p = p->next) want |= p->poll_mask;
    want &= ~uint32_t(EPOLLERR | EPOLLHUP);  // always reported
    if (r.in_set && want == r.events) return;
    epoll_event ev{};
    ev.events = want;
    ev.data.u64 = uint64_t(fd);
    int rc;
    if (r.in_set) {
      rc = ::epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev);
      // The fd was closed and its number reused without a cancel: register the new file.
      if (rc < 0 && errno == ENOENT) rc = ::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
    } else {
      rc = ::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
      if (rc < 0 && errno == EEXIST) rc = ::epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev);
    }
    if (rc == 0) {
      r.in_set = true;
      r.events = want;
      return;
    }
    int e = errno;
    if (r.in_set) ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
    r.in_set = false;
    r.events = 0;
    fail_all(r, e);
  }

  void fail_all(FdRec& r, int e) {
    auto fail_one = [&](Node* n) {
      Op* op = n->op;
      unlink(r, n);
      free_node(n);
      defer(*op, -e);
    };
    if (r.reader) fail_one(r.reader);
    while (r.writers.head) fail_one(r.writers.head);
    while (r.polls.head) fail_one(r.polls.head);
  }

  static ssize_t send_now(int fd, const msghdr* msg, int flags) {
    ssize_t n;
    do n = ::sendmsg(fd, msg, flags | MSG_NOSIGNAL | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
  }

  // Read first, then clear the flag: a wake() between the two sees the flag set and
  // writes nothing, and its caller's message is seen by the drain that follows this call.
  // The other order lost wake-ups: a write landing between clear and read was consumed by
  // the read and left the flag set with the counter at 0, so every later wake() returned
  // early and the shard slept through its messages.
  void drain_wake() {
    uint64_t v;
    ssize_t rc;
    do rc = ::read(wake_fd_, &v, sizeof v);
    while (rc < 0 && errno == EINTR);
    wake_pending_.store(false, std::memory_order_seq_cst);
  }

  void handle_events(int fd, uint32_t ev) {
    FdRec* r = rec(fd, false);
    if (!r || !r->in_set) return;  // stale: its ops ended earlier this turn
    constexpr uint32_t kErr = EPOLLERR | EPOLLHUP;
    if ((ev & (EPOLLIN | EPOLLRDHUP | kErr)) && r->reader && r->reader->armed_turn != turn_) {
      if (r->reader->kind == Kind::accept) handle_accept(r->reader);
      else handle_recv(r->reader);
    }
    if ((ev & (EPOLLOUT | kErr)) && r->writers.head) handle_writers(fd, *r, ev);
    if (r->polls.head) handle_polls(*r, ev);
  }

  void handle_accept(Node* n) {
    Op* op = n->op;
    int fd = n->fd;
    for (int i = 0; i < kAcceptsPerTurn; ++i) {
      int c = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c >= 0) {
        deliver(op, c, kMore);
        if (!still_pending(op, n)) return;  // cancelled from its callback
        continue;
      }
      int e = errno;
      switch (e) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
          return;
        // The connection died in the queue, or was refused by policy: next one.
        case EINTR:
        case ECONNABORTED:
        case EPROTO:
        case EPERM:
        case ENETDOWN:
        case ENOPROTOOPT:
        case EHOSTDOWN:
        case ENONET:
        case EHOSTUNREACH:
        case EOPNOTSUPP:
        case ENETUNREACH:
          continue;
        default:  // EMFILE, ENFILE, ENOBUFS, ENOMEM, EINVAL...: final
          return finish(n, -e);
      }
    }
  }

  void handle_recv(Node* n) {
    Op* op = n->op;
    int fd = n->fd;
    for (int i = 0; i < kRecvsPerTurn; ++i) {
      uint32_t bid;
      if (!bufs_.take(bid)) {
        // Only when epoll has just reported the fd readable: after a successful read
        // this turn the fd may be drained, and LT epoll tells us next turn if it is not.
        if (i == 0) finish(n, -ENOBUFS);
        return;
      }
      ssize_t got;
      do got = ::recv(fd, bufs_.data(bid), bufs_.bytes(), MSG_DONTWAIT);
      while (got < 0 && errno == EINTR);
      if (got <= 0) {
        int e = got < 0 ? errno : 0;
        bufs_.untake(bid);
        if (e == EAGAIN || e == EWOULDBLOCK) return;
        return finish(n, -e);  // 0: EOF
      }
      bufs_.deliver(bid);
      deliver(op, int32_t(got), with_buffer(kMore, bid));
      if (!still_pending(op, n)) return;
      // A short read drained the socket: level-triggered epoll reports the next data, so
      // reading on until EAGAIN would cost one more recvfrom per message for nothing.
      if (size_t(got) < bufs_.bytes()) return;
    }
  }

  void handle_writers(int fd, FdRec& r, uint32_t ev) {
    for (;;) {
      Node* w = r.writers.head;
      if (!w || w->armed_turn == turn_) return;
      int32_t res;
      if (w->kind == Kind::connect) {
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
        if (err == 0 && !(ev & EPOLLOUT)) {
          if (!(ev & EPOLLHUP)) return;  // still connecting
          err = ENOTCONN;               // hung up without an error: never connected
        }
        res = -err;
      } else {
        ssize_t n = send_now(fd, w->msg, w->send_flags);
        if (n == -EAGAIN || n == -EWOULDBLOCK) return;
        res = int32_t(n);
      }
      finish(w, res);
    }
  }

  void handle_polls(FdRec& r, uint32_t ev) {
    // Rescan after each completion: its callback may cancel or add polls on this fd.
    for (;;) {
      Node* p = r.polls.head;
      uint32_t ready = 0;
      for (; p; p = p->next) {
        if (p->armed_turn == turn_) continue;
        ready = ev & (p->poll_mask | EPOLLERR | EPOLLHUP);
        if (ready) break;
      }
      if (!p) return;
      finish(p, int32_t(ready));
    }
  }

  BackendInfo info_;
  int epfd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> wake_pending_{false};
  RecvBuffers bufs_;
  std::vector<std::unique_ptr<FdRec[]>> fd_chunks_;
  std::vector<std::unique_ptr<Node[]>> node_chunks_;
  Node* free_nodes_ = nullptr;
  size_t nodes_total_ = 0;
  Op* deferred_head_ = nullptr;
  Op* deferred_tail_ = nullptr;
  uint64_t turn_ = 0;
  uint64_t dispatched_ = 0;
  epoll_event events_[kMaxEvents];
};

}  // namespace

Result<std::unique_ptr<Backend>> make_epoll_backend(const BackendOptions& opts) {
  if (opts.recv_buffer_bytes == 0 || opts.recv_buffer_bytes > uint32_t(INT32_MAX) ||
      opts.recv_buffer_count == 0 || opts.recv_buffer_count > kMaxBuffers)
    return fail(EINVAL);
  std::unique_ptr<EpollBackend> b(new (std::nothrow) EpollBackend(opts));
  if (!b) return fail(ENOMEM);
  if (int e = b->init()) return fail(e);
  b->setup_fixed(opts);
  return std::unique_ptr<Backend>(std::move(b));
}

}  // namespace zp
