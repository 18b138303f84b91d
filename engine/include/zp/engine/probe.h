/// \file
/// Run-time probe of what this machine's kernel offers the engine: whether io_uring can
/// be set up at all (containers often forbid it), which opcodes and setup flags it
/// accepts, and whether provided-buffer rings register. For `zproto version` and the
/// start-up log; the backends do their own checks when they start.
/// \code
///   zp::Features f = zp::probe_features();
///   if (f.uring_available && f.defer_taskrun) ...
/// \endcode
#pragma once

#include <string>
#include <vector>

namespace zp {

/// What the kernel offers: io_uring, its flags, features and opcodes.
struct Features {
  std::string kernel_release;         ///< uname -r
  bool epoll_available = false;       ///< epoll_create1 succeeded
  bool uring_available = false;       ///< io_uring_queue_init succeeded
  int uring_errno = 0;                ///< why not, when unavailable (EPERM, ENOSYS, ...)
  /// Setup flags accepted by io_uring_setup on their own (DEFER_TASKRUN with SINGLE_ISSUER).
  bool single_issuer = false;
  bool defer_taskrun = false;  ///< IORING_SETUP_DEFER_TASKRUN
  bool coop_taskrun = false;  ///< IORING_SETUP_COOP_TASKRUN
  bool buf_ring = false;              ///< IORING_REGISTER_PBUF_RING succeeded
  std::vector<std::string> ring_features;  ///< IORING_FEAT_* names reported by setup
  std::vector<std::string> ops;            ///< supported opcodes, lower-case ("recv", ...)
};

/// Probes with a few throw-away rings; never fails: what is missing is reported as such.
Features probe_features();

}  // namespace zp
