// Message parsing, RDATA validation, EDNS.
#include "zp/codec/dns/message.h"

#include "field.h"
#include "zp/codec/wire.h"

namespace zp::codec::dns {

Result<void> validate_rdata(const Record& rr, const Limits& limits) noexcept {
  const detail::TypeInfo* ti = detail::type_info(rr.type);
  if (!ti) return {};
  const auto buf = rr.buffer();
  const bool in_message = rr.rdata_offset != 0;
  std::size_t pos = rr.rdata_offset;
  const std::size_t end = pos + rr.rdata_size;
  if (end > buf.size()) return make_error_code(Errc::rdata_overrun);
  for (detail::Field f : ti->fields) {
    if (f == detail::Field::end) break;
    auto v = detail::read_field(f, buf, pos, end, in_message, limits.max_pointer_hops);
    if (!v) return v.error();
  }
  if (pos != end) return make_error_code(Errc::bad_rdata_length);
  return {};
}

Edns::Option Edns::OptionIterator::operator*() const noexcept {
  WireReader r(data_);
  r.seek(pos_);
  Option o;
  o.code = r.u16be();
  const std::uint16_t len = r.u16be();
  o.data = r.bytes(len);
  return o;
}
Edns::OptionIterator& Edns::OptionIterator::operator++() noexcept {
  WireReader r(data_);
  r.seek(pos_);
  r.skip(2);
  r.skip(r.u16be());
  pos_ = r.ok() ? r.position() : data_.size();
  return *this;
}
Edns::OptionIterator Edns::begin() const noexcept {
  OptionIterator it;
  it.data_ = options;
  return it;
}
Edns::OptionIterator Edns::end() const noexcept {
  OptionIterator it;
  it.data_ = options;
  it.pos_ = options.size();
  return it;
}
std::optional<std::span<const std::byte>> Edns::find(std::uint16_t code) const noexcept {
  for (Option o : *this)
    if (o.code == code) return o.data;
  return std::nullopt;
}

Result<Edns> parse_edns(const Record& opt) noexcept {
  if (!opt.owner.is_root()) return make_error_code(Errc::bad_opt_owner);
  Edns e;
  e.udp_payload_size = opt.rclass;
  e.extended_rcode = static_cast<std::uint8_t>(opt.ttl >> 24);
  e.version = static_cast<std::uint8_t>(opt.ttl >> 16);
  e.flags = static_cast<std::uint16_t>(opt.ttl);
  e.options = opt.rdata();
  WireReader r(e.options);
  while (r.remaining() > 0) {
    if (r.remaining() < 4) return make_error_code(Errc::bad_edns_option);
    r.skip(2);
    const std::uint16_t len = r.u16be();
    if (r.remaining() < len) return make_error_code(Errc::bad_edns_option);
    r.skip(len);
  }
  return e;
}

ParseResult parse_message(std::span<const std::byte> in, Message& out, std::span<Record> storage,
                          const Limits& limits) noexcept {
  out = Message{};
  ParseResult res;
  auto fail = [&](Errc e, std::size_t at) {
    res.error = e;
    res.consumed = 0;
    res.error_offset = at;
    return res;
  };
  if (in.size() < 12) return fail(Errc::truncated_header, in.size());
  if (in.size() > 65535) return fail(Errc::message_too_large, 65535);
  WireReader r(in);
  Header& h = out.header;
  h.id = r.u16be();
  h.flags = r.u16be();
  h.qdcount = r.u16be();
  h.ancount = r.u16be();
  h.nscount = r.u16be();
  h.arcount = r.u16be();
  out.wire = in;
  if (h.qdcount > limits.max_questions) return fail(Errc::too_many_questions, 4);

  const std::size_t cap = storage.size() < limits.max_records ? storage.size() : limits.max_records;
  std::size_t n = 0;
  const std::uint16_t counts[4] = {h.qdcount, h.ancount, h.nscount, h.arcount};
  std::size_t section_start[5] = {};
  for (int s = 0; s < 4; ++s) {
    section_start[s] = n;
    for (std::uint32_t i = 0; i < counts[s]; ++i) {
      const std::size_t at = r.position();
      if (r.remaining() == 0) return fail(Errc::count_mismatch, at);
      std::size_t pos = at;
      auto owner = parse_name(in, pos, Compression::allowed, limits.max_pointer_hops, 12);
      if (!owner) {
        const Errc e = static_cast<Errc>(owner.error().value());
        return fail(e == Errc::name_overrun && s > 0 ? Errc::truncated_rr
                    : e == Errc::name_overrun      ? Errc::truncated_question
                                                   : e,
                    at);
      }
      r.seek(pos);
      Record rr;
      rr.owner = *owner;
      rr.section = static_cast<Section>(s);
      rr.base = in.data();
      rr.base_size = static_cast<std::uint32_t>(in.size());
      if (s == 0) {
        if (r.remaining() < 4) return fail(Errc::truncated_question, r.position());
        rr.type = r.u16be();
        rr.rclass = r.u16be();
        rr.rdata_offset = static_cast<std::uint16_t>(r.position());
      } else {
        if (r.remaining() < 10) return fail(Errc::truncated_rr, r.position());
        rr.type = r.u16be();
        rr.rclass = r.u16be();
        rr.ttl = r.u32be();
        const std::uint16_t rdlen = r.u16be();
        if (r.remaining() < rdlen) return fail(Errc::rdata_overrun, r.position());
        rr.rdata_offset = static_cast<std::uint16_t>(r.position());
        rr.rdata_size = rdlen;
        r.skip(rdlen);
        if (rr.type == rrtype::opt) {
          if (s != 3) return fail(Errc::opt_not_in_additional, at);
          if (out.opt) return fail(Errc::multiple_opt, at);
          auto e = parse_edns(rr);
          if (!e) return fail(static_cast<Errc>(e.error().value()), at);
          out.opt = rr;
          out.edns = *e;
          continue;  // not stored in the additional section
        }
        if (limits.validate_rdata) {
          auto v = validate_rdata(rr, limits);
          if (!v) return fail(static_cast<Errc>(v.error().value()), rr.rdata_offset);
        }
      }
      if (n >= cap) return fail(Errc::too_many_records, at);
      storage[n++] = rr;
    }
  }
  section_start[4] = n;
  if (!r.ok()) return fail(Errc::truncated_rr, r.position());
  if (r.remaining() > 0 && !limits.allow_trailing_data) return fail(Errc::trailing_data, r.position());
  std::span<const Record> all(storage.data(), n);
  out.question = all.subspan(section_start[0], section_start[1] - section_start[0]);
  out.answer = all.subspan(section_start[1], section_start[2] - section_start[1]);
  out.authority = all.subspan(section_start[2], section_start[3] - section_start[2]);
  out.additional = all.subspan(section_start[3], section_start[4] - section_start[3]);
  res.consumed = r.position();
  return res;
}

}  // namespace zp::codec::dns
