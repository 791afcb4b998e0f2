#!/usr/bin/env bash
# Benchmarks recorded in the README (not timed tests): run by hand on a quiet machine.
#   1. `fxconfig check` against the simulator on loopback vs `openssl s_client` doing its handshake alone;
#   2. `fxconfig pubkey` vs the guide's openssl + ssh-keygen pipeline of [4.1];
#   3. peak memory (max RSS) of `fxconfig check`.
# Needs: hyperfine, GNU time (/usr/bin/time), openssl, ssh-keygen. Builds the release binary first.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/fxconfig
work=$(mktemp -d)
trap 'kill "${sim_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

# A demo PKI (RSA 2048, as a KMES issues) made with openssl.
cd "$work"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj "/CN=System TLS CA Root" \
  -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=KMES" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile server.ext -out server.pem 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=PKCS #11 Client" 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' > client.ext
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile client.ext -out client.pem 2>/dev/null
openssl pkcs12 -export -inkey client.key -in client.pem -certfile ca.pem -passout pass:bench -out client.p12
"$bin" kmes-sim --listen 127.0.0.1:0 --ca ca.pem --cert server.pem --key server.key > sim.out &
sim_pid=$!
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
"$bin" check --config fxpkcs11.cfg > /dev/null || { "$bin" check --config fxpkcs11.cfg; exit 1; }

echo "== check vs openssl s_client handshake"
hyperfine --warmup 3 --runs 30 -N \
  "$bin check --config $work/fxpkcs11.cfg" \
  "openssl s_client -connect 127.0.0.1:$port -CAfile $work/ca.pem -cert $work/client.pem -key $work/client.key -brief -no_ign_eof" \
  --input /dev/null 2>&1 | grep -v '^\s*$'

echo "== pubkey vs openssl + ssh-keygen"
openssl rsa -in client.key -RSAPublicKey_out -outform DER -out SSH_Client_Public.pub 2>/dev/null
hyperfine --warmup 3 --runs 50 -N "$bin pubkey $work/SSH_Client_Public.pub" 2>&1 | grep -v '^\s*$'
hyperfine --warmup 3 --runs 50 \
  "openssl rsa -RSAPublicKey_in -inform DER -outform PEM -in $work/SSH_Client_Public.pub -out $work/p.pem 2>/dev/null && ssh-keygen -f $work/p.pem -i -m PKCS8 > /dev/null" \
  2>&1 | grep -v '^\s*$'

echo "== peak memory of check"
/usr/bin/time -f "max RSS %M KiB" "$bin" check --config fxpkcs11.cfg > /dev/null
