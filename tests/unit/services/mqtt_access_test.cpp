// The password file (mosquitto_passwd's $6$ and $7$, fixed vectors and files the real
// mosquitto_passwd writes) and the ACL (each rule form, %c/%u, deny, $SYS, filters).
#include "zp/mqtt/access.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "acl.h"

namespace zp::mqtt {
namespace {

namespace fs = std::filesystem;

// Made by mosquitto_passwd 2.0.11 (-b; -H sha512 for carol; -I 1000 for dan).
constexpr const char* kAlice =
    "alice:$7$101$qLvU0miXFysDdnPg$Mzn++fAJpgybNG3fbK8JIWA50iGjBTH6uGzTb2gRTP65znTuYO4/MSG8jgG1GGyfOMGigru3jZrJUfkmi05iGw==";
constexpr const char* kCarol =
    "carol:$6$CFJBHmYFvmxakFv3$iImXYOputpBlHjP4ZazEjjf7zRVAneL+9+jCNxFBuzwPTzTGfVIqIfRzoZKOhRfEDPeze8jQoPFbZBSkJk2o0Q==";
constexpr const char* kDan =
    "dan:$7$1000$GrFTjahJXEn9qc2N$n3h8EB/8WskeL740xJKH4ynrSSeDwJEQKKkgaAGl1z22qycMqJvLyRRupJ2VifISHZnw5Wu3llmfcnjpTHZE1w==";

std::shared_ptr<const Access> with_passwords(const std::string& text, std::string& err, std::optional<bool> anon = {}) {
  AccessConfig cfg{.password_file = "pw", .allow_anonymous = anon};
  return Access::parse(text, "", cfg, err);
}

Login try_login(const Access& a, std::string_view user, std::string_view password) {
  const auto pw = std::as_bytes(std::span(password.data(), password.size()));
  return a.login(&user, &pw);
}

TEST(MqttPasswordFile, FixedVectorsBothHashes) {
  std::string err;
  auto a = with_passwords(std::string(kAlice) + "\n# a comment\n\n" + kCarol + "\r\n" + kDan + "\n", err);
  ASSERT_TRUE(a) << err;
  EXPECT_EQ(try_login(*a, "alice", "secret1"), Login::ok);
  EXPECT_EQ(try_login(*a, "carol", "x y"), Login::ok);
  EXPECT_EQ(try_login(*a, "dan", "d"), Login::ok);
  EXPECT_EQ(try_login(*a, "alice", "secret2"), Login::bad_credentials);
  EXPECT_EQ(try_login(*a, "alice", ""), Login::bad_credentials);
  EXPECT_EQ(try_login(*a, "carol", "x"), Login::bad_credentials);
  EXPECT_EQ(try_login(*a, "nobody", "secret1"), Login::bad_credentials);
  const std::string_view alice = "alice";
  EXPECT_EQ(a->login(&alice, nullptr), Login::bad_credentials);  // a user name, no password
}

TEST(MqttPasswordFile, AnonymousPolicy) {
  std::string err;
  auto strict = with_passwords(kAlice, err);
  ASSERT_TRUE(strict) << err;
  EXPECT_EQ(strict->login(nullptr, nullptr), Login::not_authorized);  // password file: refused by default
  auto open = with_passwords(kAlice, err, true);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->login(nullptr, nullptr), Login::ok);
  EXPECT_EQ(try_login(*open, "alice", "bad"), Login::bad_credentials);  // a given name is still checked
  // No password file: anyone, unless anonymous is off (then no one: nothing to check against).
  auto none = Access::parse("", "", AccessConfig{}, err);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->login(nullptr, nullptr), Login::ok);
  EXPECT_EQ(try_login(*none, "who", "ever"), Login::ok);
  auto closed = Access::parse("", "", AccessConfig{.allow_anonymous = false}, err);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->login(nullptr, nullptr), Login::not_authorized);
  EXPECT_EQ(try_login(*closed, "who", "ever"), Login::not_authorized);
}

TEST(MqttPasswordFile, ErrorsNameFileAndLine) {
  const std::pair<std::string, std::string> cases[] = {
      {std::string(kAlice) + "\nbob\n", "pw:2: no ':'"},
      {"bob:plain\n", "pw:1: not a $6$ or $7$ hash"},
      {":$6$abcd$abcd\n", "pw:1: empty user name"},
      {"bob:$7$x$abcd$abcd\n", "pw:1: bad iteration count"},
      {"bob:$7$0$abcd$abcd\n", "pw:1: bad iteration count"},
      {"bob:$7$101$abcd\n", "pw:1: no $ between salt and hash"},
      {"bob:$6$!!!!$abcd\n", "pw:1: bad base64 salt"},
      {"bob:$6$abcd$abcd\n", "pw:1: bad base64 hash"},
      {std::string(kAlice) + "\n" + kAlice + "\n", "pw:2: user \"alice\" appears twice"},
      {"bob:$7$99999999999$abcd$abcd\n", "pw:1: bad iteration count"},
  };
  for (const auto& [text, want] : cases) {
    std::string err;
    EXPECT_FALSE(with_passwords(text, err)) << text;
    EXPECT_EQ(err.substr(0, want.size()), want) << err;
  }
  std::string err;
  AccessConfig cfg{.password_file = "pw", .limits = {.max_lines = 2, .max_username = 3, .max_iterations = 100}};
  EXPECT_FALSE(Access::parse("\n\n\n", "", cfg, err));
  EXPECT_EQ(err, "pw:3: more than 2 lines");
  EXPECT_FALSE(Access::parse(kCarol, "", cfg, err));
  EXPECT_EQ(err, "pw:1: user name longer than 3 bytes");
  cfg.limits.max_username = 64;
  EXPECT_FALSE(Access::parse(kAlice, "", cfg, err));
  EXPECT_EQ(err, "pw:1: more than 100 iterations");
}

TEST(MqttPasswordFile, ReadsWhatMosquittoPasswdWrites) {
  const fs::path dir = fs::temp_directory_path() / ("zp-mqtt-pw-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string file = (dir / "passwd").string();
  const std::string cmds = "mosquitto_passwd -c -b " + file + " u1 'first pass' && mosquitto_passwd -b " + file +
                           " u2 p2 && mosquitto_passwd -H sha512 -b " + file + " u3 'ünï'";
  ASSERT_EQ(std::system(cmds.c_str()), 0);
  std::string err;
  auto a = Access::load(AccessConfig{.password_file = file}, err);
  ASSERT_TRUE(a) << err;
  EXPECT_EQ(try_login(*a, "u1", "first pass"), Login::ok);
  EXPECT_EQ(try_login(*a, "u2", "p2"), Login::ok);
  EXPECT_EQ(try_login(*a, "u3", "ünï"), Login::ok);
  EXPECT_EQ(try_login(*a, "u2", "p3"), Login::bad_credentials);
  EXPECT_EQ(try_login(*a, "u1", "first"), Login::bad_credentials);
  // Unreadable and oversized files are errors at load.
  EXPECT_FALSE(Access::load(AccessConfig{.password_file = (dir / "missing").string()}, err));
  EXPECT_NE(err.find("missing: cannot open"), std::string::npos) << err;
  EXPECT_FALSE(Access::load(AccessConfig{.password_file = file, .limits = {.max_file_bytes = 10}}, err));
  EXPECT_NE(err.find("larger than 10 bytes"), std::string::npos) << err;
  fs::remove_all(dir);
}

std::shared_ptr<const Access> with_acl(const std::string& text) {
  std::string err;
  auto a = Access::parse("", text, AccessConfig{.acl_file = "acl"}, err);
  EXPECT_TRUE(a) << err;
  return a;
}

TEST(MqttAcl, RuleForms) {
  auto a = with_acl(
      "# anonymous clients\n"
      "topic read public/#\n"
      "topic anon/out\n"  // no access word: readwrite
      "\n"
      "user alice\n"
      "topic readwrite a/#\n"
      "topic write to/server\n"
      "topic read from/+/server\n"
      "topic deny a/secret\n"
      "topic with space/x y\n"
      "user bob\n"
      "topic read $SYS/#\n");
  ASSERT_TRUE(a);
  const std::string alice = "alice", bob = "bob", eve = "eve";
  const Identity anon{"c0", nullptr}, al{"c1", &alice}, bo{"c2", &bob}, ev{"c3", &eve};
  EXPECT_TRUE(a->may_read(anon, "public/x/y"));
  EXPECT_FALSE(a->may_publish(anon, "public/x"));
  EXPECT_TRUE(a->may_publish(anon, "anon/out"));
  EXPECT_TRUE(a->may_read(anon, "anon/out"));
  EXPECT_FALSE(a->may_read(al, "public/x"));  // anonymous rules are not alice's
  EXPECT_TRUE(a->may_publish(al, "a/b/c"));
  EXPECT_TRUE(a->may_read(al, "a"));          // "a/#" covers its parent
  EXPECT_FALSE(a->may_publish(al, "a/secret"));  // deny wins whatever the order
  EXPECT_FALSE(a->may_read(al, "a/secret"));
  EXPECT_TRUE(a->may_publish(al, "to/server"));
  EXPECT_FALSE(a->may_read(al, "to/server"));
  EXPECT_TRUE(a->may_read(al, "from/k1/server"));
  EXPECT_FALSE(a->may_publish(al, "from/k1/server"));
  EXPECT_FALSE(a->may_read(al, "from/k1/k2/server"));
  EXPECT_TRUE(a->may_publish(al, "with space/x y"));
  EXPECT_FALSE(a->may_publish(ev, "a/b"));  // a user without rules: nothing
  EXPECT_TRUE(a->may_read(bo, "$SYS/broker/uptime"));
  EXPECT_FALSE(a->may_publish(bo, "$SYS/broker/uptime"));  // $SYS is read-only for everyone
}

TEST(MqttAcl, SubscribeNeedsACoveringReadRule) {
  auto a = with_acl("user alice\ntopic read a/#\ntopic read b/+/c\ntopic write w/#\ntopic deny a/secret/#\n");
  ASSERT_TRUE(a);
  const std::string alice = "alice";
  const Identity al{"c1", &alice};
  for (const char* ok : {"a/#", "a/+", "a/b/+/d", "a", "b/x/c", "b/+/c"}) EXPECT_TRUE(a->may_subscribe(al, ok)) << ok;
  for (const char* no : {"#", "+/x", "b/#", "b/x/+", "w/x", "a/secret/#", "a/secret/x", "c"}) EXPECT_FALSE(a->may_subscribe(al, no)) << no;
  // A deny inside an allowed filter: the filter is granted, those topics are not delivered.
  EXPECT_TRUE(a->may_subscribe(al, "a/+/x"));
  EXPECT_FALSE(a->may_read(al, "a/secret/x"));
}

TEST(MqttAcl, PatternsSubstituteClientIdAndUserName) {
  auto a = with_acl("pattern readwrite devices/%c/#\npattern read users/%u/inbox\npattern write %u-%c/log\n");
  ASSERT_TRUE(a);
  const std::string alice = "alice", wild = "a+b", slash = "x/y";
  EXPECT_TRUE(a->may_publish({"k1", nullptr}, "devices/k1/temp"));
  EXPECT_FALSE(a->may_publish({"k1", nullptr}, "devices/k2/temp"));
  EXPECT_TRUE(a->may_read({"k1", &alice}, "users/alice/inbox"));
  EXPECT_FALSE(a->may_read({"k1", &alice}, "users/bob/inbox"));
  EXPECT_FALSE(a->may_read({"k1", nullptr}, "users//inbox"));  // %u without a user name grants nothing
  EXPECT_TRUE(a->may_publish({"k1", &alice}, "alice-k1/log"));
  EXPECT_TRUE(a->may_subscribe({"k1", &alice}, "devices/k1/+"));
  EXPECT_FALSE(a->may_subscribe({"k1", &alice}, "devices/+/x"));
  // Values with wildcards or '/' would widen the rule: the pattern does not apply.
  EXPECT_FALSE(a->may_publish({"+", nullptr}, "devices/+/x"));
  EXPECT_FALSE(a->may_read({"k1", &wild}, "users/a+b/inbox"));
  EXPECT_FALSE(a->may_publish({"x/y", nullptr}, "devices/x/y/z"));
  EXPECT_FALSE(a->may_read({"k1", &slash}, "users/x/y/inbox"));
}

TEST(MqttAcl, UserRulesFirstThenPatterns) {
  auto a = with_acl("user alice\ntopic read a/#\ntopic deny p/alice\npattern readwrite p/%u\n");
  ASSERT_TRUE(a);
  const std::string alice = "alice", bob = "bob";
  EXPECT_TRUE(a->may_publish({"c", &bob}, "p/bob"));       // bob has no rules: the patterns
  EXPECT_FALSE(a->may_publish({"c", &alice}, "a/x"));      // read only
  EXPECT_FALSE(a->may_publish({"c", &alice}, "p/alice"));  // her deny is final
}

TEST(MqttAcl, ErrorsNameFileAndLine) {
  const std::pair<std::string, std::string> cases[] = {
      {"topic read a\nfoo bar\n", "acl:2: unknown keyword \"foo\""},
      {"user\n", "acl:1: \"user\" needs a name"},
      {"topic\n", "acl:1: \"topic\" needs a topic"},
      {"topic read\n", "acl:1: \"read\" needs a topic"},
      {"pattern deny  \n", "acl:1: \"deny\" needs a topic"},
      {"\n\ntopic read a/#/b\n", "acl:3: \"a/#/b\" is not a topic filter"},
      {"topic write a+\n", "acl:1: \"a+\" is not a topic filter"},
  };
  for (const auto& [text, want] : cases) {
    std::string err;
    EXPECT_FALSE(Access::parse("", text, AccessConfig{.acl_file = "acl"}, err)) << text;
    EXPECT_EQ(err.substr(0, want.size()), want) << err;
  }
}

TEST(MqttAcl, FilterCovers) {
  using detail::filter_covers;
  EXPECT_TRUE(filter_covers("#", "a/b/#"));
  EXPECT_TRUE(filter_covers("#", "#"));
  EXPECT_FALSE(filter_covers("#", "$SYS/x"));
  EXPECT_FALSE(filter_covers("+/x", "$SYS/x"));
  EXPECT_TRUE(filter_covers("$SYS/#", "$SYS/x/+"));
  EXPECT_TRUE(filter_covers("a/+", "a/+"));
  EXPECT_TRUE(filter_covers("a/+", "a/b"));
  EXPECT_FALSE(filter_covers("a/+", "a/#"));
  EXPECT_FALSE(filter_covers("a/+", "a"));
  EXPECT_FALSE(filter_covers("a/+", "a/b/c"));
  EXPECT_TRUE(filter_covers("a/#", "a"));
  EXPECT_FALSE(filter_covers("a/b", "a/+"));
  EXPECT_FALSE(filter_covers("a", "a/b"));
  EXPECT_TRUE(filter_covers("a//b", "a//b"));
  EXPECT_FALSE(filter_covers("a/b", "a/c"));
}

}  // namespace
}  // namespace zp::mqtt
