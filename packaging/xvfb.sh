# Sourced, not run. start_xvfb_display [WIDTHxHEIGHTxDEPTH]: starts Xvfb on a display number
# it chooses itself (-displayfd), sets xvfb_pid and exports DISPLAY; returns 1 when no display
# came up within 10 s (xvfb_pid is set either way, for the caller to stop).
start_xvfb_display() {
  local display_file screen=${1:-1280x800x24}
  display_file=$(mktemp)
  Xvfb -displayfd 9 -screen 0 "$screen" -nolisten tcp 9> "$display_file" > /dev/null 2>&1 &
  xvfb_pid=$!
  for _ in $(seq 100); do
    if [ -s "$display_file" ]; then
      DISPLAY=:$(tr -d '\n' < "$display_file")
      export DISPLAY
      rm -f "$display_file"
      return 0
    fi
    sleep 0.1
  done
  rm -f "$display_file"
  return 1
}
