/// \file
/// InlineFn: a move-only void() callable stored inline (no heap), for cross-shard messages.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace zp {

/// A move-only void() callable stored inline (see the file comment).
class InlineFn {
 public:
  static constexpr size_t kCapacity = 48;  ///< largest capture that fits, in bytes
  InlineFn() = default;
  /// Stores f inline; a larger capture fails to compile.
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, InlineFn>>>
  InlineFn(F&& f) {  // NOLINT: implicit by design
    using D = std::decay_t<F>;
    static_assert(sizeof(D) <= kCapacity, "capture too large for a cross-shard message");
    static_assert(alignof(D) <= alignof(std::max_align_t));
    new (storage_) D(std::forward<F>(f));
    call_ = [](void* p) { (*static_cast<D*>(p))(); };
    move_destroy_ = [](void* dst, void* src) {
      if (dst) new (dst) D(std::move(*static_cast<D*>(src)));
      static_cast<D*>(src)->~D();
    };
  }
  InlineFn(InlineFn&& o) noexcept { take(o); }  ///< takes o's callable; o is left empty
  InlineFn& operator=(InlineFn&& o) noexcept {  ///< drops ours, takes o's
    if (this != &o) {
      reset();
      take(o);
    }
    return *this;
  }
  ~InlineFn() { reset(); }
  explicit operator bool() const { return call_ != nullptr; }  ///< true when it holds a callable
  void operator()() { call_(storage_); }  ///< calls it
  void reset() {  ///< drops the callable
    if (move_destroy_) move_destroy_(nullptr, storage_);
    call_ = nullptr;
    move_destroy_ = nullptr;
  }

 private:
  void take(InlineFn& o) {
    if (o.move_destroy_) o.move_destroy_(storage_, o.storage_);
    call_ = std::exchange(o.call_, nullptr);
    move_destroy_ = std::exchange(o.move_destroy_, nullptr);
  }
  alignas(std::max_align_t) unsigned char storage_[kCapacity];
  void (*call_)(void*) = nullptr;
  void (*move_destroy_)(void* dst, void* src) = nullptr;
};

}  // namespace zp
