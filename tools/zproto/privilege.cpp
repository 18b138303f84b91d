#include "privilege.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace zp::cli {
namespace {

size_t lookup_buffer_bytes(int name) {
  const long n = sysconf(name);
  return n > 0 ? size_t(n) : size_t{16384};
}

}  // namespace

IdentityResult resolve_identity(const std::string& user, const std::string& group) {
  Identity id;
  std::vector<char> buf(lookup_buffer_bytes(_SC_GETPW_R_SIZE_MAX));
  passwd pw{};
  passwd* pw_found = nullptr;
  int err;
  while ((err = getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &pw_found)) == ERANGE) {
    buf.resize(buf.size() * 2);
  }
  if (err != 0) return {std::nullopt, "cannot look up user \"" + user + "\": " + std::strerror(err)};
  if (!pw_found) return {std::nullopt, "user \"" + user + "\" does not exist"};
  id.user = user;
  id.uid = pw.pw_uid;
  id.gid = pw.pw_gid;

  std::vector<char> gbuf(lookup_buffer_bytes(_SC_GETGR_R_SIZE_MAX));
  struct group gr{};
  struct group* gr_found = nullptr;
  if (group.empty()) {
    while ((err = getgrgid_r(id.gid, &gr, gbuf.data(), gbuf.size(), &gr_found)) == ERANGE) {
      gbuf.resize(gbuf.size() * 2);
    }
    id.group = (err == 0 && gr_found) ? gr.gr_name : std::to_string(id.gid);
    return {std::move(id), {}};
  }
  while ((err = getgrnam_r(group.c_str(), &gr, gbuf.data(), gbuf.size(), &gr_found)) == ERANGE) {
    gbuf.resize(gbuf.size() * 2);
  }
  if (err != 0) return {std::nullopt, "cannot look up group \"" + group + "\": " + std::strerror(err)};
  if (!gr_found) return {std::nullopt, "group \"" + group + "\" does not exist"};
  id.group = group;
  id.gid = gr.gr_gid;
  return {std::move(id), {}};
}

Result<void> drop_privileges(const Identity& id) {
  if (setgid(id.gid) != 0) return fail(errno);
  if (initgroups(id.user.c_str(), id.gid) != 0) return fail(errno);
  if (setuid(id.uid) != 0) return fail(errno);
  // Paranoia (as OpenSSH does): a non-root target must not be able to become root again.
  if (id.uid != 0 && (setuid(0) == 0 || geteuid() == 0)) return fail(EPERM);
  if (getuid() != id.uid || getgid() != id.gid) return fail(EPERM);
  return {};
}

}  // namespace zp::cli
