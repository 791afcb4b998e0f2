#!/usr/bin/env bash
# Takes the README's screenshots from the real app: `fxconfig demo` in an Xvfb display
# (software rendering), driven from the keyboard with xdotool, photographed with
# ImageMagick's `import`. Writes assets/screenshots/*.png.
# The PKCS#11 module screen shows a SoftHSM2 token made here with an RSA and an EC key, standing
# in for libfxpkcs11.so.
# Needs: Xvfb, xdotool, imagemagick, softhsm2, opensc (bash tests/system-deps.sh installs them).
# FXCONFIG_BIN=target/debug/fxconfig takes them from a debug build instead of building the release one.
set -euo pipefail
cd "$(dirname "$0")/.."
source packaging/app-session.sh
out=$PWD/assets/screenshots
mkdir -p "$out"
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

# Starts the demo with the given arguments and sets `window` once its title names the file.
start_demo() {
  "$bin" demo "$@" > /dev/null 2> "$work/demo.err" &
  pids+=($!)
  window=$(wait_for_app_window) || { cat "$work/demo.err" >&2; exit 1; }
}

shot() {
  sleep "${2:-1}"
  import -window "$window" "$out/$1.png"
  echo "assets/screenshots/$1.png"
}

start_demo
shot configuration 2
keys ctrl+2
shot certificates
keys ctrl+3 Return
shot connection-test 3
keys ctrl+4
shot ssh-key
keys ctrl+5 alt+Right alt+Right alt+Right
shot troubleshooting
keys ctrl+6 Return
shot pkcs11-module 2
# The SSH client screen: a Host block previewed (into a file of the work folder, never the user's own
# ~/.ssh/config) and proven with ssh -G.
keys ctrl+7
xdotool type --delay 20 kmes
keys Tab
xdotool type --delay 20 ssh-server.example.com
keys Tab
xdotool type --delay 20 admin
keys Tab Tab Tab Tab Tab Tab
xdotool type --delay 20 "$work/ssh_config"
keys Tab Tab Return
shot ssh-client 3
keys ctrl+q
sleep 1

start_demo --fault wrong-ca
keys ctrl+3 Return
shot connection-test-fault 3
keys ctrl+5 alt+Right alt+Right alt+Right
shot troubleshooting-fault
keys ctrl+q
sleep 1

# A capture replayed (the corpus's wrong-ca), as a support engineer opens it.
start_demo --replay "$PWD/tests/captures/sim-wrong-ca.json"
keys ctrl+3 Return
shot replay-wrong-ca 3
keys ctrl+q
sleep 1

# The smallest window the app supports, in the dark theme: the failed test's verdict first.
printf '{"theme": "dark", "window_size": [760.0, 520.0]}\n' > "$FXCONFIG_PREFS_DIR/prefs.json"
start_demo --fault wrong-ca
keys ctrl+3 Return
shot connection-test-fault-dark-760x520 3
keys ctrl+q
sleep 1

# The first run, with no file where the library reads it (FXPKCS11_CFG names a missing file),
# at 760x520 in the light theme.
printf '{"theme": "light", "window_size": [760.0, 520.0]}\n' > "$FXCONFIG_PREFS_DIR/prefs.json"
mkdir -p "$work/etc"
FXPKCS11_CFG=$work/etc/fxpkcs11.cfg "$bin" gui > /dev/null 2> "$work/gui.err" &
pids+=($!)
window=$(wait_for_app_window 'no file open') || { cat "$work/gui.err" >&2; exit 1; }
shot first-run-760x520 2
keys ctrl+q
sleep 1
