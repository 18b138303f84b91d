// Over-read detection, as picohttpparser does it: each input is copied to the very end of
// a readable page followed by a PROT_NONE page, so reading one byte past it crashes
// (with or without ASan). Every prefix of each sample input is parsed this way.
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "zp/codec/base64.h"
#include "zp/codec/lines.h"
#include "zp/codec/wire.h"
#include "../../../common/guarded_buffer.h"

namespace {

namespace lines = zp::codec::lines;
namespace b64 = zp::codec::base64;

using zp::test::GuardedBuffer;

const std::vector<std::string>& samples() {
  static const std::vector<std::string> s = {
      "EHLO x\r\nMAIL FROM:<a@b>\r\n",
      std::string("bare\nlf\rcr\0nul\r\n", 17),
      "Zm9vYmFy",
      "Zm9vYg==",
      "Zm9v\r\nYmE=",
      "Zh==",
      // DNS-like: header, a name with a compression pointer, type/class/ttl/rdlength.
      std::string("\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00"
                  "\x03www\x07" "example\x03" "com\x00\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04"
                  "\x7f\x00\x00\x01",
                  45),
  };
  return s;
}

TEST(GuardPage, TheGuardCatchesAnOverRead) {
  GuardedBuffer g;
  auto in = g.place("ab");
  EXPECT_DEATH(
      {
        volatile const char* p = in.data();
        (void)p[in.size()];
      },
      "");
}

TEST(GuardPage, LinesReadOnlyTheirInput) {
  GuardedBuffer g;
  for (const auto& s : samples()) {
    for (std::size_t n = 0; n <= s.size(); ++n) {
      auto in = g.place(std::string_view(s).substr(0, n));
      for (bool lenient : {false, true}) {
        for (std::size_t max : {std::size_t{0}, std::size_t{3}, std::size_t{8192}}) {
          auto r = lines::next_line(in, {.max_line_bytes = max, .allow_bare_lf = lenient});
          EXPECT_LE(r.consumed, n);
        }
      }
    }
  }
}

TEST(GuardPage, Base64ReadsOnlyItsInput) {
  GuardedBuffer g;
  std::byte out[64];
  for (const auto& s : samples()) {
    for (std::size_t n = 0; n <= s.size(); ++n) {
      auto in = g.place(std::string_view(s).substr(0, n));
      const std::string_view text(in.data(), in.size());
      (void)b64::decode(text, out);
      (void)b64::decode(text, out, {.skip_whitespace = true});
      char enc[128];
      auto e = b64::encode(std::as_bytes(in), enc);
      EXPECT_TRUE(e);
    }
  }
}

TEST(GuardPage, WireReaderReadsOnlyItsInput) {
  GuardedBuffer g;
  for (const auto& s : samples()) {
    for (std::size_t n = 0; n <= s.size(); ++n) {
      auto in = g.place_bytes(std::string_view(s).substr(0, n));
      // A DNS-style walk that trusts the lengths it reads.
      zp::codec::WireReader r(in);
      r.skip(12);
      for (int labels = 0; labels < 64 && r.ok(); ++labels) {
        const std::uint8_t len = r.peek_u8();
        if (len == 0) break;
        if ((len & 0xc0) == 0xc0) {
          r.u16be();
          break;
        }
        r.bytes(r.u8());
      }
      r.u16be();
      r.u16be();
      r.u32be();
      auto rdata = r.bytes(r.u16be());
      (void)rdata;
      // Every width at every offset, one past the end included.
      for (std::size_t at = 0; at <= n; ++at) {
        for (std::size_t width : {1, 2, 4, 8}) {
          zp::codec::WireReader w(in);
          w.seek(at);
          switch (width) {
            case 1: (void)w.u8(); break;
            case 2: (void)w.u16be(); break;
            case 4: (void)w.u32be(); break;
            default: (void)w.u64be();
          }
          EXPECT_EQ(w.ok(), n - at >= width);
          zp::codec::WireReader p(in);
          p.seek(at);
          EXPECT_EQ(p.peek(width).size(), n - at >= width ? width : 0);
          (void)p.peek_u8();
          (void)p.bytes(n - at + 1);
          EXPECT_FALSE(p.ok());
        }
      }
    }
  }
}

}  // namespace
