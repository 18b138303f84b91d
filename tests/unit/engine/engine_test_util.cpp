#include "engine_test_util.h"

#include "zp/engine/fault.h"

namespace zp::test {

std::unique_ptr<Shard> make_shard(const BackendParam& p, BackendOptions opts) {
  auto b = p.kind == BackendKind::epoll ? make_epoll_backend(opts) : make_uring_backend(opts);
  if (!b) {
    ADD_FAILURE() << "backend: " << b.error().message();
    return nullptr;
  }
  std::unique_ptr<Backend> backend = std::move(*b);
  if (p.faults) backend = make_fault_backend(std::move(backend), FaultOptions::from_env());
  return std::make_unique<Shard>(0, 1, std::move(backend));
}

}  // namespace zp::test
