#!/usr/bin/env bash
# Installs the Debian packages that building and smoke-testing the packages need:
#   squashfs-tools (mksquashfs, unsquashfs), appstream (metainfo check)     the AppImage
#   squashfuse, fuse3 (fusermount3)                                         the runtime's FUSE path
#   gcc-mingw-w64-x86-64 (linker, windres), zip                             the Windows build
#   wine, wine64, unzip                                                     the Windows smoke test
#   xvfb, x11-utils (xwininfo), imagemagick (import, identify), libgl1-mesa-dri, libegl1,
#   mesa-vulkan-drivers                                                     the GUI smoke steps
# and the Rust target x86_64-pc-windows-gnu.
set -euo pipefail
packages=(squashfs-tools appstream squashfuse fuse3 gcc-mingw-w64-x86-64 zip wine wine64 unzip
  xvfb x11-utils imagemagick libgl1-mesa-dri libegl1 mesa-vulkan-drivers)
bash "$(dirname "$0")/../tests/apt-install.sh" "${packages[@]}"
if ! rustup target list --installed | grep -qx x86_64-pc-windows-gnu; then
  rustup target add x86_64-pc-windows-gnu
fi
