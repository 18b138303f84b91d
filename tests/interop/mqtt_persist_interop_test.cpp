// The `zproto serve mqtt --persistence DIR` binary (2 shards, io_uring and epoll) killed with
// SIGKILL right after its last PUBACK: started again on the same directory, it gives a
// persistent session (clean session 0) every message it acknowledged, in order, and keeps
// the retained message; a torn record left at the end of a log (a crash mid-write) is cut
// off with a warning, never a failed start. Clients are the broker tests' blocking client.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "../common/test_files.h"
#include "../common/test_net.h"
#include "../common/test_killed_server.h"
#include "../common/test_process.h"
#include "../unit/services/mqtt_test_client.h"

namespace {

using namespace std::chrono_literals;
using zp::test::slurp;
using zp::test::mqtt::Client;
namespace cm = zp::codec::mqtt;
using cm::PacketType;
namespace fs = std::filesystem;

class MqttPersistInterop : public zp::test::KilledServerTest {
 protected:
  std::vector<std::string> serve_args(std::uint16_t port) const override {
    return {"mqtt", "--listen", "127.0.0.1:" + std::to_string(port), "--shards", "2", "--persistence",
            (dir_ / "store").string()};
  }
  std::unique_ptr<Client> client(std::string_view id, bool clean, bool* present = nullptr) {
    auto c = std::make_unique<Client>(port_);
    EXPECT_TRUE(c->ok());
    auto ack = c->connect(id, clean);
    EXPECT_TRUE(ack && ack->type == PacketType::connack && ack->reason == 0) << id;
    if (present && ack) *present = ack->session_present;
    return c;
  }
};

TEST_P(MqttPersistInterop, KillNineLosesNothingAcknowledged) {
  start();
  {  // the persistent session, subscribed, then offline
    auto s = client("keeper", false);
    auto sub = s->subscribe("k/#", 1);
    ASSERT_TRUE(sub && sub->type == PacketType::suback);
    ASSERT_TRUE(s->send(cm::Disconnect{}));
    EXPECT_TRUE(s->closed_by_server());
  }
  constexpr int kN = 300;
  std::vector<std::string> acked;
  {
    auto pub = client("pub", true);
    ASSERT_TRUE(pub->publish("k/retained", "kept", 1, 1, true));
    auto a = pub->recv();
    ASSERT_TRUE(a && a->type == PacketType::puback);
    acked.push_back("kept");
    // A window of 20 in flight, as a real publisher keeps.
    int sent = 0, done = 0;
    while (done < kN) {
      while (sent < kN && sent - done < 20) {
        ASSERT_TRUE(pub->publish("k/m", "m" + std::to_string(sent), 1, std::uint16_t(sent + 2)));
        ++sent;
      }
      auto ack = pub->recv();
      ASSERT_TRUE(ack) << done;
      ASSERT_EQ(ack->type, PacketType::puback);
      ASSERT_EQ(ack->packet_id, done + 2);
      acked.push_back("m" + std::to_string(done));
      ++done;
    }
  }
  kill9();  // at once: whatever was acknowledged must be on disk

  // A crash mid-write leaves half a record at the end of a log.
  {
    std::ofstream torn(dir_ / "store" / "shard-1.log", std::ios::binary | std::ios::app);
    torn.write("\x00\x00\x01\x00\xde\xad", 6);
  }
  start();
  // The logger writes from its own thread: give the warning a moment to reach the file.
  bool warned = false;
  for (int i = 0; i < 200 && !warned; ++i) {
    warned = slurp(log()).find("torn or corrupt") != std::string::npos;
    if (!warned) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(warned) << slurp(log());
  bool present = false;
  auto back = client("keeper", false, &present);
  EXPECT_TRUE(present);
  std::vector<std::string> got;
  for (std::size_t i = 0; i < acked.size(); ++i) {
    auto m = back->recv();
    ASSERT_TRUE(m) << "after " << got.size() << " of " << acked.size();
    ASSERT_EQ(m->type, PacketType::publish);
    got.push_back(m->payload);
    ASSERT_TRUE(back->ack(PacketType::puback, m->packet_id));
  }
  EXPECT_EQ(got, acked);
  auto reader = client("reader", true);
  ASSERT_TRUE(reader->subscribe("k/retained", 1));
  auto r = reader->recv();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->payload, "kept");
  EXPECT_TRUE(r->retain);
}

INSTANTIATE_TEST_SUITE_P(Backends, MqttPersistInterop, ::testing::Values("io_uring", "epoll"),
                         [](const auto& info) { return info.param; });

}  // namespace
