// The mosquitto_pub/mosquitto_sub-alike verbs over the client, on a private one-shard engine.
#include "zp/mqtt/cli.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>

#include "zp/engine/private_shard.h"
#include "stdin_lines.h"
#include "zp/mqtt/client.h"

namespace zp::mqtt::cli {

namespace {

using detail::InputLine;
using detail::LineReader;

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;
constexpr std::size_t kMaxLineBytes = 268435455;  // -l: MQTT's largest packet

std::optional<codec::mqtt::Version> parse_version(const std::string& v) {
  if (v == "311" || v == "mqttv311") return codec::mqtt::Version::v311;
  if (v == "5" || v == "mqttv5") return codec::mqtt::Version::v5;
  return std::nullopt;
}

bool uses_tls(const CommonFlags& f) { return f.tls || f.insecure || !f.cafile.empty(); }

std::string host_port(const CommonFlags& f) {
  const bool v6 = f.host.find(':') != std::string::npos;
  const int port = f.port != 0 ? f.port : uses_tls(f) ? 8883 : 1883;
  return (v6 ? "[" + f.host + "]" : f.host) + ":" + std::to_string(port);
}

// -L mqtt(s)://[USER[:PASS]@]HOST[:PORT]/TOPIC into the flags (as mosquitto_pub/sub -L);
// false (after a message) when it is not one.
bool apply_url(CommonFlags& f, const char* verb, std::string& topic) {
  if (f.url.empty()) return true;
  auto bad = [&](const char* why) {
    std::fprintf(stderr, "zproto mqtt %s: -L %s: %s (mqtt(s)://[USER[:PASS]@]HOST[:PORT]/TOPIC)\n", verb,
                 f.url.c_str(), why);
    return false;
  };
  std::string_view u = f.url;
  if (u.starts_with("mqtts://")) {
    f.tls = true;
    u.remove_prefix(8);
  } else if (u.starts_with("mqtt://")) {
    u.remove_prefix(7);
  } else {
    return bad("not an mqtt:// or mqtts:// URL");
  }
  const std::size_t slash = u.find('/');
  if (slash == std::string_view::npos || slash + 1 >= u.size()) return bad("no topic");
  topic.assign(u.substr(slash + 1));
  std::string_view auth_host = u.substr(0, slash);
  if (const std::size_t at = auth_host.rfind('@'); at != std::string_view::npos) {
    const std::string_view cred = auth_host.substr(0, at);
    const std::size_t colon = cred.find(':');
    f.username.assign(cred.substr(0, colon));
    if (colon != std::string_view::npos) f.password.assign(cred.substr(colon + 1));
    auth_host.remove_prefix(at + 1);
  }
  std::string_view host = auth_host;
  std::string_view port;
  if (host.starts_with('[')) {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos) return bad("unterminated [");
    port = host.substr(close + 1);
    host = host.substr(1, close - 1);
    if (!port.empty() && !port.starts_with(':')) return bad("junk after ]");
    if (!port.empty()) port.remove_prefix(1);
  } else if (const std::size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  if (host.empty()) return bad("no host");
  f.host.assign(host);
  if (!port.empty()) {
    int p = 0;
    for (char ch : port) {
      if (ch < '0' || ch > '9' || p > 65535) return bad("bad port");
      p = p * 10 + (ch - '0');
    }
    if (p < 1 || p > 65535) return bad("bad port");
    f.port = p;
  }
  return true;
}

// The options both verbs build from their flags; false (after a message) on a usage error.
bool client_options(const CommonFlags& f, const char* verb, ClientOptions& o) {
  auto v = parse_version(f.version);
  if (!v) {
    std::fprintf(stderr, "zproto mqtt %s: unknown protocol version '%s' (311, 5, mqttv311, mqttv5)\n", verb,
                 f.version.c_str());
    return false;
  }
  if (f.qos < 0 || f.qos > 2 || f.port < 0 || f.port > 65535 || f.keepalive < 0 || f.keepalive > 65535) {
    std::fprintf(stderr, "zproto mqtt %s: -q must be 0..2, -p 1..65535, -k 0..65535\n", verb);
    return false;
  }
  o.version = *v;
  o.client_id = f.id.empty() ? "zproto-" + std::string(verb) + "-" + std::to_string(::getpid()) : f.id;
  o.keepalive_s = std::uint16_t(f.keepalive);
  if (!f.username.empty()) o.username = f.username;
  if (!f.password.empty()) o.password = f.password;
  if (uses_tls(f)) {
    tls::ClientConfig t;
    t.ca_file = f.cafile;
    t.verify = !f.insecure;
    o.tls = std::move(t);
  }
  if (!f.will_topic.empty()) {
    if (f.will_qos < 0 || f.will_qos > 2) {
      std::fprintf(stderr, "zproto mqtt %s: --will-qos must be 0..2\n", verb);
      return false;
    }
    o.will = Will{f.will_topic, f.will_payload, std::uint8_t(f.will_qos), f.will_retain};
  } else if (!f.will_payload.empty() || f.will_retain) {
    std::fprintf(stderr, "zproto mqtt %s: --will-payload and --will-retain need --will-topic\n", verb);
    return false;
  }
  return true;
}

int report(const char* verb, const std::string& addr, const Error& e) {
  std::fprintf(stderr, "zproto mqtt %s: %s: %s\n", verb, addr.c_str(), e.message().c_str());
  return kExitError;
}

Task<Result<void>> pub_task(std::string addr, ClientOptions o, std::string topic, std::vector<std::string> messages,
                            bool lines, std::uint8_t qos, bool retain) {
  auto c = co_await Client::connect(std::move(addr), std::move(o));
  if (!c) co_return c.error();
  for (auto& m : messages) {
    auto r = co_await c->publish(topic, std::move(m), qos, retain);
    if (!r) co_return r;
  }
  if (lines) {  // one message per line of stdin, as read; keepalive runs meanwhile
    LineReader in(STDIN_FILENO, kMaxLineBytes);
    for (;;) {
      auto l = co_await in.next();
      if (!l) co_return l.error();
      if (l->kind == InputLine::Kind::end) break;
      if (l->kind == InputLine::Kind::idle) {
        if (!c->connected()) co_return c->error();  // the broker went away while stdin was quiet
        continue;
      }
      auto r = co_await c->publish(topic, std::move(l->text), qos, retain);
      if (!r) co_return r;
    }
  }
  co_return co_await c->disconnect();
}

Task<Result<std::size_t>> sub_task(std::string addr, ClientOptions o, std::vector<std::string> filters,
                                   std::uint8_t qos, std::size_t count, bool verbose) {
  auto c = co_await Client::connect(std::move(addr), std::move(o));
  if (!c) co_return c.error();
  for (const auto& f : filters) {
    auto g = co_await c->subscribe(f, qos);
    if (!g) co_return g.error();
  }
  std::size_t n = 0;
  for (;;) {
    if (count != 0 && n >= count) break;
    auto m = co_await c->next_message();
    if (!m) co_return m.error();
    ++n;
    if (verbose) {
      std::fwrite(m->topic.data(), 1, m->topic.size(), stdout);
      std::fputc(' ', stdout);
    }
    if (verbose && m->payload.empty()) std::fputs("(null)", stdout);  // as mosquitto_sub -v
    std::fwrite(m->payload.data(), 1, m->payload.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }
  (void)co_await c->disconnect();
  co_return n;
}

}  // namespace

int run_pub(const PubFlags& flags) {
  PubFlags f = flags;
  if (!apply_url(f, "pub", f.topic)) return kExitUsage;
  ClientOptions o;
  if (!client_options(f, "pub", o)) return kExitUsage;
  const int sources = int(!f.message.empty()) + int(f.null_message) + int(f.stdin_line) + int(f.stdin_file);
  if (f.topic.empty() || sources != 1 || f.message.size() > 1) {
    std::fprintf(stderr, "zproto mqtt pub: give -t TOPIC and one of -m MESSAGE, -n, -l, -s\n");
    return kExitUsage;
  }
  std::vector<std::string> messages;
  if (!f.message.empty()) messages.push_back(f.message[0]);
  if (f.null_message) messages.emplace_back();
  if (f.stdin_file) messages.emplace_back(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  auto r = run_on_private_shard<void>(
      [&] { return pub_task(host_port(f), o, f.topic, messages, f.stdin_line, std::uint8_t(f.qos), f.retain); });
  if (!r) return report("pub", host_port(f), r.error());
  return 0;
}

int run_sub(const SubFlags& flags) {
  SubFlags f = flags;
  std::string url_topic;
  if (!apply_url(f, "sub", url_topic)) return kExitUsage;
  if (!url_topic.empty()) f.topics.push_back(url_topic);
  ClientOptions o;
  if (!client_options(f, "sub", o)) return kExitUsage;
  if (f.topics.empty() || f.count < 0 || f.timeout_s < 0) {
    std::fprintf(stderr, "zproto mqtt sub: give at least one -t FILTER (-C and -W are >= 0)\n");
    return kExitUsage;
  }
  if (f.persistent) {
    if (f.id.empty()) {
      std::fprintf(stderr, "zproto mqtt sub: -c (a persistent session) needs a client id (-i)\n");
      return kExitUsage;
    }
    o.clean_start = false;
    if (o.version == codec::mqtt::Version::v5) o.session_expiry_s = 0xFFFFFFFFu;  // never expires
  }
  const auto start = std::chrono::steady_clock::now();
  auto r = run_on_private_shard<std::size_t>([&]() -> Task<Result<std::size_t>> {
    auto t = sub_task(host_port(f), o, f.topics, std::uint8_t(f.qos), std::size_t(f.count), f.verbose);
    if (f.timeout_s == 0) return t;
    return with_timeout(std::chrono::milliseconds(std::int64_t(f.timeout_s) * 1000), std::move(t));
  });
  if (!r) {
    const auto waited = std::chrono::steady_clock::now() - start;
    if (f.timeout_s > 0 && r.error() == std::errc::timed_out && waited >= std::chrono::seconds(f.timeout_s)) {
      std::fprintf(stderr, "zproto mqtt sub: timed out after %d s\n", f.timeout_s);
      return kExitTimeout;
    }
    return report("sub", host_port(f), r.error());
  }
  return 0;
}

}  // namespace zp::mqtt::cli
