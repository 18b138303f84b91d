#include "zp/alloc/slab_pool.h"

#include <cstdlib>

namespace zp {

SlabPool::SlabPool(Limits limits)
    : limits_(limits), block_bytes_((limits.block_bytes + 15) & ~size_t(15)) {
  if (block_bytes_ < sizeof(FreeBlock)) block_bytes_ = 16;
  if (limits_.blocks_per_slab == 0) limits_.blocks_per_slab = 1;
}

SlabPool::~SlabPool() {
  for (char* s : slabs_) std::free(s);
}

Result<void*> SlabPool::allocate_slow() {
  if (capacity() >= limits_.max_blocks) {
    ++failures_;
    return fail(ENOMEM);
  }
  size_t n = limits_.blocks_per_slab;
  char* slab = static_cast<char*>(std::aligned_alloc(16, n * block_bytes_));
  if (!slab) {
    ++failures_;
    return fail(ENOMEM);
  }
  slabs_.push_back(slab);
  for (size_t i = n; i-- > 0;) {
    auto* b = reinterpret_cast<FreeBlock*>(slab + i * block_bytes_);
    b->next = free_;
    free_ = b;
  }
  return allocate();
}

bool SlabPool::owns(const void* p) const {
  auto* c = static_cast<const char*>(p);
  for (char* s : slabs_) {
    if (c >= s && c < s + limits_.blocks_per_slab * block_bytes_) return true;
  }
  return false;
}

}  // namespace zp
