// Embeds the installed engine: one Shard on the default backend (io_uring, or epoll when
// refused or ZP_BACKEND=epoll) runs a task that sleeps on the timer wheel and returns a
// value. Exit 0 when the value comes back, 1 otherwise.
#include <chrono>
#include <cstdio>
#include <memory>
#include <utility>

#include "zp/engine/backend.h"
#include "zp/engine/shard.h"
#include "zp/engine/task.h"

namespace {

zp::Task<int> answer() {
  auto slept = co_await zp::sleep(std::chrono::milliseconds(1));
  co_return slept ? 42 : -1;
}

}  // namespace

int main() {
  auto backend = zp::make_backend(zp::BackendKind::automatic, {});
  if (!backend) {
    std::fprintf(stderr, "make_backend: %s\n", backend.error().message().c_str());
    return 1;
  }
  zp::Shard shard(0, 1, std::move(*backend));
  const int got = shard.block_on(answer());
  std::printf("zproto engine from the install prefix: task returned %d\n", got);
  return got == 42 ? 0 : 1;
}
