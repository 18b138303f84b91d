// Files for static serving and logs: statx, reads through the backend (READ_FIXED into a
// registered buffer on io_uring), zero-copy fixed-buffer sends, sendfile, append + sync
// (fdatasync) and the fault layer's EIO on sync.
#include "zp/engine/file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine_test_util.h"
#include "zp/engine/fault.h"
#include "zp/engine/net.h"

namespace zp {
namespace {

class FileTest : public ::testing::TestWithParam<test::BackendParam> {
 protected:
  void SetUp() override {
    path_ = "/tmp/zp_file_test_" + std::to_string(getpid()) + ".bin";
    content_.resize(300000);
    for (size_t i = 0; i < content_.size(); ++i) content_[i] = char('A' + (i * 7) % 26);
    std::ofstream(path_, std::ios::binary) << content_;
  }
  void TearDown() override { ::unlink(path_.c_str()); }
  std::string path_;
  std::string content_;
};

// Receives exactly n bytes from s into a string.
Task<std::string> read_n(Stream& s, size_t n) {
  std::string got;
  while (got.size() < n) {
    auto b = co_await s.recv();
    if (!b || b->eof()) break;
    got += b->text();
  }
  co_return got;
}

TEST_P(FileTest, StatAndMissingFile) {
  auto f = File::open(path_);
  ASSERT_TRUE(f);
  auto st = f->stat();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->size, content_.size());
  EXPECT_TRUE(st->regular);
  EXPECT_GT(st->mtime_sec, 0);
  auto missing = File::open(path_ + ".missing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), std::errc::no_such_file_or_directory);
}

TEST_P(FileTest, ReadIntoFixedBufferAndSendZeroCopy) {
  auto shard = test::make_shard(GetParam());
  auto l = Listener::bind(*shard, *SocketAddr::parse("127.0.0.1:0"));
  ASSERT_TRUE(l);
  std::string received;
  auto receiver = [&]() -> Task<void> {
    auto s = co_await l->accept();
    if (s) received = co_await read_n(*s, content_.size());
  };
  auto rh = shard->spawn(receiver());
  auto sender = [&]() -> Task<Result<void>> {
    auto f = File::open(path_);
    if (!f) co_return f.error();
    auto s = co_await Stream::connect(l->local_addr());
    if (!s) co_return s.error();
    auto buf = FixedBuf::acquire(shard->backend());
    if (!buf) co_return buf.error();
    uint64_t off = 0;
    while (off < content_.size()) {
      auto n = co_await f->read_at(buf->bytes(), off);
      if (!n) co_return n.error();
      if (*n == 0) break;
      auto w = co_await s->send_fixed(*buf, 0, *n);
      if (!w) co_return w.error();
      off += *n;
    }
    co_await rh->join();
    co_return Result<void>{};
  };
  auto r = shard->block_on(sender());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(received, content_);
}

TEST_P(FileTest, SendfileRange) {
  auto shard = test::make_shard(GetParam());
  auto l = Listener::bind(*shard, *SocketAddr::parse("127.0.0.1:0"));
  ASSERT_TRUE(l);
  const uint64_t off = 1000, len = 250000;
  std::string received;
  auto receiver = [&]() -> Task<void> {
    auto s = co_await l->accept();
    if (s) received = co_await read_n(*s, len);
  };
  auto rh = shard->spawn(receiver());
  auto sender = [&]() -> Task<Result<size_t>> {
    auto f = File::open(path_);
    if (!f) co_return f.error();
    auto s = co_await Stream::connect(l->local_addr());
    if (!s) co_return s.error();
    auto n = co_await f->send_to(*s, off, len);
    co_await rh->join();
    co_return n;
  };
  auto r = shard->block_on(sender());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, len);
  EXPECT_EQ(received, content_.substr(off, len));
}

// A head (here larger than one segment) goes out first, then the file range.
TEST_P(FileTest, SendfileRangeAfterAHead) {
  auto shard = test::make_shard(GetParam());
  auto l = Listener::bind(*shard, *SocketAddr::parse("127.0.0.1:0"));
  ASSERT_TRUE(l);
  const uint64_t off = 7, len = 200000;
  const std::string head = "HEAD:" + std::string(70000, 'h') + ":END";
  std::string received;
  auto receiver = [&]() -> Task<void> {
    auto s = co_await l->accept();
    if (s) received = co_await read_n(*s, head.size() + len);
  };
  auto rh = shard->spawn(receiver());
  auto sender = [&]() -> Task<Result<size_t>> {
    auto f = File::open(path_);
    if (!f) co_return f.error();
    auto s = co_await Stream::connect(l->local_addr());
    if (!s) co_return s.error();
    auto n = co_await f->send_to(*s, off, len, std::as_bytes(std::span(head)));
    co_await rh->join();
    co_return n;
  };
  auto r = shard->block_on(sender());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, len);
  EXPECT_TRUE(received == head + content_.substr(off, len));
}

TEST_P(FileTest, FixedBuffersAreBounded) {
  BackendOptions opts;
  opts.fixed_buffer_count = 2;
  auto shard = test::make_shard(GetParam(), opts);
  auto a = FixedBuf::acquire(shard->backend());
  auto b = FixedBuf::acquire(shard->backend());
  ASSERT_TRUE(a && b);
  auto c = FixedBuf::acquire(shard->backend());
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), std::errc::no_buffer_space);
  a->reset();
  EXPECT_TRUE(FixedBuf::acquire(shard->backend()));
}

// append + sync through the backend: the bytes are in the file after the sync, in order;
// a sync of a closed descriptor is an error value.
TEST_P(FileTest, AppendThenSync) {
  auto shard = test::make_shard(GetParam());
  ASSERT_TRUE(shard);
  const std::string log = path_ + ".log";
  ::unlink(log.c_str());
  auto f = File::open_append(log);
  ASSERT_TRUE(f);
  auto body = [&]() -> Task<Result<void>> {
    for (int i = 0; i < 20; ++i) {
      const std::string rec = "record " + std::to_string(i) + "\n";
      auto w = co_await f->append(std::as_bytes(std::span(rec.data(), rec.size())));
      if (!w) co_return w.error();
      if (*w != rec.size()) co_return fail(EIO);
      auto s = co_await f->sync();
      if (!s) co_return s.error();
    }
    co_return Result<void>{};
  };
  auto r = shard->block_on(body());
  ASSERT_TRUE(r) << r.error().message();
  std::string want;
  for (int i = 0; i < 20; ++i) want += "record " + std::to_string(i) + "\n";
  std::ifstream in(log, std::ios::binary);
  std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got, want);
  File closed = File::adopt(-1);
  auto bad = shard->block_on(closed.sync());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), std::errc::bad_file_descriptor);
  ::unlink(log.c_str());
}

// The fault layer passes a sync through, and turns it into EIO when asked to (every time
// here): the caller sees the error value.
TEST_P(FileTest, FaultLayerInjectsSyncEio) {
  auto inner = GetParam().kind == BackendKind::epoll ? make_epoll_backend({}) : make_uring_backend({});
  ASSERT_TRUE(inner);
  FaultOptions fo = FaultOptions::from_env();
  fo.sync_eio = 1.0;
  auto backend = make_fault_backend(std::move(*inner), fo);
  Shard shard(0, 1, std::move(backend));
  const std::string log = path_ + ".eio";
  auto f = File::open_append(log);
  ASSERT_TRUE(f);
  const std::string rec = "x";
  auto w = shard.block_on(f->append(std::as_bytes(std::span(rec.data(), rec.size()))));
  ASSERT_TRUE(w);
  auto s = shard.block_on(f->sync());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), std::errc::io_error);
  ASSERT_NE(fault_stats(shard.backend()), nullptr);
  EXPECT_EQ(fault_stats(shard.backend())->sync_errors, 1u);
  ::unlink(log.c_str());
}

INSTANTIATE_TEST_SUITE_P(Backends, FileTest, ::testing::ValuesIn(test::all_backends()), test::param_name);

}  // namespace
}  // namespace zp
