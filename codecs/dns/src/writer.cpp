// MessageWriter: compression table, all-or-nothing adds, truncation.
#include "zp/codec/dns/writer.h"

#include <algorithm>

#include "field.h"

namespace zp::codec::dns {
namespace {

constexpr std::uint8_t lower(std::uint8_t c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c + 32) : c;
}

std::uint32_t mix_label(std::uint32_t h, std::span<const std::byte> label) noexcept {
  h = (h ^ static_cast<std::uint32_t>(label.size())) * 16777619u;
  for (std::byte b : label) h = (h ^ lower(static_cast<std::uint8_t>(b))) * 16777619u;
  return h;
}

}  // namespace

MessageWriter::MessageWriter(std::span<std::byte> out, std::size_t max_size) noexcept
    : out_(out.first(std::min(out.size(), max_size))) {
  if (out_.size() < 12) {
    error_ = Errc::buffer_too_small;
    return;
  }
  std::fill(out_.begin(), out_.begin() + 12, std::byte{0});
  pos_ = 12;
  header_ok_ = true;
}

void MessageWriter::set_header(const Header& h) noexcept { header_ = h; }

bool MessageWriter::put_name(WireWriter& w, const Name& n, bool compress) noexcept {
  // Trivial types, left uninitialized: only [0, count] are used, and constructing 128 spans
  // (2.5 KB of zeroing) per name was a third of the writer's time in a zone transfer.
  const std::byte* label_at[max_labels + 1];
  std::uint8_t label_len[max_labels + 1];
  std::uint32_t hash[max_labels + 2];
  std::size_t count = 0;
  for (auto l : n) {
    label_at[count] = l.data();
    label_len[count++] = static_cast<std::uint8_t>(l.size());
  }
  const auto labels = [&](std::size_t i) { return std::span<const std::byte>(label_at[i], label_len[i]); };
  hash[count] = 2166136261u;
  for (std::size_t i = count; i-- > 0;) hash[i] = mix_label(hash[i + 1], labels(i));

  const std::size_t base = pos_;
  std::size_t match_at = count;  // label index where a pointer replaces the rest
  std::size_t match_offset = 0;
  if (compress) {
    std::size_t size_left = n.wire_size();
    for (std::size_t i = 0; i < count && match_at == count; ++i) {
      // Probe the index (bounded: stale slots never free up by themselves).
      for (std::size_t k = 0, slot = hash[i] & 0xFF; k < index_.size() && index_[slot] != 0;
           ++k, slot = (slot + 1) & 0xFF) {
        const std::size_t e = index_[slot] - 1u;
        if (e >= n_entries_) continue;
        const Entry& en = entries_[e];
        if (en.hash != hash[i] || en.labels != count - i || en.wire_size != size_left) continue;
        const Name there(out_.data(), base + w.position(), en.offset, en.wire_size, en.labels, false);
        if (there.equals(n.suffix(i))) {
          match_at = i;
          match_offset = en.offset;
          break;
        }
      }
      size_left -= 1 + label_len[i];
    }
  }
  std::size_t size_left = n.wire_size();
  for (std::size_t i = 0; i < match_at; ++i) {
    const std::size_t at = base + w.position();
    w.put_u8(label_len[i]);
    w.put_bytes(labels(i));
    if (!w.ok()) return false;
    if (at < 0x3FFF && n_entries_ < entries_.size()) {
      // A free or stale slot for the new entry; none left (after many rollbacks): not indexed.
      for (std::size_t k = 0, slot = hash[i] & 0xFF; k < index_.size(); ++k, slot = (slot + 1) & 0xFF) {
        if (index_[slot] == 0 || index_[slot] - 1u >= n_entries_) {
          index_[slot] = static_cast<std::uint8_t>(n_entries_ + 1);
          break;
        }
      }
      entries_[n_entries_++] = Entry{static_cast<std::uint16_t>(at), static_cast<std::uint8_t>(size_left),
                                     static_cast<std::uint8_t>(count - i), hash[i]};
    }
    size_left -= 1 + label_len[i];
  }
  if (match_at < count) {
    w.put_u16be(static_cast<std::uint16_t>(0xC000 | match_offset));
  } else {
    w.put_u8(0);
  }
  return w.ok();
}

bool MessageWriter::put_record(WireWriter& w, Section s, const Name& owner, const Record& rr) noexcept {
  put_name(w, owner, true);
  w.put_u16be(rr.type);
  w.put_u16be(rr.rclass);
  if (s == Section::question) return w.ok();
  w.put_u32be(rr.ttl);
  const std::size_t len_at = w.reserve(2);
  const std::size_t start = w.position();
  const detail::TypeInfo* ti = detail::type_info(rr.type);
  if (!ti) {
    w.put_bytes(rr.rdata());
  } else {
    const auto buf = rr.buffer();
    const bool in_message = rr.rdata_offset != 0;
    std::size_t pos = rr.rdata_offset;
    const std::size_t end = pos + rr.rdata_size;
    if (end > buf.size()) {
      error_ = Errc::rdata_overrun;
      return false;
    }
    for (detail::Field f : ti->fields) {
      if (f == detail::Field::end) break;
      auto v = detail::read_field(f, buf, pos, end, in_message, 16);
      if (!v) {
        error_ = static_cast<Errc>(v.error().value());
        return false;
      }
      if (f == detail::Field::name_c || f == detail::Field::name_d || f == detail::Field::name_n) {
        if (!put_name(w, v->name, f == detail::Field::name_c)) return false;
      } else {
        w.put_bytes(buf.subspan(v->start, v->size));
      }
    }
    if (pos != end) {
      error_ = Errc::bad_rdata_length;
      return false;
    }
  }
  const std::size_t len = w.position() - start;
  if (len > 0xFFFF) {
    error_ = Errc::bad_rdata_length;
    return false;
  }
  w.patch_u16be(len_at, static_cast<std::uint16_t>(len));
  return w.ok();
}

bool MessageWriter::commit(WireWriter& w, std::size_t saved_entries) noexcept {
  if (w.ok() && error_ == Errc::ok) {
    pos_ += w.position();
    return true;
  }
  n_entries_ = saved_entries;
  if (error_ == Errc::ok) truncated_ = true;
  return false;
}

bool MessageWriter::add_question(const Name& name, std::uint16_t type, std::uint16_t rclass) noexcept {
  Record q;
  q.type = type;
  q.rclass = rclass;
  return add_record(Section::question, name, q);
}

bool MessageWriter::add_record(Section s, const Record& rr) noexcept { return add_record(s, rr.owner, rr); }

bool MessageWriter::add_record(Section s, const Name& owner, const Record& rr) noexcept {
  if (!header_ok_ || error_ != Errc::ok) return false;
  const std::size_t avail = out_.size() - pos_;
  WireWriter w(out_.subspan(pos_, avail > reserved_ ? avail - reserved_ : 0));
  const std::size_t saved = n_entries_;
  put_record(w, s, owner, rr);
  if (!commit(w, saved)) return false;
  ++counts_[static_cast<int>(s)];
  return true;
}

bool MessageWriter::add_rrset(Section s, std::span<const Record> rrs) noexcept {
  if (!header_ok_ || error_ != Errc::ok) return false;
  const std::size_t avail = out_.size() - pos_;
  WireWriter w(out_.subspan(pos_, avail > reserved_ ? avail - reserved_ : 0));
  const std::size_t saved = n_entries_;
  for (const Record& rr : rrs)
    if (!put_record(w, s, rr.owner, rr)) break;
  if (!commit(w, saved)) return false;
  counts_[static_cast<int>(s)] = static_cast<std::uint16_t>(counts_[static_cast<int>(s)] + rrs.size());
  return true;
}

bool MessageWriter::add_message(const Message& m) noexcept {
  set_header(m.header);
  bool ok = true;
  for (const auto& q : m.question) ok = add_question(q.owner, q.type, q.rclass) && ok;
  for (const auto& rr : m.answer) ok = add_record(Section::answer, rr) && ok;
  for (const auto& rr : m.authority) ok = add_record(Section::authority, rr) && ok;
  for (const auto& rr : m.additional) ok = add_record(Section::additional, rr) && ok;
  if (m.edns) {
    EdnsOut e;
    e.udp_payload_size = m.edns->udp_payload_size;
    e.extended_rcode_bits = static_cast<std::uint16_t>(m.edns->extended_rcode << 4);
    e.version = m.edns->version;
    e.dnssec_ok = m.edns->dnssec_ok();
    e.z_flags = static_cast<std::uint16_t>(m.edns->flags & 0x7FFF);
    e.options = m.edns->options;
    ok = add_opt(e) && ok;
  }
  return ok;
}

bool MessageWriter::add_opt(const EdnsOut& e) noexcept {
  if (!header_ok_ || error_ != Errc::ok || opt_written_) return false;
  WireWriter w(out_.subspan(pos_));
  w.put_u8(0);
  w.put_u16be(rrtype::opt);
  w.put_u16be(e.udp_payload_size);
  w.put_u8(static_cast<std::uint8_t>(e.extended_rcode_bits >> 4));
  w.put_u8(e.version);
  w.put_u16be(static_cast<std::uint16_t>((e.dnssec_ok ? Edns::do_bit : 0) | (e.z_flags & 0x7FFF)));
  w.put_u16be(static_cast<std::uint16_t>(e.options.size()));
  w.put_bytes(e.options);
  if (!commit(w, n_entries_)) return false;
  reserved_ = 0;
  opt_written_ = true;
  ++counts_[3];
  return true;
}

Result<std::span<const std::byte>> MessageWriter::finish() noexcept {
  if (error_ != Errc::ok) return make_error_code(error_);
  WireWriter h(out_.first(12));
  h.put_u16be(header_.id);
  h.put_u16be(header_.flags);
  for (std::uint16_t c : counts_) h.put_u16be(c);
  return std::span<const std::byte>(out_.data(), pos_);
}

}  // namespace zp::codec::dns
