#!/usr/bin/env bash
# Makes the capture corpus of tests/captures/ again: one `fxconfig check --capture` per
# scenario, against the KMES simulator with each of its faults, and against `openssl s_server`
# (TLS 1.2 only, a rejected client, and the eight answer forms of the Excrypt dialect). Run it
# by hand when the capture format changes; `tests/core/capture.rs` replays every file here.
# The PKI is made with openssl here, valid for ten years; a replay moves every validity by
# the time since the capture, so the files do not age.
#   bash tests/captures/make-corpus.sh            (uses target/debug/fxconfig)
#   FXCONFIG_BIN=path/to/fxconfig bash tests/captures/make-corpus.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${FXCONFIG_BIN:-$here/../../target/debug/fxconfig}
work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

p12_password=corpus-p12-password
ca() { # NAME FILE-STEM
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/O=fxconfig corpus/CN=$1" -keyout "$work/$2.key" -out "$work/$2.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
leaf() { # CA-STEM STEM CN EXTENSIONS
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=fxconfig corpus/CN=$3" \
    -keyout "$work/$2.key" -out "$work/$2.csr" 2>/dev/null
  printf '%b' "$4" > "$work/$2.ext"
  openssl x509 -req -in "$work/$2.csr" -CA "$work/$1.pem" -CAkey "$work/$1.key" -CAcreateserial -days 3650 \
    -extfile "$work/$2.ext" -out "$work/$2.pem" 2>/dev/null
}
ca "System TLS CA Root" root
ca "Unrelated TLS CA" other
leaf root server KMES 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'
leaf root client "PKCS #11 Client" 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n'
openssl pkcs12 -export -inkey "$work/client.key" -in "$work/client.pem" -certfile "$work/root.pem" \
  -passout "pass:$p12_password" -out "$work/client.p12"

cfg=$work/fxpkcs11.cfg
"$bin" config init "$cfg" > /dev/null
write_cfg() { # PORT
  P12=$p12_password OPERATOR=corpus-operator-password "$bin" config set "$cfg" \
    CRYPTO-OPR=crypto1 KEYGROUP-NAME=keygroup1 ADDRESS=127.0.0.1 "PROD-PORT=$1" \
    "PROD-TLS-CA=$work/root.pem" "PROD-TLS-KEY=$work/client.p12" \
    --secret-env PROD-TLS-KEY-PASS=P12 --secret-env CRYPTO-OPR-PASS=OPERATOR > /dev/null
}
capture() { # NAME
  "$bin" check --config "$cfg" --timeout 2 --capture "$here/$1.json" > /dev/null || true
  echo "captured $1"
}
stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_for_port() {
  for _ in $(seq 100); do
    if (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; then return 0; fi
    sleep 0.05
  done
  echo "nothing listens on port $1" >&2
  return 1
}

for fault in healthy wrong-ca reject-client no-client-auth expired-cert tls12-only silent garbage \
  close-after-handshake echo-disabled permission-denied general-failure slow guide-cert cbc-only; do
  port=$(free_port)
  fault_args=()
  [ "$fault" = healthy ] || fault_args=(--fault "$fault")
  "$bin" kmes-sim --listen "127.0.0.1:$port" --ca "$work/root.pem" --ca-key "$work/root.key" \
    --cert "$work/server.pem" --key "$work/server.key" --slow-delay 0.5 "${fault_args[@]}" > /dev/null &
  server_pid=$!
  wait_for_port "$port"
  write_cfg "$port"
  capture "sim-$fault"
  stop_server
done

s_server() { # NAME ANSWER S_SERVER-ARGS...
  local name=$1 answer=$2
  shift 2
  port=$(free_port)
  # Two connections: the modern client's and, when it is refused, the compatibility client's.
  { sleep 1.5; printf '%b' "$answer"; sleep 4; } | openssl s_server -accept "127.0.0.1:$port" -naccept 2 \
    -cert "$work/server.pem" -key "$work/server.key" "$@" > "$work/s_server.out" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    grep -q '^ACCEPT' "$work/s_server.out" 2> /dev/null && break
    sleep 0.05
  done
  write_cfg "$port"
  capture "$name"
  stop_server
}
s_server s_server-tls12-only '[AOECHO;ANY;BC7.1.0.3;]' -tls1_2 -Verify 1 -verify_return_error -CAfile "$work/root.pem"
s_server s_server-rejected-client '' -Verify 1 -verify_return_error -CAfile "$work/other.pem"
form=0
for answer in '[AOECHO;ANP;]' '[AOECHO;ANN;]' '[AOECHO;ANN;ERCommand not permitted for this identity;]' \
  '[AOECHO;;BC7.1.0.3;]' '[AOERRO;BBCommande refus\xe9e;]' '[AOECHO;ANY;BC7.1.0.3;SN1234;PNKMES Series 3;]' \
  '[AOECHO;ANY;EX1;OI0;SN1234;PNKMES Series 3;FW7.2.0.1;FH3.1;FM128;FS2;]' '[AOERRO;BBCommand not enabled;]'; do
  form=$((form + 1))
  s_server "answer-form-$form" "$answer" -Verify 1 -verify_return_error -CAfile "$work/root.pem"
done
