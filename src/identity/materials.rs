//! Copying the root CA file and the PKCS#12 file to the machine's configuration
//! folder, as the note of [3.1.7] asks: first staged in a private folder beside the
//! destination, then put in place all at once.

use std::ffi::OsStr;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::error::{IdentityError, Material};
use crate::files::{self, limits};

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
    /// The folders made on the way to the destination, outermost first.
    pub created_dirs: Vec<PathBuf>,
}

impl CopiedMaterials {
    /// Takes the copies back out: removes the files this import wrote and the folders it
    /// made, best effort (used when what was to name them could not be saved).
    pub fn undo(&self) {
        for (path, written) in [(&self.ca, self.ca_written), (&self.p12, self.p12_written)] {
            if written {
                let _ = fs::remove_file(path);
            }
        }
        for dir in self.created_dirs.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}

/// One file to put in place.
#[derive(Debug)]
struct StagedFile {
    /// Its copy in the staging folder, when it is to be written.
    staged: Option<PathBuf>,
    /// Where it goes.
    dest: PathBuf,
}

/// The two files copied into a private staging folder inside the destination, ready to
/// be put in place by [`StagedMaterials::commit`]. Dropped without committing, it removes
/// the staging folder and the destination folders it created: nothing new remains.
#[derive(Debug)]
pub struct StagedMaterials {
    ca: StagedFile,
    p12: StagedFile,
    staging: Option<tempfile::TempDir>,
    dest_dir: PathBuf,
    created_dirs: Vec<PathBuf>,
    committed: bool,
}

/// The staging folder prefix used by [`copy_materials`].
const DEFAULT_STAGING_PREFIX: &str = ".fxconfig-import-";

/// Copies the root CA file and the PKCS#12 file into `dest_dir` (created if missing,
/// never wider than 0755), keeping their file names; see [`stage_materials`]. Both are
/// put in place only once both are copied.
///
/// # Errors
/// As [`stage_materials`] and [`StagedMaterials::commit`].
pub fn copy_materials(ca_src: &Path, p12_src: &Path, dest_dir: &Path) -> Result<CopiedMaterials, IdentityError> {
    stage_materials(ca_src, p12_src, dest_dir, OsStr::new(DEFAULT_STAGING_PREFIX))?.commit()
}

/// Checks where the two files go and copies them into a new staging folder inside
/// `dest_dir` named `<staging_prefix><random>`, readable by this account only (0700
/// whatever the umask). The PKCS#12 copy is readable by its owner only (0600) on Unix,
/// the CA copy by everyone (0644). Sources are read as regular files of at most 16 MiB.
///
/// A destination file that is byte-identical to its source, or that is the source
/// itself, is left as it is; a different file of the same name is never overwritten.
///
/// # Errors
/// [`IdentityError::Read`] (and the other bounded-reading errors) for a source;
/// [`IdentityError::DestinationExists`]; [`IdentityError::Write`]. Nothing new remains.
pub fn stage_materials(
    ca_src: &Path,
    p12_src: &Path,
    dest_dir: &Path,
    staging_prefix: &OsStr,
) -> Result<StagedMaterials, IdentityError> {
    let write_error = |path: &Path| {
        let path = path.to_owned();
        move |source| IdentityError::Write { path, source }
    };
    let ca = read_and_compare(ca_src, dest_dir, Material::RootCa)?;
    let p12 = read_and_compare(p12_src, dest_dir, Material::ClientIdentity)?;
    let (ca_contents, ca_dest, ca_needed) = (ca.contents, ca.plan.path, ca.plan.changed);
    let (p12_contents, p12_dest, p12_needed) = (p12.contents, p12.plan.path, p12.plan.changed);

    let created_dirs = files::create_dir_no_wider(dest_dir).map_err(write_error(dest_dir))?;
    let mut staged = StagedMaterials {
        ca: StagedFile {
            staged: None,
            dest: ca_dest,
        },
        p12: StagedFile {
            staged: None,
            dest: p12_dest,
        },
        staging: None,
        dest_dir: dest_dir.to_owned(),
        created_dirs,
        committed: false,
    };
    if !ca_needed && !p12_needed {
        return Ok(staged);
    }
    let staging = files::private_staging_dir(dest_dir, staging_prefix).map_err(write_error(dest_dir))?;
    let folder = staging.path().to_owned();
    staged.staging = Some(staging);
    if ca_needed {
        let path = folder.join("ca");
        write_new(&path, &ca_contents, 0o644).map_err(write_error(&staged.ca.dest))?;
        staged.ca.staged = Some(path);
    }
    if p12_needed {
        let path = folder.join("p12");
        write_new(&path, &p12_contents, 0o600).map_err(write_error(&staged.p12.dest))?;
        staged.p12.staged = Some(path);
    }
    Ok(staged)
}

/// A file the import puts in place: where it goes, the SHA-256 of its contents, and
/// whether it has to be written (false: that file already holds the same contents, or
/// is the source itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlannedCopy {
    /// Where the file goes.
    pub path: PathBuf,
    /// The SHA-256 of the contents, in lowercase hex.
    pub sha256: String,
    /// Whether the file at `path` has to be written.
    pub changed: bool,
}

/// A source read, with its plan.
struct ReadSource {
    contents: zeroize::Zeroizing<Vec<u8>>,
    plan: PlannedCopy,
}

/// Reads `src` (bounded) and works out whether its copy in `dest_dir` must be written.
fn read_and_compare(src: &Path, dest_dir: &Path, material: Material) -> Result<ReadSource, IdentityError> {
    let contents = files::read_regular(src, limits::CERT_MAX_BYTES, material.file_kind())
        .map_err(|error| IdentityError::reading(material, error))?;
    let dest = dest_dir.join(file_name(src, material)?);
    let changed = needs_copy(src, &dest, &contents, material)?;
    let digest = ring::digest::digest(&ring::digest::SHA256, &contents);
    let sha256 = digest.as_ref().iter().map(|byte| format!("{byte:02x}")).collect();
    Ok(ReadSource {
        contents,
        plan: PlannedCopy {
            path: dest,
            sha256,
            changed,
        },
    })
}

/// What [`stage_materials`] would do, without writing anything: for the root CA file and
/// the PKCS#12 file, in that order, where each goes, its SHA-256 and whether it must be
/// written.
///
/// # Errors
/// As [`stage_materials`] before it writes: the sources' reading errors, and
/// [`IdentityError::DestinationExists`] for a different file already at a destination.
pub fn plan_materials(ca_src: &Path, p12_src: &Path, dest_dir: &Path) -> Result<[PlannedCopy; 2], IdentityError> {
    Ok([
        read_and_compare(ca_src, dest_dir, Material::RootCa)?.plan,
        read_and_compare(p12_src, dest_dir, Material::ClientIdentity)?.plan,
    ])
}

impl StagedMaterials {
    /// Where the CA file goes.
    pub fn ca_dest(&self) -> &Path {
        &self.ca.dest
    }

    /// Where the PKCS#12 file goes.
    pub fn p12_dest(&self) -> &Path {
        &self.p12.dest
    }

    /// Puts the staged copies in place (each under its name, never replacing a file that
    /// appeared there meanwhile) and removes the staging folder.
    ///
    /// # Errors
    /// [`IdentityError::DestinationExists`] or [`IdentityError::Write`]; a copy already put
    /// in place is removed again, so nothing new remains.
    pub fn commit(mut self) -> Result<CopiedMaterials, IdentityError> {
        let mut placed: Vec<PathBuf> = Vec::new();
        for item in [&self.ca, &self.p12] {
            let Some(staged) = &item.staged else {
                continue;
            };
            if let Err(error) = place(staged, &item.dest) {
                for path in &placed {
                    let _ = fs::remove_file(path);
                }
                return Err(error);
            }
            placed.push(item.dest.clone());
        }
        if !placed.is_empty() {
            files::sync_folder(&self.dest_dir).map_err(|source| IdentityError::Write {
                path: self.dest_dir.clone(),
                source,
            })?;
        }
        self.committed = true;
        Ok(CopiedMaterials {
            ca: self.ca.dest.clone(),
            p12: self.p12.dest.clone(),
            ca_written: self.ca.staged.is_some(),
            p12_written: self.p12.staged.is_some(),
            created_dirs: self.created_dirs.clone(),
        })
    }
}

impl Drop for StagedMaterials {
    fn drop(&mut self) {
        if let Some(staging) = self.staging.take() {
            let _ = staging.close();
        }
        if !self.committed {
            for dir in self.created_dirs.iter().rev() {
                let _ = fs::remove_dir(dir);
            }
        }
    }
}

fn file_name(src: &Path, material: Material) -> Result<&OsStr, IdentityError> {
    src.file_name().ok_or_else(|| IdentityError::Read {
        path: src.to_owned(),
        material,
        source: io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file"),
    })
}

/// Whether `dest` must be written: not when it is the source itself or already holds the
/// same bytes.
fn needs_copy(src: &Path, dest: &Path, contents: &[u8], material: Material) -> Result<bool, IdentityError> {
    if is_same_file(src, dest) {
        return Ok(false);
    }
    match files::read_regular(dest, limits::CERT_MAX_BYTES, material.file_kind()) {
        Ok(existing) if existing.as_slice() == contents => Ok(false),
        Ok(_) | Err(files::InputError::TooLarge { .. } | files::InputError::NotRegular { .. }) => {
            Err(IdentityError::DestinationExists { path: dest.to_owned() })
        }
        Err(files::InputError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => Ok(true),
        Err(error) => Err(IdentityError::reading(material, error)),
    }
}

/// Links `staged` at `dest` without replacing anything there.
fn place(staged: &Path, dest: &Path) -> Result<(), IdentityError> {
    match fs::hard_link(staged, dest) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            Err(IdentityError::DestinationExists { path: dest.to_owned() })
        }
        // A file system without hard links: rename, after checking that nothing is there.
        Err(_) if fs::symlink_metadata(dest).is_err() => {
            fs::rename(staged, dest).map_err(|source| IdentityError::Write {
                path: dest.to_owned(),
                source,
            })
        }
        Err(source) => Err(IdentityError::Write {
            path: dest.to_owned(),
            source,
        }),
    }
}

/// Creates `path` (which must not exist) with `mode` on Unix and writes `bytes`, synced.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    file.sync_all()
}

fn is_same_file(src: &Path, dest: &Path) -> bool {
    match (fs::canonicalize(src), fs::canonicalize(dest)) {
        (Ok(src), Ok(dest)) => src == dest,
        _ => false,
    }
}
