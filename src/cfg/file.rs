//! A configuration document tied to its file: loading, change detection and atomic
//! saving with one backup.
//!
//! Saving never leaves a half-written file: the new contents go to a temporary file in
//! the same folder, which is flushed, given its permission bits and synced before it is
//! renamed over the original; on Unix the folder is synced afterwards. The previous
//! contents are kept in `<file name>.bak`, written the same way.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use zeroize::Zeroizing;

use super::document::CfgDocument;
use super::error::CfgError;

/// The permission bits of a newly created configuration file on Unix: owner only,
/// because the file holds passwords.
pub const NEW_FILE_MODE: u32 = 0o600;

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
#[derive(Clone, Debug, PartialEq, Eq)]
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
}

impl CfgFile {
    /// Reads and parses the file, remembering its length, modification time and hash.
    ///
    /// # Errors
    /// [`CfgError::Read`] when the file cannot be read; [`CfgError::NotUtf8`].
    pub fn load(path: impl AsRef<Path>) -> Result<CfgFile, CfgError> {
        let path = path.as_ref().to_path_buf();
        let bytes = Zeroizing::new(fs::read(&path).map_err(|source| CfgError::Read {
            path: path.clone(),
            source,
        })?);
        let modified = fs::metadata(&path).ok().and_then(|meta| meta.modified().ok());
        let doc = CfgDocument::parse(&bytes)?;
        Ok(CfgFile {
            on_disk: Some(disk_state(&bytes, modified)),
            path,
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
        }
    }

    /// The file's state when it was loaded or last saved.
    pub fn disk_state(&self) -> Option<&DiskState> {
        self.on_disk.as_ref()
    }

    /// Whether the file on disk differs from what was loaded or last saved (including
    /// being removed, or created after [`CfgFile::new_unsaved`]). Compares contents by
    /// hash, so a changed modification time alone does not count.
    ///
    /// # Errors
    /// [`CfgError::Read`] when the file exists but cannot be read.
    pub fn changed_on_disk(&self) -> Result<bool, CfgError> {
        let now = read_state(&self.path)?;
        Ok(match (&self.on_disk, now) {
            (None, None) => false,
            (Some(then), Some(now)) => then.len != now.len || then.sha256 != now.sha256,
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
    /// `<file name>.bak`.
    ///
    /// # Errors
    /// [`CfgError::ChangedOnDisk`] when another program changed the file since it was
    /// loaded (nothing is written); [`CfgError::Read`] / [`CfgError::Write`] when the
    /// file, its backup or the temporary file cannot be read or written. On any error
    /// the document, the original file and this value are unchanged.
    pub fn save(&mut self) -> Result<SaveReport, CfgError> {
        if self.changed_on_disk()? {
            return Err(CfgError::ChangedOnDisk {
                path: self.path.clone(),
            });
        }
        let path = self.path.clone();
        self.write_to(&path)
    }

    /// Saves the document to `path` (replacing any file there, after backing it up the
    /// same way as [`CfgFile::save`]); from then on the document belongs to `path`.
    ///
    /// # Errors
    /// As [`CfgFile::save`], except that there is no check for changes.
    pub fn save_as(&mut self, path: impl AsRef<Path>) -> Result<SaveReport, CfgError> {
        let path = path.as_ref().to_path_buf();
        let report = self.write_to(&path)?;
        self.path = path;
        Ok(report)
    }

    fn write_to(&mut self, path: &Path) -> Result<SaveReport, CfgError> {
        let bytes = Zeroizing::new(self.doc.to_bytes());
        let (report, state) = write_atomically(path, &bytes)?;
        self.on_disk = Some(state);
        Ok(report)
    }
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

/// The file's current state, or `None` when it does not exist.
fn read_state(path: &Path) -> Result<Option<DiskState>, CfgError> {
    match fs::read(path) {
        Ok(bytes) => {
            let bytes = Zeroizing::new(bytes);
            let modified = fs::metadata(path).ok().and_then(|meta| meta.modified().ok());
            Ok(Some(disk_state(&bytes, modified)))
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(CfgError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The permission bits and owner a replacement file should get.
#[derive(Clone, Copy, Debug)]
struct FileAttributes {
    #[cfg(unix)]
    mode: u32,
    #[cfg(unix)]
    owner: Option<(u32, u32)>,
}

impl FileAttributes {
    fn of(meta: Option<&fs::Metadata>) -> FileAttributes {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            match meta {
                Some(meta) => FileAttributes {
                    mode: meta.mode() & 0o7777,
                    owner: Some((meta.uid(), meta.gid())),
                },
                None => FileAttributes {
                    mode: NEW_FILE_MODE,
                    owner: None,
                },
            }
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            FileAttributes {}
        }
    }

    fn mode(self) -> Option<u32> {
        #[cfg(unix)]
        {
            Some(self.mode)
        }
        #[cfg(not(unix))]
        {
            None
        }
    }

    /// Gives the open temporary file these attributes.
    fn apply(self, file: &File) -> io::Result<()> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::{MetadataExt, PermissionsExt};
            if let Some((uid, gid)) = self.owner {
                let current = file.metadata()?;
                if current.uid() != uid || current.gid() != gid {
                    std::os::unix::fs::fchown(file, Some(uid), Some(gid))?;
                }
            }
            file.set_permissions(fs::Permissions::from_mode(self.mode))?;
        }
        #[cfg(not(unix))]
        {
            let _ = file;
        }
        Ok(())
    }
}

/// Writes `bytes` to `path` atomically, first keeping the previous contents (if any and
/// different) in the backup. Follows a symbolic link at `path` to its target.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(SaveReport, DiskState), CfgError> {
    let target = match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => fs::canonicalize(path).map_err(|source| CfgError::Read {
            path: path.to_path_buf(),
            source,
        })?,
        _ => path.to_path_buf(),
    };
    let (previous, meta) = match fs::read(&target) {
        Ok(previous) => {
            let meta = fs::metadata(&target).map_err(|source| CfgError::Read {
                path: target.clone(),
                source,
            })?;
            (Some(Zeroizing::new(previous)), Some(meta))
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => (None, None),
        Err(source) => {
            return Err(CfgError::Read { path: target, source });
        }
    };
    let attributes = FileAttributes::of(meta.as_ref());

    let backup = match previous {
        Some(previous) if previous.as_slice() != bytes => {
            let backup = backup_path(&target);
            replace_file(&backup, &previous, attributes)?;
            Some(backup)
        }
        _ => None,
    };
    replace_file(&target, bytes, attributes)?;

    let modified = fs::metadata(&target).ok().and_then(|meta| meta.modified().ok());
    let report = SaveReport {
        path: target,
        backup,
        bytes: bytes.len(),
        mode: attributes.mode(),
    };
    Ok((report, disk_state(bytes, modified)))
}

/// Replaces `target` with `bytes` through a temporary file in the same folder. The
/// temporary file is removed again on any failure.
fn replace_file(target: &Path, bytes: &[u8], attributes: FileAttributes) -> Result<(), CfgError> {
    let write_error = |source: io::Error| CfgError::Write {
        path: target.to_path_buf(),
        source,
    };
    let folder = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(target.file_name().unwrap_or_default());
    prefix.push(".");
    let mut temp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .tempfile_in(folder)
        .map_err(write_error)?;
    temp.write_all(bytes).map_err(write_error)?;
    temp.flush().map_err(write_error)?;
    attributes.apply(temp.as_file()).map_err(write_error)?;
    temp.as_file().sync_all().map_err(write_error)?;
    temp.persist(target).map_err(|error| write_error(error.error))?;
    sync_folder(folder).map_err(write_error)
}

/// Makes a rename in `folder` durable.
fn sync_folder(folder: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(folder)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = folder;
        Ok(())
    }
}
