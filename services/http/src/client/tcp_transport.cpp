// Transport over an engine Stream: received leases are copied into the caller's buffer;
// what does not fit waits in the lease for the next read.
#include <cstring>

#include "zp/engine/tls.h"
#include "zp/http/transport.h"

namespace zp::http {

namespace {

class TcpTransport final : public Transport {
 public:
  explicit TcpTransport(Stream s) : stream_(std::move(s)) {}

  Task<Result<size_t>> read_some(std::span<char> out) override {
    if (off_ >= pending_.size()) {
      pending_ = RecvBuf{};
      off_ = 0;
      // recv_more: a response in progress finishes within a graceful stop's drain time.
      auto b = co_await stream_.recv_more();
      if (!b) co_return b.error();
      if (b->eof()) co_return size_t{0};
      pending_ = std::move(*b);
    }
    const size_t n = std::min(out.size(), pending_.size() - off_);
    std::memcpy(out.data(), pending_.text().data() + off_, n);
    off_ += n;
    if (off_ >= pending_.size()) {
      pending_ = RecvBuf{};
      off_ = 0;
    }
    co_return n;
  }

  Task<Result<void>> write_all(std::span<const iovec> parts) override {
    auto r = co_await stream_.sendv(parts);
    if (!r) co_return r.error();
    co_return Result<void>{};
  }

  bool has_buffered() const override { return off_ < pending_.size(); }
  void close() override { stream_.close(); }
  std::shared_ptr<void> tls_session() const override { return tls::save_session(stream_); }

 private:
  Stream stream_;
  RecvBuf pending_;
  size_t off_ = 0;
};

}  // namespace

std::unique_ptr<Transport> make_tcp_transport(Stream stream) {
  return std::make_unique<TcpTransport>(std::move(stream));
}

}  // namespace zp::http
