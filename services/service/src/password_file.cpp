// mosquitto_passwd's password file: parse, then check credentials (MQTT CONNECT, SMTP AUTH).
#include "zp/service/password_file.h"

// wolfSSL's settings first: its headers depend on them.
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/coding.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/pwdbased.h>
#include <wolfssl/wolfcrypt/sha512.h>

#include <charconv>
#include <cstdio>
#include <memory>

namespace zp::service {

namespace {

constexpr std::size_t kHashBytes = 64;  // SHA-512
constexpr std::size_t kMaxSaltBytes = 1024;

std::string at_line(std::string_view name, std::size_t line, std::string_view what) {
  return std::string(name) + ":" + std::to_string(line) + ": " + std::string(what);
}

bool base64(std::string_view in, std::vector<std::uint8_t>& out, std::size_t max) {
  if (in.empty() || in.size() > max * 2) return false;
  out.resize(in.size());  // decoded is shorter
  word32 n = word32(out.size());
  if (Base64_Decode(reinterpret_cast<const byte*>(in.data()), word32(in.size()), out.data(), &n) != 0) return false;
  out.resize(n);
  return n > 0;
}

// Each byte looked at whatever the contents (no early exit).
bool equal_ct(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) {
  volatile std::uint8_t diff = 0;
  for (std::size_t i = 0; i < n; ++i) diff = std::uint8_t(diff | (a[i] ^ b[i]));
  return diff == 0;
}

}  // namespace

std::string read_bounded(const std::string& path, std::size_t max_bytes, std::string& out) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!f) return path + ": cannot open: " + std::error_code(errno, std::generic_category()).message();
  out.clear();
  char buf[8192];
  for (;;) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, f.get());
    if (n == 0) break;
    if (out.size() + n > max_bytes) return path + ": larger than " + std::to_string(max_bytes) + " bytes";
    out.append(buf, n);
  }
  if (std::ferror(f.get())) return path + ": read error";
  return {};
}

std::string PasswordFile::parse(std::string_view text, std::string_view name, const PasswordLimits& limits,
                                PasswordFile& out) {
  out.users_.clear();
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (++line_no > limits.max_lines) return at_line(name, line_no, "more than " + std::to_string(limits.max_lines) + " lines");
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return at_line(name, line_no, "no ':' between user name and hash");
    const std::string_view user = line.substr(0, colon);
    const std::string_view hash = line.substr(colon + 1);
    if (user.empty()) return at_line(name, line_no, "empty user name");
    if (user.size() > limits.max_username)
      return at_line(name, line_no, "user name longer than " + std::to_string(limits.max_username) + " bytes");
    Entry e;
    std::string_view rest;
    if (hash.starts_with("$7$")) {
      rest = hash.substr(3);
      const std::size_t d = rest.find('$');
      if (d == std::string_view::npos) return at_line(name, line_no, "$7$ needs $ITERATIONS$SALT$HASH");
      const auto [p, ec] = std::from_chars(rest.data(), rest.data() + d, e.iterations);
      if (ec != std::errc() || p != rest.data() + d || e.iterations == 0)
        return at_line(name, line_no, "bad iteration count");
      if (e.iterations > limits.max_iterations)
        return at_line(name, line_no, "more than " + std::to_string(limits.max_iterations) + " iterations");
      rest = rest.substr(d + 1);
    } else if (hash.starts_with("$6$")) {
      e.pbkdf2 = false;
      rest = hash.substr(3);
    } else {
      return at_line(name, line_no, "not a $6$ or $7$ hash (a plain-text password? run mosquitto_passwd -U)");
    }
    const std::size_t d = rest.find('$');
    if (d == std::string_view::npos) return at_line(name, line_no, "no $ between salt and hash");
    if (!base64(rest.substr(0, d), e.salt, kMaxSaltBytes)) return at_line(name, line_no, "bad base64 salt");
    if (!base64(rest.substr(d + 1), e.hash, kHashBytes) || e.hash.size() != kHashBytes)
      return at_line(name, line_no, "bad base64 hash (64 bytes of SHA-512 expected)");
    if (!out.users_.emplace(std::string(user), std::move(e)).second)
      return at_line(name, line_no, "user \"" + std::string(user) + "\" appears twice");
  }
  return {};
}

std::string PasswordFile::load(const std::string& path, const PasswordLimits& limits, PasswordFile& out) {
  std::string text;
  if (std::string err = read_bounded(path, limits.max_file_bytes, text); !err.empty()) return err;
  return parse(text, path, limits, out);
}

std::string PasswordFile::make_hash(std::span<const std::byte> password, std::span<const std::uint8_t> salt,
                                    std::uint32_t iterations) {
  if (salt.empty() || iterations == 0) return {};
  Entry e{.pbkdf2 = true, .iterations = iterations, .salt = {salt.begin(), salt.end()}, .hash = {}};
  std::uint8_t h[kHashBytes];
  if (!hash(e, password, h)) return {};
  auto b64 = [](const std::uint8_t* p, std::size_t n) {
    std::string out(n * 2 + 4, '\0');
    word32 len = word32(out.size());
    if (Base64_Encode_NoNl(p, word32(n), reinterpret_cast<byte*>(out.data()), &len) != 0) return std::string();
    out.resize(len);
    return out;
  };
  const std::string s = b64(salt.data(), salt.size());
  const std::string d = b64(h, kHashBytes);
  if (s.empty() || d.empty()) return {};
  return "$7$" + std::to_string(iterations) + "$" + s + "$" + d;
}

bool PasswordFile::hash(const Entry& e, std::span<const std::byte> password, std::uint8_t out[64]) {
  const auto* pw = reinterpret_cast<const byte*>(password.data());
  if (e.pbkdf2) {
    return wc_PBKDF2(out, pw, int(password.size()), e.salt.data(), int(e.salt.size()), int(e.iterations),
                     int(kHashBytes), WC_SHA512) == 0;
  }
  wc_Sha512 sha;
  if (wc_InitSha512(&sha) != 0) return false;
  const bool ok = wc_Sha512Update(&sha, pw, word32(password.size())) == 0 &&
                  wc_Sha512Update(&sha, e.salt.data(), word32(e.salt.size())) == 0 && wc_Sha512Final(&sha, out) == 0;
  wc_Sha512Free(&sha);
  return ok;
}

bool PasswordFile::check(std::string_view user, std::span<const std::byte> password) const {
  // An unknown user takes as long as a known one (mosquitto_passwd's default entry).
  static const Entry kDummy{.pbkdf2 = true, .iterations = 101, .salt = std::vector<std::uint8_t>(12, 0x5a),
                            .hash = std::vector<std::uint8_t>(kHashBytes, 0)};
  const auto it = users_.find(std::string(user));
  const Entry& e = it == users_.end() ? kDummy : it->second;
  std::uint8_t got[kHashBytes];
  if (!hash(e, password, got)) return false;
  const bool same = equal_ct(got, e.hash.data(), kHashBytes);
  return same && it != users_.end();
}

}  // namespace zp::service
