#!/usr/bin/env bash
# Installs the Debian packages the test suite starts or compares against:
# openssl (test PKIs, `openssl s_server` as a TLS peer nobody here wrote),
# openssh-client (ssh-keygen, the reference for authorized_keys lines and fingerprints; ssh -I),
# openssh-server (the sshd the SSH login tests start on a loopback port),
# softhsm2 (a PKCS#11 token for the module tests), opensc (pkcs11-tool, which makes its keys),
# gcc (builds the broken modules: a 32-bit library, one with a missing dependency),
# libssl-dev and pkg-config (the fuzz targets link the system's OpenSSL, fuzz/run.sh),
# gcc-mingw-w64-x86-64 (builds Windows DLLs whose imports the PE dependency check follows);
# for the desktop app's tests: mesa-vulkan-drivers and libvulkan1 (lavapipe, the software
# Vulkan that renders the snapshot images and the window), libgl1-mesa-dri and libegl1
# (llvmpipe, the OpenGL fallback), the X11 client libraries winit loads, xvfb (a display
# without a screen), xdotool (finds the window, types Ctrl+Q) and imagemagick (`import`
# takes the screenshot); acl (setfacl/getfacl: the saved configuration keeps its ACL) and attr
# (setfattr/getfattr: it keeps its extended attributes); prometheus (promtool reads the metrics of
# `check --format prometheus` and tests the alert rules), systemd (systemd-analyze verifies the
# shipped units), python3 and python3-venv (the scheduled task's XML is read by Python's parser;
# packaging/ansible/test.sh makes a virtual environment for ansible-core); stunnel4 (a TLS
# terminator set up per case, the legacy KMES of the model tests); python3-pyatspi, at-spi2-core,
# dbus-daemon, dbus-bin, libglib2.0-bin and procps (tests/support/atspi-session.sh: a private
# accessibility bus on which the app's tree is read as a screen reader reads it). Then OpenSSL 1.1.1 from
# Debian 11, unpacked beside the system (not installed), for the model of fxpkcs11 that those
# tests compare fxconfig with (tests/reference/).
set -euo pipefail
packages=(openssl openssh-client openssh-server softhsm2 opensc gcc libssl-dev pkg-config gcc-mingw-w64-x86-64
  mesa-vulkan-drivers libvulkan1 libgl1-mesa-dri libegl1
  libx11-6 libxcursor1 libxrandr2 libxi6 libxkbcommon-x11-0
  xvfb xdotool imagemagick acl attr prometheus systemd python3 python3-venv stunnel4
  python3-pyatspi at-spi2-core dbus-daemon dbus-bin libglib2.0-bin procps)
bash "$(dirname "$0")/apt-install.sh" "${packages[@]}"
bash "$(dirname "$0")/reference/openssl-1.1.sh"
