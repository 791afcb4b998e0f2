#!/usr/bin/env bash
# Unpacks OpenSSL 1.1.1 as Debian 11 ships it (libssl1.1 and libssl-dev) into DEST (default
# /var/cache/fxconfig-tests/openssl-1.1), for the model of fxpkcs11 the connection tests compare
# fxconfig with (tests/reference/fxpkcs11_model.c). The packages come from the Debian archive this
# machine's apt already uses, through a private apt configuration: nothing is installed on the
# system. Does nothing when DEST already holds them.
set -euo pipefail
dest=${1:-/var/cache/fxconfig-tests/openssl-1.1}
if [ -e "$dest/usr/lib/x86_64-linux-gnu/libssl.so.1.1" ] && [ -e "$dest/usr/include/openssl/ssl.h" ]; then
  exit 0
fi
# The archive's address, as this machine's apt is configured.
source "$(dirname "$0")/../../packaging/debian-archive.sh"
archive=$(debian_archive)
[ -n "$archive" ] || { echo "openssl-1.1.sh: no Debian archive in /etc/apt" >&2; exit 1; }
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/debs"
touch "$work/status"
echo "deb [signed-by=$keyring] $archive bullseye main" > "$work/sources.list"
apt_options=(-o "Dir::State::Lists=$work/lists" -o "Dir::State::status=$work/status"
  -o "Dir::Cache=$work" -o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=-"
  -o "APT::Architecture=amd64" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
timeout 300 apt-get "${apt_options[@]}" -qq update
(cd "$work/debs" && timeout 300 apt-get "${apt_options[@]}" -qq download libssl1.1 libssl-dev)
mkdir -p "$dest.partial"
for deb in "$work"/debs/*.deb; do
  dpkg-deb -x "$deb" "$dest.partial"
done
rm -rf "$dest"
mv "$dest.partial" "$dest"
echo "OpenSSL 1.1.1 from Debian 11 unpacked into $dest: $(ls "$work"/debs)"
