//! Applying TLS materials to a configuration: the step after [3.1.7] where the root
//! CA and the PKCS#12 client identity are moved to the SSH client and named in
//! `fxpkcs11.cfg`.

use std::path::{Path, PathBuf};

use crate::cfg::{CfgDocument, CfgError, CfgFile};
use crate::identity::{self, CaBundle, ClientIdentity, IdentityError};
use crate::remedy::Explain;
use crate::secret::Secret;

/// Why the materials could not be applied. Nothing was changed when this is returned
/// before the copy step, and the configuration is never left half-written.
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
}

/// Checks the CA and the PKCS#12 identity (password, key match, chain to the CA),
/// copies them next to the configuration (or into `dest`), and sets `PROD-TLS-CA`,
/// `PROD-TLS-KEY`, `PROD-TLS-KEY-PASS` and `PROD-TLS-ENABLED=YES`, saved atomically.
pub fn import_tls_materials(request: &ImportRequest<'_>) -> Result<ImportReport, ImportError> {
    let ca = identity::load_ca(request.ca)?;
    let client = identity::load_p12(request.p12, request.password)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    identity::verify_client_chain(&client, &ca, now)?;

    let (mut file, created_config) = if request.config.exists() {
        (CfgFile::load(request.config)?, false)
    } else {
        (CfgFile::new_unsaved(request.config, CfgDocument::parse(b"")?), true)
    };
    let dest = match request.dest {
        Some(dest) => dest.to_owned(),
        None => match request.config.parent() {
            Some(parent) if parent.as_os_str().is_empty() => PathBuf::from("."),
            Some(parent) => parent.to_owned(),
            None => return Err(ImportError::NoDestination(request.config.to_owned())),
        },
    };
    let copied = identity::copy_materials(request.ca, request.p12, &dest)?;
    let ca_path = std::path::absolute(&copied.ca).unwrap_or(copied.ca);
    let p12_path = std::path::absolute(&copied.p12).unwrap_or(copied.p12);

    file.doc.set(None, "PROD-TLS-CA", &ca_path.to_string_lossy())?;
    file.doc.set(None, "PROD-TLS-KEY", &p12_path.to_string_lossy())?;
    file.doc.set(None, "PROD-TLS-KEY-PASS", request.password.expose())?;
    file.doc.set(None, "PROD-TLS-ENABLED", "YES")?;
    file.save()?;
    Ok(ImportReport {
        ca_path,
        p12_path,
        ca,
        identity: client,
        created_config,
    })
}
