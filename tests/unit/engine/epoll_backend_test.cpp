// The epoll backend driven directly through zp::Backend on real loopback TCP sockets
// (127.0.0.1 only). Every submission runs under a guard that fails the test if a
// completion arrives inside the submitting call.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "zp/engine/backend.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

bool g_in_submit = false;

// Runs a submission (or cancel) and flags any completion delivered inside it.
template <class F>
void submit(F&& f) {
  bool outer = g_in_submit;
  g_in_submit = true;
  f();
  g_in_submit = outer;
}

struct Completion {
  int32_t res;
  uint32_t flags;
};

struct TestOp : zp::Op {
  std::vector<Completion> got;
  std::function<void(TestOp&, int32_t, uint32_t)> on;
  TestOp() {
    complete = [](zp::Op* o, int32_t res, uint32_t flags) {
      EXPECT_FALSE(g_in_submit) << "completion delivered inside a submitting call";
      auto* t = static_cast<TestOp*>(o);
      t->got.push_back({res, flags});
      if (t->on) t->on(*t, res, flags);
    };
  }
  bool final_seen() const { return !got.empty() && !(got.back().flags & zp::kMore); }
};

void set_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  ASSERT_GE(fl, 0);
  ASSERT_EQ(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
}

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A listening socket on 127.0.0.1 with an ephemeral port.
int listen_loopback(uint16_t* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = loopback(0);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || listen(fd, 128) < 0) {
    close(fd);
    return -1;
  }
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

int connect_blocking(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// A connected loopback TCP pair: `local` is non-blocking (the backend's side), `peer`
// is blocking (the test's side).
struct TcpPair {
  int local = -1;
  int peer = -1;
  TcpPair() {
    uint16_t port = 0;
    int l = listen_loopback(&port);
    EXPECT_GE(l, 0);
    peer = connect_blocking(port);
    EXPECT_GE(peer, 0);
    local = accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
    EXPECT_GE(local, 0);
    close(l);
    set_nonblock(local);
  }
  ~TcpPair() {
    if (local >= 0) close(local);
    if (peer >= 0) close(peer);
  }
  void close_peer() {
    close(peer);
    peer = -1;
  }
};

std::vector<char> pattern(size_t n, uint32_t seed) {
  std::vector<char> v(n);
  uint32_t x = seed;
  for (auto& c : v) {
    x = x * 1664525u + 1013904223u;
    c = char(x >> 24);
  }
  return v;
}

void write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    ASSERT_GT(w, 0) << strerror(errno);
    p += w;
    n -= size_t(w);
  }
}

class EpollBackendTest : public ::testing::Test {
 protected:
  void make(uint32_t buffer_count = 64, uint32_t buffer_bytes = 4096) {
    zp::BackendOptions o;
    o.recv_buffer_count = buffer_count;
    o.recv_buffer_bytes = buffer_bytes;
    auto r = zp::make_epoll_backend(o);
    ASSERT_TRUE(r) << r.error().message();
    be = std::move(*r);
  }
  void SetUp() override { make(); }

  // Turns the loop until pred() or the deadline; returns pred().
  template <class P>
  bool run_until(P pred, std::chrono::milliseconds limit = 10s) {
    auto end = Clock::now() + limit;
    while (!pred() && Clock::now() < end) be->run_once(20);
    return pred();
  }
  void spin(int turns) {
    for (int i = 0; i < turns; ++i) be->run_once(10);
  }

  std::unique_ptr<zp::Backend> be;
};

TEST_F(EpollBackendTest, Info) {
  EXPECT_EQ(be->info().name, "epoll");
  EXPECT_NE(be->info().features.find("eventfd"), std::string::npos);
  EXPECT_EQ(be->buffers_available(), 64u);
  EXPECT_EQ(be->buffer(0).size(), 4096u);
  EXPECT_TRUE(be->buffer(64).empty());
}

TEST_F(EpollBackendTest, RejectsBadOptions) {
  zp::BackendOptions o;
  o.recv_buffer_count = 0;
  EXPECT_FALSE(zp::make_epoll_backend(o));
  o.recv_buffer_count = 65537;  // ids travel in 16 bits
  EXPECT_FALSE(zp::make_epoll_backend(o));
}

TEST_F(EpollBackendTest, MultishotAcceptSeveralConnections) {
  uint16_t port = 0;
  int l = listen_loopback(&port);
  ASSERT_GE(l, 0);
  set_nonblock(l);
  TestOp op;
  submit([&] { be->accept(op, l); });
  EXPECT_TRUE(op.got.empty());

  std::vector<int> clients;
  for (int i = 0; i < 5; ++i) clients.push_back(connect_blocking(port));
  ASSERT_TRUE(run_until([&] { return op.got.size() >= 5; }));
  ASSERT_EQ(op.got.size(), 5u);
  for (auto& c : op.got) {
    ASSERT_GE(c.res, 0);
    EXPECT_EQ(c.flags, zp::kMore);
    EXPECT_TRUE(fcntl(c.res, F_GETFL) & O_NONBLOCK);
    EXPECT_TRUE(fcntl(c.res, F_GETFD) & FD_CLOEXEC);
    close(c.res);
  }

  submit([&] { be->cancel(op); });
  ASSERT_TRUE(run_until([&] { return op.got.size() == 6; }));
  EXPECT_EQ(op.got[5].res, -ECANCELED);
  EXPECT_EQ(op.got[5].flags, 0u);
  // No more accepts after the final completion.
  clients.push_back(connect_blocking(port));
  spin(5);
  EXPECT_EQ(op.got.size(), 6u);
  for (int c : clients) close(c);
  close(l);
}

TEST_F(EpollBackendTest, AcceptCancelledFromItsOwnCallback) {
  uint16_t port = 0;
  int l = listen_loopback(&port);
  ASSERT_GE(l, 0);
  set_nonblock(l);
  TestOp op;
  op.on = [&](TestOp& o, int32_t res, uint32_t flags) {
    if (flags & zp::kMore) {
      close(res);
      submit([&] { be->cancel(o); });
    }
  };
  submit([&] { be->accept(op, l); });
  int c1 = connect_blocking(port), c2 = connect_blocking(port), c3 = connect_blocking(port);
  ASSERT_TRUE(run_until([&] { return op.final_seen(); }));
  spin(5);
  ASSERT_EQ(op.got.size(), 2u);  // one accept, then the cancel; the queued ones stay queued
  EXPECT_EQ(op.got[1].res, -ECANCELED);
  close(c1);
  close(c2);
  close(c3);
  close(l);
}

// Out of descriptors: the multishot accept ends with -EMFILE (final), the owner re-arms
// once it has closed something, and the connection still queued is accepted then.
TEST_F(EpollBackendTest, AcceptEmfileIsFinal) {
  uint16_t port = 0;
  int l = listen_loopback(&port);
  ASSERT_GE(l, 0);
  set_nonblock(l);
  int client = connect_blocking(port);
  ASSERT_GE(client, 0);

  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
  rlimit low = old;
  low.rlim_cur = 256;  // then fill every free descriptor below it
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> filler;
  for (int d; (d = dup(l)) >= 0;) filler.push_back(d);

  TestOp op;
  submit([&] { be->accept(op, l); });
  bool ended = run_until([&] { return op.final_seen(); });
  for (int d : filler) close(d);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
  ASSERT_TRUE(ended);
  ASSERT_EQ(op.got.size(), 1u);
  EXPECT_EQ(op.got[0].res, -EMFILE);
  EXPECT_EQ(op.got[0].flags, 0u);

  op.got.clear();
  submit([&] { be->accept(op, l); });
  ASSERT_TRUE(run_until([&] { return !op.got.empty(); }));
  EXPECT_GE(op.got[0].res, 0);
  EXPECT_EQ(op.got[0].flags, zp::kMore);
  if (op.got[0].res >= 0) close(op.got[0].res);
  submit([&] { be->cancel(op); });
  ASSERT_TRUE(run_until([&] { return op.final_seen(); }));
  close(client);
  close(l);
}

TEST_F(EpollBackendTest, RecvMultishotInOrderAcrossManyBuffers) {
  TcpPair p;
  const auto data = pattern(1 << 20, 7);
  std::vector<char> got;
  size_t buffers = 0;
  TestOp op;
  op.on = [&](TestOp&, int32_t res, uint32_t flags) {
    if (res <= 0) return;
    ASSERT_TRUE(flags & zp::kBuffer);
    ASSERT_TRUE(flags & zp::kMore);
    uint32_t bid = zp::buffer_id(flags);
    auto buf = be->buffer(bid);
    ASSERT_LE(size_t(res), buf.size());
    got.insert(got.end(), reinterpret_cast<char*>(buf.data()),
               reinterpret_cast<char*>(buf.data()) + res);
    be->buffer_ref(bid);  // two references, two releases
    be->buffer_release(bid);
    be->buffer_release(bid);
    ++buffers;
  };
  submit([&] { be->recv_multishot(op, p.local); });
  std::thread writer([&] {
    for (size_t off = 0; off < data.size(); off += 10000)
      write_all(p.peer, data.data() + off, std::min<size_t>(10000, data.size() - off));
    shutdown(p.peer, SHUT_WR);
  });
  bool done = run_until([&] { return op.final_seen(); });
  writer.join();
  ASSERT_TRUE(done);
  EXPECT_EQ(op.got.back().res, 0);  // EOF
  EXPECT_EQ(op.got.back().flags, 0u);
  ASSERT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
  EXPECT_GE(buffers, data.size() / 4096);
  EXPECT_EQ(be->buffers_available(), 64u);
}

TEST_F(EpollBackendTest, EnobufsWhenPoolRunsDryThenRearmKeepsOrder) {
  make(4, 4096);
  TcpPair p;
  const auto data = pattern(64 * 1024, 11);
  write_all(p.peer, data.data(), data.size());  // fits in the loopback socket buffers

  std::vector<char> got;
  std::vector<uint32_t> held;
  int enobufs = 0;
  while (got.size() < data.size()) {
    TestOp op;
    op.on = [&](TestOp&, int32_t res, uint32_t flags) {
      if (res > 0) {
        ASSERT_TRUE(flags & zp::kMore);
        held.push_back(zp::buffer_id(flags));
        auto b = be->buffer(zp::buffer_id(flags));
        got.insert(got.end(), reinterpret_cast<char*>(b.data()),
                   reinterpret_cast<char*>(b.data()) + res);
      }
    };
    submit([&] { be->recv_multishot(op, p.local); });
    ASSERT_TRUE(run_until([&] { return op.final_seen() || got.size() == data.size(); }));
    if (!op.final_seen()) {  // the last bytes came in: the op stays armed
      submit([&] { be->cancel(op); });
      ASSERT_TRUE(run_until([&] { return op.final_seen(); }));
      EXPECT_EQ(op.got.back().res, -ECANCELED);
    } else {
      ASSERT_EQ(op.got.back().res, -ENOBUFS);
      EXPECT_EQ(op.got.back().flags, 0u);
      EXPECT_EQ(held.size(), 4u);
      EXPECT_EQ(be->buffers_available(), 0u);
      ++enobufs;
    }
    for (uint32_t bid : held) be->buffer_release(bid);
    held.clear();
    EXPECT_EQ(be->buffers_available(), 4u);
  }
  EXPECT_GE(enobufs, 2);
  ASSERT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);

  // Then the peer closes: a re-armed receive sees EOF.
  p.close_peer();
  TestOp eof;
  submit([&] { be->recv_multishot(eof, p.local); });
  ASSERT_TRUE(run_until([&] { return eof.final_seen(); }));
  ASSERT_EQ(eof.got.size(), 1u);
  EXPECT_EQ(eof.got[0].res, 0);
}

TEST_F(EpollBackendTest, EofIsFinalWithoutBuffer) {
  TcpPair p;
  TestOp op;
  submit([&] { be->recv_multishot(op, p.local); });
  spin(2);
  EXPECT_TRUE(op.got.empty());
  p.close_peer();
  ASSERT_TRUE(run_until([&] { return op.final_seen(); }));
  ASSERT_EQ(op.got.size(), 1u);
  EXPECT_EQ(op.got[0].res, 0);
  EXPECT_EQ(op.got[0].flags, 0u);
  EXPECT_EQ(be->buffers_available(), 64u);
}

TEST_F(EpollBackendTest, ConnectToClosedPortIsRefused) {
  // A bound but not listening socket reserves a port nobody accepts on.
  int holder = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = loopback(0);
  ASSERT_EQ(bind(holder, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  getsockname(holder, reinterpret_cast<sockaddr*>(&a), &len);

  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  TestOp op;
  submit([&] { be->connect(op, fd, reinterpret_cast<sockaddr*>(&a), sizeof a); });
  ASSERT_TRUE(run_until([&] { return op.final_seen(); }));
  ASSERT_EQ(op.got.size(), 1u);
  EXPECT_EQ(op.got[0].res, -ECONNREFUSED);
  EXPECT_EQ(op.got[0].flags, 0u);
  close(fd);
  close(holder);
}

TEST_F(EpollBackendTest, ConnectSucceeds) {
  uint16_t port = 0;
  int l = listen_loopback(&port);
  ASSERT_GE(l, 0);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in a = loopback(port);
  TestOp op;
  submit([&] { be->connect(op, fd, reinterpret_cast<sockaddr*>(&a), sizeof a); });
  EXPECT_TRUE(op.got.empty());
  ASSERT_TRUE(run_until([&] { return op.final_seen(); }));
  ASSERT_EQ(op.got.size(), 1u);
  EXPECT_EQ(op.got[0].res, 0);
  close(fd);
  close(l);
}

// 8 MB in two iovecs to a peer that reads slowly, from a socket with a small send
// buffer: short sends and EAGAIN waits, resubmitted from the completion callback. A
// recv_multishot is armed on the same fd meanwhile and gets the peer's reply.
TEST_F(EpollBackendTest, SendmsgLargePayloadWithShortSends) {
  TcpPair p;
  int small = 32 * 1024;
  ASSERT_EQ(setsockopt(p.local, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  const auto head = pattern(1000, 3);
  const auto body = pattern(8 << 20, 5);
  const size_t total = head.size() + body.size();

  std::atomic<size_t> peer_bytes{0};
  std::vector<char> peer_got;
  peer_got.reserve(total);
  std::thread reader([&] {
    char buf[16384];
    bool replied = false;
    while (peer_got.size() < total) {
      ssize_t n = read(p.peer, buf, sizeof buf);
      if (n <= 0) break;
      peer_got.insert(peer_got.end(), buf, buf + n);
      peer_bytes = peer_got.size();
      if (!replied) {
        write_all(p.peer, "pong", 4);
        replied = true;
      }
      std::this_thread::sleep_for(200us);
    }
  });

  std::string reply;
  TestOp rx;
  rx.on = [&](TestOp&, int32_t res, uint32_t flags) {
    if (res > 0) {
      auto b = be->buffer(zp::buffer_id(flags));
      reply.append(reinterpret_cast<char*>(b.data()), size_t(res));
      be->buffer_release(zp::buffer_id(flags));
    }
  };
  submit([&] { be->recv_multishot(rx, p.local); });

  size_t sent = 0;
  int submissions = 0, shorts = 0;
  bool failed = false;
  iovec iov[2];
  msghdr msg{};
  TestOp tx;
  auto send_rest = [&] {
    int n = 0;
    if (sent < head.size()) {
      iov[n++] = {const_cast<char*>(head.data() + sent), head.size() - sent};
      iov[n++] = {const_cast<char*>(body.data()), body.size()};
    } else {
      size_t off = sent - head.size();
      iov[n++] = {const_cast<char*>(body.data() + off), body.size() - off};
    }
    msg = {};
    msg.msg_iov = iov;
    msg.msg_iovlen = size_t(n);
    ++submissions;
    submit([&] { be->sendmsg(tx, p.local, &msg, 0); });
  };
  tx.on = [&](TestOp&, int32_t res, uint32_t flags) {
    EXPECT_EQ(flags, 0u);
    if (res <= 0) {
      failed = true;
      return;
    }
    if (sent + size_t(res) < total) ++shorts;
    sent += size_t(res);
    if (sent < total) send_rest();
  };
  send_rest();
  bool done = run_until([&] { return failed || (sent == total && reply.size() >= 4); }, 60s);
  EXPECT_TRUE(done);
  EXPECT_FALSE(failed);
  shutdown(p.local, SHUT_WR);
  reader.join();
  EXPECT_EQ(sent, total);
  EXPECT_GE(shorts, 1);
  EXPECT_GT(submissions, 1);
  EXPECT_EQ(reply, "pong");
  ASSERT_EQ(peer_got.size(), total);
  EXPECT_TRUE(std::equal(head.begin(), head.end(), peer_got.begin()));
  EXPECT_TRUE(std::equal(body.begin(), body.end(), peer_got.begin() + long(head.size())));

  submit([&] { be->cancel(rx); });
  ASSERT_TRUE(run_until([&] { return rx.final_seen(); }));
}

TEST_F(EpollBackendTest, SendmsgToResetPeerFails) {
  TcpPair p;
  linger lg{1, 0};  // close with RST
  setsockopt(p.peer, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  p.close_peer();
  std::vector<char> data(4096, 'x');
  iovec iov{data.data(), data.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  int32_t last = 0;
  for (int i = 0; i < 10 && last >= 0; ++i) {
    TestOp op;
    submit([&] { be->sendmsg(op, p.local, &msg, 0); });
    ASSERT_TRUE(run_until([&] { return op.final_seen(); }));
    last = op.got.back().res;
  }
  EXPECT_TRUE(last == -EPIPE || last == -ECONNRESET) << last;
}

TEST_F(EpollBackendTest, CancelPendingRecvGivesExactlyOneEcanceled) {
  TcpPair p;
  TestOp op;
  submit([&] { be->recv_multishot(op, p.local); });
  spin(2);
  EXPECT_TRUE(op.got.empty());
  submit([&] {
    be->cancel(op);
    be->cancel(op);  // a second cancel before the completion: still one completion
  });
  EXPECT_TRUE(op.got.empty());
  ASSERT_TRUE(run_until([&] { return !op.got.empty(); }));
  write_all(p.peer, "late", 4);  // nothing may reach the cancelled op
  spin(5);
  ASSERT_EQ(op.got.size(), 1u);
  EXPECT_EQ(op.got[0].res, -ECANCELED);
  EXPECT_EQ(op.got[0].flags, 0u);
  submit([&] { be->cancel(op); });  // after the final completion: nothing
  spin(3);
  EXPECT_EQ(op.got.size(), 1u);

  // The same Op can be armed again and gets the data.
  op.got.clear();
  submit([&] { be->recv_multishot(op, p.local); });
  ASSERT_TRUE(run_until([&] { return !op.got.empty(); }));
  EXPECT_EQ(op.got[0].res, 4);
  be->buffer_release(zp::buffer_id(op.got[0].flags));
  submit([&] { be->cancel(op); });
  ASSERT_TRUE(run_until([&] { return op.final_seen(); }));
  EXPECT_EQ(be->buffers_available(), 64u);
}

TEST_F(EpollBackendTest, SecondReaderOnSameFdIsBusy) {
  TcpPair p;
  TestOp a, b;
  submit([&] {
    be->recv_multishot(a, p.local);
    be->recv_multishot(b, p.local);
  });
  ASSERT_TRUE(run_until([&] { return b.final_seen(); }));
  EXPECT_EQ(b.got[0].res, -EBUSY);
  EXPECT_TRUE(a.got.empty());
  submit([&] { be->cancel(a); });
  ASSERT_TRUE(run_until([&] { return a.final_seen(); }));
}

TEST_F(EpollBackendTest, WakeFromAnotherThreadReturnsRunOnce) {
  auto t0 = Clock::now();
  std::thread waker([&] {
    std::this_thread::sleep_for(100ms);
    be->wake();
  });
  int n = be->run_once(-1);
  auto elapsed = Clock::now() - t0;
  waker.join();
  EXPECT_EQ(n, 0);
  EXPECT_GE(elapsed, 50ms);
  EXPECT_LT(elapsed, 5s);

  // A wake before run_once is not lost; several wakes collapse into one.
  be->wake();
  be->wake();
  t0 = Clock::now();
  be->run_once(-1);
  EXPECT_LT(Clock::now() - t0, 1s);
  t0 = Clock::now();
  be->run_once(50);  // drained: this one waits for its timeout
  EXPECT_GE(Clock::now() - t0, 30ms);
}

TEST_F(EpollBackendTest, PollReportsReadiness) {
  TcpPair p;
  TestOp out;
  submit([&] { be->poll(out, p.local, POLLOUT); });
  EXPECT_TRUE(out.got.empty());
  ASSERT_TRUE(run_until([&] { return out.final_seen(); }));
  ASSERT_EQ(out.got.size(), 1u);
  EXPECT_TRUE(out.got[0].res & POLLOUT);
  EXPECT_FALSE(out.got[0].res & POLLIN);

  TestOp in;
  submit([&] { be->poll(in, p.local, POLLIN); });
  spin(3);
  EXPECT_TRUE(in.got.empty());
  write_all(p.peer, "x", 1);
  ASSERT_TRUE(run_until([&] { return in.final_seen(); }));
  ASSERT_EQ(in.got.size(), 1u);
  EXPECT_EQ(in.got[0].res, POLLIN);

  // Level semantics: the byte is still unread, so another poll completes at once.
  TestOp again;
  submit([&] { be->poll(again, p.local, POLLIN); });
  ASSERT_TRUE(run_until([&] { return again.final_seen(); }));
  EXPECT_TRUE(again.got[0].res & POLLIN);

  // A pending poll can be cancelled.
  char c;
  ASSERT_EQ(read(p.local, &c, 1), 1);
  TestOp idle;
  submit([&] { be->poll(idle, p.local, POLLIN); });
  spin(2);
  submit([&] { be->cancel(idle); });
  ASSERT_TRUE(run_until([&] { return idle.final_seen(); }));
  EXPECT_EQ(idle.got.size(), 1u);
  EXPECT_EQ(idle.got[0].res, -ECANCELED);
}

TEST_F(EpollBackendTest, PollAndRecvShareOneFd) {
  TcpPair p;
  TestOp rx, pl;
  rx.on = [&](TestOp&, int32_t res, uint32_t flags) {
    if (res > 0) be->buffer_release(zp::buffer_id(flags));
  };
  submit([&] {
    be->recv_multishot(rx, p.local);
    be->poll(pl, p.local, POLLOUT);
  });
  ASSERT_TRUE(run_until([&] { return pl.final_seen(); }));
  EXPECT_TRUE(pl.got[0].res & POLLOUT);
  write_all(p.peer, "hello", 5);
  ASSERT_TRUE(run_until([&] { return !rx.got.empty(); }));
  EXPECT_EQ(rx.got[0].res, 5);
  submit([&] { be->cancel(rx); });
  ASSERT_TRUE(run_until([&] { return rx.final_seen(); }));
}

TEST_F(EpollBackendTest, ReadRegularFileIsAsynchronous) {
  char path[] = "/tmp/zp_epoll_read_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  unlink(path);
  write_all(fd, "0123456789", 10);
  char buf[16] = {};
  TestOp op;
  submit([&] { be->read(op, fd, buf, 4, 3); });
  EXPECT_TRUE(op.got.empty());
  ASSERT_TRUE(run_until([&] { return op.final_seen(); }));
  EXPECT_EQ(op.got[0].res, 4);
  EXPECT_EQ(std::string(buf, 4), "3456");
  close(fd);
}

TEST_F(EpollBackendTest, UnpollableOrBadFdFailsAsynchronously) {
  char path[] = "/tmp/zp_epoll_bad_XXXXXX";
  int file = mkstemp(path);
  ASSERT_GE(file, 0);
  unlink(path);
  TestOp onfile, bad;
  submit([&] {
    be->recv_multishot(onfile, file);  // regular files cannot be polled with epoll
    be->poll(bad, -1, POLLIN);
  });
  EXPECT_TRUE(onfile.got.empty());
  EXPECT_TRUE(bad.got.empty());
  ASSERT_TRUE(run_until([&] { return onfile.final_seen() && bad.final_seen(); }));
  EXPECT_EQ(onfile.got[0].res, -EPERM);
  EXPECT_EQ(bad.got[0].res, -EBADF);
  close(file);
}

TEST_F(EpollBackendTest, InterceptorSeesEveryCompletion) {
  struct Seen {
    int count = 0;
  } seen;
  be->set_interceptor(
      [](void* arg, zp::Op* op, int32_t res, uint32_t flags) {
        ++static_cast<Seen*>(arg)->count;
        op->complete(op, res, flags);
      },
      &seen);
  TcpPair p;
  TestOp op;
  submit([&] { be->poll(op, p.local, POLLOUT); });
  ASSERT_TRUE(run_until([&] { return op.final_seen(); }));
  EXPECT_EQ(seen.count, 1);
  be->set_interceptor(nullptr, nullptr);
}

}  // namespace
