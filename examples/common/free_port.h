// Shared by the examples that start a service from "HOST:PORT" strings (the HTTP and DNS
// servers bind one SO_REUSEPORT listener per shard from text, so they cannot report the
// port the kernel picked for port 0): a loopback port that was free a moment ago, and a
// retry around a server's start in case someone took it meanwhile.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "zp/result.h"

namespace example {

// A TCP port on 127.0.0.1 that was free when asked (bind to 0, read it, close); 0 on error.
inline std::uint16_t free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), len) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

// Calls start("127.0.0.1:<port>") with fresh free ports until it does not fail with
// EADDRINUSE (at most 5 tries); the port it started on, or the last error.
template <class Start>
zp::Result<std::uint16_t> start_on_free_port(Start start) {
  zp::Result<void> r = zp::fail(EADDRINUSE);
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::uint16_t port = free_loopback_port();
    r = start("127.0.0.1:" + std::to_string(port));
    if (r) return port;
    if (r.error() != std::errc::address_in_use) break;
  }
  return r.error();
}

}  // namespace example
