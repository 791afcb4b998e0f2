#!/usr/bin/env bash
# Builds target/dist/fxconfig-<version>-windows-x86_64.zip from this checkout: a cross build for
# x86_64-pc-windows-gnu with Debian's mingw-w64 of
#   fxconfig.exe      the GUI-subsystem program (double-click: no console window), and
#   fxconfig-cli.exe  the console-subsystem command line for cmd and PowerShell, built without
#                     the desktop app (its `gui` and `demo` start fxconfig.exe),
# both with the icon and the DPI-aware manifest embedded by build.rs, zipped with README.md and
# the licences, and into the Windows Installer package target/dist/fxconfig-<version>-x86_64.msi
# (Debian's wixl, from packaging/windows/fxconfig.wxs): the same two programs, built once.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$repo_root"
started=$(date +%s)
target=x86_64-pc-windows-gnu

step "toolchain for $target"
if ! rustup target list --installed | grep -qx "$target"; then
  rustup target add "$target"
fi
for tool in x86_64-w64-mingw32-gcc x86_64-w64-mingw32-windres zip wixl; do
  command -v "$tool" > /dev/null || fail "$tool is missing: run packaging/system-deps.sh"
done

step "release build of fxconfig.exe (the desktop app) $version"
cargo build --profile ship --locked --target "$target" --bin fxconfig
step "release build of fxconfig-cli.exe (the command line alone, without the gui feature) $version"
cargo build --profile ship --locked --target "$target" --bin fxconfig-cli --no-default-features
build_dir=$target_dir/$target/ship

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
folder=fxconfig-$version-windows-x86_64
mkdir -p "$work/$folder"
cp "$build_dir/fxconfig.exe" "$build_dir/fxconfig-cli.exe" README.md LICENSE-MIT LICENSE-APACHE "$work/$folder/"

step "DLLs the programs import (all must come with Windows)"
for program in fxconfig.exe fxconfig-cli.exe; do
  imports=$(x86_64-w64-mingw32-objdump -p "$work/$folder/$program" | sed -n 's/^\s*DLL Name: //p' | sort -u | tr '\n' ' ')
  echo "$program: $imports"
  for dll in $imports; do
    case ${dll,,} in
      libgcc* | libwinpthread* | libstdc++*) fail "$program needs the mingw runtime DLL $dll, which is not shipped" ;;
    esac
  done
done

step "zip"
# Timestamps from the last commit, so the same checkout gives the same archive.
commit_time=$(git log -1 --format=%ct 2> /dev/null || date +%s)
find "$work/$folder" -exec touch -h -d "@$commit_time" {} +
mkdir -p "$dist_dir"
archive=$dist_dir/$folder.zip
rm -f "$archive"
(cd "$work" && zip -q -X -9 -r "$archive" "$folder")

step "msi"
msi=$dist_dir/fxconfig-$version-x86_64.msi
mkdir "$work/msi"
cp "$work/$folder"/* "$work/msi/"
build_msi "$work/msi" "$version" "$msi" || fail "wixl could not build the MSI"

echo "fxconfig.exe:     $(stat -c %s "$build_dir/fxconfig.exe") bytes"
echo "fxconfig-cli.exe: $(stat -c %s "$build_dir/fxconfig-cli.exe") bytes"
echo "zip:              $(stat -c %s "$archive") bytes  $archive"
echo "msi:              $(stat -c %s "$msi") bytes  $msi"
echo "built in $(elapsed_since "$started") s"
