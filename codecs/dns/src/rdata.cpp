// Typed RDATA views and the RDATA builder.
#include "zp/codec/dns/rdata.h"

#include <algorithm>
#include <cstring>

#include "field.h"

namespace zp::codec::dns {
namespace {

// The fields of rr (validated), in order.
struct Fields {
  std::array<detail::FieldValue, 10> v{};
  std::size_t n = 0;
  std::span<const std::byte> buf{};
  std::span<const std::byte> bytes(std::size_t i) const { return buf.subspan(v[i].start, v[i].size); }
  std::uint32_t num(std::size_t i) const {
    std::uint32_t x = 0;
    for (std::byte b : bytes(i)) x = (x << 8) | static_cast<std::uint8_t>(b);
    return x;
  }
  std::string_view str(std::size_t i) const {  // length-prefixed
    const auto b = bytes(i);
    return {reinterpret_cast<const char*>(b.data()) + 1, b.size() - 1};
  }
  std::span<const std::byte> lp(std::size_t i) const { return bytes(i).subspan(1); }
};

Result<Fields> read(const Record& rr, std::initializer_list<std::uint16_t> types) noexcept {
  if (std::find(types.begin(), types.end(), rr.type) == types.end()) return make_error_code(Errc::bad_text);
  if (auto ok = validate_rdata(rr); !ok) return ok.error();
  const detail::TypeInfo* ti = detail::type_info(rr.type);
  Fields f;
  f.buf = rr.buffer();
  std::size_t pos = rr.rdata_offset;
  const std::size_t end = pos + rr.rdata_size;
  for (detail::Field k : ti->fields) {
    if (k == detail::Field::end) break;
    auto v = detail::read_field(k, f.buf, pos, end, rr.rdata_offset != 0, 16);
    if (!v) return v.error();
    f.v[f.n++] = *v;
  }
  return f;
}

}  // namespace

bool TypeBitmap::contains(std::uint16_t type) const noexcept {
  bool found = false;
  for_each([&](std::uint16_t t) { found = found || t == type; });
  return found;
}

std::size_t CharacterStrings::count() const noexcept {
  std::size_t n = 0;
  for_each([&](std::string_view) { ++n; });
  return n;
}

Result<AView> a_view(const Record& rr) noexcept {
  auto f = read(rr, {rrtype::a});
  if (!f) return f.error();
  AView v{};
  std::memcpy(v.address.data(), f->bytes(0).data(), 4);
  return v;
}
Result<AaaaView> aaaa_view(const Record& rr) noexcept {
  auto f = read(rr, {rrtype::aaaa});
  if (!f) return f.error();
  AaaaView v{};
  std::memcpy(v.address.data(), f->bytes(0).data(), 16);
  return v;
}
Result<NameView> name_view(const Record& rr) noexcept {
  auto f = read(rr, {rrtype::ns, rrtype::cname, rrtype::ptr, rrtype::dname});
  if (!f) return f.error();
  return NameView{f->v[0].name};
}
Result<SoaView> soa_view(const Record& rr) noexcept {
  auto f = read(rr, {rrtype::soa});
  if (!f) return f.error();
  return SoaView{f->v[0].name, f->v[1].name, f->num(2), f->num(3), f->num(4), f->num(5), f->num(6)};
}
Result<MxView> mx_view(const Record& rr) noexcept {
  auto f = read(rr, {rrtype::mx});
  if (!f) return f.error();
  return MxView{static_cast<std::uint16_t>(f->num(0)), f->v[1].name};
}
Result<TxtView> txt_view(const Record& rr) noexcept {
  auto f = read(rr, {rrtype::txt});
  if (!f) return f.error();
  return TxtView{CharacterStrings{f->bytes(0)}};
}
Result<SrvView> srv_view(const Record& rr) noexcept {
  auto f = read(rr, {rrtype::srv});
  if (!f) return f.error();
  return SrvView{static_cast<std::uint16_t>(f->num(0)), static_cast<std::uint16_t>(f->num(1)),
                 static_cast<std::uint16_t>(f->num(2)), f->v[3].name};
}
Result<NaptrView> naptr_view(const Record& rr) noexcept {
  auto f = read(rr, {rrtype::naptr});
  if (!f) return f.error();
  return NaptrView{static_cast<std::uint16_t>(f->num(0)), static_cast<std::uint16_t>(f->num(1)), f->str(2),
                   f->str(3), f->str(4), f->v[5].name};
}
Result<CaaView> caa_view(const Record& rr) noexcept {
  auto f = read(rr, {rrtype::caa});
  if (!f) return f.error();
  return CaaView{static_cast<std::uint8_t>(f->num(0)), f->str(1), f->bytes(2)};
}
Result<DsView> ds_view(const Record& rr) noexcept {
  auto f = read(rr, {rrtype::ds});
  if (!f) return f.error();
  return DsView{static_cast<std::uint16_t>(f->num(0)), static_cast<std::uint8_t>(f->num(1)),
                static_cast<std::uint8_t>(f->num(2)), f->bytes(3)};
}
Result<DnskeyView> dnskey_view(const Record& rr) noexcept {
  auto f = read(rr, {rrtype::dnskey});
  if (!f) return f.error();
  return DnskeyView{static_cast<std::uint16_t>(f->num(0)), static_cast<std::uint8_t>(f->num(1)),
                    static_cast<std::uint8_t>(f->num(2)), f->bytes(3)};
}
Result<RrsigView> rrsig_view(const Record& rr) noexcept {
  auto f = read(rr, {rrtype::rrsig});
  if (!f) return f.error();
  return RrsigView{static_cast<std::uint16_t>(f->num(0)), static_cast<std::uint8_t>(f->num(1)),
                   static_cast<std::uint8_t>(f->num(2)), f->num(3), f->num(4), f->num(5),
                   static_cast<std::uint16_t>(f->num(6)), f->v[7].name, f->bytes(8)};
}
Result<NsecView> nsec_view(const Record& rr) noexcept {
  auto f = read(rr, {rrtype::nsec});
  if (!f) return f.error();
  return NsecView{f->v[0].name, TypeBitmap{f->bytes(1)}};
}
Result<Nsec3View> nsec3_view(const Record& rr) noexcept {
  auto f = read(rr, {rrtype::nsec3});
  if (!f) return f.error();
  return Nsec3View{static_cast<std::uint8_t>(f->num(0)), static_cast<std::uint8_t>(f->num(1)),
                   static_cast<std::uint16_t>(f->num(2)), f->lp(3), f->lp(4), TypeBitmap{f->bytes(5)}};
}

RdataBuilder& RdataBuilder::name(const Name& n) noexcept {
  std::array<std::byte, max_name_bytes> tmp{};
  auto len = n.to_wire(tmp);
  if (len) w_.put_bytes(std::span<const std::byte>(tmp.data(), *len));
  return *this;
}
RdataBuilder& RdataBuilder::character_string(std::string_view s) noexcept {
  if (s.size() > 255) {
    error_ = Errc::bad_character_string;
    return *this;
  }
  w_.put_u8(static_cast<std::uint8_t>(s.size()));
  w_.put_bytes(std::as_bytes(std::span<const char>(s.data(), s.size())));
  return *this;
}
Result<std::span<const std::byte>> RdataBuilder::finish() const noexcept {
  if (error_ != Errc::ok) return make_error_code(error_);
  if (!w_.ok()) return make_error_code(Errc::buffer_too_small);
  return w_.written();
}

}  // namespace zp::codec::dns
