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

  char head[4096];
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

// What a routed request adds to the static handler's answer.
struct StaticExtras {
  std::span<const codec::http1::Header> fields{};  // added to every response (middlewares)
  bool close = false;        // close the connection after the response whatever the request says
};

// Fills resp for req. Returns whether the connection stays open afterwards.
bool handle_request(FileStore& files, const ServerOptions& opts, codec::http1::DateCache& dates,
                    int64_t now_ms, const codec::http1::Request& req, Response& resp,
                    const StaticExtras& extras = {});

// Fills resp with the file `rel` below the root (a decoded, normalized path without the
// leading '/'), as handle_request does for a GET/HEAD of it. Returns whether the connection
// stays open.
bool serve_file(FileStore& files, const ServerOptions& opts, codec::http1::DateCache& dates,
                int64_t now_ms, const codec::http1::Request& req, std::string_view rel, Response& resp,
                const StaticExtras& extras = {});

// A short text response with `status` (and one optional extra field); closes when `close`.
void simple_response(const ServerOptions& opts, codec::http1::DateCache& dates, int status, bool close,
                     bool head_only, std::span<const codec::http1::Header> fields, Response& resp,
                     std::string_view extra_name = {}, std::string_view extra_value = {});

// A small error response for a request that failed to parse; the connection then closes.
void error_response(const ServerOptions& opts, codec::http1::DateCache& dates, codec::http1::Errc e,
                    Response& resp);

}  // namespace zp::http
