// The `zproto serve smtp` binary (2 shards, io_uring and epoll) killed with SIGKILL at random
// points while four clients send mail (some mid-DATA, some right after a 250), then started
// again on the same Maildir, round after round (one more session each round is always
// mid-DATA at the kill): every message answered 250 is in new/ and
// complete, and nothing partial is ever in new/ (tmp/ leftovers are allowed: a Maildir
// reader ignores tmp/). Each message names itself (X-Id) and its body is a function of the
// name, so a file in new/ is checked byte for byte. The seed is printed (ZP_SEED replays).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../common/test_files.h"
#include "../common/test_net.h"
#include "../common/test_killed_server.h"
#include "../common/test_process.h"
#include "../unit/services/smtp_test_client.h"

namespace {

using namespace std::chrono_literals;
using zp::test::slurp;
using zp::test::smtp::body_of;
using zp::test::smtp::Client;
using zp::test::smtp::new_messages;
using zp::test::smtp::read_file;
namespace fs = std::filesystem;

// The message named `id`: headers, then 1..~40 KB of lines that depend on the id.
std::string message_for(const std::string& id) {
  std::string m = "From: <sender@remote.example>\r\nSubject: " + id + "\r\nX-Id: " + id + "\r\n\r\n";
  const std::size_t h = std::hash<std::string>{}(id);
  const std::size_t lines = 10 + h % 600;
  for (std::size_t i = 0; i < lines; ++i) m += id + " line " + std::to_string(i) + " " + std::string(h % 50, 'x') + "\r\n";
  return m;
}

// The X-Id of a stored message, "" when there is none.
std::string id_of(const std::string& stored) {
  const std::size_t p = stored.find("\r\nX-Id: ");
  if (p == std::string::npos) return {};
  const std::size_t e = stored.find("\r\n", p + 8);
  return e == std::string::npos ? std::string() : stored.substr(p + 8, e - p - 8);
}

class SmtpPersistInterop : public zp::test::KilledServerTest {
 protected:
  std::vector<std::string> serve_args(std::uint16_t port) const override {
    return {"smtp", "--listen", "127.0.0.1:" + std::to_string(port), "--shards", "2", "--domain", "local.test",
            "--hostname", "mx.local.test", "--maildir", maildir().string()};
  }
  fs::path maildir() const { return dir_ / "mail"; }
  // Every file in new/ is a whole message; every id in `acked` has one. Returns the ids found.
  std::set<std::string> check_maildir(const std::set<std::string>& acked) {
    std::set<std::string> found;
    for (const fs::path& p : new_messages(maildir())) {
      const std::string stored = read_file(p);
      const std::string id = id_of(stored);
      EXPECT_FALSE(id.empty()) << p << " has no X-Id: a partial file in new/";
      if (id.empty()) continue;
      EXPECT_EQ(body_of(stored), message_for(id)) << p << " is not the whole message " << id;
      EXPECT_NE(p.filename().string().find(",S=" + std::to_string(stored.size())), std::string::npos) << p;
      EXPECT_TRUE(found.insert(id).second) << id << " delivered twice";
    }
    for (const std::string& id : acked) EXPECT_TRUE(found.count(id)) << id << " was answered 250 and is lost";
    return found;
  }
};

// One sender: sessions of 1..4 messages until the server goes away. Ids answered 250 go into
// `acked`; `stop` ends it between messages.
void sender(std::uint16_t port, int round, int who, unsigned seed, std::atomic<bool>& stop, std::mutex& mu,
            std::set<std::string>& acked, std::atomic<int>& mid_data) {
  std::mt19937 rng(seed);
  int seq = 0;
  while (!stop.load()) {
    Client c(port);
    if (!c.ok() || c.code() != 220 || c.cmd("EHLO sender.example") != 250) return;
    const int per_session = 1 + int(rng() % 4);
    for (int i = 0; i < per_session && !stop.load(); ++i) {
      const std::string id = "r" + std::to_string(round) + "-c" + std::to_string(who) + "-m" + std::to_string(seq++);
      if (c.cmd("MAIL FROM:<sender@remote.example>") != 250 || c.cmd("RCPT TO:<user@local.test>") != 250 ||
          c.cmd("DATA") != 354)
        return;
      // Dot-stuffing is not needed: no line starts with '.'. Sent in pieces so a kill
      // often lands mid-DATA.
      const std::string m = message_for(id) + ".\r\n";
      const std::size_t half = m.size() / 2;
      if (!c.send(std::string_view(m).substr(0, half))) return;
      mid_data.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
      mid_data.fetch_sub(1);
      if (!c.send(std::string_view(m).substr(half))) return;
      if (c.code() != 250) return;
      std::lock_guard lock(mu);
      acked.insert(id);
    }
    if (rng() % 2 == 0) c.cmd("QUIT");
  }
}

// A session that always is mid-DATA at the kill: half of message `id` sent, then it waits.
// True when the server took MAIL, RCPT, DATA and the half.
bool hold_mid_data(std::uint16_t port, const std::string& id, std::atomic<bool>& holding, std::atomic<bool>& stop) {
  Client c(port);
  if (!c.ok() || c.code() != 220 || c.cmd("EHLO holder.example") != 250 ||
      c.cmd("MAIL FROM:<sender@remote.example>") != 250 || c.cmd("RCPT TO:<user@local.test>") != 250 ||
      c.cmd("DATA") != 354)
    return false;
  const std::string m = message_for(id);
  if (!c.send(std::string_view(m).substr(0, m.size() / 2))) return false;
  holding.store(true);
  while (!stop.load()) std::this_thread::sleep_for(1ms);
  return true;
}

TEST_P(SmtpPersistInterop, KillNineLosesNothingAnswered250) {
  const char* env = std::getenv("ZP_SEED");
  const unsigned seed = env ? unsigned(std::strtoul(env, nullptr, 10)) : unsigned(std::random_device{}());
  std::printf("ZP_SEED=%u\n", seed);
  std::mt19937 rng(seed);
  std::set<std::string> acked;
  std::set<std::string> found;
  constexpr int kRounds = 8;
  int killed_mid_data = 0;  // kills while a sender was inside DATA (besides the held session)
  for (int round = 0; round < kRounds; ++round) {
    start();
    std::atomic<bool> stop{false};
    std::atomic<int> mid_data{0};
    std::mutex mu;
    std::vector<std::thread> senders;
    for (int who = 0; who < 4; ++who)
      senders.emplace_back(sender, port_, round, who, unsigned(rng()), std::ref(stop), std::ref(mu), std::ref(acked),
                           std::ref(mid_data));
    const std::string held = "r" + std::to_string(round) + "-held";
    std::atomic<bool> holding{false};
    bool held_ok = false;
    std::thread holder([&] { held_ok = hold_mid_data(port_, held, holding, stop); });
    for (int i = 0; i < 5000 && !holding.load(); ++i) std::this_thread::sleep_for(1ms);
    if (round % 2 == 0) {
      // Anywhere: mostly mid-DATA or mid-fsync.
      std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 700));
    } else {
      // Right after a 250: wait for the next acknowledgement, then kill at once.
      std::size_t before;
      {
        std::lock_guard lock(mu);
        before = acked.size();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 200));
      for (int i = 0; i < 5000; ++i) {
        {
          std::lock_guard lock(mu);
          if (acked.size() > before) break;
        }
        std::this_thread::sleep_for(100us);
      }
    }
    if (mid_data.load() > 0) ++killed_mid_data;
    kill9();
    stop.store(true);
    for (auto& t : senders) t.join();
    holder.join();
    EXPECT_TRUE(held_ok) << "the held session did not get as far as DATA";
    found = check_maildir(acked);
    EXPECT_EQ(found.count(held), 0u) << "half a message reached new/";
    if (HasFailure()) {
      ADD_FAILURE() << "round " << round << ", ZP_SEED=" << seed << "\n" << slurp(log());
      return;
    }
  }
  // A last start on what the kills left (tmp/ leftovers included) serves as usual.
  start();
  {
    Client c(port_);
    ASSERT_EQ(c.code(), 220);
    ASSERT_EQ(c.cmd("EHLO sender.example"), 250);
    ASSERT_EQ(c.cmd("MAIL FROM:<sender@remote.example>"), 250);
    ASSERT_EQ(c.cmd("RCPT TO:<user@local.test>"), 250);
    ASSERT_EQ(c.cmd("DATA"), 354);
    c.send(message_for("final") + ".\r\n");
    ASSERT_EQ(c.code(), 250);
    acked.insert("final");
  }
  found = check_maildir(acked);
  std::printf("%zu messages answered 250, %zu in new/, %zu leftovers in tmp/, %d of %d kills mid-DATA\n",
              acked.size(), found.size(),
              std::size_t(std::distance(fs::directory_iterator(maildir() / "tmp"), fs::directory_iterator())),
              killed_mid_data, kRounds);
  EXPECT_GT(acked.size(), std::size_t(kRounds)) << "too few messages to say anything";
}

INSTANTIATE_TEST_SUITE_P(Backends, SmtpPersistInterop, ::testing::Values("io_uring", "epoll"),
                         [](const auto& info) { return info.param; });

}  // namespace
