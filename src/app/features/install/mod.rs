//! The fxpkcs11 installation, as a feature of the app: where the module and the library's
//! configuration are, a new configuration or a copy written where the library reads it,
//! and, when this account may not write there, a copy elsewhere with the commands that put
//! it in place.

mod apply;

use std::path::PathBuf;

use crate::cfg::init::{self, InitError, InitPlan, InitReport};
use crate::cfg::{CfgDocument, CfgFile, LibraryCfg};
use crate::install::{self, Installation, LocateRequest, SearchFolder};

use super::super::diff::{self, DiffLine};
use super::super::model::{CopySource, Problem};

/// What the app found of the fxpkcs11 installation, whether the library's file can be
/// created, and a configuration meant for a file this account may not write.
#[derive(Debug, Default)]
pub struct InstallState {
    /// A search is running.
    pub locating: bool,
    /// The last search's findings.
    pub found: Option<crate::install::Installation>,
    /// Whether the library's file can be created, found before anything is written.
    pub library_plan: Option<crate::cfg::init::InitPlan>,
    /// What "Save elsewhere…" would write, and where it was meant to go.
    pub elsewhere: Option<Elsewhere>,
    /// The commands that put a configuration written elsewhere in place, until dismissed.
    pub hint: Option<InstallHint>,
    /// The file the configuration being saved elsewhere is meant for.
    pub target: Option<PathBuf>,
}

/// A configuration written somewhere this account may write, for a file it may not: the
/// commands that put it in place, shown until dismissed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallHint {
    /// The file written.
    pub written: PathBuf,
    /// Where the library should find it.
    pub target: PathBuf,
    /// `sudo install -m 600 WRITTEN TARGET` (a `copy` on Windows).
    pub install: String,
    /// `export FXPKCS11_CFG=WRITTEN` (`setx` on Windows).
    pub env: String,
}

impl InstallHint {
    /// The hint for a copy at `written` of the file meant for `target`.
    pub fn new(written: PathBuf, target: PathBuf) -> InstallHint {
        InstallHint {
            install: crate::cfg::init::install_command(&written, &target),
            env: crate::cfg::init::env_command(&written),
            written,
            target,
        }
    }
}

/// A configuration meant for a file this account may not write: what "Save elsewhere…"
/// writes instead, and where it was meant to go.
#[derive(Clone, Debug)]
pub struct Elsewhere {
    /// The file meant.
    pub target: PathBuf,
    /// The document to write.
    pub doc: CfgDocument,
}

/// A copy of a configuration onto another file, before it is written.
#[derive(Debug)]
pub struct CopyPreview {
    /// Where the copy comes from.
    pub source: CopySource,
    /// The file it goes to.
    pub target: PathBuf,
    /// What it writes.
    pub doc: CfgDocument,
    /// The line diff from the target's current contents (empty when it does not exist),
    /// passwords masked.
    pub lines: Vec<DiffLine>,
    /// Whether the target can be written, and the commands when it cannot.
    pub plan: InitPlan,
}

/// Reads the source of a copy and compares it with the target. Blocking: run it on a worker.
pub fn prepare_copy(
    source: CopySource,
    doc: Option<CfgDocument>,
    target: PathBuf,
) -> Result<Box<CopyPreview>, Problem> {
    let doc = match (&source, doc) {
        (_, Some(doc)) => doc,
        (CopySource::File(path), None) => CfgFile::load(path).map_err(|error| Problem::about(path, &error))?.doc,
        (CopySource::OpenDocument, None) => return Err(Problem::plain("No configuration is open.")),
    };
    let plan = init::plan(&target);
    let current = if plan.exists {
        CfgFile::load(&target)
            .map_err(|error| Problem::about(&target, &error))?
            .doc
            .to_bytes()
    } else {
        Vec::new()
    };
    let lines = diff::diff_lines(&current, &doc.to_bytes());
    Ok(Box::new(CopyPreview {
        source,
        target,
        doc,
        lines,
        plan,
    }))
}

/// Searches the installation on a worker.
pub fn locate_installation(
    folders: Option<Vec<SearchFolder>>,
    library: LibraryCfg,
    module: Option<PathBuf>,
    editing: Option<PathBuf>,
) -> Installation {
    let mut request = match folders {
        Some(folders) => LocateRequest::new(folders, library),
        None => {
            let mut request = LocateRequest::from_environment();
            request.library = library;
            request
        }
    };
    if let Some(module) = module {
        request = request.with_module(&module);
    }
    if let Some(editing) = editing {
        request = request.editing(&editing);
    }
    install::locate(&request)
}

/// What the UI asks of the installation feature.
#[derive(Debug)]
pub enum InstallCommand {
    /// Create a configuration from the template at `path`, or ask where (`None`).
    Init {
        /// Where, or `None` to ask.
        path: Option<PathBuf>,
    },
    /// Compare a copy of a configuration with its target, before writing it.
    PrepareCopy {
        /// Where the copy comes from.
        source: CopySource,
        /// The file it goes to.
        target: PathBuf,
    },
    /// Write the copy previewed.
    ConfirmCopy,
    /// Save the configuration meant for a file this account may not write somewhere it may.
    SaveElsewhere,
    /// Search the installation again.
    Locate,
    /// Hide the commands for a configuration written elsewhere.
    DismissHint,
    /// Save a copy of the open configuration meant for this file (which could not be written).
    SaveCopyFor(PathBuf),
}

/// What the installation feature's workers report.
#[derive(Debug)]
pub enum InstallEvent {
    /// The installation search ended.
    Located(Box<Installation>),
    /// Whether the library's file can be created, found before writing.
    Planned(Box<InitPlan>),
    /// A configuration file was created (a new one, or a copy).
    Initialized {
        /// The file asked for.
        target: PathBuf,
        /// What was written, or why not.
        result: Result<InitReport, InitError>,
        /// The document that was to be written (to write it elsewhere when it cannot be).
        doc: Box<CfgDocument>,
        /// When this is a copy written elsewhere: the file the library reads it as.
        install_for: Option<PathBuf>,
    },
    /// A copy was compared with its target.
    CopyPrepared(Result<Box<CopyPreview>, Problem>),
}
