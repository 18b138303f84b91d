// WireReader / WireWriter: big-endian fields, sticky errors, seek, reserve-and-patch,
// and a writer/reader round-trip over random field sequences.
#include "zp/codec/wire.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <vector>

namespace {

using zp::codec::WireReader;
using zp::codec::WireWriter;
using zp::codec::wire::Errc;

template <class... T>
std::vector<std::byte> bytes_of(T... v) {
  return {static_cast<std::byte>(v)...};
}

TEST(WireReader, ReadsBigEndianFields) {
  auto in = bytes_of(0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
                     0x0d, 0x0e, 0x0f, 0x10);
  WireReader r(in);
  EXPECT_EQ(r.u8(), 0x01);
  EXPECT_EQ(r.u16be(), 0x0203);
  EXPECT_EQ(r.u32be(), 0x04050607u);
  EXPECT_EQ(r.u64be(), 0x08090a0b0c0d0e0full);
  EXPECT_EQ(r.position(), 15u);
  EXPECT_EQ(r.remaining(), 1u);
  EXPECT_FALSE(r.at_end());
  EXPECT_EQ(r.u8(), 0x10);
  EXPECT_TRUE(r.at_end());
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.status().ok());
}

TEST(WireReader, BytesAreViewsIntoTheInput) {
  auto in = bytes_of(3, 'a', 'b', 'c', 9);
  WireReader r(in);
  auto v = r.bytes(r.u8());
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v.data(), in.data() + 1);
  EXPECT_TRUE(r.bytes(0).empty());
  EXPECT_TRUE(r.ok());
  r.skip(1);
  EXPECT_TRUE(r.at_end());
}

TEST(WireReader, OverrunIsStickyAndReadsReturnZero) {
  auto in = bytes_of(0xff, 0xff, 0xff, 0xff, 0xff);
  WireReader r(in);
  EXPECT_EQ(r.u16be(), 0xffff);
  EXPECT_EQ(r.u32be(), 0u);  // 3 bytes left: overrun
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Errc::overrun);
  EXPECT_EQ(r.position(), 2u);  // where the failing read started
  EXPECT_EQ(r.remaining(), 0u);
  // Bytes remain in the buffer, but the reader stays failed.
  EXPECT_EQ(r.u8(), 0u);
  EXPECT_EQ(r.u16be(), 0u);
  EXPECT_EQ(r.u64be(), 0u);
  EXPECT_TRUE(r.bytes(1).empty());
  EXPECT_TRUE(r.bytes(0).empty());
  EXPECT_EQ(r.peek_u8(), 0u);
  EXPECT_TRUE(r.peek(1).empty());
  r.seek(0);
  r.skip(1);
  EXPECT_EQ(r.position(), 2u);
  EXPECT_FALSE(r.at_end());
  EXPECT_EQ(r.error(), Errc::overrun);
  zp::Result<void> s = r.status();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), Errc::overrun);
  EXPECT_STREQ(s.error().category().name(), "zp.codec.wire");
  EXPECT_FALSE(s.error().message().empty());
}

TEST(WireReader, EmptyAndDefaultReaders) {
  WireReader d;
  EXPECT_TRUE(d.at_end());
  EXPECT_TRUE(d.bytes(0).empty());
  EXPECT_TRUE(d.ok());
  EXPECT_EQ(d.u8(), 0u);
  EXPECT_EQ(d.error(), Errc::overrun);
  WireReader e(std::span<const std::byte>{});
  e.skip(1);
  EXPECT_EQ(e.error(), Errc::overrun);
}

TEST(WireReader, HugeLengthsDoNotWrap) {
  auto in = bytes_of(1, 2, 3);
  WireReader r(in);
  r.u8();
  EXPECT_TRUE(r.bytes(SIZE_MAX).empty());
  EXPECT_EQ(r.error(), Errc::overrun);
  WireReader s(in);
  s.skip(1);
  s.skip(SIZE_MAX - 0);
  EXPECT_EQ(s.error(), Errc::overrun);
}

TEST(WireReader, PeekDoesNotAdvanceOrFail) {
  auto in = bytes_of(0xc0, 0x0c);
  WireReader r(in);
  EXPECT_EQ(r.peek_u8(), 0xc0);
  EXPECT_EQ(r.peek(2).size(), 2u);
  EXPECT_TRUE(r.peek(3).empty());
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.position(), 0u);
  r.skip(2);
  EXPECT_EQ(r.peek_u8(), 0u);
  EXPECT_TRUE(r.ok());
}

TEST(WireReader, SeekFollowsACompressionPointer) {
  // "\3www\0" at 0, then a pointer 0xc000 at 5.
  auto in = bytes_of(3, 'w', 'w', 'w', 0, 0xc0, 0x00);
  WireReader r(in);
  r.seek(5);
  const std::uint16_t ptr = r.u16be();
  ASSERT_EQ(ptr & 0xc000, 0xc000);
  const std::size_t resume = r.position();
  r.seek(ptr & 0x3fff);
  EXPECT_EQ(r.bytes(r.u8()).size(), 3u);
  EXPECT_EQ(r.u8(), 0u);
  r.seek(resume);
  EXPECT_TRUE(r.at_end());
  r.seek(in.size());  // seeking to the end is allowed
  EXPECT_TRUE(r.ok());
  r.seek(in.size() + 1);
  EXPECT_EQ(r.error(), Errc::bad_seek);
  EXPECT_EQ(r.position(), in.size());
}

TEST(WireWriter, WritesBigEndianFields) {
  std::array<std::byte, 15> buf{};
  WireWriter w(buf);
  w.put_u8(0x01);
  w.put_u16be(0x0203);
  w.put_u32be(0x04050607);
  w.put_u64be(0x08090a0b0c0d0e0f);
  EXPECT_TRUE(w.ok());
  EXPECT_EQ(w.remaining(), 0u);
  for (std::size_t i = 0; i < buf.size(); ++i) EXPECT_EQ(buf[i], std::byte(i + 1)) << i;
  EXPECT_EQ(w.written().size(), 15u);
}

TEST(WireWriter, OverflowIsStickyAndWritesNothingPartial) {
  std::array<std::byte, 5> buf{};
  buf.fill(std::byte{0xee});
  WireWriter w(buf);
  w.put_u16be(0x1234);
  w.put_u32be(0xdeadbeef);  // 3 bytes left: nothing written
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.error(), Errc::overflow);
  EXPECT_EQ(w.position(), 2u);
  EXPECT_EQ(buf[2], std::byte{0xee});
  w.put_u8(1);  // would fit, but the writer failed
  w.put_bytes(bytes_of(1));
  EXPECT_EQ(w.reserve(1), 2u);
  w.patch_u8(0, 0);
  EXPECT_EQ(buf[0], std::byte{0x12});
  EXPECT_EQ(buf[2], std::byte{0xee});
  EXPECT_EQ(w.written().size(), 2u);
  EXPECT_EQ(w.remaining(), 0u);
  EXPECT_EQ(w.status().error(), Errc::overflow);
}

TEST(WireWriter, ReserveAndPatchALengthPrefix) {
  std::array<std::byte, 16> buf{};
  WireWriter w(buf);
  w.put_u8(0x30);
  const std::size_t at = w.reserve(2);
  EXPECT_EQ(at, 1u);
  w.put_bytes(bytes_of('h', 'e', 'l', 'l', 'o'));
  w.patch_u16be(at, static_cast<std::uint16_t>(w.position() - at - 2));
  ASSERT_TRUE(w.ok());
  WireReader r(w.written());
  EXPECT_EQ(r.u8(), 0x30);
  EXPECT_EQ(r.bytes(r.u16be()).size(), 5u);
  EXPECT_TRUE(r.at_end());
  const std::size_t at32 = w.reserve(4);
  w.patch_u32be(at32, 0xa1b2c3d4);
  WireReader r2(w.written());
  r2.seek(at32);
  EXPECT_EQ(r2.u32be(), 0xa1b2c3d4u);
}

TEST(WireWriter, PatchOutsideWrittenBytesFails) {
  std::array<std::byte, 8> buf{};
  WireWriter w(buf);
  w.reserve(2);
  w.patch_u16be(1, 0xffff);  // [1,3) passes position 2
  EXPECT_EQ(w.error(), Errc::bad_patch);
  WireWriter w2(buf);
  w2.patch_u8(SIZE_MAX, 1);
  EXPECT_EQ(w2.error(), Errc::bad_patch);
}

// Random field sequences: written then read back give the same values; one byte less
// of buffer overflows; a truncated image overruns.
TEST(WireRoundTrip, RandomFieldSequences) {
  std::mt19937_64 rng(20240611);
  for (int iter = 0; iter < 2000; ++iter) {
    struct Field {
      int kind;
      std::uint64_t value;
      std::vector<std::byte> blob;
    };
    std::vector<Field> fields(rng() % 12);
    std::size_t total = 0;
    for (auto& f : fields) {
      f.kind = static_cast<int>(rng() % 5);
      f.value = rng();
      if (f.kind == 4) {
        f.blob.resize(rng() % 40);
        for (auto& b : f.blob) b = static_cast<std::byte>(rng());
      }
      static constexpr std::size_t widths[] = {1, 2, 4, 8, 0};
      total += f.kind == 4 ? 2 + f.blob.size() : widths[f.kind];
    }
    auto write = [&](WireWriter& w) {
      for (const auto& f : fields) {
        switch (f.kind) {
          case 0: w.put_u8(static_cast<std::uint8_t>(f.value)); break;
          case 1: w.put_u16be(static_cast<std::uint16_t>(f.value)); break;
          case 2: w.put_u32be(static_cast<std::uint32_t>(f.value)); break;
          case 3: w.put_u64be(f.value); break;
          default: {
            const std::size_t at = w.reserve(2);
            w.put_bytes(f.blob);
            w.patch_u16be(at, static_cast<std::uint16_t>(f.blob.size()));
          }
        }
      }
    };
    std::vector<std::byte> buf(total);
    WireWriter w(buf);
    write(w);
    ASSERT_TRUE(w.ok());
    ASSERT_EQ(w.position(), total);

    WireReader r(buf);
    for (const auto& f : fields) {
      switch (f.kind) {
        case 0: EXPECT_EQ(r.u8(), static_cast<std::uint8_t>(f.value)); break;
        case 1: EXPECT_EQ(r.u16be(), static_cast<std::uint16_t>(f.value)); break;
        case 2: EXPECT_EQ(r.u32be(), static_cast<std::uint32_t>(f.value)); break;
        case 3: EXPECT_EQ(r.u64be(), f.value); break;
        default: {
          auto v = r.bytes(r.u16be());
          EXPECT_TRUE(std::equal(v.begin(), v.end(), f.blob.begin(), f.blob.end()));
        }
      }
    }
    EXPECT_TRUE(r.at_end());

    if (total == 0) continue;
    std::vector<std::byte> small(total - 1);
    WireWriter ws(small);
    write(ws);
    EXPECT_EQ(ws.error(), Errc::overflow);
    WireReader rt(std::span<const std::byte>(buf).first(total - 1));
    for (const auto& f : fields) {
      switch (f.kind) {
        case 0: rt.u8(); break;
        case 1: rt.u16be(); break;
        case 2: rt.u32be(); break;
        case 3: rt.u64be(); break;
        default: rt.bytes(rt.u16be());
      }
    }
    EXPECT_EQ(rt.error(), Errc::overrun);
  }
}

}  // namespace
