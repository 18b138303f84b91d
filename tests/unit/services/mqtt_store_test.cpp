// The MQTT broker's per-shard store (services/mqtt/src/store.*): records round-trip through
// the log, group commit reports its waiters after the write, a torn or corrupt tail is cut
// off without losing the records before it, compaction writes a snapshot and restarts the
// log (and a log left behind by a crash mid-compaction is recognised), a failed fdatasync
// fails the waiters — on every backend.
#include "store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "engine_test_util.h"
#include "zp/engine/fault.h"
#include "zp/engine/shard.h"

namespace zp::mqtt::detail {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
void spit(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary | std::ios::trunc) << s; }

std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

MessagePtr message(std::string topic, std::string payload) {
  auto m = std::make_shared<Message>();
  m->topic = std::move(topic);
  const auto b = bytes(payload);
  m->payload.assign(b.begin(), b.end());
  m->qos = 1;
  return m;
}

std::string text(const std::vector<std::byte>& b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

TEST(MqttStoreRecords, Crc32IsZlibs) {
  EXPECT_EQ(crc32(bytes("123456789")), 0xCBF43926u);
  EXPECT_EQ(crc32(bytes("")), 0u);
  // Continuing from a previous CRC is the CRC of the whole.
  EXPECT_EQ(crc32(bytes("6789"), crc32(bytes("12345"))), 0xCBF43926u);
}

TEST(MqttStoreRecords, SnapshotImageRoundTrips) {
  StoreModel m;
  m.retained["a/b"] = StoredRetained{1, {std::byte{'x'}}, {}};
  // A 5.0 retained message keeps its properties (Message Expiry 9 s here).
  m.retained["a/5"] = StoredRetained{0, {std::byte{'y'}}, {std::byte{2}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{9}}};
  StoredSession s;
  s.version = 5;
  s.subscriptions["t/#"] = Subscriber{.qos = 2, .options = 3, .subscription_id = 7};
  s.messages[4] = StoredMessage{message("t/1", "hello"), 2, true, true, 7};
  m.sessions["c1"] = std::move(s);
  const auto image = encode_snapshot(m, 9);
  StoreModel back;
  std::size_t good = 0;
  std::uint64_t epoch = 0;
  bool end = false;
  EXPECT_EQ(replay(image, back, &good, &epoch, &end), 7u);  // epoch, 2 retained, session, sub, msg, end
  EXPECT_EQ(good, image.size());
  EXPECT_TRUE(end);
  EXPECT_EQ(epoch, 9u);
  ASSERT_EQ(back.retained.count("a/b"), 1u);
  EXPECT_EQ(back.retained["a/b"].qos, 1);
  EXPECT_TRUE(back.retained["a/b"].properties.empty());
  ASSERT_EQ(back.retained.count("a/5"), 1u);
  EXPECT_EQ(back.retained["a/5"].properties, m.retained["a/5"].properties);
  ASSERT_EQ(back.sessions.count("c1"), 1u);
  const StoredSession& b = back.sessions["c1"];
  EXPECT_EQ(b.version, 5);
  ASSERT_EQ(b.subscriptions.count("t/#"), 1u);
  EXPECT_EQ(b.subscriptions.at("t/#").qos, 2);
  EXPECT_EQ(b.subscriptions.at("t/#").options, 3);
  EXPECT_EQ(b.subscriptions.at("t/#").subscription_id, 7u);
  ASSERT_EQ(b.messages.count(4), 1u);
  const StoredMessage& sm = b.messages.at(4);
  EXPECT_EQ(sm.msg->topic, "t/1");
  EXPECT_EQ(text(sm.msg->payload), "hello");
  EXPECT_EQ(sm.qos, 2);
  EXPECT_TRUE(sm.retain);
  EXPECT_TRUE(sm.released);
  EXPECT_EQ(sm.subscription_id, 7u);
  // Every cut of the image replays a prefix and never reads past it.
  for (std::size_t cut = 0; cut < image.size(); ++cut) {
    StoreModel part;
    std::size_t g = 0;
    (void)replay(std::span(image).first(cut), part, &g, nullptr);
    EXPECT_LE(g, cut);
  }
}

class MqttStoreTest : public ::testing::TestWithParam<test::BackendParam> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_mqtt_store.XXXXXX";
    dir_ = mkdtemp(tmpl);
    opts_.dir = dir_.string();
    shard_ = test::make_shard(GetParam());
    ASSERT_TRUE(shard_);
  }
  void TearDown() override {
    shard_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::unique_ptr<Store> open(LoadReport* rep = nullptr) {
    auto st = Store::open(opts_, 0, rep);
    EXPECT_TRUE(st) << st.error().message();
    return st ? std::move(*st) : nullptr;
  }
  // Runs fn(store) on the shard, then the loop until the store has written everything
  // (bounded in time, not in loop turns: a turn that finds no completion yet is quick, and
  // a loaded machine under ASan takes more of them).
  template <class F>
  void on_shard(Store& st, F fn) {
    auto body = [&]() -> Task<void> {
      fn(st);
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      while (!st.idle() && std::chrono::steady_clock::now() < give_up) (void)co_await sleep(std::chrono::milliseconds(1));
    };
    shard_->block_on(body());
    EXPECT_TRUE(st.idle());
  }
  static constexpr std::uint64_t kLapses = 1'796'000'000'123;
  void fill(Store& st, int messages) {
    on_shard(st, [&](Store& s) {
      s.retained_set("r/1", 1, bytes("kept"), {}, kLapses);
      s.retained_set("r/2", 0, bytes("gone"));
      s.retained_clear("r/2");
      s.session_create("alice", 4, 1);
      (void)s.sub_add("alice", 1, "a/#", Subscriber{.qos = 1});
      (void)s.sub_add("alice", 1, "b/+", Subscriber{.qos = 2});
      (void)s.sub_remove("alice", 1, "b/+");
      for (int i = 1; i <= messages; ++i) {
        StoredMessage sm{message("a/x", "m" + std::to_string(i)), 1};
        if (i == 2) sm.expires_unix_ms = kLapses;  // its Message Expiry on the wall clock
        (void)s.msg_queued("alice", 1, std::uint64_t(i), sm);
      }
      (void)s.session_expiry("alice", 1, 600);
      (void)s.msg_acked("alice", 1, 1);
      s.session_create("bob", 5, 1);
      (void)s.session_end("bob", 1);
    });
  }
  void expect_filled(const StoreModel& m, int messages) {
    ASSERT_EQ(m.retained.size(), 1u);
    EXPECT_EQ(text(m.retained.at("r/1").payload), "kept");
    EXPECT_EQ(m.retained.at("r/1").expires_unix_ms, kLapses);
    ASSERT_EQ(m.sessions.size(), 1u);
    const StoredSession& a = m.sessions.at("alice");
    EXPECT_EQ(a.subscriptions.size(), 1u);
    EXPECT_EQ(a.subscriptions.count("a/#"), 1u);
    EXPECT_EQ(a.expiry_s, 600u);
    ASSERT_EQ(a.messages.size(), std::size_t(messages - 1));
    std::uint64_t want = 2;
    for (const auto& [seq, sm] : a.messages) {
      EXPECT_EQ(seq, want);
      EXPECT_EQ(text(sm.msg->payload), "m" + std::to_string(want));
      EXPECT_EQ(sm.expires_unix_ms, want == 2 ? kLapses : 0u);
      ++want;
    }
  }
  fs::path log_path() const { return dir_ / "shard-0.log"; }

  fs::path dir_;
  PersistenceOptions opts_;
  std::unique_ptr<Shard> shard_;
};

TEST_P(MqttStoreTest, RecordsRoundTripThroughTheLog) {
  {
    auto st = open();
    ASSERT_TRUE(st);
    fill(*st, 20);
    EXPECT_GE(st->batches(), 1u);
    EXPECT_EQ(st->log_bytes(), fs::file_size(log_path()));
  }
  LoadReport rep;
  auto again = open(&rep);
  ASSERT_TRUE(again);
  EXPECT_TRUE(rep.warning.empty()) << rep.warning;
  EXPECT_EQ(rep.truncated_bytes, 0u);
  EXPECT_GT(rep.log_records, 20u);
  expect_filled(again->model(), 20);
}

TEST_P(MqttStoreTest, WaitersHearAfterTheirBatchIsWritten) {
  auto st = open();
  ASSERT_TRUE(st);
  std::vector<std::uint64_t> heard;
  std::uint64_t size_when_heard = 0;
  st->on_durable = [&](std::span<const DurableWaiter> ws, bool ok) {
    EXPECT_TRUE(ok);
    for (const auto& w : ws) heard.push_back(w.token);
    size_when_heard = fs::file_size(log_path());
  };
  const auto before = fs::file_size(log_path());
  on_shard(*st, [](Store& s) {
    s.retained_set("x", 1, bytes("1"));
    s.wait(DurableWaiter{0, 11});
    s.retained_set("y", 1, bytes("2"));
    s.wait(DurableWaiter{0, 12});
  });
  EXPECT_EQ(heard, (std::vector<std::uint64_t>{11, 12}));
  EXPECT_GT(size_when_heard, before);
  EXPECT_EQ(st->batches(), 1u);  // one loop turn: one write, one sync
}

TEST_P(MqttStoreTest, TornTailIsCutOffAndEarlierRecordsStay) {
  {
    auto st = open();
    fill(*st, 5);
  }
  const std::string whole = slurp(log_path());
  // Half of one more record (a crash mid-write): its frame says more bytes than there are.
  std::string torn = whole;
  torn += std::string("\x00\x00\x00\x40\x12\x34", 6);
  torn += "abc";
  spit(log_path(), torn);
  LoadReport rep;
  auto st = open(&rep);
  ASSERT_TRUE(st);
  EXPECT_EQ(rep.truncated_bytes, 9u);
  EXPECT_NE(rep.warning.find("torn or corrupt"), std::string::npos) << rep.warning;
  expect_filled(st->model(), 5);
  EXPECT_EQ(slurp(log_path()), whole);  // the tail is gone from the file too
  // A frame header cut short is torn as well.
  spit(log_path(), whole + std::string("\x00\x00", 2));
  st.reset();
  st = open(&rep);
  EXPECT_EQ(rep.truncated_bytes, 2u);
  expect_filled(st->model(), 5);
}

TEST_P(MqttStoreTest, CorruptCrcDropsThatRecordAndWhatFollows) {
  {
    auto st = open();
    fill(*st, 5);
    on_shard(*st, [](Store& s) { (void)s.msg_queued("alice", 1, 6, StoredMessage{message("a/x", "LAST"), 1}); });
  }
  std::string data = slurp(log_path());
  const auto at = data.rfind("LAST");
  ASSERT_NE(at, std::string::npos);
  data[at] = 'l';  // the CRC no longer matches
  spit(log_path(), data);
  LoadReport rep;
  auto st = open(&rep);
  ASSERT_TRUE(st);
  EXPECT_GT(rep.truncated_bytes, 0u);
  expect_filled(st->model(), 5);  // message 6 is gone, 2..5 are there
  // Writing goes on after the cut.
  on_shard(*st, [](Store& s) { (void)s.msg_queued("alice", 1, 6, StoredMessage{message("a/x", "m6"), 1}); });
  st.reset();
  st = open(&rep);
  EXPECT_TRUE(rep.warning.empty()) << rep.warning;
  expect_filled(st->model(), 6);
}

TEST_P(MqttStoreTest, CompactionWritesASnapshotAndRestartsTheLog) {
  opts_.max_log_bytes = 4096;
  std::string old_log;
  {
    auto st = open();
    fill(*st, 3);
    old_log = slurp(log_path());
    // Batches of messages and acks, one per loop turn, until the log has been compacted.
    for (int round = 0; round < 40; ++round) {
      on_shard(*st, [round](Store& s) {
        for (int i = 0; i < 10; ++i) {
          const std::uint64_t seq = 1000 + std::uint64_t(round) * 10 + std::uint64_t(i);
          (void)s.msg_queued("alice", 1, seq, StoredMessage{message("a/x", std::string(40, 'p')), 1});
          (void)s.msg_acked("alice", 1, seq);
        }
      });
    }
    EXPECT_GE(st->snapshots(), 1u);
    EXPECT_LE(fs::file_size(log_path()), 4096u);
    EXPECT_TRUE(fs::exists(dir_ / "shard-0.snap"));
    EXPECT_FALSE(fs::exists(dir_ / "shard-0.snap.tmp"));
  }
  LoadReport rep;
  auto st = open(&rep);
  ASSERT_TRUE(st);
  EXPECT_TRUE(rep.warning.empty()) << rep.warning;
  EXPECT_GT(rep.snapshot_records, 0u);
  expect_filled(st->model(), 3);
  st.reset();
  // A crash after the snapshot's rename and before the log's truncation leaves the old log
  // (an older epoch) behind: it is recognised and not replayed over the snapshot.
  spit(log_path(), old_log);
  st = open(&rep);
  ASSERT_TRUE(st);
  EXPECT_NE(rep.warning.find("older than the snapshot"), std::string::npos) << rep.warning;
  expect_filled(st->model(), 3);
}

TEST_P(MqttStoreTest, DamagedSnapshotIsAnError) {
  opts_.max_log_bytes = 4096;
  {
    auto st = open();
    fill(*st, 3);
    for (int round = 0; round < 20; ++round) {
      on_shard(*st, [](Store& s) {
        for (int i = 0; i < 10; ++i) s.retained_set("r/big", 1, bytes(std::string(100, 'b')));
      });
    }
    ASSERT_GE(st->snapshots(), 1u);
  }
  std::string snap = slurp(dir_ / "shard-0.snap");
  snap.resize(snap.size() - 3);
  spit(dir_ / "shard-0.snap", snap);
  LoadReport rep;
  auto st = Store::open(opts_, 0, &rep);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error(), std::errc::invalid_argument);
  EXPECT_NE(rep.warning.find("damaged"), std::string::npos) << rep.warning;
}

TEST_P(MqttStoreTest, FailedSyncFailsTheWaitersAndTheStore) {
  auto inner = GetParam().kind == BackendKind::epoll ? make_epoll_backend({}) : make_uring_backend({});
  ASSERT_TRUE(inner);
  FaultOptions fo = FaultOptions::from_env();
  fo.sync_eio = 1.0;
  shard_.reset();
  shard_ = std::make_unique<Shard>(0, 1, make_fault_backend(std::move(*inner), fo));
  auto st = open();
  ASSERT_TRUE(st);
  std::vector<bool> results;
  st->on_durable = [&](std::span<const DurableWaiter> ws, bool ok) {
    for (std::size_t i = 0; i < ws.size(); ++i) results.push_back(ok);
  };
  on_shard(*st, [](Store& s) {
    s.retained_set("x", 1, bytes("1"));
    s.wait(DurableWaiter{0, 1});
  });
  EXPECT_EQ(results, std::vector<bool>{false});
  EXPECT_TRUE(st->failed());
  // Later batches are not acknowledged either.
  on_shard(*st, [](Store& s) {
    s.retained_set("y", 1, bytes("2"));
    s.wait(DurableWaiter{0, 2});
  });
  EXPECT_EQ(results, (std::vector<bool>{false, false}));
}

TEST_P(MqttStoreTest, RecordsOfAnOlderIncarnationAreDropped) {
  auto st = open();
  on_shard(*st, [](Store& s) {
    s.session_create("c", 4, 5);
    EXPECT_FALSE(s.sub_add("c", 4, "old", Subscriber{}));  // from the life before the clean start
    EXPECT_TRUE(s.sub_add("c", 6, "new", Subscriber{}));
    EXPECT_FALSE(s.msg_acked("c", 6, 99));                 // unknown message: nothing written
    EXPECT_FALSE(s.sub_add("nobody", 1, "x", Subscriber{}));
  });
  ASSERT_EQ(st->model().sessions.at("c").subscriptions.size(), 1u);
  EXPECT_EQ(st->model().sessions.at("c").subscriptions.count("new"), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, MqttStoreTest, ::testing::ValuesIn(test::all_backends()), test::param_name);

}  // namespace
}  // namespace zp::mqtt::detail
