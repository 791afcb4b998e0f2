#!/usr/bin/env bash
# Installs the Debian packages that building and smoke-testing the packages need:
#   squashfs-tools (mksquashfs, unsquashfs), appstream (metainfo check)     the AppImage
#   squashfuse, fuse3 (fusermount3)                                         the runtime's FUSE path
#   gcc-mingw-w64-x86-64 (linker, windres), zip                             the Windows build
#   wine, wine64, unzip                                                     the Windows smoke test
#   xvfb, x11-utils (xwininfo), imagemagick (import, identify), libgl1-mesa-dri, libegl1,
#   mesa-vulkan-drivers                                                     the GUI smoke steps
#   python3-venv (the virtual environment of PyPI's cargo-zigbuild and zig)  the glibc-baseline build
#   rpm (rpmbuild, rpm2cpio), cpio                                          the rpm and its checks
#   binutils (objdump, readelf)                                             the glibc check
#   debootstrap                                                             the Debian 11 smoke test
#   wixl (the MSI), msitools (msiinfo)                                      the MSI and its test
#   gnupg (gpg), apt-utils (apt-ftparchive), createrepo-c                  signatures and repositories (sign.sh)
# and the Rust target x86_64-pc-windows-gnu. The deb is built with dpkg-deb, which every Debian has.
set -euo pipefail
packages=(squashfs-tools appstream squashfuse fuse3 gcc-mingw-w64-x86-64 zip wine wine64 unzip
  xvfb x11-utils imagemagick libgl1-mesa-dri libegl1 mesa-vulkan-drivers
  python3-venv rpm cpio binutils debootstrap wixl msitools gnupg apt-utils createrepo-c)
bash "$(dirname "$0")/../tests/apt-install.sh" "${packages[@]}"
if ! rustup target list --installed | grep -qx x86_64-pc-windows-gnu; then
  rustup target add x86_64-pc-windows-gnu
fi
