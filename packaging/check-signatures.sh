#!/usr/bin/env bash
# Verifies what packaging/sign.sh left in target/dist/ as a user would, with only the published public
# key in an empty keyring, and checks that tampering is caught: a changed byte in an AppImage, in
# SHA256SUMS or in an artifact, and a signature checked against another key, must all fail.
set -euo pipefail
cd "$(dirname "$0")/.."
source packaging/smoke-lib.sh
dist=$PWD/target/dist
work=$(mktemp -d)
cleanup() {
  for home in "$work/user" "$work/other"; do
    [ -d "$home" ] && gpgconf --homedir "$home" --kill all 2> /dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "signature checks of $dist"
mkdir -m 700 "$work/user" "$work/other"
gpg --homedir "$work/user" --batch --quiet --import "$dist/fxconfig-signing-key.asc"
verify() { # HOME SIGNATURE FILE
  gpg --homedir "$1" --batch --verify "$2" "$3" > "$work/verify.out" 2>&1
}

verify "$work/user" "$dist/SHA256SUMS.asc" "$dist/SHA256SUMS" &&
  pass "SHA256SUMS.asc is a good signature by the published key" || fail_check "SHA256SUMS.asc: $(cat "$work/verify.out")"
(cd "$dist" && sha256sum --check --quiet SHA256SUMS) > "$work/sums.out" 2>&1 &&
  pass "every artifact matches SHA256SUMS ($(wc -l < "$dist/SHA256SUMS") files)" || fail_check "$(cat "$work/sums.out")"
for name in fxconfig.cdx.json fxconfig-cli.cdx.json; do
  grep -q " $name\$" "$dist/SHA256SUMS" && pass "SHA256SUMS lists $name" || fail_check "SHA256SUMS lacks $name"
done
appimage=$(find "$dist" -maxdepth 1 -name '*.AppImage' | head -n 1)
verify "$work/user" "$appimage.sig" "$appimage" &&
  pass "$(basename "$appimage").sig is a good signature" || fail_check "$(basename "$appimage").sig: $(cat "$work/verify.out")"

rpm=$(find "$dist" -maxdepth 1 -name '*.rpm' | head -n 1)
mkdir "$work/rpmdb-with-key" "$work/rpmdb-empty"
rpm --dbpath "$work/rpmdb-with-key" --import "$dist/fxconfig-signing-key.asc"
said=$(rpm --dbpath "$work/rpmdb-with-key" -K "$rpm" 2>&1) && [[ "$said" == *"signatures OK"* ]] &&
  pass "rpm -K with the published key imported: $said" || fail_check "rpm -K with the key: $said"
said=$(rpm --dbpath "$work/rpmdb-empty" -K "$rpm" 2>&1) &&
  fail_check "rpm -K without the key passed: $said" || pass "rpm -K without the key: $said"
cp "$rpm" "$work/tampered.rpm"
printf '\x00' | dd of="$work/tampered.rpm" bs=1 seek=$(($(stat -c %s "$rpm") - 100)) conv=notrunc status=none
said=$(rpm --dbpath "$work/rpmdb-with-key" -K "$work/tampered.rpm" 2>&1) &&
  fail_check "an rpm with a changed payload passed rpm -K: $said" || pass "an rpm with a changed payload: $said"
mkdir "$work/rpmroot"
rpm --root "$work/rpmroot" --initdb
rpm --root "$work/rpmroot" --import "$dist/fxconfig-signing-key.asc"
# --nodeps: the scratch root holds no glibc; the Debian 11 smoke test installs the package fully.
said=$(rpm --root "$work/rpmroot" -i --nodeps --noscripts "$rpm" 2>&1) && [ -x "$work/rpmroot/usr/bin/fxconfig" ] &&
  ! grep -qiE 'NOKEY|signature' <<< "$said" &&
  pass "the signed rpm installs with its key imported, with no signature warning" ||
  fail_check "the signed rpm did not install cleanly: $said"

repodata=$dist/rpm/repodata
verify "$work/user" "$repodata/repomd.xml.asc" "$repodata/repomd.xml" &&
  pass "the rpm repository's repomd.xml.asc is a good signature" || fail_check "repomd.xml.asc: $(cat "$work/verify.out")"
sed 's/<revision>/<revision>1/' "$repodata/repomd.xml" > "$work/repomd.xml"
verify "$work/user" "$repodata/repomd.xml.asc" "$work/repomd.xml" &&
  fail_check "a changed repomd.xml passed its signature" || pass "a changed repomd.xml fails its signature"
listed=$(python3 - "$dist/rpm" << 'PY'
import gzip, hashlib, pathlib, re, sys, xml.etree.ElementTree as tree
repo = pathlib.Path(sys.argv[1])
ns = {"repo": "http://linux.duke.edu/metadata/repo", "common": "http://linux.duke.edu/metadata/common"}
repomd = tree.parse(repo / "repodata" / "repomd.xml").getroot()
primary = repomd.find("repo:data[@type='primary']", ns)
location = primary.find("repo:location", ns).get("href")
data = (repo / location).read_bytes()
assert hashlib.sha256(data).hexdigest() == primary.find("repo:checksum", ns).text, "primary.xml.gz's checksum"
for package in tree.fromstring(gzip.decompress(data)).findall("common:package", ns):
    href = package.find("common:location", ns).get("href")
    checksum = package.find("common:checksum", ns)
    actual = hashlib.sha256((repo / href).read_bytes()).hexdigest()
    print(package.find("common:name", ns).text, href, checksum.get("type"), "matches" if actual == checksum.text else "DIFFERS")
PY
)
[[ "$listed" == "fxconfig "*" sha256 matches" ]] && pass "the repository's metadata lists $listed" ||
  fail_check "the rpm repository's metadata: $listed"

# Tampering.
cp "$appimage" "$work/tampered.AppImage"
printf '\x00' | dd of="$work/tampered.AppImage" bs=1 seek=$(($(stat -c %s "$appimage") / 2)) conv=notrunc status=none
if cmp -s "$appimage" "$work/tampered.AppImage"; then
  printf '\x01' | dd of="$work/tampered.AppImage" bs=1 seek=$(($(stat -c %s "$appimage") / 2)) conv=notrunc status=none
fi
verify "$work/user" "$appimage.sig" "$work/tampered.AppImage" &&
  fail_check "an AppImage with one byte changed passed its signature" ||
  pass "an AppImage with one byte changed fails its signature: $(grep -o 'BAD signature.*' "$work/verify.out" | head -n 1)"
sed '1s/^./0/;1s/^0\(.\)/f\1/' "$dist/SHA256SUMS" > "$work/SHA256SUMS"
if cmp -s "$dist/SHA256SUMS" "$work/SHA256SUMS"; then sed -i '1s/^./1/' "$work/SHA256SUMS"; fi
verify "$work/user" "$dist/SHA256SUMS.asc" "$work/SHA256SUMS" &&
  fail_check "a changed SHA256SUMS passed its signature" || pass "a changed SHA256SUMS fails its signature"
mkdir -m 700 "$work/sums"
cp "$dist/SHA256SUMS" "$work/sums/"
first=$(awk 'NR == 1 { print $2 }' "$dist/SHA256SUMS")
cp "$work/tampered.AppImage" "$work/sums/$first" 2> /dev/null || true
(cd "$work/sums" && sha256sum --check --quiet --ignore-missing SHA256SUMS) > /dev/null 2>&1 &&
  fail_check "a changed artifact matched SHA256SUMS" || pass "a changed artifact fails SHA256SUMS"
gpg --homedir "$work/other" --batch --quiet --passphrase '' --quick-gen-key "someone else" ed25519 sign 1d
gpg --homedir "$work/other" --batch --quiet --import "$dist/fxconfig-signing-key.asc"
gpg --homedir "$work/other" --batch --quiet --yes --local-user "someone else" --armor --output "$work/other.asc" \
  --detach-sign "$dist/SHA256SUMS"
verify "$work/user" "$work/other.asc" "$dist/SHA256SUMS" &&
  fail_check "a signature by another key passed" || pass "a signature by another key is refused (no public key)"
summary check-signatures
