//! The checks made on a module file before anything loads it.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Pkcs11Error;
use super::binary::{self, BinaryHeader, FileKind, HeaderProblem};
use super::deps::{self, DependencyReport};

/// The largest module file read.
const MAX_MODULE_LEN: u64 = 512 * 1024 * 1024;

/// A module file that passed the header checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleFile {
    /// The path as given.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// What its header says.
    pub header: BinaryHeader,
}

/// Checks that `path` is a shared library this machine can load: it exists, is
/// readable, is ELF/PE/Mach-O as this system uses, for this processor and word size.
///
/// Reads the file only; nothing is loaded, so a broken file cannot crash the caller.
///
/// # Errors
///
/// [`Pkcs11Error::ModuleNotFound`], [`Pkcs11Error::ModuleUnreadable`],
/// [`Pkcs11Error::NotALibrary`], [`Pkcs11Error::Malformed`],
/// [`Pkcs11Error::NotSharedLibrary`] or [`Pkcs11Error::WrongPlatform`].
pub fn inspect_module(path: &Path) -> Result<ModuleFile, Pkcs11Error> {
    let metadata = std::fs::metadata(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => Pkcs11Error::ModuleNotFound {
            path: path.to_path_buf(),
            source,
        },
        _ => Pkcs11Error::ModuleUnreadable {
            path: path.to_path_buf(),
            source,
        },
    })?;
    if metadata.is_dir() {
        return Err(Pkcs11Error::NotALibrary {
            path: path.to_path_buf(),
            what: "a folder".to_owned(),
        });
    }
    // Opening a named pipe would wait for a writer; a device may never end.
    if !metadata.is_file() {
        return Err(Pkcs11Error::NotALibrary {
            path: path.to_path_buf(),
            what: "not a regular file (a named pipe, socket or device)".to_owned(),
        });
    }
    let unreadable = |source| Pkcs11Error::ModuleUnreadable {
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(unreadable)?
        .take(MAX_MODULE_LEN)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    let header = binary::parse(&bytes).map_err(|problem| match problem {
        HeaderProblem::NotBinary(what) => Pkcs11Error::NotALibrary {
            path: path.to_path_buf(),
            what,
        },
        HeaderProblem::Malformed(reason) => Pkcs11Error::Malformed {
            path: path.to_path_buf(),
            reason,
        },
    })?;
    let (format, machine, bits) = binary::host_target();
    if header.format != format || header.machine != machine || header.bits != bits {
        return Err(Pkcs11Error::WrongPlatform {
            path: path.to_path_buf(),
            found: header.describe(),
            expected: format!("{format} {bits}-bit {machine}"),
        });
    }
    if header.kind != FileKind::SharedLibrary {
        return Err(Pkcs11Error::NotSharedLibrary {
            path: path.to_path_buf(),
            found: header.describe(),
        });
    }
    Ok(ModuleFile {
        path: path.to_path_buf(),
        size: metadata.len(),
        header,
    })
}

/// Follows the module's library dependencies as the system loader would.
///
/// # Errors
///
/// [`Pkcs11Error::MissingDependencies`] naming each library that would not be
/// found and the file that needs it.
pub fn check_dependencies(module: &ModuleFile) -> Result<DependencyReport, Pkcs11Error> {
    let report = deps::resolve(&module.path, &module.header);
    let missing: Vec<String> = report
        .missing()
        .iter()
        .map(|dep| {
            let mut text = if dep.needed_by == module.path {
                dep.name.clone()
            } else {
                format!("{} (needed by {})", dep.name, dep.needed_by.display())
            };
            if !dep.rejected.is_empty() {
                text.push_str(&format!("; passed over: {}", dep.rejected.join("; ")));
            }
            text
        })
        .collect();
    if missing.is_empty() {
        Ok(report)
    } else {
        Err(Pkcs11Error::MissingDependencies {
            path: module.path.clone(),
            missing,
        })
    }
}
