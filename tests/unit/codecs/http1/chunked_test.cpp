// Chunked decoding (RFC 9112 §7.1): the RFC-style example, every split in up to three
// pieces, in-place decoding, leftovers after the body, sticky errors, limits; the encoder's
// chunk framing decodes back to the data.
#include "zp/codec/http1/chunked.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

namespace h1 = zp::codec::http1;
using h1::Errc;
using h1::Status;

constexpr std::string_view kBody = "4\r\nWiki\r\n5;ext=1\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-T: v\r\n\r\n";
constexpr std::string_view kData = "Wikipedia in\r\n\r\nchunks.";

struct Decoded {
  std::string data;
  Status status = Status::need_more;
  Errc error = Errc::ok;
  std::size_t left = 0;  // bytes after the body in the last piece
  bool operator==(const Decoded&) const = default;
};

Decoded decode_pieces(const std::vector<std::string_view>& pieces, const h1::Limits& limits = {}) {
  h1::ChunkedDecoder d{};
  Decoded out;
  for (std::string_view piece : pieces) {
    std::span<const char> in(piece.data(), piece.size());
    while (true) {
      auto r = d.decode(in, limits);
      if (r.status == Status::error) {
        out.status = Status::error;
        out.error = r.error;
        return out;
      }
      out.data.append(r.data.data(), r.data.size());
      in = in.subspan(r.consumed);
      if (r.status == Status::complete) {
        out.status = Status::complete;
        out.left = in.size();
        return out;
      }
      if (in.empty()) break;
    }
  }
  return out;
}

TEST(Http1Chunked, DecodesTheExample) {
  auto d = decode_pieces({kBody});
  EXPECT_EQ(d.status, Status::complete);
  EXPECT_EQ(d.data, kData);
  EXPECT_EQ(d.left, 0u);
}

TEST(Http1Chunked, DataIsAViewIntoTheInput) {
  h1::ChunkedDecoder d{};
  std::string_view in = "5\r\nhello\r\n";
  auto r = d.decode(std::span<const char>(in.data(), in.size()));
  EXPECT_EQ(r.status, Status::need_more);
  EXPECT_EQ(r.data.data(), in.data() + 3);
  EXPECT_EQ(std::string_view(r.data.data(), r.data.size()), "hello");
  EXPECT_EQ(r.consumed, 8u);
}

TEST(Http1Chunked, EverySplitGivesTheSameResult) {
  const auto whole = decode_pieces({kBody});
  for (std::size_t i = 0; i <= kBody.size(); ++i)
    for (std::size_t j = i; j <= kBody.size(); ++j)
      ASSERT_EQ(decode_pieces({kBody.substr(0, i), kBody.substr(i, j - i), kBody.substr(j)}), whole)
          << i << "," << j;
}

TEST(Http1Chunked, StopsAtTheEndOfTheBody) {
  std::string in = std::string(kBody) + "GET / HTTP/1.1\r\n";
  auto d = decode_pieces({in});
  EXPECT_EQ(d.status, Status::complete);
  EXPECT_EQ(d.left, 16u);
}

TEST(Http1Chunked, InPlace) {
  std::string buf = std::string(kBody) + "NEXT";
  h1::ChunkedDecoder d{};
  auto r = d.decode_in_place(buf);
  ASSERT_EQ(r.status, Status::complete);
  EXPECT_EQ(buf.substr(0, r.size), kData);
  EXPECT_EQ(buf.substr(r.consumed), "NEXT");
  EXPECT_TRUE(d.done());
  // Incrementally: two halves, data accumulates at each buffer's front.
  h1::ChunkedDecoder d2{};
  std::string a(kBody.substr(0, 20)), b(kBody.substr(20));
  auto ra = d2.decode_in_place(a);
  EXPECT_EQ(ra.status, Status::need_more);
  EXPECT_EQ(ra.consumed, a.size());
  auto rb = d2.decode_in_place(b);
  EXPECT_EQ(rb.status, Status::complete);
  EXPECT_EQ(a.substr(0, ra.size) + b.substr(0, rb.size), kData);
}

TEST(Http1Chunked, ErrorsAreSticky) {
  h1::ChunkedDecoder d{};
  std::string_view bad = "zz\r\n";
  auto r = d.decode(std::span<const char>(bad.data(), bad.size()));
  EXPECT_EQ(r.status, Status::error);
  EXPECT_EQ(r.error, Errc::bad_chunk_size);
  std::string_view good = "0\r\n\r\n";
  auto r2 = d.decode(std::span<const char>(good.data(), good.size()));
  EXPECT_EQ(r2.status, Status::error);
  EXPECT_EQ(r2.error, Errc::bad_chunk_size);
}

TEST(Http1Chunked, Limits) {
  EXPECT_EQ(decode_pieces({"a\r\n0123456789\r\n0\r\n\r\n"}, {.max_body_bytes = 10}).status, Status::complete);
  EXPECT_EQ(decode_pieces({"a\r\n0123456789\r\n1\r\nx\r\n0\r\n\r\n"}, {.max_body_bytes = 10}).error,
            Errc::body_too_large);
  EXPECT_EQ(decode_pieces({"b\r\n"}, {.max_body_bytes = 10}).error, Errc::body_too_large);
  // With no body limit, hex overflow is still caught.
  const h1::Limits unlimited{.max_body_bytes = std::numeric_limits<std::uint64_t>::max()};
  EXPECT_EQ(decode_pieces({"ffffffffffffffff\r\n"}, unlimited).status, Status::need_more);
  EXPECT_EQ(decode_pieces({"10000000000000000\r\n"}, unlimited).error, Errc::bad_chunk_size);
  EXPECT_EQ(decode_pieces({"00000000000000000000001\r\nx\r\n0\r\n\r\n"}, unlimited).status, Status::complete);
  EXPECT_EQ(decode_pieces({"1;" + std::string(20, 'e') + "\r\nx\r\n0\r\n\r\n"}, {.max_chunk_line_bytes = 24}).status,
            Status::complete);
  EXPECT_EQ(decode_pieces({"1;" + std::string(21, 'e') + "\r\nx\r\n0\r\n\r\n"}, {.max_chunk_line_bytes = 24}).error,
            Errc::chunk_line_too_long);
  EXPECT_EQ(decode_pieces({"0\r\nA: " + std::string(100, 'v') + "\r\n\r\n"}, {.max_trailer_bytes = 64}).error,
            Errc::trailers_too_large);
}

// The malformed framings the server answers with 400 (or 413 for the limit) and a close,
// each with its own error, in one piece and split at every byte.
TEST(Http1Chunked, MalformedFramingHasItsError) {
  struct Case {
    std::string_view name;
    std::string body;
    Errc error;
    int status;
  };
  const h1::Limits limits{.max_body_bytes = 1024};
  const Case cases[] = {
      {"size over 64 bits", "10000000000000000\r\nx\r\n0\r\n\r\n", Errc::bad_chunk_size, 400},
      {"size over 64 bits, leading zeros", "0010000000000000000\r\n", Errc::bad_chunk_size, 400},
      {"size all f and one more", "fffffffffffffffff\r\n", Errc::bad_chunk_size, 400},
      {"negative size", "-5\r\nhello\r\n0\r\n\r\n", Errc::bad_chunk_size, 400},
      {"plus sign", "+5\r\nhello\r\n0\r\n\r\n", Errc::bad_chunk_size, 400},
      {"0x prefix", "0x5\r\nhello\r\n0\r\n\r\n", Errc::bad_chunk_size, 400},
      {"0X prefix", "0X5\r\nhello\r\n0\r\n\r\n", Errc::bad_chunk_size, 400},
      {"junk after the size", "5g\r\nhello\r\n0\r\n\r\n", Errc::bad_chunk_size, 400},
      {"junk after a space", "5 g\r\nhello\r\n0\r\n\r\n", Errc::bad_chunk_size, 400},
      {"empty size", "\r\nhello\r\n0\r\n\r\n", Errc::bad_chunk_size, 400},
      {"no CRLF after the data", "5\r\nhelloX\r\n0\r\n\r\n", Errc::bad_chunk_terminator, 400},
      {"data longer than the size", "3\r\nhello\r\n0\r\n\r\n", Errc::bad_chunk_terminator, 400},
      {"bare LF after the data", "5\r\nhello\n0\r\n\r\n", Errc::bare_lf, 400},
      {"bare CR after the data", "5\r\nhello\rX0\r\n\r\n", Errc::bare_cr, 400},
      {"chunk over the body limit", "401\r\n", Errc::body_too_large, 413},
      {"total over the body limit", "400\r\n" + std::string(1024, 'x') + "\r\n1\r\nx\r\n0\r\n\r\n",
       Errc::body_too_large, 413},
      {"u64 max over the body limit", "ffffffffffffffff\r\n", Errc::body_too_large, 413},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.name));
    const auto whole = decode_pieces({c.body}, limits);
    EXPECT_EQ(whole.status, Status::error);
    EXPECT_EQ(whole.error, c.error);
    EXPECT_EQ(h1::status_for(c.error).code, c.status);
    const std::string_view b = c.body;
    for (std::size_t i = 0; i <= b.size(); ++i)
      ASSERT_EQ(decode_pieces({b.substr(0, i), b.substr(i)}, limits), whole) << "split at " << i;
  }
  // Exactly the limit is fine.
  EXPECT_EQ(decode_pieces({"400\r\n" + std::string(1024, 'x') + "\r\n0\r\n\r\n"}, limits).status, Status::complete);
}

TEST(Http1Chunked, EncoderRoundTrip) {
  std::mt19937 rng(7);
  for (int iter = 0; iter < 200; ++iter) {
    std::string data, wire;
    const int chunks = static_cast<int>(rng() % 5);
    for (int c = 0; c < chunks; ++c) {
      std::string piece(1 + rng() % 300, '\0');
      for (auto& ch : piece) ch = static_cast<char>(rng());
      char hdr[h1::max_chunk_header_bytes];
      const std::size_t n = h1::write_chunk_header(piece.size(), hdr);
      ASSERT_GT(n, 2u);
      wire.append(hdr, n).append(piece).append(h1::chunk_data_end);
      data += piece;
    }
    wire += h1::last_chunk;
    auto d = decode_pieces({wire});
    ASSERT_EQ(d.status, Status::complete);
    EXPECT_EQ(d.data, data);
  }
  char small[3];
  EXPECT_EQ(h1::write_chunk_header(0x100, small), 0u);
  EXPECT_EQ(h1::write_chunk_header(0, small), 0u);
  char big[h1::max_chunk_header_bytes];
  EXPECT_EQ(h1::write_chunk_header(std::numeric_limits<std::uint64_t>::max(), big), 18u);
  EXPECT_EQ(std::string_view(big, 18), "ffffffffffffffff\r\n");
}

}  // namespace
