// The password file of mosquitto_passwd (mosquitto 2.x): "user:$7$ITER$SALT$HASH"
// (PBKDF2-HMAC-SHA512) and "user:$6$SALT$HASH" (SHA-512 of password then salt), base64
// salt and hash. Hashing is wolfSSL's; the compare is constant-time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "zp/mqtt/access.h"

namespace zp::mqtt::detail {

class PasswordFile {
 public:
  // Parses the text of a password file; "" on success, else "<name>:<line>: what".
  static std::string parse(std::string_view text, std::string_view name, const AccessLimits& limits,
                           PasswordFile& out);
  // True when `user` is in the file with `password`. An unknown user costs a hash too.
  bool check(std::string_view user, std::span<const std::byte> password) const;
  std::size_t size() const { return users_.size(); }

 private:
  struct Entry {
    bool pbkdf2 = true;           // $7$ (else $6$)
    std::uint32_t iterations = 0;
    std::vector<std::uint8_t> salt;
    std::vector<std::uint8_t> hash;  // 64 bytes
  };
  static bool hash(const Entry& e, std::span<const std::byte> password, std::uint8_t out[64]);
  std::unordered_map<std::string, Entry> users_;
};

// Reads a whole file, at most max_bytes; "" on success, else "<path>: what".
std::string read_bounded(const std::string& path, std::size_t max_bytes, std::string& out);

}  // namespace zp::mqtt::detail
