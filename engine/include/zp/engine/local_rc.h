/// \file
/// LocalRc<T>: a reference-counted pointer to state that one shard owns, such as a service's
/// per-shard state shared by its accept loops and connections. One word (std::shared_ptr is
/// two, and every idle connection holds one) and a plain counter: only the owning shard's
/// thread may copy or drop it.
#pragma once

#include <cstddef>
#include <utility>

namespace zp {

/// A shard-local shared pointer (see the file comment). Empty after a move.
template <class T>
class LocalRc {
 public:
  LocalRc() = default;
  /// A new T made from `args`, with one reference.
  template <class... A>
  static LocalRc make(A&&... args) {
    return LocalRc(new Box{1, T(std::forward<A>(args)...)});
  }
  LocalRc(const LocalRc& o) : b_(o.b_) {  ///< one more reference
    if (b_) ++b_->refs;
  }
  LocalRc(LocalRc&& o) noexcept : b_(std::exchange(o.b_, nullptr)) {}  ///< takes o's reference
  LocalRc& operator=(LocalRc o) noexcept {  ///< drops ours, takes o's
    std::swap(b_, o.b_);
    return *this;
  }
  ~LocalRc() {
    if (b_ && --b_->refs == 0) delete b_;
  }
  T* get() const { return b_ ? &b_->value : nullptr; }  ///< the object, or nullptr when empty
  T* operator->() const { return &b_->value; }          ///< the object (not empty)
  T& operator*() const { return b_->value; }            ///< the object (not empty)
  explicit operator bool() const { return b_ != nullptr; }  ///< false when empty
  size_t use_count() const { return b_ ? b_->refs : 0; }  ///< references alive (0 when empty)

 private:
  struct Box {
    size_t refs;
    T value;
  };
  explicit LocalRc(Box* b) : b_(b) {}
  Box* b_ = nullptr;
};

}  // namespace zp
