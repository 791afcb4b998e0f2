//! Replacing a file atomically through a temporary file beside it, and making folders.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::attributes::FileAttributes;

/// The length of the random part of a temporary file's name.
const RANDOM_LEN: usize = 6;

/// The folder a path is in (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Six random letters and digits for a temporary name.
#[cfg(target_os = "linux")]
fn random_part() -> io::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut bytes = [0u8; RANDOM_LEN];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| io::Error::other("the system's random number source failed"))?;
    Ok(bytes
        .iter()
        .map(|byte| char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]))
        .collect())
}

/// The name of a temporary file for `target`: `.<name>.<6 random>.tmp`.
#[cfg(target_os = "linux")]
fn temp_name(target_name: &OsStr) -> io::Result<OsString> {
    let mut name = OsString::from(".");
    name.push(target_name);
    name.push(".");
    name.push(random_part()?);
    name.push(".tmp");
    Ok(name)
}

/// Whether `candidate` is a temporary file name [`temp_name`] gives for `target_name`.
fn is_temp_name(candidate: &OsStr, target_name: &OsStr) -> bool {
    let (Some(candidate), Some(target)) = (candidate.to_str(), target_name.to_str()) else {
        return false;
    };
    candidate
        .strip_prefix('.')
        .and_then(|rest| rest.strip_prefix(target))
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(|rest| rest.strip_suffix(".tmp"))
        .is_some_and(|random| random.len() == RANDOM_LEN && random.bytes().all(|byte| byte.is_ascii_alphanumeric()))
}

/// Removes the temporary files a killed earlier save of `target` (or of its backup
/// `backup`) left in the folder. Call it while holding the target's [`super::FileLock`],
/// so that no save in progress owns them. Returns how many were removed; a file that
/// cannot be removed is left alone.
pub fn remove_stale_temporaries(target: &Path, backup: Option<&Path>) -> usize {
    let names: Vec<&OsStr> = [Some(target), backup]
        .into_iter()
        .flatten()
        .filter_map(Path::file_name)
        .collect();
    let Ok(listing) = fs::read_dir(folder_of(target)) else {
        return 0;
    };
    let mut removed = 0;
    for entry in listing.flatten() {
        let name = entry.file_name();
        if names.iter().any(|target_name| is_temp_name(&name, target_name))
            && entry.file_type().is_ok_and(|kind| kind.is_file())
            && fs::remove_file(entry.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// Replaces `target` with `bytes`: they are written to a new file beside it, which is
/// given `attributes`, flushed to disk, and renamed over `target`; the folder is synced
/// afterwards (Unix). A crash leaves either the old or the new file.
///
/// On Linux the new file is first created unnamed (`O_TMPFILE`) and only named
/// `.<name>.<random>.tmp` for the instant before the rename, so a killed run leaves
/// nothing behind; elsewhere (or where the file system lacks it) the named temporary
/// file exists while it is written and is removed on any failure. Either way its mode
/// is 0600 until it gets `attributes`.
///
/// # Errors
/// The operating system's error; the target is then unchanged and no temporary file
/// remains.
pub fn replace_file(target: &Path, bytes: &[u8], attributes: &FileAttributes) -> io::Result<()> {
    let folder = folder_of(target);
    let name = target
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file"))?;
    #[cfg(target_os = "linux")]
    if let Some(result) = unnamed::replace(folder, name, target, bytes, attributes) {
        return result.and_then(|()| sync_folder(folder));
    }
    replace_through_named(folder, name, target, bytes, attributes)?;
    sync_folder(folder)
}

fn replace_through_named(
    folder: &Path,
    name: &OsStr,
    target: &Path,
    bytes: &[u8],
    attributes: &FileAttributes,
) -> io::Result<()> {
    let mut prefix = OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp").rand_bytes(RANDOM_LEN);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o600));
    }
    let mut temp = builder.tempfile_in(folder)?;
    temp.write_all(bytes)?;
    temp.flush()?;
    attributes.apply(temp.as_file())?;
    temp.as_file().sync_all()?;
    temp.persist(target).map_err(|error| error.error)?;
    Ok(())
}

#[cfg(target_os = "linux")]
mod unnamed {
    use std::ffi::OsStr;
    use std::fs::File;
    use std::io::{self, Write};
    use std::path::Path;

    use rustix::fs::{AtFlags, CWD, Mode, OFlags};

    use super::{FileAttributes, temp_name};

    /// Replaces `target` through an `O_TMPFILE` file; `None` when the file system (or a
    /// missing `/proc`) does not allow it, so the caller falls back to a named file.
    pub(super) fn replace(
        folder: &Path,
        name: &OsStr,
        target: &Path,
        bytes: &[u8],
        attributes: &FileAttributes,
    ) -> Option<io::Result<()>> {
        let fd = match rustix::fs::open(
            folder,
            OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        ) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::NOTSUP | rustix::io::Errno::ISDIR | rustix::io::Errno::INVAL) => return None,
            Err(error) => return Some(Err(error.into())),
        };
        let mut file = File::from(fd);
        let prepared = file
            .write_all(bytes)
            .and_then(|()| file.flush())
            .and_then(|()| attributes.apply(&file))
            .and_then(|()| file.sync_all());
        if let Err(error) = prepared {
            return Some(Err(error));
        }
        let proc_path = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&file));
        let dir = match rustix::fs::open(folder, OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()) {
            Ok(dir) => dir,
            Err(error) => return Some(Err(error.into())),
        };
        for _ in 0..16 {
            let temp = match temp_name(name) {
                Ok(temp) => temp,
                Err(error) => return Some(Err(error)),
            };
            match rustix::fs::linkat(CWD, proc_path.as_str(), &dir, temp.as_os_str(), AtFlags::SYMLINK_FOLLOW) {
                Ok(()) => {
                    let renamed = rustix::fs::renameat(&dir, temp.as_os_str(), CWD, target);
                    if renamed.is_err() {
                        let _ = rustix::fs::unlinkat(&dir, temp.as_os_str(), AtFlags::empty());
                    }
                    return Some(renamed.map_err(io::Error::from));
                }
                Err(rustix::io::Errno::EXIST) => continue,
                // No /proc: link the file the portable way instead.
                Err(rustix::io::Errno::NOENT) => return None,
                Err(error) => return Some(Err(error.into())),
            }
        }
        Some(Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "no free temporary file name",
        )))
    }
}

/// Makes a rename in `folder` durable.
///
/// # Errors
/// The operating system's error.
pub fn sync_folder(folder: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        fs::File::open(folder)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = folder;
        Ok(())
    }
}

/// Where a write to `path` lands: `path` itself, or the file a symbolic link at `path`
/// points to (followed to the end).
///
/// # Errors
/// [`io::ErrorKind::NotFound`], naming the link's target, when `path` is a symbolic link
/// to something that does not exist (a write would otherwise create a file in an
/// unexpected place); other errors from the operating system.
pub fn resolve_link_target(path: &Path) -> io::Result<PathBuf> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => fs::canonicalize(path).map_err(|error| {
            if error.kind() == io::ErrorKind::NotFound {
                let points_to = fs::read_link(path).unwrap_or_default();
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("it is a symbolic link to {}, which does not exist", points_to.display()),
                )
            } else {
                error
            }
        }),
        _ => Ok(path.to_path_buf()),
    }
}

/// Creates `dir` and any missing parents with mode 0755 at most (Unix): the umask can
/// only narrow it, and a umask of 000 does not open it up. Existing folders are left as
/// they are. Returns the folders created, outermost first.
///
/// # Errors
/// The operating system's error.
pub fn create_dir_no_wider(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut missing: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|ancestor| !ancestor.as_os_str().is_empty() && fs::symlink_metadata(ancestor).is_err())
        .map(Path::to_path_buf)
        .collect();
    missing.reverse();
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o755);
    }
    builder.create(dir)?;
    #[cfg(unix)]
    for created in &missing {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(created)?.permissions().mode() & 0o7777;
        if mode & !0o755 != 0 {
            fs::set_permissions(created, fs::Permissions::from_mode(mode & 0o755))?;
        }
    }
    Ok(missing)
}

/// Removes folders named `<prefix><6 random>` in `folder` (with their contents) that a
/// killed run left behind. Call it while holding the lock that guards their creation.
/// Returns how many were removed.
pub fn remove_stale_dirs(folder: &Path, prefix: &OsStr) -> usize {
    let Some(prefix) = prefix.to_str() else {
        return 0;
    };
    let Ok(listing) = fs::read_dir(folder) else {
        return 0;
    };
    let mut removed = 0;
    for entry in listing.flatten() {
        let name = entry.file_name();
        let stale = name
            .to_str()
            .and_then(|name| name.strip_prefix(prefix))
            .is_some_and(|random| {
                random.len() == RANDOM_LEN && random.bytes().all(|byte| byte.is_ascii_alphanumeric())
            });
        if stale && entry.file_type().is_ok_and(|kind| kind.is_dir()) && fs::remove_dir_all(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// A new folder inside `parent` readable by this account only (0700 whatever the
/// umask), named `<prefix><random>`; removed with its contents when dropped.
///
/// # Errors
/// The operating system's error.
pub fn private_staging_dir(parent: &Path, prefix: &OsStr) -> io::Result<tempfile::TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix).rand_bytes(RANDOM_LEN);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o700));
    }
    builder.tempdir_in(parent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_are_recognised_exactly() {
        let target = OsStr::new("fxpkcs11.cfg");
        #[cfg(target_os = "linux")]
        assert!(is_temp_name(&temp_name(target).expect("random name"), target));
        assert!(is_temp_name(OsStr::new(".fxpkcs11.cfg.a1B2c3.tmp"), target));
        for other in [
            ".fxpkcs11.cfg.a1B2c.tmp",
            ".fxpkcs11.cfg.bak.a1B2c3.tmp",
            "fxpkcs11.cfg.a1B2c3.tmp",
            ".fxpkcs11.cfg.a1-2c3.tmp",
            ".fxpkcs11.cfg.a1B2c3.tmp~",
        ] {
            assert!(!is_temp_name(OsStr::new(other), target), "{other}");
        }
        assert!(is_temp_name(
            OsStr::new(".fxpkcs11.cfg.bak.a1B2c3.tmp"),
            OsStr::new("fxpkcs11.cfg.bak")
        ));
    }
}
