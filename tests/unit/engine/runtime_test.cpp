// Runtime: shards on threads, cross-shard messages, graceful stop with open connections.
#include "zp/engine/runtime.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <chrono>
#include <thread>

#include "engine_test_util.h"
#include "zp/engine/file.h"
#include "zp/engine/net.h"
#include "../../common/test_net.h"

namespace zp {
namespace {

using zp::test::free_port;
using zp::test::connect_loopback;
constexpr auto& connect_to = zp::test::connect_loopback;

using namespace std::chrono_literals;

class RuntimeTest : public ::testing::TestWithParam<test::BackendParam> {
 protected:
  RuntimeOptions options(unsigned shards) {
    RuntimeOptions o;
    o.shards = shards;
    o.backend = GetParam().kind;
    if (GetParam().faults) o.faults = FaultOptions::from_env();
    o.handle_signals = false;
    o.drain_timeout = 2000ms;
    return o;
  }
};

TEST_P(RuntimeTest, CrossShardPingPong) {
  constexpr int kRounds = 10000;
  Runtime rt(options(2));
  std::atomic<int> pongs{0};
  std::atomic<int> calls{0};
  auto r = rt.run([&](Shard& s) -> Result<void> {
    if (s.id() != 0) return {};
    auto h = s.spawn([](Shard& s, std::atomic<int>& pongs, std::atomic<int>& calls, Runtime& rt) -> Task<void> {
      for (int i = 0; i < kRounds; ++i) {
        // Ping to shard 1, which answers with its id and the value + 1.
        int v = co_await invoke_on(1, [i, &calls] {
          ++calls;
          return Shard::current()->id() * 1000000 + i + 1;
        });
        if (v == 1000000 + i + 1) ++pongs;
      }
      // Fire-and-forget in the other direction too, with backpressure handled by retry.
      std::atomic<int>* p = &pongs;
      int sent = 0;
      while (sent < 100) {
        if (s.submit_to(1, [p] { ++*p; })) ++sent;
        else co_await s.yield();
      }
      (void)co_await sleep(50ms);
      rt.stop();
    }(s, pongs, calls, rt));
    return h ? Result<void>{} : Result<void>(h.error());
  });
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(calls.load(), kRounds);
  EXPECT_EQ(pongs.load(), kRounds + 100);
}



Task<void> echo_until_eof(Stream s, std::atomic<int>* ended) {
  for (;;) {
    auto b = co_await s.recv();
    if (!b || b->eof()) break;
    auto w = co_await s.send(b->bytes());
    if (!w) break;
  }
  ++*ended;
}

Task<void> accept_loop(Listener l, std::atomic<int>* ended) {
  Shard* shard = Shard::current();
  for (;;) {
    auto c = co_await l.accept();
    if (!c) break;
    auto t = shard->spawn(echo_until_eof(std::move(*c), ended));
  }
}

TEST_P(RuntimeTest, GracefulStopClosesListenersAndIdleConnections) {
  const uint16_t port = free_port();
  std::atomic<int> ended{0}, echoed{0}, eof_seen{0}, refused{0};
  std::thread client;
  std::chrono::steady_clock::time_point stop_at;
  Runtime* rtp = nullptr;
  auto opts = options(2);
  // Listeners are bound on every shard when after_setup runs: the client starts there,
  // opens idle connections, then asks for a stop.
  opts.after_setup = [&]() -> Result<void> {
    client = std::thread([&] {
      int fds[4];
      for (int& fd : fds) {
        fd = connect_to(port);
        char buf[8];
        if (fd >= 0 && ::send(fd, "hi", 2, 0) == 2 && ::recv(fd, buf, 2, MSG_WAITALL) == 2) ++echoed;
      }
      stop_at = std::chrono::steady_clock::now();
      rtp->stop();
      for (int fd : fds) {
        char buf[8];
        if (fd >= 0 && ::recv(fd, buf, sizeof buf, 0) == 0) ++eof_seen;  // closed by the server
        if (fd >= 0) ::close(fd);
      }
    });
    return {};
  };
  Runtime rt(opts);
  rtp = &rt;
  auto r = rt.run([&](Shard& s) -> Result<void> {
    auto l = Listener::bind(s, *SocketAddr::parse("127.0.0.1:" + std::to_string(port)));
    if (!l) return l.error();
    auto h = s.spawn(accept_loop(std::move(*l), &ended));
    if (!h) return h.error();
    return {};
  });
  auto stopped_after = std::chrono::steady_clock::now() - stop_at;
  client.join();
  if (connect_to(port) == -ECONNREFUSED) ++refused;  // listeners are gone once run() returned
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(echoed.load(), 4);
  EXPECT_EQ(eof_seen.load(), 4);   // idle connections were closed, not left hanging
  EXPECT_EQ(ended.load(), 4);
  EXPECT_EQ(refused.load(), 1);    // listeners are gone
  EXPECT_LT(stopped_after, 1500ms);  // idle ones do not wait for the 2 s drain timeout
}

// sendfile(2) to a peer that has gone raises SIGPIPE in the sending thread; the shard
// threads block it, so the send ends with an error and the process lives on.
TEST_P(RuntimeTest, PeerClosingMidSendfileDoesNotKillTheProcess) {
  const uint16_t port = free_port();
  const std::string path = "/tmp/zp_sigpipe_" + std::to_string(getpid()) + ".bin";
  {
    std::string big(16 << 20, 'x');
    FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(big.data(), 1, big.size(), f), big.size());
    std::fclose(f);
  }
  std::atomic<int> send_error{0};
  std::thread client;
  Runtime* rtp = nullptr;
  auto opts = options(1);
  opts.after_setup = [&]() -> Result<void> {
    client = std::thread([&] {
      int fd = connect_to(port);
      char buf[4096];
      if (fd >= 0) {
        (void)::recv(fd, buf, sizeof buf, MSG_WAITALL);  // some of it, then go away
        linger lg{1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        ::close(fd);
      }
      for (int i = 0; i < 500 && send_error.load() != EPIPE; ++i) std::this_thread::sleep_for(10ms);
      rtp->stop();
    });
    return {};
  };
  Runtime rt(opts);
  rtp = &rt;
  auto r = rt.run([&](Shard& s) -> Result<void> {
    auto l = Listener::bind(s, *SocketAddr::parse("127.0.0.1:" + std::to_string(port)));
    if (!l) return l.error();
    auto h = s.spawn([](Listener l, std::string path, std::atomic<int>* err) -> Task<void> {
      auto c = co_await l.accept();
      if (!c) co_return;
      auto f = File::open(path);
      if (!f) co_return;
      // Keep sending until EPIPE (after the reset shows as ECONNRESET): that is the write
      // that raises SIGPIPE.
      for (int i = 0; i < 64 && *err != EPIPE; ++i) {
        auto n = co_await f->send_to(*c, 0, 16 << 20);
        if (!n) *err = n.error().value();
      }
    }(std::move(*l), path, &send_error));
    if (!h) return h.error();
    return {};
  });
  client.join();
  ::unlink(path.c_str());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(send_error.load(), EPIPE);
}

TEST_P(RuntimeTest, BusyConnectionIsCancelledAtTheDrainDeadline) {
  Runtime* rtp = nullptr;
  auto opts = options(1);
  opts.drain_timeout = 100ms;
  bool cancelled = false;
  Runtime rt(opts);
  rtp = &rt;
  auto start = std::chrono::steady_clock::now();
  auto r = rt.run([&](Shard& s) -> Result<void> {
    // A task busy with a long operation (not idle): it gets the drain time, then is cancelled.
    auto h = s.spawn([](bool* cancelled) -> Task<void> {
      auto r = co_await sleep(60s);
      *cancelled = !r;
    }(&cancelled));
    auto k = s.spawn([](Runtime* rt) -> Task<void> {
      (void)co_await sleep(10ms);
      rt->stop();
    }(rtp));
    return {};
  });
  ASSERT_TRUE(r);
  EXPECT_TRUE(cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);  // not the 60 s sleep (slack for a loaded CI box)
}

TEST_P(RuntimeTest, ReloadReachesEveryShard) {
  Runtime* rtp = nullptr;
  auto opts = options(2);
  std::atomic<int> reloads{0};
  Runtime rt(opts);
  rtp = &rt;
  auto r = rt.run([&](Shard& s) -> Result<void> {
    s.on_reload([&reloads] { ++reloads; });
    if (s.id() == 0) {
      auto k = s.spawn([](Runtime* rt, std::atomic<int>* reloads) -> Task<void> {
        rt->reload();
        for (int i = 0; i < 200 && reloads->load() < 2; ++i) (void)co_await sleep(5ms);
        rt->stop();
      }(rtp, &reloads));
    }
    return {};
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(reloads.load(), 2);
}

TEST_P(RuntimeTest, SetupErrorStopsEverything) {
  Runtime rt(options(2));
  auto r = rt.run([&](Shard& s) -> Result<void> {
    if (s.id() == 1) return fail(EADDRINUSE);
    return {};
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::address_in_use);
}

INSTANTIATE_TEST_SUITE_P(Backends, RuntimeTest, ::testing::ValuesIn(test::all_backends()), test::param_name);

}  // namespace
}  // namespace zp
