# Sourced by the scripts that fetch from Debian's archive (packaging/smoke-linux-packages.sh,
# tests/reference/openssl-1.1.sh). debian_archive prints the archive's address as this machine's
# apt is configured (deb822 sources first, then one-line sources), so that no mirror's host
# name is written into the repository; DEBIAN_MIRROR overrides it. Empty when none is found.
debian_archive() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then
    echo "$DEBIAN_MIRROR"
    return
  fi
  local archive
  archive=$(cat /etc/apt/sources.list.d/*.sources 2> /dev/null | awk '/^URIs:/ {print $2; exit}')
  if [ -z "$archive" ]; then
    archive=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2> /dev/null |
      awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}')
  fi
  echo "$archive"
}
