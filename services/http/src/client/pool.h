// The per-shard connection pool of a Client: per origin (host:port) a LIFO of idle
// keep-alive connections with idle timers, a cap on connections (waiters queue for a
// slot), and a cap on the number of origins tracked.
#pragma once

#include <coroutine>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "zp/engine/shard.h"
#include "zp/engine/task.h"
#include "zp/engine/timer_wheel.h"
#include "zp/http/client.h"
#include "zp/http/transport.h"

namespace zp::http::client {

class Pool;

// One connection and its receive buffer (bytes [begin, end) are received, not yet used).
struct Conn {
  std::unique_ptr<Transport> transport;  // null: a slot to connect
  std::string origin;
  std::vector<char> buf;
  size_t begin = 0;
  size_t end = 0;
  uint64_t requests = 0;                 // exchanges completed on it
  Timer idle_timer{};
  Pool* pool = nullptr;
};

class Pool {
 public:
  Pool(Shard& shard, const Options& opts);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // An idle connection to origin (transport set, most recently used first), or a slot for
  // a new one (transport null), waiting while origin has max_connections_per_host.
  // Errc::too_many_origins, ECANCELED.
  Task<Result<std::unique_ptr<Conn>>> acquire(const std::string& origin);
  // Gives the connection back: kept idle when reusable (and room), else closed. Either
  // way its slot is free for a waiter.
  void release(std::unique_ptr<Conn> c, bool reusable);
  // Closes every idle connection (shard stop, client destruction).
  void close_idle();
  size_t idle_count() const;

 private:
  struct Waiter;
  struct Origin {
    std::vector<std::unique_ptr<Conn>> idle;  // back = most recently used
    size_t active = 0;                        // handed out (connecting or in an exchange)
    std::deque<Waiter*> waiters;
  };
  Origin* origin_for(const std::string& key);
  void evict(Conn* c);
  void wake_one(Origin& o);

  Shard& shard_;
  const Options& opts_;
  std::unordered_map<std::string, Origin> origins_;
  size_t stop_cb_ = 0;
};

}  // namespace zp::http::client
