#include "file_store.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <dirent.h>

#include <algorithm>
#include <cstdio>

#include "zp/codec/http1/date.h"

namespace zp::http {

FileStore::FileStore(int root_fd, const ServerOptions& opts) : root_fd_(root_fd), opts_(opts) {
  // Validated when the config was read (start() reports a bad one before this runs).
  for (const auto& [ext, type] : opts.mime_types) (void)mime_.add(ext, type);
}

Result<int> FileStore::open_beneath(std::string_view rel, bool directory_ok) const {
  std::string path(rel.empty() ? "." : rel);
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = RESOLVE_NO_MAGICLINKS | (opts_.symlinks_outside_root ? 0 : RESOLVE_BENEATH);
  int fd = int(syscall(SYS_openat2, root_fd_, path.c_str(), &how, sizeof how));
  if (fd < 0) return fail(errno);
  (void)directory_ok;
  return fd;
}

Result<std::shared_ptr<const FileEntry>> FileStore::load(std::string_view rel, bool with_siblings) {
  auto fd = open_beneath(rel, true);
  if (!fd) return fd.error();
  File f = File::adopt(*fd);
  auto st = f.stat();
  if (!st) return st.error();
  auto e = std::make_shared<FileEntry>();
  e->rel = std::string(rel);
  e->size = st->size;
  e->mtime_sec = st->mtime_sec;
  e->mtime_nsec = st->mtime_nsec;
  e->inode = st->inode;
  e->directory = !st->regular;
  if (!st->regular && !st->directory) return fail(EACCES);  // devices, fifos, sockets: never
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "\"%llx-%llx\"", (unsigned long long)st->mtime_sec,
                        (unsigned long long)st->size);
  e->etag.assign(buf, size_t(n));
  char date[codec::http1::imf_fixdate_bytes];
  codec::http1::format_imf_fixdate(std::time_t(st->mtime_sec), std::span<char, codec::http1::imf_fixdate_bytes>(date));
  e->last_modified.assign(date, sizeof date);
  e->mime = mime_.for_path(rel);
  if (st->regular && st->size <= opts_.cache_max_file_bytes) {
    e->data.resize(st->size);
    size_t got = 0;
    while (got < st->size) {
      ssize_t r = ::pread(f.fd(), e->data.data() + got, st->size - got, off_t(got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += size_t(r);
    }
    if (got == st->size) e->in_memory = true;
    else e->data.clear();  // changed under us: serve from the file instead
  }
  if (st->regular && !e->in_memory && opts_.max_open_files > 0) e->file = std::move(f);
  if (with_siblings && st->regular) {
    auto br = load(std::string(rel) + ".br", false);
    if (br && !(*br)->directory) e->br = *br;
    auto gz = load(std::string(rel) + ".gz", false);
    if (gz && !(*gz)->directory) e->gz = *gz;
  }
  return std::shared_ptr<const FileEntry>(std::move(e));
}

Result<std::shared_ptr<const FileEntry>> FileStore::get(std::string_view rel, int64_t now_ms) {
  auto it = slots_.find(rel);
  if (it != slots_.end()) {
    Slot& s = it->second;
    lru_.splice(lru_.begin(), lru_, s.lru);
    if (now_ms - s.checked_ms < opts_.cache_valid_ms) return s.entry;
    // Revalidate: same inode, size and mtime means the cached copy is still the file; the
    // precompressed siblings too (changed, added or removed ones reload the entry).
    std::string path(rel.empty() ? "." : rel);
    auto unchanged = [this](const std::string& p, const FileEntry* e) {
      struct statx sx{};
      int r = ::statx(root_fd_, p.c_str(), 0, STATX_SIZE | STATX_MTIME | STATX_INO, &sx);
      if (!e) return r != 0 && errno == ENOENT;
      return r == 0 && sx.stx_ino == e->inode && sx.stx_size == e->size && sx.stx_mtime.tv_sec == e->mtime_sec &&
             sx.stx_mtime.tv_nsec == e->mtime_nsec;
    };
    const FileEntry& cached = *s.entry;
    bool fresh = unchanged(path, &cached);
    if (fresh && !cached.directory)
      fresh = unchanged(path + ".br", cached.br.get()) && unchanged(path + ".gz", cached.gz.get());
    if (fresh) {
      s.checked_ms = now_ms;
      return s.entry;
    }
    bytes_ -= s.entry->data.size();
    open_files_ -= open_files_of(*s.entry);
    lru_.erase(s.lru);
    slots_.erase(it);
  }
  auto e = load(rel, true);
  if (!e) return e;
  size_t cost = (*e)->data.size() + ((*e)->br ? (*e)->br->data.size() : 0) + ((*e)->gz ? (*e)->gz->data.size() : 0);
  size_t files = open_files_of(**e);
  if (cost > opts_.cache_max_total_bytes || files > opts_.max_open_files) return e;  // serve it, keep nothing
  evict_to(opts_.cache_max_total_bytes - cost, opts_.max_open_files - files);
  lru_.emplace_front(rel);
  slots_.emplace(std::string(rel), Slot{*e, now_ms, lru_.begin()});
  bytes_ += cost;
  open_files_ += files;
  return e;
}

size_t FileStore::open_files_of(const FileEntry& e) {
  return (e.file.fd() >= 0) + (e.br && e.br->file.fd() >= 0) + (e.gz && e.gz->file.fd() >= 0);
}

void FileStore::evict_to(size_t budget, size_t files_budget) {
  while ((bytes_ > budget || open_files_ > files_budget) && !lru_.empty()) {
    auto it = slots_.find(lru_.back());
    if (it != slots_.end()) {
      const FileEntry& e = *it->second.entry;
      bytes_ -= e.data.size() + (e.br ? e.br->data.size() : 0) + (e.gz ? e.gz->data.size() : 0);
      open_files_ -= open_files_of(e);
      slots_.erase(it);
    }
    lru_.pop_back();
  }
}

Result<std::vector<std::string>> FileStore::list(std::string_view rel, size_t max_entries) const {
  auto fd = open_beneath(rel, true);
  if (!fd) return fd.error();
  DIR* dir = ::fdopendir(*fd);
  if (!dir) {
    int e = errno;
    ::close(*fd);
    return fail(e);
  }
  std::vector<std::string> names;
  while (dirent* d = ::readdir(dir)) {
    std::string_view name = d->d_name;
    if (name == "." || name == "..") continue;
    if (name.starts_with('.') && !opts_.allow_dotfiles) continue;
    if (names.size() >= max_entries) break;
    std::string n(name);
    if (d->d_type == DT_DIR) n += '/';
    names.push_back(std::move(n));
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

Result<File*> FileStore::open(const FileEntry& e, File& scratch) const {
  if (e.file.fd() >= 0) return &e.file;
  auto fd = open_beneath(e.rel, false);
  if (!fd) return fd.error();
  scratch = File::adopt(*fd);
  return &scratch;
}

}  // namespace zp::http
