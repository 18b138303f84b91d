// Zone transfers and NOTIFY through the server on loopback, on every backend (also behind
// the fault layer): REFUSED without the ACL, a full AXFR of a zone over 64 KiB checked record
// by record against the zone file with our parser, SERVFAIL when no transfer slot is free,
// IXFR after a reload that bumped the serial (TCP: the incremental form; UDP: the SOA alone),
// and NOTIFY to a UDP "secondary" in the test, retried until it answers.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "../../common/test_files.h"
#include "../../common/test_net.h"
#include "dns_test_util.h"
#include "engine_test_util.h"
#include "zp/codec/dns/rdata.h"
#include "zp/dns/server.h"

namespace zp::dns {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using codec::dns::Record;
using test::BackendParam;
namespace fs = std::filesystem;

std::string big_zone(std::uint32_t serial, const std::string& extra = {}, int records = 3000) {
  std::string text = "$ORIGIN big.test.\n$TTL 60\n@ SOA ns hm " + std::to_string(serial) + " 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n";
  for (int i = 0; i < records; ++i) text += "h" + std::to_string(i) + " TXT \"" + std::string(40, char('a' + i % 26)) + "\"\n";
  return text + extra;
}

// A blocking TCP client on 127.0.0.1 with a receive timeout.
struct Tcp {
  int fd = -1;
  std::vector<std::byte> buf;
  explicit Tcp(uint16_t port, int rcvbuf = 0) {
    if (rcvbuf == 0) {
      fd = test::connect_loopback(port);
      return;
    }
    // A small receive buffer (set before connect, so the window stays small).
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ~Tcp() {
    if (fd >= 0) ::close(fd);
  }
  bool send(std::span<const std::byte> q) {
    std::vector<std::byte> f(q.size() + 2);
    f[0] = std::byte(q.size() >> 8);
    f[1] = std::byte(q.size() & 0xFF);
    std::copy(q.begin(), q.end(), f.begin() + 2);
    return ::send(fd, f.data(), f.size(), MSG_NOSIGNAL) == ssize_t(f.size());
  }
  std::vector<std::byte> recv() {
    for (;;) {
      if (buf.size() >= 2) {
        size_t len = (size_t(buf[0]) << 8) | size_t(buf[1]);
        if (buf.size() >= 2 + len) {
          std::vector<std::byte> m(buf.begin() + 2, buf.begin() + 2 + std::ptrdiff_t(len));
          buf.erase(buf.begin(), buf.begin() + 2 + std::ptrdiff_t(len));
          return m;
        }
      }
      std::byte tmp[65536];
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return {};
      buf.insert(buf.end(), tmp, tmp + n);
    }
  }
};

std::string text_of(const Record& r) {
  std::string t;
  codec::dns::record_to_text(r, t);
  for (auto& c : t) c = c == '\t' ? ' ' : c;
  return t;
}

// A transfer read off the wire: every message until the answer's closing SOA (the second
// SOA, or the only one of a one-SOA reply); rcode of the first message.
struct Received {
  int rcode = -1;
  std::size_t messages = 0;
  std::vector<std::string> records;
  bool complete = false;
};
Received read_transfer(Tcp& t, std::uint16_t id) {
  Received r;
  std::size_t soas = 0;
  std::vector<Record> rrs(16384);
  for (int i = 0; i < 1000; ++i) {
    auto m = t.recv();
    if (m.empty()) return r;
    codec::dns::Message msg;
    if (!codec::dns::parse_message(m, msg, rrs).ok()) return r;
    EXPECT_EQ(msg.header.id, id);
    ++r.messages;
    if (r.rcode < 0) r.rcode = msg.rcode();
    if (msg.rcode() != 0) {
      r.complete = true;
      return r;
    }
    for (const auto& rr : msg.answer) {
      r.records.push_back(text_of(rr));
      if (rr.type == codec::dns::rrtype::soa) ++soas;
    }
    // The first record is the new SOA; a lone SOA (IXFR, current) ends the reply too.
    if (soas >= 2 || (r.records.size() == 1 && soas == 1 && r.messages == 1 && msg.answer.size() == 1)) {
      r.complete = true;
      return r;
    }
  }
  return r;
}

std::vector<std::byte> xfr_query(std::string_view zone, std::uint16_t type, std::uint16_t id,
                                 std::optional<std::uint32_t> client_serial = std::nullopt) {
  auto wire = test::wire_name(zone);
  auto n = codec::dns::Name::from_wire(wire);
  std::vector<std::byte> buf(1024);
  codec::dns::MessageWriter w(buf);
  codec::dns::Header h;
  h.id = id;
  (void)w.add_question(*n, type, codec::dns::rrclass::in);
  std::vector<std::byte> rdata(512);
  if (client_serial) {
    auto len = codec::dns::rdata_from_text(codec::dns::rrtype::soa, "ns.big.test. hm.big.test. " +
                                                                         std::to_string(*client_serial) + " 2 3 4 5",
                                           {}, rdata);
    EXPECT_TRUE(len);
    (void)w.add_record(codec::dns::Section::authority,
                       Record::standalone(*n, codec::dns::rrtype::soa, 1, 60, std::span(rdata.data(), *len)));
  }
  w.set_header(h);
  auto out = w.finish();
  buf.resize(out ? out->size() : 0);
  return buf;
}

class DnsXfrServerTest : public ::testing::TestWithParam<BackendParam> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_dns_xfr.XXXXXX";
    dir_ = mkdtemp(tmpl);
    big_file_ = dir_ / "big.test.zone";
    test::write_file(big_file_, big_zone(1));
    test::write_file(dir_ / "closed.test.zone", "@ 60 SOA ns hm 1 2 3 4 5\n@ 60 NS ns\nns 60 A 192.0.2.1\n");
  }
  void TearDown() override {
    stop();
    if (notify_fd_ >= 0) ::close(notify_fd_);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void start() {
    ZoneConfig big;
    big.name = "big.test.";
    big.file = big_file_.string();
    big.allow_transfer = {"127.0.0.1", "::1/128"};
    if (notify_port_) big.notify = {"127.0.0.1:" + std::to_string(notify_port_)};
    ZoneConfig closed;
    closed.name = "closed.test.";
    closed.file = (dir_ / "closed.test.zone").string();
    store_ = std::make_shared<ZoneStore>(std::vector<ZoneConfig>{big, closed});
    ASSERT_EQ(store_->load(), "");
    opts_.store = store_;
    opts_.notify.timeout_ms = 150;
    opts_.notify.max_attempts = 4;
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = test::free_port();
      opts_.listen = {"127.0.0.1:" + std::to_string(port_)};
      std::promise<bool> started;
      auto f = started.get_future();
      thread_ = std::thread([this, &started] {
        auto shard = test::make_shard(GetParam());
        if (!shard || !dns::start(*shard, opts_)) {
          started.set_value(false);
          return;
        }
        shard_.store(shard.get());
        started.set_value(true);
        shard->run();
        while (!may_destroy_.load()) std::this_thread::sleep_for(1ms);
        shard_.store(nullptr);
      });
      if (f.get()) return;
      thread_.join();
    }
    FAIL() << "the server did not start";
  }
  void stop() {
    if (!thread_.joinable()) return;
    while (!shard_.load()) std::this_thread::sleep_for(1ms);
    shard_.load()->request_stop(0);
    may_destroy_.store(true);
    thread_.join();
  }
  // A UDP socket on 127.0.0.1 standing in for a secondary.
  void open_notify_socket() {
    notify_fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ASSERT_EQ(::bind(notify_fd_, reinterpret_cast<sockaddr*>(&a), len), 0);
    getsockname(notify_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    notify_port_ = ntohs(a.sin_port);
    timeval tv{3, 0};
    setsockopt(notify_fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  // Waits (bounded) until the server answers big.test SOA with `serial`.
  bool wait_serial(std::uint32_t serial) {
    for (int i = 0; i < 300; ++i) {
      Tcp t(port_);
      if (t.send(test::make_query("big.test.", codec::dns::rrtype::soa))) {
        auto a = test::parse_answer(t.recv());
        if (a.ok && a.answer.size() == 1 && a.answer[0].find(" " + std::to_string(serial) + " 2 3 4 5") != std::string::npos) {
          return true;
        }
      }
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  fs::path dir_, big_file_;
  std::shared_ptr<ZoneStore> store_;
  ServerOptions opts_;
  uint16_t port_ = 0, notify_port_ = 0;
  int notify_fd_ = -1;
  std::thread thread_;
  std::atomic<Shard*> shard_{nullptr};
  std::atomic<bool> may_destroy_{false};
};

TEST_P(DnsXfrServerTest, RefusedWithoutTheAcl) {
  start();
  Tcp t(port_);
  ASSERT_GE(t.fd, 0);
  ASSERT_TRUE(t.send(xfr_query("closed.test.", kTypeAxfr, 7)));
  Received r = read_transfer(t, 7);
  EXPECT_EQ(r.rcode, 5);
  // The connection stays usable: an ordinary query next.
  ASSERT_TRUE(t.send(test::make_query("ns.closed.test.", codec::dns::rrtype::a)));
  EXPECT_THAT(test::parse_answer(t.recv()).answer, ElementsAre("ns.closed.test. 60 IN A 192.0.2.1"));
}

TEST_P(DnsXfrServerTest, FullAxfrEqualsTheZoneFile) {
  start();
  Tcp t(port_);
  ASSERT_GE(t.fd, 0);
  ASSERT_TRUE(t.send(xfr_query("big.test.", kTypeAxfr, 8)));
  Received r = read_transfer(t, 8);
  ASSERT_TRUE(r.complete);
  EXPECT_EQ(r.rcode, 0);
  EXPECT_GE(r.messages, 3u);  // ~190 KB in messages of at most 64 KiB
  auto z = load_zone("big.test.", big_file_.string());
  ASSERT_TRUE(z) << z.error;
  ASSERT_EQ(r.records.size(), z.zone->record_count() + 1);
  const std::string soa = text_of(z.zone->records(z.zone->soa())[0]);
  EXPECT_EQ(r.records.front(), soa);
  EXPECT_EQ(r.records.back(), soa);
  std::vector<std::string> got(r.records.begin() + 1, r.records.end() - 1), want;
  for (const auto& rr : z.zone->all_records()) {
    if (rr.type != codec::dns::rrtype::soa) want.push_back(text_of(rr));
  }
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
  // A pipelined query after the transfer is answered on the same connection.
  ASSERT_TRUE(t.send(test::make_query("h7.big.test.", codec::dns::rrtype::txt)));
  EXPECT_EQ(test::parse_answer(t.recv()).answer.size(), 1u);
}

TEST_P(DnsXfrServerTest, NoFreeTransferSlotIsServfail) {
  opts_.xfr_max_concurrent = 0;
  start();
  Tcp t(port_);
  ASSERT_TRUE(t.send(xfr_query("big.test.", kTypeAxfr, 9)));
  EXPECT_EQ(read_transfer(t, 9).rcode, 2);
}

TEST_P(DnsXfrServerTest, IxfrAfterAReloadWithABumpedSerial) {
  open_notify_socket();
  start();
  test::write_file(big_file_, big_zone(2, "added A 192.0.2.99\n"));
  shard_.load()->request_reload();
  ASSERT_TRUE(wait_serial(2));
  // TCP, client at 1: the incremental form.
  Tcp t(port_);
  ASSERT_TRUE(t.send(xfr_query("big.test.", kTypeIxfr, 10, 1)));
  Received r = read_transfer(t, 10);
  ASSERT_TRUE(r.complete);
  ASSERT_EQ(r.records.size(), 5u);
  EXPECT_THAT(r.records[0], HasSubstr(" 2 2 3 4 5"));
  EXPECT_THAT(r.records[1], HasSubstr(" 1 2 3 4 5"));
  EXPECT_THAT(r.records[2], HasSubstr(" 2 2 3 4 5"));
  EXPECT_EQ(r.records[3], "added.big.test. 60 IN A 192.0.2.99");
  EXPECT_THAT(r.records[4], HasSubstr(" 2 2 3 4 5"));
  // TCP, client current: the SOA alone.
  ASSERT_TRUE(t.send(xfr_query("big.test.", kTypeIxfr, 11, 2)));
  Received cur = read_transfer(t, 11);
  ASSERT_EQ(cur.records.size(), 1u);
  EXPECT_THAT(cur.records[0], HasSubstr(" 2 2 3 4 5"));
  // UDP, client at 1: the SOA alone ("use TCP"), no TC.
  int u = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port_);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(u, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  timeval tv{3, 0};
  setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto q = xfr_query("big.test.", kTypeIxfr, 12, 1);
  ASSERT_EQ(::send(u, q.data(), q.size(), 0), ssize_t(q.size()));
  std::vector<std::byte> b(4096);
  ssize_t n = -1;
  for (int i = 0; i < 5 && n <= 0; ++i) {  // a datagram may be dropped by the fault layer
    n = ::recv(u, b.data(), b.size(), 0);
    if (n <= 0) {
      ASSERT_EQ(::send(u, q.data(), q.size(), 0), ssize_t(q.size()));
    }
  }
  ::close(u);
  ASSERT_GT(n, 0);
  auto ans = test::parse_answer(std::span<const std::byte>(b.data(), size_t(n)));
  ASSERT_TRUE(ans.ok);
  EXPECT_EQ(ans.rcode, 0);
  EXPECT_FALSE(ans.tc());
  ASSERT_EQ(ans.answer.size(), 1u);
  EXPECT_THAT(ans.answer[0], HasSubstr(" 2 2 3 4 5"));
}

TEST_P(DnsXfrServerTest, NotifyAfterReloadIsRetriedUntilAcknowledged) {
  open_notify_socket();
  start();
  test::write_file(big_file_, big_zone(5));
  shard_.load()->request_reload();
  // The first NOTIFY goes unanswered; a retry must come (new ID), and we answer that one.
  std::vector<std::byte> b(4096);
  sockaddr_in from{};
  socklen_t fl = sizeof from;
  ssize_t n = ::recvfrom(notify_fd_, b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
  ASSERT_GT(n, 0) << "no NOTIFY within 3 s";
  std::vector<Record> rrs(16);
  codec::dns::Message m;
  ASSERT_TRUE(codec::dns::parse_message(std::span<const std::byte>(b.data(), size_t(n)), m, rrs).ok());
  EXPECT_EQ(m.header.opcode(), 4);
  EXPECT_TRUE(m.header.aa());
  ASSERT_EQ(m.answer.size(), 1u);
  EXPECT_EQ(codec::dns::soa_view(m.answer[0])->serial, 5u);
  const std::uint16_t first_id = m.header.id;
  fl = sizeof from;
  n = ::recvfrom(notify_fd_, b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
  ASSERT_GT(n, 0) << "NOTIFY was not retried";
  ASSERT_TRUE(codec::dns::parse_message(std::span<const std::byte>(b.data(), size_t(n)), m, rrs).ok());
  EXPECT_EQ(m.header.opcode(), 4);
  (void)first_id;
  b[2] |= std::byte{0x80};  // the acknowledgement: the same message with QR
  ASSERT_EQ(::sendto(notify_fd_, b.data(), size_t(n), 0, reinterpret_cast<sockaddr*>(&from), fl), n);
  // Acknowledged: no more NOTIFYs (the next retry would come within 4 × 150 ms).
  timeval tv{1, 500000};
  setsockopt(notify_fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  n = ::recv(notify_fd_, b.data(), b.size(), 0);
  EXPECT_LE(n, 0) << "NOTIFY sent again after the acknowledgement";
}

// A client that stops reading: once the socket buffers are full, the server's send of one
// message waits; after xfr_send_timeout_ms it gives up and closes the connection.
TEST_P(DnsXfrServerTest, StalledClientIsDroppedAfterTheSendTimeout) {
  test::write_file(big_file_, big_zone(1, {}, 60000));  // ~4 MB: more than the socket buffers hold
  opts_.xfr_send_timeout_ms = 300;
  start();
  Tcp t(port_, 4096);
  ASSERT_GE(t.fd, 0);
  ASSERT_TRUE(t.send(xfr_query("big.test.", kTypeAxfr, 13)));
  std::this_thread::sleep_for(1500ms);
  Received r = read_transfer(t, 13);
  EXPECT_FALSE(r.complete);  // the stream ended before the closing SOA
  EXPECT_GT(r.records.size(), 0u);
  EXPECT_LT(r.records.size(), 60004u);
}

// A client that reads slowly, pausing longer than the idle timeout while the server waits
// in a send: the transfer goes on (the idle timer is stretched past one send) and completes.
TEST_P(DnsXfrServerTest, SlowButProgressingTransferCompletes) {
  test::write_file(big_file_, big_zone(1, {}, 60000));
  opts_.tcp_idle_timeout_ms = 200;
  opts_.xfr_send_timeout_ms = 3000;
  start();
  Tcp t(port_, 4096);
  ASSERT_GE(t.fd, 0);
  ASSERT_TRUE(t.send(xfr_query("big.test.", kTypeAxfr, 14)));
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(500ms);  // > the idle timeout, < the send timeout
    std::byte tmp[4096];
    const ssize_t n = ::recv(t.fd, tmp, sizeof tmp, 0);
    ASSERT_GT(n, 0);
    t.buf.insert(t.buf.end(), tmp, tmp + n);  // kept for the framing in read_transfer
  }
  Received r = read_transfer(t, 14);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.records.size(), 60004u);
}

INSTANTIATE_TEST_SUITE_P(Backends, DnsXfrServerTest, ::testing::ValuesIn(test::all_backends()), test::param_name);

}  // namespace
}  // namespace zp::dns
