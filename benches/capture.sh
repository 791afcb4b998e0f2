#!/usr/bin/env bash
# Benchmarks of captures and replays, recorded in docs/benchmarks.md ("Captures and replays"); run by
# hand on a quiet machine, not a timed test:
#   1. `fxconfig check` with and without `--capture FILE`, against the simulator on loopback (what
#      writing the capture adds to a run);
#   2. the capture's size, with the RSA 2048 PKI a KMES issues;
#   3. how long `kmes-sim --replay` takes from its start to its listening line (reading the capture,
#      issuing its certificates again under new keys of the same types, binding), with the same PKI and
#      with the ECDSA P-256 PKI of the corpus (tests/captures/sim-healthy.json).
# Needs: hyperfine, openssl. Builds the release binary first; FXCONFIG_BIN=PATH takes another build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${FXCONFIG_BIN:-}" ]; then
  cargo build --release --quiet --bin fxconfig
fi
bin=${FXCONFIG_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/release/fxconfig}
corpus=$PWD/tests/captures/sim-healthy.json
work=$(mktemp -d)
trap 'kill "${sim_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

source benches/lib.sh
cd "$work"
make_bench_pki
start_bench_sim "$bin"
write_bench_cfg "$bin" "$port"
"$bin" check --config fxpkcs11.cfg --capture capture.json > /dev/null

echo "== check, without and with --capture"
hyperfine --warmup 3 --runs 40 -N \
  "$bin check --config $work/fxpkcs11.cfg" \
  "$bin check --config $work/fxpkcs11.cfg --capture $work/capture.json" 2>&1 | grep -v '^\s*$'

echo "== capture size (RSA 2048 PKI): $(wc -c < capture.json) bytes"

# replay_start CAPTURE: milliseconds from starting `kmes-sim --replay CAPTURE` to its first line (it
# then serves until stopped, so it is stopped here).
replay_start() {
  local started ended
  started=$(date +%s%N)
  coproc REPLAY { exec "$bin" kmes-sim --replay "$1" --listen 127.0.0.1:0; }
  read -r _ <&"${REPLAY[0]}"
  ended=$(date +%s%N)
  kill "$REPLAY_PID"
  wait "$REPLAY_PID" 2> /dev/null || true
  echo $(((ended - started) / 1000000))
}

for capture in "$work/capture.json" "$corpus"; do
  runs=()
  for _ in $(seq 30); do runs+=("$(replay_start "$capture")"); done
  sorted=$(printf '%s\n' "${runs[@]}" | sort -n)
  echo "== kmes-sim --replay $(basename "$capture"), start to its first line, 30 runs:" \
    "min $(head -n 1 <<< "$sorted") ms, median $(sed -n 15p <<< "$sorted") ms, max $(tail -n 1 <<< "$sorted") ms"
done
