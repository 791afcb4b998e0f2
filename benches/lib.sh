# Sourced by the benchmark scripts, not run: the demo PKI, the simulator and its configuration.

# make_bench_pki: an RSA 2048 PKI as a KMES issues it, made with openssl in the current folder:
# ca.pem, server.pem/server.key for 127.0.0.1, client.pem/client.key and client.p12 (password
# "bench").
make_bench_pki() {
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj "/CN=System TLS CA Root" \
    -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign 2> /dev/null
  openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=KMES" 2> /dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile server.ext \
    -out server.pem 2> /dev/null
  openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=PKCS #11 Client" 2> /dev/null
  printf 'extendedKeyUsage=clientAuth\n' > client.ext
  openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile client.ext \
    -out client.pem 2> /dev/null
  openssl pkcs12 -export -inkey client.key -in client.pem -certfile ca.pem -passout pass:bench -out client.p12
}

# start_bench_sim PROGRAM [SIMULATOR OPTIONS...]: starts PROGRAM's kmes-sim on a free loopback
# port with the PKI of the current folder; sets sim_pid and port.
start_bench_sim() {
  local program=$1
  shift
  "$program" kmes-sim --listen 127.0.0.1:0 --ca ca.pem --cert server.pem --key server.key "$@" > sim.out &
  sim_pid=$!
  for _ in $(seq 50); do grep -q listening sim.out 2> /dev/null && break; sleep 0.1; done
  port=$(grep -o '127.0.0.1:[0-9]*' sim.out | cut -d: -f2)
}

# write_bench_cfg PROGRAM PORT: fxpkcs11.cfg in the current folder for the simulator on PORT, in the
# guide's layout: PROGRAM's `config init` writes the template (mode 600), `config set` fills it in.
write_bench_cfg() {
  local program=$1 port=$2
  "$program" config init fxpkcs11.cfg > /dev/null
  BENCH_P12_PASS=bench BENCH_OPERATOR_PASS=bench "$program" config set fxpkcs11.cfg \
    CRYPTO-OPR=crypto1 KEYGROUP-NAME=keygroup1 ADDRESS=127.0.0.1 "PROD-PORT=$port" \
    "PROD-TLS-CA=$PWD/ca.pem" "PROD-TLS-KEY=$PWD/client.p12" \
    --secret-env PROD-TLS-KEY-PASS=BENCH_P12_PASS --secret-env CRYPTO-OPR-PASS=BENCH_OPERATOR_PASS > /dev/null
}
