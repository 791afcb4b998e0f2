#!/usr/bin/env bash
# Smoke test of the Windows zip that build-windows.sh wrote (or the one given as $1): its
# contents, the PE subsystems and embedded resources, and fxconfig-cli.exe run under Debian's
# wine against the KMES simulator running natively on 127.0.0.1. wine 8 lacks
# bcryptprimitives.dll, so a test-only shim (packaging/windows/test-shim) is built and placed
# beside a temporary copy of the programs, never in the zip. Every wine run is bounded in time.
set -uo pipefail
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/smoke-lib.sh"

archive=$(realpath "${1:-$dist_dir/fxconfig-$version-windows-x86_64.zip}")
[ -f "$archive" ] || fail "no zip at $archive: run packaging/build-windows.sh first"
for tool in wine x86_64-w64-mingw32-gcc unzip openssl python3; do
  command -v "$tool" > /dev/null || fail "$tool is missing: run packaging/system-deps.sh"
done
work=$(mktemp -d)
trap 'cleanup; [ -n "${WINEPREFIX:-}" ] && timeout 30 wineserver -k 2> /dev/null; rm -rf "$work"' EXIT
echo "smoke test of $archive"

# --- The zip ---------------------------------------------------------------------------------------
folder=fxconfig-$version-windows-x86_64
contents=$(unzip -Z1 "$archive" | LC_ALL=C sort | tr '\n' ' ')
expected="$folder/ $folder/LICENSE-APACHE $folder/LICENSE-MIT $folder/README.md $folder/fxconfig-cli.exe $folder/fxconfig.exe "
[ "$contents" = "$expected" ] && pass "the zip holds the two programs, README.md and the licences, nothing else" ||
  fail_check "zip contents: $contents"
unzip -q "$archive" -d "$work/unzipped"
programs=$work/unzipped/$folder

# PE header: e_lfanew at 0x3c; the optional header starts 24 bytes after "PE\0\0" and holds
# Subsystem at offset 68 (2 = Windows GUI, 3 = Windows console).
pe_subsystem() {
  python3 - "$1" << 'PY'
import struct, sys
data = open(sys.argv[1], "rb").read(4096)
pe = struct.unpack_from("<I", data, 0x3C)[0]
assert data[:2] == b"MZ" and data[pe:pe + 4] == b"PE\0\0", "not a PE file"
print(struct.unpack_from("<H", data, pe + 24 + 68)[0])
PY
}
[ "$(pe_subsystem "$programs/fxconfig.exe")" = 2 ] && pass "fxconfig.exe has the GUI subsystem (2)" ||
  fail_check "fxconfig.exe subsystem $(pe_subsystem "$programs/fxconfig.exe"), expected 2"
[ "$(pe_subsystem "$programs/fxconfig-cli.exe")" = 3 ] && pass "fxconfig-cli.exe has the console subsystem (3)" ||
  fail_check "fxconfig-cli.exe subsystem $(pe_subsystem "$programs/fxconfig-cli.exe"), expected 3"
for program in fxconfig.exe fxconfig-cli.exe; do
  x86_64-w64-mingw32-objdump -h "$programs/$program" | grep -q '\.rsrc' &&
    grep -q 'PerMonitorV2' "$programs/$program" && grep -q $'\x89PNG' "$programs/$program" &&
    pass "$program embeds the DPI-aware manifest and the icon" ||
    fail_check "$program lacks the .rsrc manifest or icon"
done

# --- Under wine ----------------------------------------------------------------------------------
run_dir=$work/run
cp -r "$programs" "$run_dir"
x86_64-w64-mingw32-gcc -O2 -shared -o "$run_dir/bcryptprimitives.dll" \
  "$repo_root/packaging/windows/test-shim/bcryptprimitives.c" -ladvapi32 || fail "cannot build the test shim"
export WINEPREFIX=$work/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
export WINEARCH=win64
unset DISPLAY
started=$(date +%s)
timeout 180 wineboot --init > /dev/null 2>&1
expect_code 0 $? "wine prefix created in $(elapsed_since "$started") s"
bounded=(timeout 60)
cli=("${bounded[@]}" wine "$run_dir/fxconfig-cli.exe")
# strip_cr FILE: removes the carriage returns of Windows line ends.
strip_cr() {
  sed -i 's/\r$//' "$1"
}

"${cli[@]}" --version > "$work/version.out" 2> "$work/version.err"
expect_code 0 $? "wine fxconfig-cli.exe --version"
strip_cr "$work/version.out"
[ "$(cat "$work/version.out")" = "fxconfig $version" ] && pass "it prints fxconfig $version" ||
  fail_check "--version printed '$(cat "$work/version.out")' $(head -c 300 "$work/version.err")"

pki=$work/pki
mkdir -p "$pki"
make_pki "$pki"
# The simulator is the Linux program the AppImage, deb and rpm ship, built once for all of them.
sim_program=${FXCONFIG_SIM:-$linux_program}
if [ ! -x "$sim_program" ]; then
  step "building the Linux fxconfig for the simulator"
  (cd "$repo_root" && build_linux_program) || fail "cannot build the Linux fxconfig"
fi
start_background "$work/sim.out" "$work/sim.err" "$sim_program" kmes-sim --listen 127.0.0.1:0 \
  --ca "$pki/ca.pem" --cert "$pki/server.pem" --key "$pki/server.key"
port=$(wait_for_port "$work/sim.out") || fail "the native simulator did not start: $(cat "$work/sim.err")"
pass "native kmes-sim listens on port $port"

cfg=$work/fxpkcs11.cfg
write_cfg "$cfg" "$port" "$(to_windows "$pki/ca.pem")" "$(to_windows "$pki/client.p12")"
"${cli[@]}" check --config "$(to_windows "$cfg")" --json > "$work/check.json" 2> "$work/check.err"
expect_code 0 $? "wine fxconfig-cli.exe check --json against the simulator"
[ "$(json_ok "$work/check.json" 2> /dev/null)" = true ] && pass "check --json says \"ok\": true" ||
  fail_check "check --json: $(cat "$work/check.json" "$work/check.err" | head -c 2000)"

FXPKCS11_CFG=$(to_windows "$cfg") "${cli[@]}" check --json > "$work/env.json" 2> "$work/env.err"
expect_code 0 $? "check finds the configuration through FXPKCS11_CFG"
python3 -c 'import json, sys; c = json.load(open(sys.argv[1]))["config"]; sys.exit(0 if c.startswith("Z:") and c.endswith("fxpkcs11.cfg") else 1)' \
  "$work/env.json" 2> /dev/null && pass "the checked configuration is the one FXPKCS11_CFG names" ||
  fail_check "FXPKCS11_CFG: $(head -c 500 "$work/env.json")"

write_cfg "$work/closed.cfg" "$(closed_port)" "$(to_windows "$pki/ca.pem")" "$(to_windows "$pki/client.p12")"
"${cli[@]}" check --config "$(to_windows "$work/closed.cfg")" --json --timeout 2 > "$work/closed.json" 2> /dev/null
expect_code 1 $? "a failing check exits 1 under wine"
"${cli[@]}" check --timeout -1 > /dev/null 2>&1
expect_code 2 $? "a usage error exits 2 under wine"
printf '%s\n' "$smoke_p12_password" | "${cli[@]}" identity --p12 "$(to_windows "$pki/client.p12")" \
  --password-stdin --ca "$(to_windows "$pki/ca.pem")" --json > "$work/identity.json" 2> /dev/null
expect_code 0 $? "identity --password-stdin reads standard input under wine"
grep -q "$smoke_p12_password" "$work"/*.json "$work"/*.err && fail_check "the password was printed" ||
  pass "no password in any output"
cleanup

# --- The GUI under wine and Xvfb -------------------------------------------------------------------
# The wine session above was started without a display, and its desktop process (explorer.exe)
# keeps the null graphics driver while the session lives: every window would fail with
# "no driver could be loaded". A new session started with DISPLAY set uses the X11 driver.
if "${bounded[@]}" wine "$run_dir/fxconfig.exe" gui --help > /dev/null 2>&1; then
  if start_xvfb; then
    timeout 30 wineserver -k 2> /dev/null
    timeout 30 wineserver -w 2> /dev/null
    # As a double-click starts it: no renderer chosen. wine has no working DX12 here, so wgpu
    # fails and the app falls back to OpenGL (glow) on Mesa's llvmpipe.
    start_background "$work/gui.out" "$work/gui.err" timeout 150 wine "$run_dir/fxconfig.exe" gui \
      --config "$(to_windows "$cfg")"
    if window=$(wait_for_window 'fxconfig — .*fxpkcs11\.cfg' 120); then
      pass "fxconfig.exe shows its window, titled with the open file, under wine and Xvfb: $window"
      check_window_drawn "$window" "$work/gui.png"
      # Opening the file put it in the recent files, which are saved at once, under %APPDATA%.
      prefs=$(find "$WINEPREFIX/drive_c/users" -path '*/AppData/Roaming/fxconfig/config/prefs.json' 2> /dev/null | head -n 1)
      if [ -n "$prefs" ] && grep -q 'fxpkcs11.cfg' "$prefs" && ! grep -q "$smoke_p12_password" "$prefs"; then
        pass "the preferences are under %APPDATA%: ${prefs#"$WINEPREFIX/"}, with the recent file and no password"
      else
        fail_check "no prefs.json naming the file under %APPDATA%\\fxconfig\\config: '${prefs:-none}'"
      fi
    else
      fail_check "no fxconfig window under wine and Xvfb within 120 s: $(grep -v wine32 "$work/gui.err" | tail -n 5)"
    fi
    cleanup
    timeout 30 wineserver -k 2> /dev/null
    timeout 30 wineserver -w 2> /dev/null
    # fxconfig-cli.exe has no desktop app of its own: its `gui` starts fxconfig.exe with the same
    # arguments and inherited streams, and exits with its code. The benchmark probe closes the
    # window after its first frame and prints, on standard error, the renderer the fallback chose.
    start_xvfb || fail_check "Xvfb did not start again"
    FXCONFIG_BENCH=first-frame timeout 150 wine "$run_dir/fxconfig-cli.exe" gui > "$work/bench.out" 2> "$work/bench.err"
    code=$?
    renderer=$(sed -n 's/.*renderer="\([^"]*\)".*/\1/p' "$work/bench.err" | head -n 1)
    [ "$code" = 0 ] && [ -n "$renderer" ] &&
      pass "fxconfig-cli.exe gui started fxconfig.exe, whose first frame was drawn by $renderer (exit 0)" ||
      fail_check "fxconfig-cli.exe gui (first frame): exit $code, $(grep -v wine32 "$work/bench.err" | tail -n 5)"
  else
    fail_check "Xvfb did not start"
  fi
  cleanup
else
  fail_check "the program has no GUI: \`gui --help\` failed"
fi

summary smoke-windows
