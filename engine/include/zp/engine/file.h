/// \file
/// Files for static serving and logs: open, stat, read at an offset through the backend
/// (io_uring READ, or READ_FIXED into a registered buffer), append, sync (fdatasync) for
/// durable writes, and sendfile to a stream.
/// \code
///   auto f = zp::File::open("/srv/index.html");
///   auto st = f->stat();                          // size, mtime
///   auto n = co_await f->read_at(buf, 0);         // bytes read
///   auto s = co_await f->send_to(stream, 0, st->size);
/// \endcode
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "zp/engine/net.h"
#include "zp/engine/task.h"
#include "zp/result.h"

namespace zp {

/// What File::stat() reports.
struct FileStat {
  uint64_t size = 0;  ///< size in bytes
  int64_t mtime_sec = 0;  ///< modification time, seconds since 1970
  int64_t mtime_nsec = 0;  ///< and its nanoseconds
  uint64_t inode = 0;  ///< inode number (with mtime and size: the ETag)
  bool regular = false;  ///< a regular file
  bool directory = false;  ///< a directory
};

/// A file read, written or sent through the shard's backend; closes itself when it dies.
class File {
 public:
  File() = default;
  File(File&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}  ///< takes o's descriptor; o is left closed
  File& operator=(File&& o) noexcept {  ///< closes ours, takes o's
    if (this != &o) {
      close();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~File() { close(); }

  /// Opens read-only (O_CLOEXEC; O_NOFOLLOW when follow_symlinks is false). ENOENT, EACCES...
  static Result<File> open(const std::string& path, bool follow_symlinks = true);
  /// Takes ownership of an open descriptor.
  static File adopt(int fd) {
    File f;
    f.fd_ = fd;
    return f;
  }
  /// statx of the open file.
  Result<FileStat> stat() const;
  /// Reads up to buf.size() bytes at offset through the shard's backend.
  Task<Result<size_t>> read_at(std::span<std::byte> buf, uint64_t offset);
  /// Opens (creating, mode 0640) a file for appending: logs.
  static Result<File> open_append(const std::string& path);
  /// Writes all of data at the end of an append-mode file through the shard's backend.
  Task<Result<size_t>> append(std::span<const std::byte> data);
  /// fdatasync through the shard's backend: once it returns success, what was written before
  /// it is on stable storage. EIO when the device lost it (do not retry and trust the file:
  /// the kernel may have dropped the dirty pages), EBADF...
  Task<Result<void>> sync();
  /// Sends `head` (e.g. a response head; may be empty), then [offset, offset+len) of the
  /// file to the stream's socket with sendfile, waiting while the socket is full. The head
  /// goes out with MSG_MORE, so it shares the first segment with the file's bytes. Returns
  /// the file bytes sent (less than len if the file shrank), or the error (EPIPE when the
  /// peer has gone: sendfile then also raises SIGPIPE, which the Runtime's shard threads
  /// block; a thread of your own that calls this must block or ignore SIGPIPE). On a
  /// layered (TLS) stream the file is read and sent through the layer, not sendfile'd.
  Task<Result<size_t>> send_to(Stream& stream, uint64_t offset, uint64_t len,
                               std::span<const std::byte> head = {});
  void close();  ///< closes the descriptor (a no-op when closed)
  int fd() const { return fd_; }  ///< the descriptor, -1 when closed

 private:
  Task<Result<size_t>> send_through_layer(Stream& stream, uint64_t offset, uint64_t len,
                                          std::span<const std::byte> head);
  int fd_ = -1;
};

}  // namespace zp
