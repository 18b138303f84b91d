// A scripted SMTP server on 127.0.0.1 for the client's tests: replies our server never gives
// (HELO-only, 421 mid-session, AUTH challenges, malformed replies, silence). It runs on its
// own thread with blocking sockets (no engine, so it cannot hide engine bugs); each command
// line goes to a handler that returns the bytes to answer; after an answer starting "354" it
// reads the data up to CRLF.CRLF and hands it to the handler as "DATA-BODY:" + the data.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace zp::test::smtp {

class FakeSmtp {
 public:
  // handler(line without CRLF) -> bytes to send; "CLOSE" closes the connection, "" sends nothing.
  using Handler = std::function<std::string(const std::string& line)>;
  // greeting: sent on accept ("" sends none).
  FakeSmtp(std::string greeting, Handler h) : greeting_(std::move(greeting)), handler_(std::move(h)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(fd_, 16) == 0) {
      socklen_t len = sizeof a;
      getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
      port_ = ntohs(a.sin_port);
    }
    thread_ = std::thread([this] { loop(); });
  }
  ~FakeSmtp() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  FakeSmtp(const FakeSmtp&) = delete;
  FakeSmtp& operator=(const FakeSmtp&) = delete;

  std::uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Every command line received, in order (data bodies as "DATA-BODY:...").
  std::vector<std::string> lines() const {
    std::lock_guard lk(mu_);
    return lines_;
  }
  // The bytes of each recv() (how the client batched its writes).
  std::vector<std::string> chunks() const {
    std::lock_guard lk(mu_);
    return chunks_;
  }
  int connections() const { return connections_.load(); }

 private:
  bool wait_readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    while (!stop_) {
      const int r = ::poll(&p, 1, 50);
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) return false;
    }
    return false;
  }
  bool send_all(int fd, const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
      const ssize_t w = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (w <= 0) return false;
      off += std::size_t(w);
    }
    return true;
  }
  void loop() {
    while (!stop_) {
      if (!wait_readable(fd_)) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      ++connections_;
      serve(c);
      ::close(c);
    }
  }
  // One connection: lines to the handler, or data until CRLF.CRLF.
  void serve(int c) {
    if (!greeting_.empty() && !send_all(c, greeting_)) return;
    std::string buf;
    bool data = false;
    for (;;) {
      std::string reply;
      bool have = false;
      if (data) {
        const std::size_t end = buf.starts_with(".\r\n") ? 0 : buf.find("\r\n.\r\n");
        if (end != std::string::npos) {
          const std::size_t cut = end == 0 ? 3 : end + 5;
          const std::string body = end == 0 ? std::string() : buf.substr(0, end + 2);
          buf.erase(0, cut);
          data = false;
          reply = handle("DATA-BODY:" + body);
          have = true;
        }
      } else {
        const std::size_t eol = buf.find("\r\n");
        if (eol != std::string::npos) {
          const std::string line = buf.substr(0, eol);
          buf.erase(0, eol + 2);
          reply = handle(line);
          have = true;
        }
      }
      if (have) {
        if (reply == "CLOSE") return;
        if (!reply.empty() && !send_all(c, reply)) return;
        if (reply.starts_with("354")) data = true;
        continue;
      }
      if (!wait_readable(c)) return;
      char b[65536];
      const ssize_t n = ::recv(c, b, sizeof b, 0);
      if (n <= 0) return;
      {
        std::lock_guard lk(mu_);
        chunks_.emplace_back(b, std::size_t(n));
      }
      buf.append(b, std::size_t(n));
    }
  }
  std::string handle(const std::string& line) {
    {
      std::lock_guard lk(mu_);
      lines_.push_back(line);
    }
    return handler_(line);
  }

  std::string greeting_;
  Handler handler_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
  std::vector<std::string> chunks_;
  std::thread thread_;
};

// The usual answers of a server that takes anything: `ehlo` for EHLO, 250 for MAIL, RCPT,
// RSET, NOOP and the data, 354 for DATA, 221 for QUIT, 502 otherwise.
inline std::string standard_reply(const std::string& line, const std::string& ehlo) {
  auto is = [&](const char* verb) { return line.rfind(verb, 0) == 0; };
  if (is("EHLO")) return ehlo;
  if (is("HELO")) return "250 fake.test\r\n";
  if (is("MAIL") || is("RCPT") || is("RSET") || is("NOOP")) return "250 2.0.0 ok\r\n";
  if (is("DATA-BODY:")) return "250 2.0.0 queued\r\n";
  if (is("DATA")) return "354 go ahead\r\n";
  if (is("QUIT")) return "221 2.0.0 bye\r\n";
  return "502 5.5.1 unknown\r\n";
}

}  // namespace zp::test::smtp
