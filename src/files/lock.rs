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
///
/// Every open refuses to follow a symbolic link and never blocks (`O_NOFOLLOW`,
/// `O_NONBLOCK`, `O_CLOEXEC`), and what was opened must be a regular file owned by this
/// account, by root or by the owner of the file it guards: in a folder other users may
/// write to (`/tmp`, a shared folder), another user could otherwise put a FIFO there that
/// hangs the save, or a link that makes fxconfig lock a file of their choosing.
fn open_lock_file(path: &Path, template: Option<&fs::Metadata>) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
        options.custom_flags(safe_open_flags());
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::PermissionDenied => {
            let mut read_only = OpenOptions::new();
            read_only.read(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                read_only.custom_flags(safe_open_flags());
            }
            read_only.open(path).map_err(|read_error| {
                let refused = explain_refused_open(path, read_error);
                if refused.kind() == io::ErrorKind::InvalidInput {
                    refused
                } else {
                    naming_lock_file(path, error)
                }
            })?
        }
        Err(error) => return Err(explain_refused_open(path, error)),
    };
    #[cfg(unix)]
    {
        check_lock_file(path, &file, template)?;
        share_with_group(&file, template);
    }
    #[cfg(not(unix))]
    let _ = template;
    Ok(file)
}

/// `O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY`: no link followed, no wait on a FIFO.
#[cfg(unix)]
fn safe_open_flags() -> i32 {
    use rustix::fs::OFlags;
    (OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY).bits() as i32
}

/// The error of an open that `O_NOFOLLOW` refused, said in words: a link sits where the
/// lock file should be.
fn explain_refused_open(path: &Path, error: io::Error) -> io::Error {
    #[cfg(unix)]
    if error.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
        return io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "the lock file {} is a symbolic link, which fxconfig does not follow: remove it (another user may have put it there)",
                path.display()
            ),
        );
    }
    naming_lock_file(path, error)
}

/// `error`, with the lock file named.
fn naming_lock_file(path: &Path, error: io::Error) -> io::Error {
    io::Error::new(
        error.kind(),
        format!("cannot open the lock file {}: {error}", path.display()),
    )
}

/// Refuses a lock file that is not a regular file, or that belongs to another user than
/// this account, root or the guarded file's owner; checked on the opened descriptor.
#[cfg(unix)]
fn check_lock_file(path: &Path, file: &File, template: Option<&fs::Metadata>) -> io::Result<()> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let meta = file.metadata()?;
    let kind = meta.file_type();
    let what = if kind.is_file() {
        None
    } else if kind.is_fifo() {
        Some("a named pipe (FIFO)")
    } else if kind.is_socket() {
        Some("a socket")
    } else if kind.is_dir() {
        Some("a folder")
    } else if kind.is_block_device() || kind.is_char_device() {
        Some("a device")
    } else {
        Some("not a regular file")
    };
    if let Some(what) = what {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "the lock file {} is {what}, not a regular file: remove it (another user may have put it there)",
                path.display()
            ),
        ));
    }
    let me = rustix::process::geteuid().as_raw();
    let owner = meta.uid();
    let trusted = owner == me || owner == 0 || template.is_some_and(|guarded| guarded.uid() == owner);
    if !trusted {
        let name = uzers::get_user_by_uid(owner).map_or_else(
            || format!("uid {owner}"),
            |user| user.name().to_string_lossy().into_owned(),
        );
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "the lock file {} belongs to {name}, who owns neither the file it guards nor this session: remove it, or ask {name} to",
                path.display()
            ),
        ));
    }
    Ok(())
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
