#include "access_log.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "zp/engine/log.h"

namespace zp::http {

namespace {

constexpr size_t kFlushBytes = 64 * 1024;
constexpr int64_t kFlushIntervalMs = 500;
constexpr auto kPoll = std::chrono::milliseconds(50);

// As nginx: '"', '\\' and bytes outside printable ASCII become \xHH.
void append_escaped(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
}

std::string_view field_or_dash(const codec::http1::Request& req, std::string_view name) {
  const codec::http1::Header* h = codec::http1::find_header(req.headers, name);
  return h && !h->value.empty() ? h->value : std::string_view("-");
}

}  // namespace

Result<void> AccessLog::start(Shard& shard, std::shared_ptr<void> owner) {
  auto f = File::open_append(path_);
  if (!f) return f.error();
  file_ = std::move(*f);
  buf_.reserve(kFlushBytes);
  auto h = shard.spawn(writer(std::move(owner)));
  if (!h) return h.error();
  writer_task_ = std::move(*h);
  shard.on_reload([this] { reopen_ = true; });
  shard.on_stop([this] { writer_task_.cancel(); });
  return {};
}

void AccessLog::add(std::string_view peer, const codec::http1::Request& req, int status, uint64_t body_bytes) {
  if (buf_.size() > max_) {
    ++dropped_;
    return;
  }
  std::time_t now = std::time(nullptr);
  if (now != stamp_sec_) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    stamp_len_ = std::strftime(stamp_, sizeof stamp_, "%d/%b/%Y:%H:%M:%S +0000", &tm);
    stamp_sec_ = now;
  }
  buf_ += peer;
  buf_ += " - - [";
  buf_.append(stamp_, stamp_len_);
  buf_ += "] \"";
  append_escaped(buf_, req.method);
  buf_ += ' ';
  append_escaped(buf_, req.target);
  buf_ += req.version_minor == 0 ? " HTTP/1.0\" " : " HTTP/1.1\" ";
  char nums[48];
  int n = std::snprintf(nums, sizeof nums, "%d %llu \"", status, (unsigned long long)body_bytes);
  buf_.append(nums, size_t(n));
  append_escaped(buf_, field_or_dash(req, "Referer"));
  buf_ += "\" \"";
  append_escaped(buf_, field_or_dash(req, "User-Agent"));
  buf_ += "\"\n";
}

Task<void> AccessLog::writer(std::shared_ptr<void> owner) {
  (void)owner;  // held in this frame: the log outlives its writer
  Shard* shard = Shard::current();
  int64_t last_flush_ms = shard->now_ms();
  for (;;) {
    auto slept = co_await sleep(kPoll);
    if (!slept) break;  // cancelled: the shard is stopping
    if (buf_.size() < kFlushBytes && shard->now_ms() - last_flush_ms < kFlushIntervalMs && !reopen_) continue;
    last_flush_ms = shard->now_ms();
    if (reopen_) {
      reopen_ = false;
      auto f = File::open_append(path_);
      if (f) file_ = std::move(*f);
      else ZP_LOG_ERROR("http: cannot reopen access log {}: {}", path_, f.error().message());
    }
    if (buf_.empty()) continue;
    writing_.clear();
    writing_.swap(buf_);  // new lines go to the other buffer while this one is written
    auto w = co_await file_.append(std::as_bytes(std::span(writing_)));
    if (!w) ZP_LOG_WARN("http: access log {}: {}", path_, w.error().message());
  }
  flush_now();
}

void AccessLog::flush_now() {
  size_t done = 0;
  while (done < buf_.size()) {
    ssize_t n = ::write(file_.fd(), buf_.data() + done, buf_.size() - done);
    if (n <= 0) break;
    done += size_t(n);
  }
  buf_.clear();
}

}  // namespace zp::http
