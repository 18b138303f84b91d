/// \file
/// Result<T>: a value or an error code, the return type of every engine and alloc call.
/// \code
///   Result<int> r = open_thing();
///   if (!r) return r.error();          // propagate
///   use(*r);
/// \endcode
/// Our own small type: GCC 12 has std::expected only in C++23 mode, and clang 14
/// cannot use libstdc++ 12's `<expected>` at all.
#pragma once

#include <cerrno>
#include <cstdlib>
#include <new>
#include <system_error>
#include <type_traits>
#include <utility>

namespace zp {

/// Errors are errno values in the generic category unless a component defines its own.
using Error = std::error_code;

/// An Error holding errno value `e` (generic category).
inline Error errno_error(int e) { return Error(e, std::generic_category()); }

/// A wrapper to construct a failed Result without ambiguity with T.
struct Failure {
  Error error;  ///< what failed
};
inline Failure fail(int errno_value) { return Failure{errno_error(errno_value)}; }  ///< a failure holding errno value `errno_value`
inline Failure fail(Error e) { return Failure{e}; }  ///< a failure holding `e`

/// A value of type T or an Error; the return type of every fallible call.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : ok_(true) { new (&value_) T(std::move(value)); }  ///< success holding `value`
  Result(Failure f) : ok_(false) { new (&error_) Error(f.error); }  ///< failure (from fail())
  Result(Error e) : ok_(false) { new (&error_) Error(e); }  ///< failure holding `e`
  Result(const Result& o) : ok_(o.ok_) {  ///< copies the value or the error
    if (ok_) new (&value_) T(o.value_);
    else new (&error_) Error(o.error_);
  }
  Result(Result&& o) noexcept(std::is_nothrow_move_constructible_v<T>) : ok_(o.ok_) {  ///< moves the value or copies the error
    if (ok_) new (&value_) T(std::move(o.value_));
    else new (&error_) Error(o.error_);
  }
  Result& operator=(Result o) {  ///< assigns the value or the error of `o`
    this->~Result();
    new (this) Result(std::move(o));
    return *this;
  }
  ~Result() {
    if (ok_) value_.~T();
  }

  explicit operator bool() const { return ok_; }  ///< true on success
  bool ok() const { return ok_; }  ///< true on success
  /// Aborts when called on the other alternative: that is a programmer error.
  T& value() & { check(ok_); return value_; }
  const T& value() const& { check(ok_); return value_; }  ///< the value (aborts on an error)
  T&& value() && { check(ok_); return std::move(value_); }  ///< the value, moved out (aborts on an error)
  T& operator*() & { return value(); }  ///< the value (aborts on an error)
  const T& operator*() const& { return value(); }  ///< the value (aborts on an error)
  T&& operator*() && { return std::move(*this).value(); }  ///< the value, moved out (aborts on an error)
  T* operator->() { return &value(); }  ///< pointer to the value (aborts on an error)
  const T* operator->() const { return &value(); }  ///< pointer to the value (aborts on an error)
  Error error() const { check(!ok_); return error_; }  ///< the error (aborts on success)

 private:
  static void check(bool c) {
    if (!c) std::abort();
  }
  bool ok_;
  union {
    T value_;
    Error error_;
  };
};

/// Success or an Error, for calls that return nothing else.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Failure f) : error_(f.error) {}  ///< failure (from fail())
  Result(Error e) : error_(e) {}  ///< failure holding `e`
  explicit operator bool() const { return !error_; }  ///< true on success
  bool ok() const { return !error_; }  ///< true on success
  Error error() const { return error_; }  ///< the error; a default (false) Error on success

 private:
  Error error_{};
};

/// Result from a syscall-style return: negative is -errno.
inline Result<void> from_res(int res) {
  if (res < 0) return fail(-res);
  return {};
}

}  // namespace zp
