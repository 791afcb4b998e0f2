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

# write_bench_cfg PORT: fxpkcs11.cfg in the current folder for the simulator on PORT (mode 600).
write_bench_cfg() {
  cat > fxpkcs11.cfg << CFG
<KMS>
    <ADDRESS> 127.0.0.1 </ADDRESS>
    <PROD-PORT> $1 </PROD-PORT>
    <PROD-TLS-ENABLED> YES </PROD-TLS-ENABLED>
    <PROD-TLS-CA> $PWD/ca.pem </PROD-TLS-CA>
    <PROD-TLS-KEY> $PWD/client.p12 </PROD-TLS-KEY>
    <PROD-TLS-KEY-PASS> bench </PROD-TLS-KEY-PASS>
</KMS>
CFG
  chmod 600 fxpkcs11.cfg
}
