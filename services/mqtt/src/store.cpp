// The per-shard store: record encoding and replay, load with tail repair, group commit and
// compaction (see store.h for the file formats).
#include "store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>

#include "zp/codec/wire.h"
#include "zp/engine/log.h"
#include "zp/engine/shard.h"

namespace zp::mqtt::detail {

namespace {

constexpr std::size_t kFrame = 8;                   // length + CRC
constexpr std::uint32_t kMaxRecord = 512u << 20;    // a length beyond this is corruption

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = make_crc_table();

std::size_t str_size(std::size_t n) { return 4 + n; }

void put_str(codec::WireWriter& w, std::span<const std::byte> b) {
  w.put_u32be(std::uint32_t(b.size()));
  w.put_bytes(b);
}
void put_str(codec::WireWriter& w, std::string_view s) { put_str(w, std::as_bytes(std::span(s.data(), s.size()))); }

std::span<const std::byte> get_bytes(codec::WireReader& r) {
  const std::uint32_t n = r.u32be();
  return r.bytes(n);
}
std::string get_str(codec::WireReader& r) {
  auto b = get_bytes(r);
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// One record: the frame around a body of body_size bytes that fill(WireWriter&) writes.
template <class F>
void put_record(std::vector<std::byte>& out, Rec type, std::size_t body_size, F&& fill) {
  const std::size_t at = out.size();
  const std::size_t body = 1 + body_size;
  out.resize(at + kFrame + body);
  const std::span<std::byte> whole = std::span(out).subspan(at);
  codec::WireWriter w(whole);
  w.put_u32be(std::uint32_t(body));
  w.put_u32be(0);  // CRC, below
  w.put_u8(std::uint8_t(type));
  fill(w);
  const auto crc = crc32(std::span<const std::byte>(out).subspan(at + kFrame, body));
  const std::span<std::byte> crc_at = std::span(out).subspan(at + 4, 4);
  codec::WireWriter p(crc_at);
  p.put_u32be(crc);
}

void put_session_create(std::vector<std::byte>& out, std::string_view id, std::uint8_t version) {
  put_record(out, Rec::session_create, str_size(id.size()) + 1, [&](codec::WireWriter& w) {
    put_str(w, id);
    w.put_u8(version);
  });
}
void put_sub_add(std::vector<std::byte>& out, std::string_view id, std::string_view filter, const Subscriber& s) {
  put_record(out, Rec::sub_add, str_size(id.size()) + str_size(filter.size()) + 6, [&](codec::WireWriter& w) {
    put_str(w, id);
    put_str(w, filter);
    w.put_u8(s.qos);
    w.put_u8(s.options);
    w.put_u32be(s.subscription_id);
  });
}
void put_msg_queued(std::vector<std::byte>& out, std::string_view id, std::uint64_t seq, const StoredMessage& m) {
  const Message& msg = *m.msg;
  const std::size_t size = str_size(id.size()) + 8 + 1 + 1 + 4 + str_size(msg.topic.size()) +
                           str_size(msg.payload.size()) + str_size(msg.properties.size());
  put_record(out, Rec::msg_queued, size, [&](codec::WireWriter& w) {
    put_str(w, id);
    w.put_u64be(seq);
    w.put_u8(m.qos);
    w.put_u8(std::uint8_t((m.retain ? 1 : 0) | (m.released ? 2 : 0)));
    w.put_u32be(m.subscription_id);
    put_str(w, msg.topic);
    put_str(w, msg.payload);
    put_str(w, msg.properties);
  });
  if (m.expires_unix_ms != 0) {
    put_record(out, Rec::msg_expires, str_size(id.size()) + 16, [&](codec::WireWriter& w) {
      put_str(w, id);
      w.put_u64be(seq);
      w.put_u64be(m.expires_unix_ms);
    });
  }
}
void put_session_expiry(std::vector<std::byte>& out, std::string_view id, std::uint32_t expiry_s) {
  put_record(out, Rec::session_expiry, str_size(id.size()) + 4, [&](codec::WireWriter& w) {
    put_str(w, id);
    w.put_u32be(expiry_s);
  });
}
void put_id_seq(std::vector<std::byte>& out, Rec type, std::string_view id, std::uint64_t seq) {
  put_record(out, type, str_size(id.size()) + 8, [&](codec::WireWriter& w) {
    put_str(w, id);
    w.put_u64be(seq);
  });
}
// Without properties the record older logs have; with them, retained_set_props.
void put_retained_set(std::vector<std::byte>& out, std::string_view topic, std::uint8_t qos,
                      std::span<const std::byte> payload, std::span<const std::byte> properties,
                      std::uint64_t expires_unix_ms) {
  const bool props = !properties.empty();
  const std::size_t size = str_size(topic.size()) + 1 + str_size(payload.size()) + (props ? str_size(properties.size()) : 0);
  put_record(out, props ? Rec::retained_set_props : Rec::retained_set, size, [&](codec::WireWriter& w) {
    put_str(w, topic);
    w.put_u8(qos);
    put_str(w, payload);
    if (props) put_str(w, properties);
  });
  if (expires_unix_ms != 0) {
    put_record(out, Rec::retained_expires, str_size(topic.size()) + 8, [&](codec::WireWriter& w) {
      put_str(w, topic);
      w.put_u64be(expires_unix_ms);
    });
  }
}
void put_one_str(std::vector<std::byte>& out, Rec type, std::string_view s) {
  put_record(out, type, str_size(s.size()), [&](codec::WireWriter& w) { put_str(w, s); });
}
void put_two_str(std::vector<std::byte>& out, Rec type, std::string_view a, std::string_view b) {
  put_record(out, type, str_size(a.size()) + str_size(b.size()), [&](codec::WireWriter& w) {
    put_str(w, a);
    put_str(w, b);
  });
}

// Applies one record's body (after its type byte) to m; false when its fields do not parse.
bool apply(Rec type, codec::WireReader& r, StoreModel& m, std::uint64_t* epoch, bool* saw_end) {
  switch (type) {
    case Rec::epoch: {
      const std::uint64_t e = r.u64be();
      if (r.ok() && epoch) *epoch = e;
      break;
    }
    case Rec::retained_set:
    case Rec::retained_set_props: {
      std::string topic = get_str(r);
      const std::uint8_t qos = r.u8();
      auto payload = get_bytes(r);
      std::span<const std::byte> props;
      if (type == Rec::retained_set_props) props = get_bytes(r);
      if (!r.ok()) return false;
      auto& slot = m.retained[topic];
      slot.qos = qos;
      slot.payload.assign(payload.begin(), payload.end());
      slot.properties.assign(props.begin(), props.end());
      slot.expires_unix_ms = 0;
      break;
    }
    case Rec::retained_expires: {
      std::string topic = get_str(r);
      const std::uint64_t at = r.u64be();
      if (!r.ok()) return false;
      if (auto it = m.retained.find(topic); it != m.retained.end()) it->second.expires_unix_ms = at;
      break;
    }
    case Rec::retained_clear: {
      std::string topic = get_str(r);
      if (!r.ok()) return false;
      m.retained.erase(topic);
      break;
    }
    case Rec::session_create: {
      std::string id = get_str(r);
      const std::uint8_t version = r.u8();
      if (!r.ok()) return false;
      StoredSession s;
      s.version = version;
      m.sessions[id] = std::move(s);
      break;
    }
    case Rec::session_expiry: {
      std::string id = get_str(r);
      const std::uint32_t expiry = r.u32be();
      if (!r.ok()) return false;
      if (auto it = m.sessions.find(id); it != m.sessions.end()) it->second.expiry_s = expiry;
      break;
    }
    case Rec::msg_expires: {
      std::string id = get_str(r);
      const std::uint64_t seq = r.u64be();
      const std::uint64_t at = r.u64be();
      if (!r.ok()) return false;
      if (auto it = m.sessions.find(id); it != m.sessions.end()) {
        if (auto mt = it->second.messages.find(seq); mt != it->second.messages.end()) mt->second.expires_unix_ms = at;
      }
      break;
    }
    case Rec::session_end: {
      std::string id = get_str(r);
      if (!r.ok()) return false;
      m.sessions.erase(id);
      break;
    }
    case Rec::sub_add: {
      std::string id = get_str(r);
      std::string filter = get_str(r);
      Subscriber s;
      s.qos = r.u8();
      s.options = r.u8();
      s.subscription_id = r.u32be();
      if (!r.ok()) return false;
      if (auto it = m.sessions.find(id); it != m.sessions.end()) it->second.subscriptions[filter] = s;
      break;
    }
    case Rec::sub_remove: {
      std::string id = get_str(r);
      std::string filter = get_str(r);
      if (!r.ok()) return false;
      if (auto it = m.sessions.find(id); it != m.sessions.end()) it->second.subscriptions.erase(filter);
      break;
    }
    case Rec::msg_queued: {
      std::string id = get_str(r);
      const std::uint64_t seq = r.u64be();
      StoredMessage sm;
      sm.qos = r.u8();
      const std::uint8_t flags = r.u8();
      sm.retain = flags & 1;
      sm.released = flags & 2;
      sm.subscription_id = r.u32be();
      auto msg = std::make_shared<Message>();
      msg->topic = get_str(r);
      auto payload = get_bytes(r);
      auto props = get_bytes(r);
      if (!r.ok()) return false;
      msg->payload.assign(payload.begin(), payload.end());
      msg->properties.assign(props.begin(), props.end());
      msg->qos = sm.qos;
      sm.msg = std::move(msg);
      if (auto it = m.sessions.find(id); it != m.sessions.end()) it->second.messages[seq] = std::move(sm);
      break;
    }
    case Rec::msg_acked:
    case Rec::msg_released: {
      std::string id = get_str(r);
      const std::uint64_t seq = r.u64be();
      if (!r.ok()) return false;
      auto it = m.sessions.find(id);
      if (it == m.sessions.end()) break;
      auto mt = it->second.messages.find(seq);
      if (mt == it->second.messages.end()) break;
      if (type == Rec::msg_acked) it->second.messages.erase(mt);
      else mt->second.released = true;
      break;
    }
    case Rec::end:
      (void)r.u64be();
      if (!r.ok()) return false;
      if (saw_end) *saw_end = true;
      break;
    default:
      return false;
  }
  return r.at_end();
}

// The whole file, or an error (ENOENT when it does not exist).
Result<std::vector<std::byte>> read_whole(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(errno);
  File f = File::adopt(fd);
  auto st = f.stat();
  if (!st) return st.error();
  std::vector<std::byte> data(st->size);
  std::size_t got = 0;
  while (got < data.size()) {
    const ssize_t n = ::read(fd, data.data() + got, data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(errno);
    if (n == 0) break;
    got += std::size_t(n);
  }
  data.resize(got);
  return data;
}

Result<void> write_whole(int fd, std::span<const std::byte> data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(errno);
    data = data.subspan(std::size_t(n));
  }
  return {};
}

}  // namespace

std::uint32_t crc32(std::span<const std::byte> data, std::uint32_t crc) {
  crc = ~crc;
  for (std::byte b : data) crc = kCrcTable[(crc ^ std::uint8_t(b)) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

void encode_epoch(std::vector<std::byte>& out, std::uint64_t epoch) {
  put_record(out, Rec::epoch, 8, [&](codec::WireWriter& w) { w.put_u64be(epoch); });
}

std::uint64_t replay(std::span<const std::byte> data, StoreModel& m, std::size_t* good_bytes, std::uint64_t* epoch,
                     bool* saw_end) {
  std::uint64_t n = 0;
  std::size_t pos = 0;
  for (;;) {
    codec::WireReader frame(data.subspan(pos));
    const std::uint32_t len = frame.u32be();
    const std::uint32_t crc = frame.u32be();
    if (!frame.ok() || len == 0 || len > kMaxRecord || frame.remaining() < len) break;
    auto body = frame.bytes(len);
    if (crc32(body) != crc) break;
    codec::WireReader r(body);
    const auto type = Rec(r.u8());
    // The epoch comes first or not at all.
    if (type == Rec::epoch && n != 0) break;
    if (!apply(type, r, m, n == 0 ? epoch : nullptr, saw_end)) break;
    pos += kFrame + len;
    ++n;
  }
  if (good_bytes) *good_bytes = pos;
  return n;
}

std::vector<std::byte> encode_snapshot(const StoreModel& m, std::uint64_t epoch) {
  std::vector<std::byte> out;
  std::uint64_t n = 0;
  encode_epoch(out, epoch);
  ++n;
  for (const auto& [topic, r] : m.retained) {
    put_retained_set(out, topic, r.qos, r.payload, r.properties, r.expires_unix_ms);
    n += r.expires_unix_ms != 0 ? 2 : 1;
  }
  for (const auto& [id, s] : m.sessions) {
    put_session_create(out, id, s.version);
    ++n;
    if (s.expiry_s != UINT32_MAX) {
      put_session_expiry(out, id, s.expiry_s);
      ++n;
    }
    for (const auto& [filter, sub] : s.subscriptions) {
      put_sub_add(out, id, filter, sub);
      ++n;
    }
    for (const auto& [seq, msg] : s.messages) {
      put_msg_queued(out, id, seq, msg);
      n += msg.expires_unix_ms != 0 ? 2 : 1;
    }
  }
  put_record(out, Rec::end, 8, [&](codec::WireWriter& w) { w.put_u64be(n); });
  return out;
}

// ---- Store ----

Store::Store(const PersistenceOptions& opts, unsigned index)
    : opts_(opts),
      log_path_(opts.dir + "/shard-" + std::to_string(index) + ".log"),
      snap_path_(opts.dir + "/shard-" + std::to_string(index) + ".snap") {}

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const PersistenceOptions& opts, unsigned index, LoadReport* report) {
  LoadReport local;
  LoadReport& rep = report ? *report : local;
  rep = LoadReport{};
  if (::mkdir(opts.dir.c_str(), 0750) < 0 && errno != EEXIST) return fail(errno);
  std::unique_ptr<Store> st(new Store(opts, index));
  const int dfd = ::open(opts.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return fail(errno);
  st->dir_ = File::adopt(dfd);

  // The snapshot: whole, or damage.
  std::uint64_t snap_epoch = 0;
  if (auto snap = read_whole(st->snap_path_); snap) {
    std::size_t good = 0;
    bool end = false;
    rep.snapshot_records = replay(*snap, st->model_, &good, &snap_epoch, &end);
    st->snap_bytes_ = snap->size();
    if (!end || good != snap->size()) {
      rep.warning = st->snap_path_ + ": the snapshot is damaged (at byte " + std::to_string(good) + ")";
      return fail(EINVAL);
    }
  } else if (snap.error() != std::errc::no_such_file_or_directory) {
    return snap.error();
  }

  // The log: replayed up to its first torn or corrupt record, which is cut off with the rest.
  const int lfd = ::open(st->log_path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (lfd < 0) return fail(errno);
  st->log_ = File::adopt(lfd);
  auto data = read_whole(st->log_path_);
  if (!data) return data.error();
  std::uint64_t log_epoch = UINT64_MAX;
  std::size_t good = 0;
  StoreModel replayed = st->model_;
  const std::uint64_t n = replay(*data, replayed, &good, &log_epoch, nullptr);
  bool fresh = false;
  if (n == 0 || log_epoch == UINT64_MAX) {
    if (!data->empty()) rep.warning = st->log_path_ + ": no readable header; the log starts again";
    fresh = true;
  } else if (log_epoch < snap_epoch) {
    // A compaction renamed its snapshot and crashed before truncating: all in the snapshot.
    rep.warning = st->log_path_ + ": epoch " + std::to_string(log_epoch) + " is older than the snapshot's (" +
                  std::to_string(snap_epoch) + "); its records are in the snapshot";
    fresh = true;
  } else {
    if (log_epoch > snap_epoch) {
      rep.warning = st->log_path_ + ": epoch " + std::to_string(log_epoch) + " has no snapshot (epoch " +
                    std::to_string(snap_epoch) + " found); replaying the log alone";
    }
    st->model_ = std::move(replayed);
    rep.log_records = n - 1;
    st->epoch_ = log_epoch;
    if (good < data->size()) {
      rep.truncated_bytes = data->size() - good;
      rep.warning = st->log_path_ + ": a torn or corrupt record at byte " + std::to_string(good) + "; " +
                    std::to_string(rep.truncated_bytes) + " bytes cut off";
      if (::ftruncate(lfd, off_t(good)) < 0) return fail(errno);
      if (opts.fsync && ::fdatasync(lfd) < 0) return fail(errno);
    }
    st->log_bytes_ = good;
  }
  if (fresh) {
    rep.truncated_bytes = data->size();
    st->epoch_ = snap_epoch;
    std::vector<std::byte> head;
    encode_epoch(head, st->epoch_);
    if (::ftruncate(lfd, 0) < 0) return fail(errno);
    if (auto w = write_whole(lfd, head); !w) return w.error();
    if (opts.fsync && ::fdatasync(lfd) < 0) return fail(errno);
    if (opts.fsync && ::fsync(dfd) < 0) return fail(errno);  // a new file's name
    st->log_bytes_ = head.size();
  }
  return st;
}

void Store::set_incarnation(const std::string& client_id, std::uint64_t incarnation) {
  if (auto it = model_.sessions.find(client_id); it != model_.sessions.end()) it->second.incarnation = incarnation;
}

StoredSession* Store::live(const std::string& client_id, std::uint64_t incarnation) {
  auto it = model_.sessions.find(client_id);
  if (it == model_.sessions.end() || it->second.incarnation > incarnation) return nullptr;
  return &it->second;
}

void Store::retained_set(std::string_view topic, std::uint8_t qos, std::span<const std::byte> payload,
                         std::span<const std::byte> properties, std::uint64_t expires_unix_ms) {
  auto it = model_.retained.find(topic);
  if (it == model_.retained.end()) it = model_.retained.emplace(std::string(topic), StoredRetained{}).first;
  it->second.qos = qos;
  it->second.payload.assign(payload.begin(), payload.end());
  it->second.properties.assign(properties.begin(), properties.end());
  it->second.expires_unix_ms = expires_unix_ms;
  put_retained_set(pending_, topic, qos, payload, properties, expires_unix_ms);
  kick();
}

void Store::retained_clear(std::string_view topic) {
  auto it = model_.retained.find(topic);
  if (it == model_.retained.end()) return;
  model_.retained.erase(it);
  put_one_str(pending_, Rec::retained_clear, topic);
  kick();
}

void Store::session_create(const std::string& client_id, std::uint8_t version, std::uint64_t incarnation) {
  StoredSession s;
  s.version = version;
  s.incarnation = incarnation;
  model_.sessions[client_id] = std::move(s);
  put_session_create(pending_, client_id, version);
  kick();
}

bool Store::session_expiry(const std::string& client_id, std::uint64_t incarnation, std::uint32_t expiry_s) {
  StoredSession* s = live(client_id, incarnation);
  if (!s) return false;
  s->expiry_s = expiry_s;
  put_session_expiry(pending_, client_id, expiry_s);
  kick();
  return true;
}

bool Store::session_end(const std::string& client_id, std::uint64_t incarnation) {
  if (!live(client_id, incarnation)) return false;
  model_.sessions.erase(client_id);
  put_one_str(pending_, Rec::session_end, client_id);
  kick();
  return true;
}

bool Store::sub_add(const std::string& client_id, std::uint64_t incarnation, const std::string& filter,
                    const Subscriber& sub) {
  StoredSession* s = live(client_id, incarnation);
  if (!s) return false;
  s->subscriptions[filter] = sub;
  put_sub_add(pending_, client_id, filter, sub);
  kick();
  return true;
}

bool Store::sub_remove(const std::string& client_id, std::uint64_t incarnation, const std::string& filter) {
  StoredSession* s = live(client_id, incarnation);
  if (!s || s->subscriptions.erase(filter) == 0) return false;
  put_two_str(pending_, Rec::sub_remove, client_id, filter);
  kick();
  return true;
}

bool Store::msg_queued(const std::string& client_id, std::uint64_t incarnation, std::uint64_t seq,
                       const StoredMessage& m) {
  StoredSession* s = live(client_id, incarnation);
  if (!s) return false;
  s->messages[seq] = m;
  put_msg_queued(pending_, client_id, seq, m);
  kick();
  return true;
}

bool Store::msg_acked(const std::string& client_id, std::uint64_t incarnation, std::uint64_t seq) {
  StoredSession* s = live(client_id, incarnation);
  if (!s || s->messages.erase(seq) == 0) return false;
  put_id_seq(pending_, Rec::msg_acked, client_id, seq);
  kick();
  return true;
}

bool Store::msg_released(const std::string& client_id, std::uint64_t incarnation, std::uint64_t seq) {
  StoredSession* s = live(client_id, incarnation);
  if (!s) return false;
  auto it = s->messages.find(seq);
  if (it == s->messages.end() || it->second.released) return false;
  it->second.released = true;
  put_id_seq(pending_, Rec::msg_released, client_id, seq);
  kick();
  return true;
}

void Store::wait(DurableWaiter w) {
  pending_waiters_.push_back(w);
  kick();
}

void Store::kick() {
  if (running_) return;
  Shard* shard = Shard::current();
  if (!shard) return;  // not on a shard (loading): the next kick on one writes it
  running_ = true;
  if (auto h = shard->spawn(commit()); !h) {
    running_ = false;
    ZP_LOG_ERROR("mqtt store {}: cannot start its commit task: {}", log_path_, h.error().message());
  }
}

Task<void> Store::commit() {
  // Everything appended during this loop turn goes in one batch.
  co_await Shard::current()->yield();
  std::vector<std::byte> batch;
  std::vector<DurableWaiter> waiters;
  for (;;) {
    if (pending_.empty() && pending_waiters_.empty()) break;
    batch.swap(pending_);
    waiters.swap(pending_waiters_);
    bool ok = !failed_;
    if (ok && !batch.empty()) {
      // Beyond the bound and beyond the snapshot's size: a model larger than the bound does
      // not make every batch a compaction.
      if (log_bytes_ + batch.size() > std::max(opts_.max_log_bytes, snap_bytes_)) {
        // The model already holds this batch: the snapshot covers it, the log restarts.
        std::vector<std::byte> image = encode_snapshot(model_, epoch_ + 1);
        auto c = co_await compact(image);
        ok = bool(c);
        if (!c) ZP_LOG_ERROR("mqtt store {}: compaction failed: {}", snap_path_, c.error().message());
      } else {
        auto w = co_await log_.append(batch);
        ok = bool(w);
        if (w) log_bytes_ += batch.size();
        if (ok && opts_.fsync) {
          auto s = co_await log_.sync();
          ok = bool(s);
          if (!s) ZP_LOG_ERROR("mqtt store {}: fdatasync failed: {}", log_path_, s.error().message());
        } else if (!w) {
          ZP_LOG_ERROR("mqtt store {}: write failed: {}", log_path_, w.error().message());
        }
      }
      ++batches_;
      // After a failed write or sync the file's state is unknown (the kernel may have
      // dropped the pages): acknowledge nothing more as stored.
      if (!ok) failed_ = true;
    }
    if (on_durable && !waiters.empty()) on_durable(waiters, ok);
    batch.clear();
    waiters.clear();
  }
  running_ = false;
}

Task<Result<void>> Store::compact(std::vector<std::byte>& image) {
  const std::string tmp = snap_path_ + ".tmp";
  ::unlink(tmp.c_str());
  auto f = File::open_append(tmp);
  if (!f) co_return f.error();
  auto w = co_await f->append(image);
  if (!w) co_return w.error();
  if (opts_.fsync) {
    auto s = co_await f->sync();
    if (!s) co_return s.error();
  }
  f->close();
  if (::rename(tmp.c_str(), snap_path_.c_str()) < 0) co_return fail(errno);
  if (opts_.fsync) {
    auto s = co_await dir_.sync();
    if (!s) co_return s.error();
  }
  // From here a crash leaves the old log behind, whose older epoch says the snapshot has it.
  const std::uint64_t next = epoch_ + 1;
  if (::ftruncate(log_.fd(), 0) < 0) co_return fail(errno);
  std::vector<std::byte> head;
  encode_epoch(head, next);
  log_bytes_ = 0;
  auto h = co_await log_.append(head);
  if (!h) co_return h.error();
  if (opts_.fsync) {
    auto s = co_await log_.sync();
    if (!s) co_return s.error();
  }
  epoch_ = next;
  log_bytes_ = head.size();
  snap_bytes_ = image.size();
  ++snapshots_;
  co_return Result<void>{};
}

}  // namespace zp::mqtt::detail
