//! The open configuration, as a feature of the app: reading it (or finding it missing),
//! editing it field by field or as text, validating it, watching the file on disk, saving it
//! after a preview, and what waits for a save (a test, a reload, another file, closing).

mod apply;

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::cfg::{CfgError, CfgFile, Finding, LibraryCfg, SaveReport, locate};
use crate::doctor::CheckId;

use super::super::model::{DiskWatch, Problem};

/// A configuration read by a worker, with what the app shows about it.
#[derive(Debug)]
pub struct LoadedConfig {
    /// The file and its document.
    pub file: CfgFile,
    /// The file the PKCS#11 library reads.
    pub library: LibraryCfg,
    /// Whether the library reads this file.
    pub is_library_file: bool,
    /// Whether the library's file exists.
    pub library_exists: bool,
    /// When the library reads another file, the sentence saying so.
    pub mismatch: Option<String>,
}

/// The configuration being edited.
#[derive(Debug)]
pub struct OpenDocument {
    /// The file and its document.
    pub file: CfgFile,
    /// The bytes as loaded or last saved (the "before" of the diff preview).
    pub baseline: Zeroizing<Vec<u8>>,
    /// The SHA-256 of [`OpenDocument::baseline`], in hex: what a run of the saved file read.
    pub baseline_sha256: String,
    /// Counts every change of the document, to match validation results.
    pub revision: u64,
    /// Whether the document differs from its file (cached after each change).
    pub modified: bool,
    /// The file the PKCS#11 library reads.
    pub library: LibraryCfg,
    /// Whether that is this file.
    pub is_library_file: bool,
    /// Whether the library's file exists.
    pub library_exists: bool,
    /// When the library reads another file, the sentence saying so.
    pub mismatch: Option<String>,
    /// What validation found for [`OpenDocument::findings_revision`].
    pub findings: Vec<Finding>,
    /// The revision the findings belong to.
    pub findings_revision: Option<u64>,
    /// A validation is running.
    pub validating: bool,
    /// Another program changed the file since it was loaded or saved.
    pub changed_on_disk: bool,
    /// Who besides the owner may read the file holding a password, as the last save found.
    pub exposure: Option<crate::files::PasswordExposure>,
    /// The watch on the file, and its generation.
    pub watch: Option<DiskWatch>,
    /// Identifies the current watch, so that a stale one's report is ignored.
    pub watch_generation: u64,
}

impl OpenDocument {
    /// A document as loaded by a worker.
    pub fn from_loaded(loaded: LoadedConfig) -> OpenDocument {
        let baseline = Zeroizing::new(loaded.file.doc.to_bytes());
        let modified = loaded.file.is_modified();
        let baseline_sha256 = crate::doctor::record::sha256_hex(&baseline);
        OpenDocument {
            file: loaded.file,
            baseline,
            baseline_sha256,
            revision: 0,
            modified,
            library: loaded.library,
            is_library_file: loaded.is_library_file,
            library_exists: loaded.library_exists,
            mismatch: loaded.mismatch,
            findings: Vec::new(),
            findings_revision: None,
            validating: false,
            changed_on_disk: false,
            exposure: None,
            watch: None,
            watch_generation: 0,
        }
    }

    /// Replaces the baseline with the file's bytes as just saved or reloaded.
    pub fn set_baseline(&mut self) {
        self.baseline = Zeroizing::new(self.file.doc.to_bytes());
        self.baseline_sha256 = crate::doctor::record::sha256_hex(&self.baseline);
    }

    /// Records a change of the document.
    pub fn touch(&mut self) {
        self.revision += 1;
        self.modified = self.file.is_modified();
    }

    /// Whether the file on disk holds a password that its group or other users may read: as
    /// the last save found, or as validation finds now.
    pub fn password_exposed(&self) -> bool {
        self.exposure.is_some()
            || self
                .findings
                .iter()
                .any(|finding| finding.kind == crate::cfg::FindingKind::ReadableByOthers)
    }

    /// The findings about one tag.
    pub fn findings_for<'a>(&'a self, tag: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings
            .iter()
            .filter(move |f| f.tag.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(tag)))
    }
}

/// The open configuration and what happens to it: loading, a missing file, a load that
/// failed, a save and what follows it.
#[derive(Debug, Default)]
pub struct DocumentState {
    /// The configuration being edited.
    pub open: Option<OpenDocument>,
    /// The configuration being read, if any.
    pub loading: Option<PathBuf>,
    /// A configuration that was asked for but does not exist.
    pub missing: Option<Missing>,
    /// Why the last configuration could not be read.
    pub load_problem: Option<Problem>,
    /// A save is running.
    pub saving: bool,
    /// What to do once the save is done.
    pub after_save: Option<Pending>,
}

/// A configuration that was asked for but does not exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    /// The file.
    pub path: PathBuf,
    /// Whether its folder exists (so the file can be created there).
    pub folder_exists: bool,
}

/// Reads a configuration and works out whether the PKCS#11 library reads it.
pub fn load_config(path: &Path, library: &LibraryCfg) -> Result<Box<LoadedConfig>, CfgError> {
    let file = CfgFile::load(path)?;
    Ok(Box::new(describe(file, library)))
}

/// What the app shows about a configuration file: which file the library reads.
pub fn describe(file: CfgFile, library: &LibraryCfg) -> LoadedConfig {
    let is_library_file = locate::is_library_cfg(&file.path, library);
    let library_exists = library.path.exists();
    let mismatch = locate::library_mismatch_message(&file.path, library);
    LoadedConfig {
        file,
        library: library.clone(),
        is_library_file,
        library_exists,
        mismatch,
    }
}

/// Whether a save failed because this user may not write the file or its folder.
fn is_permission_denied(error: &CfgError) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::PermissionDenied
        {
            return true;
        }
        source = cause.source();
    }
    false
}

/// What the UI asks of the open configuration.
#[derive(Debug)]
pub enum DocumentCommand {
    /// Open a configuration (asking first about unsaved changes).
    Open(PathBuf),
    /// Show the open dialog (asking first about unsaved changes).
    AskOpen,
    /// Start a new configuration at this path (asking first about unsaved changes).
    Create(PathBuf),
    /// Read the open file again (asking first about unsaved changes).
    Reload,
    /// Show the changes a save writes.
    RequestSave,
    /// Write the changes previewed.
    ConfirmSave,
    /// Save under another name.
    AskSaveAs,
    /// Set an entry's value (added when absent).
    SetField {
        /// The section, `None` for the top level.
        section: Option<String>,
        /// The tag.
        tag: String,
        /// The value.
        value: Zeroizing<String>,
    },
    /// Replace the whole document with this text (the raw editor).
    ReplaceText(Zeroizing<String>),
    /// Keep these changes over the file changed on disk: save after a preview.
    KeepMine,
    /// Throw the unsaved changes away and go on with what waited.
    DiscardAndContinue,
    /// Save the unsaved changes (after a preview), then go on with what waited.
    SaveAndContinue,
    /// Make the open file (and its backup) readable by its owner only, keeping the owner.
    TightenPermissions,
    /// Forget a file in the recent list.
    ForgetRecent(PathBuf),
}

/// What the open configuration's workers report.
#[derive(Debug)]
pub enum DocumentEvent {
    /// A configuration was read.
    Loaded {
        /// The file asked for.
        path: PathBuf,
        /// The loaded configuration, or why not.
        result: Result<Box<LoadedConfig>, CfgError>,
        /// Whether the file's folder exists (when the file does not, creating it there is
        /// offered only if it does).
        folder_exists: bool,
    },
    /// The configuration was saved (the file carries its new disk state and path).
    Saved {
        /// The saved file, or why not.
        result: Result<(Box<LoadedConfig>, SaveReport), CfgError>,
        /// The path of a "save as", `None` for the file's own path.
        target: Option<PathBuf>,
    },
    /// Validation of a revision finished.
    Validated {
        /// The revision validated.
        revision: u64,
        /// What it found.
        findings: Vec<Finding>,
    },
    /// The open file changed on disk since it was loaded or saved.
    DiskChanged {
        /// The watch generation that noticed.
        generation: u64,
    },
    /// The permissions of the open file were tightened.
    PermissionsTightened {
        /// The file.
        path: PathBuf,
        /// Nothing, or why not.
        result: Result<(), CfgError>,
    },
    /// The recent files that are gone.
    RecentChecked {
        /// The recent files that no longer exist.
        missing: Vec<PathBuf>,
    },
}

/// An action held back by the unsaved-changes guard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pending {
    /// Open this file.
    Open(PathBuf),
    /// Ask for a file, then open it.
    AskOpen,
    /// Start a new configuration at this path.
    Create(PathBuf),
    /// Read the file again.
    Reload,
    /// Close the window.
    Close,
    /// Run the connection doctor (on the file just saved).
    RunDoctor {
        /// The last check to run, or `None` for all.
        stop_after: Option<CheckId>,
    },
}
