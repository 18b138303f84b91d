/// \file
/// A password file with salted hashes, in mosquitto_passwd's format (mosquitto 2.x), shared by
/// every service that checks user names and passwords (the MQTT broker, SMTP AUTH):
/// "user:$7$ITERATIONS$SALT$HASH" (PBKDF2-HMAC-SHA512) or "user:$6$SALT$HASH" (SHA-512 of the
/// password then the salt), salt and hash in base64; '#' lines are comments. Hashing is
/// wolfSSL's; the compare is constant-time and an unknown user costs a hash too.
/// \code
///   zp::service::PasswordFile pw;
///   if (std::string err = zp::service::PasswordFile::load("users.pw", {}, pw); !err.empty()) die(err);
///   bool ok = pw.check("alice", std::as_bytes(std::span(password)));   // "users.pw:3: ..." on errors
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace zp::service {

/// Bounds on what a password file may hold.
struct PasswordLimits {
  std::size_t max_file_bytes = 16u << 20;   ///< the whole file
  std::size_t max_lines = 1000000;          ///< lines of the file
  std::size_t max_username = 1024;          ///< bytes of a user name
  std::uint32_t max_iterations = 10000000;  ///< PBKDF2 iterations of a $7$ entry
};

/// The users and their hashes, immutable once parsed (safe to share between threads).
class PasswordFile {
 public:
  /// Parses the text of a password file into `out`; "" on success, else "NAME:LINE: what".
  static std::string parse(std::string_view text, std::string_view name, const PasswordLimits& limits,
                           PasswordFile& out);
  /// Reads and parses the file at `path`; "" on success, else "PATH: what" or "PATH:LINE: what".
  static std::string load(const std::string& path, const PasswordLimits& limits, PasswordFile& out);
  /// True when `user` is in the file with `password`; false otherwise (an unknown user costs a
  /// hash too, so the time does not tell who exists).
  bool check(std::string_view user, std::span<const std::byte> password) const;
  /// The number of users.
  std::size_t size() const { return users_.size(); }
  /// A "$7$ITERATIONS$SALT$HASH" entry for `password` (what mosquitto_passwd writes), for tools
  /// and tests; "" when hashing fails or `salt` is empty.
  static std::string make_hash(std::span<const std::byte> password, std::span<const std::uint8_t> salt,
                               std::uint32_t iterations);

 private:
  struct Entry {
    bool pbkdf2 = true;  // $7$ (else $6$)
    std::uint32_t iterations = 0;
    std::vector<std::uint8_t> salt;
    std::vector<std::uint8_t> hash;  // 64 bytes
  };
  static bool hash(const Entry& e, std::span<const std::byte> password, std::uint8_t out[64]);
  std::unordered_map<std::string, Entry> users_;
};

/// Reads a whole file, at most `max_bytes`, into `out`; "" on success, else "PATH: what".
std::string read_bounded(const std::string& path, std::size_t max_bytes, std::string& out);

}  // namespace zp::service
