// The reader thread waits with poll() for at most poll_ms, so it never outlives its
// LineReader by more than that (the pool's destructor joins it).
#include "stdin_lines.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace zp::mqtt::detail {

namespace {

struct Chunk {
  std::string bytes{};
  bool eof = false;
};

// On the pool's thread: whatever fd has within poll_ms (nothing when idle).
Result<Chunk> read_some(int fd, int poll_ms) {
  pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
  const int ready = ::poll(&p, 1, poll_ms);
  if (ready < 0) return errno == EINTR ? Result<Chunk>(Chunk{}) : Result<Chunk>(fail(errno));
  if (ready == 0) return Chunk{};
  std::string b(65536, '\0');
  const ssize_t n = ::read(fd, b.data(), b.size());
  if (n < 0) return errno == EINTR || errno == EAGAIN ? Result<Chunk>(Chunk{}) : Result<Chunk>(fail(errno));
  if (n == 0) return Chunk{.bytes = {}, .eof = true};
  b.resize(std::size_t(n));
  return Chunk{.bytes = std::move(b), .eof = false};
}

// Built outside the coroutine (GCC 12 and brace-init inside coroutines).
InputLine input(InputLine::Kind kind, std::string text = {}) {
  InputLine l;
  l.kind = kind;
  l.text = std::move(text);
  return l;
}

}  // namespace

LineReader::LineReader(int fd, std::size_t max_line_bytes, int poll_ms)
    : pool_(BlockingPoolOptions{.threads = 1, .max_queued = 1}), fd_(fd), max_line_bytes_(max_line_bytes), poll_ms_(poll_ms) {}

Task<Result<InputLine>> LineReader::next() {
  for (;;) {
    if (const std::size_t nl = buf_.find('\n'); nl != std::string::npos) {
      InputLine l = input(InputLine::Kind::line, buf_.substr(0, nl));
      buf_.erase(0, nl + 1);
      co_return l;
    }
    if (buf_.size() > max_line_bytes_) co_return fail(EMSGSIZE);
    if (eof_) {
      if (buf_.empty()) co_return input(InputLine::Kind::end);
      InputLine l = input(InputLine::Kind::line, std::move(buf_));
      buf_.clear();
      co_return l;
    }
    const int fd = fd_;
    const int poll_ms = poll_ms_;
    auto job = [fd, poll_ms] { return read_some(fd, poll_ms); };
    auto got = co_await run_blocking(pool_, std::move(job));
    if (!got) co_return got.error();
    if (got->eof) eof_ = true;
    if (got->bytes.empty() && !got->eof) co_return input(InputLine::Kind::idle);
    buf_ += got->bytes;
  }
}

}  // namespace zp::mqtt::detail
