// The smuggling corpus (vectors/smuggling.txt): each case's raw bytes must end with the
// expected Errc and status, whole, split at every point (or a sample of points for big
// inputs) and fed one byte at a time.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "stream.h"
#include "zp/codec/http1/errc.h"

namespace {

namespace h1 = zp::codec::http1;
using zp_test_http1::describe;
using zp_test_http1::Outcome;
using zp_test_http1::run_stream;

struct Case {
  int line = 0;
  std::string name, expected;
  int status = 0;
  std::string input;
};

std::vector<Case> load(const std::string& file) {
  std::ifstream f(std::string(ZP_CODEC_VECTORS_DIR) + "/" + file);
  EXPECT_TRUE(f) << file;
  std::vector<Case> cases;
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    Case c;
    c.line = n;
    const auto q1 = line.find('"');
    const auto q2 = line.rfind('"');
    EXPECT_TRUE(q1 != std::string::npos && q2 > q1) << file << ":" << n;
    std::istringstream head(line.substr(0, q1));
    head >> c.name >> c.expected >> c.status;
    c.input = zp_test_http1::unescape(std::string_view(line).substr(q1 + 1, q2 - q1 - 1));
    cases.push_back(std::move(c));
  }
  return cases;
}

h1::Errc errc_by_name(const std::string& name) {
  for (int i = 0; i < 64; ++i)
    if (h1::errc_name(static_cast<h1::Errc>(i)) == name) return static_cast<h1::Errc>(i);
  ADD_FAILURE() << "unknown Errc name " << name;
  return h1::Errc::ok;
}

TEST(Http1Vectors, SmugglingCorpus) {
  const auto cases = load("smuggling.txt");
  EXPECT_GE(cases.size(), 40u);
  std::map<std::string, int> names;
  for (const auto& c : cases) {
    SCOPED_TRACE("smuggling.txt:" + std::to_string(c.line) + " " + c.name);
    EXPECT_EQ(++names[c.name], 1) << "duplicate case name";
    const Outcome whole = run_stream({c.input});
    if (c.expected == "ok") {
      EXPECT_EQ(whole.status, h1::Status::complete) << describe(whole);
      EXPECT_EQ(c.status, 200);
    } else if (c.expected == "need_more") {
      EXPECT_EQ(whole.status, h1::Status::need_more) << describe(whole);
      EXPECT_EQ(c.status, 0);
    } else {
      const h1::Errc e = errc_by_name(c.expected);
      EXPECT_EQ(whole.status, h1::Status::error) << describe(whole);
      EXPECT_EQ(h1::errc_name(whole.error), c.expected) << describe(whole);
      EXPECT_EQ(h1::status_for(e).code, c.status);
    }
    // Split-input property.
    const std::size_t n = c.input.size();
    const std::size_t step = n > 1500 ? n / 97 : 1;
    for (std::size_t k = 0; k <= n; k += step) {
      const std::string_view in(c.input);
      EXPECT_EQ(run_stream({in.substr(0, k), in.substr(k)}), whole) << "split at " << k;
    }
    if (n <= 400) {
      std::vector<std::string_view> bytes;
      for (std::size_t i = 0; i < n; ++i) bytes.push_back(std::string_view(c.input).substr(i, 1));
      EXPECT_EQ(run_stream(bytes), whole) << "byte by byte";
    }
  }
}

}  // namespace
