#!/usr/bin/env bash
# Smoke test of the Linux packages on an older system than this one, and of the rpm's metadata.
#
# Debian 11 (bullseye, glibc 2.31): a root made by `debootstrap --variant=minbase` from Debian's
# packages, kept in target/debian11-root between runs (about a minute to make). Each run works in
# a copy of it, with /proc mounted, unmounted on exit even on failure. In that root, with a clean
# environment:
#   - the AppImage through its extraction path (APPIMAGE_EXTRACT_AND_RUN=1): --version; kmes-sim
#     started from the AppImage; `check --json` against it says "ok": true; a check against a
#     closed port exits 1;
#   - the deb: `dpkg -i` resolves its dependencies from the root's own packages; then
#     `fxconfig --version`, a man page for fxconfig and each subcommand, the bash, zsh and fish
#     completions (bash loads its own), `check --json` from the installed program, and `dpkg -r`
#     removes every file it installed.
# The rpm: installed with rpm itself (--nodeps) into the same root, `--version` and `check --json`
# from it, and `rpm -e`; here: its name and version, `rpm -qp --requires` names glibc and libgcc only with no
# GLIBC version above the baseline, and `rpm2cpio | cpio -t` lists the deb's files.
# Needs root (debootstrap, mount, chroot). Every command is bounded in time.
#   bash packaging/smoke-linux-packages.sh                  the whole test (builds nothing)
#   bash packaging/smoke-linux-packages.sh --prepare-root   only makes the cached root (CI does this
#                                                           while it builds, as it needs no package)
set -uo pipefail
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/smoke-lib.sh"

[ "$(id -u)" -eq 0 ] || fail "this test needs root: debootstrap, mount and chroot"
for tool in debootstrap chroot rpm rpm2cpio cpio dpkg-deb openssl python3; do
  command -v "$tool" > /dev/null || fail "$tool is missing: run packaging/system-deps.sh"
done
work=$(mktemp -d)
root=$work/root
root_cache=$target_dir/debian11-root
source "$(dirname "$0")/debian-archive.sh"
mirror=$(debian_archive)
[ -n "$mirror" ] || fail "no Debian archive in this machine's apt sources: set DEBIAN_MIRROR"

# mounts_under DIR: the mount points at or under DIR, deepest first.
mounts_under() {
  awk -v dir="$1" '$2 == dir || index($2, dir "/") == 1 { print $2 }' /proc/mounts | sort -r
}
# unmount_under DIR: unmounts everything at or under DIR; returns 1 if something stays mounted.
unmount_under() {
  local point
  for point in $(mounts_under "$1"); do
    umount "$point" 2> /dev/null || umount -l "$point" 2> /dev/null || true
  done
  [ -z "$(mounts_under "$1")" ]
}
# remove_tree DIR: removes a root tree, but never one that still has a file system mounted in it.
remove_tree() {
  if unmount_under "$1"; then
    rm -rf "$1"
  else
    echo "left $1 in place: still mounted there: $(mounts_under "$1" | tr '\n' ' ')" >&2
  fi
}
trap 'cleanup; remove_tree "$work"' EXIT
# An interrupt or timeout ends the script through exit, so the EXIT trap unmounts /proc then too.
trap 'exit 130' INT
trap 'exit 143' TERM

# --- The Debian 11 root ----------------------------------------------------------------------------
# prepare_root: makes the cached Debian 11 root unless a complete one is there.
prepare_root() {
  if [ ! -f "$root_cache/etc/debian_version" ] || [ ! -f "$root_cache/.fxconfig-complete" ]; then
    started=$(date +%s)
    step "making the Debian 11 root in $root_cache (debootstrap --variant=minbase bullseye $mirror)"
    remove_tree "$root_cache.partial"
    remove_tree "$root_cache"
    if ! timeout 900 debootstrap --variant=minbase bullseye "$root_cache.partial" "$mirror" > "$work/debootstrap.log" 2>&1; then
      tail -n 20 "$work/debootstrap.log" >&2
      remove_tree "$root_cache.partial"
      fail "debootstrap failed"
    fi
    unmount_under "$root_cache.partial" || fail "debootstrap left file systems mounted in $root_cache.partial"
    touch "$root_cache.partial/.fxconfig-complete"
    mv "$root_cache.partial" "$root_cache"
    echo "made in $(elapsed_since "$started") s, $(du -sh "$root_cache" | cut -f1)"
  else
    echo "reusing the Debian 11 root in $root_cache"
  fi
}
if [ "${1:-}" = "--prepare-root" ]; then
  prepare_root
  exit 0
fi

echo "smoke test of the Linux packages"
appimage=$dist_dir/fxconfig-$version-x86_64.AppImage
deb=$dist_dir/fxconfig_${version}_amd64.deb
rpm=$dist_dir/fxconfig-$version-1.x86_64.rpm
for package in "$appimage" "$deb" "$rpm"; do
  [ -f "$package" ] || fail "no package at $package: run packaging/build-appimage.sh and packaging/build-linux-packages.sh"
done

prepare_root
cp -a "$root_cache" "$root" || fail "cannot copy the Debian 11 root"
mount -t proc proc "$root/proc" || fail "cannot mount /proc in the root"

# A command in the root, with a clean environment. chroot and env exec what follows, so a
# background command's process id is the program's own.
root_env=(chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
# in_root COMMAND...: runs COMMAND in the root, bounded in time.
in_root() {
  timeout 60 "${root_env[@]}" "$@"
}

glibc=$(in_root getconf GNU_LIBC_VERSION)
[ "$glibc" = "glibc 2.31" ] && pass "the root is Debian $(cat "$root/etc/debian_version") with $glibc" ||
  fail_check "the root's glibc is '$glibc', expected glibc 2.31"

mkdir -p "$root/pki"
make_pki "$root/pki"
in_appimage=/opt/fxconfig-$version-x86_64.AppImage
install -m 755 "$appimage" "$root$in_appimage"
app=(in_root APPIMAGE_EXTRACT_AND_RUN=1 "$in_appimage")

# --- The AppImage in Debian 11 ---------------------------------------------------------------------
in_root APPIMAGE_DEBUG=1 APPIMAGE_EXTRACT_AND_RUN=1 "$in_appimage" --version > "$work/version.out" 2> "$work/version.err"
expect_code 0 $? "[AppImage] --version in Debian 11"
[ "$(cat "$work/version.out")" = "fxconfig $version" ] && pass "[AppImage] it prints fxconfig $version" ||
  fail_check "[AppImage] --version printed '$(cat "$work/version.out")' $(head -c 500 "$work/version.err")"
# The runtime took its extraction path: it says so, and the root's cache holds the AppDir.
cache_dir=/root/.cache/fxconfig/appimage/$(sha256sum "$appimage" | cut -d' ' -f1)
grep -q "running from $cache_dir" "$work/version.err" && [ -x "$root$cache_dir/usr/bin/fxconfig" ] &&
  pass "[AppImage] extracted and ran from $cache_dir" ||
  fail_check "[AppImage] not run from the extraction cache $cache_dir: $(head -c 500 "$work/version.err")"

start_background "$work/sim.out" "$work/sim.err" "${root_env[@]}" APPIMAGE_EXTRACT_AND_RUN=1 "$in_appimage" kmes-sim --listen 127.0.0.1:0 \
  --ca /pki/ca.pem --cert /pki/server.pem --key /pki/server.key
port=$(wait_for_port "$work/sim.out") || fail "kmes-sim from the AppImage did not start: $(cat "$work/sim.err")"
pass "[AppImage] kmes-sim from the AppImage listens on port $port"

write_cfg "$root/pki/fxpkcs11.cfg" "$port" /pki/ca.pem /pki/client.p12
"${app[@]}" check --config /pki/fxpkcs11.cfg --json > "$work/check.json" 2> "$work/check.err"
expect_code 0 $? "[AppImage] check --json against the simulator"
[ "$(json_ok "$work/check.json" 2> /dev/null)" = true ] && pass "[AppImage] check --json says \"ok\": true" ||
  fail_check "[AppImage] check --json: $(cat "$work/check.json" "$work/check.err" | head -c 2000)"

write_cfg "$root/pki/closed.cfg" "$(closed_port)" /pki/ca.pem /pki/client.p12
"${app[@]}" check --config /pki/closed.cfg --json --timeout 2 > "$work/closed.json" 2> /dev/null
expect_code 1 $? "[AppImage] a check against a closed port fails"
[ "$(json_ok "$work/closed.json" 2> /dev/null)" = false ] && pass "[AppImage] it says \"ok\": false" ||
  fail_check "[AppImage] the failing check's JSON: $(head -c 1000 "$work/closed.json")"

# --- The deb in Debian 11 --------------------------------------------------------------------------
cp "$deb" "$root/tmp/fxconfig.deb"
in_root dpkg -i /tmp/fxconfig.deb > "$work/dpkg.out" 2>&1
expect_code 0 $? "[deb] dpkg -i in Debian 11 ($(dpkg-deb --field "$deb" Depends))"
[ "$(in_root fxconfig --version 2>&1)" = "fxconfig $version" ] && pass "[deb] fxconfig --version prints fxconfig $version" ||
  fail_check "[deb] fxconfig --version: $(in_root fxconfig --version 2>&1 | head -c 500) $(cat "$work/dpkg.out")"

in_root dpkg -L fxconfig > "$work/files" 2> /dev/null
pages=$(grep -c '^/usr/share/man/man1/fxconfig.*\.1\.gz$' "$work/files")
subcommands=$(in_root fxconfig --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF && $1 != "help" { print $1 }')
missing=""
for page in fxconfig $(sed 's/^/fxconfig-/' <<< "$subcommands"); do
  file=/usr/share/man/man1/$page.1.gz
  if [ -f "$root$file" ] && in_root zcat "$file" | grep -q '^\.TH'; then :; else missing+=" $page"; fi
done
[ -z "$missing" ] && pass "[deb] $pages man pages, one for fxconfig and for each of its $(wc -l <<< "$subcommands") commands" ||
  fail_check "[deb] no man page (or no .TH header) for:$missing"
for completion in /usr/share/bash-completion/completions/fxconfig /usr/share/zsh/vendor-completions/_fxconfig \
  /usr/share/fish/vendor_completions.d/fxconfig.fish; do
  grep -qx "$completion" "$work/files" && [ -s "$root$completion" ] && pass "[deb] completion $completion" ||
    fail_check "[deb] no completion $completion"
done
loaded=$(in_root bash -c 'source /usr/share/bash-completion/completions/fxconfig && complete -p fxconfig' 2>&1)
[[ "$loaded" == "complete "*" fxconfig" ]] && pass "[deb] bash loads the completion: $loaded" ||
  fail_check "[deb] bash did not load the completion: $loaded"
for doc in README.md LICENSE-MIT LICENSE-APACHE fxconfig.cdx.json; do
  [ -s "$root/usr/share/doc/fxconfig/$doc" ] || missing+=" $doc"
done
[ -z "$missing" ] && pass "[deb] README, licences and the SBOM in /usr/share/doc/fxconfig" || fail_check "[deb] missing:$missing"
sbom_crates=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["components"]))' \
  "$root/usr/share/doc/fxconfig/fxconfig.cdx.json" 2> /dev/null || echo 0)
[ "$sbom_crates" -gt 100 ] && pass "[deb] the SBOM lists $sbom_crates crates" || fail_check "[deb] the SBOM lists $sbom_crates crates"

in_root fxconfig check --config /pki/fxpkcs11.cfg --json > "$work/deb-check.json" 2> "$work/deb-check.err"
expect_code 0 $? "[deb] the installed fxconfig checks against the simulator"
[ "$(json_ok "$work/deb-check.json" 2> /dev/null)" = true ] && pass "[deb] check --json says \"ok\": true" ||
  fail_check "[deb] check --json: $(cat "$work/deb-check.json" "$work/deb-check.err" | head -c 2000)"
grep -q "$smoke_p12_password" "$work"/*.json "$work"/*.err && fail_check "a password was printed" ||
  pass "no password in any output"

in_root dpkg -r fxconfig > /dev/null 2>&1
expect_code 0 $? "[deb] dpkg -r"
left=""
while IFS= read -r file; do
  [ -f "$root$file" ] && left+=" $file"
done < "$work/files"
[ -z "$left" ] && pass "[deb] dpkg -r removed every installed file" || fail_check "[deb] left behind:$left"

# The rpm, installed by rpm itself into the same root: with a database of its own there, which
# knows none of Debian's packages, so --nodeps (its requirements are checked below, by name).
rpm --root "$root" --initdb > "$work/rpm.out" 2>&1 &&
  timeout 120 rpm --root "$root" -i --nodeps "$rpm" >> "$work/rpm.out" 2>&1 &&
  pass "[rpm] rpm -i --nodeps in the Debian 11 root" ||
  fail_check "[rpm] rpm -i --nodeps: $(head -c 500 "$work/rpm.out")"
rpm --root "$root" -ql fxconfig > "$work/rpm-files" 2> /dev/null
[ "$(in_root fxconfig --version 2>&1)" = "fxconfig $version" ] &&
  pass "[rpm] the installed fxconfig --version prints fxconfig $version" ||
  fail_check "[rpm] fxconfig --version: $(in_root fxconfig --version 2>&1 | head -c 500)"
in_root fxconfig check --config /pki/fxpkcs11.cfg --json > "$work/rpm-check.json" 2> "$work/rpm-check.err"
expect_code 0 $? "[rpm] the installed fxconfig checks against the simulator"
[ "$(json_ok "$work/rpm-check.json" 2> /dev/null)" = true ] && pass "[rpm] check --json says \"ok\": true" ||
  fail_check "[rpm] check --json: $(cat "$work/rpm-check.json" "$work/rpm-check.err" | head -c 2000)"
timeout 120 rpm --root "$root" -e fxconfig > "$work/rpm.out" 2>&1 && pass "[rpm] rpm -e" ||
  fail_check "[rpm] rpm -e: $(head -c 500 "$work/rpm.out")"
left=""
while IFS= read -r file; do
  [ -f "$root$file" ] && left+=" $file"
done < "$work/rpm-files"
[ -s "$work/rpm-files" ] && [ -z "$left" ] && pass "[rpm] rpm -e removed every file of the $(wc -l < "$work/rpm-files") paths it had installed" ||
  fail_check "[rpm] left behind:${left:- (rpm -ql listed nothing)}"
cleanup
unmount_under "$root" && pass "/proc unmounted from the root" || fail_check "still mounted: $(mounts_under "$root")"

# --- The rpm ---------------------------------------------------------------------------------------
identity=$(rpm -qp --queryformat '%{NAME} %{VERSION} %{RELEASE} %{ARCH}' "$rpm" 2> /dev/null)
[ "$identity" = "fxconfig $version 1 x86_64" ] && pass "[rpm] $identity" || fail_check "[rpm] name, version: $identity"
rpm -qp --requires "$rpm" > "$work/requires" 2> /dev/null
expect_code 0 $? "[rpm] rpm -qp --requires"
bad=""
while IFS= read -r requirement; do
  case $requirement in
    rpmlib\(*\)* | "rtld(GNU_HASH)") continue ;;
    libc.so.6* | libm.so.6* | libdl.so.2* | libpthread.so.0* | librt.so.1* | libutil.so.1* | ld-linux-x86-64.so.2* | libgcc_s.so.1*) ;;
    *) bad+=" [$requirement]" ;;
  esac
  glibc_version=$(grep -o 'GLIBC_[0-9][0-9.]*' <<< "$requirement" | sed 's/^GLIBC_//')
  if [ -n "$glibc_version" ] &&
    [ "$(printf '%s\n%s\n' "$glibc_version" "$glibc_baseline" | sort -V | tail -n 1)" != "$glibc_baseline" ]; then
    bad+=" [$requirement: above $glibc_baseline]"
  fi
done < "$work/requires"
highest=$(grep -o 'GLIBC_[0-9][0-9.]*' "$work/requires" | sort -V | tail -n 1)
[ -z "$bad" ] && [ -n "$highest" ] &&
  pass "[rpm] requires glibc's libraries only, at most ${highest} (baseline GLIBC_$glibc_baseline): $(grep -vc '^rpmlib' "$work/requires") requirements" ||
  fail_check "[rpm] requirements:${bad:- none on glibc found}"

deb_files=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $6 }' | sed 's|^\./|/|' |
  sed 's|/usr/share/zsh/vendor-completions/|/usr/share/zsh/site-functions/|' | LC_ALL=C sort)
rpm_files=$(rpm2cpio "$rpm" | cpio -tv --quiet 2> /dev/null | awk '$1 !~ /^d/ { print $NF }' | sed 's|^\./|/|' |
  LC_ALL=C sort)
listed=$(rpm -qpl "$rpm" 2> /dev/null | LC_ALL=C sort)
[ -n "$rpm_files" ] && [ "$rpm_files" = "$deb_files" ] &&
  pass "[rpm] rpm2cpio | cpio -tv lists the deb's $(wc -l <<< "$rpm_files") files (zsh's completion in site-functions, not vendor-completions)" ||
  fail_check "[rpm] the rpm's files differ from the deb's: $(diff <(echo "$deb_files") <(echo "$rpm_files") | head -n 10)"
[ "$(comm -23 <(echo "$rpm_files") <(echo "$listed"))" = "" ] && pass "[rpm] rpm -qpl names every file of the payload" ||
  fail_check "[rpm] rpm -qpl lacks: $(comm -23 <(echo "$rpm_files") <(echo "$listed") | head -n 5)"

summary smoke-linux-packages
