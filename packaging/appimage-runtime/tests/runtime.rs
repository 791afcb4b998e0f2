//! End-to-end tests of the runtime program: a real squashfs image, made by Debian's mksquashfs,
//! appended to the built runtime, then started the ways a user starts an AppImage.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use sha2::{Digest, Sha256};

const RUNTIME: &str = env!("CARGO_BIN_EXE_fxconfig-appimage-runtime");

/// The `AppRun` of the test images: reports what it was given and exits with `$EXIT_WITH`.
const APP_RUN: &str = r#"#!/bin/sh
printf '%s\n' "APPDIR=$APPDIR" "APPIMAGE=$APPIMAGE" "ARGV0=$ARGV0"
for argument in "$@"; do printf 'arg=%s\n' "$argument"; done
if read -r line; then printf 'stdin=%s\n' "$line"; fi
echo "to stderr" >&2
exit "${EXIT_WITH:-0}"
"#;

/// A temporary folder with an AppImage made of the runtime and a small AppDir.
struct Lab {
    dir: PathBuf,
    image: PathBuf,
}

impl Lab {
    fn new(name: &str) -> Lab {
        let dir = std::env::temp_dir().join(format!("appimage-runtime-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let app_dir = dir.join("AppDir");
        fs::create_dir_all(app_dir.join("usr/share/doc")).expect("AppDir");
        fs::create_dir_all(app_dir.join("usr/bin")).expect("AppDir");
        fs::create_dir_all(app_dir.join("read-only")).expect("AppDir");
        fs::write(app_dir.join("AppRun"), APP_RUN).expect("AppRun");
        fs::set_permissions(app_dir.join("AppRun"), fs::Permissions::from_mode(0o755)).expect("chmod");
        fs::write(app_dir.join("usr/share/doc/readme.txt"), "read me\n").expect("readme");
        fs::write(app_dir.join("read-only/inside.txt"), "inside\n").expect("file");
        fs::set_permissions(app_dir.join("read-only"), fs::Permissions::from_mode(0o555)).expect("chmod");
        symlink("../share/doc/readme.txt", app_dir.join("usr/bin/readme-link")).expect("symlink");
        fs::write(app_dir.join("app.desktop"), "[Desktop Entry]\n").expect("desktop");
        let squashfs = dir.join("image.squashfs");
        let status = Command::new("mksquashfs")
            .arg(&app_dir)
            .arg(&squashfs)
            .args(["-root-owned", "-noappend", "-comp", "zstd", "-quiet", "-no-progress"])
            .stdout(Stdio::null())
            .status()
            .expect("mksquashfs (Debian's squashfs-tools) must be installed for these tests");
        assert!(status.success(), "mksquashfs failed");
        let image = dir.join("test.AppImage");
        let mut bytes = fs::read(RUNTIME).expect("the runtime");
        bytes.extend(fs::read(&squashfs).expect("the squashfs image"));
        fs::write(&image, bytes).expect("the AppImage");
        fs::set_permissions(&image, fs::Permissions::from_mode(0o755)).expect("chmod");
        Lab { dir, image }
    }

    /// Runs the AppImage from the extraction cache under this lab, with `stdin` as input.
    fn run_extracted(&self, arguments: &[&str], stdin: &str, exit_with: &str) -> Output {
        let mut child = Command::new(&self.image)
            .args(arguments)
            .env("APPIMAGE_EXTRACT_AND_RUN", "1")
            .env("XDG_CACHE_HOME", self.dir.join("cache"))
            .env("EXIT_WITH", exit_with)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the AppImage starts");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("the AppImage ends")
    }

    fn cache_dir(&self) -> PathBuf {
        let digest = Sha256::digest(fs::read(&self.image).expect("the AppImage"));
        let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
        self.dir.join("cache/fxconfig/appimage").join(hex)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // Extracted directories keep their owner's write bit, so this removes everything.
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_offset_option_prints_where_the_runtime_ends() {
    let lab = Lab::new("offset");
    let output = Command::new(&lab.image)
        .arg("--appimage-offset")
        .output()
        .expect("runs");
    assert!(output.status.success());
    let runtime_len = fs::metadata(RUNTIME).expect("runtime").len();
    assert_eq!(text(&output.stdout).trim(), runtime_len.to_string());
}

#[test]
fn extract_and_run_passes_arguments_streams_environment_and_exit_code() {
    let lab = Lab::new("run");
    let output = lab.run_extracted(&["two words", "--flag", ""], "typed line\n", "7");
    assert_eq!(output.status.code(), Some(7), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let cache_dir = lab.cache_dir();
    let expected = format!(
        "APPDIR={}\nAPPIMAGE={}\nARGV0={}\narg=two words\narg=--flag\narg=\nstdin=typed line\n",
        cache_dir.display(),
        lab.image.display(),
        lab.image.display()
    );
    assert_eq!(stdout, expected);
    assert_eq!(text(&output.stderr), "to stderr\n");

    assert_eq!(
        fs::read_to_string(cache_dir.join("usr/share/doc/readme.txt"))
            .ok()
            .as_deref(),
        Some("read me\n")
    );
    fs::write(cache_dir.join("marker"), "").expect("marker");
    let again = lab.run_extracted(&[], "", "0");
    assert!(again.status.success());
    assert!(
        cache_dir.join("marker").exists(),
        "the complete extraction is reused, not redone"
    );
    let partials = fs::read_dir(cache_dir.parent().expect("parent"))
        .expect("cache parent")
        .filter(|entry| {
            entry
                .as_ref()
                .is_ok_and(|entry| entry.file_name().to_string_lossy().starts_with(".partial"))
        })
        .count();
    assert_eq!(partials, 0);
}

#[test]
fn appimage_extract_rebuilds_the_tree_with_modes_and_links() {
    let lab = Lab::new("extract");
    let cwd = lab.dir.join("cwd");
    fs::create_dir_all(&cwd).expect("cwd");
    let output = Command::new(&lab.image)
        .arg("--appimage-extract")
        .current_dir(&cwd)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout)
            .lines()
            .any(|line| line == "squashfs-root/usr/share/doc/readme.txt")
    );
    let root = cwd.join("squashfs-root");
    let mode = |path: &Path| fs::symlink_metadata(path).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(&root.join("AppRun")), 0o755);
    assert_eq!(
        mode(&root.join("read-only")),
        0o755,
        "read-only directories stay removable by their owner"
    );
    assert_eq!(
        fs::read_link(root.join("usr/bin/readme-link")).ok(),
        Some(PathBuf::from("../share/doc/readme.txt"))
    );
    assert_eq!(
        fs::read_to_string(root.join("usr/bin/readme-link")).ok().as_deref(),
        Some("read me\n")
    );
    assert_eq!(
        fs::read_to_string(root.join("read-only/inside.txt")).ok().as_deref(),
        Some("inside\n")
    );

    // Extracting again over the same folder replaces what is there.
    fs::write(root.join("AppRun"), "changed").expect("write");
    let again = Command::new(&lab.image)
        .arg("--appimage-extract")
        .current_dir(&cwd)
        .output()
        .expect("runs");
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(fs::read_to_string(root.join("AppRun")).ok().as_deref(), Some(APP_RUN));
}

#[test]
fn appimage_extract_with_a_pattern_takes_only_the_matching_entries() {
    let lab = Lab::new("pattern");
    let cwd = lab.dir.join("cwd");
    fs::create_dir_all(&cwd).expect("cwd");
    let output = Command::new(&lab.image)
        .args(["--appimage-extract", "*.txt"])
        .current_dir(&cwd)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let mut listed: Vec<String> = text(&output.stdout).lines().map(str::to_owned).collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            "squashfs-root/read-only/inside.txt",
            "squashfs-root/usr/share/doc/readme.txt"
        ]
    );
    assert!(!cwd.join("squashfs-root/AppRun").exists());
}

#[test]
fn a_runtime_without_an_image_says_so_and_exits_2() {
    let output = Command::new(RUNTIME).arg("anything").output().expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("no squashfs image is appended"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn unknown_runtime_options_are_refused_with_exit_2() {
    let lab = Lab::new("unknown");
    let output = Command::new(&lab.image)
        .arg("--appimage-unknown")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--appimage-help"));
}
