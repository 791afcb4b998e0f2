# Shared by the packaging and smoke-test scripts; sourced, not run.
# Sets repo_root, target_dir (cargo's, honouring CARGO_TARGET_DIR), dist_dir and version, and the
# glibc baseline of the Linux programs with the functions that build them (build_linux_program).

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
  target_dir=$(realpath -m "$CARGO_TARGET_DIR")
else
  target_dir=$repo_root/target
fi
dist_dir=$repo_root/target/dist
# The package version: the first `version = "…"` line of Cargo.toml, the one of [package].
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$repo_root/Cargo.toml" | head -n 1)

# step MESSAGE: prints a progress line.
step() {
  printf '==> %s\n' "$*"
}

# fail MESSAGE: prints the message to stderr and exits 1.
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

# elapsed_since START: seconds since START (from `date +%s`).
elapsed_since() {
  echo $(($(date +%s) - $1))
}

# The Linux programs we ship (fxconfig and the AppImage runtime) are linked against the glibc of
# this version through zig's versioned glibc stubs (cargo-zigbuild), so they run on every
# distribution with glibc >= 2.17: CentOS 7, Amazon Linux 2, RHEL 8 and 9, Debian 10+, Ubuntu 18.04+.
# packaging/check-glibc.sh fails any shipped ELF that needs a newer symbol.
glibc_baseline=2.17
linux_target=x86_64-unknown-linux-gnu
# Shipped programs are built with the `ship` profile (Cargo.toml), not `release`, which serves
# developers.
linux_build_dir=$target_dir/$linux_target/ship
# cargo-zigbuild and zig come from PyPI, pinned; zig_toolchain installs them under target/.
zig_packages=(cargo-zigbuild==0.24.1 ziglang==0.17.1)

# zig_toolchain: puts cargo-zigbuild and zig on PATH, from a Python virtual environment under
# target/ that is made (about 10 s) the first time and again whenever the pins above change.
zig_toolchain() {
  local venv=$target_dir/zig-venv
  if [ "$(cat "$venv/pins" 2> /dev/null)" != "${zig_packages[*]}" ]; then
    step "installing ${zig_packages[*]} into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" || fail "python3 -m venv failed: run packaging/system-deps.sh (python3-venv)"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${zig_packages[@]}" ||
      fail "cannot install ${zig_packages[*]}"
    echo "${zig_packages[*]}" > "$venv/pins"
  fi
  PATH=$venv/bin:$PATH
  # zig's own cache (the glibc stubs and compiler-rt it builds once) stays under target/ too.
  export ZIG_GLOBAL_CACHE_DIR=$target_dir/zig-cache
}

# build_linux_release [CARGO ARGS...]: the shipped build (profile `ship`) of a Linux program at the
# glibc baseline (cargo zigbuild --target x86_64-unknown-linux-gnu.2.17); its files land in
# $linux_build_dir.
build_linux_release() {
  zig_toolchain
  cargo zigbuild --profile ship --locked --target "$linux_target.$glibc_baseline" "$@"
}

# build_linux_program: the fxconfig program every Linux package ships (AppImage, deb, rpm), built
# once: a second call finds it up to date. Prints nothing but cargo's progress.
build_linux_program() {
  build_linux_release --bin fxconfig
}
linux_program=$linux_build_dir/fxconfig

# build_msi DIR VERSION OUT: builds the Windows Installer package OUT with Debian's wixl from
# packaging/windows/fxconfig.wxs, in DIR, which holds fxconfig.exe, fxconfig-cli.exe, README.md
# and the licences (wixl reads the files the .wxs names from the current folder); the icon is
# copied in. The package is for x64, per machine.
build_msi() {
  local dir=$1 msi_version=$2 out=$3
  cp "$repo_root/packaging/windows/fxconfig.ico" "$dir/"
  (cd "$dir" && wixl --arch x64 --define "Version=$msi_version" --output "$out.partial" \
    "$repo_root/packaging/windows/fxconfig.wxs") || return 1
  mv "$out.partial" "$out"
}
