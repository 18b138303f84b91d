// Size-classed slab pools for coroutine frames, one set per shard.
#pragma once

#include <array>
#include <memory>

#include "zp/alloc/slab_pool.h"

namespace zp {

class FramePools {
 public:
  static constexpr size_t kClasses = 7;  // 128 B .. 8 KiB
  static constexpr size_t class_bytes(size_t c) { return size_t(128) << c; }
  static size_t class_of(size_t bytes) {
    size_t c = 0;
    while (c < kClasses && class_bytes(c) < bytes) ++c;
    return c;
  }
  explicit FramePools(size_t max_frames_per_class);
  SlabPool& pool(size_t c) { return *pools_[c]; }
  size_t in_use() const {
    size_t n = 0;
    for (auto& p : pools_) n += p->in_use();
    return n;
  }

 private:
  std::array<std::unique_ptr<SlabPool>, kClasses> pools_;
};

}  // namespace zp
