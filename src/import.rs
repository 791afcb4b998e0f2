//! Applying TLS materials to a configuration: the step after [3.1.7] where the root
//! CA and the PKCS#12 client identity are moved to the SSH client and named in
//! `fxpkcs11.cfg`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::cfg::{CfgDocument, CfgError, LockedCfg, SaveOptions, SaveReport};
use crate::files;
use crate::identity::{self, CaBundle, ClientIdentity, IdentityError};
use crate::remedy::Explain;
use crate::secret::Secret;

/// Why the materials could not be applied. Nothing was changed when this is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The CA or the PKCS#12 file is unusable, or the client certificate does not chain to the CA.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// The configuration could not be read or saved.
    #[error(transparent)]
    Config(#[from] CfgError),
    /// The configuration path has no parent folder to copy the files into.
    #[error("{0} has no folder to copy the certificates into; give --dest")]
    NoDestination(PathBuf),
}

impl Explain for ImportError {
    fn remedy(&self) -> String {
        match self {
            ImportError::Identity(e) => e.remedy(),
            ImportError::Config(e) => e.remedy(),
            ImportError::NoDestination(_) => "Name the folder for the certificate files with --dest".to_owned(),
        }
    }

    fn guide_section(&self) -> Option<&'static str> {
        match self {
            ImportError::Identity(e) => e.guide_section(),
            ImportError::Config(e) => e.guide_section(),
            ImportError::NoDestination(_) => Some("4.2"),
        }
    }
}

/// What to import.
#[derive(Debug)]
pub struct ImportRequest<'a> {
    /// The configuration to update; created with a `KMS` section if it does not exist.
    pub config: &'a Path,
    /// The root CA exported in [3.1.4].
    pub ca: &'a Path,
    /// The PKCS#12 client identity exported in [3.1.7].
    pub p12: &'a Path,
    /// The PKCS#12 password.
    pub password: &'a Secret,
    /// Where to copy the two files; `None` means the configuration's folder.
    pub dest: Option<&'a Path>,
    /// Make the configuration and its backup readable by their owner only (0600),
    /// since they will hold the PKCS#12 password.
    pub tighten_permissions: bool,
}

/// What was done.
#[derive(Debug)]
pub struct ImportReport {
    /// The CA as copied.
    pub ca_path: PathBuf,
    /// The PKCS#12 file as copied.
    pub p12_path: PathBuf,
    /// The CA certificates.
    pub ca: CaBundle,
    /// The client identity.
    pub identity: ClientIdentity,
    /// Whether the configuration file was created.
    pub created_config: bool,
    /// How the configuration was saved, including whether other users may read the
    /// password now in it ([`SaveReport::exposure`]).
    pub saved: SaveReport,
}

/// Imports the TLS materials all or nothing:
///
/// 1. checks the CA and the PKCS#12 identity (password, key match, chain to the CA);
/// 2. locks the configuration and prepares its new contents (`PROD-TLS-CA`,
///    `PROD-TLS-KEY`, `PROD-TLS-KEY-PASS`, `PROD-TLS-ENABLED=YES`), which checks the values;
/// 3. copies the two files into a private staging folder beside their destination (the
///    configuration's folder, or `dest`);
/// 4. saves the configuration (atomically, with its backup);
/// 5. puts the copies in place, and puts the configuration back if that fails.
///
/// On any error nothing new remains: no copied file, no staging folder, no created
/// destination folder, and the configuration as it was.
pub fn import_tls_materials(request: &ImportRequest<'_>) -> Result<ImportReport, ImportError> {
    let ca = identity::load_ca(request.ca)?;
    let client = identity::load_p12_within(request.p12, request.password, identity::P12_TIME_LIMIT)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    identity::verify_client_chain(&client, &ca, now)?;

    let dest = match request.dest {
        Some(dest) => dest.to_owned(),
        None => match request.config.parent() {
            Some(parent) if parent.as_os_str().is_empty() => PathBuf::from("."),
            Some(parent) => parent.to_owned(),
            None => return Err(ImportError::NoDestination(request.config.to_owned())),
        },
    };
    let mut locked = LockedCfg::open(request.config)?;
    let created_config = locked.current().is_none();
    let mut doc = CfgDocument::parse(locked.current().unwrap_or_default())?;
    let ca_path = absolute_in(&dest, request.ca);
    let p12_path = absolute_in(&dest, request.p12);
    doc.set(None, "PROD-TLS-CA", &ca_path.to_string_lossy())?;
    doc.set(None, "PROD-TLS-KEY", &p12_path.to_string_lossy())?;
    doc.set(None, "PROD-TLS-KEY-PASS", request.password.expose())?;
    doc.set(None, "PROD-TLS-ENABLED", "YES")?;

    let prefix = staging_prefix(locked.target());
    files::remove_stale_dirs(&dest, &prefix);
    let staged = identity::stage_materials(request.ca, request.p12, &dest, &prefix)?;
    let bytes = Zeroizing::new(doc.to_bytes());
    let options = SaveOptions {
        tighten_permissions: request.tighten_permissions,
    };
    let mut saved = locked.write(&bytes, options)?;
    if let Err(error) = staged.commit() {
        locked.restore()?;
        return Err(error.into());
    }
    if request.password.is_empty() {
        saved.exposure = None;
    }
    Ok(ImportReport {
        ca_path,
        p12_path,
        ca,
        identity: client,
        created_config,
        saved,
    })
}

/// The absolute path `src`'s file name gets in `dest`.
fn absolute_in(dest: &Path, src: &Path) -> PathBuf {
    let path = dest.join(src.file_name().unwrap_or_default());
    std::path::absolute(&path).unwrap_or(path)
}

/// `.<configuration file name>.import-`: the prefix of the import's staging folders.
fn staging_prefix(config: &Path) -> OsString {
    let mut prefix = OsString::from(".");
    prefix.push(config.file_name().unwrap_or_default());
    prefix.push(".import-");
    prefix
}
