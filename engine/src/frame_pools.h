// Size-classed slab pools for coroutine frames, one set per shard.
#pragma once

#include <array>
#include <iterator>
#include <memory>

#include "zp/alloc/slab_pool.h"

namespace zp {

class FramePools {
 public:
  // Spaced about 1.25-1.5x apart: a frame wastes little, so an idle connection's
  // frame costs close to its real size.
  static constexpr size_t kClassBytes[] = {96,  128,  160,  192,  256,  320,  384,  448,  512,  640,
                                           768, 1024, 1280, 1536, 2048, 3072, 4096, 6144, 8192};
  static constexpr size_t kClasses = std::size(kClassBytes);
  static constexpr size_t class_bytes(size_t c) { return kClassBytes[c]; }
  static size_t class_of(size_t bytes) {
    size_t c = 0;
    while (c < kClasses && kClassBytes[c] < bytes) ++c;
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
