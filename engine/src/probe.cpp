// Feature probe: each setup flag is tried on a tiny throw-away ring, the opcode list comes
// from IORING_REGISTER_PROBE, and a provided-buffer ring of 8 entries is registered and
// unregistered by hand (liburing 2.3 has no io_uring_setup_buf_ring).
#include "zp/engine/probe.h"

#include <liburing.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <iterator>
#include <string_view>

namespace zp {
namespace {

#ifndef IORING_SETUP_COOP_TASKRUN
#define IORING_SETUP_COOP_TASKRUN (1U << 8)
#endif
#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)
#endif

// Opcode names by number (kernel uapi order); newer ones print as "op<N>".
constexpr std::string_view kOpNames[] = {
    "nop", "readv", "writev", "fsync", "read_fixed", "write_fixed", "poll_add",
    "poll_remove", "sync_file_range", "sendmsg", "recvmsg", "timeout", "timeout_remove",
    "accept", "async_cancel", "link_timeout", "connect", "fallocate", "openat", "close",
    "files_update", "statx", "read", "write", "fadvise", "madvise", "send", "recv",
    "openat2", "epoll_ctl", "splice", "provide_buffers", "remove_buffers", "tee",
    "shutdown", "renameat", "unlinkat", "mkdirat", "symlinkat", "linkat", "msg_ring",
    "fsetxattr", "setxattr", "fgetxattr", "getxattr", "socket", "uring_cmd", "send_zc",
    "sendmsg_zc", "read_multishot", "waitid", "futex_wait", "futex_wake", "futex_waitv",
    "fixed_fd_install", "ftruncate", "bind", "listen", "recv_zc", "epoll_wait",
    "readv_fixed", "writev_fixed", "pipe"};

constexpr std::string_view kFeatNames[] = {
    "single_mmap", "nodrop", "submit_stable", "rw_cur_pos", "cur_personality",
    "fast_poll", "poll_32bits", "sqpoll_nonfixed", "ext_arg", "native_workers",
    "rsrc_tags", "cqe_skip", "linked_file", "reg_reg_ring", "recvsend_bundle",
    "min_timeout", "rw_attr", "no_iowait"};

// 0 if a ring with `flags` can be set up, else the -errno from io_uring_setup.
int try_setup(unsigned flags) {
  io_uring ring;
  io_uring_params p{};
  p.flags = flags;
  const int r = io_uring_queue_init_params(4, &ring, &p);
  if (r == 0) io_uring_queue_exit(&ring);
  return r;
}

bool try_buf_ring(io_uring& ring) {
  constexpr unsigned kEntries = 8;
  const size_t bytes = kEntries * sizeof(io_uring_buf);
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return false;
  auto* br = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_ring_init(br);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(br);
  reg.ring_entries = kEntries;
  reg.bgid = 0;
  const bool ok = io_uring_register_buf_ring(&ring, &reg, 0) == 0;
  if (ok) io_uring_unregister_buf_ring(&ring, 0);
  munmap(mem, bytes);
  return ok;
}

}  // namespace

Features probe_features() {
  Features f;
  utsname u{};
  if (uname(&u) == 0) f.kernel_release = u.release;

  const int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep >= 0) {
    f.epoll_available = true;
    close(ep);
  }

  io_uring ring;
  io_uring_params p{};
  const int r = io_uring_queue_init_params(8, &ring, &p);
  if (r < 0) {
    f.uring_errno = -r;
    return f;
  }
  f.uring_available = true;
  for (size_t bit = 0; bit < 32; ++bit) {
    if (!(p.features & (1u << bit))) continue;
    f.ring_features.push_back(bit < std::size(kFeatNames) ? std::string(kFeatNames[bit])
                                                          : "feat_bit" + std::to_string(bit));
  }
  if (io_uring_probe* probe = io_uring_get_probe_ring(&ring)) {
    for (int op = 0; op <= probe->last_op; ++op) {
      if (!io_uring_opcode_supported(probe, op)) continue;
      f.ops.push_back(size_t(op) < std::size(kOpNames) ? std::string(kOpNames[op])
                                                        : "op" + std::to_string(op));
    }
    io_uring_free_probe(probe);
  }
  f.buf_ring = try_buf_ring(ring);
  io_uring_queue_exit(&ring);

  f.single_issuer = try_setup(IORING_SETUP_SINGLE_ISSUER) == 0;
  f.defer_taskrun = try_setup(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN) == 0;
  f.coop_taskrun = try_setup(IORING_SETUP_COOP_TASKRUN) == 0;
  return f;
}

}  // namespace zp
