#!/usr/bin/env bash
# Takes the README's screenshots from the real app: `fxconfig demo` in an Xvfb display
# (software rendering), driven from the keyboard with xdotool, photographed with
# ImageMagick's `import`. Writes assets/screenshots/*.png.
# The PKCS#11 module screen shows a SoftHSM2 token made here with an RSA and an EC key, standing
# in for libfxpkcs11.so.
# Needs: Xvfb, xdotool, imagemagick, softhsm2, opensc (bash tests/system-deps.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/fxconfig
out=$PWD/assets/screenshots
mkdir -p "$out"
work=$(mktemp -d)
chmod 700 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

number=90
while [ -e "/tmp/.X$number-lock" ]; do number=$((number + 1)); done
export DISPLAY=":$number"
Xvfb "$DISPLAY" -screen 0 1280x900x24 -nolisten tcp >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -e "/tmp/.X11-unix/X$number" ] && break; sleep 0.1; done
export XDG_RUNTIME_DIR=$work FXCONFIG_PREFS_DIR=$work/prefs
mkdir -p "$FXCONFIG_PREFS_DIR"
softhsm=/usr/lib/softhsm/libsofthsm2.so
mkdir -p "$work/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$work/tokens" > "$work/softhsm2.conf"
export SOFTHSM2_CONF=$work/softhsm2.conf
softhsm2-util --init-token --free --label "KMES keygroup1" --so-pin 87654321 --pin 12345678 > /dev/null
for key in "rsa:2048 ssh-client-rsa 01" "EC:prime256v1 ssh-client-ec 02"; do
  set -- $key
  pkcs11-tool --module "$softhsm" --token-label "KMES keygroup1" --login --pin 12345678 \
    --keypairgen --key-type "$1" --label "$2" --id "$3" > /dev/null 2>&1
done
printf '{"theme": "light", "window_size": [1120.0, 780.0], "module_path": "%s"}\n' "$softhsm" \
  > "$FXCONFIG_PREFS_DIR/prefs.json"

# Presses keys one at a time, as a hand would, so each lands in its own frame.
keys() {
  for key in "$@"; do
    xdotool key "$key"
    sleep 0.4
  done
}

# Starts the demo with the given arguments and prints its window id once the title names the file.
start_demo() {
  "$bin" demo "$@" >/dev/null 2>"$work/demo.err" &
  pids+=($!)
  for _ in $(seq 300); do
    for id in $(xdotool search --name '^fxconfig' 2>/dev/null); do
      if xdotool getwindowname "$id" | grep -q '^fxconfig — .*fxpkcs11.cfg'; then
        xdotool windowfocus --sync "$id"
        xdotool mousemove 1279 899
        echo "$id"
        return
      fi
    done
    sleep 0.1
  done
  echo "no fxconfig window" >&2
  cat "$work/demo.err" >&2
  exit 1
}

shot() {
  sleep "${2:-1}"
  import -window "$window" "$out/$1.png"
  echo "assets/screenshots/$1.png"
}

window=$(start_demo)
shot configuration 2
keys ctrl+2
shot certificates
keys ctrl+3 Return
shot connection-test 3
keys ctrl+4
shot ssh-key
keys ctrl+5 Right Right Right
shot troubleshooting
keys ctrl+6 Return
shot pkcs11-module 2
keys ctrl+q
sleep 1

window=$(start_demo --fault wrong-ca)
keys ctrl+3 Return
shot connection-test-fault 3
keys ctrl+5 Right Right Right
shot troubleshooting-fault
keys ctrl+q
sleep 1
