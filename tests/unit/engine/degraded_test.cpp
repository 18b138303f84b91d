// Without CAP_IPC_LOCK and with a 1 MiB RLIMIT_MEMLOCK the kernel refuses registered
// buffers: the io_uring backend degrades (one note in info().degraded) and still works.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "zp/engine/net.h"
#include "zp/engine/shard.h"

namespace zp {
namespace {

bool drop_ipc_lock() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &hdr, data) != 0) return false;
  data[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
  data[CAP_IPC_LOCK / 32].permitted &= ~(1u << (CAP_IPC_LOCK % 32));
  return syscall(SYS_capset, &hdr, data) == 0;
}

Task<int> echo_once(Listener& l) {
  Shard* shard = Shard::current();
  auto srv = shard->spawn([](Listener& l) -> Task<void> {
    auto s = co_await l.accept();
    if (!s) co_return;
    for (;;) {
      auto b = co_await s->recv();
      if (!b || b->eof()) break;
      auto w = co_await s->send(b->bytes());
      if (!w) break;
    }
  }(l));
  auto c = co_await Stream::connect(l.local_addr());
  if (!c) co_return 20;
  std::string msg(50000, 'z');
  auto w = co_await c->send(std::as_bytes(std::span(msg)));
  if (!w) co_return 21;
  size_t got = 0;
  while (got < msg.size()) {
    auto b = co_await c->recv();
    if (!b || b->eof()) co_return 22;
    got += b->size();
  }
  co_return 0;
}

// Runs in a child: returns 0 when degraded and working.
int child_main() {
  if (!drop_ipc_lock()) return 10;
  // Room for the rings themselves, not for 4 MiB of registered buffers.
  rlimit rl{1 << 20, 1 << 20};
  if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0) return 11;
  auto b = make_uring_backend({});
  if (!b) {
    std::fprintf(stderr, "make_uring_backend: %s\n", b.error().message().c_str());
    return 12;
  }
  std::string degraded = (*b)->info().degraded;
  std::fprintf(stderr, "degraded: %s\n", degraded.c_str());
  if (degraded.find("fixed buffers refused") == std::string::npos) return 13;
  Shard shard(0, 1, std::move(*b));
  auto l = Listener::bind(shard, *SocketAddr::parse("127.0.0.1:0"));
  if (!l) return 14;
  return shard.block_on(echo_once(*l));
}

TEST(Degraded, RefusedRegistrationFallsBackAndStillServes) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) _exit(child_main());
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(Degraded, WithoutBufferRingReceivesAreEmulated) {
  BackendOptions opts;
  opts.buf_ring = false;
  auto b = make_uring_backend(opts);
  ASSERT_TRUE(b);
  EXPECT_EQ((*b)->info().features.find("buf_ring"), std::string::npos);
  Shard shard(0, 1, std::move(*b));
  auto l = Listener::bind(shard, *SocketAddr::parse("127.0.0.1:0"));
  ASSERT_TRUE(l);
  EXPECT_EQ(shard.block_on(echo_once(*l)), 0);
}

}  // namespace
}  // namespace zp
