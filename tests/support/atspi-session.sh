#!/usr/bin/env bash
# Dumps what a screen reader sees of the desktop app: runs target/debug/fxconfig under Xvfb
# with a private D-Bus session bus and a private AT-SPI bus, and writes the accessible tree
# of each screen with tests/support/atspi_tree.py.
#
#   bash tests/support/atspi-session.sh [OUTDIR]   (default: a new /tmp/fxconfig-atspi-out.* folder)
#
# Two runs: a first run (FXPKCS11_CFG names a file that does not exist) and `fxconfig demo`.
# On each: the opening screen, Ctrl+3 (Connection) and Ctrl+5 (Guided troubleshooting), written
# to OUTDIR/<run>-<screen>.jsonl, with a summary of duplicate button names and unnamed
# widgets in OUTDIR/<run>-<screen>.summary.json. On failure the logs of the programs started
# (Xvfb, the buses, the app) are copied to OUTDIR/logs.
#
# AccessKit (eframe's accessibility) builds its tree only when the session bus's
# org.a11y.Bus object says org.a11y.Status.IsEnabled=true: at-spi-bus-launcher started with
# --a11y=1 says so. Everything started here is stopped on exit, on failure too.
# Needs: xvfb xdotool dbus-daemon dbus-bin at-spi2-core libglib2.0-bin python3-pyatspi
# (Debian), and the app built (FXCONFIG_BIN overrides target/debug/fxconfig).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${FXCONFIG_BIN:-$root/target/debug/fxconfig}
dump=$root/tests/support/atspi_tree.py
tmp=$(mktemp -d /tmp/fxconfig-atspi.XXXXXX)
out=${1:-$(mktemp -d /tmp/fxconfig-atspi-out.XXXXXX)}
mkdir -p "$out" "$tmp/run" "$tmp/cache" "$tmp/config"
chmod 700 "$tmp/run"
pids=()   # everything started, stopped in reverse order

# Stops PID after its descendants, deepest first, so each parent reaps its children (the AT-SPI
# bus launcher starts a bus daemon, which starts the registry).
alive() { local stat; stat=$(ps -o stat= -p "$1") && [[ $stat != Z* ]]; }   # zombies are not
stop_tree() {
  local child
  for child in $(pgrep -P "$1" || true); do stop_tree "$child"; done
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 20); do alive "$1" || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}
cleanup() {
  local status=$? i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop_tree "${pids[i]}"; done
  wait 2>/dev/null || true
  if ((status != 0)); then mkdir -p "$out/logs" && cp "$tmp"/*.log "$tmp"/*.err "$out/logs/" 2>/dev/null; fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Everything per-user goes into $tmp: the AT-SPI bus socket ($XDG_RUNTIME_DIR/at-spi),
# settings (kept in memory), the app's preferences and the demo's files.
export XDG_RUNTIME_DIR=$tmp/run XDG_CACHE_HOME=$tmp/cache XDG_CONFIG_HOME=$tmp/config
export GSETTINGS_BACKEND=memory TMPDIR=$tmp
export FXCONFIG_PREFS_DIR=$tmp/prefs
unset WAYLAND_DISPLAY AT_SPI_BUS_ADDRESS

# A display of its own: Xvfb picks a free number and writes it to the pipe.
Xvfb -displayfd 4 -screen 0 1280x900x24 -nolisten tcp 4>"$tmp/display" 2>"$tmp/xvfb.log" &
pids+=($!)
for _ in $(seq 100); do [[ -s $tmp/display ]] && break; sleep 0.1; done
[[ -s $tmp/display ]] || { echo "Xvfb did not start: $(cat "$tmp/xvfb.log")" >&2; exit 1; }
export DISPLAY=:$(head -n1 "$tmp/display")

# A private session bus; on it the AT-SPI bus launcher with accessibility on (--a11y=1), and
# the registry on the AT-SPI bus, both started here rather than by D-Bus activation so that
# they are this script's children, stopped and reaped by it.
# (--nofork: a child of this script, so that it is reaped; pid 1 may not reap.)
dbus-daemon --session --nofork --print-address=5 5>"$tmp/bus" 2>"$tmp/bus.log" &
pids+=($!)
for _ in $(seq 100); do [[ -s $tmp/bus ]] && break; sleep 0.1; done
export DBUS_SESSION_BUS_ADDRESS=$(head -n1 "$tmp/bus")
# has_owner BUS NAME: whether NAME is taken on BUS (asking does not start its service).
has_owner() {
  gdbus call --address "$1" --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
    --method org.freedesktop.DBus.NameHasOwner "$2" 2>/dev/null | grep -q true
}
wait_owner() {
  for _ in $(seq 100); do has_owner "$1" "$2" && return 0; sleep 0.1; done
  echo "$2 did not appear on the bus" >&2
  return 1
}
/usr/libexec/at-spi-bus-launcher --launch-immediately --a11y=1 >"$tmp/launcher.log" 2>&1 &
pids+=($!)
wait_owner "$DBUS_SESSION_BUS_ADDRESS" org.a11y.Bus
a11y() { gdbus call --session --dest org.a11y.Bus --object-path /org/a11y/bus "$@"; }
a11y --method org.freedesktop.DBus.Properties.Get org.a11y.Status IsEnabled | grep -q true ||
  { echo "org.a11y.Status.IsEnabled is not true: AccessKit would stay off" >&2; exit 1; }
atspi_bus=$(a11y --method org.a11y.Bus.GetAddress | sed "s/^('\(.*\)',)$/\1/")
/usr/libexec/at-spi2-registryd >"$tmp/registryd.log" 2>&1 &
pids+=($!)
wait_owner "$atspi_bus" org.a11y.atspi.Registry

# Runs the app with ARGS, waits for its window's title to match the regex TITLE, dumps each screen.
session() {
  local name=$1 title=$2 window app
  shift 2
  "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  app=$!
  pids+=("$app")
  for _ in $(seq 300); do
    window=$(xdotool search --name '^fxconfig' 2>/dev/null | head -n1 || true)
    [[ -n $window && $(xdotool getwindowname "$window" 2>/dev/null) =~ $title ]] && break
    window=
    alive "$app" || { echo "$name: the app exited: $(cat "$tmp/$name.err")" >&2; return 1; }
    sleep 0.2
  done
  [[ -n $window ]] || { echo "$name: no window titled $title within 60 s" >&2; return 1; }
  echo "$name: window $window \"$(xdotool getwindowname "$window")\""
  sleep 2   # the first frames, and AccessKit's first tree update
  # No window manager: give the window the keyboard focus directly.
  timeout 10 xdotool windowfocus --sync "$window"
  local screen key
  for screen in home:"" connection:ctrl+3 troubleshooting:ctrl+5; do
    key=${screen#*:}
    screen=${screen%%:*}
    if [[ -n $key ]]; then xdotool key "$key"; sleep 1.5; fi
    timeout 25 /usr/bin/python3 "$dump" --summary >"$out/$name-$screen.jsonl" \
      2>"$out/$name-$screen.summary.json" || { cat "$out/$name-$screen.summary.json" >&2; return 1; }
    echo "$name-$screen: $(($(wc -l <"$out/$name-$screen.jsonl") - 1)) objects"
  done
  xdotool key ctrl+q
  for _ in $(seq 50); do alive "$app" || break; sleep 0.2; done
  kill "$app" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
}

started=$SECONDS
session firstrun '^fxconfig' env FXPKCS11_CFG="$tmp/missing/fxpkcs11.cfg" "$bin"
session demo 'fxpkcs11\.cfg$' "$bin" demo
echo "dumps in $out ($((SECONDS - started)) s)"
