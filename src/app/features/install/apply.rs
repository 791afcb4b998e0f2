//! How the commands and the workers' events of this feature change the app.

use std::path::{Path, PathBuf};

use crate::cfg::init::{InitBlocker, InitError, InitReport};
use crate::cfg::{self, CfgDocument};

use super::super::super::FxApp;
use super::super::super::dialogs::DialogPurpose;
use super::super::super::modals::Modal;
use super::super::super::model::{CopySource, Problem};
use super::super::document::Pending;
use super::*;

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
