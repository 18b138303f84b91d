// zp_echo_load: a load generator for a TCP echo server, on our own engine (one shard,
// io_uring unless ZP_BACKEND=epoll). The seed of the bundled load tool.
//
// Ping-pong mode (default): every connection sends `size` bytes, waits until all of them
// came back, records the round trip in a fixed log-linear histogram, and repeats.
//   zp_echo_load --connect 127.0.0.1:7007 --connections 64 --duration 5 --size 64 --warmup 1
//   -> messages=... rate=... p50_us=... p99_us=... gen_cpu_pct=...
// With --srv-pid PID it also reads that process's utime+stime (/proc/PID/stat) exactly at
// the start and the end of the measured window and adds srv_cpu_us, srv_us_per_op and
// srv_cpu_pct (so the server's CPU is charged to exactly the messages counted).
//
// Idle mode: opens N connections (at most --concurrency connecting at once), writes one
// message on each and reads it back, prints `READY opened=.. failed=..`, holds them idle
// for --hold seconds, then closes them.
//   zp_echo_load --connect 127.0.0.1:7007 --idle 10000 --hold 20
//
// Exit: 0 done, 1 runtime failure (no connection succeeded), 2 usage error.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "zp/engine/backend.h"
#include "zp/engine/net.h"
#include "zp/engine/shard.h"
#include "zp/engine/task.h"

namespace {

using Clock = std::chrono::steady_clock;

// Log-linear histogram of nanoseconds: values below 2^kSubBits are exact; above, each
// power of two is split into 2^kSubBits linear buckets (relative error < 1/2^kSubBits,
// about 3%). Fixed storage, no allocation when recording.
class Histogram {
 public:
  static constexpr unsigned kSubBits = 5;
  static constexpr unsigned kSub = 1u << kSubBits;
  static constexpr unsigned kBuckets = (64 - kSubBits + 1) * kSub;

  void record(uint64_t v) {
    ++counts_[index(v)];
    ++total_;
  }
  uint64_t total() const { return total_; }
  // The value below which a fraction q of the recorded values lie (bucket midpoint).
  double quantile(double q) const {
    if (total_ == 0) return 0;
    uint64_t want = uint64_t(q * double(total_));
    if (want >= total_) want = total_ - 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen > want) return midpoint(i);
    }
    return midpoint(kBuckets - 1);
  }

 private:
  static unsigned index(uint64_t v) {
    if (v < kSub) return unsigned(v);
    unsigned msb = 63u - unsigned(std::countl_zero(v));  // >= kSubBits
    unsigned shift = msb - kSubBits;
    unsigned sub = unsigned(v >> shift) & (kSub - 1);
    return (shift + 1) * kSub + sub;
  }
  static double midpoint(unsigned i) {
    if (i < kSub) return double(i);
    unsigned shift = i / kSub - 1;
    uint64_t lo = (uint64_t(kSub) | (i % kSub)) << shift;
    return double(lo) + double(uint64_t(1) << shift) / 2.0;
  }
  uint64_t counts_[kBuckets] = {};
  uint64_t total_ = 0;
};

struct Flags {
  std::string connect = "127.0.0.1:7007";
  unsigned connections = 1;
  double duration_s = 5;
  double warmup_s = 1;
  size_t size = 64;
  unsigned idle = 0;
  double hold_s = 10;
  unsigned concurrency = 256;
  long srv_pid = 0;
};

// Run state shared by the connection tasks (one shard: no synchronisation needed).
struct Run {
  const Flags* flags = nullptr;
  zp::SocketAddr addr;
  std::vector<std::byte> payload;
  Clock::time_point measure_start, measure_end;
  bool measuring = false;
  bool finished = false;
  Histogram hist;
  uint64_t messages = 0;          // completed inside the measured window
  uint64_t connect_failures = 0;
  uint64_t io_errors = 0;
  unsigned connected = 0;
  unsigned tasks_left = 0;
  // Idle mode
  std::vector<zp::Stream> held;
  unsigned next_idle = 0;
  unsigned opened = 0;
};

int64_t cpu_us_self() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return int64_t(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
         ru.ru_stime.tv_usec;
}

// utime+stime of a process (all its threads) in microseconds, or -1.
int64_t cpu_us_of(long pid) {
  if (pid <= 0) return -1;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto close = s.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream in(s.substr(close + 2));
  std::string field;
  // Fields after ")": state(3) ... utime is field 14, stime 15 (1-based in proc(5)).
  uint64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && (in >> field); ++i) {
    if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  long hz = sysconf(_SC_CLK_TCK);
  return int64_t((utime + stime) * 1000000 / uint64_t(hz > 0 ? hz : 100));
}

void raise_nofile(rlim_t want) {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur >= want) return;
  rlimit up{want, rl.rlim_max > want ? rl.rlim_max : want};
  if (setrlimit(RLIMIT_NOFILE, &up) == 0) return;
  rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
    std::fprintf(stderr, "zp_echo_load: RLIMIT_NOFILE is %llu, wanted %llu\n",
                 (unsigned long long)rl.rlim_cur, (unsigned long long)want);
}

// Receives exactly n bytes (or fails). Returns false on EOF/error.
zp::Task<bool> recv_exactly(zp::Stream& s, size_t n) {
  size_t got = 0;
  while (got < n) {
    auto b = co_await s.recv();
    if (!b || b->eof()) co_return false;
    got += b->size();
  }
  co_return true;
}

zp::Task<void> pingpong(Run* run) {
  auto s = co_await zp::Stream::connect(run->addr);
  if (!s) {
    ++run->connect_failures;
    if (--run->tasks_left == 0) run->finished = true;
    co_return;
  }
  ++run->connected;
  zp::Shard* shard = zp::Shard::current();
  const size_t n = run->payload.size();
  for (;;) {
    Clock::time_point t0 = Clock::now();
    if (t0 >= run->measure_end) break;
    auto w = co_await s->send(run->payload);
    if (!w) {
      ++run->io_errors;
      break;
    }
    if (!co_await recv_exactly(*s, n)) {
      ++run->io_errors;
      break;
    }
    Clock::time_point t1 = Clock::now();
    // Count a message when its reply arrived inside the measured window.
    if (t1 >= run->measure_start && t1 < run->measure_end) {
      run->hist.record(uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
      ++run->messages;
    }
  }
  (void)shard;
  if (--run->tasks_left == 0) run->finished = true;
}

// Idle mode: workers take the next connection index until all are opened.
zp::Task<void> idle_opener(Run* run) {
  const unsigned n = run->flags->idle;
  while (run->next_idle < n) {
    unsigned i = run->next_idle++;
    auto s = co_await zp::Stream::connect(run->addr);
    if (!s) {
      ++run->connect_failures;
      continue;
    }
    auto w = co_await s->send(run->payload);
    if (!w || !co_await recv_exactly(*s, run->payload.size())) {
      ++run->io_errors;
      continue;
    }
    run->held[i] = std::move(*s);
    ++run->opened;
  }
}

zp::Task<int> main_task(Run* run) {
  const Flags& f = *run->flags;
  zp::Shard* shard = zp::Shard::current();
  if (f.idle > 0) {
    run->held.resize(f.idle);
    unsigned workers = std::min(f.concurrency, f.idle);
    std::vector<zp::TaskHandle> hs;
    hs.reserve(workers);
    for (unsigned i = 0; i < workers; ++i) {
      auto h = shard->spawn(idle_opener(run));
      if (h) hs.push_back(std::move(*h));
    }
    for (auto& h : hs) co_await h.join();
    std::printf("READY opened=%u failed=%" PRIu64 " io_errors=%" PRIu64 "\n", run->opened,
                run->connect_failures, run->io_errors);
    std::fflush(stdout);
    (void)co_await zp::sleep(std::chrono::milliseconds(int64_t(f.hold_s * 1000)));
    run->held.clear();
    std::printf("DONE\n");
    std::fflush(stdout);
    co_return run->opened > 0 ? 0 : 1;
  }

  // Ping-pong. The window opens after the warm-up, counted from the first connect.
  Clock::time_point start = Clock::now();
  run->measure_start = start + std::chrono::microseconds(int64_t(f.warmup_s * 1e6));
  run->measure_end = run->measure_start + std::chrono::microseconds(int64_t(f.duration_s * 1e6));
  run->tasks_left = f.connections;
  std::vector<zp::TaskHandle> hs;
  hs.reserve(f.connections);
  for (unsigned i = 0; i < f.connections; ++i) {
    auto h = shard->spawn(pingpong(run));
    if (!h) {
      std::fprintf(stderr, "zp_echo_load: spawn: %s\n", h.error().message().c_str());
      --run->tasks_left;
      continue;
    }
    hs.push_back(std::move(*h));
  }
  // Sample our CPU and the server's at the window's edges.
  int64_t gen0 = 0, gen1 = 0, srv0 = -1, srv1 = -1;
  Clock::time_point w0, w1;
  auto until = [&](Clock::time_point t) -> zp::Task<void> {
    for (;;) {
      auto now = Clock::now();
      if (now >= t) break;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(t - now).count();
      if (left > 1) (void)co_await zp::sleep(std::chrono::milliseconds(left - 1));
      else co_await shard->yield();
    }
  };
  co_await until(run->measure_start);
  w0 = Clock::now();
  gen0 = cpu_us_self();
  srv0 = cpu_us_of(f.srv_pid);
  co_await until(run->measure_end);
  w1 = Clock::now();
  gen1 = cpu_us_self();
  srv1 = cpu_us_of(f.srv_pid);
  for (auto& h : hs) co_await h.join();

  double wall = std::chrono::duration<double>(w1 - w0).count();
  double rate = wall > 0 ? double(run->messages) / wall : 0;
  std::printf("messages=%" PRIu64 " rate=%.0f p50_us=%.1f p99_us=%.1f p999_us=%.1f gen_cpu_pct=%.0f",
              run->messages, rate, run->hist.quantile(0.50) / 1000.0,
              run->hist.quantile(0.99) / 1000.0, run->hist.quantile(0.999) / 1000.0,
              wall > 0 ? 100.0 * double(gen1 - gen0) / 1e6 / wall : 0.0);
  if (f.srv_pid > 0 && srv0 >= 0 && srv1 >= 0) {
    double srv_us = double(srv1 - srv0);
    std::printf(" srv_cpu_us=%.0f srv_us_per_op=%.2f srv_cpu_pct=%.0f", srv_us,
                run->messages ? srv_us / double(run->messages) : 0.0,
                wall > 0 ? 100.0 * srv_us / 1e6 / wall : 0.0);
  }
  std::printf(" connected=%u connect_failures=%" PRIu64 " io_errors=%" PRIu64 " wall_s=%.3f\n",
              run->connected, run->connect_failures, run->io_errors, wall);
  std::fflush(stdout);
  co_return run->connected > 0 ? 0 : 1;
}

[[noreturn]] void usage(const char* msg) {
  if (msg) std::fprintf(stderr, "zp_echo_load: %s\n", msg);
  std::fprintf(stderr,
               "usage: zp_echo_load [--connect HOST:PORT] [--connections N] [--duration S]\n"
               "                    [--size BYTES] [--warmup S] [--srv-pid PID]\n"
               "       zp_echo_load [--connect HOST:PORT] --idle N [--hold S] [--concurrency K]\n"
               "backend: io_uring, or epoll with ZP_BACKEND=epoll\n");
  std::exit(2);
}

Flags parse(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) usage("missing value");
      return argv[++i];
    };
    auto num = [&](double lo, double hi) {
      const char* v = next();
      char* end = nullptr;
      double d = std::strtod(v, &end);
      if (!end || *end || d < lo || d > hi) usage(("bad value for " + std::string(a)).c_str());
      return d;
    };
    if (a == "--connect") f.connect = next();
    else if (a == "--connections" || a == "-c") f.connections = unsigned(num(1, 1e6));
    else if (a == "--duration" || a == "-d") f.duration_s = num(0.01, 86400);
    else if (a == "--warmup") f.warmup_s = num(0, 3600);
    else if (a == "--size") f.size = size_t(num(1, 1 << 20));
    else if (a == "--idle") f.idle = unsigned(num(1, 1e6));
    else if (a == "--hold") f.hold_s = num(0, 86400);
    else if (a == "--concurrency") f.concurrency = unsigned(num(1, 1e5));
    else if (a == "--srv-pid") f.srv_pid = long(num(1, 1e9));
    else if (a == "--help" || a == "-h") usage(nullptr);
    else usage(("unknown flag " + std::string(a)).c_str());
  }
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f = parse(argc, argv);
  auto addr = zp::SocketAddr::parse(f.connect);
  if (!addr) usage("bad --connect address");
  raise_nofile(rlim_t(std::max(f.idle, f.connections)) + 64);

  zp::BackendOptions bo;
  // Ping-pong keeps at most one reply per connection in flight.
  bo.recv_buffer_count = std::bit_ceil(std::max(1024u, std::min(f.connections, 16384u)));
  auto backend = zp::make_backend(zp::BackendKind::automatic, bo);
  if (!backend) {
    std::fprintf(stderr, "zp_echo_load: backend: %s\n", backend.error().message().c_str());
    return 1;
  }
  std::fprintf(stderr, "zp_echo_load: backend %s\n", (*backend)->info().name.c_str());
  zp::ShardOptions so;
  so.max_tasks = std::max<size_t>(so.max_tasks, size_t(std::max(f.idle, f.connections)) * 2 + 16);
  auto shard = std::make_unique<zp::Shard>(0, 1, std::move(*backend), so);

  auto run = std::make_unique<Run>();
  run->flags = &f;
  run->addr = *addr;
  run->payload.assign(f.size, std::byte{'x'});
  int rc = shard->block_on(main_task(run.get()));
  run->held.clear();
  run.reset();
  shard.reset();
  return rc;
}
