#!/usr/bin/env bash
# Installs fxconfig from the signed apt repository that packaging/sign.sh left in target/dist/apt/, in
# a copy of the Debian 11 root that smoke-linux-packages.sh keeps (target/debian11-root): the
# repository added with `signed-by=` the published key, `apt-get update`, `apt-get install fxconfig`,
# `fxconfig --version`. Then the same repository with another key in `signed-by=`: apt-get update must
# refuse it. Needs root (chroot), like the smoke test; runs nothing outside the copy.
set -euo pipefail
cd "$(dirname "$0")/.."
source packaging/common.sh
source packaging/smoke-lib.sh
[ "$(id -u)" -eq 0 ] || fail "this test needs root: chroot"
root_cache=$target_dir/debian11-root
[ -f "$root_cache/.fxconfig-complete" ] || fail "no Debian 11 root in $root_cache: run packaging/smoke-linux-packages.sh first"
repo=$dist_dir/apt
[ -f "$repo/dists/stable/InRelease" ] || fail "no signed repository in $repo: run packaging/sign.sh first"
work=$(mktemp -d)
root=$work/root
finish() {
  if [ -d "$work/other" ]; then gpgconf --homedir "$work/other" --kill all 2> /dev/null || true; fi
  umount "$root/proc" 2> /dev/null || umount -l "$root/proc" 2> /dev/null || true
  if ! grep -q " $root/" /proc/mounts; then rm -rf "$work"; fi
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "apt repository test in Debian 11"
cp -a "$root_cache" "$root"
mount -t proc proc "$root/proc"
mkdir -p "$root/srv/fxconfig-apt"
cp -a "$repo/." "$root/srv/fxconfig-apt/"
gpg --batch --dearmor < "$dist_dir/fxconfig-signing-key.asc" > "$root/usr/share/keyrings/fxconfig.gpg"
mkdir -m 700 "$work/other"
gpg --homedir "$work/other" --batch --quiet --passphrase '' --quick-gen-key "not the fxconfig key" ed25519 sign 1d
gpg --homedir "$work/other" --batch --export "not the fxconfig key" > "$root/usr/share/keyrings/other.gpg"
printf 'deb [signed-by=/usr/share/keyrings/fxconfig.gpg] file:/srv/fxconfig-apt stable main\n' \
  > "$root/etc/apt/sources.list.d/fxconfig.list"
printf 'deb [signed-by=/usr/share/keyrings/other.gpg] file:/srv/fxconfig-apt stable main\n' > "$root/etc/apt/other.list"
apt_in_root() { # SOURCES-LIST APT-GET-ARGUMENTS...
  local list=$1
  shift
  timeout 120 chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    apt-get -o "Dir::Etc::sourcelist=$list" -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0 "$@"
}

apt_in_root /etc/apt/other.list update > "$work/other.out" 2>&1 &&
  fail_check "apt-get update accepted the repository with another key in signed-by" ||
  pass "apt-get update refuses the repository with another key: $(grep -m1 -oE "NO_PUBKEY [0-9A-F]+|is not signed" "$work/other.out" || tail -n 1 "$work/other.out")"
apt_in_root /etc/apt/sources.list.d/fxconfig.list update > "$work/update.out" 2>&1 &&
  pass "apt-get update reads the signed repository (signed-by the published key)" ||
  fail_check "apt-get update: $(tail -n 5 "$work/update.out")"
apt_in_root /etc/apt/sources.list.d/fxconfig.list install -y fxconfig > "$work/install.out" 2>&1 &&
  pass "apt-get install -y fxconfig from the repository" || fail_check "apt-get install: $(tail -n 5 "$work/install.out")"
said=$(timeout 60 chroot "$root" /usr/bin/fxconfig --version 2>&1) && [ "$said" = "fxconfig $version" ] &&
  pass "the installed fxconfig --version prints $said" || fail_check "fxconfig --version: $said"
summary check-apt-repository
