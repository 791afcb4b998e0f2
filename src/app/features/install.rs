//! The fxpkcs11 installation, as a feature of the app: where the module and the library's
//! configuration are, a new configuration or a copy written where the library reads it,
//! and, when this account may not write there, a copy elsewhere with the commands that put
//! it in place.

use std::path::{Path, PathBuf};

use crate::cfg::init::{self, InitBlocker, InitError, InitPlan, InitReport};
use crate::cfg::{self, CfgDocument, CfgFile, LibraryCfg};
use crate::install::{self, Installation, LocateRequest, SearchFolder};

use super::super::FxApp;
use super::super::command::{Command, Pending};
use super::super::dialogs::DialogPurpose;
use super::super::diff::{self, DiffLine};
use super::super::modals::Modal;
use super::super::model::{CopySource, Problem};
use super::super::tasks::TaskEvent;

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

impl From<InstallCommand> for Command {
    fn from(command: InstallCommand) -> Command {
        Command::Install(command)
    }
}

impl From<InstallEvent> for TaskEvent {
    fn from(event: InstallEvent) -> TaskEvent {
        TaskEvent::Install(event)
    }
}

impl FxApp {
    /// Applies a command of this feature.
    pub(in crate::app) fn apply_install(&mut self, command: InstallCommand) {
        match command {
            InstallCommand::Init { path: Some(path) } => match CfgDocument::parse(cfg::blank_template().as_bytes()) {
                Ok(doc) => self.start_init(path, doc, false, None),
                Err(error) => self.explain("The template could not be read", &error),
            },
            InstallCommand::Init { path: None } => self.open_dialog(DialogPurpose::NewConfig),
            InstallCommand::PrepareCopy { source, target } => {
                let doc = match &source {
                    CopySource::OpenDocument => self.document.open.as_ref().map(|doc| doc.file.doc.clone()),
                    CopySource::File(_) => None,
                };
                self.spawn("copy", move || {
                    InstallEvent::CopyPrepared(prepare_copy(source, doc, target))
                });
            }
            InstallCommand::ConfirmCopy => {
                if let Some(Modal::CopyPreview(preview)) = self.ui.modal.take() {
                    let preview = *preview;
                    self.start_init(preview.target, preview.doc, preview.plan.exists, None);
                }
            }
            InstallCommand::SaveElsewhere => {
                if matches!(self.ui.modal, Some(Modal::CannotWrite { .. })) {
                    self.ui.modal = None;
                }
                if self.install.elsewhere.is_some() {
                    self.open_dialog(DialogPurpose::SaveElsewhere);
                }
            }
            InstallCommand::Locate => self.locate(),
            InstallCommand::DismissHint => self.install.hint = None,
            InstallCommand::SaveCopyFor(meant) => {
                if self.document.open.is_some() {
                    self.install.target = Some(meant);
                    self.open_dialog(DialogPurpose::SaveConfigAs);
                }
            }
        }
    }

    /// Applies what a worker of this feature reported.
    pub(in crate::app) fn handle_install(&mut self, event: InstallEvent) {
        match event {
            InstallEvent::Located(found) => {
                self.install.locating = false;
                self.install.found = Some(*found);
            }
            InstallEvent::Planned(plan) => self.install.library_plan = Some(*plan),
            InstallEvent::Initialized {
                target,
                result,
                doc,
                install_for,
            } => self.initialized(target, result, *doc, install_for),
            InstallEvent::CopyPrepared(result) => match result {
                Ok(preview) if preview.plan.blocker == Some(InitBlocker::FolderNotWritable) => {
                    let source = match &preview.source {
                        CopySource::File(path) => Some(path.clone()),
                        CopySource::OpenDocument if !self.is_modified() => self.open_path().map(Path::to_owned),
                        CopySource::OpenDocument => None,
                    };
                    let reason = format!("this account may not create files in {}", preview.plan.folder.display());
                    self.cannot_write(preview.target, preview.doc, reason, source);
                }
                Ok(preview) => self.ui.modal = Some(Modal::CopyPreview(preview)),
                Err(problem) => self.error(format!("Not copied: {}", problem.message)),
            },
        }
    }

    /// Searches the fxpkcs11 installation on a worker.
    pub(in crate::app) fn locate(&mut self) {
        if self.install.locating {
            return;
        }
        self.install.locating = true;
        let folders = self.options.install_folders.clone();
        let library = self.options.library();
        let module = self.module_configured().then(|| PathBuf::from(self.module_path()));
        let editing = self.open_path().map(Path::to_owned);
        self.spawn("locate", move || {
            InstallEvent::Located(Box::new(locate_installation(folders, library, module, editing)))
        });
    }
    /// Finds out, on a worker, whether the library's file can be created.
    pub(in crate::app) fn plan_library(&mut self) {
        let library = self.options.library();
        self.spawn("plan", move || {
            InstallEvent::Planned(Box::new(cfg::init::plan_for(&library.path, &library)))
        });
    }
    /// Writes `doc` as a new file at `target` on a worker (never over an existing file unless
    /// `force`); `install_for` names the file it is a copy for, when written elsewhere.
    pub(in crate::app) fn start_init(
        &mut self,
        target: PathBuf,
        doc: CfgDocument,
        force: bool,
        install_for: Option<PathBuf>,
    ) {
        self.ui.writes += 1;
        self.spawn("init", move || InstallEvent::Initialized {
            result: cfg::init::create(&target, &doc, force),
            target,
            doc: Box::new(doc),
            install_for,
        });
    }
    /// A configuration file was created, or not.
    pub(in crate::app) fn initialized(
        &mut self,
        target: PathBuf,
        result: Result<InitReport, InitError>,
        doc: CfgDocument,
        install_for: Option<PathBuf>,
    ) {
        self.ui.writes = self.ui.writes.saturating_sub(1);
        match result {
            Ok(report) => {
                let mode = report.mode.map(|mode| format!(", mode {mode:04o}")).unwrap_or_default();
                let backup = report
                    .backup
                    .as_ref()
                    .map(|backup| format!("; the previous contents are in {}", backup.display()))
                    .unwrap_or_default();
                self.info(format!("Wrote {}{mode}{backup}.", report.path.display()));
                if let Some(meant) = install_for {
                    self.install.hint = Some(InstallHint::new(report.path.clone(), meant));
                }
                self.guarded(Pending::Open(report.path));
                self.locate();
                self.plan_library();
            }
            Err(InitError::NotWritable { plan, elsewhere }) => {
                let reason = format!("this account may not create files in {}", plan.folder.display());
                self.offer_elsewhere(target, doc, reason, elsewhere, None);
            }
            Err(error) => {
                let exists = matches!(error, InitError::Exists { .. });
                self.ui.modal = Some(Modal::NotCreated {
                    path: target,
                    problem: Problem::explained(&error),
                    exists,
                });
            }
        }
    }
    /// Says that `target` cannot be written, and keeps `doc` for "Save elsewhere…".
    pub(in crate::app) fn cannot_write(
        &mut self,
        target: PathBuf,
        doc: CfgDocument,
        reason: String,
        source: Option<PathBuf>,
    ) {
        let elsewhere = cfg::init::home_cfg().filter(|home| *home != target);
        self.offer_elsewhere(target, doc, reason, elsewhere, source);
    }
    /// Shows why `target` cannot be written, offering `elsewhere` (a file this account can write)
    /// and keeping `doc` for "Save elsewhere…".
    pub(in crate::app) fn offer_elsewhere(
        &mut self,
        target: PathBuf,
        doc: CfgDocument,
        reason: String,
        elsewhere: Option<PathBuf>,
        source: Option<PathBuf>,
    ) {
        self.install.elsewhere = Some(Elsewhere {
            target: target.clone(),
            doc,
        });
        self.ui.modal = Some(Modal::CannotWrite {
            target,
            reason,
            elsewhere,
            source,
        });
    }
}
