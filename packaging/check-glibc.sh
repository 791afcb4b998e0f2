#!/usr/bin/env bash
# Checks every ELF file the Linux packages ship against the glibc baseline (common.sh): the
# AppImage's runtime (the AppImage file itself) and every ELF inside its squashfs image, and every
# ELF inside the deb and the rpm. For each it prints the highest GLIBC_x.y symbol version it needs
# (`objdump -T`) and its NEEDED libraries, and fails when a version is above the baseline or a
# package holds no ELF at all. Packages default to the ones in target/dist/; or name them.
set -euo pipefail
source "$(dirname "$0")/common.sh"
for tool in objdump readelf unsquashfs dpkg-deb rpm2cpio cpio; do
  command -v "$tool" > /dev/null || fail "$tool is missing: run packaging/system-deps.sh"
done
if [ "$#" -eq 0 ]; then
  set -- "$dist_dir/fxconfig-$version-x86_64.AppImage" "$dist_dir/fxconfig_${version}_amd64.deb" \
    "$dist_dir/fxconfig-$version-1.x86_64.rpm"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# is_elf FILE: whether FILE starts with the ELF magic.
is_elf() {
  [ "$(od -An -tx1 -N4 "$1" 2> /dev/null | tr -d ' ')" = 7f454c46 ]
}

# highest_glibc FILE: the highest GLIBC_x.y version among FILE's dynamic symbols (none: "none").
highest_glibc() {
  local versions
  versions=$(objdump -T "$1" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/^GLIBC_//' | sort -u -V)
  [ -n "$versions" ] && tail -n 1 <<< "$versions" || echo none
}

failures=0
# check_elf LABEL FILE: prints and checks one ELF file.
check_elf() {
  local label=$1 file=$2 highest needed
  highest=$(highest_glibc "$file")
  needed=$(readelf -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ' | sed 's/ $//')
  if [ "$highest" != none ] &&
    [ "$(printf '%s\n%s\n' "$highest" "$glibc_baseline" | sort -V | tail -n 1)" != "$glibc_baseline" ]; then
    echo "FAIL  $label needs GLIBC_$highest, above the baseline $glibc_baseline (needs: $needed)"
    failures=$((failures + 1))
  else
    echo "ok    $label: highest GLIBC_$highest (baseline $glibc_baseline; needs: ${needed:-nothing})"
  fi
}

# check_tree LABEL DIR: checks every ELF file under DIR; fails when there is none.
check_tree() {
  local label=$1 dir=$2 count=0 file
  while IFS= read -r -d '' file; do
    if is_elf "$file"; then
      check_elf "$label: ${file#"$dir"/}" "$file"
      count=$((count + 1))
    fi
  done < <(find "$dir" -type f -print0 | sort -z)
  if [ "$count" -eq 0 ]; then
    echo "FAIL  $label holds no ELF file"
    failures=$((failures + 1))
  fi
}

for package in "$@"; do
  [ -f "$package" ] || fail "no package at $package: build it first"
  package=$(realpath "$package")
  name=$(basename "$package")
  tree=$work/$name
  mkdir -p "$tree"
  case $name in
    *.AppImage)
      check_elf "$name: the runtime" "$package"
      offset=$("$package" --appimage-offset)
      unsquashfs -q -n -o "$offset" -d "$tree/root" "$package" > /dev/null
      check_tree "$name" "$tree/root"
      ;;
    *.deb)
      dpkg-deb -x "$package" "$tree"
      check_tree "$name" "$tree"
      ;;
    *.rpm)
      (cd "$tree" && rpm2cpio "$package" | cpio -idm --quiet)
      check_tree "$name" "$tree"
      ;;
    *) fail "unknown package type: $name" ;;
  esac
done
[ "$failures" -eq 0 ] || fail "$failures shipped ELF file(s) above glibc $glibc_baseline"
echo "every shipped ELF file runs with glibc $glibc_baseline"
