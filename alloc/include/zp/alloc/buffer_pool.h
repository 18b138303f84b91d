/// \file
/// BufferPool: a fixed set of page-aligned, equal-sized buffers in one mapping, so a
/// backend can register them with io_uring (fixed buffers) or hand them out as a
/// provided-buffer ring. Buffers are identified by index; acquire/release are O(1).
/// \code
///   zp::BufferPool pool({.buffer_bytes = 16384, .count = 256});
///   auto id = pool.acquire();             // Result<uint32_t>; ENOBUFS when all are out
///   std::span<std::byte> b = pool.buffer(*id);
///   pool.release(*id);
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "zp/result.h"

namespace zp {

/// Limits of a BufferPool.
struct BufferPoolLimits {
  size_t buffer_bytes = 16384;  ///< rounded up to the page size
  uint32_t count = 256;  ///< buffers in the pool
};

/// A fixed set of page-aligned buffers in one mapping, handed out by index (the backends' registered buffers).
class BufferPool {
 public:
  using Limits = BufferPoolLimits;  ///< the limits type
  /// The mapping is made at construction; check ok() (ENOMEM if mmap failed).
  explicit BufferPool(Limits limits = {});
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  bool ok() const { return base_ != nullptr; }  ///< false when the mapping failed (nothing can be acquired)
  /// A free buffer's index, or ENOBUFS when every buffer is out.
  Result<uint32_t> acquire() {
    if (free_.empty()) {
      ++failures_;
      return fail(ENOBUFS);
    }
    uint32_t id = free_.back();
    free_.pop_back();
    return id;
  }
  void release(uint32_t id) { free_.push_back(id); }  ///< gives buffer `id` back; it must come from acquire()

  /// The bytes of buffer `id`.
  std::span<std::byte> buffer(uint32_t id) const {
    return {base_ + size_t(id) * buffer_bytes_, buffer_bytes_};
  }
  std::byte* base() const { return base_; }  ///< start of the mapping (for registration with io_uring)
  size_t buffer_bytes() const { return buffer_bytes_; }  ///< size of each buffer, after rounding to the page size
  uint32_t count() const { return count_; }  ///< buffers in the pool
  uint32_t available() const { return uint32_t(free_.size()); }  ///< buffers free now
  size_t failures() const { return failures_; }  ///< acquire() calls refused (ENOBUFS) so far

 private:
  std::byte* base_ = nullptr;
  size_t buffer_bytes_;
  uint32_t count_;
  std::vector<uint32_t> free_;
  size_t failures_ = 0;
};

}  // namespace zp
