#!/usr/bin/env bash
# Signs what target/dist/ holds, for a security review or a download page (docs/packaging.md,
# "Verifying what you install"):
#   target/dist/fxconfig-signing-key.asc     the OpenPGP public key
#   target/dist/SHA256SUMS, SHA256SUMS.asc   every artifact's SHA-256, and a detached armoured signature
#   target/dist/*.AppImage.sig               a detached signature of each AppImage
#   target/dist/*.rpm                        signed in place (rpmsign: `rpm -K` checks it)
#   target/dist/apt/                         an apt repository of the deb (suite stable, component main),
#                                            its InRelease and Release.gpg signed by the same key
#   target/dist/rpm/                         a dnf/yum repository of the rpm (createrepo_c), its
#                                            repodata/repomd.xml.asc signed, and fxconfig.repo as an example
#   target/dist/fxconfig.cdx.json, fxconfig-cli.cdx.json   the SBOMs (packaging/sbom.py), in SHA256SUMS too
#
#   FXCONFIG_GPG_KEY=FINGERPRINT bash packaging/sign.sh   with a key of GNUPGHOME (the real one)
#   bash packaging/sign.sh --throwaway                     first makes a throwaway key in a private
#                                                          temporary GNUPGHOME (CI and tests)
# Not done yet (issue 23): Authenticode for the Windows programs and the MSI.
set -euo pipefail
cd "$(dirname "$0")/.."
dist=target/dist
[ -d "$dist" ] || { echo "sign: $dist does not exist: build the packages first" >&2; exit 2; }

work=$(mktemp -d)
chmod 700 "$work"
cleanup() {
  if [ -n "${throwaway_home:-}" ]; then gpgconf --homedir "$throwaway_home" --kill all 2> /dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "${1:-}" = --throwaway ]; then
  throwaway_home=$work/gnupg
  mkdir -m 700 "$throwaway_home"
  export GNUPGHOME=$throwaway_home
  gpg --batch --quiet --passphrase '' --quick-gen-key "fxconfig throwaway signing key (not for release)" ed25519 sign 1d
  FXCONFIG_GPG_KEY=$(gpg --batch --with-colons --list-secret-keys | awk -F: '$1 == "fpr" { print $10; exit }')
fi
: "${FXCONFIG_GPG_KEY:?set FXCONFIG_GPG_KEY to the fingerprint of a signing key in GNUPGHOME, or pass --throwaway}"
sign() { # OUTPUT INPUT [extra gpg options]
  local output=$1 input=$2
  shift 2
  rm -f "$output"
  gpg --batch --yes --quiet --no-auto-check-trustdb --local-user "$FXCONFIG_GPG_KEY" --output "$output" "$@" \
    --detach-sign "$input"
}

python3 packaging/sbom.py --out "$dist" > /dev/null
# The rpm carries its signature inside, so it is signed before its checksum is taken.
for rpm in "$dist"/*.rpm; do
  [ -e "$rpm" ] || continue
  rpmsign --define "_gpg_name $FXCONFIG_GPG_KEY" --define "__gpg $(command -v gpg)" --addsign "$rpm" \
    > "$work/rpmsign.out" 2>&1 || { cat "$work/rpmsign.out" >&2; exit 1; }
done
gpg --batch --armor --export "$FXCONFIG_GPG_KEY" > "$dist/fxconfig-signing-key.asc"
[ -s "$dist/fxconfig-signing-key.asc" ] || { echo "sign: no public key for $FXCONFIG_GPG_KEY" >&2; exit 1; }

artifacts=()
while IFS= read -r -d '' file; do
  artifacts+=("$(basename "$file")")
done < <(find "$dist" -maxdepth 1 -type f \( -name '*.AppImage' -o -name '*.deb' -o -name '*.rpm' \
  -o -name '*.zip' -o -name '*.msi' -o -name '*.cdx.json' \) -print0 | LC_ALL=C sort -z)
[ ${#artifacts[@]} -gt 0 ] || { echo "sign: nothing to sign in $dist" >&2; exit 1; }
(cd "$dist" && sha256sum -- "${artifacts[@]}") > "$dist/SHA256SUMS"
sign "$dist/SHA256SUMS.asc" "$dist/SHA256SUMS" --armor
# The apt repository: `deb [signed-by=KEYRING] URL stable main`.
apt_repo=$dist/apt
rm -rf "$apt_repo"
mkdir -p "$apt_repo/pool/main" "$apt_repo/dists/stable/main/binary-amd64"
cp "$dist"/*.deb "$apt_repo/pool/main/"
(
  cd "$apt_repo"
  apt-ftparchive packages pool > dists/stable/main/binary-amd64/Packages
  gzip -9n < dists/stable/main/binary-amd64/Packages > dists/stable/main/binary-amd64/Packages.gz
  apt-ftparchive -o APT::FTPArchive::Release::Origin=fxconfig -o APT::FTPArchive::Release::Label=fxconfig \
    -o APT::FTPArchive::Release::Suite=stable -o APT::FTPArchive::Release::Codename=stable \
    -o APT::FTPArchive::Release::Architectures=amd64 -o APT::FTPArchive::Release::Components=main \
    release dists/stable > "$work/Release"
  mv "$work/Release" dists/stable/Release
)
sign "$apt_repo/dists/stable/Release.gpg" "$apt_repo/dists/stable/Release" --armor
rm -f "$apt_repo/dists/stable/InRelease"
gpg --batch --yes --quiet --no-auto-check-trustdb --local-user "$FXCONFIG_GPG_KEY" \
  --output "$apt_repo/dists/stable/InRelease" --clearsign "$apt_repo/dists/stable/Release"
# The dnf/yum repository, with signed metadata (repo_gpgcheck) over signed packages (gpgcheck).
rpm_repo=$dist/rpm
rm -rf "$rpm_repo"
mkdir -p "$rpm_repo"
cp "$dist"/*.rpm "$rpm_repo/"
createrepo_c --quiet --simple-md-filenames "$rpm_repo"
sign "$rpm_repo/repodata/repomd.xml.asc" "$rpm_repo/repodata/repomd.xml" --armor
cp "$dist/fxconfig-signing-key.asc" "$rpm_repo/"
cat > "$rpm_repo/fxconfig.repo" << 'REPO'
# /etc/yum.repos.d/fxconfig.repo: replace /srv/fxconfig/rpm with where your mirror serves this folder.
[fxconfig]
name=fxconfig
baseurl=file:///srv/fxconfig/rpm
enabled=1
gpgcheck=1
repo_gpgcheck=1
gpgkey=file:///srv/fxconfig/rpm/fxconfig-signing-key.asc
REPO
for appimage in "$dist"/*.AppImage; do
  [ -e "$appimage" ] && sign "$appimage.sig" "$appimage"
done
echo "sign: ${#artifacts[@]} artifacts in $dist/SHA256SUMS, signed by $FXCONFIG_GPG_KEY"
