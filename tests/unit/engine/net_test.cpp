// Sockets on every backend: echo over TCP/UDP/Unix, half-close, reset mid-send,
// provided-buffer exhaustion, cancellation, and many concurrent connections.
#include <gtest/gtest.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "engine_test_util.h"
#include "zp/engine/net.h"
#include "zp/engine/shard.h"

namespace zp {
namespace {

using namespace std::chrono_literals;
using test::BackendParam;

class NetTest : public ::testing::TestWithParam<BackendParam> {
 protected:
  void SetUp() override { test::raise_nofile(65536); }
};

SocketAddr loopback() { return *SocketAddr::parse("127.0.0.1:0"); }

// Echoes until EOF, then closes.
Task<void> echo_conn(Stream s) {
  for (;;) {
    auto b = co_await s.recv();
    if (!b || b->eof()) break;
    auto w = co_await s.send(b->bytes());
    if (!w) break;
  }
}

Task<void> echo_server(Listener& l, int connections) {
  Shard* shard = Shard::current();
  for (int i = 0; i < connections; ++i) {
    auto s = co_await l.accept();
    if (!s) break;
    auto h = shard->spawn(echo_conn(std::move(*s)));
    (void)h;
  }
}

std::vector<std::byte> pattern(size_t n, unsigned seed = 7) {
  std::vector<std::byte> v(n);
  uint32_t x = seed;
  for (auto& b : v) {
    x = x * 1103515245u + 12345u;
    b = std::byte(x >> 24);
  }
  return v;
}

// Sends data and reads back exactly as much; compares.
Task<Result<void>> round_trip(const SocketAddr& addr, std::vector<std::byte> data) {
  auto s = co_await Stream::connect(addr);
  if (!s) co_return s.error();
  Shard* shard = Shard::current();
  std::vector<std::byte> got;
  got.reserve(data.size());
  auto writer = [&]() -> Task<void> {
    auto w = co_await s->send(data);
    EXPECT_TRUE(w);
  };
  auto h = shard->spawn(writer());
  while (got.size() < data.size()) {
    auto b = co_await s->recv();
    if (!b) co_return b.error();
    if (b->eof()) co_return fail(EPIPE);
    got.insert(got.end(), b->bytes().begin(), b->bytes().end());
  }
  co_await h->join();
  if (got != data) co_return fail(EBADMSG);
  co_return Result<void>{};
}

TEST_P(NetTest, TcpEcho) {
  auto shard = test::make_shard(GetParam());
  auto l = Listener::bind(*shard, loopback());
  ASSERT_TRUE(l) << l.error().message();
  auto server = shard->spawn(echo_server(*l, 1));
  auto r = shard->block_on(round_trip(l->local_addr(), pattern(300000)));
  EXPECT_TRUE(r) << r.error().message();
}

TEST_P(NetTest, TcpEchoIPv6) {
  auto shard = test::make_shard(GetParam());
  auto l = Listener::bind(*shard, *SocketAddr::parse("[::1]:0"));
  ASSERT_TRUE(l) << l.error().message();
  auto server = shard->spawn(echo_server(*l, 1));
  auto r = shard->block_on(round_trip(l->local_addr(), pattern(10000)));
  EXPECT_TRUE(r) << r.error().message();
}

TEST_P(NetTest, UnixEcho) {
  auto shard = test::make_shard(GetParam());
  std::string path = "/tmp/zp_test_" + std::to_string(getpid()) + ".sock";
  ::unlink(path.c_str());
  auto l = Listener::bind(*shard, *SocketAddr::parse("unix:" + path));
  ASSERT_TRUE(l) << l.error().message();
  auto server = shard->spawn(echo_server(*l, 1));
  auto r = shard->block_on(round_trip(l->local_addr(), pattern(100000)));
  EXPECT_TRUE(r) << r.error().message();
  ::unlink(path.c_str());
}

TEST_P(NetTest, UdpEchoBatched) {
  auto shard = test::make_shard(GetParam());
  auto srv = UdpSocket::bind(*shard, loopback());
  ASSERT_TRUE(srv);
  auto cli = UdpSocket::bind(*shard, loopback(), false);
  ASSERT_TRUE(cli);
  constexpr int kCount = 200;
  auto server = [&]() -> Task<void> {
    std::vector<std::array<std::byte, 512>> storage(32);
    std::vector<Datagram> in(32);
    int seen = 0;
    while (seen < kCount) {
      for (size_t i = 0; i < in.size(); ++i) in[i].data = storage[i];
      auto n = co_await srv->recv_batch(in);
      if (!n) break;
      for (size_t i = 0; i < *n; ++i) in[i].data = in[i].data.first(in[i].size);
      auto w = co_await srv->send_batch(std::span<const Datagram>(in.data(), *n));
      if (!w) break;
      seen += int(*n);
    }
  };
  auto h = shard->spawn(server());
  auto client = [&]() -> Task<int> {
    int got = 0;
    std::array<std::byte, 512> rb;
    for (int i = 0; i < kCount; ++i) {
      std::string msg = "datagram " + std::to_string(i);
      Datagram d{srv->local_addr(), {reinterpret_cast<std::byte*>(msg.data()), msg.size()}, msg.size()};
      auto w = co_await cli->send_batch(std::span<const Datagram>(&d, 1));
      EXPECT_TRUE(w);
      Datagram r{{}, rb, 0};
      auto n = co_await cli->recv_batch(std::span<Datagram>(&r, 1));
      if (!n) break;
      if (std::string_view(reinterpret_cast<char*>(rb.data()), r.size) == msg) ++got;
    }
    co_return got;
  };
  EXPECT_EQ(shard->block_on(client()), kCount);
}

TEST_P(NetTest, HalfCloseStillDeliversTheReply) {
  auto shard = test::make_shard(GetParam());
  auto l = Listener::bind(*shard, loopback());
  ASSERT_TRUE(l);
  // Server: read until EOF, then answer with the byte count and close.
  auto server = [&]() -> Task<void> {
    auto s = co_await l->accept();
    if (!s) co_return;
    size_t total = 0;
    for (;;) {
      auto b = co_await s->recv();
      if (!b || b->eof()) break;
      total += b->size();
    }
    std::string reply = std::to_string(total);
    auto w = co_await s->send(std::as_bytes(std::span(reply)));
    (void)w;
  };
  auto h = shard->spawn(server());
  auto client = [&]() -> Task<std::string> {
    auto s = co_await Stream::connect(l->local_addr());
    if (!s) co_return "connect failed";
    auto data = pattern(50000);
    auto w = co_await s->send(data);
    if (!w) co_return "send failed";
    if (!s->shutdown_write()) co_return "shutdown failed";
    std::string reply;
    for (;;) {
      auto b = co_await s->recv();
      if (!b) co_return "recv failed";
      if (b->eof()) break;
      reply += b->text();
    }
    co_return reply;
  };
  EXPECT_EQ(shard->block_on(client()), "50000");
}

// send_and_close: every byte arrives (more than the socket buffers hold, so the kernel
// finishes the send after the close was queued), then EOF; the stream is closed at once.
TEST_P(NetTest, SendAndCloseDeliversEverythingThenEof) {
  auto shard = test::make_shard(GetParam());
  auto l = Listener::bind(*shard, loopback());
  ASSERT_TRUE(l);
  const auto data = pattern(8 << 20);
  bool closed_after = false;
  auto server = [&]() -> Task<void> {
    auto s = co_await l->accept();
    if (!s) co_return;
    iovec iov[2] = {{const_cast<std::byte*>(data.data()), 1000},
                    {const_cast<std::byte*>(data.data()) + 1000, data.size() - 1000}};
    auto w = co_await s->send_and_close(iov);
    EXPECT_TRUE(w) << w.error().message();
    if (w) {
      EXPECT_EQ(*w, data.size());
    }
    closed_after = !s->is_open();
  };
  auto h = shard->spawn(server());
  auto client = [&]() -> Task<Result<std::vector<std::byte>>> {
    auto s = co_await Stream::connect(l->local_addr());
    if (!s) co_return s.error();
    std::vector<std::byte> got;
    for (;;) {
      auto b = co_await s->recv();
      if (!b) co_return b.error();
      if (b->eof()) break;
      got.insert(got.end(), b->bytes().begin(), b->bytes().end());
    }
    co_return got;
  };
  auto r = shard->block_on(client());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(*r == data) << "got " << r->size() << " of " << data.size() << " bytes";
  shard->block_on([&]() -> Task<void> { co_await h->join(); }());
  EXPECT_TRUE(closed_after);
}

// Accepted TCP sockets inherit TCP_NODELAY from the listener (no setsockopt per connection).
TEST_P(NetTest, AcceptedTcpSocketsHaveNoDelay) {
  auto shard = test::make_shard(GetParam());
  auto l = Listener::bind(*shard, loopback());
  ASSERT_TRUE(l);
  int nodelay = -1;
  auto server = [&]() -> Task<void> {
    auto s = co_await l->accept();
    if (!s) co_return;
    socklen_t len = sizeof nodelay;
    getsockopt(s->fd(), IPPROTO_TCP, TCP_NODELAY, &nodelay, &len);
  };
  auto h = shard->spawn(server());
  auto client = [&]() -> Task<void> {
    auto s = co_await Stream::connect(l->local_addr());
    EXPECT_TRUE(s);
    co_await h->join();
  };
  shard->block_on(client());
  EXPECT_EQ(nodelay, 1);
}

TEST_P(NetTest, PeerResetMidSendIsAnError) {
  auto shard = test::make_shard(GetParam());
  auto l = Listener::bind(*shard, loopback());
  ASSERT_TRUE(l);
  // The peer accepts, then resets (SO_LINGER 0) without reading.
  auto server = [&]() -> Task<void> {
    auto s = co_await l->accept();
    if (!s) co_return;
    (void)co_await sleep(20ms);
    linger lg{1, 0};
    setsockopt(s->fd(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    s->close();
  };
  auto h = shard->spawn(server());
  auto client = [&]() -> Task<Result<size_t>> {
    auto s = co_await Stream::connect(l->local_addr());
    if (!s) co_return s.error();
    auto big = pattern(64 << 20);  // far more than the socket buffers hold
    co_return co_await s->send(big);
  };
  auto r = shard->block_on(client());
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error() == std::errc::connection_reset || r.error() == std::errc::broken_pipe)
      << r.error().message();
}

TEST_P(NetTest, ExhaustedBufferRingStillDeliversEveryByteInOrder) {
  BackendOptions opts;
  opts.recv_buffer_count = 4;
  opts.recv_buffer_bytes = 4096;
  auto shard = test::make_shard(GetParam(), opts);
  auto l = Listener::bind(*shard, loopback());
  ASSERT_TRUE(l);
  // The reader holds every lease for a while, so the ring of 4 runs dry (ENOBUFS).
  auto data = pattern(1 << 20);
  auto server = [&]() -> Task<Result<void>> {
    auto s = co_await l->accept();
    if (!s) co_return s.error();
    std::vector<std::byte> got;
    std::vector<RecvBuf> held;
    while (got.size() < data.size()) {
      auto b = co_await s->recv();
      if (!b) co_return b.error();
      if (b->eof()) break;
      got.insert(got.end(), b->bytes().begin(), b->bytes().end());
      held.push_back(std::move(*b));
      if (held.size() == 4) {
        (void)co_await sleep(2ms);
        held.clear();
      }
    }
    if (got != data) co_return fail(EBADMSG);
    co_return Result<void>{};
  };
  auto client = [&]() -> Task<void> {
    auto s = co_await Stream::connect(l->local_addr());
    if (!s) co_return;
    auto w = co_await s->send(data);
    EXPECT_TRUE(w);
    (void)co_await sleep(1s);  // keep it open until the reader is done
  };
  auto c = shard->spawn(client());
  auto r = shard->block_on(server());
  EXPECT_TRUE(r) << r.error().message();
  c->cancel();
  shard->block_on([&]() -> Task<void> { co_await c->join(); }());
  EXPECT_EQ(shard->backend().buffers_available(), 4u);
}

// A parked stream (Stream::park) holds no task: its hook fires once input is there, the
// owner takes it without waiting and parks again. Between messages no task is alive.
struct ParkedEcho : ReadyHook {
  Stream s;
  int fired = 0;
  size_t echoed = 0;
  bool eof = false;
  std::vector<size_t> idle_tasks;  // live tasks seen at each park, the client's included
};

Task<void> parked_echo_input(ParkedEcho* p) {
  while (p->s.input_ready()) {
    auto b = co_await p->s.recv();
    if (!b || b->eof()) {
      p->eof = true;
      p->s.close();
      co_return;
    }
    p->echoed += b->size();
    auto w = co_await p->s.send(b->bytes());
    if (!w) co_return;
  }
  EXPECT_TRUE(p->s.park(*p));
}

TEST_P(NetTest, ParkedStreamHoldsNoTaskBetweenMessages) {
  auto shard = test::make_shard(GetParam());
  auto l = Listener::bind(*shard, loopback());
  ASSERT_TRUE(l);
  ParkedEcho p;
  p.fire = [](ReadyHook* h) {
    auto* pe = static_cast<ParkedEcho*>(h);
    ++pe->fired;
    pe->idle_tasks.push_back(Shard::current()->live_tasks());
    auto t = Shard::current()->spawn(parked_echo_input(pe));
    EXPECT_TRUE(t);
  };
  auto server = [&]() -> Task<void> {
    auto s = co_await l->accept();
    if (!s) co_return;
    p.s = std::move(*s);
    EXPECT_TRUE(p.s.park(p));
    EXPECT_FALSE(p.s.park(p)) << "parked twice";
  };
  auto accepted = shard->spawn(server());
  ASSERT_TRUE(accepted);
  auto client = [&]() -> Task<std::string> {
    auto s = co_await Stream::connect(l->local_addr());
    if (!s) co_return "connect failed";
    std::string all;
    for (int i = 0; i < 5; ++i) {
      const std::string msg = "message " + std::to_string(i);
      auto w = co_await s->send(std::as_bytes(std::span(msg)));
      if (!w) co_return "send failed";
      std::string got;
      while (got.size() < msg.size()) {
        auto b = co_await s->recv();
        if (!b || b->eof()) co_return "recv failed";
        got += b->text();
      }
      all += got + ";";
      (void)co_await sleep(5ms);  // the server parks again meanwhile
    }
    co_return all;
  };
  EXPECT_EQ(shard->block_on(client()), "message 0;message 1;message 2;message 3;message 4;");
  const int fired = p.fired;  // at least once per message (the fault backends split reads)
  EXPECT_GE(fired, 5);
  EXPECT_EQ(p.echoed, 5 * std::string("message 0").size());
  // Each hook fired with only the client's task alive: the parked server had none.
  for (size_t n : p.idle_tasks) EXPECT_EQ(n, 1u);
  // The client went away (its stream closed at the end of its task): EOF fires the hook.
  shard->block_on([]() -> Task<void> { (void)co_await sleep(20ms); }());
  EXPECT_EQ(p.fired, fired + 1);
  EXPECT_TRUE(p.eof);
}

TEST_P(NetTest, ClosingAParkedStreamNeverFiresItsHook) {
  auto shard = test::make_shard(GetParam());
  auto l = Listener::bind(*shard, loopback());
  ASSERT_TRUE(l);
  struct Counted : ReadyHook {
    int fired = 0;
  } hook;
  hook.fire = [](ReadyHook* h) { ++static_cast<Counted*>(h)->fired; };
  Stream parked, unparked;
  auto server = [&]() -> Task<void> {
    for (Stream* into : {&parked, &unparked}) {
      auto s = co_await l->accept();
      if (!s) co_return;
      *into = std::move(*s);
    }
  };
  auto h = shard->spawn(server());
  std::vector<Stream> clients;
  auto connect_two = [&]() -> Task<void> {
    for (int i = 0; i < 2; ++i) {
      auto s = co_await Stream::connect(l->local_addr());
      if (s) clients.push_back(std::move(*s));
    }
    co_await h->join();
  };
  shard->block_on(connect_two());
  ASSERT_EQ(clients.size(), 2u);
  ASSERT_TRUE(parked.park(hook));
  ASSERT_TRUE(unparked.park(hook));
  unparked.unpark();
  parked.close();
  auto send_both = [&]() -> Task<void> {
    const std::string msg = "late";
    for (auto& c : clients) (void)co_await c.send(std::as_bytes(std::span(msg)));
    (void)co_await sleep(20ms);
  };
  shard->block_on(send_both());
  EXPECT_EQ(hook.fired, 0);
  EXPECT_TRUE(unparked.input_ready());  // the bytes wait for a recv()
  auto take = [&]() -> Task<std::string> {
    std::string got;
    while (got.size() < 4) {
      auto b = co_await unparked.recv();
      if (!b || b->eof()) co_return "recv failed";
      got += b->text();
    }
    co_return got;
  };
  EXPECT_EQ(shard->block_on(take()), "late");
}

TEST_P(NetTest, PendingRecvAndAcceptCanBeCancelledAndTimedOut) {
  auto shard = test::make_shard(GetParam());
  auto l = Listener::bind(*shard, loopback());
  ASSERT_TRUE(l);
  // accept() with nobody connecting: the timeout cancels it.
  auto accept_once = [&]() -> Task<Result<int>> {
    auto s = co_await l->accept();
    if (!s) co_return s.error();
    co_return s->fd();
  };
  auto r = shard->block_on(with_timeout<int>(20ms, accept_once()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::timed_out);
  // recv() on a silent connection: explicit cancel through the task handle.
  Result<RecvBuf> got = fail(0);
  auto reader = [&]() -> Task<void> {
    auto s = co_await Stream::connect(l->local_addr());
    if (!s) co_return;
    got = co_await s->recv();
  };
  auto h = shard->spawn(reader());
  auto driver = [&]() -> Task<void> {
    auto peer = co_await l->accept();  // keep the server side open and silent
    (void)co_await sleep(10ms);
    h->cancel();
    co_await h->join();
  };
  shard->block_on(driver());
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error(), std::errc::operation_canceled);
  // The listener still works after a cancelled accept.
  auto server = shard->spawn(echo_server(*l, 1));
  auto rt = shard->block_on(round_trip(l->local_addr(), pattern(1000)));
  EXPECT_TRUE(rt) << rt.error().message();
}

TEST_P(NetTest, ConnectRefusedIsAnErrorValue) {
  auto shard = test::make_shard(GetParam());
  SocketAddr addr;
  {
    // A port nobody listens on: bind, note the port, close.
    auto l = Listener::bind(*shard, loopback());
    ASSERT_TRUE(l);
    addr = l->local_addr();
  }
  auto r = shard->block_on(Stream::connect(addr));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::connection_refused);
}

// The client side runs in a child process (its own fd table: the hard RLIMIT_NOFILE here
// may not fit both ends), opens every connection first, then echoes a line on each.
int run_blocking_clients(const SocketAddr& addr, int count) {
  std::vector<int> fds;
  for (int i = 0; i < count; ++i) {
    int fd = ::socket(addr.family(), SOCK_STREAM, 0);
    if (fd < 0 || ::connect(fd, addr.sa(), addr.len) < 0) return 10;
    fds.push_back(fd);
  }
  for (int i = 0; i < count; ++i) {
    std::string msg = "c" + std::to_string(i);
    if (::send(fds[i], msg.data(), msg.size(), 0) != ssize_t(msg.size())) return 11;
    std::string got(msg.size(), '\0');
    size_t n = 0;
    while (n < msg.size()) {
      ssize_t r = ::recv(fds[i], got.data() + n, msg.size() - n, 0);
      if (r <= 0) return 12;
      n += size_t(r);
    }
    if (got != msg) return 13;
  }
  for (int fd : fds) ::close(fd);
  return 0;
}

TEST_P(NetTest, TenThousandConcurrentConnections) {
  constexpr int kConns = 10000;
  auto shard = test::make_shard(GetParam());
  auto l = Listener::bind(*shard, loopback(), {.backlog = 4096});
  ASSERT_TRUE(l);
  int open_now = 0;
  int open_max = 0;
  auto conn = [&](Stream s) -> Task<void> {
    open_max = std::max(open_max, ++open_now);
    co_await echo_conn(std::move(s));
    --open_now;
  };
  auto server = [&]() -> Task<void> {
    for (int i = 0; i < kConns; ++i) {
      auto s = co_await l->accept();
      if (!s) break;
      auto h = shard->spawn(conn(std::move(*s)));
    }
  };
  auto srv = shard->spawn(server());
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(run_blocking_clients(l->local_addr(), kConns));
  int status = -1;
  auto wait_child = [&]() -> Task<void> {
    for (int i = 0; i < 12000; ++i) {  // bounded: 120 s
      if (waitpid(child, &status, WNOHANG) == child) co_return;
      (void)co_await sleep(10ms);
    }
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
  };
  shard->block_on(wait_child());
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(open_max, kConns);
}

TEST_P(NetTest, TinyCompletionQueueOverflowLosesNothing) {
  // CQ far smaller than the completions in flight: the kernel keeps the overflow
  // (FEAT_NODROP) and reaping flushes it; every byte still arrives.
  BackendOptions opts;
  opts.sq_entries = 4;
  opts.cq_entries = 8;
  auto shard = test::make_shard(GetParam(), opts);
  auto l = Listener::bind(*shard, loopback());
  ASSERT_TRUE(l);
  constexpr int kConns = 32;
  auto server = shard->spawn(echo_server(*l, kConns));
  int ok = 0;
  auto one = [&](int i) -> Task<void> {
    auto r = co_await round_trip(l->local_addr(), pattern(64 * 1024, unsigned(i)));
    if (r) ++ok;
  };
  auto all = [&]() -> Task<void> {
    std::vector<TaskHandle> hs;
    for (int i = 0; i < kConns; ++i) hs.push_back(*Shard::current()->spawn(one(i)));
    for (auto& h : hs) co_await h.join();
  };
  shard->block_on(all());
  EXPECT_EQ(ok, kConns);
}

INSTANTIATE_TEST_SUITE_P(Backends, NetTest, ::testing::ValuesIn(test::all_backends()), test::param_name);

}  // namespace
}  // namespace zp
