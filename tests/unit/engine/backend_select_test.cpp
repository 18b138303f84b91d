// make_backend's choice: ZP_BACKEND picks the automatic backend, and when the kernel refuses
// io_uring_setup (here: more SQ entries than IORING_MAX_ENTRIES, EINVAL on every set of
// setup flags) the automatic choice falls back to epoll and says why, while an explicit
// io_uring request returns the error.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>

#include "zp/engine/backend.h"

namespace {

using zp::BackendKind;

// Sets ZP_BACKEND for one scope and restores what was there.
class EnvBackend {
 public:
  explicit EnvBackend(const char* value) {
    if (const char* old = std::getenv("ZP_BACKEND")) old_ = old;
    if (value) ::setenv("ZP_BACKEND", value, 1);
    else ::unsetenv("ZP_BACKEND");
  }
  ~EnvBackend() {
    if (old_) ::setenv("ZP_BACKEND", old_->c_str(), 1);
    else ::unsetenv("ZP_BACKEND");
  }
  EnvBackend(const EnvBackend&) = delete;
  EnvBackend& operator=(const EnvBackend&) = delete;

 private:
  std::optional<std::string> old_;
};

TEST(BackendSelect, EnvironmentPicksTheAutomaticBackend) {
  {
    EnvBackend env("epoll");
    auto b = zp::make_backend(BackendKind::automatic, {});
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ((*b)->info().name, "epoll");
    EXPECT_TRUE((*b)->fallback().empty());  // chosen, not fallen back to
  }
  {
    EnvBackend env("io_uring");
    auto b = zp::make_backend(BackendKind::automatic, {});
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ((*b)->info().name, "io_uring");
  }
  {
    EnvBackend env("bogus");  // ignored: io_uring first, as without the variable
    auto b = zp::make_backend(BackendKind::automatic, {});
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ((*b)->info().name, "io_uring");
  }
  // An explicit kind wins over the environment.
  EnvBackend env("io_uring");
  auto b = zp::make_backend(BackendKind::epoll, {});
  ASSERT_TRUE(b);
  EXPECT_EQ((*b)->info().name, "epoll");
}

TEST(BackendSelect, RefusedIoUringFallsBackToEpoll) {
  EnvBackend env(nullptr);
  zp::BackendOptions opts;
  opts.sq_entries = 1u << 20;  // IORING_MAX_ENTRIES is 32768
  opts.cq_entries = 1u << 21;
  auto explicit_uring = zp::make_backend(BackendKind::io_uring, opts);
  ASSERT_FALSE(explicit_uring);
  EXPECT_EQ(explicit_uring.error().value(), EINVAL);
  auto b = zp::make_backend(BackendKind::automatic, opts);
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ((*b)->info().name, "epoll");
  EXPECT_EQ((*b)->fallback(), "io_uring_setup refused (Invalid argument)");
}

}  // namespace
