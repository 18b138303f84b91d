/// \file
/// Where accepted mail goes: the MailStore interface and its Maildir implementation
/// (cr.yp.to/proto/maildir.html). Maildir delivery is durable: the message is written to
/// `tmp/UNIQUE`, fsynced, renamed into new/ (hard-linked into the other recipients' new/),
/// and every new/ directory is fsynced; only then does deliver() return success, so a 250
/// after it means the message survives a crash. Calls block: the server runs them on a
/// BlockingPool, never on a shard.
/// \code
///   zp::smtp::MaildirStore store("mx.example");
///   if (auto r = store.create("/var/mail/alice"); !r) fail(r.error());
///   auto r = store.deliver({"/var/mail/alice"}, head, body);   // head: Return-Path, Received
/// \endcode
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zp/result.h"

namespace zp::smtp {

/// A place that keeps accepted messages. Implementations are thread-safe.
class MailStore {
 public:
  virtual ~MailStore() = default;
  /// Stores head + body once in each mailbox of `mailboxes` (distinct). Success only when
  /// every copy is on stable storage; on failure no copy is left visible (ENOSPC, EIO, ...).
  virtual Result<void> deliver(std::span<const std::string> mailboxes, std::string_view head,
                               std::string_view body) = 0;
};

/// Maildir delivery with unique names "<sec>.M<usec>P<pid>Q<n>.<host>,S=<size>".
class MaildirStore final : public MailStore {
 public:
  /// `host`: the name part of the unique names ('/' and ':' are replaced).
  explicit MaildirStore(std::string host);
  /// Creates `dir` and its tmp/, new/ and cur/ (mode 0700) when missing; the mkdir error otherwise.
  static Result<void> create(const std::string& dir);
  /// See MailStore::deliver. Hard links share one file between mailboxes on one file
  /// system; across file systems each gets its own copy.
  Result<void> deliver(std::span<const std::string> mailboxes, std::string_view head,
                       std::string_view body) override;
  /// Messages delivered so far (the Q<n> of the names).
  std::uint64_t delivered() const { return seq_.load(std::memory_order_relaxed); }

 private:
  std::string unique_name(std::size_t size);
  std::string host_;
  std::atomic<std::uint64_t> seq_{0};
};

}  // namespace zp::smtp
