//! A configuration document tied to its file: loading (bounded), change detection, and
//! saving that loses neither this edit nor another program's, with one backup.
//!
//! Saving holds the file's [`FileLock`] from the re-read of the file to the rename of
//! its replacement, so two savers never interleave. When the file changed since it was
//! loaded, the edit is re-applied to the file as it is now if it only set values that
//! the other change left alone; if both changed the same entry, nothing is written
//! ([`CfgError::Conflict`]). The new contents go through [`files::replace_file`]: a
//! temporary file beside the original (0600, unnamed on Linux), given the original's
//! owner, group, mode, ACL and other extended attributes, synced and renamed over it.
//! The previous contents are kept in `<file name>.bak`, written the same way. A file
//! with several hard links is refused ([`CfgError::HardLinked`]): the rename would
//! leave its other names with the old contents and passwords.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;
use zeroize::Zeroizing;

use super::document::CfgDocument;
use super::error::CfgError;
use super::merge::{self, MergeFailure};
use crate::files::{self, FileAttributes, FileLock, PasswordExposure, limits};

/// The permission bits of a newly created configuration file on Unix: owner only,
/// because the file holds passwords.
pub const NEW_FILE_MODE: u32 = files::PRIVATE_MODE;

/// What the bounded reader calls a configuration file in its messages.
const WHAT: &str = "a configuration file";

/// What a file looked like on disk when it was loaded or last saved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskState {
    /// The length in bytes.
    pub len: u64,
    /// The modification time, when the platform reports one.
    pub modified: Option<SystemTime>,
    /// The SHA-256 of the contents.
    pub sha256: [u8; 32],
}

/// What a save did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SaveReport {
    /// The file written (the target of a symbolic link, when the path was one).
    pub path: PathBuf,
    /// The backup holding the previous contents, when there were previous contents
    /// that differ from the new ones.
    pub backup: Option<PathBuf>,
    /// The number of bytes written.
    pub bytes: usize,
    /// The permission bits given to the file (Unix only).
    pub mode: Option<u32>,
    /// Whether another program had changed the file since it was loaded, and the edit
    /// was re-applied on top of that change (both are kept).
    pub merged: bool,
    /// Set when the file holds a password that accounts besides its owner may read (Unix
    /// only): the caller should warn and offer [`tighten_permissions`]. [`LockedCfg::write`]
    /// sets it whenever others may read the file, whatever it holds.
    pub exposure: Option<PasswordExposure>,
}

/// How to save.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SaveOptions {
    /// Make the file and its backup readable by their owner only (mode 0600, no ACL),
    /// keeping the owner.
    pub tighten_permissions: bool,
}

/// A configuration document and the file it belongs to.
#[derive(Clone, Debug)]
pub struct CfgFile {
    /// Where the document is saved.
    pub path: PathBuf,
    /// The document; edit it freely, then [`CfgFile::save`].
    pub doc: CfgDocument,
    /// The file's state when loaded or last saved; `None` when it did not exist.
    on_disk: Option<DiskState>,
    /// The document as loaded or last saved, to re-apply the edit to a changed file.
    base: CfgDocument,
}

impl CfgFile {
    /// Reads and parses the file (a regular file of at most 1 MiB), remembering its
    /// length, modification time and hash.
    ///
    /// # Errors
    /// [`CfgError::Read`] when the file cannot be read; [`CfgError::NotRegular`],
    /// [`CfgError::TooLarge`]; [`CfgError::NotUtf8`].
    pub fn load(path: impl AsRef<Path>) -> Result<CfgFile, CfgError> {
        let path = path.as_ref().to_path_buf();
        let bytes = files::read_regular(&path, limits::CFG_MAX_BYTES, WHAT)?;
        let modified = fs::metadata(&path).ok().and_then(|meta| meta.modified().ok());
        let doc = CfgDocument::parse(&bytes)?;
        Ok(CfgFile {
            on_disk: Some(disk_state(&bytes, modified)),
            path,
            base: doc.clone(),
            doc,
        })
    }

    /// A document that has not been saved yet; saving it refuses to replace a file
    /// that appears at `path` in the meantime (use [`CfgFile::save_as`] for that).
    pub fn new_unsaved(path: impl AsRef<Path>, doc: CfgDocument) -> CfgFile {
        CfgFile {
            path: path.as_ref().to_path_buf(),
            doc,
            on_disk: None,
            base: CfgDocument::new(),
        }
    }

    /// A copy holding only the path and the state on disk, with no document (and so no
    /// password): enough for [`CfgFile::changed_on_disk`].
    pub fn state_only(&self) -> CfgFile {
        CfgFile {
            path: self.path.clone(),
            doc: CfgDocument::new(),
            on_disk: self.on_disk.clone(),
            base: CfgDocument::new(),
        }
    }

    /// The file's state when it was loaded or last saved.
    pub fn disk_state(&self) -> Option<&DiskState> {
        self.on_disk.as_ref()
    }

    /// The document as loaded or last saved (before the edits made since), for a diff.
    pub fn loaded(&self) -> &CfgDocument {
        &self.base
    }

    /// Who besides its owner may read the file now, when the document holds a password
    /// (Unix only; `None` when nobody may, when it holds no password, or when the file
    /// cannot be examined): what [`SaveReport::exposure`] says after a save, for a file
    /// that was not saved.
    pub fn exposure(&self) -> Option<PasswordExposure> {
        if !holds_password(&self.doc) {
            return None;
        }
        let target = files::resolve_link_target(&self.path).ok()?;
        let meta = fs::metadata(&target).ok()?;
        FileAttributes::of(&target, &meta).ok()?.exposure()
    }

    /// Whether the file on disk differs from what was loaded or last saved (including
    /// being removed, or created after [`CfgFile::new_unsaved`]). Compares contents by
    /// hash, so a changed modification time alone does not count.
    ///
    /// # Errors
    /// [`CfgError::Read`] (and the other reading errors of [`CfgFile::load`]) when the
    /// file exists but cannot be read.
    pub fn changed_on_disk(&self) -> Result<bool, CfgError> {
        let now = read_optional(&self.path)?;
        Ok(match (&self.on_disk, now) {
            (None, None) => false,
            (Some(then), Some(now)) => then.sha256 != sha256(&now),
            _ => true,
        })
    }

    /// Whether the document differs from the contents loaded or last saved.
    pub fn is_modified(&self) -> bool {
        match &self.on_disk {
            Some(state) => sha256(&self.doc.to_bytes()) != state.sha256,
            None => true,
        }
    }

    /// Saves the document over its file, atomically, keeping the previous contents in
    /// `<file name>.bak`. See [`CfgFile::save_with`].
    ///
    /// # Errors
    /// As [`CfgFile::save_with`].
    pub fn save(&mut self) -> Result<SaveReport, CfgError> {
        self.save_with(SaveOptions::default())
    }

    /// Saves the document over its file under the file's lock. When another program
    /// changed the file since it was loaded, the edit is re-applied to the file as it is
    /// now (and [`CfgFile::doc`] becomes the merged document) if it only set values the
    /// other change did not touch.
    ///
    /// # Errors
    /// [`CfgError::Conflict`] when the edit and the other change set the same entry;
    /// [`CfgError::ChangedOnDisk`] when the file changed and the edit is more than set
    /// values, or the file was removed or created meanwhile; [`CfgError::Locked`],
    /// [`CfgError::HardLinked`], the reading errors of [`CfgFile::load`], and
    /// [`CfgError::Write`]. On any error nothing is written, and the document and this
    /// value are unchanged.
    pub fn save_with(&mut self, options: SaveOptions) -> Result<SaveReport, CfgError> {
        let mut locked = LockedCfg::open(&self.path)?;
        let (doc, merged) = match (&self.on_disk, locked.current()) {
            (None, None) => (None, false),
            (Some(then), Some(now)) if then.sha256 == sha256(now) => (None, false),
            (Some(_), Some(now)) => {
                let changed = |_| CfgError::ChangedOnDisk {
                    path: self.path.clone(),
                };
                let current = CfgDocument::parse(now).map_err(changed)?;
                match merge::reapply(&self.base, &self.doc, &current) {
                    Ok(merged) => (Some(merged), true),
                    Err(MergeFailure::NotValues) => {
                        return Err(CfgError::ChangedOnDisk {
                            path: self.path.clone(),
                        });
                    }
                    Err(MergeFailure::Conflict(tags)) => {
                        return Err(CfgError::Conflict {
                            path: self.path.clone(),
                            tags,
                        });
                    }
                }
            }
            _ => {
                return Err(CfgError::ChangedOnDisk {
                    path: self.path.clone(),
                });
            }
        };
        let bytes = Zeroizing::new(doc.as_ref().unwrap_or(&self.doc).to_bytes());
        let mut report = locked.write(&bytes, options)?;
        report.merged = merged;
        if !holds_password(doc.as_ref().unwrap_or(&self.doc)) {
            report.exposure = None;
        }
        if let Some(doc) = doc {
            self.doc = doc;
        }
        self.saved(&bytes);
        Ok(report)
    }

    /// Saves the document to `path` (replacing any file there, after backing it up the
    /// same way as [`CfgFile::save`]); from then on the document belongs to `path`.
    ///
    /// # Errors
    /// As [`CfgFile::save_with`], except that there is no check for changes.
    pub fn save_as(&mut self, path: impl AsRef<Path>) -> Result<SaveReport, CfgError> {
        let path = path.as_ref().to_path_buf();
        let mut locked = LockedCfg::open(&path)?;
        let bytes = Zeroizing::new(self.doc.to_bytes());
        let mut report = locked.write(&bytes, SaveOptions::default())?;
        if !holds_password(&self.doc) {
            report.exposure = None;
        }
        self.path = path;
        self.saved(&bytes);
        Ok(report)
    }

    fn saved(&mut self, bytes: &[u8]) {
        let modified = fs::metadata(&self.path).ok().and_then(|meta| meta.modified().ok());
        self.on_disk = Some(disk_state(bytes, modified));
        self.base = self.doc.clone();
    }
}

/// Whether the document holds a non-empty password.
fn holds_password(doc: &CfgDocument) -> bool {
    doc.entries()
        .iter()
        .any(|entry| entry.is_secret() && !entry.value.is_empty())
}

/// A configuration file locked for writing: the lock is held from [`LockedCfg::open`],
/// which reads the current contents, until the value is dropped. Used by
/// [`CfgFile::save`] and by the import, which copies files under the same lock.
#[derive(Debug)]
pub struct LockedCfg {
    /// The path as given.
    path: PathBuf,
    /// Where the file really is (past symbolic links).
    target: PathBuf,
    /// The current contents; `None` when the file does not exist.
    current: Option<Zeroizing<Vec<u8>>>,
    /// The attributes of the current file, or those of a new private file.
    attributes: FileAttributes,
    _lock: FileLock,
}

impl LockedCfg {
    /// Locks the file at `path` (following a symbolic link to its target), removes
    /// temporary files a killed save left beside it, and reads its current contents.
    ///
    /// # Errors
    /// [`CfgError::Write`] when `path` is a symbolic link to nothing or the lock file
    /// cannot be created; [`CfgError::Locked`] when another program holds the lock for
    /// longer than [`files::LOCK_WAIT`]; [`CfgError::HardLinked`]; the reading errors of
    /// [`CfgFile::load`].
    pub fn open(path: &Path) -> Result<LockedCfg, CfgError> {
        let write_error = |source| CfgError::Write {
            path: path.to_owned(),
            source,
        };
        let target = files::resolve_link_target(path).map_err(write_error)?;
        let template = fs::metadata(&target).ok();
        let lock = FileLock::acquire(&target, template.as_ref(), files::LOCK_WAIT).map_err(|source| {
            if source.kind() == io::ErrorKind::WouldBlock {
                CfgError::Locked {
                    path: path.to_owned(),
                    source,
                }
            } else {
                write_error(source)
            }
        })?;
        files::remove_stale_temporaries(&target, Some(&backup_path(&target)));
        let current = read_optional(&target)?;
        let attributes = match &current {
            Some(_) => {
                let meta = fs::metadata(&target).map_err(|source| CfgError::Read {
                    path: target.clone(),
                    source,
                })?;
                check_single_link(path, &meta)?;
                FileAttributes::of(&target, &meta).map_err(|source| CfgError::Read {
                    path: target.clone(),
                    source,
                })?
            }
            None => FileAttributes::private(),
        };
        Ok(LockedCfg {
            path: path.to_owned(),
            target,
            current,
            attributes,
            _lock: lock,
        })
    }

    /// The file's contents when it was locked; `None` when it did not exist.
    pub fn current(&self) -> Option<&[u8]> {
        self.current.as_deref().map(Vec::as_slice)
    }

    /// Where the file really is (past symbolic links).
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Replaces the file with `bytes`, first keeping its contents when locked in the
    /// backup (when they differ). With [`SaveOptions::tighten_permissions`], the file and
    /// the backup become readable by their owner only.
    ///
    /// # Errors
    /// [`CfgError::Write`] naming the file that could not be written (the backup or the
    /// file itself); the file is then unchanged. On Windows, tightening the permissions is
    /// refused ([`io::ErrorKind::Unsupported`]): set them on the file's Security tab.
    pub fn write(&mut self, bytes: &[u8], options: SaveOptions) -> Result<SaveReport, CfgError> {
        let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        if size > limits::CFG_MAX_BYTES {
            return Err(CfgError::WouldBeTooLarge {
                path: self.target.clone(),
                size,
                limit: limits::CFG_MAX_BYTES,
            });
        }
        #[cfg(not(unix))]
        if options.tighten_permissions {
            return Err(CfgError::Write {
                path: self.target.clone(),
                source: io::Error::new(
                    io::ErrorKind::Unsupported,
                    "tightening permissions is not done on Windows: limit who may read the file on the \
                     Security tab of its properties",
                ),
            });
        }
        let attributes = if options.tighten_permissions {
            self.attributes.clone().tightened()
        } else {
            self.attributes.clone()
        };
        let backup_file = backup_path(&self.target);
        let write_error = |path: &Path| {
            let path = path.to_owned();
            move |source| CfgError::Write { path, source }
        };
        let backup = match &self.current {
            Some(previous) if previous.as_slice() != bytes => {
                files::replace_file(&backup_file, previous, &attributes).map_err(write_error(&backup_file))?;
                Some(backup_file)
            }
            _ => {
                if options.tighten_permissions && backup_file.exists() {
                    files::make_private(&backup_file).map_err(write_error(&backup_file))?;
                }
                None
            }
        };
        files::replace_file(&self.target, bytes, &attributes).map_err(write_error(&self.target))?;
        Ok(SaveReport {
            path: self.target.clone(),
            backup,
            bytes: bytes.len(),
            mode: attributes.mode(),
            merged: false,
            exposure: attributes.exposure(),
        })
    }

    /// The path as given to [`LockedCfg::open`].
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Makes the configuration at `path` and its backup readable by their owner only (mode
/// 0600, no ACL entries), keeping the owner: for a file holding passwords that its group
/// or other users can read. Takes the file's lock.
///
/// # Errors
/// As [`LockedCfg::open`]; [`CfgError::Write`] when the permissions cannot be changed
/// (this account does not own the file).
pub fn tighten_permissions(path: &Path) -> Result<(), CfgError> {
    let locked = LockedCfg::open(path)?;
    let backup = backup_path(locked.target());
    let files = std::iter::once(locked.target()).chain(backup.exists().then_some(backup.as_path()));
    for file in files {
        files::make_private(file).map_err(|source| CfgError::Write {
            path: file.to_owned(),
            source,
        })?;
    }
    Ok(())
}

/// Refuses a file with more than one name: replacing it by a rename would leave the
/// other names with the old contents (and the old passwords).
fn check_single_link(path: &Path, meta: &fs::Metadata) -> Result<(), CfgError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.nlink() > 1 {
            return Err(CfgError::HardLinked {
                path: path.to_owned(),
                links: meta.nlink(),
            });
        }
    }
    #[cfg(not(unix))]
    let _ = (path, meta);
    Ok(())
}

/// `<file name>.bak` next to `path`.
pub fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|name| name.to_os_string()).unwrap_or_default();
    name.push(".bak");
    path.with_file_name(name)
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

fn disk_state(bytes: &[u8], modified: Option<SystemTime>) -> DiskState {
    DiskState {
        len: bytes.len() as u64,
        modified,
        sha256: sha256(bytes),
    }
}

/// The file's contents (a regular file of at most 1 MiB), or `None` when it does not exist.
///
/// # Errors
/// The reading errors of [`CfgFile::load`], except for a missing file.
pub fn read_optional(path: &Path) -> Result<Option<Zeroizing<Vec<u8>>>, CfgError> {
    match files::read_regular(path, limits::CFG_MAX_BYTES, WHAT) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(files::InputError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error.into()),
    }
}
