# The fleet lab of packaging/ansible/test.sh and benches/fleet.sh; sourced after
# packaging/common.sh and packaging/smoke-lib.sh, not run. Everything it starts is recorded in
# started_pids and stopped by `cleanup`.
#
# fleet_venv                  ansible-core and ansible-lint in a virtual environment (cached in target/)
# fleet_collection WORK       builds the collection and installs it into WORK/collections
# fleet_sim WORK NAME [FAULT] starts a KMES simulator on the lab PKI, sets fleet_sim_port
# fleet_sshd WORK             starts sshd on a free loopback port for this account, sets sshd_port
# fleet_env WORK              the Ansible environment: config, temporary folders, no colour

ansible_dir=$repo_root/packaging/ansible
collection_src=$ansible_dir/fxconfig/fxpkcs11
# The Python the virtual environment is made from: Debian's, whatever else is first on PATH.
fleet_python=${FLEET_PYTHON:-/usr/bin/python3}
fleet_venv_dir=${FLEET_VENV:-$target_dir/ansible-venv}

# fleet_venv: makes (once) the virtual environment with packaging/ansible/requirements.txt and
# puts its bin/ first on PATH. It is made again when the requirements change.
fleet_venv() {
  local stamp=$fleet_venv_dir/requirements.sha256 wanted
  wanted=$(sha256sum "$ansible_dir/requirements.txt" | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2> /dev/null)" != "$wanted" ]; then
    rm -rf "$fleet_venv_dir"
    "$fleet_python" -m venv "$fleet_venv_dir"
    "$fleet_venv_dir/bin/pip" install --quiet --disable-pip-version-check -r "$ansible_dir/requirements.txt"
    echo "$wanted" > "$stamp"
  fi
  export PATH=$fleet_venv_dir/bin:$PATH
}

# fleet_collection WORK: `ansible-galaxy collection build` into WORK/build, then `install` into
# WORK/collections; sets collection_tarball.
fleet_collection() {
  local work=$1
  mkdir -p "$work/build"
  ansible-galaxy collection build --force --output-path "$work/build" "$collection_src" > "$work/build.log"
  collection_tarball=$(ls "$work"/build/fxconfig-fxpkcs11-*.tar.gz)
  ansible-galaxy collection install --force -p "$work/collections" "$collection_tarball" > "$work/install.log"
}

# fleet_sim WORK NAME [FAULT]: starts `fxconfig kmes-sim` with the lab PKI in WORK/pki (made by
# make_pki) and sets fleet_sim_port. Called in this shell, not in `$(…)`: a simulator started in a
# command substitution's subshell would be recorded there, and `cleanup` would never stop it.
fleet_sim() {
  local work=$1 name=$2 fault=${3:-}
  local args=(kmes-sim --listen 127.0.0.1:0 --ca "$work/pki/ca.pem" --cert "$work/pki/server.pem"
    --key "$work/pki/server.key")
  [ -n "$fault" ] && args+=(--fault "$fault")
  start_background "$work/$name.out" "$work/$name.err" "$fxconfig_bin" "${args[@]}"
  fleet_sim_port=$(wait_for_port "$work/$name.out")
}

# fleet_sshd WORK: OpenSSH's sshd on a free loopback port with a throwaway host key, letting this
# account in with a throwaway key (WORK/ssh/id_ed25519) only; sets sshd_port and writes
# WORK/ssh/known_hosts. Ansible reaches this machine through it as a remote host.
fleet_sshd() {
  local work=$1 dir=$1/ssh
  mkdir -p "$dir"
  chmod 700 "$dir"
  ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key"
  ssh-keygen -q -t ed25519 -N '' -f "$dir/id_ed25519"
  cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
  [ "$(id -u)" -eq 0 ] && mkdir -p /run/sshd
  sshd_port=$(closed_port)
  cat > "$dir/sshd_config" << EOF
Port $sshd_port
ListenAddress 127.0.0.1
HostKey $dir/host_key
AuthorizedKeysFile $dir/authorized_keys
PidFile $dir/sshd.pid
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
EOF
  start_background "$dir/sshd.out" "$dir/sshd.log" /usr/sbin/sshd -D -e -f "$dir/sshd_config"
  echo "[127.0.0.1]:$sshd_port $(cut -d' ' -f1,2 "$dir/host_key.pub")" > "$dir/known_hosts"
  for _ in $(seq 100); do
    ssh-keyscan -p "$sshd_port" 127.0.0.1 > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# fleet_env WORK: Ansible's settings for the lab, all under WORK: the collection just installed,
# its own home and temporary folders, pipelining (module arguments go to the host's Python on
# standard input), no colour, no retry files.
fleet_env() {
  local work=$1
  export ANSIBLE_HOME=$work/ansible-home
  export ANSIBLE_COLLECTIONS_PATH=$work/collections
  export ANSIBLE_LOCAL_TEMP=$work/ansible-home/tmp
  export ANSIBLE_SSH_CONTROL_PATH_DIR=$work/cp
  export ANSIBLE_PIPELINING=True
  export ANSIBLE_NOCOLOR=1
  export ANSIBLE_FORCE_COLOR=0
  export ANSIBLE_RETRY_FILES_ENABLED=0
  export ANSIBLE_STDOUT_CALLBACK=default
  export ANSIBLE_CONFIG=$work/ansible.cfg
  : > "$work/ansible.cfg"
}

# recap LOG HOST: the PLAY RECAP counters of HOST in LOG, as "ok=N changed=N unreachable=N failed=N".
recap() {
  awk -v host="$2" '$1 == host && $2 == ":" { print $3, $4, $5, $6 }' "$1" | tail -n 1
}
