#!/usr/bin/env bash
# Installs the Debian packages the test suite starts or compares against:
# openssl (test PKIs, `openssl s_server` as a TLS peer nobody here wrote),
# openssh-client (ssh-keygen, the reference for authorized_keys lines and fingerprints).
set -euo pipefail
packages=(openssl openssh-client)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
