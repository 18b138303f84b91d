// Lines of a descriptor (stdin for `zproto mqtt pub -l`) read on a helper thread, so the
// shard's loop keeps running (keepalive pings, the broker's packets) while the input is idle.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "zp/engine/blocking.h"
#include "zp/engine/task.h"
#include "zp/result.h"

namespace zp::mqtt::detail {

// What next() found.
struct InputLine {
  enum class Kind : std::uint8_t { line, idle, end };
  Kind kind = Kind::idle;
  std::string text{};  // the line without its '\n' (kind line)
};

class LineReader {
 public:
  // Reads fd (not owned); a line longer than max_line_bytes is an error (EMSGSIZE); each
  // wait for input lasts at most poll_ms before next() returns `idle`.
  LineReader(int fd, std::size_t max_line_bytes, int poll_ms = 200);

  // The next line (a last one without '\n' too), `idle` when nothing came within poll_ms
  // (the caller checks its connection and calls again), `end` at the end of the input, or
  // the read's error. One caller at a time, on one shard.
  Task<Result<InputLine>> next();

 private:
  BlockingPool pool_;
  int fd_;
  std::size_t max_line_bytes_;
  int poll_ms_;
  std::string buf_{};
  bool eof_ = false;
};

}  // namespace zp::mqtt::detail
