#include "zp/engine/frame_alloc.h"

#include <algorithm>
#include <cstdint>
#include <new>

#include "frame_pools.h"

namespace zp {

namespace {
thread_local FramePools* t_pools = nullptr;
constexpr size_t kHeader = 16;  // keeps frames 16-byte aligned
constexpr uint8_t kFromHeap = 0xff;
}  // namespace

void set_thread_frame_pools(FramePools* pools) { t_pools = pools; }
FramePools* thread_frame_pools() { return t_pools; }

FramePools::FramePools(size_t max_frames_per_class) {
  // About 16 KiB per slab: the process allocator rounds a slab up to its own size classes
  // (mimalloc: 4 per doubling), and 32 blocks of 288 B (9,216 B) took 10,240 B — 32 B more
  // per idle echo connection. Near a power of two the rounding is small.
  for (size_t i = 0; i < kClasses; ++i) {
    size_t per_slab = std::max<size_t>(8, 16384 / class_bytes(i));
    pools_[i] = std::make_unique<SlabPool>(SlabPool::Limits{
        .block_bytes = class_bytes(i), .blocks_per_slab = per_slab, .max_blocks = max_frames_per_class});
  }
}

void* frame_alloc(size_t size) {
  size_t total = size + kHeader;
  FramePools* pools = t_pools;
  if (pools) {
    size_t c = FramePools::class_of(total);
    if (c < FramePools::kClasses) {
      auto block = pools->pool(c).allocate();
      if (block) {
        auto* h = static_cast<uint8_t*>(*block);
        h[0] = uint8_t(c);
        *reinterpret_cast<FramePools**>(h + 8) = pools;
        return h + kHeader;
      }
    }
  }
  auto* h = static_cast<uint8_t*>(::operator new(total));
  h[0] = kFromHeap;
  return h + kHeader;
}

void frame_free(void* p, size_t) {
  auto* h = static_cast<uint8_t*>(p) - kHeader;
  if (h[0] == kFromHeap) {
    ::operator delete(h);
    return;
  }
  // A frame is freed on the shard that made it (tasks never migrate).
  FramePools* pools = *reinterpret_cast<FramePools**>(h + 8);
  pools->pool(h[0]).free(h);
}

}  // namespace zp
