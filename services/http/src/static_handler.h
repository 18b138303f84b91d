// Answers one parsed request from the document root: method rules, path safety,
// conditional requests, ranges, precompressed variants; fills a Response to send.
#pragma once

#include <sys/uio.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "file_store.h"
#include "zp/codec/http1/date.h"
#include "zp/codec/http1/parser.h"
#include "zp/http/server.h"

namespace zp::http {

// A response ready to send: the head (and a small or in-memory body) as a gather list,
// and possibly a file range to send after it.
class Response {
 public:
  std::span<const iovec> iov() const { return {iov_, iov_count_}; }
  void reset();

  char head[2048];
  size_t head_size = 0;
  int status = 0;             // for the access log
  uint64_t body_bytes = 0;    // body bytes this response sends
  std::string owned_body;                      // built bodies (errors, multipart)
  std::shared_ptr<const FileEntry> entry;      // keeps an in-memory body alive
  std::string_view body;                       // what follows the head in memory
  // A range of entry's file to send after the head (files not kept in memory).
  const FileEntry* file = nullptr;              // owned by `entry`
  uint64_t file_offset = 0;
  uint64_t file_length = 0;
  void finish() {
    iov_[0] = {head, head_size};
    iov_count_ = 1;
    if (!body.empty()) iov_[iov_count_++] = {const_cast<char*>(body.data()), body.size()};
  }

 private:
  iovec iov_[2];
  size_t iov_count_ = 0;
};

// Fills resp for req. Returns whether the connection stays open afterwards.
bool handle_request(FileStore& files, const ServerOptions& opts, codec::http1::DateCache& dates,
                    int64_t now_ms, const codec::http1::Request& req, Response& resp);

// A small error response for a request that failed to parse; the connection then closes.
void error_response(const ServerOptions& opts, codec::http1::DateCache& dates, codec::http1::Errc e,
                    Response& resp);

}  // namespace zp::http
