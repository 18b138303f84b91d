// The RDATA descriptor table and the shared field reader.
#include "schema.h"

#include "field.h"

namespace zp::codec::dns::detail {
namespace {

using F = Field;
constexpr TypeInfo types[] = {
    {1, "A", {F::ipv4}},
    {2, "NS", {F::name_c}},
    {5, "CNAME", {F::name_c}},
    {6, "SOA", {F::name_c, F::name_c, F::u32, F::ttl, F::ttl, F::ttl, F::ttl}},
    {12, "PTR", {F::name_c}},
    {13, "HINFO", {F::cstr, F::cstr}},
    {15, "MX", {F::u16, F::name_c}},
    {16, "TXT", {F::cstrs}},
    {28, "AAAA", {F::ipv6}},
    {33, "SRV", {F::u16, F::u16, F::u16, F::name_d}},
    {35, "NAPTR", {F::u16, F::u16, F::cstr, F::cstr, F::cstr, F::name_d}},
    {39, "DNAME", {F::name_d}},
    {43, "DS", {F::u16, F::u8, F::u8, F::hex_rest}},
    {46, "RRSIG", {F::type, F::u8, F::u8, F::u32, F::time, F::time, F::u16, F::name_n, F::b64_rest}},
    {47, "NSEC", {F::name_n, F::bitmap}},
    {48, "DNSKEY", {F::u16, F::u8, F::u8, F::b64_rest}},
    {50, "NSEC3", {F::u8, F::u8, F::u16, F::hex_len8, F::b32_len8, F::bitmap}},
    {51, "NSEC3PARAM", {F::u8, F::u8, F::u16, F::hex_len8}},
    {257, "CAA", {F::u8, F::caa_tag, F::caa_value}},
};
// Mnemonics without a descriptor (OPT has its own parser; ANY is a query type only).
constexpr TypeInfo pseudo[] = {{41, "OPT", {}}, {255, "ANY", {}}};

}  // namespace

const TypeInfo* type_info(std::uint16_t type) noexcept {
  for (const TypeInfo& t : types)
    if (t.code == type) return &t;
  return nullptr;
}
std::span<const TypeInfo> all_types() noexcept { return types; }
std::span<const TypeInfo> pseudo_types() noexcept { return pseudo; }

Result<FieldValue> read_field(Field f, std::span<const std::byte> buf, std::size_t& pos,
                              std::size_t end, bool in_message, std::size_t max_hops) noexcept {
  FieldValue v;
  v.kind = f;
  v.start = pos;
  const std::size_t left = end - pos;
  auto fixed = [&](std::size_t n) -> Result<FieldValue> {
    if (left < n) return make_error_code(Errc::bad_rdata_length);
    v.size = n;
    pos += n;
    return v;
  };
  switch (f) {
    case F::end: return v;
    case F::u8: return fixed(1);
    case F::u16: case F::type: return fixed(2);
    case F::u32: case F::ttl: case F::time: case F::ipv4: return fixed(4);
    case F::ipv6: return fixed(16);
    case F::name_c: case F::name_d: case F::name_n: {
      const bool allow = in_message && f != F::name_n;
      std::size_t p = pos;
      auto n = parse_name(buf.first(end), p, allow ? Compression::allowed : Compression::forbidden,
                          max_hops, in_message ? 12 : 0);
      if (!n) {
        // A name cut by RDLENGTH is a length problem of the record.
        if (n.error() == Errc::name_overrun) return make_error_code(Errc::bad_rdata_length);
        return n.error();
      }
      v.name = *n;
      v.size = p - pos;
      pos = p;
      return v;
    }
    case F::cstr: case F::caa_tag: case F::hex_len8: case F::b32_len8: {
      if (left < 1) return make_error_code(Errc::bad_rdata_length);
      const std::size_t n = static_cast<std::uint8_t>(buf[pos]);
      if (left - 1 < n) return make_error_code(f == F::cstr ? Errc::bad_character_string : Errc::bad_rdata_length);
      if (f == F::b32_len8 && n == 0) return make_error_code(Errc::bad_rdata_length);
      if (f == F::caa_tag) {
        if (n == 0) return make_error_code(Errc::bad_caa);
        for (std::size_t i = 0; i < n; ++i) {
          const auto c = static_cast<std::uint8_t>(buf[pos + 1 + i]);
          const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
          if (!alnum) return make_error_code(Errc::bad_caa);
        }
      }
      v.size = 1 + n;
      pos += v.size;
      return v;
    }
    case F::cstrs: {
      if (left < 1) return make_error_code(Errc::bad_rdata_length);
      std::size_t p = pos;
      while (p < end) {
        const std::size_t n = static_cast<std::uint8_t>(buf[p]);
        if (end - p - 1 < n) return make_error_code(Errc::bad_character_string);
        p += 1 + n;
      }
      v.size = p - pos;
      pos = p;
      return v;
    }
    case F::b64_rest: case F::hex_rest: case F::caa_value:
      v.size = left;
      pos = end;
      return v;
    case F::bitmap: {
      std::size_t p = pos;
      int prev = -1;
      while (p < end) {
        if (end - p < 2) return make_error_code(Errc::bad_type_bitmap);
        const int window = static_cast<std::uint8_t>(buf[p]);
        const std::size_t n = static_cast<std::uint8_t>(buf[p + 1]);
        if (window <= prev || n == 0 || n > 32 || end - p - 2 < n) return make_error_code(Errc::bad_type_bitmap);
        if (buf[p + 2 + n - 1] == std::byte{0}) return make_error_code(Errc::bad_type_bitmap);
        prev = window;
        p += 2 + n;
      }
      v.size = p - pos;
      pos = p;
      return v;
    }
  }
  return make_error_code(Errc::bad_rdata_length);
}

}  // namespace zp::codec::dns::detail
