//! Copying the root CA file and the PKCS#12 file to the machine's configuration
//! folder, as the note of [3.1.7] asks.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::error::IdentityError;

/// Where [`copy_materials`] put the two files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CopiedMaterials {
    /// The root CA file in the destination folder.
    pub ca: PathBuf,
    /// The PKCS#12 file in the destination folder.
    pub p12: PathBuf,
    /// Whether the CA file was written (false: an identical file was already there).
    pub ca_written: bool,
    /// Whether the PKCS#12 file was written (false: an identical file was already there).
    pub p12_written: bool,
}

/// Copies the root CA file and the PKCS#12 file into `dest_dir` (created if
/// missing), keeping their file names.
///
/// Each file is written to a temporary file in `dest_dir` and renamed into place
/// without replacing anything; the PKCS#12 file is readable by its owner only
/// (0600) on Unix, the CA file by everyone (0644). A destination file that is
/// byte-identical to its source, or that is the source itself, is left as it is;
/// a different file of the same name is never overwritten
/// ([`IdentityError::DestinationExists`]). The CA file is copied first, so it may
/// be in place when copying the PKCS#12 file fails.
pub fn copy_materials(ca_src: &Path, p12_src: &Path, dest_dir: &Path) -> Result<CopiedMaterials, IdentityError> {
    fs::create_dir_all(dest_dir).map_err(|source| IdentityError::Write {
        path: dest_dir.to_owned(),
        source,
    })?;
    let (ca, ca_written) = copy_one(ca_src, dest_dir, false)?;
    let (p12, p12_written) = copy_one(p12_src, dest_dir, true)?;
    Ok(CopiedMaterials {
        ca,
        p12,
        ca_written,
        p12_written,
    })
}

fn copy_one(src: &Path, dest_dir: &Path, private: bool) -> Result<(PathBuf, bool), IdentityError> {
    let read_error = |path: &Path, source| IdentityError::Read {
        path: path.to_owned(),
        source,
    };
    let write_error = |path: &Path, source| IdentityError::Write {
        path: path.to_owned(),
        source,
    };

    let name = src.file_name().ok_or_else(|| {
        read_error(
            src,
            io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file"),
        )
    })?;
    let dest = dest_dir.join(name);
    let contents = fs::read(src).map_err(|source| read_error(src, source))?;

    if is_same_file(src, &dest) {
        return Ok((dest, false));
    }
    match fs::read(&dest) {
        Ok(existing) if existing == contents => return Ok((dest, false)),
        Ok(_) => return Err(IdentityError::DestinationExists { path: dest }),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(read_error(&dest, error)),
    }

    let mut temp = tempfile::Builder::new()
        .prefix(".fxconfig-import-")
        .tempfile_in(dest_dir)
        .map_err(|source| write_error(dest_dir, source))?;
    set_mode(temp.as_file(), private).map_err(|source| write_error(temp.path(), source))?;
    temp.write_all(&contents).map_err(|source| write_error(&dest, source))?;
    temp.as_file().sync_all().map_err(|source| write_error(&dest, source))?;
    temp.persist_noclobber(&dest)
        .map_err(|error| match error.error.kind() {
            io::ErrorKind::AlreadyExists => IdentityError::DestinationExists { path: dest.clone() },
            _ => write_error(&dest, error.error),
        })?;
    sync_dir(dest_dir).map_err(|source| write_error(dest_dir, source))?;
    Ok((dest, true))
}

fn is_same_file(src: &Path, dest: &Path) -> bool {
    match (fs::canonicalize(src), fs::canonicalize(dest)) {
        (Ok(src), Ok(dest)) => src == dest,
        _ => false,
    }
}

#[cfg(unix)]
fn set_mode(file: &fs::File, private: bool) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if private { 0o600 } else { 0o644 };
    file.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &fs::File, _private: bool) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}
