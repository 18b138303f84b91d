// url: components of RFC 3986 §1.1.2 and §3 examples, strict rejections (vector file),
// IP literals (checked against inet_pton), ports, limits, options, redaction, and
// parse -> serialize -> parse round trips.
#include "zp/codec/url/url.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <string>

#include "vectors.h"

namespace {

namespace url = zp::codec::url;
using url::Errc;
using url::HostKind;
using zp_url_test::read_lines;
using zp_url_test::split_vector;

url::Url must_parse(std::string_view s, const url::Limits& lim = {}) {
  auto r = url::parse(s, lim);
  EXPECT_TRUE(r) << s << ": " << (r ? "" : r.error().message());
  return r ? *r : url::Url{};
}

std::string serialize(const url::Url& u) {
  std::string out(url::serialized_size(u), '\0');
  auto n = url::serialize(u, out);
  EXPECT_TRUE(n);
  if (!n) return "<error>";
  EXPECT_EQ(*n, out.size());
  return out;
}

TEST(Url, Rfc3986Section3Example) {
  const auto u = must_parse("foo://example.com:8042/over/there?name=ferret#nose");
  EXPECT_EQ(u.scheme, "foo");
  EXPECT_TRUE(u.has_authority);
  EXPECT_FALSE(u.has_userinfo);
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.host_kind, HostKind::reg_name);
  EXPECT_TRUE(u.has_port);
  EXPECT_EQ(u.port, "8042");
  EXPECT_EQ(u.port_number, 8042);
  EXPECT_EQ(u.path, "/over/there");
  EXPECT_TRUE(u.has_query);
  EXPECT_EQ(u.query, "name=ferret");
  EXPECT_TRUE(u.has_fragment);
  EXPECT_EQ(u.fragment, "nose");
  EXPECT_EQ(u.effective_port(), 8042);

  const auto urn = must_parse("urn:example:animal:ferret:nose");
  EXPECT_EQ(urn.scheme, "urn");
  EXPECT_FALSE(urn.has_authority);
  EXPECT_EQ(urn.path, "example:animal:ferret:nose");
}

TEST(Url, Rfc3986Section112Examples) {
  auto u = must_parse("ftp://ftp.is.co.za/rfc/rfc1808.txt");
  EXPECT_EQ(u.scheme, "ftp");
  EXPECT_EQ(u.host, "ftp.is.co.za");
  EXPECT_EQ(u.path, "/rfc/rfc1808.txt");
  EXPECT_EQ(u.effective_port(), 21);

  u = must_parse("http://www.ietf.org/rfc/rfc2396.txt");
  EXPECT_EQ(u.host, "www.ietf.org");
  EXPECT_EQ(u.effective_port(), 80);

  u = must_parse("ldap://[2001:db8::7]/c=GB?objectClass?one");
  EXPECT_EQ(u.host, "2001:db8::7");
  EXPECT_EQ(u.host_kind, HostKind::ipv6);
  EXPECT_EQ(u.path, "/c=GB");
  EXPECT_EQ(u.query, "objectClass?one");
  EXPECT_EQ(u.effective_port(), 0);

  u = must_parse("mailto:John.Doe@example.com");
  EXPECT_EQ(u.scheme, "mailto");
  EXPECT_FALSE(u.has_authority);
  EXPECT_EQ(u.path, "John.Doe@example.com");

  u = must_parse("news:comp.infosystems.www.servers.unix");
  EXPECT_EQ(u.path, "comp.infosystems.www.servers.unix");

  u = must_parse("tel:+1-816-555-1212");
  EXPECT_EQ(u.path, "+1-816-555-1212");

  u = must_parse("telnet://192.0.2.16:80/");
  EXPECT_EQ(u.host, "192.0.2.16");
  EXPECT_EQ(u.host_kind, HostKind::ipv4);
  EXPECT_EQ(u.port_number, 80);
  EXPECT_EQ(u.path, "/");

  u = must_parse("urn:oasis:names:specification:docbook:dtd:xml:4.1.2");
  EXPECT_EQ(u.path, "oasis:names:specification:docbook:dtd:xml:4.1.2");
}

TEST(Url, UserinfoPortAndEmptyComponents) {
  auto u = must_parse("https://user:pa%20ss@Example.COM:/p?#");
  EXPECT_TRUE(u.has_userinfo);
  EXPECT_EQ(u.userinfo, "user:pa%20ss");
  EXPECT_EQ(u.host, "Example.COM");
  EXPECT_TRUE(u.has_port);
  EXPECT_EQ(u.port, "");
  EXPECT_EQ(u.effective_port(), 443);  // an empty port means the default
  EXPECT_TRUE(u.has_query);
  EXPECT_EQ(u.query, "");
  EXPECT_TRUE(u.has_fragment);
  EXPECT_EQ(u.fragment, "");

  u = must_parse("http://@h");
  EXPECT_TRUE(u.has_userinfo);
  EXPECT_EQ(u.userinfo, "");
  EXPECT_EQ(u.host, "h");
  EXPECT_EQ(u.path, "");

  u = must_parse("file:///etc/hosts");
  EXPECT_TRUE(u.has_authority);
  EXPECT_EQ(u.host, "");
  EXPECT_EQ(u.path, "/etc/hosts");

  u = must_parse("http://h:0/");
  EXPECT_EQ(u.port_number, 0);
  EXPECT_EQ(u.effective_port(), 0);
  u = must_parse("http://h:65535/");
  EXPECT_EQ(u.port_number, 65535);
  u = must_parse("http://h:00080/");
  EXPECT_EQ(u.port_number, 80);

  u = must_parse("");
  EXPECT_FALSE(u.is_absolute());
  EXPECT_EQ(u.path, "");
  u = must_parse("//h/p");
  EXPECT_FALSE(u.is_absolute());
  EXPECT_TRUE(u.has_authority);
  EXPECT_EQ(u.host, "h");
  u = must_parse("/a:b");  // ':' after the first '/' is a path character
  EXPECT_EQ(u.path, "/a:b");
  u = must_parse("./a:b");
  EXPECT_EQ(u.path, "./a:b");
  u = must_parse("?q");
  EXPECT_EQ(u.query, "q");
  u = must_parse("h://x/a?b/c?d#e/f?g");
  EXPECT_EQ(u.query, "b/c?d");
  EXPECT_EQ(u.fragment, "e/f?g");
  u = must_parse("http://[v7.fe80::a+en1]/");
  EXPECT_EQ(u.host_kind, HostKind::ipvfuture);
  EXPECT_EQ(u.host, "v7.fe80::a+en1");
}

TEST(Url, DefaultPort) {
  EXPECT_EQ(url::default_port("http"), 80);
  EXPECT_EQ(url::default_port("HTTP"), 80);
  EXPECT_EQ(url::default_port("https"), 443);
  EXPECT_EQ(url::default_port("ws"), 80);
  EXPECT_EQ(url::default_port("wss"), 443);
  EXPECT_EQ(url::default_port("ftp"), 21);
  EXPECT_EQ(url::default_port("ftps"), 0);
  EXPECT_EQ(url::default_port("gopher"), 0);
  EXPECT_EQ(url::default_port(""), 0);
}

std::map<std::string, Errc> errc_names() {
  return {
      {"too_long", Errc::too_long},         {"bad_char", Errc::bad_char},
      {"bad_percent", Errc::bad_percent},   {"bad_scheme", Errc::bad_scheme},
      {"bad_userinfo", Errc::bad_userinfo}, {"bad_host", Errc::bad_host},
      {"host_too_long", Errc::host_too_long}, {"bad_ipv6", Errc::bad_ipv6},
      {"zone_id", Errc::zone_id},           {"ambiguous_ipv4", Errc::ambiguous_ipv4},
      {"bad_port", Errc::bad_port},         {"bad_path", Errc::bad_path},
      {"bad_query", Errc::bad_query},       {"bad_fragment", Errc::bad_fragment},
  };
}

TEST(Url, RejectVectors) {
  const auto names = errc_names();
  const auto lines = read_lines("url_reject.txt");
  ASSERT_GE(lines.size(), 60u);
  for (const auto& line : lines) {
    std::string name, input;
    ASSERT_TRUE(split_vector(line, name, input)) << line;
    ASSERT_TRUE(names.count(name)) << "unknown errc " << name;
    auto r = url::parse(input);
    ASSERT_FALSE(r) << line << " parsed";
    EXPECT_EQ(r.error(), url::make_error_code(names.at(name))) << line << ": " << r.error().message();
    EXPECT_EQ(url::http_status(names.at(name)), 400);
  }
}

TEST(Url, Limits) {
  const std::string long_url = "http://h/" + std::string(8192, 'a');
  auto r = url::parse(long_url);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::too_long);
  EXPECT_EQ(url::http_status(Errc::too_long), 414);
  EXPECT_TRUE(url::parse(long_url, {.max_url_bytes = 9000}));

  const std::string long_host = "http://" + std::string(256, 'h') + "/";
  r = url::parse(long_host);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::host_too_long);
  EXPECT_TRUE(url::parse("http://" + std::string(255, 'h') + "/"));

  auto z = url::parse("http://[fe80::1%25eth0]:8080/", {.allow_zone_id = true});
  ASSERT_TRUE(z);
  EXPECT_EQ(z->host, "fe80::1%25eth0");
  EXPECT_EQ(z->port_number, 8080);

  auto n = url::parse("http://127.1/", {.allow_numeric_reg_name = true});
  ASSERT_TRUE(n);
  EXPECT_EQ(n->host_kind, HostKind::reg_name);
  // Names that merely contain digits are fine.
  EXPECT_TRUE(url::parse("http://1.example/"));
  EXPECT_TRUE(url::parse("http://example.1a/"));
  EXPECT_TRUE(url::parse("http://0xzz/"));
  EXPECT_FALSE(url::parse("http://a.0x/"));  // "0x" alone is numeric to inet_aton
}

TEST(Url, Ipv4) {
  std::array<std::uint8_t, 4> a{};
  EXPECT_TRUE(url::parse_ipv4("192.0.2.16", &a));
  EXPECT_EQ(a, (std::array<std::uint8_t, 4>{192, 0, 2, 16}));
  EXPECT_TRUE(url::parse_ipv4("0.0.0.0"));
  EXPECT_TRUE(url::parse_ipv4("255.255.255.255"));
  for (const char* bad : {"256.0.0.0", "1.2.3", "1.2.3.4.", ".1.2.3.4", "01.2.3.4", "1.2.3.4 ",
                          "1..2.3", "1.2.3.-4", "0x1.2.3.4", "", "1.2.3.4.5", "99999999999.1.1.1"})
    EXPECT_FALSE(url::parse_ipv4(bad)) << bad;
}

TEST(Url, Ipv6AgreesWithInetPton) {
  for (const char* s :
       {"::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "2001:db8::7",
        "fe80::1:2", "::ffff:192.0.2.1", "1:2:3:4:5:6:1.2.3.4", "1::1.2.3.4", "ABCD:ef01::",
        "0:0:0:0:0:0:0:0", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", ":::",
        "1:::2", ":1", "1:", "1::2::3", "12345::", "::1.2.3", "::1.2.3.4.5", "1:2:3:4:5:6:7:1.2.3.4",
        "::01.2.3.4", "g::", "", ":", "1.2.3.4", "::1.2.3.4:5", "0000:0000::", "00000::"}) {
    std::array<std::uint8_t, 16> ours{};
    unsigned char theirs[16];
    const bool ok = url::parse_ipv6(s, &ours);
    const bool ref = inet_pton(AF_INET6, s, theirs) == 1;
    EXPECT_EQ(ok, ref) << s;
    if (ok && ref) {
      EXPECT_EQ(std::memcmp(ours.data(), theirs, 16), 0) << s;
    }
  }
}

TEST(Url, RoundTripAndRedaction) {
  for (const char* s :
       {"foo://example.com:8042/over/there?name=ferret#nose", "https://u:p@h:/p?#", "http://@h",
        "mailto:a@b", "", "//h", "?", "#", "a/b/c", "/a:b", "http://[::1]:1/x", "http://[v1.x]",
        "file:///", "g;x=1/../y", "http://a/b/c/d;p?q", "s:", "s://"}) {
    const auto u = must_parse(s);
    const std::string out = serialize(u);
    EXPECT_EQ(out, s);
    EXPECT_EQ(must_parse(out), u);
  }
  const auto u = must_parse("https://alice:secret@api.example:8443/v1/x?token=t#frag");
  std::string buf(64, '\0');
  auto n = url::redacted(u, buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(buf.substr(0, *n), "https://api.example:8443/v1/x?token=t");
  n = url::redacted(u, buf, {.drop_query = true});
  ASSERT_TRUE(n);
  EXPECT_EQ(buf.substr(0, *n), "https://api.example:8443/v1/x");
  std::string tiny(10, '\0');
  n = url::redacted(u, tiny);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error(), Errc::buffer_too_small);
  auto s = url::serialize(u, tiny);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), Errc::buffer_too_small);
}

// Random strings over URL-ish characters: whatever parses serializes back to itself.
TEST(Url, RandomRoundTrip) {
  const std::string alphabet = "ab:/?#[]@%2F.-_~!$&'()*+,;=019vV ";
  std::mt19937 rng(7);
  int parsed = 0;
  for (int i = 0; i < 50000; ++i) {
    std::string s(rng() % 24, 'a');
    for (auto& c : s) c = alphabet[rng() % alphabet.size()];
    auto r = url::parse(s, {.allow_zone_id = true, .allow_numeric_reg_name = true});
    if (!r) continue;
    ++parsed;
    EXPECT_EQ(serialize(*r), s);
  }
  EXPECT_GT(parsed, 1000);
}

TEST(Url, ErrorCategory) {
  EXPECT_STREQ(url::category().name(), "zp.codec.url");
  for (int i = 0; i <= static_cast<int>(Errc::not_absolute); ++i)
    EXPECT_NE(url::make_error_code(static_cast<Errc>(i)).message(), "unknown URL error") << i;
  std::error_code ec = Errc::bad_host;
  EXPECT_EQ(ec.category(), url::category());
}

}  // namespace
