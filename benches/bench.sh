#!/usr/bin/env bash
# Benchmarks recorded in the README (not timed tests): run by hand on a quiet machine.
#   1. `fxconfig check` against the simulator on loopback vs `openssl s_client` doing its handshake alone;
#   2. `fxconfig pubkey` vs the guide's openssl + ssh-keygen pipeline of [4.1];
#   3. peak memory (max RSS) of `fxconfig check`.
# Needs: hyperfine, GNU time (/usr/bin/time), openssl, ssh-keygen. Builds the release binary first.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin fxconfig
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/fxconfig
work=$(mktemp -d)
trap 'kill "${sim_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

source benches/lib.sh
cd "$work"
make_bench_pki
start_bench_sim "$bin"
write_bench_cfg "$bin" "$port"
"$bin" check --config fxpkcs11.cfg > /dev/null || { "$bin" check --config fxpkcs11.cfg; exit 1; }

echo "== check vs openssl s_client handshake"
hyperfine --warmup 3 --runs 30 -N \
  "$bin check --config $work/fxpkcs11.cfg" \
  "openssl s_client -connect 127.0.0.1:$port -CAfile $work/ca.pem -cert $work/client.pem -key $work/client.key -brief -no_ign_eof" 2>&1 | grep -v '^\s*$'

echo "== pubkey vs openssl + ssh-keygen"
openssl rsa -in client.key -RSAPublicKey_out -outform DER -out SSH_Client_Public.pub 2>/dev/null
hyperfine --warmup 3 --runs 50 -N "$bin pubkey $work/SSH_Client_Public.pub" 2>&1 | grep -v '^\s*$'
hyperfine --warmup 3 --runs 50 \
  "openssl rsa -RSAPublicKey_in -inform DER -outform PEM -in $work/SSH_Client_Public.pub -out $work/p.pem 2>/dev/null && ssh-keygen -f $work/p.pem -i -m PKCS8 > /dev/null" \
  2>&1 | grep -v '^\s*$'

echo "== peak memory of check"
/usr/bin/time -f "max RSS %M KiB" "$bin" check --config fxpkcs11.cfg > /dev/null
