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
  const size_t total = size_t(size_) + bytes.size();
  if (!data_ || total > HeadPool::class_bytes(cls_)) {
    const unsigned c = HeadPool::class_of(total);
    if (c > HeadPool::kMaxShift) return false;
    char* p = pool.take(c);
    if (data_) {
      std::memcpy(p, data_, size_);
      pool.give(data_, cls_);
    }
    data_ = p;
    cls_ = uint8_t(c);
  }
  std::memcpy(data_ + size_, bytes.data(), bytes.size());
  size_ = uint32_t(total);
  return true;
}

void HeadBuffer::erase_front(HeadPool& pool, size_t n) {
  if (n >= size_) {
    release(pool);
    return;
  }
  std::memmove(data_, data_ + n, size_ - n);
  size_ -= uint32_t(n);
}

void HeadBuffer::release(HeadPool& pool) {
  if (data_) pool.give(data_, cls_);
  data_ = nullptr;
  size_ = 0;
  cls_ = 0;
}

}  // namespace zp::http
