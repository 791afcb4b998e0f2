#!/usr/bin/env bash
# Benchmarks of the desktop app, recorded in docs/benchmarks.md (not timed tests): run by hand on
# a quiet machine. Everything runs in an Xvfb display, so rendering is software (wgpu on
# lavapipe; there is no GPU here).
#   1. cold start to the first frame (FXCONFIG_BENCH=first-frame: the app prints the time
#      from main() to the end of its first frame and closes), 10 runs, plus the wall time
#      of the whole process;
#   2. idle CPU: /proc/<pid>/stat sampled over 5 s while the app shows a screen and nothing happens;
#   3. peak memory (max RSS, /usr/bin/time -f %M) of a session that visits every screen and
#      runs the connection test;
#   4. frame times while a check waits on a server that never answers (the simulator's
#      `silent` fault, 5 s timeout), with the pointer moving to force frames
#      (FXCONFIG_BENCH=frames writes each frame's CPU time, interval and whether the test was running);
#   5. CPU (/proc/<pid>/stat over 4 s) and repaints per second while such a check waits and
#      nothing else happens: the app asks for one frame a second.
# Needs: Xvfb, xdotool, GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
source packaging/app-session.sh

# A demo PKI and the simulator with the `silent` fault, and a configuration for it.
source benches/lib.sh
cd "$work"
make_bench_pki > /dev/null 2>&1
start_bench_sim "$bin" --fault silent
pids+=("$sim_pid")
write_bench_cfg "$bin" "$port"

echo "== 1. cold start to first frame (ms; 10 runs)"
for run in $(seq 10); do
  start=$(date +%s%N)
  FXCONFIG_BENCH=first-frame "$bin" gui --config "$work/fxpkcs11.cfg" 2> "first-$run.err"
  end=$(date +%s%N)
  first=$(grep -o 'first_frame_ms=[0-9.]*' "first-$run.err" | cut -d= -f2)
  echo "run $run: first frame ${first} ms after main(); process start to exit $(( (end - start) / 1000000 )) ms"
done
grep -o 'renderer="[^"]*"' first-1.err

echo "== 2. idle CPU over 5 s"
"$bin" gui --config "$work/fxpkcs11.cfg" 2>/dev/null &
app=$!
pids+=("$app")
window=$(wait_for_app_window)
sleep 3
ticks() { awk '{print $14 + $15}' "/proc/$app/stat"; }
before=$(ticks)
sleep 5
after=$(ticks)
hz=$(getconf CLK_TCK)
echo "cpu ticks in 5 s: $((after - before)) (of $((5 * hz)) per core) = $(awk -v d=$((after - before)) -v hz="$hz" 'BEGIN{printf "%.2f", d * 100 / (5 * hz)}') % of one core"
xdotool key --clearmodifiers ctrl+q
wait "$app" || true

echo "== 5. CPU and repaints while a check waits on a silent server, no input (4 s of the 5 s wait)"
FXCONFIG_BENCH=frames FXCONFIG_BENCH_OUT="$work/wait-frames.txt" "$bin" gui --config "$work/fxpkcs11.cfg" 2> /dev/null &
app=$!
pids+=("$app")
window=$(wait_for_app_window)
sleep 2
xdotool key ctrl+3
sleep 1
xdotool key Return
sleep 0.5
before=$(ticks)
sleep 4
after=$(ticks)
echo "cpu ticks in 4 s while waiting: $((after - before)) (of $((4 * hz)) per core) = $(awk -v d=$((after - before)) -v hz="$hz" 'BEGIN{printf "%.1f", d * 100 / (4 * hz)}') % of one core"
xdotool key ctrl+q
wait "$app" || true
awk '$3 == 1' "$work/wait-frames.txt" > "$work/wait-run.txt"
awk '{ s += $2; n++ } END { if (n) printf "frames while the test ran: %d, %.1f per second\n", n, n * 1000 / s }' "$work/wait-run.txt"

echo "== 3 and 4. peak memory of a session; frame times while a check waits on a silent server"
FXCONFIG_BENCH=frames FXCONFIG_BENCH_OUT="$work/frames.txt" /usr/bin/time -f 'peak RSS %M KiB' -o "$work/time.txt" \
  "$bin" gui --config "$work/fxpkcs11.cfg" 2> "$work/frames.err" &
app=$!
pids+=("$app")
window=$(wait_for_app_window)
for key in ctrl+2 ctrl+4 ctrl+5 ctrl+1 ctrl+3; do xdotool key "$key"; sleep 0.5; done
sleep 1
xdotool key Return
sleep 0.2
# Move the pointer for 4 s while the handshake waits (5 s timeout), forcing frames.
for step in $(seq 80); do xdotool mousemove $((300 + step * 5)) $((300 + step * 2)); sleep 0.05; done
sleep 3
xdotool key ctrl+q
wait "$app" || true
cat "$work/time.txt"
grep fxconfig-bench "$work/frames.err"
# Only the frames drawn while the connection test was running (in them and in the frame before) count.
awk 'NR > 1 { if ($3 == 1 && previous == 1) print; previous = $3 }' "$work/frames.txt" > "$work/run-frames.txt"
echo "frames while the test waited: $(wc -l < "$work/run-frames.txt")"
sort -n -k1 "$work/run-frames.txt" | awk '{ c[NR] = $1 } END { printf "  cpu ms per frame: median %.2f, p95 %.2f, max %.2f\n", c[int((NR + 1) / 2)], c[int(NR * 0.95)], c[NR] }'
sort -n -k2 "$work/run-frames.txt" | awk '{ g[NR] = $2 } END { printf "  interval between frames ms: median %.1f, p95 %.1f, max %.1f\n", g[int((NR + 1) / 2)], g[int(NR * 0.95)], g[NR] }'
