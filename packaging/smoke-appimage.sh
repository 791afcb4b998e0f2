#!/usr/bin/env bash
# Smoke test of the AppImage that build-appimage.sh wrote (or the one given as $1): its layout,
# the runtime options, and the program run through both runtime paths — the squashfuse mount
# (when FUSE works here) and the extraction cache — against the KMES simulator started from the
# AppImage itself, with arguments, standard streams, exit codes and SIGTERM passed through.
# Every command is bounded in time; everything started is stopped on exit.
set -uo pipefail
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/smoke-lib.sh"

appimage=$(realpath "${1:-$dist_dir/fxconfig-$version-x86_64.AppImage}")
[ -x "$appimage" ] || fail "no AppImage at $appimage: run packaging/build-appimage.sh first"
work=$(mktemp -d)
trap 'cleanup; rm -rf "$work"' EXIT
bounded=(timeout 60)

echo "smoke test of $appimage"

# --- The file: ELF with the AppImage magic, squashfs at the offset the runtime reports ---------
[ "$(od -An -tx1 -j8 -N3 "$appimage" | tr -d ' ')" = 414902 ] && pass "magic AI\\x02 at offset 8" ||
  fail_check "magic AI\\x02 at offset 8"
offset=$("${bounded[@]}" "$appimage" --appimage-offset)
expect_code 0 $? "--appimage-offset prints $offset"
listing=$("${bounded[@]}" unsquashfs -o "$offset" -l "$appimage" | grep '^squashfs-root' | LC_ALL=C sort)
for entry in AppRun fxconfig.desktop fxconfig.png .DirIcon usr/bin/fxconfig \
  usr/share/metainfo/fxconfig.appdata.xml usr/share/applications/fxconfig.desktop \
  usr/share/icons/hicolor/256x256/apps/fxconfig.png; do
  grep -qx "squashfs-root/$entry" <<< "$listing" && pass "unsquashfs -o $offset -l lists $entry" ||
    fail_check "unsquashfs -o $offset -l lists $entry"
done
grep -q '\.so' <<< "$listing" && fail_check "no shared library bundled" || pass "no shared library bundled"
"${bounded[@]}" "$appimage" --appimage-help > "$work/help.out"
expect_code 0 $? "--appimage-help"
grep -q -- '--appimage-extract' "$work/help.out" && pass "--appimage-help lists the options" ||
  fail_check "--appimage-help lists the options"
"${bounded[@]}" "$appimage" --appimage-no-such-option > /dev/null 2>&1
expect_code 2 $? "an unknown runtime option is refused"

# --- The program, through each runtime path ------------------------------------------------------
pki=$work/pki
mkdir -p "$pki"
make_pki "$pki"
image_sha256=$(sha256sum "$appimage" | cut -d' ' -f1)

fuse_reason=""
command -v squashfuse > /dev/null || command -v squashfuse_ll > /dev/null || fuse_reason="squashfuse is not installed"
[ -z "$fuse_reason" ] && ! (: <> /dev/fuse) 2> /dev/null && fuse_reason="/dev/fuse cannot be opened"
modes=(extract)
if [ -z "$fuse_reason" ]; then
  modes=(fuse extract)
else
  echo "FUSE path not tested: $fuse_reason; the extraction path is tested alone"
fi

fuse_mounts() {
  grep -c " fuse[^ ]* " /proc/mounts | tr -d '\n'
  echo -n " "
  awk '$2 ~ /\/\.mount_fxconfig-/ {print $2}' /proc/mounts | tr '\n' ' '
}

for mode in "${modes[@]}"; do
  echo "--- $mode path"
  home=$work/home-$mode
  mkdir -p "$home"
  run_env=(env -u XDG_CACHE_HOME -u APPIMAGE_EXTRACT_AND_RUN HOME="$home")
  [ "$mode" = extract ] && run_env+=(APPIMAGE_EXTRACT_AND_RUN=1)
  app=("${bounded[@]}" "${run_env[@]}" "$appimage")

  # --version, and which path the runtime took.
  "${app[@]:0:2}" "${run_env[@]}" APPIMAGE_DEBUG=1 "$appimage" --version > "$work/version.out" 2> "$work/version.err"
  expect_code 0 $? "[$mode] --version"
  [ "$(cat "$work/version.out")" = "fxconfig $version" ] && pass "[$mode] --version prints fxconfig $version" ||
    fail_check "[$mode] --version printed '$(cat "$work/version.out")'"
  cache_dir=$home/.cache/fxconfig/appimage/$image_sha256
  if [ "$mode" = fuse ]; then
    grep -q "mounted at" "$work/version.err" && pass "[fuse] the runtime mounted the image" ||
      fail_check "[fuse] the runtime did not mount: $(cat "$work/version.err")"
    [ ! -e "$home/.cache" ] && pass "[fuse] nothing extracted to the cache" || fail_check "[fuse] the cache was written"
  else
    grep -q "running from $cache_dir" "$work/version.err" && pass "[extract] ran from the cache named by the image's SHA-256" ||
      fail_check "[extract] did not run from $cache_dir: $(cat "$work/version.err")"
    [ -x "$cache_dir/usr/bin/fxconfig" ] && pass "[extract] the cache holds the AppDir" ||
      fail_check "[extract] no AppDir in $cache_dir"
    touch "$cache_dir/.reuse-marker"
    "${app[@]}" --version > /dev/null
    [ -e "$cache_dir/.reuse-marker" ] && pass "[extract] a second start reuses the extraction" ||
      fail_check "[extract] the extraction was redone"
    leftovers=$(find "$home/.cache/fxconfig/appimage" -maxdepth 1 -name '.partial-*' | wc -l)
    [ "$leftovers" -eq 0 ] && pass "[extract] no partial extraction left" || fail_check "[extract] $leftovers partial extractions left"
  fi

  # The simulator, started from the AppImage itself.
  start_background "$work/sim.out" "$work/sim.err" "${run_env[@]}" "$appimage" kmes-sim --listen 127.0.0.1:0 \
    --ca "$pki/ca.pem" --cert "$pki/server.pem" --key "$pki/server.key"
  sim_pid=$background_pid
  if ! port=$(wait_for_port "$work/sim.out"); then
    fail_check "[$mode] kmes-sim from the AppImage did not start: $(cat "$work/sim.err")"
    cleanup
    continue
  fi
  pass "[$mode] kmes-sim from the AppImage listens on port $port"
  if [ "$mode" = fuse ]; then
    mounts=$(fuse_mounts)
    [[ "$mounts" == *"/.mount_fxconfig-"* ]] && pass "[fuse] the image is FUSE-mounted while it runs (${mounts#* })" ||
      fail_check "[fuse] no .mount_fxconfig- FUSE mount while it runs"
  fi

  write_cfg "$work/fxpkcs11.cfg" "$port" "$pki/ca.pem" "$pki/client.p12"
  "${app[@]}" check --config "$work/fxpkcs11.cfg" --json > "$work/check.json" 2> "$work/check.err"
  expect_code 0 $? "[$mode] check --json against the simulator"
  [ "$(json_ok "$work/check.json" 2> /dev/null)" = true ] && pass "[$mode] check --json says \"ok\": true" ||
    fail_check "[$mode] check --json: $(cat "$work/check.json" "$work/check.err")"
  grep -q "$smoke_p12_password" "$work/check.json" "$work/check.err" && fail_check "[$mode] the password was printed" ||
    pass "[$mode] no password in the output"

  write_cfg "$work/closed.cfg" "$(closed_port)" "$pki/ca.pem" "$pki/client.p12"
  "${app[@]}" check --config "$work/closed.cfg" --json --timeout 2 > "$work/closed.json" 2> /dev/null
  expect_code 1 $? "[$mode] a failing check passes exit code 1 through"
  [ "$(json_ok "$work/closed.json" 2> /dev/null)" = false ] && pass "[$mode] the failing check says \"ok\": false" ||
    fail_check "[$mode] the failing check's JSON: $(cat "$work/closed.json")"

  "${app[@]}" check --timeout -1 > "$work/usage.out" 2> "$work/usage.err"
  expect_code 2 $? "[$mode] a usage error passes exit code 2 through"
  [ ! -s "$work/usage.out" ] && [ -s "$work/usage.err" ] && pass "[$mode] the usage error goes to stderr only" ||
    fail_check "[$mode] usage error streams: stdout $(wc -c < "$work/usage.out") bytes, stderr $(wc -c < "$work/usage.err") bytes"

  printf '%s\n' "$smoke_p12_password" | "${app[@]}" identity --p12 "$pki/client.p12" --password-stdin \
    --ca "$pki/ca.pem" --json > "$work/identity.json" 2> "$work/identity.err"
  expect_code 0 $? "[$mode] identity --password-stdin reads standard input"
  python3 -c 'import json, sys; sys.exit(0 if json.load(open(sys.argv[1]))["chain_ok"] is True else 1)' \
    "$work/identity.json" 2> /dev/null && pass "[$mode] identity checks the chain" ||
    fail_check "[$mode] identity: $(cat "$work/identity.json" "$work/identity.err")"

  # SIGTERM to what was started: passed on to the program, whose end ends the AppImage.
  app_pid=$sim_pid
  [ "$mode" = fuse ] && app_pid=$(pgrep -P "$sim_pid" | head -n 1)
  kill -TERM "$sim_pid"
  wait "$sim_pid"
  expect_code 143 $? "[$mode] SIGTERM ends the simulator and its status comes back"
  if [ -n "$app_pid" ] && ! kill -0 "$app_pid" 2> /dev/null; then
    pass "[$mode] the program itself ended"
  else
    fail_check "[$mode] the program (pid ${app_pid:-unknown}) still runs"
  fi
  started_pids=()
  if [ "$mode" = fuse ]; then
    sleep 0.5
    [[ "$(fuse_mounts)" != *"/.mount_fxconfig-"* ]] && pass "[fuse] unmounted after the program ended" ||
      fail_check "[fuse] still mounted: $(fuse_mounts)"
    leftover=$(find "${XDG_RUNTIME_DIR:-${TMPDIR:-/tmp}}" -maxdepth 1 -name ".mount_fxconfig-$sim_pid-*" 2> /dev/null)
    [ -z "$leftover" ] && pass "[fuse] the mount point was removed" || fail_check "[fuse] mount point left: $leftover"
  fi
done

# --- --appimage-extract ----------------------------------------------------------------------------
mkdir -p "$work/extract" "$work/extract-pattern"
(cd "$work/extract" && "${bounded[@]}" "$appimage" --appimage-extract > ../extract.out)
expect_code 0 $? "--appimage-extract"
extracted=$(cd "$work/extract" && find squashfs-root | LC_ALL=C sort)
[ "$extracted" = "$listing" ] && pass "--appimage-extract gives back the whole AppDir ($(wc -l <<< "$extracted") entries)" ||
  fail_check "--appimage-extract differs from the image: $(diff <(echo "$extracted") <(echo "$listing") | head -n 5)"
[ "$(env -u APPDIR "${bounded[@]}" "$work/extract/squashfs-root/AppRun" --version)" = "fxconfig $version" ] &&
  pass "the extracted AppRun runs by itself" || fail_check "the extracted AppRun does not run by itself"
(cd "$work/extract-pattern" && "${bounded[@]}" "$appimage" --appimage-extract '*.desktop' > /dev/null)
expect_code 0 $? "--appimage-extract '*.desktop'"
files=$(cd "$work/extract-pattern" && find squashfs-root ! -type d | LC_ALL=C sort | tr '\n' ' ')
[ "$files" = "squashfs-root/fxconfig.desktop squashfs-root/usr/share/applications/fxconfig.desktop " ] &&
  pass "--appimage-extract PATTERN extracts only the matching files" || fail_check "pattern extraction gave: $files"

# --- The GUI under Xvfb ----------------------------------------------------------------------------
if "${bounded[@]}" "$appimage" gui --help > /dev/null 2>&1; then
  if start_xvfb; then
    start_background "$work/gui.out" "$work/gui.err" env -u APPIMAGE_EXTRACT_AND_RUN HOME="$work/home-gui" "$appimage" gui
    if window=$(wait_for_window fxconfig 60); then
      pass "the GUI from the AppImage shows its window under Xvfb: $window"
      check_window_drawn "$window" "$work/gui.png"
    else
      fail_check "no fxconfig window under Xvfb within 60 s: $(tail -n 5 "$work/gui.err")"
    fi
  else
    fail_check "Xvfb did not start"
  fi
  cleanup
else
  fail_check "the program has no GUI: \`gui --help\` failed"
fi

summary smoke-appimage
