# Sourced, not run, from the repository root by the scripts that drive the release app in an
# Xvfb display (packaging/screenshots.sh, benches/app_bench.sh). It builds the release program
# ($bin, or uses $FXCONFIG_BIN), makes a private work folder ($work) that is removed on exit together with every
# process listed in $pids, starts Xvfb (1280x900), and points the app's preferences
# (FXCONFIG_PREFS_DIR) and runtime folder into $work.
source packaging/xvfb.sh
# FXCONFIG_BIN names a program already built (such as target/debug/fxconfig) to use instead.
if [ -n "${FXCONFIG_BIN:-}" ]; then
  bin=$FXCONFIG_BIN
else
  cargo build --release --quiet --bin fxconfig
  bin=${CARGO_TARGET_DIR:-$PWD/target}/release/fxconfig
fi
work=$(mktemp -d)
chmod 700 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
start_xvfb_display 1280x900x24 || xvfb_failed=1
pids+=("$xvfb_pid")
[ -z "${xvfb_failed:-}" ] || { echo "Xvfb did not start" >&2; exit 1; }
export XDG_RUNTIME_DIR=$work FXCONFIG_PREFS_DIR=$work/prefs
mkdir -p "$FXCONFIG_PREFS_DIR"

# wait_for_app_window [TITLE]: waits up to 30 s for a window whose title names an fxpkcs11.cfg
# (or, given, whose title after "fxconfig — " matches the pattern TITLE), focuses it, parks the
# pointer in the corner and prints the window id; exits the script when none comes.
wait_for_app_window() {
  local title=${1:-.*fxpkcs11.cfg}
  for _ in $(seq 300); do
    for id in $(xdotool search --name '^fxconfig' 2> /dev/null); do
      if xdotool getwindowname "$id" | grep -q "^fxconfig — $title"; then
        xdotool windowfocus --sync "$id"
        xdotool mousemove 1279 899
        echo "$id"
        return
      fi
    done
    sleep 0.1
  done
  echo "no fxconfig window within 30 s" >&2
  exit 1
}
