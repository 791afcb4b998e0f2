#!/usr/bin/env bash
# Builds the packages for servers managed with apt or dnf, from this checkout:
#   target/dist/fxconfig_<version>_amd64.deb      (Debian's dpkg-deb)
#   target/dist/fxconfig-<version>-1.x86_64.rpm   (rpmbuild, from Debian's rpm package)
# Both hold the same files, staged once here:
#   /usr/bin/fxconfig                              the program of the AppImage, linked against glibc
#                                                  $glibc_baseline (common.sh; built once, reused)
#   /usr/share/applications/fxconfig.desktop, the 256x256 icon, the AppStream metainfo
#   /usr/share/man/man1/fxconfig*.1.gz             one page for fxconfig and one per subcommand
#   bash, zsh and fish completions                 (zsh: vendor-completions in the deb,
#                                                  site-functions in the rpm, where each zsh looks)
#   /usr/share/doc/fxconfig/                       README.md, the licences and the SBOM (fxconfig.cdx.json)
# The man pages and completions are written by the program itself (`fxconfig package-docs`, a
# hidden command) from its clap definitions, with clap_mangen and clap_complete.
# The packages require glibc >= $glibc_baseline (and libgcc, should the program ever link it): the
# build fails when the program needs any other library.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$repo_root"
started=$(date +%s)
for tool in dpkg-deb rpmbuild gzip; do
  command -v "$tool" > /dev/null || fail "$tool is missing: run packaging/system-deps.sh"
done

step "release build of fxconfig $version for glibc $glibc_baseline (reused when up to date)"
build_linux_program

step "the program needs glibc and libgcc only"
needed=$(readelf -d "$linux_program" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
echo "fxconfig needs: $needed"
# The deb's dependencies follow: glibc at the baseline, and libgcc only when the program links it
# (zig's toolchain links the unwinder in, so today it does not).
deb_depends="libc6 (>= $glibc_baseline)"
for library in $needed; do
  case $library in
    libc.so.6 | libm.so.6 | libdl.so.2 | libpthread.so.0 | librt.so.1 | libutil.so.1 | ld-linux-x86-64.so.2) ;;
    libgcc_s.so.1) deb_depends+=", libgcc-s1 | libgcc1" ;;
    *) fail "fxconfig needs $library, which is neither glibc nor libgcc" ;;
  esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Timestamps from the last commit, so the same checkout gives the same packages.
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2> /dev/null || date +%s)
export SOURCE_DATE_EPOCH

step "man pages and completions from the program's clap definitions"
"$linux_program" package-docs "$work/docs"
pages=("$work/docs/man1"/*.1)
[ -e "${pages[0]}" ] || fail "fxconfig package-docs wrote no man page"
echo "${#pages[@]} man pages: $(cd "$work/docs/man1" && ls | tr '\n' ' ')"

step "staged tree"
stage=$work/stage
install -D -m 755 "$linux_program" "$stage/usr/bin/fxconfig"
install -D -m 644 packaging/linux/fxconfig.desktop "$stage/usr/share/applications/fxconfig.desktop"
install -D -m 644 assets/fxconfig.png "$stage/usr/share/icons/hicolor/256x256/apps/fxconfig.png"
release_date=$(git log -1 --format=%cs 2> /dev/null || date -u +%F)
install -d "$stage/usr/share/metainfo"
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$release_date/" packaging/linux/fxconfig.appdata.xml.in \
  > "$stage/usr/share/metainfo/fxconfig.appdata.xml"
install -d "$stage/usr/share/man/man1"
for page in "${pages[@]}"; do
  gzip -9n < "$page" > "$stage/usr/share/man/man1/$(basename "$page").gz"
done
install -D -m 644 "$work/docs/completions/fxconfig.bash" "$stage/usr/share/bash-completion/completions/fxconfig"
install -D -m 644 "$work/docs/completions/fxconfig.fish" "$stage/usr/share/fish/vendor_completions.d/fxconfig.fish"
install -D -m 644 -t "$stage/usr/share/doc/fxconfig" README.md LICENSE-MIT LICENSE-APACHE
# The bill of materials of the program packaged (packaging/sbom.py), beside the artifacts too.
python3 packaging/sbom.py --out "$work/sbom" > /dev/null
install -D -m 644 -t "$stage/usr/share/doc/fxconfig" "$work/sbom/fxconfig.cdx.json"
find "$stage" -type d -exec chmod 755 {} +
find "$stage" -type f -exec chmod go-w {} +

step "deb"
deb_root=$work/deb
cp -a "$stage" "$deb_root"
install -D -m 644 "$work/docs/completions/_fxconfig" "$deb_root/usr/share/zsh/vendor-completions/_fxconfig"
install -d "$deb_root/DEBIAN"
installed_kib=$(du -sk --apparent-size "$deb_root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$installed_kib/" -e "s/@DEPENDS@/$deb_depends/" \
  packaging/linux/deb-control.in > "$deb_root/DEBIAN/control"
(cd "$deb_root" && find usr -type f | LC_ALL=C sort | xargs md5sum > DEBIAN/md5sums)
find "$deb_root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mkdir -p "$dist_dir"
deb=$dist_dir/fxconfig_${version}_amd64.deb
# xz at its fastest preset: on the 2-core machine preset 6 took 63 s of CPU for 0.8 MB less (6.13
# against 6.93 MB for the program alone), preset 1 3.4 s; gzip -9 made 8.2 MB. dpkg reads xz
# everywhere; zstd only from dpkg 1.21.18 (Debian 12).
dpkg-deb --root-owner-group -Zxz -z1 --build "$deb_root" "$deb.partial" > /dev/null
mv "$deb.partial" "$deb"
dpkg-deb --field "$deb" Package Version Architecture Depends

step "rpm"
rpm_root=$work/rpm-root
cp -a "$stage" "$rpm_root"
install -D -m 644 "$work/docs/completions/_fxconfig" "$rpm_root/usr/share/zsh/site-functions/_fxconfig"
rpmbuild -bb --quiet --target x86_64-linux \
  --define "_topdir $work/rpmbuild" --define "_rpmdir $work/rpms" \
  --define "fx_version $version" --define "fx_staged $rpm_root" \
  packaging/linux/fxconfig.spec
rpm=$dist_dir/fxconfig-$version-1.x86_64.rpm
mv "$work/rpms/x86_64/fxconfig-$version-1.x86_64.rpm" "$rpm"
rpm -qp --requires "$rpm" | sed 's/^/requires: /'

echo "deb: $(stat -c %s "$deb") bytes  $deb"
echo "rpm: $(stat -c %s "$rpm") bytes  $rpm"
echo "built in $(elapsed_since "$started") s"
