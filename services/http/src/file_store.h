// FileStore: the document root as seen by one shard. Resolves normalized paths beneath
// the root (openat2 RESOLVE_BENEATH: symlinks cannot leave it unless allowed), keeps the
// metadata of recently served files and the contents of small ones, revalidated by statx
// at most every cache_valid_ms, bounded in total bytes (least recently used goes first).
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "zp/codec/url/mime.h"
#include "zp/engine/file.h"
#include "zp/http/server.h"
#include "zp/result.h"

namespace zp::http {

struct FileEntry {
  std::string rel;            // path below the root, without the leading '/'
  uint64_t size = 0;
  int64_t mtime_sec = 0;
  int64_t mtime_nsec = 0;
  uint64_t inode = 0;
  bool directory = false;
  std::string etag;           // "\"<mtime>-<size>\"" in hex, as nginx
  std::string last_modified;  // IMF-fixdate
  std::string_view mime;
  bool in_memory = false;
  std::string data;           // the contents when in_memory
  // Files not in memory stay open while their entry is cached (sendfile reads at explicit
  // offsets, so concurrent responses share it): no open/close per response, as nginx's
  // open_file_cache. Bounded by ServerOptions::max_open_files per shard.
  mutable File file;
  // Precompressed siblings ("<rel>.br", "<rel>.gz"), if present when this was loaded.
  std::shared_ptr<const FileEntry> br;
  std::shared_ptr<const FileEntry> gz;
};

class FileStore {
 public:
  FileStore(int root_fd, const ServerOptions& opts);

  // The entry for rel ("" is the root). ENOENT, EACCES, ELOOP/EXDEV (escapes the root),
  // ENAMETOOLONG... as errno values.
  Result<std::shared_ptr<const FileEntry>> get(std::string_view rel, int64_t now_ms);
  // The names in directory rel ("" is the root), sorted, directories with a trailing '/';
  // dotfiles only when allowed. At most max_entries; ENOTDIR, ENOENT, EACCES...
  Result<std::vector<std::string>> list(std::string_view rel, size_t max_entries) const;
  // The file of an entry for sending (large files): its cached descriptor, else one opened
  // now into `scratch`.
  Result<File*> open(const FileEntry& e, File& scratch) const;

  size_t cached_bytes() const { return bytes_; }

 private:
  struct Slot {
    std::shared_ptr<const FileEntry> entry;
    int64_t checked_ms;
    std::list<std::string>::iterator lru;
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  Result<int> open_beneath(std::string_view rel, bool directory_ok) const;
  Result<std::shared_ptr<const FileEntry>> load(std::string_view rel, bool with_siblings);
  void evict_to(size_t budget, size_t files_budget);

  int root_fd_;
  const ServerOptions& opts_;
  codec::url::MimeTable mime_;
  std::unordered_map<std::string, Slot, StringHash, std::equal_to<>> slots_;
  std::list<std::string> lru_;  // front: most recently used
  size_t bytes_ = 0;
  size_t open_files_ = 0;  // descriptors held by cached entries
  static size_t open_files_of(const FileEntry& e);
};

}  // namespace zp::http
