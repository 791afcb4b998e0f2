//! Mounting the image with squashfuse, when the host has it and FUSE is usable.
//!
//! squashfuse is started with `-o offset=N` on the AppImage file itself; it daemonises once the
//! mount is in place. The mount point is a private directory (mode 0700) under
//! `$XDG_RUNTIME_DIR`, or the temporary directory, and is removed after unmounting.

use std::ffi::OsStr;
use std::fs::{self, DirBuilder, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long squashfuse may take to mount before the runtime gives up and extracts instead.
const MOUNT_TIMEOUT: Duration = Duration::from_secs(10);
/// The FUSE programs that can mount a squashfs image at an offset, in order of preference.
const MOUNTERS: [&str; 2] = ["squashfuse", "squashfuse_ll"];

/// A mounted image; unmount it with [`Mount::unmount`].
#[derive(Debug)]
pub struct Mount {
    mount_point: PathBuf,
    unmount_command: Vec<PathBuf>,
}

impl Mount {
    /// Mounts the image at `offset` in `image`, or says why it cannot: `Err` holds a short reason
    /// (no squashfuse, no usable /dev/fuse, the mount failed), and the caller extracts instead.
    pub fn new(image: &Path, offset: u64, app_name: &str) -> Result<Mount, String> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mounter = MOUNTERS
            .iter()
            .find_map(|name| find_program(name, &path))
            .ok_or("neither squashfuse nor squashfuse_ll is on PATH")?;
        let unmount_command = unmount_command(&path).ok_or("neither fusermount3 nor fusermount is on PATH")?;
        OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/fuse")
            .map_err(|error| format!("/dev/fuse is not usable: {error}"))?;
        let mount_point = private_dir(app_name).map_err(|error| format!("cannot make a mount point: {error}"))?;
        let mount = Mount {
            mount_point,
            unmount_command,
        };
        match mount.start(&mounter, image, offset) {
            Ok(()) => Ok(mount),
            Err(reason) => {
                mount.unmount();
                Err(reason)
            }
        }
    }

    /// Where the image is mounted: the AppDir.
    pub fn path(&self) -> &Path {
        &self.mount_point
    }

    fn start(&self, mounter: &Path, image: &Path, offset: u64) -> Result<(), String> {
        let mut child = Command::new(mounter)
            .arg("-o")
            .arg(format!("offset={offset}"))
            .arg(image)
            .arg(&self.mount_point)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| format!("cannot start {}: {error}", mounter.display()))?;
        let deadline = Instant::now() + MOUNT_TIMEOUT;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("{} did not mount within {MOUNT_TIMEOUT:?}", mounter.display()));
                }
                Err(error) => return Err(format!("cannot wait for {}: {error}", mounter.display())),
            }
        };
        if !status.success() {
            return Err(format!("{} failed ({status})", mounter.display()));
        }
        if fs::symlink_metadata(self.mount_point.join("AppRun")).is_err() {
            return Err("the mounted image has no AppRun".to_string());
        }
        Ok(())
    }

    /// Unmounts the image (lazily, so a process still holding a file does not keep it mounted
    /// for long) and removes the mount point. Best effort: nothing is left to report to.
    pub fn unmount(self) {
        if let Some((program, arguments)) = self.unmount_command.split_first() {
            let _ = Command::new(program)
                .args(arguments)
                .arg(&self.mount_point)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = fs::remove_dir(&self.mount_point);
    }
}

/// The command that unmounts a FUSE mount given its mount point as last argument.
fn unmount_command(path: &OsStr) -> Option<Vec<PathBuf>> {
    ["fusermount3", "fusermount"]
        .iter()
        .find_map(|name| find_program(name, path))
        .map(|program| vec![program, PathBuf::from("-u"), PathBuf::from("-z")])
}

/// The first executable file called `name` in the directories of `path` (a `PATH` value).
fn find_program(name: &str, path: &OsStr) -> Option<PathBuf> {
    std::env::split_paths(path)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(name))
        .find(|candidate| {
            fs::metadata(candidate)
                .is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
        })
}

/// A new directory only this user can enter, named `.mount_<app>-<pid>-<n>`.
fn private_dir(app_name: &str) -> std::io::Result<PathBuf> {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute() && dir.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    let mut attempt = 0u32;
    loop {
        let candidate = base.join(format!(".mount_{app_name}-{}-{attempt}", std::process::id()));
        match DirBuilder::new().mode(0o700).create(&candidate) {
            Ok(()) => return Ok(candidate),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(error) => return Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_are_found_only_when_executable_and_in_an_absolute_directory() {
        let dir = std::env::temp_dir().join(format!("appimage-runtime-path-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("temp dir");
        let program = dir.join("squashfuse");
        fs::write(&program, b"#!/bin/sh\n").expect("write");
        fs::set_permissions(&program, fs::Permissions::from_mode(0o644)).expect("chmod");
        let path = std::env::join_paths(["relative/dir".as_ref(), dir.as_path()]).expect("join");
        assert_eq!(find_program("squashfuse", &path), None, "not executable");
        fs::set_permissions(&program, fs::Permissions::from_mode(0o755)).expect("chmod");
        assert_eq!(find_program("squashfuse", &path), Some(program.clone()));
        assert_eq!(find_program("squashfuse_ll", &path), None);
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn private_directories_are_new_and_closed_to_others() {
        let first = private_dir("runtime-test").expect("a first mount point");
        let second = private_dir("runtime-test").expect("a second mount point");
        assert_ne!(first, second);
        let mode = fs::metadata(&first).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        fs::remove_dir(&first).expect("cleanup");
        fs::remove_dir(&second).expect("cleanup");
    }
}
