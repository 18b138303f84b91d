#include "head_buffer.h"

#include <bit>
#include <cstring>

namespace zp::http {

HeadPool::~HeadPool() {
  for (auto& list : free_)
    for (char* p : list) delete[] p;
}

unsigned HeadPool::class_of(size_t bytes) {
  if (bytes <= class_bytes(kMinShift)) return kMinShift;
  if (bytes > class_bytes(kMaxShift)) return kMaxShift + 1;
  return unsigned(std::bit_width(bytes - 1));
}

char* HeadPool::take(unsigned c) {
  auto& list = free_[c - kMinShift];
  if (list.empty()) return new char[class_bytes(c)];
  char* p = list.back();
  list.pop_back();
  return p;
}

void HeadPool::give(char* p, unsigned c) {
  auto& list = free_[c - kMinShift];
  if (list.size() >= max_free_) {
    delete[] p;
    return;
  }
  list.push_back(p);
}

size_t HeadPool::free_count() const {
  size_t n = 0;
  for (const auto& list : free_) n += list.size();
  return n;
}

bool HeadBuffer::append(HeadPool& pool, std::string_view bytes) {
  if (bytes.empty()) return true;
  const size_t old = size();
  const size_t total = old + bytes.size();
  if (!block_ || kMeta + total > HeadPool::class_bytes(meta().cls)) {
    const unsigned c = HeadPool::class_of(kMeta + total);
    if (c > HeadPool::kMaxShift) return false;
    char* p = pool.take(c);
    if (block_) {
      std::memcpy(p + kMeta, block_ + kMeta, old);
      pool.give(block_, meta().cls);
    }
    block_ = p;
    meta().cls = uint8_t(c);
  }
  std::memcpy(block_ + kMeta + old, bytes.data(), bytes.size());
  meta().size = uint32_t(total);
  return true;
}

void HeadBuffer::erase_front(HeadPool& pool, size_t n) {
  const size_t have = size();
  if (n >= have) {
    release(pool);
    return;
  }
  std::memmove(block_ + kMeta, block_ + kMeta + n, have - n);
  meta().size = uint32_t(have - n);
}

void HeadBuffer::release(HeadPool& pool) {
  if (block_) pool.give(block_, meta().cls);
  block_ = nullptr;
}

}  // namespace zp::http
