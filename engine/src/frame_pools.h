// Size-classed slab pools for coroutine frames, one set per shard.
#pragma once

#include <array>
#include <cstdint>
#include <iterator>
#include <memory>

#include "zp/alloc/slab_pool.h"

namespace zp {

class FramePools {
 public:
  // 16 B apart up to 512, 64 B apart up to 1 KiB, then about 1.25-1.5x: a frame wastes
  // little, so an idle connection's frame costs close to its real size (an HTTP
  // connection's frame of ~820 B took a 1 KiB block with 256 B steps; echo's 208 B a 224 B
  // one with 32 B steps). Pools take memory only once used.
  static constexpr size_t kClassBytes[] = {96,  112,  128,  144,  160,  176,  192,  208,  224,  240,  256,
                                           272, 288,  304,  320,  336,  352,  368,  384,  400,  416,  432,
                                           448, 464,  480,  496,  512,  576,  640,  704,  768,  832,  896,
                                           960, 1024, 1280, 1536, 2048, 3072, 4096, 6144, 8192};
  static constexpr size_t kClasses = std::size(kClassBytes);
  static constexpr size_t class_bytes(size_t c) { return kClassBytes[c]; }
  // The smallest class holding `bytes`, or kClasses when none does: one table lookup.
  static size_t class_of(size_t bytes) {
    if (bytes > kClassBytes[kClasses - 1]) return kClasses;
    return kClassOf16[(bytes + 15) / 16];
  }
  explicit FramePools(size_t max_frames_per_class);
  SlabPool& pool(size_t c) { return *pools_[c]; }
  size_t in_use() const {
    size_t n = 0;
    for (auto& p : pools_) n += p->in_use();
    return n;
  }

 private:
  // kClassOf16[n]: the class for n*16 bytes (every class is a multiple of 16).
  static constexpr auto kClassOf16 = [] {
    std::array<uint8_t, kClassBytes[kClasses - 1] / 16 + 1> t{};
    size_t c = 0;
    for (size_t n = 0; n < t.size(); ++n) {
      while (kClassBytes[c] < n * 16) ++c;
      t[n] = uint8_t(c);
    }
    return t;
  }();
  std::array<std::unique_ptr<SlabPool>, kClasses> pools_;
};

}  // namespace zp
