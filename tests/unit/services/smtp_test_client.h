// A blocking SMTP test client over a loopback socket: raw writes, whole replies read back
// (multi-line ones included), TLS (wolfSSL, for STARTTLS and implicit TLS), and the Maildir
// helpers the SMTP tests share.
#pragma once

// wolfSSL's settings first: its headers depend on them.
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "../../common/test_net.h"

namespace zp::test::smtp {

class Client {
 public:
  explicit Client(std::uint16_t port) : fd_(connect_retry(port)) {}
  ~Client() {
    if (ssl_) wolfSSL_free(ssl_);
    if (ctx_) wolfSSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  bool ok() const { return fd_ >= 0; }
  // The TLS handshake on the connection (after a 220 to STARTTLS, or at once on an implicit
  // TLS port), verifying the server's certificate against `ca_file` for "localhost". Bytes
  // already buffered in plaintext are dropped. False when the handshake fails.
  bool start_tls(const std::string& ca_file) {
    buf_.clear();
    ctx_ = wolfSSL_CTX_new(wolfSSLv23_client_method());
    if (!ctx_) return false;
    if (wolfSSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr) != WOLFSSL_SUCCESS) return false;
    wolfSSL_CTX_set_verify(ctx_, WOLFSSL_VERIFY_PEER, nullptr);
    ssl_ = wolfSSL_new(ctx_);
    if (!ssl_ || wolfSSL_set_fd(ssl_, fd_) != WOLFSSL_SUCCESS) return false;
    if (wolfSSL_check_domain_name(ssl_, "localhost") != WOLFSSL_SUCCESS) return false;
    return wolfSSL_connect(ssl_) == WOLFSSL_SUCCESS;
  }
  bool tls() const { return ssl_ != nullptr; }
  bool send(std::string_view s) {
    if (ssl_) return s.empty() || wolfSSL_write(ssl_, s.data(), int(s.size())) == int(s.size());
    while (!s.empty()) {
      const ssize_t w = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      s.remove_prefix(std::size_t(w));
    }
    return true;
  }
  // One whole reply ("250-a\r\n250 b\r\n"), or what came before EOF/timeout.
  std::string reply() {
    std::string out;
    for (;;) {
      const std::size_t eol = buf_.find("\r\n");
      if (eol == std::string::npos) {
        if (!fill()) {
          out += buf_;
          buf_.clear();
          return out;
        }
        continue;
      }
      const std::string line = buf_.substr(0, eol + 2);
      buf_.erase(0, eol + 2);
      out += line;
      if (line.size() < 4 || line[3] != '-') return out;
    }
  }
  // The reply's code (0 when none came).
  int code() {
    const std::string r = reply();
    last_ = r;
    if (r.size() < 3) return 0;
    return std::stoi(r.substr(0, 3));
  }
  // Sends `line` + CRLF and returns the reply's code.
  int cmd(std::string_view line) {
    send(std::string(line) + "\r\n");
    return code();
  }
  // Everything until the peer closes (or 3 s of silence).
  std::string rest() {
    std::string out = buf_;
    buf_.clear();
    char b[4096];
    for (;;) {
      const ssize_t r = read_some(b, sizeof b);
      if (r <= 0) return out;
      out.append(b, std::size_t(r));
    }
  }
  // True when the server closed the connection (EOF within 3 s, nothing else).
  bool closed() { return rest().empty() && buf_.empty(); }
  const std::string& last() const { return last_; }  // text of the last code()'s reply
  int fd() const { return fd_; }

 private:
  // Plaintext from the socket or the TLS session; <= 0 at EOF, error or timeout.
  ssize_t read_some(char* b, std::size_t n) {
    if (ssl_) return wolfSSL_read(ssl_, b, int(n));
    for (;;) {
      const ssize_t r = ::recv(fd_, b, n, 0);
      if (r < 0 && errno == EINTR) continue;
      return r;
    }
  }
  bool fill() {
    char b[4096];
    const ssize_t r = read_some(b, sizeof b);
    if (r <= 0) return false;
    buf_.append(b, std::size_t(r));
    return true;
  }
  int fd_;
  WOLFSSL_CTX* ctx_ = nullptr;
  WOLFSSL* ssl_ = nullptr;
  std::string buf_;
  std::string last_;
};

// The files in DIR/new, sorted by name.
inline std::vector<std::filesystem::path> new_messages(const std::filesystem::path& maildir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(maildir / "new", ec)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The message without our trace headers (Return-Path and the Received lines).
inline std::string body_of(const std::string& stored) {
  std::size_t pos = 0;
  if (stored.starts_with("Return-Path:")) pos = stored.find("\r\n") + 2;
  if (stored.compare(pos, 9, "Received:") == 0) {
    pos = stored.find("\r\n", pos) + 2;
    while (pos < stored.size() && stored[pos] == '\t') pos = stored.find("\r\n", pos) + 2;
  }
  return stored.substr(pos);
}

}  // namespace zp::test::smtp
