//! Reading inputs within bounds and writing files without losing anything or opening
//! them up: the one place that touches the configuration, its backup and the imported
//! certificate files on disk.
//!
//! * [`read_regular`] refuses anything but a regular file (a named pipe, a device or a
//!   folder is refused before a byte is read, so a FIFO never hangs and `/dev/zero` never
//!   fills the memory) and anything larger than its limit ([`limits`]).
//! * [`read_secret_line`] reads one line of a password from standard input, bounded.
//! * [`FileLock`] serialises the writers of one file: it is held from the re-read of the
//!   file to the rename of its replacement.
//! * [`replace_file`] writes a replacement next to the file (on Linux as an unnamed
//!   `O_TMPFILE`, so a killed run leaves nothing behind), gives it the original's owner,
//!   group, mode and extended attributes (POSIX ACLs and SELinux labels are extended
//!   attributes on Linux) and renames it over the original. [`FileAttributes`] never
//!   widens access: attributes the new file picked up from its folder are removed.
//! * [`create_dir_no_wider`] and [`private_staging_dir`] make folders whose permissions do
//!   not depend on the umask.

pub mod access;
mod attributes;
mod input;
mod lock;
mod write;

pub use attributes::{FileAttributes, PRIVATE_MODE, PasswordExposure, exposure_of_mode, make_private};
pub use input::{InputError, read_regular, read_secret_line};
pub use lock::{FileLock, LOCK_WAIT};
pub use write::{
    create_dir_no_wider, private_staging_dir, publish_file, remove_stale_dirs, remove_stale_temporaries, replace_file,
    resolve_link_target, sync_folder,
};

/// The size limits of the files and secrets fxconfig reads.
pub mod limits {
    /// The largest `fxpkcs11.cfg` read: 1 MiB (the guide's file is under 1 KiB).
    pub const CFG_MAX_BYTES: u64 = 1024 * 1024;
    /// The largest root CA or PKCS#12 file read: 16 MiB.
    pub const CERT_MAX_BYTES: u64 = 16 * 1024 * 1024;
    /// The longest password read from standard input: 64 KiB.
    pub const SECRET_MAX_BYTES: u64 = 64 * 1024;
}
