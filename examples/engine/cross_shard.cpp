// Example: shared-nothing state across two shards, reached by message instead of a lock.
// Shows: zp::Runtime with 2 shards (threads), a key-value table partitioned by key hash
// where each part is touched only by its own shard, invoke_on (run there, resume here with
// the result), submit_to (fire and forget, EAGAIN is backpressure), and Runtime::stop().
#include <atomic>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "zp/engine/runtime.h"
#include "zp/engine/shard.h"

namespace {

// One part of the table per shard; part i is read and written on shard i only.
using Part = std::map<std::string, int>;

unsigned owner_of(const std::string& key, unsigned shards) {
  return unsigned(std::hash<std::string>{}(key) % shards);
}

// Runs on shard 0: stores keys on their owners, reads them back, then stops the runtime.
zp::Task<void> client(zp::Runtime& rt, std::vector<Part>& parts, std::atomic<int>& hits) {
  zp::Shard& self = *zp::Shard::current();
  const std::vector<std::string> keys = {"alpha", "bravo", "charlie", "delta", "echo"};
  int value = 1;
  for (const auto& key : keys) {
    unsigned owner = owner_of(key, self.count());
    // The lambda runs on `owner`, so it may touch parts[owner]; we resume on shard 0.
    // (Named first: GCC 12 mishandles temporaries with destructors inside a co_await.)
    auto put = [&parts, &key, value] {
      unsigned me = zp::Shard::current()->id();
      parts[me][key] = value;
      return me;
    };
    unsigned ran_on = co_await zp::invoke_on(owner, put);
    std::printf("put %-7s = %d on shard %u\n", key.c_str(), value, ran_on);
    ++value;
  }
  int sum = 0;
  for (const auto& key : keys) {
    unsigned owner = owner_of(key, self.count());
    auto get = [&parts, &key] { return parts[zp::Shard::current()->id()][key]; };
    sum += co_await zp::invoke_on(owner, get);
  }
  std::printf("sum of values read back: %d\n", sum);

  // Fire and forget: count a "hit" on shard 1 without waiting for an answer. A full inbox
  // refuses the message (EAGAIN): the sender yields a turn and retries.
  for (int sent = 0; sent < 100;) {
    if (self.submit_to(1, [&hits] { hits.fetch_add(1, std::memory_order_relaxed); })) ++sent;
    else co_await self.yield();
  }
  // Messages to one target run in order: when this answer arrives, the 100 have run.
  int seen = co_await zp::invoke_on(1, [&hits] { return hits.load(std::memory_order_relaxed); });
  std::printf("shard 1 counted %d messages\n", seen);
  rt.stop();
}

}  // namespace

int main() {
  zp::RuntimeOptions o;
  o.shards = 2;
  o.pin_threads = false;  // an example shares the machine with everything else
  zp::Runtime rt(o);
  std::vector<Part> parts(o.shards);
  std::atomic<int> hits{0};
  auto r = rt.run([&](zp::Shard& s) -> zp::Result<void> {
    if (s.id() != 0) return {};  // shard 1 only answers messages
    auto h = s.spawn(client(rt, parts, hits));
    if (!h) return h.error();
    return {};
  });
  if (!r) return std::fprintf(stderr, "runtime: %s\n", r.error().message().c_str()), 1;
  std::printf("part sizes: shard 0 has %zu keys, shard 1 has %zu keys\n", parts[0].size(), parts[1].size());
  return 0;
}
