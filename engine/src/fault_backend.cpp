// Fault-injecting backend: wraps another Backend, forwards every call to it and sees
// every one of its completions first (Backend::set_interceptor). Driven by one seeded
// PRNG (splitmix64, our own range mapping, so a seed replays the same decisions on any
// standard library), it injects:
//   short_send  sendmsg() submits a copy of the msghdr truncated to 1..total-1 bytes
//   split_recv  a buffer completion of n > 1 bytes arrives as k and n-k bytes of the same
//               buffer (one extra buffer reference; the second piece carries an offset)
//   enobufs     a multishot recv ends with -ENOBUFS; the data already in flight is kept
//               and delivered, in order, before anything new once the owner re-arms
//   delay       a completion is held back 1..3 run_once() turns; later completions of
//               the same op queue behind it, so only different ops get reordered
//   reset       a recv data completion becomes a final -ECONNRESET
//   sync_eio    a sync() (fdatasync) that succeeded completes with -EIO instead (off unless
//               a test wants it: durable-write paths must handle a lost write)
//   failed_wake a wake_peer() takes the inner backend's failing path (io_uring: a MSG_RING
//               that the kernel refuses), which must still wake the peer
//
// Per-op state (OpState) lives in a map keyed by Op*, from the op's submission until
// its final completion reached the owner. Invariants:
//   - the owner's final completion is delivered only after the inner backend's final
//     completion for that op arrived: an injected -ENOBUFS/-ECONNRESET waits for the
//     inner op to end (we cancel it), so the Op lifetime rule of backend.h still holds
//     and the owner may free or resubmit the Op from its final completion;
//   - nothing is delivered inside a submitting call: held and stashed completions go
//     out from run_once();
//   - cancel() of an op the owner already saw end (or never submitted) is a no-op; a
//     cancel of an op with held completions still delivers them (they happened).
// Limitation (test-only code): after an injected -ENOBUFS the stashed data waits for the
// owner to call recv_multishot() on the same Op and fd again. If the owner instead reuses
// the Op for another fd or operation, the stash is dropped (its buffers released); if it
// never does, the stash's buffers return only when this backend is destroyed.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <charconv>
#include <deque>
#include <random>
#include <unordered_map>
#include <vector>

#include "zp/engine/fault.h"

namespace zp {

namespace {

class FaultBackend final : public Backend {
 public:
  FaultBackend(std::unique_ptr<Backend> inner, FaultOptions opts)
      : inner_(std::move(inner)), opts_(opts), rng_state_(opts.seed) {
    info_ = inner_->info();
    info_.features += " +faults(seed=" + std::to_string(opts_.seed) + ")";
    if (!inner_->fallback().empty()) note_fallback(inner_->fallback());
    inner_->set_interceptor(&FaultBackend::hook, this);
  }
  ~FaultBackend() override {
    inner_->set_interceptor(nullptr, nullptr);
    // Give back what we still hold so the inner backend's accounting balances.
    for (auto& [op, st] : states_)
      for (const Stored& s : st.stash)
        if (s.flags & kBuffer) inner_->buffer_release(buffer_id(s.flags));
    for (const Held& h : held_)
      if (h.flags & kBuffer) inner_->buffer_release(buffer_id(h.flags));
  }

  const BackendInfo& info() const override { return info_; }
  const FaultStats& stats() const { return stats_; }
  uint64_t seed() const { return opts_.seed; }
  Backend& inner() { return *inner_; }

  void accept(Op& op, int listen_fd) override {
    begin(op, Kind::other, listen_fd);
    inner_->accept(op, listen_fd);
  }
  void recv_multishot(Op& op, int fd) override;
  void connect(Op& op, int fd, const sockaddr* addr, socklen_t len) override {
    begin(op, Kind::other, fd);
    inner_->connect(op, fd, addr, len);
  }
  void sendmsg(Op& op, int fd, const msghdr* msg, int flags) override { send(op, fd, msg, flags, nullptr); }
  void send_fixed(Op& op, int fd, const msghdr* msg, uint32_t idx) override { send(op, fd, msg, 0, &idx); }
  void poll(Op& op, int fd, uint32_t poll_mask) override {
    begin(op, Kind::other, fd);
    inner_->poll(op, fd, poll_mask);
  }
  void read(Op& op, int fd, void* buf, uint32_t len, uint64_t offset) override {
    begin(op, Kind::other, fd);
    inner_->read(op, fd, buf, len, offset);
  }
  void write(Op& op, int fd, const void* buf, uint32_t len, uint64_t offset) override {
    begin(op, Kind::other, fd);
    inner_->write(op, fd, buf, len, offset);
  }
  void sync(Op& op, int fd) override {
    begin(op, Kind::sync, fd);
    inner_->sync(op, fd);
  }
  void cancel(Op& op) override;
  void close_fd(int fd) override;
  void send(Op& op, int fd, const msghdr* msg, int flags, const uint32_t* fixed_idx);

  std::span<std::byte> buffer(uint32_t bid) override { return inner_->buffer(bid); }
  void buffer_ref(uint32_t bid) override { inner_->buffer_ref(bid); }
  void buffer_release(uint32_t bid) override { inner_->buffer_release(bid); }
  uint32_t buffers_available() const override { return inner_->buffers_available(); }
  Result<uint32_t> acquire_fixed() override { return inner_->acquire_fixed(); }
  std::span<std::byte> fixed_buffer(uint32_t idx) const override { return inner_->fixed_buffer(idx); }
  void release_fixed(uint32_t idx) override { inner_->release_fixed(idx); }

  int run_once(int timeout_ms) override;
  void wake() override { inner_->wake(); }
  void set_after_wait(AfterWait hook, void* arg) override { inner_->set_after_wait(hook, arg); }
  void wake_peer(Backend& target) override {
    auto* peer = dynamic_cast<FaultBackend*>(&target);
    Backend& inner_target = peer ? *peer->inner_ : target;
    if (chance(opts_.failed_wake)) {
      ++stats_.failed_wakes;
      inner_->wake_peer_failing(inner_target);
    } else {
      inner_->wake_peer(inner_target);
    }
  }

 private:
  enum class Kind : uint8_t { other, recv, send, sync };
  enum class Mode : uint8_t {
    normal,
    enobufs_ending,  // injected ENOBUFS: inner op cancelled, stashing until its final
    reset_ending,    // injected reset: inner op cancelled, swallowing until its final
    ended_stash,     // owner got -ENOBUFS; the stash waits for recv_multishot() again
  };
  struct Stored {
    int32_t res;
    uint32_t flags;
  };
  struct OpState {
    Kind kind = Kind::other;
    Mode mode = Mode::normal;
    bool inner_live = false;  // the inner backend has not yet given its final completion
    bool closed = false;      // close_fd(fd) came: the socket's data goes with it
    int fd = -1;
    uint32_t held = 0;        // entries of held_ for this op
    std::deque<Stored> stash;
    msghdr msg{};             // truncated copy for a short send, alive until completion
    std::vector<iovec> iov;
  };
  struct Held {
    Op* op;
    int32_t res;
    uint32_t flags;
    uint64_t due_turn;
  };

  // splitmix64: one stream for every decision, so a seed replays a run.
  uint64_t next() {
    uint64_t z = (rng_state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // true with probability p; p <= 0 never draws, so a disabled fault costs no entropy.
  bool chance(double p) {
    if (p <= 0) return false;
    return double(next() >> 11) * 0x1.0p-53 < p;
  }
  // Uniform in [0, n), n > 0.
  uint64_t below(uint64_t n) { return next() % n; }

  static void hook(void* arg, Op* op, int32_t res, uint32_t flags) {
    static_cast<FaultBackend*>(arg)->on_inner(op, res, flags);
  }

  OpState& begin(Op& op, Kind kind, int fd);
  void drop_stash(OpState& st);
  void on_inner(Op* op, int32_t res, uint32_t flags);
  void emit(Op* op, OpState& st, int32_t res, uint32_t flags);
  void deliver(Op* op, OpState& st, int32_t res, uint32_t flags);
  void deliver_due();

  std::unique_ptr<Backend> inner_;
  FaultOptions opts_;
  BackendInfo info_;
  FaultStats stats_;
  uint64_t rng_state_;
  uint64_t turn_ = 0;       // run_once() calls so far
  uint64_t delivered_ = 0;  // completions handed to owners so far
  std::unordered_map<Op*, OpState> states_;  // node-based: references survive inserts
  std::vector<Held> held_;  // in arrival order; per op, strictly in order
};

FaultBackend::OpState& FaultBackend::begin(Op& op, Kind kind, int fd) {
  OpState& st = states_[&op];
  if (st.mode == Mode::ended_stash && (kind != Kind::recv || fd != st.fd)) drop_stash(st);
  st.kind = kind;
  st.fd = fd;
  st.inner_live = true;
  st.closed = false;
  return st;
}

void FaultBackend::drop_stash(OpState& st) {
  for (const Stored& s : st.stash)
    if (s.flags & kBuffer) inner_->buffer_release(buffer_id(s.flags));
  st.stash.clear();
  st.mode = Mode::normal;
}

// A stash is the socket's unread data: it goes with the socket (an owner that got -ENOBUFS
// may close instead of re-arming; one closing during enobufs_ending gets -ECANCELED).
void FaultBackend::close_fd(int fd) {
  for (auto it = states_.begin(); it != states_.end();) {
    OpState& st = it->second;
    if (st.fd == fd) st.closed = true;
    if (st.mode == Mode::ended_stash && st.fd == fd) {
      drop_stash(st);
      if (st.held == 0 && !st.inner_live) {
        it = states_.erase(it);
        continue;
      }
    }
    ++it;
  }
  // The inner backend closes: io_uring queues a CLOSE behind this turn's SQEs. A close(2)
  // here, before a queued receive on fd was submitted, let that receive pick up whatever
  // reused the number (an accepted socket) and steal its data.
  inner_->close_fd(fd);
}

void FaultBackend::recv_multishot(Op& op, int fd) {
  auto it = states_.find(&op);
  if (it != states_.end() && it->second.mode == Mode::ended_stash && it->second.fd == fd) {
    // Re-arm after an injected ENOBUFS: the stash goes first, from the next run_once().
    OpState& st = it->second;
    st.mode = Mode::normal;
    bool ended = false;
    while (!st.stash.empty()) {
      Stored s = st.stash.front();
      st.stash.pop_front();
      // The inner op's own end (EOF or an error) stays final; data is never final here.
      ended = st.stash.empty() && !(s.flags & kMore) && s.res <= 0;
      uint32_t flags = ended ? s.flags : (s.flags | kMore);
      held_.push_back({&op, s.res, flags, turn_ + 1});
      ++st.held;
    }
    if (ended) return;  // the stream already ended: nothing to re-arm
    st.kind = Kind::recv;
    st.inner_live = true;
    inner_->recv_multishot(op, fd);
    return;
  }
  begin(op, Kind::recv, fd);
  inner_->recv_multishot(op, fd);
}

// fixed_idx: a send from a fixed buffer (forwarded as such unless it is made short).
void FaultBackend::send(Op& op, int fd, const msghdr* msg, int flags, const uint32_t* fixed_idx) {
  OpState& st = begin(op, Kind::send, fd);
  size_t total = 0;
  for (size_t i = 0; i < size_t(msg->msg_iovlen); ++i) total += msg->msg_iov[i].iov_len;
  if (total > 1 && chance(opts_.short_send)) {
    size_t want = 1 + size_t(below(total - 1));
    st.iov.clear();
    for (size_t i = 0; i < size_t(msg->msg_iovlen) && want > 0; ++i) {
      iovec v = msg->msg_iov[i];
      if (v.iov_len > want) v.iov_len = want;
      want -= v.iov_len;
      if (v.iov_len) st.iov.push_back(v);
    }
    st.msg = *msg;
    st.msg.msg_iov = st.iov.data();
    st.msg.msg_iovlen = st.iov.size();
    ++stats_.short_sends;
    inner_->sendmsg(op, fd, &st.msg, flags);
    return;
  }
  if (fixed_idx) inner_->send_fixed(op, fd, msg, *fixed_idx);
  else inner_->sendmsg(op, fd, msg, flags);
}

void FaultBackend::cancel(Op& op) {
  auto it = states_.find(&op);
  // Unknown: never submitted, or its final completion already reached the owner.
  if (it == states_.end()) return;
  OpState& st = it->second;
  // Ending modes already cancelled the inner op; ended_stash is ended for the owner; an
  // inner op that already ended has its final completion held, which is on its way.
  if (st.mode != Mode::normal || !st.inner_live) return;
  inner_->cancel(op);
}

void FaultBackend::on_inner(Op* op, int32_t res, uint32_t flags) {
  auto it = states_.find(op);
  if (it == states_.end()) {
    op->complete(op, res, flags);  // not submitted through us; should not happen
    return;
  }
  OpState& st = it->second;
  bool final = !(flags & kMore);
  if (final) st.inner_live = false;

  if (st.mode == Mode::reset_ending) {
    if (flags & kBuffer) inner_->buffer_release(buffer_id(flags));
    if (final) {
      st.mode = Mode::normal;
      emit(op, st, -ECONNRESET, 0);
    }
    return;
  }
  if (st.mode == Mode::enobufs_ending) {
    // Our own cancel's -ECANCELED is not news for the owner; anything else is kept.
    if (!(final && res == -ECANCELED)) st.stash.push_back({res, flags});
    if (final && st.closed) {
      // The socket is closed (its owner is going away): a stash kept now would be handed to
      // the next Op at this address arming a socket that got the same fd number.
      drop_stash(st);
      emit(op, st, -ECANCELED, 0);
    } else if (final) {
      st.mode = Mode::ended_stash;
      emit(op, st, -ENOBUFS, 0);
    }
    return;
  }

  if (st.kind == Kind::sync && res == 0 && chance(opts_.sync_eio)) {
    ++stats_.sync_errors;
    res = -EIO;
  }
  if (st.kind == Kind::recv && res > 0 && (flags & kBuffer)) {
    if (chance(opts_.reset)) {
      ++stats_.resets;
      inner_->buffer_release(buffer_id(flags));
      if (final) {
        emit(op, st, -ECONNRESET, 0);
      } else {
        st.mode = Mode::reset_ending;
        inner_->cancel(*op);
      }
      return;
    }
    if (!final && !st.closed && chance(opts_.enobufs)) {
      ++stats_.enobufs;
      st.mode = Mode::enobufs_ending;
      st.stash.push_back({res, flags});
      inner_->cancel(*op);
      return;
    }
  }

  if ((flags & kBuffer) && res > 1 && chance(opts_.split_recv)) {
    ++stats_.split_recvs;
    uint32_t bid = buffer_id(flags);
    uint32_t offset = buffer_offset(flags);
    uint32_t first = 1 + uint32_t(below(uint64_t(res) - 1));
    inner_->buffer_ref(bid);  // one reference per piece
    // The first piece has kMore, so delivering it cannot end the op or erase `st`.
    emit(op, st, int32_t(first), with_buffer(kMore, bid, offset));
    emit(op, st, res - int32_t(first), with_buffer(flags, bid, offset + first));
    return;
  }
  emit(op, st, res, flags);
}

void FaultBackend::emit(Op* op, OpState& st, int32_t res, uint32_t flags) {
  if (st.held > 0) {
    held_.push_back({op, res, flags, turn_});  // behind the op's earlier ones
    ++st.held;
    return;
  }
  if (chance(opts_.delay)) {
    ++stats_.delayed;
    held_.push_back({op, res, flags, turn_ + 1 + below(3)});
    ++st.held;
    return;
  }
  deliver(op, st, res, flags);
}

void FaultBackend::deliver(Op* op, OpState& st, int32_t res, uint32_t flags) {
  ++delivered_;
  // The owner's final completion ends our record, before the owner may resubmit the Op
  // (or free it) inside complete(). ended_stash keeps the stash for the re-arm.
  if (!(flags & kMore) && st.mode != Mode::ended_stash && st.held == 0 && !st.inner_live)
    states_.erase(op);
  op->complete(op, res, flags);
}

void FaultBackend::deliver_due() {
  if (held_.empty()) return;
  std::vector<Held> pending;
  pending.swap(held_);
  std::vector<Held> keep;
  std::vector<Op*> blocked;  // ops with an entry not yet due: their later ones wait
  for (const Held& h : pending) {
    bool is_blocked = false;
    for (Op* b : blocked) is_blocked |= (b == h.op);
    if (is_blocked || h.due_turn > turn_) {
      if (!is_blocked) blocked.push_back(h.op);
      keep.push_back(h);
      continue;
    }
    OpState& st = states_.find(h.op)->second;  // held > 0 keeps the record alive
    --st.held;
    deliver(h.op, st, h.res, h.flags);
  }
  // Entries added by owners during delivery (a re-arm's stash) come after those kept.
  keep.insert(keep.end(), held_.begin(), held_.end());
  held_.swap(keep);
}

int FaultBackend::run_once(int timeout_ms) {
  ++turn_;
  uint64_t before = delivered_;
  deliver_due();
  // Never sleep while something is waiting for a later turn or was just delivered.
  if (!held_.empty() || delivered_ != before) timeout_ms = 0;
  inner_->run_once(timeout_ms);
  return int(delivered_ - before);
}

}  // namespace

FaultOptions FaultOptions::from_env() {
  FaultOptions o;
  const char* text = std::getenv("ZP_FAULT_SEED");
  bool parsed = false;
  if (text && *text) {
    const char* end = text + std::strlen(text);
    auto [p, ec] = std::from_chars(text, end, o.seed);
    parsed = ec == std::errc() && p == end;
    if (!parsed) std::fprintf(stderr, "zp fault injection: ignoring bad ZP_FAULT_SEED=%s\n", text);
  }
  if (!parsed) {
    std::random_device rd;
    o.seed = (uint64_t(rd()) << 32) ^ uint64_t(rd());
  }
  return o;
}

std::unique_ptr<Backend> make_fault_backend(std::unique_ptr<Backend> inner, FaultOptions opts) {
  std::fprintf(stderr, "zp fault injection: seed=%llu (replay: ZP_FAULT_SEED=%llu)\n",
               static_cast<unsigned long long>(opts.seed), static_cast<unsigned long long>(opts.seed));
  return std::make_unique<FaultBackend>(std::move(inner), opts);
}

const FaultStats* fault_stats(const Backend& b) {
  auto* f = dynamic_cast<const FaultBackend*>(&b);
  return f ? &f->stats() : nullptr;
}

uint64_t fault_seed(const Backend& b) {
  auto* f = dynamic_cast<const FaultBackend*>(&b);
  return f ? f->seed() : 0;
}

}  // namespace zp
