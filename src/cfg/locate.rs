//! Where the PKCS#11 library looks for its configuration file, and how paths written
//! inside that file are resolved.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// The environment variable that overrides the library's configuration path ([2.2]).
pub const ENV_VAR: &str = "FXPKCS11_CFG";

/// Where the library reads its configuration when `FXPKCS11_CFG` is not set.
#[cfg(windows)]
pub const PLATFORM_DEFAULT: &str = r"C:\Program Files\Futurex\fxpkcs11\fxpkcs11.cfg";

/// Where the library reads its configuration when `FXPKCS11_CFG` is not set.
#[cfg(not(windows))]
pub const PLATFORM_DEFAULT: &str = "/etc/fxpkcs11.cfg";

/// Why the library reads the file it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CfgSource {
    /// `FXPKCS11_CFG` names it.
    EnvVar,
    /// The platform's default location ([2.1] on Windows, [2.2] on Linux).
    PlatformDefault,
}

impl CfgSource {
    /// A short phrase for messages, such as "set by FXPKCS11_CFG".
    pub fn describe(self) -> &'static str {
        match self {
            CfgSource::EnvVar => "set by FXPKCS11_CFG",
            CfgSource::PlatformDefault => "its default location",
        }
    }
}

/// The configuration file the PKCS#11 library will read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LibraryCfg {
    /// The file's path.
    pub path: PathBuf,
    /// Why that path.
    pub source: CfgSource,
}

/// The file the library reads, from this process's `FXPKCS11_CFG`.
pub fn library_cfg_path() -> LibraryCfg {
    library_cfg_path_from(std::env::var_os(ENV_VAR))
}

/// The file the library reads given the value of `FXPKCS11_CFG` (`None` when unset).
/// An empty value counts as unset.
pub fn library_cfg_path_from(env_value: Option<OsString>) -> LibraryCfg {
    match env_value.filter(|value| !value.is_empty()) {
        Some(value) => LibraryCfg {
            path: PathBuf::from(value),
            source: CfgSource::EnvVar,
        },
        None => LibraryCfg {
            path: PathBuf::from(PLATFORM_DEFAULT),
            source: CfgSource::PlatformDefault,
        },
    }
}

/// Whether `path` is the file the library reads: the canonical paths are compared when
/// both files exist, else the absolute paths.
pub fn is_library_cfg(path: &Path, lib: &LibraryCfg) -> bool {
    match (path.canonicalize(), lib.path.canonicalize()) {
        (Ok(mine), Ok(theirs)) => mine == theirs,
        _ => absolute(path) == absolute(&lib.path),
    }
}

/// When `path` is not the file the library reads, a sentence saying so, such as
/// "the PKCS#11 library reads /etc/fxpkcs11.cfg (its default location), not this file".
pub fn library_mismatch_message(path: &Path, lib: &LibraryCfg) -> Option<String> {
    if is_library_cfg(path, lib) {
        return None;
    }
    let hint = match lib.source {
        CfgSource::EnvVar => format!("change {ENV_VAR} or edit that file instead"),
        CfgSource::PlatformDefault => format!(
            "copy this file there or set {ENV_VAR}={} for the ssh user",
            absolute(path).display()
        ),
    };
    Some(format!(
        "the PKCS#11 library reads {} ({}), not this file; {hint}",
        lib.path.display(),
        lib.source.describe()
    ))
}

/// The folder relative path values of the configuration at `cfg_path` are resolved against
/// (empty, the current folder, for a bare file name).
pub fn cfg_folder(cfg_path: &Path) -> &Path {
    cfg_path.parent().unwrap_or(Path::new(""))
}

/// A path value of the configuration: absolute as it is, relative resolved against
/// `cfg_dir`, the configuration file's folder.
pub(crate) fn resolve_in(cfg_dir: &Path, value: &str) -> PathBuf {
    let value = Path::new(value.trim());
    if value.is_absolute() {
        value.to_path_buf()
    } else {
        cfg_dir.join(value)
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
