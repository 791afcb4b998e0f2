//! The app's runtime state, apart from the widgets: the open configuration, the loaded
//! certificates, the doctor run and the rendered public key. It changes only in
//! [`super::FxApp`]'s command and event handlers, never inside widget code.

use std::path::PathBuf;
use std::sync::mpsc::Sender;

use zeroize::Zeroizing;

use crate::cfg::{CfgFile, Finding, LibraryCfg};
use crate::remedy::{self, Explain};

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

/// A running watch of the open file (a worker that reports a change on disk); dropping it ends
/// the watch.
#[derive(Debug)]
pub struct DiskWatch {
    _stop: Sender<()>,
}

impl DiskWatch {
    /// A watch whose worker stops when `stop`'s receiver sees it dropped.
    pub(super) fn new(stop: Sender<()>) -> DiskWatch {
        DiskWatch { _stop: stop }
    }
}

/// An error as the app shows it: what happened, and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The message with its causes.
    pub message: String,
    /// The remedy with its guide citation; may be empty.
    pub remedy: String,
}

impl Problem {
    /// A library error explained.
    pub fn explained(error: &(dyn Explain + 'static)) -> Problem {
        Problem {
            message: remedy::cause_chain(error),
            remedy: remedy::remedy_with_citation(error),
        }
    }

    /// A library error about `path`, its message naming the file when the error does not.
    pub fn about(path: &std::path::Path, error: &(dyn Explain + 'static)) -> Problem {
        let mut problem = Problem::explained(error);
        let shown = path.display().to_string();
        if !problem.message.contains(&shown) {
            problem.message = format!("{shown}: {}", problem.message);
        }
        problem
    }

    /// A plain message without a remedy.
    pub fn plain(message: impl Into<String>) -> Problem {
        Problem {
            message: message.into(),
            remedy: String::new(),
        }
    }
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
    pub after_save: Option<super::command::Pending>,
}

/// Where a copy of a configuration comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CopySource {
    /// The open configuration, as edited.
    OpenDocument,
    /// A file on disk, such as the tarball's `fxpkcs11.cfg`.
    File(PathBuf),
}

/// A configuration that was asked for but does not exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    /// The file.
    pub path: PathBuf,
    /// Whether its folder exists (so the file can be created there).
    pub folder_exists: bool,
}

/// Something loaded by a worker: nothing yet, in progress, done, or failed.
#[derive(Debug, Default)]
pub enum Slot<T> {
    /// Nothing chosen.
    #[default]
    Empty,
    /// Being read.
    Loading(PathBuf),
    /// Read.
    Loaded(PathBuf, T),
    /// Could not be read.
    Failed(PathBuf, Problem),
}

impl<T> Slot<T> {
    /// The loaded value.
    pub fn value(&self) -> Option<&T> {
        match self {
            Slot::Loaded(_, value) => Some(value),
            _ => None,
        }
    }

    /// The file concerned, if any.
    pub fn path(&self) -> Option<&PathBuf> {
        match self {
            Slot::Empty => None,
            Slot::Loading(path) | Slot::Loaded(path, _) | Slot::Failed(path, _) => Some(path),
        }
    }

    /// Whether a read is in progress.
    pub fn is_loading(&self) -> bool {
        matches!(self, Slot::Loading(_))
    }
}
