#!/usr/bin/env bash
# Tests the Ansible collection fxconfig.fxpkcs11 with the real parts, all on this machine:
# ansible-core from PyPI in a virtual environment, the collection built and installed with
# ansible-galaxy, an openssl-made PKI, the KMES simulator, three hosts on the local connection
# (each with its own fxpkcs11.cfg), one reached over SSH through an sshd on a loopback port, and
# one more on the local connection whose KMES port is closed.
#
#   bash packaging/ansible/test.sh        (after `cargo build` or `cargo test`: it runs target/debug/fxconfig)
#
# It checks: the collection builds and installs; the first run changes every host and its check
# passes, but for the host whose KMES port is closed, which fails naming net.connect; the second
# run changes nothing (changed=0, files not rewritten); the report on the controller; --check
# --diff shows the change with passwords masked and writes nothing; no password appears in the
# -vvv output or on any fxconfig command line; ansible-lint passes on the collection.
# FLEET_SANITY=1 also runs ansible-test sanity; FLEET_KEEP=1 keeps the work folder.
set -euo pipefail
source "$(dirname "$0")/../common.sh"
source "$repo_root/packaging/smoke-lib.sh"
source "$repo_root/packaging/ansible/lab.sh"

fxconfig_bin=${FXCONFIG:-$target_dir/debug/fxconfig}
[ -x "$fxconfig_bin" ] || (cd "$repo_root" && cargo build --locked --quiet)
fxconfig_bin=$(realpath "$fxconfig_bin")

work=$(mktemp -d /tmp/fxfleet.XXXXXX)
finish() {
  cleanup
  if [ -n "${FLEET_KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap finish EXIT
trap 'exit 143' TERM INT

# The passwords of this run: none may appear in any output.
smoke_p12_password=p12-$(openssl rand -hex 6)
operator_password=operator-$(openssl rand -hex 6)
rotated_password=rotated-$(openssl rand -hex 6)
vault_password=vault-$(openssl rand -hex 6)
no_password_in() {
  local file
  for file in "$@"; do
    if grep -q -e "$smoke_p12_password" -e "$operator_password" -e "$rotated_password" -e "$vault_password" "$file"; then
      return 1
    fi
  done
}

started=$(date +%s)
step "virtual environment with ansible-core"
fleet_venv
pass "$(ansible --version | head -n 1) in $(elapsed_since "$started") s"

step "build and install the collection"
fleet_env "$work"
fleet_collection "$work"
if ansible-galaxy collection list -p "$work/collections" fxconfig.fxpkcs11 2> /dev/null | grep -q 'fxconfig.fxpkcs11'; then
  pass "built $(basename "$collection_tarball") and installed it"
else
  fail_check "the collection is not installed: $(cat "$work/install.log")"
fi

step "lab: PKI, simulator, sshd"
mkdir -p "$work/pki"
make_pki "$work/pki"
fleet_sim "$work" sim
sim_port=$fleet_sim_port
fleet_sshd "$work"

# fxconfig behind a wrapper that records every command line it is given.
softhsm_module=/usr/lib/softhsm/libsofthsm2.so
ssh-keygen -q -t ed25519 -N '' -C kmes-export -f "$work/kmes"

mkdir -p "$work/bin"
cat > "$work/bin/fxconfig" << EOF
#!/bin/sh
printf '%s\n' "\$*" >> "$work/argv.log"
exec "$fxconfig_bin" "\$@"
EOF
chmod 755 "$work/bin/fxconfig"

# The inventory: three hosts on the local connection and one through sshd, each with its own
# fxpkcs11.cfg, and a fifth whose KMES port is closed.
user=$(id -un)
cat > "$work/inventory.ini" << EOF
[fxpkcs11_clients]
local1 ansible_connection=local fxpkcs11_cfg_path=$work/hosts/local1/fxpkcs11.cfg
local2 ansible_connection=local fxpkcs11_cfg_path=$work/hosts/local2/fxpkcs11.cfg
local3 ansible_connection=local fxpkcs11_cfg_path=$work/hosts/local3/fxpkcs11.cfg
dead1 ansible_connection=local fxpkcs11_cfg_path=$work/hosts/dead1/fxpkcs11.cfg fxpkcs11_kmes_port=$(closed_port)
ssh1 ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=$sshd_port ansible_user=$user ansible_ssh_private_key_file=$work/ssh/id_ed25519 ansible_python_interpreter=/usr/bin/python3 fxpkcs11_cfg_path=$work/hosts/ssh1/etc/fxpkcs11.cfg

[fxpkcs11_clients:vars]
ansible_ssh_common_args='-o UserKnownHostsFile=$work/ssh/known_hosts -o StrictHostKeyChecking=yes -o IdentityAgent=none'
EOF
mkdir -p "$work/group_vars/fxpkcs11_clients" "$work/host_vars"
cat > "$work/group_vars/fxpkcs11_clients/main.yml" << EOF
ansible_python_interpreter: "{{ ansible_playbook_python }}"
fxpkcs11_kmes_port: $sim_port
fxpkcs11_keygroup: ssh-keys
fxpkcs11_ca_src: $work/pki/ca.pem
fxpkcs11_p12_src: $work/pki/client.p12
fxpkcs11_p12_password: "{{ vault_p12_password }}"
fxpkcs11_values:
  ADDRESS: 127.0.0.1
  PROD-PORT: "{{ fxpkcs11_kmes_port }}"
  REQUIRE-LOGIN-FLAG: NO
  CRYPTO-OPR: crypto1
  KEYGROUP-NAME: "{{ fxpkcs11_keygroup }}"
fxpkcs11_secrets:
  CRYPTO-OPR-PASS: "{{ vault_operator_password }}"
fxpkcs11_fxconfig_bin: $work/bin/fxconfig
fxpkcs11_check_timeout: 5
fxpkcs11_ssh_module: $softhsm_module
fxpkcs11_ssh_hosts:
  - host: kmes
    hostname: 127.0.0.1
    port: $sshd_port
    identity: $work/kmes.pub
    file: "{{ fxpkcs11_cfg_path | dirname }}/ssh_config"
EOF
# The ssh host's Python is Debian's, not the controller's virtual environment.
echo "ansible_python_interpreter: /usr/bin/python3" > "$work/host_vars/ssh1.yml"
printf '%s\n' "$vault_password" > "$work/vault-pass"
printf 'vault_p12_password: %s\nvault_operator_password: %s\n' "$smoke_p12_password" "$operator_password" \
  > "$work/group_vars/fxpkcs11_clients/vault.yml"
ansible-vault encrypt --vault-password-file "$work/vault-pass" "$work/group_vars/fxpkcs11_clients/vault.yml" > /dev/null
if grep -q '^\$ANSIBLE_VAULT' "$work/group_vars/fxpkcs11_clients/vault.yml"; then
  pass "the passwords are in an Ansible vault"
else
  fail_check "the vault was not encrypted"
fi
# The rotated operator password for the check-mode run, as a vault too.
printf 'vault_operator_password: %s\n' "$rotated_password" > "$work/rotate.yml"
ansible-vault encrypt --vault-password-file "$work/vault-pass" "$work/rotate.yml" > /dev/null

hosts=(local1 local2 local3 ssh1)
all_hosts=("${hosts[@]}" dead1)
playbook() {
  local log=$1
  shift
  local begun
  begun=$(date +%s%N)
  (cd "$work" && ansible-playbook -vvv -i "$work/inventory.ini" --vault-password-file "$work/vault-pass" \
    -e "fxpkcs11_report_file=$work/report.json" "$@" "$ansible_dir/tests/site.yml") > "$log" 2>&1 || true
  echo "  $(basename "$log"): $((($(date +%s%N) - begun) / 1000000)) ms"
}
# state: every host's fxpkcs11.cfg and copies, with their modification times and inodes.
state() {
  local host
  for host in "${all_hosts[@]}"; do
    find "$work/hosts/$host" -type f ! -name '.*.lock' -printf '%p %T@ %i %m\n' | sort
    find "$work/hosts/$host" -type f ! -name '.*.lock' -exec sha256sum {} + | sort
  done
}

# dead_failure LOG: dead1's failure in LOG, from its "fatal: [dead1]: FAILED! =>" line to the
# closing brace of the JSON that follows.
dead_failure() {
  awk '/^fatal: \[dead1\]/ { inside = 1 } inside { print } inside && /^}/ { exit }' "$1"
}

step "first run: every host is configured and checked; dead1's check fails"
playbook "$work/run1.log"
for host in "${hosts[@]}"; do
  counts=$(recap "$work/run1.log" "$host")
  case "$counts" in
    *changed=0*) fail_check "$host: nothing changed on the first run ($counts)" ;;
    *"unreachable=0 failed=0") pass "$host: configured ($counts)" ;;
    *) fail_check "$host: $counts; $(grep -m 3 -E 'fatal|FAILED' "$work/run1.log" || true)" ;;
  esac
done
counts=$(recap "$work/run1.log" dead1)
if [[ "$counts" == *"failed=1" && "$counts" != *changed=0* ]] && dead_failure "$work/run1.log" | grep -q '"msg": "net.connect failed: '; then
  pass "dead1 is configured, then fails naming net.connect ($counts)"
else
  fail_check "dead1: $counts; $(dead_failure "$work/run1.log" | grep -m 1 '"msg"' || true)"
fi
cfg=$work/hosts/ssh1/etc/fxpkcs11.cfg
if [ -f "$work/hosts/ssh1/etc/client.p12" ] && grep -q "<PROD-PORT> *$sim_port *</PROD-PORT>" "$cfg" &&
  grep -q "<PROD-TLS-KEY> *$work/hosts/ssh1/etc/client.p12 *</PROD-TLS-KEY>" "$cfg" &&
  grep -q "<CRYPTO-OPR-PASS> *$operator_password *</CRYPTO-OPR-PASS>" "$cfg" &&
  grep -q "<REQUIRE-LOGIN-FLAG> *NO *</REQUIRE-LOGIN-FLAG>" "$cfg"; then
  pass "ssh1's fxpkcs11.cfg names the KMES, the copied identity and the operator password"
else
  fail_check "ssh1's fxpkcs11.cfg is not as set: $(fxconfig_bin=$fxconfig_bin; "$fxconfig_bin" config show "$cfg" 2>&1)"
fi
if [ "$(stat -c %a "$cfg")" = 600 ]; then pass "fxpkcs11.cfg is readable by its owner only"; else fail_check "fxpkcs11.cfg has mode $(stat -c %a "$cfg")"; fi
if grep -q "ESTABLISH SSH CONNECTION FOR USER: $user" "$work/run1.log" && grep -q "Accepted publickey" "$work/ssh/sshd.log"; then
  pass "ssh1 was reached through sshd on 127.0.0.1:$sshd_port"
else
  fail_check "ssh1 was not reached over SSH: $(tail -n 3 "$work/ssh/sshd.log")"
fi

ssh_blocks_ok=true
for host in "${hosts[@]}"; do
  file=$(dirname "$(grep -o "^$host .*fxpkcs11_cfg_path=[^ ]*" "$work/inventory.ini" | sed 's/.*fxpkcs11_cfg_path=//')")/ssh_config
  resolved=$(ssh -G -F "$file" kmes 2>&1 || true)
  if ! grep -qx "pkcs11provider $softhsm_module" <<< "$resolved" || ! grep -qx 'identitiesonly yes' <<< "$resolved" ||
    ! grep -qx "identityfile $work/kmes.pub" <<< "$resolved" || ! grep -qx "port $sshd_port" <<< "$resolved"; then
    ssh_blocks_ok=false
    fail_check "$host: ssh -G -F $file kmes does not show the Host block: $(head -c 300 "$file" 2> /dev/null)"
  fi
done
if $ssh_blocks_ok; then pass "every host's Host kmes block is what ssh -G resolves (PKCS11Provider, IdentitiesOnly, IdentityFile)"; fi

step "second run: nothing changes"
before=$(state)
playbook "$work/run2.log"
for host in "${hosts[@]}"; do
  counts=$(recap "$work/run2.log" "$host")
  case "$counts" in
    *"changed=0 unreachable=0 failed=0") pass "$host: $counts" ;;
    *) fail_check "$host: $counts" ;;
  esac
done
counts=$(recap "$work/run2.log" dead1)
case "$counts" in *"changed=0 unreachable=0 failed=1") pass "dead1: $counts (its KMES is still unreachable)" ;; *) fail_check "dead1: $counts" ;; esac
counts=$(recap "$work/run2.log" localhost)
case "$counts" in *"changed=0 unreachable=0 failed=0") pass "localhost (the report): $counts" ;; *) fail_check "localhost: $counts" ;; esac
if [ "$(state)" = "$before" ]; then
  pass "no file rewritten: same contents, modification times and inodes; no backup made"
else
  fail_check "files changed on the second run: $(diff <(echo "$before") <(state) | head -n 5)"
fi

step "the report on the controller"
if python3 - "$work/report.json" << 'EOF'; then
import json, sys
report = {entry['host']: entry for entry in json.load(open(sys.argv[1]))}
assert sorted(report) == ['dead1', 'local1', 'local2', 'local3', 'ssh1'], sorted(report)
assert report['dead1']['failed_checks'] == ['net.connect'], report['dead1']
assert 'net.connect failed' in report['dead1']['message'], report['dead1']
assert all(report[h]['ok'] is True and report[h]['failed_checks'] == [] for h in ['local1', 'local2', 'local3', 'ssh1'])
assert all(int(report[h]['client_certificate_not_after']) > 0 for h in ['local1', 'ssh1'])
EOF
  pass "the report on the controller lists every host, dead1 with net.connect"
else
  fail_check "the report is not as expected: $(cat "$work/report.json" 2> /dev/null)"
fi

step "--check --diff with a new key group and a rotated password"
playbook "$work/run3.log" --check --diff -e fxpkcs11_keygroup=rotated-keys -e "@$work/rotate.yml"
for host in "${hosts[@]}"; do
  counts=$(recap "$work/run3.log" "$host")
  case "$counts" in
    *changed=0*) fail_check "$host: check mode saw no change ($counts)" ;;
    *"unreachable=0 failed=0") pass "$host: would change ($counts)" ;;
    *) fail_check "$host: $counts" ;;
  esac
done
if grep -qE '^-\s*<KEYGROUP-NAME>\s*ssh-keys\s*</KEYGROUP-NAME>' "$work/run3.log" &&
  grep -qE '^\+\s*<KEYGROUP-NAME>\s*rotated-keys\s*</KEYGROUP-NAME>' "$work/run3.log" &&
  grep -qE '^\+\s*<CRYPTO-OPR-PASS>\s*\*{8}\s*</CRYPTO-OPR-PASS>' "$work/run3.log"; then
  pass "the diff shows the new key group and the password masked as ********"
else
  fail_check "no masked diff in the output: $(grep -m 5 -E '^[-+@]' "$work/run3.log" || true)"
fi
if [ "$(state)" = "$before" ]; then pass "check mode wrote nothing"; else fail_check "check mode changed files"; fi

step "the check module passes the SSH target, its configuration and the exported key"
local1_dir=$work/hosts/local1
cat > "$work/check-ssh.yml" << EOF
- name: Check local1's SSH client through its Host block
  hosts: local1
  gather_facts: false
  tasks:
    - name: Run fxconfig check with the SSH target
      fxconfig.fxpkcs11.check:
        config: $local1_dir/fxpkcs11.cfg
        module: $softhsm_module
        ssh: kmes
        ssh_config: $local1_dir/ssh_config
        pubkey: $work/kmes.pub
        fxconfig_bin: $work/bin/fxconfig
      register: fxpkcs11_ssh_check
      # The token of this lab is not set up (pkcs11.slots fails): the SSH checks are what is read.
      ignore_errors: true
    - name: Keep the result
      ansible.builtin.copy:
        content: "{{ fxpkcs11_ssh_check | to_json }}"
        dest: $work/check-ssh.json
        mode: "0600"
      delegate_to: localhost
EOF
(cd "$work" && ansible-playbook -i "$work/inventory.ini" --vault-password-file "$work/vault-pass" "$work/check-ssh.yml") \
  > "$work/check-ssh.log" 2>&1 || true
if grep -q -- "--ssh kmes --ssh-config $local1_dir/ssh_config --pubkey $work/kmes.pub" "$work/argv.log" &&
  python3 - "$work/check-ssh.json" << 'EOF'; then
import json, sys
result = json.load(open(sys.argv[1]))
checks = {check['id']: check for check in result['checks']}
assert checks['ssh.config']['status'] == 'pass', checks['ssh.config']
assert 'identitiesonly yes' in checks['ssh.config']['detail'], checks['ssh.config']
assert 'ssh.login' in checks, sorted(checks)
EOF
  pass "fxconfig check ran with --ssh kmes --ssh-config and --pubkey, and ssh.config passed on the Host block"
else
  fail_check "the check module did not pass --ssh: $(tail -n 1 "$work/argv.log"; grep -m 3 -E 'fatal|ERROR' "$work/check-ssh.log")"
fi

step "no password in any output"
if no_password_in "$work"/run*.log "$work/argv.log" "$work/report.json" "$work/ssh/sshd.log"; then
  pass "no password in the -vvv output of $(ls "$work"/run*.log | wc -l) runs, the report, or any of $(wc -l < "$work/argv.log") fxconfig command lines"
else
  fail_check "a password was printed or passed as an argument"
fi
if grep -q -- '--secret-stdin CRYPTO-OPR-PASS' "$work/argv.log" && grep -q -- '--password-stdin' "$work/argv.log"; then
  pass "passwords went to fxconfig on standard input"
else
  fail_check "no --secret-stdin / --password-stdin in the command lines"
fi

step "ansible-lint on the collection"
if (cd "$collection_src" && ansible-lint) > "$work/lint.log" 2>&1; then
  pass "ansible-lint (production profile): $(tail -n 1 "$work/lint.log")"
else
  fail_check "ansible-lint: $(tail -n 30 "$work/lint.log")"
fi

# ansible-test sanity, on request: it cannot run offline as shipped, since it fetches its pip
# bootstrap script from a host outside the package registries; tests/get_pip_standin.py stands in
# for it (pip from Python's own ensurepip, then pip from PyPI as usual). Its first run makes a
# virtual environment per test (about 9 minutes here), so CI runs ansible-lint instead.
if [ -n "${FLEET_SANITY:-}" ]; then
  step "ansible-test sanity"
  sanity_venv=$target_dir/ansible-sanity-venv
  sanity_home=$target_dir/ansible-sanity-home
  [ -x "$sanity_venv/bin/ansible-test" ] || {
    "$fleet_python" -m venv "$sanity_venv"
    "$sanity_venv/bin/pip" install --quiet --disable-pip-version-check "$(grep '^ansible-core==' "$ansible_dir/requirements.txt")"
  }
  mkdir -p "$sanity_home/.ansible/test/cache" "$work/sanity/ansible_collections/fxconfig"
  cp "$ansible_dir/tests/get_pip_standin.py" "$sanity_home/.ansible/test/cache/get_pip_24_2.py"
  cp -r "$collection_src" "$work/sanity/ansible_collections/fxconfig/fxpkcs11"
  if (cd "$work/sanity/ansible_collections/fxconfig/fxpkcs11" &&
    HOME=$sanity_home "$sanity_venv/bin/ansible-test" sanity --local --python 3.11 --requirements) > "$work/sanity.log" 2>&1; then
    pass "ansible-test sanity: $(grep -c '^Running sanity test' "$work/sanity.log") tests passed"
  else
    fail_check "ansible-test sanity: $(grep -E '^(ERROR|FATAL)' "$work/sanity.log" | head -n 20)"
  fi
fi

echo "ansible test took $(elapsed_since "$started") s"
summary "ansible"
