// The broker's durable state on one shard (persistence on): a model of what must survive a
// restart (retained messages; persistent sessions with their subscriptions and QoS 1/2
// messages) and the two files that hold it, <dir>/shard-N.log (append-only records) and
// <dir>/shard-N.snap (the model at the log's start). A mutation updates the model and adds
// its record to this loop turn's batch; one commit task writes each batch and fdatasyncs it
// once (group commit), then reports the batch's waiters durable. Private to services/mqtt.
//
// Record frame: u32be body length, u32be CRC-32 (zlib's polynomial) of the body, the body:
// a type byte and its fields (big-endian integers, strings as u32be length + bytes). The
// log starts with an `epoch` record; a snapshot is `epoch`, the model's records, `end`.
// Compaction writes snapshot epoch E+1 to a temp file, syncs it, renames it over the old
// one, syncs the directory, then truncates the log and starts it with epoch E+1: at load a
// log whose epoch is older than the snapshot's is one the crash left behind (discarded).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "message.h"
#include "zp/engine/file.h"
#include "zp/engine/task.h"
#include "zp/mqtt/broker.h"
#include "zp/mqtt/topic_tree.h"
#include "zp/result.h"

namespace zp::mqtt::detail {

/// CRC-32 (IEEE 802.3, as zlib's crc32()) of data, continuing from `crc`.
std::uint32_t crc32(std::span<const std::byte> data, std::uint32_t crc = 0);

enum class Rec : std::uint8_t {
  epoch = 1,       // u64 epoch
  retained_set,    // topic, u8 qos, payload
  retained_clear,  // topic
  session_create,  // client id, u8 protocol level (resets the session)
  session_end,     // client id
  sub_add,         // client id, filter, u8 qos, u8 options, u32 subscription id
  sub_remove,      // client id, filter
  msg_queued,      // client id, u64 seq, u8 qos, u8 flags (1 retain, 2 released), u32 sub id, topic, payload, properties
  msg_acked,       // client id, u64 seq
  msg_released,    // client id, u64 seq (QoS 2: PUBREC received, PUBREL due)
  end,             // snapshot only: u64 records before it
  retained_set_props,  // topic, u8 qos, payload, 5.0 properties (as kept: Message Expiry first)
  session_expiry,  // client id, u32 5.0 Session Expiry Interval (absent: never, as 3.1.1)
  msg_expires,     // client id, u64 seq, u64 Unix time in ms when that message lapses
  retained_expires,  // topic, u64 Unix time in ms when the retained message lapses
};

// A QoS 1/2 message owed to a persistent session.
struct StoredMessage {
  MessagePtr msg;  // topic, payload, properties
  std::uint8_t qos = 1;
  bool retain = false;
  bool released = false;
  std::uint32_t subscription_id = 0;
  // When its Message Expiry lapses, on the wall clock (a restart must not restart it); 0: never.
  std::uint64_t expires_unix_ms = 0;
};

struct StoredSession {
  std::uint8_t version = 4;  // protocol level: 4 (3.1.1) or 5
  std::uint32_t expiry_s = UINT32_MAX;  // 5.0 Session Expiry Interval; UINT32_MAX: never
  std::map<std::string, Subscriber, std::less<>> subscriptions;  // Subscriber::session unused
  std::map<std::uint64_t, StoredMessage> messages;  // by sequence number: queue order
  std::uint64_t incarnation = 0;  // not stored: the broker's claim generation of this life
};

struct StoredRetained {
  std::uint8_t qos = 0;
  std::vector<std::byte> payload;
  std::vector<std::byte> properties;
  std::uint64_t expires_unix_ms = 0;  // its Message Expiry on the wall clock; 0: never
};

struct StoreModel {
  std::map<std::string, StoredRetained, std::less<>> retained;
  std::unordered_map<std::string, StoredSession> sessions;
};

// Someone to tell when the records appended before it are on disk (the broker routes it).
struct DurableWaiter {
  unsigned shard = 0;
  std::uint64_t token = 0;
};

// What open() found.
struct LoadReport {
  std::uint64_t snapshot_records = 0;
  std::uint64_t log_records = 0;
  std::uint64_t truncated_bytes = 0;  // a torn or corrupt tail cut off the log
  std::string warning;                // why, when something was cut or discarded
};

// Appends one record of `type` to out.
void encode_epoch(std::vector<std::byte>& out, std::uint64_t epoch);
// Applies the records in `data` to `m` from the first on, stopping at the first torn or
// corrupt one (short frame, bad CRC, unknown type, bad fields). Returns how many were
// applied; *good_bytes is the length of the sound prefix. *epoch gets the first record's
// epoch when the first record is one (else stays).
std::uint64_t replay(std::span<const std::byte> data, StoreModel& m, std::size_t* good_bytes, std::uint64_t* epoch,
                     bool* saw_end = nullptr);
// The model as snapshot records: epoch, every retained message and session, end.
std::vector<std::byte> encode_snapshot(const StoreModel& m, std::uint64_t epoch);

class Store {
 public:
  // Opens (creating the directory and files) <dir>/shard-<index>.{snap,log}, loads the
  // snapshot and replays the log, cutting a torn or corrupt tail off it (said in
  // report->warning). Synchronous: called before the shards run. A snapshot that does not
  // parse is an error (EINVAL): it was renamed into place whole, so it is damage, not a crash.
  static Result<std::unique_ptr<Store>> open(const PersistenceOptions& opts, unsigned index, LoadReport* report);
  ~Store();

  const StoreModel& model() const { return model_; }
  // Sets a loaded session's incarnation (the broker's claim generation at restore).
  void set_incarnation(const std::string& client_id, std::uint64_t incarnation);

  // Mutations: the model changes now, the record goes out with this turn's batch.
  void retained_set(std::string_view topic, std::uint8_t qos, std::span<const std::byte> payload,
                    std::span<const std::byte> properties = {}, std::uint64_t expires_unix_ms = 0);
  void retained_clear(std::string_view topic);
  void session_create(const std::string& client_id, std::uint8_t version, std::uint64_t incarnation);
  bool session_expiry(const std::string& client_id, std::uint64_t incarnation, std::uint32_t expiry_s);
  // Ends the session if it exists and is not newer than `incarnation`; false otherwise.
  bool session_end(const std::string& client_id, std::uint64_t incarnation);
  // These are dropped (false) when the session is unknown or newer than `incarnation`
  // (a record from a life that a clean start ended).
  bool sub_add(const std::string& client_id, std::uint64_t incarnation, const std::string& filter, const Subscriber& s);
  bool sub_remove(const std::string& client_id, std::uint64_t incarnation, const std::string& filter);
  bool msg_queued(const std::string& client_id, std::uint64_t incarnation, std::uint64_t seq, const StoredMessage& m);
  bool msg_acked(const std::string& client_id, std::uint64_t incarnation, std::uint64_t seq);
  bool msg_released(const std::string& client_id, std::uint64_t incarnation, std::uint64_t seq);

  // `w` is reported (through on_durable) once every record appended so far is durable, or
  // their write failed. Without pending records it goes with the next batch all the same.
  void wait(DurableWaiter w);
  // After each batch: its waiters, and false when the write or the sync failed (then the
  // store stays failed: later batches are not written and report false, so nothing more
  // is acknowledged as stored).
  std::function<void(std::span<const DurableWaiter>, bool ok)> on_durable;

  bool failed() const { return failed_; }
  std::uint64_t log_bytes() const { return log_bytes_; }      // the log file's size
  std::uint64_t snapshots() const { return snapshots_; }      // compactions so far
  std::uint64_t batches() const { return batches_; }          // batches written (one sync each)
  bool idle() const { return !running_ && pending_.empty(); }  // nothing waiting or in flight

 private:
  Store(const PersistenceOptions& opts, unsigned index);
  StoredSession* live(const std::string& client_id, std::uint64_t incarnation);
  void kick();
  Task<void> commit();
  Task<Result<void>> compact(std::vector<std::byte>& image);

  PersistenceOptions opts_;
  std::string log_path_, snap_path_;
  StoreModel model_;
  File log_;
  File dir_;
  std::uint64_t epoch_ = 0;
  std::uint64_t log_bytes_ = 0;
  std::uint64_t snap_bytes_ = 0;
  std::uint64_t snapshots_ = 0;
  std::uint64_t batches_ = 0;
  std::vector<std::byte> pending_;
  std::vector<DurableWaiter> pending_waiters_;
  bool running_ = false;
  bool failed_ = false;
};

}  // namespace zp::mqtt::detail
