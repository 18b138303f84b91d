/// \file
/// Arena: a bump allocator over a bounded list of chunks; reset() is O(1) and keeps
/// the chunks for reuse; nothing is freed piecemeal. One per connection or request.
/// \code
///   zp::Arena a({.chunk_bytes = 4096, .max_bytes = 64 << 10});
///   auto p = a.allocate(100, 8);   // Result<void*>; ENOMEM once max_bytes would be passed
///   a.reset();
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>

#include "zp/result.h"

namespace zp {

/// Limits of an Arena.
struct ArenaLimits {
  size_t chunk_bytes = 4096;      ///< size of each chunk (larger requests get their own)
  size_t max_bytes = 1u << 20;    ///< total bytes of chunks this arena may hold
};

/// A bump allocator for one connection or request: allocate() moves a pointer, reset() forgets everything at once.
class Arena {
 public:
  using Limits = ArenaLimits;  ///< the limits type
  /// An arena with no chunk yet: the first allocate() takes one.
  explicit Arena(Limits limits = {});
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  /// Memory for `size` bytes aligned to `align` (a power of two), or ENOMEM when
  /// the arena would pass max_bytes or the system allocator fails.
  Result<void*> allocate(size_t size, size_t align = alignof(std::max_align_t));
  /// Forgets every allocation; keeps the first chunk, releases oversized ones. O(chunks held).
  void reset();

  size_t bytes_in_use() const { return used_; }  ///< bytes handed out since the last reset()
  size_t bytes_reserved() const { return reserved_; }  ///< bytes of chunks held
  size_t failures() const { return failures_; }  ///< allocations refused (ENOMEM) so far

 private:
  struct Chunk {
    Chunk* next;
    size_t size;  // usable bytes after the header
  };
  Result<void*> allocate_slow(size_t size, size_t align);
  Limits limits_;
  Chunk* head_ = nullptr;  ///< current chunk; older chunks follow
  char* cur_ = nullptr;
  char* end_ = nullptr;
  size_t used_ = 0;
  size_t reserved_ = 0;
  size_t failures_ = 0;
};

}  // namespace zp
