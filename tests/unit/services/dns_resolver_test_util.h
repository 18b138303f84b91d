// Test helpers for the DNS resolver: DNS messages built by hand (uncompressed names, any
// section), RDATA builders, and FakeDns, a scripted UDP+TCP server on 127.0.0.1 running on
// its own thread with blocking sockets (so it needs no engine and cannot hide engine bugs).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace zp::test::dnsr {

using Bytes = std::vector<std::uint8_t>;

inline void put16(Bytes& b, unsigned v) {
  b.push_back(std::uint8_t(v >> 8));
  b.push_back(std::uint8_t(v));
}
inline void put32(Bytes& b, std::uint32_t v) {
  put16(b, v >> 16);
  put16(b, v & 0xFFFF);
}

// "www.example.test." → wire form (the trailing dot optional; "." is the root).
inline Bytes wire_name(std::string name) {
  Bytes b;
  if (!name.empty() && name.back() == '.') name.pop_back();
  std::size_t i = 0;
  while (i < name.size()) {
    auto dot = name.find('.', i);
    if (dot == std::string::npos) dot = name.size();
    b.push_back(std::uint8_t(dot - i));
    for (std::size_t k = i; k < dot; ++k) b.push_back(std::uint8_t(name[k]));
    i = dot + 1;
  }
  b.push_back(0);
  return b;
}

inline Bytes rd_a(const char* text) {
  Bytes b(4);
  inet_pton(AF_INET, text, b.data());
  return b;
}
inline Bytes rd_aaaa(const char* text) {
  Bytes b(16);
  inet_pton(AF_INET6, text, b.data());
  return b;
}
inline Bytes rd_name(const std::string& n) { return wire_name(n); }
inline Bytes rd_mx(unsigned pref, const std::string& n) {
  Bytes b;
  put16(b, pref);
  auto w = wire_name(n);
  b.insert(b.end(), w.begin(), w.end());
  return b;
}
inline Bytes rd_soa(std::uint32_t minimum) {
  Bytes b = wire_name("ns.example.test.");
  auto r = wire_name("hostmaster.example.test.");
  b.insert(b.end(), r.begin(), r.end());
  for (std::uint32_t v : {1u, 7200u, 3600u, 1209600u, minimum}) put32(b, v);
  return b;
}
inline Bytes rd_txt(const std::vector<std::string>& strings) {
  Bytes b;
  for (const auto& s : strings) {
    b.push_back(std::uint8_t(s.size()));
    b.insert(b.end(), s.begin(), s.end());
  }
  return b;
}

struct Rr {
  std::string owner;
  std::uint16_t type = 1;
  std::uint32_t ttl = 300;
  Bytes rdata;
};

struct Msg {
  std::uint16_t id = 0;
  std::uint16_t flags = 0x8180;  // QR RD RA
  std::string qname;
  std::uint16_t qtype = 1;
  bool question = true;
  std::vector<Rr> answer, authority, additional;
  Bytes build() const {
    Bytes b;
    put16(b, id);
    put16(b, flags);
    put16(b, question ? 1 : 0);
    put16(b, unsigned(answer.size()));
    put16(b, unsigned(authority.size()));
    put16(b, unsigned(additional.size()));
    if (question) {
      auto n = wire_name(qname);
      b.insert(b.end(), n.begin(), n.end());
      put16(b, qtype);
      put16(b, 1);
    }
    for (const auto* sec : {&answer, &authority, &additional})
      for (const auto& rr : *sec) {
        auto n = wire_name(rr.owner);
        b.insert(b.end(), n.begin(), n.end());
        put16(b, rr.type);
        put16(b, 1);
        put32(b, rr.ttl);
        put16(b, unsigned(rr.rdata.size()));
        b.insert(b.end(), rr.rdata.begin(), rr.rdata.end());
      }
    return b;
  }
};

// What a query asked: its ID, name (lower-cased text with a final dot), type, and whether it
// carried an OPT (ARCOUNT > 0).
struct Asked {
  std::uint16_t id = 0;
  std::string qname;
  std::uint16_t qtype = 0;
  bool edns = false;
  bool ok = false;
};
inline Asked parse_query(const Bytes& q) {
  Asked a;
  if (q.size() < 17) return a;
  a.id = std::uint16_t(q[0] << 8 | q[1]);
  a.edns = (q[10] << 8 | q[11]) > 0;
  std::size_t p = 12;
  while (p < q.size() && q[p] != 0) {
    std::size_t n = q[p];
    if (p + 1 + n > q.size()) return a;
    for (std::size_t k = 0; k < n; ++k) a.qname += char(std::tolower(q[p + 1 + k]));
    a.qname += '.';
    p += 1 + n;
  }
  if (a.qname.empty()) a.qname = ".";
  if (p + 5 > q.size()) return a;
  a.qtype = std::uint16_t(q[p + 1] << 8 | q[p + 2]);
  a.ok = true;
  return a;
}

// A reply template for `a`: same ID, question echoed, NOERROR.
inline Msg reply_to(const Asked& a) {
  Msg m;
  m.id = a.id;
  m.qname = a.qname;
  m.qtype = a.qtype;
  return m;
}

// Scripted DNS server on 127.0.0.1 (UDP and TCP on the same port). The handler gets each
// query and whether it came over TCP, and returns the datagrams/messages to send back (over
// TCP each is framed with its length); an empty list drops the query.
class FakeDns {
 public:
  using Handler = std::function<std::vector<Bytes>(const Bytes& query, bool tcp)>;
  explicit FakeDns(Handler h) : handler_(std::move(h)) {
    for (int attempt = 0; attempt < 20 && port_ == 0; ++attempt) {
      udp_ = ::socket(AF_INET, SOCK_DGRAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::bind(udp_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(udp_);
        continue;
      }
      socklen_t len = sizeof a;
      getsockname(udp_, reinterpret_cast<sockaddr*>(&a), &len);
      tcp_ = ::socket(AF_INET, SOCK_STREAM, 0);
      int one = 1;
      setsockopt(tcp_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (::bind(tcp_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(tcp_, 16) != 0) {
        ::close(udp_);
        ::close(tcp_);
        continue;
      }
      port_ = ntohs(a.sin_port);
    }
    thread_ = std::thread([this] { loop(); });
  }
  ~FakeDns() {
    stop_ = true;
    thread_.join();
    ::close(udp_);
    ::close(tcp_);
  }
  std::uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int udp_queries() const { return udp_count_; }
  int tcp_queries() const { return tcp_count_; }
  // Source ports of the UDP queries, in arrival order.
  std::vector<std::uint16_t> ports() const {
    std::lock_guard lock(mu_);
    return ports_;
  }

 private:
  void loop() {
    while (!stop_) {
      pollfd p[2] = {{udp_, POLLIN, 0}, {tcp_, POLLIN, 0}};
      if (::poll(p, 2, 20) <= 0) continue;
      if (p[0].revents & POLLIN) {
        std::uint8_t buf[65536];
        sockaddr_storage from{};
        socklen_t fl = sizeof from;
        auto n = ::recvfrom(udp_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
        if (n >= 0) {
          {
            std::lock_guard lock(mu_);
            ports_.push_back(ntohs(reinterpret_cast<sockaddr_in*>(&from)->sin_port));
          }
          ++udp_count_;
          for (const auto& out : handler_(Bytes(buf, buf + n), false))
            ::sendto(udp_, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&from), fl);
        }
      }
      if (p[1].revents & POLLIN) serve_tcp();
    }
  }
  void serve_tcp() {
    int c = ::accept(tcp_, nullptr, nullptr);
    if (c < 0) return;
    timeval tv{2, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    Bytes in;
    std::uint8_t buf[4096];
    for (;;) {
      if (in.size() >= 2 && in.size() >= 2 + std::size_t(in[0] << 8 | in[1])) break;
      auto n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) {
        ::close(c);
        return;
      }
      in.insert(in.end(), buf, buf + n);
    }
    ++tcp_count_;
    Bytes q(in.begin() + 2, in.begin() + 2 + (in[0] << 8 | in[1]));
    for (const auto& out : handler_(q, true)) {
      Bytes framed;
      put16(framed, unsigned(out.size()));
      framed.insert(framed.end(), out.begin(), out.end());
      ::send(c, framed.data(), framed.size(), MSG_NOSIGNAL);
    }
    ::close(c);
  }

  Handler handler_;
  int udp_ = -1, tcp_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> udp_count_{0}, tcp_count_{0};
  mutable std::mutex mu_;
  std::vector<std::uint16_t> ports_;
  std::thread thread_;
};

}  // namespace zp::test::dnsr
