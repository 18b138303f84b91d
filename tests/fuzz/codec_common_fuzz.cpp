// Fuzz target for codecs/common: the same input drives
//  - WireReader: the input is both data and program (each op byte picks a read); every
//    successful field is then written with WireWriter and read back (round-trip), and
//    stickiness is checked after the first failure;
//  - line framing: invariants of every line, and the split-input property (fed in two
//    pieces at an input-chosen split gives the same lines as fed whole);
//  - base64: strict decode(x) ok implies encode(decode(x)) == x (canonical), lenient
//    decode agrees with strict decode of the whitespace-free text, decode(encode(x)) == x.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "zp/codec/base64.h"
#include "zp/codec/lines.h"
#include "zp/codec/wire.h"

namespace {

using zp::codec::WireReader;
using zp::codec::WireWriter;
namespace lines = zp::codec::lines;
namespace b64 = zp::codec::base64;

struct Field {
  int kind;  // 0..3: u8/u16/u32/u64, 4: length-prefixed bytes
  std::uint64_t value;
  std::span<const std::byte> blob;
};

void write_fields(WireWriter& w, const std::vector<Field>& fields) {
  for (const auto& f : fields) {
    switch (f.kind) {
      case 0: w.put_u8(static_cast<std::uint8_t>(f.value)); break;
      case 1: w.put_u16be(static_cast<std::uint16_t>(f.value)); break;
      case 2: w.put_u32be(static_cast<std::uint32_t>(f.value)); break;
      case 3: w.put_u64be(f.value); break;
      default: {
        const std::size_t at = w.reserve(1);
        w.put_bytes(f.blob);
        w.patch_u8(at, static_cast<std::uint8_t>(f.blob.size()));
      }
    }
  }
}

void fuzz_wire(std::span<const std::byte> in) {
  WireReader r(in);
  std::vector<Field> fields;
  std::size_t total = 0;
  for (int ops = 0; ops < 4096 && r.ok() && !r.at_end(); ++ops) {
    const std::uint8_t op = r.u8();
    FUZZ_CHECK(r.ok());
    const std::size_t before = r.position();
    Field f{op % 9, 0, {}};
    switch (f.kind) {
      case 0: f.value = r.u8(); break;
      case 1: f.value = r.u16be(); break;
      case 2: f.value = r.u32be(); break;
      case 3: f.value = r.u64be(); break;
      case 4: f.blob = r.bytes(r.u8()); break;
      case 5: r.skip(op >> 4); continue;
      case 6: {
        const std::size_t to = r.u8();
        const std::size_t target = to > r.position() ? to : r.position();  // forward only
        r.seek(target);
        FUZZ_CHECK(!r.ok() || r.position() == target);
        continue;
      }
      case 7: {
        const auto p = r.peek(op >> 4);
        FUZZ_CHECK(p.size() == (r.remaining() >= (op >> 4u) ? (op >> 4u) : 0u));
        FUZZ_CHECK(r.position() == before);
        continue;
      }
      default:
        FUZZ_CHECK(r.peek_u8() == (r.remaining() ? std::to_integer<std::uint8_t>(in[before]) : 0));
        continue;
    }
    if (!r.ok()) {
      FUZZ_CHECK(f.value == 0 && f.blob.empty());
      break;
    }
    FUZZ_CHECK(r.position() <= in.size() && r.position() + r.remaining() == in.size());
    static constexpr std::size_t widths[] = {1, 2, 4, 8};
    total += f.kind == 4 ? 1 + f.blob.size() : widths[f.kind];
    fields.push_back(f);
  }
  if (!r.ok()) {  // sticky
    const std::size_t pos = r.position();
    FUZZ_CHECK(r.u8() == 0 && r.u16be() == 0 && r.u32be() == 0 && r.u64be() == 0);
    FUZZ_CHECK(r.bytes(0).empty() && r.bytes(1).empty() && r.remaining() == 0);
    r.seek(0);
    FUZZ_CHECK(r.position() == pos && !r.ok() && !r.status());
  }

  // Round trip: what was read, written back and read again, is the same.
  std::vector<std::byte> buf(total);
  WireWriter w(buf);
  write_fields(w, fields);
  FUZZ_CHECK(w.ok() && w.position() == total && w.remaining() == 0);
  WireReader back(w.written());
  for (const auto& f : fields) {
    switch (f.kind) {
      case 0: FUZZ_CHECK(back.u8() == f.value); break;
      case 1: FUZZ_CHECK(back.u16be() == f.value); break;
      case 2: FUZZ_CHECK(back.u32be() == f.value); break;
      case 3: FUZZ_CHECK(back.u64be() == f.value); break;
      default: {
        const auto v = back.bytes(back.u8());
        FUZZ_CHECK(v.size() == f.blob.size() &&
                   (v.empty() || std::memcmp(v.data(), f.blob.data(), v.size()) == 0));
      }
    }
  }
  FUZZ_CHECK(back.at_end());
  if (total > 0) {
    std::vector<std::byte> small(total - 1);
    WireWriter ws(small);
    write_fields(ws, fields);
    FUZZ_CHECK(!ws.ok() && ws.error() == zp::codec::wire::Errc::overflow);
  }
}

// Frames `chunks` as a connection would; returns lines then "!errc" or "?rest".
std::vector<std::string> frame(std::string_view a, std::string_view b, const lines::Limits& lim) {
  std::vector<std::string> out;
  std::string buf;
  for (std::string_view chunk : {a, b}) {
    buf.append(chunk);
    for (;;) {
      const auto r = lines::next_line(std::span<const char>(buf.data(), buf.size()), lim);
      if (r.status == lines::Status::ok) {
        out.emplace_back(r.line);
        buf.erase(0, r.consumed);
      } else if (r.status == lines::Status::error) {
        out.push_back("!" + std::to_string(static_cast<int>(r.error)));
        return out;
      } else {
        break;
      }
    }
  }
  out.push_back("?" + buf);
  return out;
}

void fuzz_lines(std::string_view in) {
  const std::uint8_t h = in.empty() ? 0 : static_cast<std::uint8_t>(in[0]);
  for (bool lenient : {false, true}) {
    const lines::Limits lim{.max_line_bytes = (h & 1) ? std::size_t{8192} : std::size_t{(h >> 1) % 64u},
                            .allow_bare_lf = lenient};
    std::string_view rest = in;
    for (;;) {
      const auto r = lines::next_line(rest, lim);
      if (r.status != lines::Status::ok) {
        FUZZ_CHECK(r.consumed == 0 && r.line.empty());
        FUZZ_CHECK((r.status == lines::Status::error) == (r.error != lines::Errc::ok));
        break;
      }
      FUZZ_CHECK(r.line.data() == rest.data());
      FUZZ_CHECK(r.line.size() <= lim.max_line_bytes);
      FUZZ_CHECK(r.line.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos);
      FUZZ_CHECK(r.consumed == r.line.size() + 2 ||
                 (lenient && r.consumed == r.line.size() + 1 && rest[r.line.size()] == '\n'));
      rest.remove_prefix(r.consumed);
    }
    const std::size_t split = in.size() < 2 ? 0
        : (static_cast<std::size_t>(static_cast<std::uint8_t>(in[1])) * 7919) % (in.size() + 1);
    FUZZ_CHECK(frame(in.substr(0, split), in.substr(split), lim) == frame(in, {}, lim));
  }
}

void fuzz_base64(std::string_view text) {
  std::vector<std::byte> out(b64::decoded_size_max(text.size()));
  std::vector<char> enc(b64::encoded_size(text.size()) + 1);

  const auto strict = b64::decode(text, out);
  std::string strict_bytes;
  if (strict) {
    FUZZ_CHECK(*strict <= out.size());
    strict_bytes.assign(reinterpret_cast<const char*>(out.data()), *strict);
    const auto n = b64::encode(std::span(out.data(), *strict), enc);
    FUZZ_CHECK(n && std::string_view(enc.data(), *n) == text);  // canonical
  }

  std::string packed;
  for (char c : text)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') packed += c;
  const auto lenient = b64::decode(text, out, {.skip_whitespace = true});
  std::vector<std::byte> packed_out(out.size());
  const auto packed_strict = b64::decode(packed, packed_out);
  FUZZ_CHECK(lenient.ok() == packed_strict.ok());
  if (strict) FUZZ_CHECK(lenient && *lenient == *strict);
  if (lenient) {
    const std::string_view got(reinterpret_cast<const char*>(out.data()), *lenient);
    FUZZ_CHECK(!strict || got == strict_bytes);
    FUZZ_CHECK(*packed_strict == *lenient &&
               (got.empty() || std::memcmp(packed_out.data(), got.data(), got.size()) == 0));
    const auto n = b64::encode(std::span(out.data(), *lenient), enc);
    FUZZ_CHECK(n && std::string_view(enc.data(), *n) == packed);
  }

  // decode(encode(x)) == x over the raw input bytes.
  const auto raw = std::as_bytes(std::span(text.data(), text.size()));
  const auto n = b64::encode(raw, enc);
  FUZZ_CHECK(n && *n == b64::encoded_size(raw.size()));
  std::vector<std::byte> round(raw.size());
  const auto m = b64::decode(std::string_view(enc.data(), *n), round);
  FUZZ_CHECK(m && *m == raw.size() &&
             (raw.empty() || std::memcmp(round.data(), raw.data(), raw.size()) == 0));
  // One byte short of room is an error, never an overflow.
  if (!raw.empty()) {
    const auto short_enc = b64::encode(raw, std::span(enc.data(), *n - 1));
    FUZZ_CHECK(!short_enc && short_enc.error() == b64::Errc::buffer_too_small);
    const auto short_dec = b64::decode(std::string_view(enc.data(), *n),
                                       std::span(round.data(), raw.size() - 1));
    FUZZ_CHECK(!short_dec && short_dec.error() == b64::Errc::buffer_too_small);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const char* chars = reinterpret_cast<const char*>(data);
  fuzz_wire(std::as_bytes(std::span(data, size)));
  fuzz_lines(std::string_view(chars, size));
  fuzz_base64(std::string_view(chars, size));
  return 0;
}
