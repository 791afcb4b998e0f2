//! Applying TLS materials to a configuration: the step after [3.1.7] where the root
//! CA and the PKCS#12 client identity are moved to the SSH client and named in
//! `fxpkcs11.cfg`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::cfg::{CfgDocument, CfgError, EntryChange, LockedCfg, SaveOptions, SaveReport, tag};
use crate::files;
use crate::files::PasswordExposure;
use crate::identity::{self, CaBundle, ClientIdentity, IdentityError, PlannedCopy};
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

/// How to import: for real, or only working out what would change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Work out what would change and write nothing (`--check`).
    pub check: bool,
    /// Give the change to the configuration as a unified diff, passwords masked.
    pub diff: bool,
}

/// What was done (or, with [`ImportOptions::check`], would be done).
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
    /// Whether the configuration file was (or would be) created.
    pub created_config: bool,
    /// Whether anything changed (or would change): an entry of the configuration or a copy.
    pub changed: bool,
    /// The configuration entries changed, passwords masked.
    pub changes: Vec<EntryChange>,
    /// The CA and PKCS#12 copies, in that order, with their SHA-256 and whether each was
    /// (or would be) written.
    pub files: [PlannedCopy; 2],
    /// The change to the configuration as a unified diff, when asked for.
    pub diff: Option<String>,
    /// How the configuration was saved; `None` when nothing was written.
    pub saved: Option<SaveReport>,
    /// Who besides its owner may read the configuration, now that it holds the PKCS#12
    /// password (Unix only).
    pub exposure: Option<PasswordExposure>,
}

/// The configuration entries an import sets.
fn import_values<'a>(ca_path: &'a str, p12_path: &'a str, password: &'a Secret) -> [(&'static str, &'a str); 4] {
    [
        (tag::PROD_TLS_CA, ca_path),
        (tag::PROD_TLS_KEY, p12_path),
        (tag::PROD_TLS_KEY_PASS, password.expose()),
        (tag::PROD_TLS_ENABLED, "YES"),
    ]
}

/// Imports the TLS materials all or nothing; see [`import_tls_materials_with`].
///
/// # Errors
/// As [`import_tls_materials_with`].
pub fn import_tls_materials(request: &ImportRequest<'_>) -> Result<ImportReport, ImportError> {
    import_tls_materials_with(request, ImportOptions::default())
}

/// Imports the TLS materials all or nothing:
///
/// 1. checks the CA and the PKCS#12 identity (password, key match, chain to the CA);
/// 2. works out, without writing, the new configuration (`PROD-TLS-CA`, `PROD-TLS-KEY`,
///    `PROD-TLS-KEY-PASS`, `PROD-TLS-ENABLED=YES`), which checks the values, and which
///    copies differ from what is in place (compared by content; their SHA-256 is
///    reported). When nothing differs, or with [`ImportOptions::check`], it stops here:
///    nothing is written, not even the lock file;
/// 3. locks the configuration and prepares its new contents again from the file as it is now;
/// 4. copies the two files into a private staging folder beside their destination (the
///    configuration's folder, or `dest`), removing staging folders that an import killed
///    earlier left behind;
/// 5. puts the copies in place (each a new file: a different file of the same name is never
///    replaced);
/// 6. saves the configuration (atomically, with its backup), and takes the copies back out
///    if that fails.
///
/// On any error nothing new remains: no copied file, no staging folder, no created
/// destination folder, and the configuration as it was. Killed at any instant, it never
/// leaves a configuration that names a copy that is not in place.
///
/// # Errors
/// [`ImportError::Identity`] when the materials are unusable or a different file is in
/// the way of a copy; [`ImportError::Config`] when the configuration cannot be read or
/// saved; [`ImportError::NoDestination`].
pub fn import_tls_materials_with(
    request: &ImportRequest<'_>,
    options: ImportOptions,
) -> Result<ImportReport, ImportError> {
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
    let ca_path = absolute_in(&dest, request.ca);
    let p12_path = absolute_in(&dest, request.p12);
    let ca_text = ca_path.to_string_lossy().into_owned();
    let p12_text = p12_path.to_string_lossy().into_owned();
    let values = import_values(&ca_text, &p12_text, request.password);

    // What would change, worked out without the lock.
    let before = crate::cfg::file::read_optional(request.config)?;
    let mut doc = CfgDocument::parse(before.as_deref().map(Vec::as_slice).unwrap_or_default())?;
    let changes = crate::cfg::set_values(&mut doc, None, &values)?;
    let after = Zeroizing::new(doc.to_bytes());
    let mut files = identity::plan_materials(request.ca, request.p12, &dest)?;
    files[0].path.clone_from(&ca_path);
    files[1].path.clone_from(&p12_path);
    let config_changed = before.as_deref().map(Vec::as_slice) != Some(after.as_slice());
    let changed = config_changed || files.iter().any(|file| file.changed);
    let diff = options.diff.then(|| {
        let label = request.config.display().to_string();
        crate::cfg::diff::unified(
            before.as_deref().map(Vec::as_slice).unwrap_or_default(),
            &after,
            &label,
            3,
        )
    });
    let mut report = ImportReport {
        ca_path,
        p12_path,
        ca,
        identity: client,
        created_config: before.is_none(),
        changed,
        changes,
        files,
        diff,
        saved: None,
        exposure: None,
    };
    if !changed || options.check {
        if !request.password.is_empty() && before.is_some() {
            report.exposure = crate::cfg::CfgFile::new_unsaved(request.config, doc).exposure();
        }
        return Ok(report);
    }

    let mut locked = LockedCfg::open(request.config)?;
    report.created_config = locked.current().is_none();
    let mut doc = CfgDocument::parse(locked.current().unwrap_or_default())?;
    crate::cfg::set_values(&mut doc, None, &values)?;

    let prefix = staging_prefix(locked.target());
    files::remove_stale_dirs(&dest, &prefix);
    let staged = identity::stage_materials(request.ca, request.p12, &dest, &prefix)?;
    let bytes = Zeroizing::new(doc.to_bytes());
    let save = SaveOptions {
        tighten_permissions: request.tighten_permissions,
    };
    // The copies go in place before the configuration names them, so that a kill at any
    // instant (SIGKILL included) never leaves a configuration naming a file that is not
    // there: at worst new copies that nothing names yet, which the next import finds in
    // place. Copies only ever create new files, so taking them back out undoes them.
    let copied = staged.commit()?;
    let mut saved = match locked.write(&bytes, save) {
        Ok(saved) => saved,
        Err(error) => {
            copied.undo();
            return Err(error.into());
        }
    };
    if request.password.is_empty() {
        saved.exposure = None;
    }
    report.exposure = saved.exposure.clone();
    report.saved = Some(saved);
    Ok(report)
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
