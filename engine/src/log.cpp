// Logger: per-thread SPSC byte rings drained by one writer thread.
//
// Ring layout: a power-of-two byte array holding records `u32 length | bytes`, written
// with wrap-around. `head` (producer) and `tail` (writer) are monotonically increasing
// byte counters; used = head - tail. The producer never waits: if a record does not fit
// it bumps its ring's `dropped` counter and returns.
//
// Lifetimes: the logger owns a shared_ptr to every ring, and so does the thread that
// fills it (in a thread_local). A thread's exit marks its ring closed; the writer
// drops the ring once it is closed and empty. A logger generation number tells a
// thread that its ring belongs to an older logger (init/shutdown/init in tests).
#include "zp/engine/log.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace zp::log {
namespace {

constexpr size_t kMinRingBytes = 4096;
constexpr size_t kWriteChunkBytes = 64 * 1024;
constexpr size_t kTagBytes = 32;

// The level tag in the prefix, padded to 5 columns.
constexpr std::string_view kLevelTags[] = {"TRACE", "DEBUG", "INFO ", "WARN ", "ERROR", "OFF  "};
constexpr std::string_view kLevelNames[] = {"trace", "debug", "info", "warn", "error", "off"};

class Ring {
 public:
  explicit Ring(size_t capacity)
      : data_(new char[capacity]), capacity_(capacity), mask_(capacity - 1) {}

  // Producer. Returns false (and counts a drop) when the record does not fit.
  // `crossed_half` is set when this push took the ring past half full.
  bool push(const char* line, uint32_t len, bool& crossed_half) noexcept {
    const uint64_t need = sizeof(uint32_t) + uint64_t{len};
    const uint64_t h = head_.load(std::memory_order_relaxed);
    if (capacity_ - (h - cached_tail_) < need) {
      cached_tail_ = tail_.load(std::memory_order_acquire);
      if (capacity_ - (h - cached_tail_) < need) {
        dropped_.store(dropped_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        return false;
      }
    }
    copy_in(h, &len, sizeof len);
    copy_in(h + sizeof len, line, len);
    head_.store(h + need, std::memory_order_release);
    const uint64_t half = capacity_ / 2;
    crossed_half = (h - cached_tail_) < half && (h + need - cached_tail_) >= half;
    return true;
  }

  // Writer. Appends every complete record to `out`; returns the number of lines.
  size_t pop_all(std::string& out) {
    uint64_t t = tail_.load(std::memory_order_relaxed);
    const uint64_t h = head_.load(std::memory_order_acquire);
    size_t lines = 0;
    while (t < h) {
      uint32_t len = 0;
      copy_out(t, &len, sizeof len);
      const size_t at = out.size();
      out.resize(at + len);
      copy_out(t + sizeof len, out.data() + at, len);
      t += sizeof len + len;
      ++lines;
    }
    tail_.store(t, std::memory_order_release);
    return lines;
  }

  uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
  bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }
  void close() noexcept { closed_.store(true, std::memory_order_release); }

  uint64_t dropped_reported = 0;  // writer only
  std::string tag;                // copied at registration, for the drop report

 private:
  void copy_in(uint64_t pos, const void* src, size_t n) noexcept {
    const size_t off = pos & mask_;
    const size_t first = std::min(n, capacity_ - off);
    std::memcpy(data_.get() + off, src, first);
    std::memcpy(data_.get(), static_cast<const char*>(src) + first, n - first);
  }
  void copy_out(uint64_t pos, void* dst, size_t n) const noexcept {
    const size_t off = pos & mask_;
    const size_t first = std::min(n, capacity_ - off);
    std::memcpy(dst, data_.get() + off, first);
    std::memcpy(static_cast<char*>(dst) + first, data_.get(), n - first);
  }

  std::unique_ptr<char[]> data_;
  const size_t capacity_;
  const size_t mask_;
  alignas(64) std::atomic<uint64_t> head_{0};
  uint64_t cached_tail_ = 0;  // producer's last view of tail_
  std::atomic<uint64_t> dropped_{0};
  alignas(64) std::atomic<uint64_t> tail_{0};
  std::atomic<bool> closed_{false};
};

// Writes all of [p, p+n) to fd; gives up on an error other than EINTR.
bool write_all(int fd, const char* p, size_t n) noexcept {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= size_t(w);
  }
  return true;
}

struct ThreadState {
  std::shared_ptr<Ring> ring;
  uint64_t generation = 0;
  char tag[kTagBytes] = {};
  size_t tag_len = 0;
  int64_t cached_sec = -1;
  char time_text[32] = {};  // "YYYY-MM-DDTHH:MM:SS" for cached_sec
  size_t time_len = 0;

  ~ThreadState() {
    if (ring) ring->close();
  }

  std::string_view thread_tag() {
    if (tag_len == 0) {
      auto r = fmt::format_to_n(tag, sizeof tag, "t{}", ::gettid());
      tag_len = std::min(r.size, sizeof tag);
    }
    return {tag, tag_len};
  }
};

thread_local ThreadState tls;

// Appends `2024-05-01T12:34:56.789Z LEVEL [tag] ` using the thread's cached second.
template <class Buffer>
void format_prefix(Buffer& buf, Level level, ThreadState& ts) {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  if (now.tv_sec != ts.cached_sec) {
    tm parts{};
    const time_t sec = now.tv_sec;
    ::gmtime_r(&sec, &parts);
    ts.time_len = ::strftime(ts.time_text, sizeof ts.time_text, "%Y-%m-%dT%H:%M:%S", &parts);
    ts.cached_sec = now.tv_sec;
  }
  buf.append(std::string_view(ts.time_text, ts.time_len));
  fmt::format_to(std::back_inserter(buf), ".{:03}Z {} [{}] ", now.tv_nsec / 1000000,
                 kLevelTags[size_t(level)], ts.thread_tag());
}

class Logger {
 public:
  Logger(Options opts, uint64_t generation)
      : opts_(std::move(opts)), generation_(generation), level_(opts_.level) {
    size_t cap = kMinRingBytes;
    while (cap < opts_.ring_bytes) cap <<= 1;
    ring_bytes_ = cap;
    // A line must fit in a ring with its length word.
    max_line_ = std::clamp<size_t>(opts_.max_line_bytes, 64, ring_bytes_ / 2);
  }
  ~Logger() {
    if (fd_ > 2) ::close(fd_);
  }

  // Opens opts_.path; returns the error and stays on stderr if it fails.
  Result<void> open_file() {
    if (opts_.path.empty()) return {};
    const int fd = ::open(opts_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) return fail(errno);
    fd_ = fd;
    return {};
  }

  // The writer is created with every signal blocked: signals belong to the runtime's
  // signal waiter (SIGHUP's default action would otherwise end the process here).
  void start() {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    try {
      writer_ = std::thread([this] { run(); });
    } catch (...) {
      pthread_sigmask(SIG_SETMASK, &old, nullptr);
      throw;
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }

  void stop() {
    {
      std::lock_guard lk(wait_mu_);
      stop_ = true;
    }
    cv_.notify_one();
    if (writer_.joinable()) writer_.join();
  }

  // The calling thread's ring, registered on first use by this logger.
  Ring* ring_for(ThreadState& ts) {
    if (ts.generation == generation_ && ts.ring) return ts.ring.get();
    if (ts.ring) ts.ring->close();
    auto ring = std::make_shared<Ring>(ring_bytes_);
    ring->tag = std::string(ts.thread_tag());
    {
      std::lock_guard lk(rings_mu_);
      rings_.push_back(ring);
    }
    ts.ring = std::move(ring);
    ts.generation = generation_;
    return ts.ring.get();
  }

  void kick() {
    if (!kicked_.exchange(true, std::memory_order_acq_rel)) cv_.notify_one();
  }

  uint64_t dropped_total() {
    std::lock_guard lk(rings_mu_);
    uint64_t n = retired_dropped_;
    for (const auto& r : rings_) n += r->dropped();
    return n;
  }

  size_t max_line() const { return max_line_; }
  std::atomic<Level>& level() { return level_; }
  std::atomic<bool>& reopen_requested() { return reopen_; }

 private:
  void run() {
    const auto interval = std::chrono::milliseconds(std::max<uint32_t>(1, opts_.flush_interval_ms));
    for (;;) {
      bool stopping = false;
      {
        std::unique_lock lk(wait_mu_);
        cv_.wait_for(lk, interval, [&] { return stop_ || kicked_.load(std::memory_order_acquire); });
        stopping = stop_;
      }
      kicked_.store(false, std::memory_order_release);
      if (reopen_.exchange(false, std::memory_order_acq_rel)) {
        drain();  // lines logged before the rotation belong in the old file
        do_reopen();
      }
      drain();
      if (stopping) break;
    }
    drain();
  }

  void drain() {
    {
      std::lock_guard lk(rings_mu_);
      snapshot_.assign(rings_.begin(), rings_.end());
    }
    bool any_closed = false;
    for (const auto& ring : snapshot_) {
      const bool closed = ring->closed();  // read before popping: nothing follows a close
      ring->pop_all(out_);
      const uint64_t dropped = ring->dropped();
      if (dropped != ring->dropped_reported) {
        report_dropped(dropped - ring->dropped_reported, ring->tag);
        ring->dropped_reported = dropped;
      }
      if (closed) any_closed = true;
      if (out_.size() >= kWriteChunkBytes) flush();
    }
    flush();
    snapshot_.clear();
    if (any_closed) {
      std::lock_guard lk(rings_mu_);
      std::erase_if(rings_, [&](const std::shared_ptr<Ring>& r) {
        if (!r->closed() || r->dropped() != r->dropped_reported) return false;
        std::string probe;
        if (r->pop_all(probe) != 0) {  // a last line raced the close check: keep it
          out_ += probe;
          return false;
        }
        retired_dropped_ += r->dropped();
        return true;
      });
    }
    flush();
  }

  void report_dropped(uint64_t n, std::string_view tag) {
    fmt::memory_buffer buf;
    format_prefix(buf, Level::warn, tls);
    fmt::format_to(std::back_inserter(buf), "{} log lines dropped (thread {}: ring full)\n", n, tag);
    out_.append(buf.data(), buf.size());
  }

  void do_reopen() {
    if (opts_.path.empty()) return;
    const int fd = ::open(opts_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
      const int err = errno;
      fmt::memory_buffer buf;
      format_prefix(buf, Level::error, tls);
      fmt::format_to(std::back_inserter(buf), "cannot reopen log file {}: {}\n", opts_.path,
                     std::strerror(err));
      out_.append(buf.data(), buf.size());
      return;
    }
    flush();
    if (fd_ > 2) ::close(fd_);
    fd_ = fd;
  }

  void flush() {
    if (out_.empty()) return;
    write_all(fd_, out_.data(), out_.size());  // an I/O error loses this batch only
    out_.clear();
  }

  const Options opts_;
  const uint64_t generation_;
  size_t ring_bytes_ = kMinRingBytes;
  size_t max_line_ = 0;
  std::atomic<Level> level_;
  std::atomic<bool> reopen_{false};
  std::atomic<bool> kicked_{false};
  int fd_ = 2;

  std::mutex rings_mu_;  // registration (once per thread) and the writer's snapshot
  std::vector<std::shared_ptr<Ring>> rings_;
  uint64_t retired_dropped_ = 0;

  std::mutex wait_mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread writer_;

  // Writer-only state.
  std::vector<std::shared_ptr<Ring>> snapshot_;
  std::string out_;
};

// The one piece of global state: the running logger, if any.
struct Global {
  std::atomic<Logger*> current{nullptr};
  std::atomic<uint64_t> next_generation{1};
  std::mutex init_mu;
};
constinit Global g;

}  // namespace

std::optional<Level> parse_level(std::string_view name) noexcept {
  for (size_t i = 0; i < std::size(kLevelNames); ++i) {
    if (name == kLevelNames[i]) return Level(i);
  }
  return std::nullopt;
}

std::string_view level_name(Level level) noexcept {
  const auto i = size_t(level);
  return i < std::size(kLevelNames) ? kLevelNames[i] : std::string_view("?");
}

Result<void> init(Options opts) {
  std::lock_guard lk(g.init_mu);
  if (g.current.load(std::memory_order_acquire)) return fail(EALREADY);
  std::unique_ptr<Logger> lg;
  Result<void> opened;
  try {
    lg = std::make_unique<Logger>(std::move(opts), g.next_generation.fetch_add(1));
    opened = lg->open_file();
    lg->start();
  } catch (const std::system_error& e) {
    return fail(e.code());
  } catch (const std::bad_alloc&) {
    return fail(ENOMEM);
  }
  g.current.store(lg.release(), std::memory_order_release);
  return opened;
}

void shutdown() {
  std::lock_guard lk(g.init_mu);
  Logger* lg = g.current.exchange(nullptr, std::memory_order_acq_rel);
  if (!lg) return;
  lg->stop();
  delete lg;
}

void reopen() noexcept {
  if (Logger* lg = g.current.load(std::memory_order_acquire)) {
    lg->reopen_requested().store(true, std::memory_order_release);
  }
}

bool set_level(Level level) noexcept {
  Logger* lg = g.current.load(std::memory_order_acquire);
  if (!lg) return false;
  lg->level().store(level, std::memory_order_relaxed);
  return true;
}

Level level() noexcept {
  Logger* lg = g.current.load(std::memory_order_acquire);
  return lg ? lg->level().load(std::memory_order_relaxed) : Level::info;
}

bool enabled(Level lvl) noexcept { return lvl != Level::off && lvl >= level(); }

void set_thread_tag(std::string_view tag) noexcept {
  const size_t n = std::min(tag.size(), kTagBytes - 1);
  std::memcpy(tls.tag, tag.data(), n);
  tls.tag_len = n;  // the ring's drop report keeps the tag it registered with
}

uint64_t dropped_lines() noexcept {
  Logger* lg = g.current.load(std::memory_order_acquire);
  return lg ? lg->dropped_total() : 0;
}

void vwrite(Level level, fmt::string_view format, fmt::format_args args) noexcept {
  ThreadState& ts = tls;
  Logger* lg = g.current.load(std::memory_order_acquire);
  try {
    fmt::basic_memory_buffer<char, 512> buf;
    format_prefix(buf, level, ts);
    const size_t body_at = buf.size();
    try {
      fmt::vformat_to(std::back_inserter(buf), format, args);
    } catch (const fmt::format_error& e) {
      buf.resize(body_at);
      fmt::format_to(std::back_inserter(buf), "<log format error: {}> {}", e.what(),
                     std::string_view(format.data(), format.size()));
    }
    const size_t max_line = lg ? lg->max_line() : size_t{4096};
    if (buf.size() + 1 > max_line) {
      buf.resize(max_line - 4);
      buf.append(std::string_view("..."));
    }
    buf.push_back('\n');
    if (!lg) {
      write_all(2, buf.data(), buf.size());
      return;
    }
    bool crossed_half = false;
    if (lg->ring_for(ts)->push(buf.data(), uint32_t(buf.size()), crossed_half) && crossed_half) {
      lg->kick();
    }
  } catch (...) {
    // Out of memory while formatting or registering: the line is lost.
  }
}

}  // namespace zp::log
