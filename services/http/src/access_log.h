// The access log in nginx's "combined" format, one per shard: lines are appended to a
// memory buffer on the request path and written by a writer task through the shard's
// backend (never a blocking write on the loop), at most every flush_ms or when the buffer
// passes 64 KiB; the file is reopened on reload (logrotate). Bounded: past max_buffer
// bytes waiting, lines are dropped and counted.
//   AccessLog log(path);  log.start(shard);        // once per shard
//   log.add(peer, req, status, bytes);             // per response
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>

#include "zp/codec/http1/parser.h"
#include "zp/engine/file.h"
#include "zp/engine/shard.h"
#include "zp/result.h"

namespace zp::http {

class AccessLog {
 public:
  explicit AccessLog(std::string path, size_t max_buffer = 4u << 20) : path_(std::move(path)), max_(max_buffer) {}
  bool enabled() const { return !path_.empty(); }
  // Opens the file and starts the writer on this shard; ENOENT, EACCES... from open.
  // `owner` keeps this log alive while the writer runs.
  Result<void> start(Shard& shard, std::shared_ptr<void> owner);
  // One line: peer, time, request line, status, body bytes, Referer, User-Agent.
  void add(std::string_view peer, const codec::http1::Request& req, int status, uint64_t body_bytes);
  uint64_t dropped() const { return dropped_; }

 private:
  Task<void> writer(std::shared_ptr<void> owner);
  void flush_now();  // at stop: the loop is ending, a direct write is fine

  std::string path_;
  size_t max_;
  File file_;
  std::string buf_;
  std::string writing_;
  uint64_t dropped_ = 0;
  bool reopen_ = false;
  std::time_t stamp_sec_ = -1;
  char stamp_[32] = {};
  size_t stamp_len_ = 0;
  TaskHandle writer_task_;
};

}  // namespace zp::http
