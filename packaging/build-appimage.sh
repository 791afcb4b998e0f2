#!/usr/bin/env bash
# Builds target/dist/fxconfig-<version>-x86_64.AppImage from this checkout, with the Rust crate registry and
# Debian's squashfs-tools and cargo-zigbuild from the Python package index only:
#   1. the release build of the fxconfig program, linked against glibc $glibc_baseline (common.sh) —
#      the same program the deb and rpm ship;
#   2. the AppImage runtime (packaging/appimage-runtime), at the same baseline, with the AppImage magic `AI\x02`
#      written into its ELF header at offset 8 (e_ident's ABI-version and padding bytes, which
#      the kernel ignores) after linking;
#   3. the AppDir: AppRun, fxconfig.desktop, the icon, AppStream metainfo, usr/bin/fxconfig —
#      and no libraries: libGL, libvulkan, X11 and Wayland are loaded from the host at run time;
#   4. mksquashfs of the AppDir, appended to the runtime.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$repo_root"
started=$(date +%s)

step "release build of fxconfig $version for glibc $glibc_baseline"
build_linux_program
program=$linux_program

step "release build of the AppImage runtime for glibc $glibc_baseline"
build_linux_release --manifest-path packaging/appimage-runtime/Cargo.toml --target-dir "$target_dir"
runtime_built=$linux_build_dir/fxconfig-appimage-runtime

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step "AppImage magic at ELF offset 8"
runtime=$work/runtime
cp "$runtime_built" "$runtime"
[ "$(od -An -tx1 -j0 -N4 "$runtime" | tr -d ' ')" = 7f454c46 ] || fail "the runtime is not an ELF file"
[ "$(od -An -tx1 -j8 -N3 "$runtime" | tr -d ' ')" = 000000 ] || fail "ELF bytes 8-10 of the runtime are not zero"
printf 'AI\002' | dd of="$runtime" bs=1 seek=8 conv=notrunc status=none
[ "$(od -An -tx1 -j8 -N3 "$runtime" | tr -d ' ')" = 414902 ] || fail "the magic was not written"
# The runtime finds the image at the end of its section header table: that must be the end of the file.
runtime_size=$(stat -c %s "$runtime")
[ "$("$runtime" --appimage-offset)" = "$runtime_size" ] ||
  fail "the runtime's section header table does not end its file ($runtime_size bytes)"

step "no graphics or windowing library linked in"
needed=$(readelf -d "$program" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
echo "fxconfig needs: $needed"
for library in $needed; do
  case $library in
    libGL* | libEGL* | libvulkan* | libX* | libxcb* | libwayland* | libxkbcommon*)
      fail "fxconfig links $library directly; it must be loaded from the host at run time" ;;
  esac
done

step "AppDir"
app_dir=$work/AppDir
install -d "$app_dir/usr/bin" "$app_dir/usr/share/applications" "$app_dir/usr/share/metainfo" \
  "$app_dir/usr/share/icons/hicolor/256x256/apps"
install -m 755 "$program" "$app_dir/usr/bin/fxconfig"
install -m 755 packaging/linux/AppRun "$app_dir/AppRun"
install -m 644 packaging/linux/fxconfig.desktop "$app_dir/fxconfig.desktop"
install -m 644 packaging/linux/fxconfig.desktop "$app_dir/usr/share/applications/fxconfig.desktop"
install -m 644 assets/fxconfig.png "$app_dir/fxconfig.png"
install -m 644 assets/fxconfig.png "$app_dir/usr/share/icons/hicolor/256x256/apps/fxconfig.png"
ln -s fxconfig.png "$app_dir/.DirIcon"
release_date=$(git log -1 --format=%cs 2>/dev/null || date -u +%F)
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$release_date/" packaging/linux/fxconfig.appdata.xml.in \
  > "$app_dir/usr/share/metainfo/fxconfig.appdata.xml"
if command -v appstreamcli > /dev/null; then
  appstreamcli validate --no-net "$app_dir/usr/share/metainfo/fxconfig.appdata.xml"
else
  echo "appstreamcli not installed: metainfo not validated"
fi

step "squashfs image"
# Timestamps from the last commit, so the same checkout gives the same image.
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
export SOURCE_DATE_EPOCH
mksquashfs "$app_dir" "$work/image.squashfs" -root-owned -noappend -no-xattrs \
  -comp zstd -Xcompression-level 19 -quiet -no-progress

mkdir -p "$dist_dir"
appimage=$dist_dir/fxconfig-$version-x86_64.AppImage
cat "$runtime" "$work/image.squashfs" > "$appimage.partial"
chmod 755 "$appimage.partial"
mv "$appimage.partial" "$appimage"

echo "runtime:  $runtime_size bytes"
echo "fxconfig: $(stat -c %s "$program") bytes"
echo "AppImage: $(stat -c %s "$appimage") bytes  $appimage"
echo "built in $(elapsed_since "$started") s"
