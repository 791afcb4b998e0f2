#!/usr/bin/env bash
# Smoke test of the Windows Installer package that build-windows.sh wrote (or the one given as
# $1), under Debian's wine in a fresh WINEPREFIX. wine is not Windows: this shows that the
# package's tables do what they should in wine's msi implementation, not that Windows accepts it.
#   - its tables (msiinfo): per-machine (ALLUSERS=1), manufacturer "fxconfig project", the fixed
#     UpgradeCode of packaging/windows/fxconfig.wxs, the Add/Remove Programs icon, and exactly the
#     two programs, README.md and the licences as files (no test shim);
#   - `msiexec /i … /qn`: the programs under the prefix's Program Files\fxconfig, the Start-menu
#     shortcut "fxconfig" to fxconfig.exe, one Add/Remove Programs entry (name, version,
#     publisher, icon); the installed fxconfig-cli.exe and fxconfig.exe --version run (on wine 8 and older with
#     the test-only bcryptprimitives.dll shim beside it, removed again straight after);
#   - the same version again (a rebuilt package, new ProductCode) and a newer one, built from the
#     zip's programs with the same .wxs: each replaces the installed one, leaving one entry;
#     the original package then replaces the newer one (a rollback);
#   - `msiexec /x … /qn` removes the programs, the folder, the shortcut and the entry.
# Every wine run is bounded in time; the wine session is ended on exit.
set -uo pipefail
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/smoke-lib.sh"

msi=$(realpath "${1:-$dist_dir/fxconfig-$version-x86_64.msi}")
archive=$dist_dir/fxconfig-$version-windows-x86_64.zip
[ -f "$msi" ] || fail "no MSI at $msi: run packaging/build-windows.sh first"
[ -f "$archive" ] || fail "no zip at $archive: run packaging/build-windows.sh first"
for tool in wine wineboot wineserver wixl msiinfo unzip x86_64-w64-mingw32-gcc; do
  command -v "$tool" > /dev/null || fail "$tool is missing: run packaging/system-deps.sh"
done
work=$(mktemp -d)
trap '[ -n "${WINEPREFIX:-}" ] && timeout 30 wineserver -k 2> /dev/null; rm -rf "$work"' EXIT
echo "smoke test of $msi"

# --- The package's tables --------------------------------------------------------------------------
upgrade_code=$(sed -n 's/.*UpgradeCode="\({[0-9A-F-]*}\)".*/\1/p' "$repo_root/packaging/windows/fxconfig.wxs")
msiinfo export "$msi" Property | tr -d '\r' > "$work/property"
# property NAME: the value of NAME in the Property table.
property() {
  awk -F '\t' -v name="$1" '$1 == name { print $2 }' "$work/property"
}
for expected in "ALLUSERS=1" "Manufacturer=fxconfig project" "ProductName=fxconfig" \
  "ProductVersion=$version" "UpgradeCode=$upgrade_code" "ARPPRODUCTICON=fxconfig.ico"; do
  [ "$(property "${expected%%=*}")" = "${expected#*=}" ] && pass "the package sets $expected" ||
    fail_check "the package sets ${expected%%=*}='$(property "${expected%%=*}")', expected '${expected#*=}'"
done
files=$(msiinfo export "$msi" File | tr -d '\r' | awk -F '\t' 'NR > 3 { print $3 }' | LC_ALL=C sort | tr '\n' ' ')
[ "$files" = "LICENSE-APACHE LICENSE-MIT README.md fxconfig-cli.exe fxconfig.exe " ] &&
  pass "the package installs the two programs, README.md and the licences, nothing else" ||
  fail_check "the package's files: $files"

# --- Variants for the upgrade steps, from the zip's programs -----------------------------------------
folder=fxconfig-$version-windows-x86_64
unzip -q "$archive" -d "$work/zip"
next_version=$(awk -F. '{ printf "%d.%d.%d", $1, $2, $3 + 1 }' <<< "$version")
mkdir "$work/same" "$work/next"
cp "$work/zip/$folder"/* "$work/same/"
cp "$work/zip/$folder"/* "$work/next/"
build_msi "$work/same" "$version" "$work/same.msi" > /dev/null 2>&1 || fail "cannot rebuild the MSI"
build_msi "$work/next" "$next_version" "$work/next.msi" > /dev/null 2>&1 || fail "cannot build the $next_version MSI"

# --- wine -------------------------------------------------------------------------------------------
export WINEPREFIX=$work/prefix WINEARCH=win64 WINEDEBUG=-all
# winemenubuilder would copy the shortcut into this machine's own menus; mono and gecko are not needed.
export WINEDLLOVERRIDES="mscoree,mshtml,winemenubuilder.exe="
unset DISPLAY
started=$(date +%s)
timeout 180 wineboot --init > /dev/null 2>&1
expect_code 0 $? "fresh wine prefix ($(wine --version)) made in $(elapsed_since "$started") s"

drive_c=$WINEPREFIX/drive_c
program_dir=$drive_c/Program\ Files/fxconfig
uninstall_key='HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall'
# On Windows a per-machine package puts its ProgramMenuFolder shortcuts in the all-users Start
# menu (ProgramData); wine 8's msi always uses the user's (its source says so in a FIXME).

# msiexec ARGS...: runs wine's msiexec, bounded in time; returns its exit code.
msiexec() {
  timeout 180 wine msiexec "$@" > "$work/msiexec.out" 2>&1
}
# arp_entries: the Add/Remove Programs keys whose DisplayName is fxconfig, one a line.
arp_entries() {
  timeout 60 wine reg query "$uninstall_key" /s 2> /dev/null | tr -d '\r' |
    awk '/^HKEY_/ { key = $0 } $1 == "DisplayName" && $2 == "REG_SZ" && $3 == "fxconfig" && NF == 3 { print key }'
}
# arp_value KEY NAME: a string value of an Add/Remove Programs entry.
arp_value() {
  timeout 60 wine reg query "$1" /v "$2" 2> /dev/null | tr -d '\r' | sed -n "s/^ *$2 *REG_[A-Z_]* *//p"
}
# installed_shortcut: the shortcut file where the installer put it (the all-users or a user's
# Start menu), if anywhere.
installed_shortcut() {
  find "$drive_c/ProgramData" "$drive_c/users" -path '*/Start Menu/Programs/fxconfig.lnk' 2> /dev/null | grep .
}
# expect_one_entry VERSION STEP: exactly one entry, of this version; sets product_code.
expect_one_entry() {
  local entries
  entries=$(arp_entries)
  product_code=${entries##*\\}
  if [ "$(grep -c . <<< "$entries")" = 1 ] && [ "$(arp_value "$entries" DisplayVersion)" = "$1" ]; then
    pass "[$2] one Add/Remove Programs entry, version $1 ($product_code)"
  else
    fail_check "[$2] Add/Remove Programs entries: $(tr '\n' ' ' <<< "${entries:-none}") (expected one of version $1)"
  fi
}
# expect_programs STEP: both programs are installed.
expect_programs() {
  [ -f "$program_dir/fxconfig.exe" ] && [ -f "$program_dir/fxconfig-cli.exe" ] &&
    pass "[$1] fxconfig.exe and fxconfig-cli.exe are in Program Files\\fxconfig" ||
    fail_check "[$1] programs in Program Files\\fxconfig: $(ls "$program_dir" 2> /dev/null | tr '\n' ' ')"
}

# --- Install -----------------------------------------------------------------------------------------
msiexec /i "$(to_windows "$msi")" /qn
expect_code 0 $? "msiexec /i $(basename "$msi") /qn"
expect_programs install
for doc in README.md LICENSE-MIT LICENSE-APACHE; do
  [ -f "$program_dir/$doc" ] || fail_check "[install] $doc is not in Program Files\\fxconfig"
done
cmp -s "$program_dir/fxconfig-cli.exe" "$work/zip/$folder/fxconfig-cli.exe" &&
  cmp -s "$program_dir/fxconfig.exe" "$work/zip/$folder/fxconfig.exe" &&
  pass "[install] the installed programs are the zip's, byte for byte" ||
  fail_check "[install] the installed programs differ from the zip's"
if link=$(installed_shortcut); then
  # A shell link names its target as UTF-16 item names; the icon path too.
  names=$(strings -el "$link" | tr '\n' '|')
  [[ "$names" == *"|fxconfig.exe|"* && "$names" == *"Program Files|fxconfig|"* && "$names" == *fxconfig.ico* ]] &&
    pass "[install] Start-menu shortcut ${link#"$drive_c/"} to Program Files\\fxconfig\\fxconfig.exe, with the icon" ||
    fail_check "[install] the shortcut's target and icon: $names"
else
  fail_check "[install] no Start-menu shortcut fxconfig.lnk"
fi
expect_one_entry "$version" install
first_code=$product_code
entry=$uninstall_key\\$product_code
[ "$(arp_value "$entry" Publisher)" = "fxconfig project" ] && pass "[install] the entry's publisher is fxconfig project" ||
  fail_check "[install] the entry's publisher: '$(arp_value "$entry" Publisher)'"
[[ "$(arp_value "$entry" UninstallString)" == *"/X$product_code"* ]] && pass "[install] the entry uninstalls with msiexec /X$product_code" ||
  fail_check "[install] UninstallString: '$(arp_value "$entry" UninstallString)'"
icon=$(timeout 60 wine reg query 'HKLM\Software\Classes\Installer\Products' /s 2> /dev/null | tr -d '\r' |
  sed -n 's/^ *ProductIcon *REG_SZ *//p' | grep -F "$product_code" | head -n 1)
icon_file=$drive_c/${icon#C:\\}
icon_file=${icon_file//\\//}
[ -n "$icon" ] && cmp -s "$icon_file" "$repo_root/packaging/windows/fxconfig.ico" &&
  pass "[install] Add/Remove Programs shows the icon: $icon" || fail_check "[install] no product icon: '$icon'"

# The installed console program runs. wine 8 has no bcryptprimitives.dll (ProcessPrng), which
# every Rust program needs: the test-only shim goes beside it for this run and is removed again.
wine_major=$(wine --version | sed -n 's/^wine-\([0-9]*\).*/\1/p')
shim=""
if [ "${wine_major:-0}" -le 8 ]; then
  shim=$program_dir/bcryptprimitives.dll
  x86_64-w64-mingw32-gcc -O2 -shared -o "$shim" "$repo_root/packaging/windows/test-shim/bcryptprimitives.c" \
    -ladvapi32 || fail "cannot build the test shim"
fi
timeout 60 wine "$program_dir/fxconfig-cli.exe" --version > "$work/version.out" 2> "$work/version.err"
expect_code 0 $? "the installed fxconfig-cli.exe --version${shim:+ (wine $wine_major: with the test-only shim beside it)}"
[ "$(tr -d '\r' < "$work/version.out")" = "fxconfig $version" ] && pass "it prints fxconfig $version" ||
  fail_check "--version printed '$(cat "$work/version.out")' $(head -c 300 "$work/version.err")"
timeout 60 wine "$program_dir/fxconfig.exe" --version > "$work/gui-version.out" 2> "$work/gui-version.err"
expect_code 0 $? "the installed fxconfig.exe (the desktop program) --version"
[ "$(tr -d '\r' < "$work/gui-version.out")" = "fxconfig $version" ] && pass "it prints fxconfig $version" ||
  fail_check "fxconfig.exe --version printed '$(cat "$work/gui-version.out")' $(head -c 300 "$work/gui-version.err")"
[ -n "$shim" ] && rm -f "$shim"

# --- The same version again, a newer version, and back ----------------------------------------------
msiexec /i "$(to_windows "$work/same.msi")" /qn
expect_code 0 $? "msiexec /i of the same version, rebuilt (a new ProductCode)"
expect_one_entry "$version" "same version"
[ "$product_code" != "$first_code" ] && pass "[same version] the rebuilt package replaced the installed one" ||
  fail_check "[same version] the installed product is still $first_code"
expect_programs "same version"

msiexec /i "$(to_windows "$work/next.msi")" /qn
expect_code 0 $? "msiexec /i of version $next_version"
expect_one_entry "$next_version" upgrade
expect_programs upgrade

msiexec /i "$(to_windows "$msi")" /qn
expect_code 0 $? "msiexec /i of $version over $next_version (a rollback)"
expect_one_entry "$version" rollback
expect_programs rollback

# --- Uninstall ---------------------------------------------------------------------------------------
msiexec /x "$(to_windows "$msi")" /qn
expect_code 0 $? "msiexec /x $(basename "$msi") /qn"
[ ! -e "$program_dir" ] && pass "[uninstall] Program Files\\fxconfig is gone" ||
  fail_check "[uninstall] left in Program Files\\fxconfig: $(ls -A "$program_dir" | tr '\n' ' ')"
link=$(installed_shortcut) && fail_check "[uninstall] the shortcut is still there: $link" ||
  pass "[uninstall] the Start-menu shortcut is gone"
[ -z "$(arp_entries)" ] && pass "[uninstall] no Add/Remove Programs entry is left" ||
  fail_check "[uninstall] entries left: $(arp_entries | tr '\n' ' ')"

summary smoke-msi
