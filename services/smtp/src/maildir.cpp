// Maildir delivery: tmp/ -> fsync -> new/ (+ hard links) -> fsync of each new/.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "zp/smtp/store.h"

namespace zp::smtp {

namespace {

// Closes a descriptor on every path out.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

Result<void> mkdir_if_missing(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) {
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) return fail(errno);
    if (!S_ISDIR(st.st_mode)) return fail(ENOTDIR);
    return {};
  }
  return fail(errno);
}

Result<void> fsync_dir(const std::string& dir) {
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.fd < 0) return fail(errno);
  if (::fsync(d.fd) != 0) return fail(errno);
  return {};
}

// Writes head + body to a new file `path` and fsyncs it; the file is removed on failure.
Result<void> write_synced(const std::string& path, std::string_view head, std::string_view body) {
  Fd f(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (f.fd < 0) return fail(errno);
  iovec iov[2] = {{const_cast<char*>(head.data()), head.size()}, {const_cast<char*>(body.data()), body.size()}};
  std::size_t done = 0;
  const std::size_t total = head.size() + body.size();
  int err = 0;
  while (done < total) {
    // Skip what is written already.
    iovec v[2];
    int n = 0;
    std::size_t skip = done;
    for (const iovec& x : iov) {
      if (skip >= x.iov_len) {
        skip -= x.iov_len;
        continue;
      }
      v[n++] = {static_cast<char*>(x.iov_base) + skip, x.iov_len - skip};
      skip = 0;
    }
    const ssize_t w = ::writev(f.fd, v, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    done += std::size_t(w);
  }
  if (err == 0 && ::fsync(f.fd) != 0) err = errno;
  if (err != 0) {
    ::unlink(path.c_str());
    return fail(err);
  }
  return {};
}

}  // namespace

// The spec's escapes for the two characters a name must not hold.
MaildirStore::MaildirStore(std::string host) {
  std::string h;
  for (char c : host) {
    if (c == '/') h += "\\057";
    else if (c == ':') h += "\\072";
    else h += c;
  }
  host_ = h.empty() ? "localhost" : h;
}

Result<void> MaildirStore::create(const std::string& dir) {
  for (const std::string& d : {dir, dir + "/tmp", dir + "/new", dir + "/cur"})
    if (auto r = mkdir_if_missing(d); !r) return r;
  return {};
}

std::string MaildirStore::unique_name(std::size_t size) {
  timeval tv{};
  ::gettimeofday(&tv, nullptr);
  const std::uint64_t n = seq_.fetch_add(1, std::memory_order_relaxed);
  return std::to_string(tv.tv_sec) + ".M" + std::to_string(tv.tv_usec) + "P" + std::to_string(::getpid()) + "Q" +
         std::to_string(n) + "." + host_ + ",S=" + std::to_string(size);
}

Result<void> MaildirStore::deliver(std::span<const std::string> mailboxes, std::string_view head,
                                   std::string_view body) {
  if (mailboxes.empty()) return {};
  const std::string name = unique_name(head.size() + body.size());
  std::vector<std::string> visible;  // in new/ so far: removed again on failure
  auto undo = [&](Error e) -> Result<void> {
    for (const std::string& p : visible) ::unlink(p.c_str());
    return e;
  };
  std::string first;  // new/ path of the first copy, the source of hard links
  for (const std::string& box : mailboxes) {
    const std::string target = box + "/new/" + name;
    if (!first.empty() && ::link(first.c_str(), target.c_str()) == 0) {
      visible.push_back(target);
      continue;
    }
    if (!first.empty() && errno != EXDEV && errno != EPERM && errno != EMLINK) return undo(errno_error(errno));
    const std::string tmp = box + "/tmp/" + name;
    if (auto w = write_synced(tmp, head, body); !w) return undo(w.error());
    if (::rename(tmp.c_str(), target.c_str()) != 0) {
      const int e = errno;
      ::unlink(tmp.c_str());
      return undo(errno_error(e));
    }
    visible.push_back(target);
    if (first.empty()) first = target;
  }
  // The renames and links are durable once their directories are.
  for (const std::string& box : mailboxes)
    if (auto s = fsync_dir(box + "/new"); !s) return undo(s.error());
  return {};
}

}  // namespace zp::smtp
