// The "smtp" section of the zproto config (services/smtp/src/service.cpp): every key accepted
// with its value, each bad value refused with file:line:column and the key's path, the rules
// between keys, and the password file read at load() (its errors name file:line).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "zp/smtp/service.h"

namespace {

using zp::smtp::SmtpService;
namespace fs = std::filesystem;

zp::service::SectionResult parse_config(std::string_view json) {
  return zp::service::parse_section(zp::smtp::service_definition(), json, "smtp.json");
}

TEST(ConfigSmtp, EveryKeyAccepted) {
  auto r = parse_config(R"({ "smtp": {
    "listen": ["127.0.0.1:2525", "[::1]:2525"], "tls_listen": ["127.0.0.1:4465"],
    "tls": { "cert": "c.pem", "key": "k.pem", "min_version": "1.3" },
    "admin_listen": "127.0.0.1:9100", "hostname": "mx.local.test",
    "domains": ["Local.Test", "other.test"], "maildir": "/var/mail/all",
    "mailboxes": { "Alice@Local.Test": "/var/mail/alice", "@other.test": "/var/mail/other" },
    "relay_networks": ["192.0.2.0/24", "2001:db8::/32", "198.51.100.7"],
    "max_message_bytes": 1048576, "max_recipients": 50, "max_errors": 5,
    "command_timeout_ms": 60000, "data_timeout_ms": 120000, "max_connections": 500,
    "delivery_threads": 8, "password_file": "users.pw", "auth_plaintext": true,
    "relay_queue": "/var/spool/relay", "auth_failure_delay_ms": 250 } })");
  ASSERT_TRUE(r) << r.error;
  const SmtpService* s = r.as<SmtpService>();
  ASSERT_TRUE(s);
  const zp::smtp::ServerOptions& o = s->options;
  EXPECT_EQ(o.listen, (std::vector<std::string>{"127.0.0.1:2525", "[::1]:2525"}));
  EXPECT_EQ(o.tls_listen, std::vector<std::string>{"127.0.0.1:4465"});
  ASSERT_EQ(o.tls.certs.size(), 1u);
  EXPECT_EQ(o.tls.certs[0].cert_file, "c.pem");
  EXPECT_EQ(o.tls.certs[0].key_file, "k.pem");
  EXPECT_EQ(o.tls.min_version, zp::tls::Version::tls13);
  EXPECT_TRUE(o.tls.alpn.empty()) << "SMTP offers no ALPN";
  EXPECT_EQ(s->admin, "127.0.0.1:9100");
  EXPECT_EQ(o.hostname, "mx.local.test");
  EXPECT_EQ(o.policy.domains, (std::vector<std::string>{"local.test", "other.test"}));
  EXPECT_EQ(s->maildir, "/var/mail/all");
  ASSERT_EQ(o.policy.mailboxes.size(), 2u);
  EXPECT_EQ(o.policy.mailboxes.at("alice@local.test"), "/var/mail/alice");
  EXPECT_EQ(o.policy.mailboxes.at("@other.test"), "/var/mail/other");
  ASSERT_EQ(o.policy.relay_networks.size(), 3u);
  EXPECT_FALSE(o.policy.relay_networks[0].v6);
  EXPECT_EQ(o.policy.relay_networks[0].prefix, 24u);
  EXPECT_TRUE(o.policy.relay_networks[1].v6);
  EXPECT_EQ(o.policy.relay_networks[2].prefix, 32u);
  EXPECT_EQ(o.limits.max_message_bytes, 1048576u);
  EXPECT_EQ(o.limits.max_recipients, 50u);
  EXPECT_EQ(o.limits.max_errors, 5u);
  EXPECT_EQ(o.limits.command_timeout_ms, 60000);
  EXPECT_EQ(o.limits.data_timeout_ms, 120000);
  EXPECT_EQ(o.max_connections, 500u);
  EXPECT_EQ(o.delivery_threads, 8u);
  EXPECT_EQ(s->password_file, "users.pw");
  EXPECT_TRUE(o.auth_plaintext);
  EXPECT_EQ(o.relay_queue, "/var/spool/relay");
  EXPECT_EQ(o.limits.auth_failure_delay_ms, 250);
  EXPECT_NE(s->summary().find("127.0.0.1:4465"), std::string::npos) << s->summary();
}

TEST(ConfigSmtp, DefaultsOfAMinimalSection) {
  auto r = parse_config(R"({ "smtp": { "listen": ["127.0.0.1:2525"], "domains": ["local.test"], "maildir": "/m" } })");
  ASSERT_TRUE(r) << r.error;
  const zp::smtp::ServerOptions& o = r.as<SmtpService>()->options;
  EXPECT_FALSE(o.auth_plaintext);
  EXPECT_TRUE(o.relay_queue.empty());
  EXPECT_TRUE(o.policy.relay_networks.empty()) << "no relaying by default, not even loopback";
  EXPECT_TRUE(r.as<SmtpService>()->password_file.empty());
  EXPECT_EQ(o.limits.max_message_bytes, 10u << 20);
  EXPECT_EQ(o.limits.max_recipients, 100u);
  EXPECT_EQ(o.limits.auth_failure_delay_ms, 1000);
}

// `key_json` on line 2 of an otherwise valid section: refused, naming file:2 and `path`.
void expect_refused(const std::string& key_json, const std::string& path, const std::string& what = {}) {
  // The rest of a valid section, without the key under test.
  std::string base;
  if (!key_json.starts_with("\"listen\"")) base += "\"listen\": [\"127.0.0.1:2525\"], ";
  if (!key_json.starts_with("\"domains\"")) base += "\"domains\": [\"local.test\"], ";
  const std::string doc = "{ \"smtp\": { " + base + "\n  " + key_json + ",\n  \"maildir\": \"/m\" } }";
  auto r = parse_config(doc);
  ASSERT_FALSE(r) << key_json;
  EXPECT_NE(r.error.find("smtp.json:2:"), std::string::npos) << key_json << ": " << r.error;
  EXPECT_NE(r.error.find(path), std::string::npos) << key_json << ": " << r.error;
  if (!what.empty()) {
    EXPECT_NE(r.error.find(what), std::string::npos) << key_json << ": " << r.error;
  }
}

TEST(ConfigSmtp, EachBadValueNamesFileLineAndKey) {
  expect_refused(R"("listen": ["localhost"])", "smtp.listen[0]", "HOST:PORT");
  expect_refused(R"("listen": "127.0.0.1:25")", "smtp.listen");
  expect_refused(R"("tls_listen": ["127.0.0.1:99999"])", "smtp.tls_listen[0]");
  expect_refused(R"("tls": { "cert": "c.pem" })", "smtp.tls", "go together");
  expect_refused(R"("tls": { "colour": 1 })", "smtp.tls.colour");
  expect_refused(R"("tls": { "min_version": "1.1" })", "smtp.tls.min_version");
  expect_refused(R"("admin_listen": "nowhere")", "smtp.admin_listen");
  expect_refused(R"("hostname": "not a host")", "smtp.hostname", "not a domain name");
  expect_refused(R"("domains": ["bad domain"])", "smtp.domains[0]", "not a domain name");
  expect_refused(R"("domains": "local.test")", "smtp.domains");
  expect_refused(R"("maildir": "")", "smtp.maildir");
  expect_refused(R"("mailboxes": { "alice": "/m/a" })", "smtp.mailboxes.alice", "user@domain");
  expect_refused(R"("mailboxes": { "a@local.test": "" })", "smtp.mailboxes.a@local.test");
  expect_refused(R"("mailboxes": { "a@local.test": 1 })", "smtp.mailboxes.a@local.test");
  expect_refused(R"("relay_networks": ["10.0.0.0/33"])", "smtp.relay_networks[0]", "CIDR");
  expect_refused(R"("relay_networks": ["example.com"])", "smtp.relay_networks[0]");
  expect_refused(R"("max_message_bytes": 100)", "smtp.max_message_bytes");
  expect_refused(R"("max_message_bytes": -1)", "smtp.max_message_bytes");
  expect_refused(R"("max_recipients": 0)", "smtp.max_recipients");
  expect_refused(R"("max_errors": 0)", "smtp.max_errors");
  expect_refused(R"("command_timeout_ms": 0)", "smtp.command_timeout_ms");
  expect_refused(R"("data_timeout_ms": 3600001)", "smtp.data_timeout_ms");
  expect_refused(R"("max_connections": "many")", "smtp.max_connections");
  expect_refused(R"("delivery_threads": 257)", "smtp.delivery_threads");
  expect_refused(R"("password_file": "")", "smtp.password_file");
  expect_refused(R"("password_file": ["a"])", "smtp.password_file");
  expect_refused(R"("auth_plaintext": "yes")", "smtp.auth_plaintext");
  expect_refused(R"("relay_queue": "")", "smtp.relay_queue");
  expect_refused(R"("auth_failure_delay_ms": 60001)", "smtp.auth_failure_delay_ms");
  expect_refused(R"("auth_failure_delay_ms": -5)", "smtp.auth_failure_delay_ms");
  expect_refused(R"("colour": "blue")", "smtp.colour");
}

// A section-wide rule broken: refused, naming the file and the rule.
void expect_rule(const std::string& section, const std::string& what) {
  auto r = parse_config("{ \"smtp\": {\n" + section + " } }");
  ASSERT_FALSE(r) << section;
  EXPECT_NE(r.error.find("smtp.json:"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find(what), std::string::npos) << section << ": " << r.error;
}

TEST(ConfigSmtp, RulesBetweenKeys) {
  expect_rule(R"("domains": ["local.test"], "maildir": "/m")", "\"listen\" (or \"tls_listen\")");
  expect_rule(R"("listen": ["127.0.0.1:25"], "maildir": "/m")", "\"domains\"");
  expect_rule(R"("listen": ["127.0.0.1:25"], "domains": ["local.test"])", "\"maildir\" or \"mailboxes\"");
  expect_rule(R"("listen": ["127.0.0.1:25"], "domains": ["local.test"], "mailboxes": {"a@else.test": "/m"})",
              "not in a local domain");
  expect_rule(R"("tls_listen": ["127.0.0.1:465"], "domains": ["local.test"], "maildir": "/m")", "needs \"tls\"");
  // AUTH only over TLS: a password file without a certificate needs auth_plaintext.
  expect_rule(R"("listen": ["127.0.0.1:25"], "domains": ["local.test"], "maildir": "/m", "password_file": "p")",
              "\"password_file\" needs \"tls\"");
  expect_rule(R"("listen": ["127.0.0.1:25"], "domains": ["local.test"], "maildir": "/m", "auth_plaintext": true)",
              "\"auth_plaintext\" needs \"password_file\"");
  auto ok = parse_config(R"({ "smtp": { "listen": ["127.0.0.1:25"], "domains": ["local.test"], "maildir": "/m",
    "password_file": "p", "auth_plaintext": true } })");
  EXPECT_TRUE(ok) << ok.error;
}

class ConfigSmtpLoad : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zp_smtp_config_test.XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string load(const std::string& password_text, std::unique_ptr<zp::service::Service>& svc) {
    const fs::path pw = dir_ / "users.pw";
    std::ofstream(pw) << password_text;
    auto r = parse_config(R"({ "smtp": { "listen": ["127.0.0.1:2525"], "domains": ["local.test"], "maildir": ")" +
                          (dir_ / "mail").string() + R"(", "relay_queue": ")" + (dir_ / "relay").string() +
                          R"(", "password_file": ")" + pw.string() + R"(", "auth_plaintext": true } })");
    EXPECT_TRUE(r) << r.error;
    if (!r) return "parse failed";
    svc = std::move(r.service);
    return svc->load(zp::service::Environment{});
  }
  fs::path dir_;
};

TEST_F(ConfigSmtpLoad, PasswordFileErrorsNameFileAndLine) {
  std::unique_ptr<zp::service::Service> svc;
  const std::string err = load("# users\nalice:plaintext\n", svc);
  EXPECT_NE(err.find((dir_ / "users.pw").string() + ":2:"), std::string::npos) << err;
  EXPECT_NE(err.find("not a $6$ or $7$ hash"), std::string::npos) << err;
  const std::string missing = [&] {
    auto r = parse_config(R"({ "smtp": { "listen": ["127.0.0.1:2525"], "domains": ["local.test"], "maildir": "/m",
      "password_file": "/nonexistent/users.pw", "auth_plaintext": true } })");
    return r ? r.service->load(zp::service::Environment{}) : r.error;
  }();
  EXPECT_NE(missing.find("/nonexistent/users.pw: cannot open"), std::string::npos) << missing;
}

TEST_F(ConfigSmtpLoad, GoodPasswordFileAndMaildirsMade) {
  const std::uint8_t salt[8] = {9, 8, 7, 6, 5, 4, 3, 2};
  const std::string_view pw = "secret";
  const std::string entry = zp::service::PasswordFile::make_hash(std::as_bytes(std::span(pw)), salt, 100);
  ASSERT_TRUE(entry.starts_with("$7$100$")) << entry;
  std::unique_ptr<zp::service::Service> svc;
  ASSERT_EQ(load("alice:" + entry + "\n", svc), "");
  const auto* s = static_cast<SmtpService*>(svc.get());
  ASSERT_TRUE(s->server());
  ASSERT_TRUE(s->server()->options().passwords);
  EXPECT_EQ(s->server()->options().passwords->size(), 1u);
  EXPECT_TRUE(s->server()->options().passwords->check("alice", std::as_bytes(std::span(pw))));
  for (const char* d : {"mail/new", "mail/cur", "mail/tmp", "relay/new", "relay/tmp"})
    EXPECT_TRUE(fs::is_directory(dir_ / d)) << d;
}

}  // namespace
