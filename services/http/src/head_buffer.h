// A partial request head waiting for its end (a slow client, a head split across reads):
// the bytes live in a buffer from the shard's HeadPool, taken when the first partial head
// arrives, sized to what arrived (power-of-two classes from 64 B), grown as more comes and
// given back once the head is parsed. A connection with nothing pending holds no buffer.
//   HeadPool pool;  HeadBuffer h;
//   h.append(pool, "GET / HT");  h.append(pool, "TP/1.1\r\n...");  parse(h.view());
//   h.erase_front(consumed);  h.release(pool);   // the owner releases it (no pool pointer kept)
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace zp::http {

// Free lists of head buffers, one per size class; bounded, so a burst of slow clients does
// not pin its memory after it is gone. One per shard (not thread-safe).
class HeadPool {
 public:
  static constexpr unsigned kMinShift = 6;   // 64 B: a slow client's first bytes are often few
  static constexpr unsigned kMaxShift = 20;  // 1 MiB: larger heads are refused long before
  explicit HeadPool(size_t max_free_per_class = 64) : max_free_(max_free_per_class) {}
  ~HeadPool();
  HeadPool(const HeadPool&) = delete;
  HeadPool& operator=(const HeadPool&) = delete;

  // The size class holding `bytes` (kMaxShift + 1 when none does).
  static unsigned class_of(size_t bytes);
  static size_t class_bytes(unsigned c) { return size_t(1) << c; }
  // A buffer of class_bytes(c) bytes (c <= kMaxShift); never null (allocation failure aborts).
  char* take(unsigned c);
  // Gives back a buffer take(c) returned.
  void give(char* p, unsigned c);
  // Buffers held in the free lists (for tests).
  size_t free_count() const;

 private:
  size_t max_free_;
  std::array<std::vector<char*>, kMaxShift - kMinShift + 1> free_{};
};

// 8 bytes (it lives in an idle connection's frame): a pointer to a pooled block that
// starts with its size and class; null while nothing is pending.
class HeadBuffer {
 public:
  HeadBuffer() = default;
  HeadBuffer(HeadBuffer&& o) noexcept : block_(std::exchange(o.block_, nullptr)) {}
  HeadBuffer(const HeadBuffer&) = delete;
  HeadBuffer& operator=(const HeadBuffer&) = delete;

  bool empty() const { return block_ == nullptr; }
  size_t size() const { return block_ ? meta().size : 0; }
  std::string_view view() const { return block_ ? std::string_view(block_ + kMeta, meta().size) : std::string_view(); }
  // Appends bytes, moving to a larger buffer when they do not fit. False when the total
  // would exceed the largest class (nothing is appended then).
  bool append(HeadPool& pool, std::string_view bytes);
  // Drops the first n bytes; the buffer goes back to the pool when nothing is left.
  void erase_front(HeadPool& pool, size_t n);
  // Gives the buffer back (also when not empty).
  void release(HeadPool& pool);

 private:
  struct Meta {
    uint32_t size;
    uint8_t cls;
  };
  static constexpr size_t kMeta = 8;  // the Meta in front of the bytes
  Meta& meta() const { return *reinterpret_cast<Meta*>(block_); }
  char* block_ = nullptr;
};

}  // namespace zp::http
