# Helpers of the smoke tests; sourced after common.sh, not run. Everything they start is
# recorded and stopped by `cleanup`, by process id.

# The PKCS#12 password of the throwaway client identity (never printed).
smoke_p12_password=smoke-p12-6c1e
started_pids=()
smoke_passed=0
smoke_failed=0

# pass MESSAGE / fail_check MESSAGE: record a check's outcome.
pass() {
  smoke_passed=$((smoke_passed + 1))
  printf 'ok   %s\n' "$*"
}
fail_check() {
  smoke_failed=$((smoke_failed + 1))
  printf 'FAIL %s\n' "$*"
}

# expect_code WANT GOT MESSAGE
expect_code() {
  if [ "$2" = "$1" ]; then pass "$3 (exit $2)"; else fail_check "$3: exit $2, expected $1"; fi
}

# cleanup: stops every process started here (TERM, then KILL), newest first.
cleanup() {
  local index pid
  for ((index = ${#started_pids[@]} - 1; index >= 0; index--)); do
    pid=${started_pids[index]}
    kill -TERM "$pid" 2> /dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2> /dev/null || true
  done
  started_pids=()
}

# summary NAME: prints the closing line and returns 1 if a check failed.
summary() {
  echo "$1: $smoke_passed passed, $smoke_failed failed"
  [ "$smoke_failed" -eq 0 ]
}

# make_pki DIR: a throwaway PKI made by openssl: ca.pem/ca.key, a server certificate for
# 127.0.0.1 (server.pem, server.key) and the client identity client.p12.
make_pki() {
  local dir=$1
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
  openssl req -x509 "${ec[@]}" -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 2 \
    -subj "/CN=fxconfig smoke-test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2> /dev/null
  local name usage
  for name in server client; do
    usage=serverAuth
    [ "$name" = client ] && usage=clientAuth
    openssl req "${ec[@]}" -keyout "$dir/$name.key" -out "$dir/$name.csr" -subj "/CN=fxconfig smoke $name" 2> /dev/null
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=$usage" "subjectAltName=IP:127.0.0.1,DNS:localhost" > "$dir/$name.ext"
    openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
      -days 2 -extfile "$dir/$name.ext" -out "$dir/$name.pem" 2> /dev/null
  done
  openssl pkcs12 -export -inkey "$dir/client.key" -in "$dir/client.pem" -certfile "$dir/ca.pem" \
    -out "$dir/client.p12" -passout "pass:$smoke_p12_password"
}

# write_cfg FILE PORT CA P12: an fxpkcs11.cfg in the guide's layout for 127.0.0.1:PORT, readable
# by its owner only (it holds the PKCS#12 password).
write_cfg() {
  local file=$1 port=$2 ca=$3 p12=$4
  (
    umask 077
    cat > "$file" << CFG
<CONFIG>
    <REQUIRE-LOGIN-FLAG>     NO          </REQUIRE-LOGIN-FLAG>
</CONFIG>
<KMS>
    <SLOT>                   0           </SLOT>
    <CRYPTO-OPR>             crypto1     </CRYPTO-OPR>
    <KEYGROUP-NAME>          keygroup1   </KEYGROUP-NAME>
    <ADDRESS>                127.0.0.1   </ADDRESS>
    <PROD-PORT>              $port       </PROD-PORT>
    <PROD-TLS-ENABLED>       YES         </PROD-TLS-ENABLED>
    <PROD-TLS-ANONYMOUS>     NO          </PROD-TLS-ANONYMOUS>
    <PROD-TLS-CA>            $ca         </PROD-TLS-CA>
    <PROD-TLS-KEY>           $p12        </PROD-TLS-KEY>
    <PROD-TLS-KEY-PASS>      $smoke_p12_password </PROD-TLS-KEY-PASS>
    <FX-LOAD-BALANCE>        NO          </FX-LOAD-BALANCE>
</KMS>
CFG
  )
}

# start_background OUT ERR COMMAND...: starts COMMAND in the background with its output in OUT
# and ERR; sets background_pid.
start_background() {
  local out=$1 err=$2
  shift 2
  "$@" > "$out" 2> "$err" < /dev/null &
  background_pid=$!
  started_pids+=("$background_pid")
}

# wait_for_port OUT: waits up to 30 s for the simulator's "listening on ADDR" line in OUT and
# prints the port.
wait_for_port() {
  local out=$1 line
  for _ in $(seq 300); do
    line=$(grep -o 'listening on [0-9.]*:[0-9]*' "$out" 2> /dev/null || true)
    if [ -n "$line" ]; then
      echo "${line##*:}"
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# closed_port: a loopback port nothing listens on.
closed_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# to_windows PATH: the path as a Windows program sees it, through wine's Z: drive.
to_windows() {
  printf 'Z:%s' "${1//\//\\}"
}

# json_ok FILE: prints the "ok" member (true/false) of the JSON object in FILE.
json_ok() {
  python3 -c 'import json, sys; print(str(json.load(open(sys.argv[1]))["ok"]).lower())' "$1"
}

# start_xvfb: starts Xvfb on a free display and exports DISPLAY; `cleanup` stops it.
source "$(dirname "${BASH_SOURCE[0]}")/xvfb.sh"
start_xvfb() {
  start_xvfb_display
  local started=$?
  started_pids+=("$xvfb_pid")
  return "$started"
}

# wait_for_window PATTERN SECONDS: waits for a window whose name matches PATTERN (grep -i) on
# $DISPLAY and prints its xwininfo line.
wait_for_window() {
  local pattern=$1 seconds=$2 line
  for _ in $(seq $((seconds * 5))); do
    line=$(xwininfo -root -tree 2> /dev/null | grep -i -- "$pattern" | head -n 1 || true)
    if [ -n "$line" ]; then
      echo "$line"
      return 0
    fi
    sleep 0.2
  done
  return 1
}

# check_window_drawn WINDOW_LINE PNG: screenshots the window of an xwininfo line into PNG and
# passes when it holds at least 16 colours, i.e. the app drew into it (a window that was mapped but
# never painted is one flat colour).
check_window_drawn() {
  local window_id colours
  window_id=$(awk '{print $1}' <<< "$1")
  sleep 3
  if ! import -window "$window_id" "$2" 2> /dev/null; then
    fail_check "could not take a screenshot of window $window_id"
    return
  fi
  colours=$(identify -format '%k' "$2" 2> /dev/null || echo 0)
  [ "${colours:-0}" -ge 16 ] && pass "the window is drawn ($colours colours in its screenshot)" ||
    fail_check "the window looks blank: ${colours:-0} colours in its screenshot"
}
