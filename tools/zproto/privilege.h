// Privilege drop for `zproto serve` started as root, the way nginx does it: listeners are
// bound first, then setgid, initgroups and setuid switch every thread to the configured
// user (glibc applies set*id to all threads of the process).
//   auto id = zp::cli::resolve_identity("zproto", "");
//   if (!id) die(id.error);
//   ... bind listeners ...
//   if (auto r = zp::cli::drop_privileges(*id.identity); !r) die(...);
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "zp/result.h"

namespace zp::cli {

struct Identity {
  std::string user;
  std::string group;
  uid_t uid = 0;
  gid_t gid = 0;
};

struct [[nodiscard]] IdentityResult {
  std::optional<Identity> identity;  // set on success
  std::string error;                 // e.g. `user "zproto" does not exist`
  explicit operator bool() const { return identity.has_value(); }
};

// Looks up `user` and `group` (empty group: the user's primary group).
IdentityResult resolve_identity(const std::string& user, const std::string& group);

// setgid(gid), initgroups(user, gid), setuid(uid), then checks that root cannot be
// regained. Returns the errno of the first step that failed (EPERM when not root).
Result<void> drop_privileges(const Identity& id);

}  // namespace zp::cli
