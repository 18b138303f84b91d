#include "zp/alloc/buffer_pool.h"

#include <sys/mman.h>
#include <unistd.h>

namespace zp {

BufferPool::BufferPool(Limits limits) : count_(limits.count) {
  size_t page = size_t(sysconf(_SC_PAGESIZE));
  buffer_bytes_ = (limits.buffer_bytes + page - 1) / page * page;
  size_t total = buffer_bytes_ * count_;
  if (total == 0) return;
  void* p = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return;
  base_ = static_cast<std::byte*>(p);
  free_.reserve(count_);
  for (uint32_t i = count_; i-- > 0;) free_.push_back(i);
}

BufferPool::~BufferPool() {
  if (base_) munmap(base_, buffer_bytes_ * count_);
}

}  // namespace zp
