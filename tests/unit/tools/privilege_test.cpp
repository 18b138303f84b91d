// zproto serve's privilege drop: user and group lookup (names, primary group, what does not
// exist), and drop_privileges in a forked child (it cannot be undone): as root it switches
// to nobody for good; as another user it fails with EPERM.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "privilege.h"

namespace {

using zp::cli::drop_privileges;
using zp::cli::resolve_identity;

TEST(Privilege, ResolvesUsersAndGroups) {
  auto root = resolve_identity("root", "");
  ASSERT_TRUE(root) << root.error;
  EXPECT_EQ(root.identity->uid, 0u);
  EXPECT_EQ(root.identity->gid, 0u);
  EXPECT_EQ(root.identity->group, "root");  // the primary group, by name
  auto nobody = resolve_identity("nobody", "root");
  ASSERT_TRUE(nobody) << nobody.error;
  EXPECT_NE(nobody.identity->uid, 0u);
  EXPECT_EQ(nobody.identity->group, "root");
  EXPECT_EQ(nobody.identity->gid, 0u);  // the group asked for, not the user's own
  auto no_user = resolve_identity("zp-no-such-user", "");
  ASSERT_FALSE(no_user);
  EXPECT_EQ(no_user.error, "user \"zp-no-such-user\" does not exist");
  auto no_group = resolve_identity("root", "zp-no-such-group");
  ASSERT_FALSE(no_group);
  EXPECT_EQ(no_group.error, "group \"zp-no-such-group\" does not exist");
}

// Runs drop_privileges(nobody) in a child: its exit code is 0 on success, else the errno;
// 100 + n when the child could still do what nobody must not.
int drop_in_child() {
  auto nobody = resolve_identity("nobody", "");
  if (!nobody) return -1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    auto r = drop_privileges(*nobody.identity);
    if (!r) ::_exit(r.error().value());
    if (::getuid() != nobody.identity->uid || ::geteuid() != nobody.identity->uid) ::_exit(101);
    if (::setuid(0) == 0) ::_exit(102);
    if (::access("/root", W_OK) == 0) ::_exit(103);
    ::_exit(0);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

TEST(Privilege, DropIsForGood) {
  const int rc = drop_in_child();
  if (::geteuid() == 0) EXPECT_EQ(rc, 0) << "child exit " << rc;
  else EXPECT_EQ(rc, EPERM) << "child exit " << rc;
}

}  // namespace
