// The password file and the ACL together: the broker's questions at CONNECT, PUBLISH,
// SUBSCRIBE and delivery.
#include "zp/mqtt/access.h"

#include "acl.h"
#include "zp/service/password_file.h"

namespace zp::mqtt {

Access::~Access() = default;

std::shared_ptr<const Access> Access::parse(std::string_view password_text, std::string_view acl_text,
                                            const AccessConfig& cfg, std::string& error) {
  std::shared_ptr<Access> a(new Access());
  a->max_username_ = cfg.limits.max_username;
  if (!cfg.password_file.empty()) {
    a->passwords_ = std::make_unique<zp::service::PasswordFile>();
    const zp::service::PasswordLimits pl{.max_file_bytes = cfg.limits.max_file_bytes, .max_lines = cfg.limits.max_lines,
                                     .max_username = cfg.limits.max_username,
                                     .max_iterations = cfg.limits.max_iterations};
    error = zp::service::PasswordFile::parse(password_text, cfg.password_file, pl, *a->passwords_);
    if (!error.empty()) return nullptr;
  }
  if (!cfg.acl_file.empty()) {
    a->acl_ = std::make_unique<detail::AclFile>();
    error = detail::AclFile::parse(acl_text, cfg.acl_file, cfg.limits, *a->acl_);
    if (!error.empty()) return nullptr;
  }
  // mosquitto's rule: anonymous clients are refused once a password file is given.
  a->allow_anonymous_ = cfg.allow_anonymous.value_or(cfg.password_file.empty());
  return a;
}

std::shared_ptr<const Access> Access::load(const AccessConfig& cfg, std::string& error) {
  std::string pw, acl;
  if (!cfg.password_file.empty()) {
    error = zp::service::read_bounded(cfg.password_file, cfg.limits.max_file_bytes, pw);
    if (!error.empty()) return nullptr;
  }
  if (!cfg.acl_file.empty()) {
    error = zp::service::read_bounded(cfg.acl_file, cfg.limits.max_file_bytes, acl);
    if (!error.empty()) return nullptr;
  }
  return parse(pw, acl, cfg, error);
}

Login Access::login(const std::string_view* username, const std::span<const std::byte>* password) const {
  if (!username) return allow_anonymous_ ? Login::ok : Login::not_authorized;
  if (!passwords_) return allow_anonymous_ ? Login::ok : Login::not_authorized;  // no way to check anyone
  if (!password || username->size() > max_username_) return Login::bad_credentials;
  return passwords_->check(*username, *password) ? Login::ok : Login::bad_credentials;
}

bool Access::may_publish(const Identity& who, std::string_view topic) const {
  if (is_sys_topic(topic)) return false;  // the broker's own
  return !acl_ || acl_->allows(who, detail::AclFile::write, topic, false);
}

bool Access::may_subscribe(const Identity& who, std::string_view filter) const {
  return !acl_ || acl_->allows(who, detail::AclFile::read, filter, true);
}

bool Access::may_read(const Identity& who, std::string_view topic) const {
  return !acl_ || acl_->allows(who, detail::AclFile::read, topic, false);
}

}  // namespace zp::mqtt
