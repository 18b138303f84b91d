#!/usr/bin/env bash
# tools/zp's package step in the three cases the README promises:
#   root without sudo on PATH  -> installs by itself (here: nothing missing, sudo never called)
#   a user with sudo           -> runs apt-get through sudo
#   a user without sudo        -> prints the exact apt-get line and exits 1
# A copy of tools/zp requires one extra, nonexistent package so the last two cases have
# something to install; a fake sudo records what it was asked to run.
set -euo pipefail
src="${1:?usage: zp_deps_test.sh SOURCE_DIR}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

# A PATH with the system tools but no sudo: symlinks to what zp uses.
mkdir -p "$work/nosudo" "$work/withsudo"
for t in bash env id dpkg-query printf cat dirname sed tr grep mktemp rm; do
  p="$(command -v "$t")" && ln -s "$p" "$work/nosudo/$t"
  p="$(command -v "$t")" && ln -s "$p" "$work/withsudo/$t"
done
cat >"$work/withsudo/sudo" <<'SUDO'
#!/bin/bash
printf '%s\n' "$*" >>"${ZP_FAKE_SUDO_LOG:?}"
SUDO
chmod 755 "$work/withsudo/sudo"
cp "$work/withsudo/sudo" "$work/nosudo/.not-on-path-sudo"

# The real script, as is: as root with no sudo every package is present (CI installed them).
if [[ "$(id -u)" == 0 ]]; then
  log="$work/root-sudo.log"
  PATH="$work/nosudo" ZP_FAKE_SUDO_LOG="$log" bash "$src/tools/zp" deps ||
    fail "root without sudo: zp deps exited $?"
  [[ ! -e "$log" ]] || fail "root without sudo: sudo was called"
  echo "ok: root without sudo"
fi

# A copy that needs one more package, readable by an unprivileged user.
mkdir -p "$work/tree/tools"
sed 's/^PACKAGES=(/PACKAGES=(zp-no-such-package /' "$src/tools/zp" >"$work/tree/tools/zp"
chmod -R a+rX "$work/tree"
grep -q 'PACKAGES=(zp-no-such-package ' "$work/tree/tools/zp" || fail "could not patch the copy"

as_user() {  # PATH command...: runs as nobody when we are root, else as ourselves
  local path="$1"
  shift
  if [[ "$(id -u)" == 0 ]]; then
    setpriv --reuid=nobody --regid=nogroup --clear-groups env -i PATH="$path" \
      ZP_FAKE_SUDO_LOG="$ZP_FAKE_SUDO_LOG" "$@"
  else
    env -i PATH="$path" ZP_FAKE_SUDO_LOG="$ZP_FAKE_SUDO_LOG" "$@"
  fi
}

# A user without sudo: the exact line, exit 1, nothing run.
export ZP_FAKE_SUDO_LOG="$work/user-nosudo.log"
set +e
out="$(as_user "$work/nosudo" bash "$work/tree/tools/zp" deps 2>"$work/err")"
rc=$?
set -e
((rc == 1)) || fail "user without sudo: exit $rc, want 1 ($(cat "$work/err"))"
[[ "$out" == "apt-get update && apt-get install -y --no-install-recommends zp-no-such-package" ]] ||
  fail "user without sudo: printed '$out'"
[[ ! -e "$ZP_FAKE_SUDO_LOG" ]] || fail "user without sudo: something ran sudo"
echo "ok: user without sudo"

# A user with sudo: apt-get update and install through sudo, then success.
touch "$work/user-sudo.log" && chmod 666 "$work/user-sudo.log"
export ZP_FAKE_SUDO_LOG="$work/user-sudo.log"
as_user "$work/withsudo" bash "$work/tree/tools/zp" deps 2>"$work/err" ||
  fail "user with sudo: exit $? ($(cat "$work/err"))"
want=$'env DEBIAN_FRONTEND=noninteractive apt-get update\nenv DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends zp-no-such-package'
[[ "$(cat "$ZP_FAKE_SUDO_LOG")" == "$want" ]] ||
  fail "user with sudo: sudo ran '$(cat "$ZP_FAKE_SUDO_LOG")'"
echo "ok: user with sudo"
echo "zp deps: all cases passed"
