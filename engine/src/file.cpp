#include "zp/engine/file.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

namespace zp {

Result<File> File::open(const std::string& path, bool follow_symlinks) {
  int flags = O_RDONLY | O_CLOEXEC | (follow_symlinks ? 0 : O_NOFOLLOW);
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) return fail(errno);
  File f;
  f.fd_ = fd;
  return f;
}

Result<FileStat> File::stat() const {
  struct statx sx{};
  if (::statx(fd_, "", AT_EMPTY_PATH, STATX_SIZE | STATX_MTIME | STATX_INO | STATX_TYPE | STATX_MODE, &sx) < 0)
    return fail(errno);
  FileStat st;
  st.size = sx.stx_size;
  st.mtime_sec = sx.stx_mtime.tv_sec;
  st.mtime_nsec = sx.stx_mtime.tv_nsec;
  st.inode = sx.stx_ino;
  st.regular = S_ISREG(sx.stx_mode);
  st.directory = S_ISDIR(sx.stx_mode);
  return st;
}

void File::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

namespace {
constexpr uint32_t kMaxFileOp = 1u << 30;

// One file read or write through the backend; the caller's frame holds the Op.
struct FileOpAwaiter {
  Backend* backend = nullptr;
  int fd = -1;
  std::byte* read_buf = nullptr;        // set for a read
  const std::byte* write_buf = nullptr;  // set for a write
  bool sync = false;                     // an fdatasync (neither buffer set)
  uint32_t len = 0;
  uint64_t offset = 0;                   // UINT64_MAX: append (writes)
  Op op{};
  int32_t res = 0;
  std::coroutine_handle<> h;
  bool await_ready() noexcept { return false; }
  void await_suspend(std::coroutine_handle<> hh) {
    h = hh;
    op.owner = this;
    op.complete = [](Op* o, int32_t r, uint32_t) {
      auto* self = static_cast<FileOpAwaiter*>(o->owner);
      self->res = r;
      self->h.resume();
    };
    if (sync) backend->sync(op, fd);
    else if (read_buf) backend->read(op, fd, read_buf, len, offset);
    else backend->write(op, fd, write_buf, len, offset);
  }
  int32_t await_resume() noexcept { return res; }
};
}  // namespace

Task<Result<size_t>> File::read_at(std::span<std::byte> buf, uint64_t offset) {
  Shard* shard = Shard::current();
  FileOpAwaiter a;
  a.backend = &shard->backend();
  a.fd = fd_;
  a.read_buf = buf.data();
  a.len = uint32_t(buf.size() > kMaxFileOp ? kMaxFileOp : buf.size());
  a.offset = offset;
  int32_t r = co_await a;
  if (r < 0) co_return fail(-r);
  co_return size_t(r);
}

Result<File> File::open_append(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return fail(errno);
  return adopt(fd);
}


Task<Result<size_t>> File::append(std::span<const std::byte> data) {
  Shard* shard = Shard::current();
  size_t done = 0;
  while (done < data.size()) {
    FileOpAwaiter a;
    a.backend = &shard->backend();
    a.fd = fd_;
    a.write_buf = data.data() + done;
    a.len = uint32_t(data.size() - done > kMaxFileOp ? kMaxFileOp : data.size() - done);
    a.offset = UINT64_MAX;
    int32_t r = co_await a;
    if (r < 0) co_return fail(-r);
    if (r == 0) co_return fail(EIO);
    done += size_t(r);
  }
  co_return done;
}

Task<Result<void>> File::sync() {
  FileOpAwaiter a;
  a.backend = &Shard::current()->backend();
  a.fd = fd_;
  a.sync = true;
  int32_t r = co_await a;
  if (r < 0) co_return fail(-r);
  co_return Result<void>{};
}

// A layered (TLS) stream cannot take sendfile: the bytes must pass through the layer, so
// they are read in chunks and sent as ordinary data.
Task<Result<size_t>> File::send_through_layer(Stream& stream, uint64_t offset, uint64_t len,
                                              std::span<const std::byte> head) {
  constexpr size_t kChunk = 64 * 1024;
  std::unique_ptr<std::byte[]> buf(new (std::nothrow) std::byte[kChunk]);
  if (!buf) co_return fail(ENOMEM);
  if (!head.empty()) {
    auto w = co_await stream.send(head);
    if (!w) co_return w.error();
  }
  uint64_t sent = 0;
  while (sent < len) {
    size_t want = len - sent > kChunk ? kChunk : size_t(len - sent);
    auto n = co_await read_at(std::span<std::byte>(buf.get(), want), offset + sent);
    if (!n) co_return n.error();
    if (*n == 0) break;  // file shrank under us
    auto w = co_await stream.send(std::span<const std::byte>(buf.get(), *n));
    if (!w) co_return w.error();
    sent += *n;
  }
  co_return size_t(sent);
}

Task<Result<size_t>> File::send_to(Stream& stream, uint64_t offset, uint64_t len,
                                   std::span<const std::byte> head) {
  if (stream.layer()) co_return co_await send_through_layer(stream, offset, len, head);
  // The head straight from here, not through the backend: one send(2) now instead of a
  // loop turn, and MSG_MORE keeps it from leaving as a segment of its own (TCP_NODELAY).
  while (!head.empty()) {
    ssize_t n = ::send(stream.fd(), head.data(), head.size(), MSG_DONTWAIT | MSG_NOSIGNAL | (len ? MSG_MORE : 0));
    if (n > 0) {
      head = head.subspan(size_t(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) co_return fail(errno);
    auto ready = co_await wait_ready(stream.fd(), POLLOUT);
    if (!ready) co_return ready.error();
  }
  uint64_t sent = 0;
  while (sent < len) {
    off_t off = off_t(offset + sent);
    size_t chunk = len - sent > (1u << 20) ? (1u << 20) : size_t(len - sent);
    ssize_t n = ::sendfile(stream.fd(), fd_, &off, chunk);
    if (n > 0) {
      sent += uint64_t(n);
      continue;
    }
    if (n == 0) break;  // file shrank under us
    if (errno == EINTR) continue;
    if (errno != EAGAIN) co_return fail(errno);
    auto ready = co_await wait_ready(stream.fd(), POLLOUT);
    if (!ready) co_return ready.error();
  }
  co_return size_t(sent);
}

}  // namespace zp
