// The middlewares that guard a site: security headers, a per-client rate limit, Basic auth.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "sha256.h"
#include "zp/codec/base64.h"
#include "zp/codec/http1/parser.h"
#include "zp/engine/log.h"
#include "zp/http/middleware.h"

namespace zp::http {

MiddlewareFactory security_headers(SecurityHeaderOptions o) {
  return [o = std::move(o)](Shard&, const ServerOptions&) -> Result<Middleware> {
    return Middleware([o](Context& c, Next next) -> Task<void> {
      // Set before the rest runs so static files and errors carry them too.
      if (o.nosniff) c.set_header("X-Content-Type-Options", "nosniff");
      if (!o.frame_options.empty()) c.set_header("X-Frame-Options", o.frame_options);
      if (!o.referrer_policy.empty()) c.set_header("Referrer-Policy", o.referrer_policy);
      if (!o.strict_transport_security.empty()) c.set_header("Strict-Transport-Security", o.strict_transport_security);
      if (!o.content_security_policy.empty()) c.set_header("Content-Security-Policy", o.content_security_policy);
      co_await next();
    });
  };
}

namespace {

// Token buckets by client IP, least recently seen first out when the table is full.
class Buckets {
 public:
  explicit Buckets(const RateLimitOptions& o) : o_(o) {}
  // 0 when a token was taken, else the seconds until one will be there (at least 1).
  int64_t take(std::string_view ip, int64_t now_ms) {
    auto it = index_.find(ip);
    if (it == index_.end()) {
      if (index_.size() >= std::max<size_t>(1, o_.max_clients)) {
        index_.erase(std::string_view(lru_.back().ip));
        lru_.pop_back();
      }
      lru_.push_front(Entry{std::string(ip), o_.burst, now_ms});
      it = index_.emplace(std::string_view(lru_.front().ip), lru_.begin()).first;
    } else {
      lru_.splice(lru_.begin(), lru_, it->second);
    }
    Entry& e = *it->second;
    e.tokens = std::min(o_.burst, e.tokens + double(now_ms - e.last_ms) * o_.rps / 1000.0);
    e.last_ms = now_ms;
    if (e.tokens >= 1.0) {
      e.tokens -= 1.0;
      return 0;
    }
    if (o_.rps <= 0) return 3600;
    return std::max<int64_t>(1, int64_t(std::ceil((1.0 - e.tokens) / o_.rps)));
  }

 private:
  struct Entry {
    std::string ip;
    double tokens;
    int64_t last_ms;
  };
  RateLimitOptions o_;
  std::list<Entry> lru_;  // front: most recently seen; nodes never move in memory
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;  // keys view lru_'s ips
};

bool hex_digest(std::string_view hex, Sha256Digest& out) {
  if (hex.size() != 64) return false;
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < 32; ++i) {
    int hi = nib(hex[2 * i]), lo = nib(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = uint8_t(hi << 4 | lo);
  }
  return true;
}

constexpr std::string_view kSha256Prefix = "{sha256}";

struct Users {
  std::string challenge;  // the WWW-Authenticate value
  std::vector<std::pair<std::string, Sha256Digest>> users;
};

}  // namespace

MiddlewareFactory rate_limit(RateLimitOptions o) {
  return [o](Shard&, const ServerOptions&) -> Result<Middleware> {
    auto buckets = std::make_shared<Buckets>(o);
    return Middleware([buckets](Context& c, Next next) -> Task<void> {
      // A fresh clock: the shard's cached one can be a whole wait old when a request wakes it.
      auto now = std::chrono::steady_clock::now().time_since_epoch();
      int64_t wait_s = buckets->take(c.peer(), std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
      if (wait_s == 0) {
        co_await next();
        co_return;
      }
      c.set_header("Retry-After", std::to_string(wait_s));
      c.send(429, "429 Too Many Requests\n");
    });
  };
}

std::string check_basic_auth(const BasicAuthOptions& o) {
  for (char c : o.realm)
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return "the realm may not hold '\"', '\\\\' or control characters";
  for (const auto& [name, password] : o.users) {
    if (name.empty() || name.find(':') != std::string::npos) return "user \"" + name + "\": empty or with ':'";
    if (password.starts_with(kSha256Prefix)) {
      Sha256Digest d;
      if (!hex_digest(std::string_view(password).substr(kSha256Prefix.size()), d))
        return "user \"" + name + "\": {sha256} must be followed by 64 hex digits";
    }
  }
  return {};
}

MiddlewareFactory basic_auth(BasicAuthOptions o) {
  return [o = std::move(o)](Shard&, const ServerOptions&) -> Result<Middleware> {
    if (std::string why = check_basic_auth(o); !why.empty()) {
      ZP_LOG_ERROR("http: basic_auth: {}", why);
      return fail(EINVAL);
    }
    auto users = std::make_shared<Users>();
    users->challenge = "Basic realm=\"" + o.realm + "\", charset=\"UTF-8\"";
    for (const auto& [name, password] : o.users) {
      Sha256Digest d;
      if (password.starts_with(kSha256Prefix)) (void)hex_digest(std::string_view(password).substr(kSha256Prefix.size()), d);
      else d = sha256(password);
      users->users.emplace_back(name, d);
    }
    return Middleware([users](Context& c, Next next) -> Task<void> {
      bool ok = false;
      if (auto h = c.header("Authorization"); h && h->size() > 6 && codec::http1::iequals(h->substr(0, 6), "Basic ")) {
        std::string_view b64 = h->substr(6);
        while (!b64.empty() && b64.front() == ' ') b64.remove_prefix(1);
        char buf[768];
        auto n = b64.size() <= 1024 ? codec::base64::decode(b64, std::as_writable_bytes(std::span(buf)))
                                    : Result<size_t>(fail(EMSGSIZE));
        if (n) {
          std::string_view cred(buf, *n);
          size_t colon = cred.find(':');
          if (colon != std::string_view::npos) {
            std::string_view name = cred.substr(0, colon);
            Sha256Digest given = sha256(cred.substr(colon + 1));
            // Every entry is compared (no early exit), digests in constant time.
            for (const auto& [user, digest] : users->users) {
              const bool digest_matches = digest_equal(digest, given);
              ok |= digest_matches && user == name;
            }
          }
        }
      }
      if (ok) {
        co_await next();
        co_return;
      }
      c.set_header("WWW-Authenticate", users->challenge);
      c.send(401, "401 Unauthorized\n");
    });
  };
}

}  // namespace zp::http
