#include <cstdlib>
#include <cstring>

#include "zp/engine/backend.h"

namespace zp {

Result<std::unique_ptr<Backend>> make_backend(BackendKind kind, const BackendOptions& opts) {
  if (kind == BackendKind::automatic) {
    const char* env = std::getenv("ZP_BACKEND");
    if (env && std::strcmp(env, "epoll") == 0) kind = BackendKind::epoll;
    else if (env && std::strcmp(env, "io_uring") == 0) kind = BackendKind::io_uring;
  }
  if (kind == BackendKind::epoll) return make_epoll_backend(opts);
  auto r = make_uring_backend(opts);
  if (r || kind == BackendKind::io_uring) return r;
  int e = r.error().value();
  // Containers often forbid io_uring; old kernels lack it or our setup flags.
  if (e == EPERM || e == ENOSYS || e == EINVAL || e == EACCES) {
    auto ep = make_epoll_backend(opts);
    if (ep) (*ep)->note_fallback("io_uring_setup refused (" + std::string(std::strerror(e)) + ")");
    return ep;
  }
  return r;
}

}  // namespace zp
