// Helpers for the in-process HTTP server tests: a blocking client connection that reads
// whole responses, request builders, and a fixture that runs the server on one shard per
// backend on its own thread.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "../../common/test_files.h"
#include "engine_test_util.h"
#include "zp/http/router.h"
#include "zp/http/server.h"
#include "../../common/test_net.h"
#include "../../common/service_fixture.h"

namespace zp::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;


inline std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// One parsed response.
struct Reply {
  int status = 0;
  std::string head;                              // status line and fields, as sent
  std::multimap<std::string, std::string> fields;  // lower-case names
  std::string body;
  bool ok = false;  // a whole response was read
  std::string field(const std::string& name) const {
    auto it = fields.find(lower(name));
    return it == fields.end() ? std::string() : it->second;
  }
  bool has(const std::string& name) const { return fields.count(lower(name)) > 0; }
};

// A blocking client connection with a receive timeout.
struct Conn {
  int fd = -1;
  std::string buf;  // received, not yet consumed
  explicit Conn(uint16_t port, int timeout_ms = 5000) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ~Conn() {
    if (fd >= 0) ::close(fd);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  bool send(std::string_view s) {
    while (!s.empty()) {
      ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      s.remove_prefix(size_t(n));
    }
    return true;
  }
  // Reads more into buf; false at EOF, error or timeout.
  bool fill() {
    char tmp[65536];
    for (;;) {
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buf.append(tmp, size_t(n));
      return true;
    }
  }
  // Reads one response; head_request: a body is not expected whatever Content-Length says.
  Reply read(bool head_request = false) {
    Reply r;
    size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return r;
    r.head = buf.substr(0, end + 2);
    buf.erase(0, end + 4);
    std::istringstream in(r.head);
    std::string line;
    std::getline(in, line);
    if (line.size() < 12 || !line.starts_with("HTTP/1.1 ")) return r;
    r.status = std::atoi(line.c_str() + 9);
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      size_t colon = line.find(':');
      if (colon == std::string::npos) return r;
      std::string v = line.substr(colon + 1);
      while (!v.empty() && v.front() == ' ') v.erase(0, 1);
      r.fields.emplace(lower(line.substr(0, colon)), v);
    }
    if (!head_request && lower(r.field("transfer-encoding")) == "chunked") {
      // Chunked: sizes, data, then the last chunk and an empty trailer section.
      for (;;) {
        size_t eol;
        while ((eol = buf.find("\r\n")) == std::string::npos)
          if (!fill()) return r;
        size_t n = std::stoull(buf.substr(0, eol), nullptr, 16);
        buf.erase(0, eol + 2);
        if (n == 0) {
          while ((eol = buf.find("\r\n")) == std::string::npos)
            if (!fill()) return r;
          buf.erase(0, eol + 2);  // no trailers from our server
          r.ok = true;
          return r;
        }
        while (buf.size() < n + 2)
          if (!fill()) return r;
        r.body += buf.substr(0, n);
        buf.erase(0, n + 2);
      }
    }
    size_t len = 0;
    if (r.has("content-length")) len = std::stoull(r.field("content-length"));
    if (head_request || r.status == 204 || r.status == 304) len = 0;
    while (buf.size() < len)
      if (!fill()) return r;
    r.body = buf.substr(0, len);
    buf.erase(0, len);
    r.ok = true;
    return r;
  }
  // Reads until the peer closes; true when it did (EOF or reset) within the timeout.
  bool closed_by_peer() {
    char tmp[65536];
    for (;;) {
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
      buf.append(tmp, size_t(n));
    }
  }
};

inline std::string get(std::string_view path, std::string_view extra = {}, std::string_view method = "GET") {
  std::string r(method);
  r += ' ';
  r += path;
  r += " HTTP/1.1\r\nHost: t\r\n";
  r += extra;
  r += "\r\n";
  return r;
}

// One request on a fresh connection.
inline Reply fetch(uint16_t port, std::string_view path, std::string_view extra = {}, std::string_view method = "GET") {
  Conn c(port);
  if (c.fd < 0 || !c.send(get(path, extra, method))) return {};
  return c.read(method == "HEAD");
}

// An in-process server on one shard on its own thread, per backend; router_ set: with routes.
class HttpServerFixture : public ServiceFixture {
 protected:
  void SetUp() override {
    test::raise_nofile(4096);
    char tmpl[] = "/tmp/zp_http_test.XXXXXX";
    base_ = mkdtemp(tmpl);
    root_ = base_ / "root";
    fs::create_directories(root_);
    opts_.root = root_.string();
  }
  void TearDown() override {
    stop();
    std::error_code ec;
    fs::remove_all(base_, ec);
  }

  // Starts the server on a fresh port on its own thread; the shard lives there.
  void start() {
    start_service([this](Shard& shard, uint16_t port) {
      opts_.listen = {"127.0.0.1:" + std::to_string(port)};
      return bool(router_ ? http::start(shard, opts_, router_) : http::start(shard, opts_));
    });
  }
  void stop() { stop_service(); }

  fs::path base_, root_;
  http::ServerOptions opts_;
  std::shared_ptr<http::Router> router_;
};


}  // namespace zp::test
