/// \file
/// Who may connect and what they may do: a mosquitto_passwd password file and a mosquitto
/// acl_file, read once at start (an error names file:line and the broker does not start).
/// \code
///   std::string err;
///   auto access = zp::mqtt::Access::load({.password_file = "pw", .acl_file = "acl"}, err);
///   if (!access) die(err);                          // "acl:3: unknown access \"rw\""
///   zp::mqtt::BrokerOptions opts;
///   opts.access = access;                           // CONNECT, PUBLISH, SUBSCRIBE checked
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace zp::service {
class PasswordFile;
}  // namespace zp::service

namespace zp::mqtt {

namespace detail {
class AclFile;
}  // namespace detail

/// Bounds on what the files may hold.
struct AccessLimits {
  std::size_t max_file_bytes = 16u << 20;   ///< each file
  std::size_t max_lines = 1000000;          ///< each file
  std::size_t max_username = 1024;          ///< bytes of a user name (file and CONNECT)
  std::uint32_t max_iterations = 10000000;  ///< PBKDF2 iterations of a $7$ entry
};

/// The files and the anonymous policy (mosquitto's password_file, acl_file, allow_anonymous).
struct AccessConfig {
  std::string password_file{};             ///< "" none: user names and passwords are not checked
  std::string acl_file{};                  ///< "" none: every topic for every client
  std::optional<bool> allow_anonymous{};   ///< clients without a user name; unset: allowed only without a password file
  AccessLimits limits{};                   ///< bounds of the files
};

/// The outcome of a CONNECT's credentials.
enum class Login : std::uint8_t {
  ok,               ///< accepted
  bad_credentials,  ///< unknown user or wrong password (CONNACK 4 / 0x86)
  not_authorized,   ///< anonymous and not allowed (CONNACK 5 / 0x87)
};

/// Who a connection is, for the ACL.
struct Identity {
  std::string_view client_id{};        ///< its client id
  const std::string* username = nullptr;  ///< its user name, null when it gave none
};

/// The password file and ACL, immutable once loaded; shared by every shard (read only).
class Access {
 public:
  /// Reads the files; null with `error` ("path:line: what") when one is unreadable or wrong.
  static std::shared_ptr<const Access> load(const AccessConfig& cfg, std::string& error);
  /// The same from texts (tests): `names` of the two for messages; empty text: no such file.
  static std::shared_ptr<const Access> parse(std::string_view password_text, std::string_view acl_text,
                                             const AccessConfig& cfg, std::string& error);
  ~Access();
  Access(const Access&) = delete;
  Access& operator=(const Access&) = delete;

  /// CONNECT: null `username` when the client sent none, null `password` likewise.
  Login login(const std::string_view* username, const std::span<const std::byte>* password) const;
  /// May it PUBLISH to topic name `topic` ($SYS topics: never).
  bool may_publish(const Identity& who, std::string_view topic) const;
  /// May it SUBSCRIBE to `filter`: a read rule covers every topic the filter matches.
  bool may_subscribe(const Identity& who, std::string_view filter) const;
  /// May it receive a message on topic name `topic`.
  bool may_read(const Identity& who, std::string_view topic) const;
  /// "$SYS" and "$SYS/...": the broker's topics, read-only for clients.
  static bool is_sys_topic(std::string_view topic) { return topic == "$SYS" || topic.starts_with("$SYS/"); }
  bool has_acl() const { return acl_ != nullptr; }  ///< an ACL file was given
  bool has_passwords() const { return passwords_ != nullptr; }  ///< a password file was given
  bool allow_anonymous() const { return allow_anonymous_; }  ///< the policy in effect

 private:
  Access() = default;
  std::unique_ptr<zp::service::PasswordFile> passwords_;
  std::unique_ptr<detail::AclFile> acl_;
  bool allow_anonymous_ = true;
  std::size_t max_username_ = 1024;
};

}  // namespace zp::mqtt
