//! One writer at a time per file: an exclusive lock on a companion lock file.
//!
//! The lock is taken on `.<name>.lock` beside the file rather than on the file itself:
//! the file is replaced by a rename, so a lock on it would be left behind on the old
//! copy, and on Windows a lock on the file would stop the PKCS#11 library from reading
//! it meanwhile. The lock file stays (empty), like `/etc/.pwd.lock`; it is created
//! readable and writable by the file's owner and group only.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a writer waits for another one to finish before giving up. A save takes
/// milliseconds; the wait only runs out when another program holds the lock.
pub const LOCK_WAIT: Duration = Duration::from_secs(10);

/// An exclusive lock on one file's writers, released when dropped.
#[derive(Debug)]
pub struct FileLock {
    file: File,
    path: PathBuf,
}

impl FileLock {
    /// The lock file of `target`: `.<name>.lock` in the same folder.
    pub fn lock_path(target: &Path) -> PathBuf {
        let mut name = std::ffi::OsString::from(".");
        name.push(target.file_name().unwrap_or_default());
        name.push(".lock");
        target.with_file_name(name)
    }

    /// Takes the lock of `target`, waiting up to `wait` for another writer to release it.
    /// `template` is the file whose owner and group a new lock file gets (the file being
    /// written, when it exists).
    ///
    /// # Errors
    /// The operating system's error when the lock file cannot be opened or created;
    /// [`io::ErrorKind::WouldBlock`] when the lock is still held after `wait`.
    pub fn acquire(target: &Path, template: Option<&fs::Metadata>, wait: Duration) -> io::Result<FileLock> {
        let path = Self::lock_path(target);
        let file = open_lock_file(&path, template)?;
        let deadline = Instant::now() + wait;
        let mut pause = Duration::from_millis(1);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(FileLock { file, path }),
                Err(TryLockError::Error(error)) => return Err(error),
                Err(TryLockError::WouldBlock) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(io::Error::new(
                            io::ErrorKind::WouldBlock,
                            format!(
                                "another program held the lock {} for {} s",
                                path.display(),
                                wait.as_secs()
                            ),
                        ));
                    }
                    std::thread::sleep(pause.min(deadline - now));
                    pause = (pause * 2).min(Duration::from_millis(20));
                }
            }
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// Opens the lock file, creating it (owner and group only) when it is missing. A lock
/// file this account may not write is opened for reading, which is enough to lock it.
fn open_lock_file(path: &Path, template: Option<&fs::Metadata>) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
        options.custom_flags((rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NOCTTY).bits() as i32);
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::PermissionDenied && path.exists() => File::open(path)?,
        Err(error) => return Err(error),
    };
    #[cfg(unix)]
    share_with_group(&file, template);
    #[cfg(not(unix))]
    let _ = template;
    Ok(file)
}

/// Gives the lock file the owner, group and owner/group bits of the file it guards, so
/// that the accounts that may write that file may also lock it. Only an empty lock file
/// with one name is touched; failures (such as not owning it) are harmless, the lock
/// file then stays as it is, and are ignored.
#[cfg(unix)]
fn share_with_group(file: &File, template: Option<&fs::Metadata>) {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let (Some(template), Ok(current)) = (template, file.metadata()) else {
        return;
    };
    if current.len() != 0 || current.nlink() != 1 {
        return;
    }
    if current.uid() != template.uid() || current.gid() != template.gid() {
        let _ = std::os::unix::fs::fchown(file, Some(template.uid()), Some(template.gid()));
    }
    let wanted = (template.mode() & 0o660) | 0o600;
    if current.mode() & 0o777 != wanted {
        let _ = file.set_permissions(fs::Permissions::from_mode(wanted));
    }
}
