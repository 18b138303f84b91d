// The client's session state and its primitive steps (write, read one reply, a command),
// shared by the session setup (client.cpp) and the mail transaction (client_send.cpp).
// Shard thread only; one call at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zp/engine/net.h"
#include "zp/engine/task.h"
#include "zp/engine/tls.h"
#include "zp/smtp/client.h"

namespace zp::smtp::detail {

struct ClientImpl {
  ClientOptions opts;
  Stream stream{};
  std::string in{};                    // received, not yet parsed
  std::vector<std::string> lines{};    // the last reply's raw lines (EHLO keywords)
  SessionInfo info{};
  Reply last{};
  SendResult last_send{};
  std::shared_ptr<tls::ClientContext> tls_ctx{};
  std::string server_name{};           // SNI and the certificate's name
  bool open = false;
  bool had_transaction = false;        // a MAIL went out: RSET before the next one
  std::uint64_t sent = 0;

  // Closes the connection (a failed step leaves the session out of step).
  void close() {
    stream.close();
    open = false;
  }
};

// Sends all of `data` within `timeout_ms`; closes the session on failure.
Task<Result<void>> write(ClientImpl* c, const std::string* data, std::int64_t timeout_ms);
// Reads one whole reply within `timeout_ms` into c->last (raw lines into c->lines). A 421
// closes the session (after it is returned). Errors close it: protocol_error,
// connection_closed, ETIMEDOUT, socket errors.
Task<Result<Reply>> read_reply(ClientImpl* c, std::int64_t timeout_ms);
// write(line CRLF) then read_reply, both within `timeout_ms`.
Task<Result<Reply>> command(ClientImpl* c, std::string line, std::int64_t timeout_ms);
// QUIT without caring for the answer (bounded by 5 s), then close: after a refusal.
Task<void> quit_quietly(ClientImpl* c);

}  // namespace zp::smtp::detail
