/// \file
/// SlabPool: fixed-size blocks carved from slabs, with a bounded block count.
/// Connection objects and coroutine frames come from here. Not thread-safe: one per shard.
/// \code
///   zp::SlabPool pool({.block_bytes = 256, .max_blocks = 10000});
///   auto b = pool.allocate();   // Result<void*>; ENOMEM when max_blocks are out
///   pool.free(*b);
/// \endcode
#pragma once

#include <cstddef>
#include <vector>

#include "zp/result.h"

namespace zp {

/// Limits of a SlabPool.
struct SlabPoolLimits {
  size_t block_bytes = 256;      ///< rounded up to 16
  size_t blocks_per_slab = 64;  ///< blocks carved from each slab (one allocation from the system)
  size_t max_blocks = 1u << 16;  ///< blocks out at once, and slabs never exceed this
};

/// A pool of fixed-size blocks carved from slabs: O(1) allocate/free, bounded by max_blocks.
class SlabPool {
 public:
  using Limits = SlabPoolLimits;  ///< the limits type
  /// A pool with no slab yet: the first allocate() takes one.
  explicit SlabPool(Limits limits = {});
  ~SlabPool();
  SlabPool(const SlabPool&) = delete;
  SlabPool& operator=(const SlabPool&) = delete;

  /// A block of block_bytes, or ENOMEM when max_blocks are in use.
  Result<void*> allocate() {
    if (free_) {
      FreeBlock* b = free_;
      free_ = b->next;
      ++in_use_;
      return static_cast<void*>(b);
    }
    return allocate_slow();
  }
  /// Returns a block obtained from allocate() on this pool.
  void free(void* p) {
    auto* b = static_cast<FreeBlock*>(p);
    b->next = free_;
    free_ = b;
    --in_use_;
  }
  /// True when p lies in one of this pool's slabs (used by debug checks and tests).
  bool owns(const void* p) const;

  size_t block_bytes() const { return block_bytes_; }  ///< size of each block, after rounding
  size_t in_use() const { return in_use_; }  ///< blocks handed out now
  size_t capacity() const { return slabs_.size() * limits_.blocks_per_slab; }  ///< blocks the slabs taken so far hold
  size_t failures() const { return failures_; }  ///< allocate() calls refused (ENOMEM) so far

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  Result<void*> allocate_slow();
  Limits limits_;
  size_t block_bytes_;
  FreeBlock* free_ = nullptr;
  std::vector<char*> slabs_;
  size_t in_use_ = 0;
  size_t failures_ = 0;
};

}  // namespace zp
