#!/usr/bin/env bash
# The fleet benchmark recorded in docs/fleet.md (not a timed test): the collection's client role on
# 50 inventory hosts on the local connection, each with its own fxpkcs11.cfg, against one KMES
# simulator, with forks 10 — first run (configure) and second run (nothing to change). Then the
# same 50 with 3 more hosts whose KMES never answers (the simulator's `silent` fault) and a check
# timeout of 2 s: the run may grow by about one timeout, and no healthy host's check may take
# longer than it did.
#
#   bash benches/fleet.sh [HOSTS] [FORKS]     (uses target/release/fxconfig, built if missing)
set -euo pipefail
source "$(dirname "$0")/../packaging/common.sh"
source "$repo_root/packaging/smoke-lib.sh"
source "$repo_root/packaging/ansible/lab.sh"

host_count=${1:-50}
forks=${2:-10}
slow_count=3
timeout=2
fxconfig_bin=${FXCONFIG:-$target_dir/release/fxconfig}
[ -x "$fxconfig_bin" ] || (cd "$repo_root" && cargo build --release --locked --quiet --bin fxconfig)
fxconfig_bin=$(realpath "$fxconfig_bin")

work=$(mktemp -d /tmp/fxbench.XXXXXX)
trap 'cleanup; rm -rf "$work"' EXIT
trap 'exit 143' TERM INT
smoke_p12_password=p12-$(openssl rand -hex 6)

fleet_venv
fleet_env "$work"
fleet_collection "$work"
mkdir -p "$work/pki"
make_pki "$work/pki"
fleet_sim "$work" sim
sim_port=$fleet_sim_port
fleet_sim "$work" silent silent
silent_port=$fleet_sim_port

inventory() {
  local slow=$1 index
  echo "[fxpkcs11_clients]"
  for index in $(seq "$host_count"); do
    echo "host$index fxpkcs11_cfg_path=$work/hosts/host$index/fxpkcs11.cfg"
  done
  for index in $(seq "$slow"); do
    echo "slow$index fxpkcs11_cfg_path=$work/hosts/slow$index/fxpkcs11.cfg fxpkcs11_kmes_port=$silent_port"
  done
}
inventory 0 > "$work/inventory.ini"
inventory "$slow_count" > "$work/inventory-slow.ini"
mkdir -p "$work/group_vars/fxpkcs11_clients"
cat > "$work/group_vars/fxpkcs11_clients/main.yml" << EOF
ansible_connection: local
ansible_python_interpreter: "{{ ansible_playbook_python }}"
fxpkcs11_kmes_port: $sim_port
fxpkcs11_ca_src: $work/pki/ca.pem
fxpkcs11_p12_src: $work/pki/client.p12
fxpkcs11_p12_password: $smoke_p12_password
fxpkcs11_values:
  ADDRESS: 127.0.0.1
  PROD-PORT: "{{ fxpkcs11_kmes_port }}"
  REQUIRE-LOGIN-FLAG: NO
fxpkcs11_fxconfig_bin: $fxconfig_bin
fxpkcs11_check_timeout: $timeout
EOF

# run ID NAME INVENTORY: one playbook run, timed; prints its wall time and time per host. Its log
# and report are WORK/ID.log and WORK/report-ID.json.
run() {
  local id=$1 name=$2 inventory=$3 begun ms hosts
  hosts=$(grep -c fxpkcs11_cfg_path "$inventory")
  begun=$(date +%s%N)
  (cd "$work" && ansible-playbook -f "$forks" -i "$inventory" -e "fxpkcs11_report_file=$work/report-$id.json" \
    "$ansible_dir/tests/site.yml") > "$work/$id.log" 2>&1 || true
  ms=$((($(date +%s%N) - begun) / 1000000))
  printf '%-32s %3d hosts, forks %d: %6.1f s, %4d ms per host; %s\n' "$name" "$hosts" "$forks" \
    "$(awk -v ms="$ms" 'BEGIN { print ms / 1000 }')" $((ms / hosts)) "$(grep -c 'failed=0' "$work/$id.log") hosts without failure"
}
# check_times ID: how long the checks took (the sum of their steps), healthy hosts and slow ones apart.
check_times() {
  python3 - "$work/report-$1.json" << 'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
for kind in ('host', 'slow'):
    times = sorted(float(entry['check_seconds']) for entry in report if entry['host'].startswith(kind))
    if times:
        print('  %s: %d checks, %.3f s median, %.3f s longest' % (kind, len(times), times[len(times) // 2], times[-1]))
EOF
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
run first "first run (configure)" "$work/inventory.ini"
check_times first
run second "second run (no change)" "$work/inventory.ini"
check_times second
run slow "second run + $slow_count silent KMES" "$work/inventory-slow.ini"
check_times slow
grep -h -o 'slow[0-9]*\]: FAILED.*' "$work/slow.log" | cut -c1-200 | head -n 3 || true
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
