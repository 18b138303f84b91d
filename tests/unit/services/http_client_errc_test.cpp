// The HTTP client's error vocabulary (category "zp.http.client"): one message per code.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "zp/http/client.h"

namespace {

namespace client = zp::http::client;

TEST(HttpClientErrc, EveryCodeHasItsOwnMessage) {
  const auto& cat = client::category();
  EXPECT_STREQ(cat.name(), "zp.http.client");
  std::set<std::string> seen;
  for (int i = 0; i <= int(client::Errc::bad_request); ++i) {
    const std::string m = cat.message(i);
    EXPECT_NE(m, "unknown http client error") << i;
    EXPECT_TRUE(seen.insert(m).second) << i << " repeats '" << m << "'";
  }
  EXPECT_EQ(client::make_error_code(client::Errc::userinfo_in_url).message(),
            "credentials in the URL are refused");
  EXPECT_EQ(client::make_error_code(client::Errc::too_many_origins).message(),
            "connection pool full (too many origins in use)");
  EXPECT_EQ(cat.message(int(client::Errc::bad_request) + 1), "unknown http client error");
}

}  // namespace
