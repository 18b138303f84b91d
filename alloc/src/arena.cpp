#include "zp/alloc/arena.h"

#include <cstdlib>

namespace zp {

Arena::Arena(Limits limits) : limits_(limits) {}

Arena::~Arena() {
  while (head_) {
    Chunk* next = head_->next;
    std::free(head_);
    head_ = next;
  }
}

Result<void*> Arena::allocate(size_t size, size_t align) {
  uintptr_t p = (reinterpret_cast<uintptr_t>(cur_) + align - 1) & ~(uintptr_t(align) - 1);
  uintptr_t end = reinterpret_cast<uintptr_t>(end_);
  if (cur_ && p <= end && size <= end - p) {  // no wrap-around for huge sizes
    used_ += p + size - reinterpret_cast<uintptr_t>(cur_);
    cur_ = reinterpret_cast<char*>(p + size);
    return reinterpret_cast<void*>(p);
  }
  return allocate_slow(size, align);
}

Result<void*> Arena::allocate_slow(size_t size, size_t align) {
  if (size > limits_.max_bytes || align > limits_.max_bytes) {
    ++failures_;
    return fail(ENOMEM);
  }
  size_t need = size + align;
  size_t chunk = need > limits_.chunk_bytes ? need : limits_.chunk_bytes;
  if (chunk > limits_.max_bytes - reserved_) {
    ++failures_;
    return fail(ENOMEM);
  }
  auto* c = static_cast<Chunk*>(std::malloc(sizeof(Chunk) + chunk));
  if (!c) {
    ++failures_;
    return fail(ENOMEM);
  }
  c->size = chunk;
  c->next = head_;
  head_ = c;
  reserved_ += chunk;
  cur_ = reinterpret_cast<char*>(c + 1);
  end_ = cur_ + chunk;
  return allocate(size, align);
}

void Arena::reset() {
  // Keep the oldest chunk of the standard size; free the rest.
  Chunk* keep = nullptr;
  while (head_) {
    Chunk* next = head_->next;
    if (!next && head_->size == limits_.chunk_bytes) {
      keep = head_;
    } else {
      std::free(head_);
    }
    head_ = next;
  }
  head_ = keep;
  reserved_ = keep ? keep->size : 0;
  used_ = 0;
  if (keep) {
    keep->next = nullptr;
    cur_ = reinterpret_cast<char*>(keep + 1);
    end_ = cur_ + keep->size;
  } else {
    cur_ = end_ = nullptr;
  }
}

}  // namespace zp
