# Shared by the packaging and smoke-test scripts; sourced, not run.
# Sets repo_root, target_dir (cargo's, honouring CARGO_TARGET_DIR), dist_dir and version.

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
