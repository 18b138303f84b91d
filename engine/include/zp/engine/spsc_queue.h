/// \file
/// SpscQueue: a bounded single-producer single-consumer ring (one per shard pair).
/// push() fails when full: that is the backpressure signal to the sender.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>

namespace zp {

template <class T>
/// A bounded single-producer single-consumer ring (see the file comment).
class SpscQueue {
 public:
  /// capacity is rounded up to a power of two.
  explicit SpscQueue(size_t capacity) {
    size_t c = 2;
    while (c < capacity) c <<= 1;
    mask_ = c - 1;
    slots_ = std::make_unique<T[]>(c);
  }
  /// Producer side. False when full.
  bool push(T&& v) {
    size_t t = tail_.load(std::memory_order_relaxed);
    if (t - head_cache_ > mask_) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (t - head_cache_ > mask_) return false;
    }
    slots_[t & mask_] = std::move(v);
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }
  /// Consumer side. False when empty.
  bool pop(T& out) {
    size_t h = head_.load(std::memory_order_relaxed);
    if (h == tail_cache_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (h == tail_cache_) return false;
    }
    out = std::move(slots_[h & mask_]);
    head_.store(h + 1, std::memory_order_release);
    return true;
  }
  size_t capacity() const { return mask_ + 1; }  ///< slots in the ring

 private:
  std::unique_ptr<T[]> slots_;
  size_t mask_;
  alignas(64) std::atomic<size_t> head_{0};
  size_t tail_cache_ = 0;  ///< consumer's view of tail
  alignas(64) std::atomic<size_t> tail_{0};
  size_t head_cache_ = 0;  ///< producer's view of head
};

}  // namespace zp
