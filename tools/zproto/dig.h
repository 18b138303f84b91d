// `zproto dig`: the dig-like verb over the DNS stub resolver's transport (one question, no
// cache): arguments in dig's order-free style, the reply printed like dig.
//   zproto dig www.example.test AAAA @127.0.0.1:5353 +tcp
//   zproto dig example.test MX +short          (servers from /etc/resolv.conf)
#pragma once

#include <string>
#include <vector>

namespace zp::cli {

struct DigFlags {
  // NAME, TYPE (a mnemonic or TYPEnnn), @SERVER[:PORT] / @[v6]:PORT, +tcp, +short,
  // +norec, +noedns, +time=SECONDS, +tries=N, in any order (dig's style).
  std::vector<std::string> args;
  std::string resolv_conf = "/etc/resolv.conf";
};

// Exit codes as dig's: 0 a reply came (whatever its RCODE: the status line says it), 1
// usage error, 9 no reply (timeout, malformed replies), 10 other errors (no servers, bad
// resolv.conf). Errors print one line on stderr.
int run_dig(const DigFlags& flags);

}  // namespace zp::cli
