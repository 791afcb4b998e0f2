#!/usr/bin/env bash
# Benchmarks of the desktop app, recorded in the README (not timed tests): run by hand on
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
#      (FXCONFIG_BENCH=frames writes each frame's CPU time, interval and whether the test was running).
# Needs: Xvfb, xdotool, GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/fxconfig
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

# A demo PKI and the simulator with the `silent` fault, and a configuration for it.
cd "$work"
cat > pki.sh <<'PKI'
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj "/CN=System TLS CA Root" \
  -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=KMES"
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile server.ext -out server.pem
openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=PKCS #11 Client"
printf 'extendedKeyUsage=clientAuth\n' > client.ext
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile client.ext -out client.pem
openssl pkcs12 -export -inkey client.key -in client.pem -certfile ca.pem -passout pass:bench -out client.p12
PKI
bash pki.sh >/dev/null 2>&1
"$bin" kmes-sim --listen 127.0.0.1:0 --ca ca.pem --cert server.pem --key server.key --fault silent > sim.out &
pids+=($!)
for _ in $(seq 50); do grep -q listening sim.out 2>/dev/null && break; sleep 0.1; done
port=$(grep -o '127.0.0.1:[0-9]*' sim.out | cut -d: -f2)
cat > fxpkcs11.cfg <<CFG
<KMS>
    <ADDRESS> 127.0.0.1 </ADDRESS>
    <PROD-PORT> $port </PROD-PORT>
    <PROD-TLS-ENABLED> YES </PROD-TLS-ENABLED>
    <PROD-TLS-CA> $work/ca.pem </PROD-TLS-CA>
    <PROD-TLS-KEY> $work/client.p12 </PROD-TLS-KEY>
    <PROD-TLS-KEY-PASS> bench </PROD-TLS-KEY-PASS>
</KMS>
CFG
chmod 600 fxpkcs11.cfg

# Waits for the app's window to name its file; prints the window id.
wait_window() {
  for _ in $(seq 300); do
    for id in $(xdotool search --name '^fxconfig' 2>/dev/null); do
      if xdotool getwindowname "$id" | grep -q '^fxconfig — .*fxpkcs11.cfg'; then
        xdotool windowfocus --sync "$id"
        echo "$id"
        return
      fi
    done
    sleep 0.1
  done
  echo "no fxconfig window" >&2
  exit 1
}

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
window=$(wait_window)
xdotool mousemove 1279 899
sleep 3
ticks() { awk '{print $14 + $15}' "/proc/$app/stat"; }
before=$(ticks)
sleep 5
after=$(ticks)
hz=$(getconf CLK_TCK)
echo "cpu ticks in 5 s: $((after - before)) (of $((5 * hz)) per core) = $(awk -v d=$((after - before)) -v hz="$hz" 'BEGIN{printf "%.2f", d * 100 / (5 * hz)}') % of one core"
xdotool key --clearmodifiers ctrl+q
wait "$app" || true

echo "== 3 and 4. peak memory of a session; frame times while a check waits on a silent server"
FXCONFIG_BENCH=frames FXCONFIG_BENCH_OUT="$work/frames.txt" /usr/bin/time -f 'peak RSS %M KiB' -o "$work/time.txt" \
  "$bin" gui --config "$work/fxpkcs11.cfg" 2> "$work/frames.err" &
app=$!
pids+=("$app")
window=$(wait_window)
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
