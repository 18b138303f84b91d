/// \file
/// The byte stream an HTTP client connection runs over: an engine Stream, plain or carrying
/// the TLS stream layer (zproto::tls) — the exchange code is the same for both.
/// \code
///   std::unique_ptr<zp::http::Transport> t = zp::http::make_tcp_transport(std::move(stream));
///   auto n = co_await t->read_some(buf);          // bytes copied into buf, 0 at EOF
///   auto w = co_await t->write_all(iov);          // every byte, or the error
/// \endcode
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <memory>
#include <span>

#include "zp/engine/net.h"
#include "zp/engine/task.h"
#include "zp/result.h"

namespace zp::http {

/// The byte stream under an HTTP connection: plain TCP or TLS.
class Transport {
 public:
  virtual ~Transport() = default;
  /// Copies the next received bytes into out (at least one, at most out.size()); 0 at EOF.
  /// ECONNRESET and other socket errors; ECANCELED when the task is cancelled.
  virtual Task<Result<size_t>> read_some(std::span<char> out) = 0;
  /// Sends every byte of the (at most 4) iovecs, or returns the error (EPIPE, ECONNRESET...).
  virtual Task<Result<void>> write_all(std::span<const iovec> parts) = 0;
  /// True while bytes received earlier wait unread (a pooled connection with them is suspect).
  virtual bool has_buffered() const = 0;
  virtual void close() = 0;  ///< closes the connection
  /// The TLS session to resume on the next connection to the same origin; empty for plain
  /// TCP or before the server sent one.
  virtual std::shared_ptr<void> tls_session() const { return {}; }
};

/// A Transport over a connected engine Stream (TLS already set up on it, or plain).
std::unique_ptr<Transport> make_tcp_transport(Stream stream);

}  // namespace zp::http
