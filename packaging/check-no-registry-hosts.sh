#!/usr/bin/env bash
# Fails when a tracked file names a package registry's host (the Rust crate registry, the Python
# package index, npm's registry, Debian's archive and its mirrors): documents name registries by
# what they are, and scripts take Debian's archive from the machine's own apt sources
# (packaging/debian-archive.sh). The lock files must name their source and are not checked.
set -euo pipefail
cd "$(dirname "$0")/.."
# The hosts, written as patterns that do not name them literally.
hosts='(^|[^a-z0-9.-])((static|index)[.])?crates[.]io|pypi[.]org|pythonhosted[.]org|npmjs[.](org|com)|[a-z0-9.-]*debian[.]org'
found=$(git ls-files -z | grep -zv -E '(^|/)Cargo[.]lock$' | xargs -0 grep -n -I -E "$hosts" -- 2> /dev/null || true)
if [ -n "$found" ]; then
  echo "check-no-registry-hosts: a registry's host name is written in these tracked files:" >&2
  echo "$found" >&2
  exit 1
fi
echo "check-no-registry-hosts: no registry host name in $(git ls-files | wc -l) tracked files"
