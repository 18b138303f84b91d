// Helpers for engine tests: a shard per backend, fd limits, seeds.
#pragma once

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <memory>
#include <string>

#include "zp/engine/backend.h"
#include "zp/engine/shard.h"

namespace zp::test {

// Every engine test runs on each backend, and on each behind the fault-injection layer.
struct BackendParam {
  BackendKind kind;
  bool faults;
  std::string name() const {
    return std::string(kind == BackendKind::io_uring ? "io_uring" : "epoll") + (faults ? "_faults" : "");
  }
};

inline std::string param_name(const ::testing::TestParamInfo<BackendParam>& info) { return info.param.name(); }

std::unique_ptr<Shard> make_shard(const BackendParam& p, BackendOptions opts = {});

inline void raise_nofile(rlim_t want) {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < want) {
    rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace zp::test
