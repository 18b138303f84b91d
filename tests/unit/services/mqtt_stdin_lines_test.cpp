// LineReader (services/mqtt/src/stdin_lines.h, `zproto mqtt pub -l`): lines from a pipe read
// on a helper thread, `idle` while the pipe is quiet (the shard keeps running), a last line
// without '\n', the end, and the line bound.
#include "stdin_lines.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "engine_test_util.h"

namespace zp {
namespace {

using namespace std::chrono_literals;
using mqtt::detail::InputLine;
using mqtt::detail::LineReader;

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int p[2];
    if (::pipe(p) == 0) {
      r = p[0];
      w = p[1];
    }
  }
  ~Pipe() {
    if (r >= 0) ::close(r);
    close_write();
  }
  void close_write() {
    if (w >= 0) ::close(w);
    w = -1;
  }
  void put(std::string_view s) { ASSERT_EQ(::write(w, s.data(), s.size()), ssize_t(s.size())); }
};

// next() until `end` (or an error, or `limit` calls); "<idle>" for each idle turn.
Task<std::vector<std::string>> drain(LineReader* in, Pipe* p, std::string later, int limit) {
  std::vector<std::string> got;
  for (int i = 0; i < limit; ++i) {
    auto l = co_await in->next();
    if (!l) {
      got.push_back("<error " + l.error().message() + ">");
      break;
    }
    if (l->kind == InputLine::Kind::end) {
      got.push_back("<end>");
      break;
    }
    if (l->kind == InputLine::Kind::idle) {
      got.push_back("<idle>");
      if (!later.empty()) {  // the first quiet turn: now the rest of the input comes
        p->put(later);
        later.clear();
        p->close_write();
      }
      continue;
    }
    got.push_back(l->text);
  }
  co_return got;
}

class LineReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    shard_ = test::make_shard({BackendKind::epoll, false});
    ASSERT_TRUE(shard_);
  }
  void TearDown() override {
    shard_->request_stop(0);
    shard_->run();
  }
  std::unique_ptr<Shard> shard_;
};

TEST_F(LineReaderTest, LinesIdleAndAFinalLineWithoutNewline) {
  Pipe p;
  LineReader in(p.r, 1024, 20);
  p.put("one\n\ntw");
  const auto got = shard_->block_on(drain(&in, &p, "o\nlast", 100));
  EXPECT_EQ(got, (std::vector<std::string>{"one", "", "<idle>", "two", "last", "<end>"}));
}

TEST_F(LineReaderTest, AQuietPipeIsIdleNotBlocking) {
  Pipe p;
  LineReader in(p.r, 1024, 20);
  const auto t0 = std::chrono::steady_clock::now();
  auto l = shard_->block_on(in.next());
  ASSERT_TRUE(l);
  EXPECT_EQ(l->kind, InputLine::Kind::idle);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  p.close_write();
  auto e = shard_->block_on(in.next());
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, InputLine::Kind::end);
}

TEST_F(LineReaderTest, ALineOverTheBoundIsAnError) {
  Pipe p;
  LineReader in(p.r, 8, 20);
  p.put("0123456789abcdef");
  auto l = shard_->block_on(in.next());
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error(), std::errc::message_size);
}

}  // namespace
}  // namespace zp
