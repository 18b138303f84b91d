// Over-read detection, as picohttpparser does it: an input is copied to the very end of a
// readable page followed by a PROT_NONE page, so reading one byte past it crashes (with or
// without ASan). Shared by every codec's guard-page test.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>

namespace zp::test {

class GuardedBuffer {
 public:
  GuardedBuffer() {
    page_ = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    void* p = mmap(nullptr, 2 * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) std::abort();
    base_ = static_cast<char*>(p);
    if (mprotect(base_ + page_, page_, PROT_NONE) != 0) std::abort();
  }
  ~GuardedBuffer() { munmap(base_, 2 * page_); }
  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;

  // A copy of `s` ending exactly where the guard page starts (at most one page).
  std::span<char> place(std::string_view s) {
    if (s.size() > page_) std::abort();
    char* at = base_ + page_ - s.size();
    if (!s.empty()) std::memcpy(at, s.data(), s.size());
    return {at, s.size()};
  }
  std::span<const std::byte> place_bytes(std::string_view s) { return std::as_bytes(place(s)); }

 private:
  std::size_t page_ = 0;
  char* base_ = nullptr;
};

}  // namespace zp::test
