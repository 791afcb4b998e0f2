//! How the commands and the workers' events of this feature change the app.

use std::path::{Path, PathBuf};

use egui::ViewportCommand;
use zeroize::Zeroizing;

use crate::cfg::{self, CfgDocument, CfgError, CfgFile};

use super::super::super::dialogs::DialogPurpose;
use super::super::super::features::install::InstallHint;
use super::super::super::modals::Modal;
use super::super::super::model::{DiskWatch, Problem};
use super::super::super::screens::Screen;
use super::super::super::widgets::FocusTarget;
use super::super::super::{FxApp, diff};
use super::*;

impl FxApp {
    /// Applies a command of this feature.
    pub(in crate::app) fn apply_document(&mut self, ctx: &egui::Context, command: DocumentCommand) {
        match command {
            DocumentCommand::Open(path) => self.guarded(Pending::Open(path)),
            DocumentCommand::AskOpen => self.guarded(Pending::AskOpen),
            DocumentCommand::Create(path) => self.guarded(Pending::Create(path)),
            DocumentCommand::Reload => self.guarded(Pending::Reload),
            DocumentCommand::RequestSave => {
                if self.document.open.is_some() && !self.document.saving {
                    self.request_save(None);
                }
            }
            DocumentCommand::ConfirmSave => {
                if let Some(Modal::ReviewSave { then, .. }) = self.ui.modal.take() {
                    self.document.after_save = then;
                    let overwrite = self.changed_on_disk();
                    let path = overwrite.then(|| self.open_path().map(Path::to_owned)).flatten();
                    self.start_save(path);
                }
            }
            DocumentCommand::AskSaveAs => {
                if self.document.open.is_some() {
                    self.open_dialog(DialogPurpose::SaveConfigAs);
                }
            }
            DocumentCommand::SetField { section, tag, value } => self.set_field(section.as_deref(), &tag, value.trim()),
            DocumentCommand::ReplaceText(text) => {
                if let Some(doc) = &mut self.document.open {
                    match CfgDocument::parse(text.as_bytes()) {
                        Ok(parsed) => {
                            doc.file.doc = parsed;
                            doc.touch();
                        }
                        Err(error) => self.explain("The text was not applied", &error),
                    }
                }
            }
            DocumentCommand::KeepMine => {
                if self.document.open.is_some() {
                    self.request_save(None);
                }
            }
            DocumentCommand::DiscardAndContinue => {
                if let Some(Modal::Unsaved { then }) = self.ui.modal.take() {
                    self.perform(ctx, then);
                }
            }
            DocumentCommand::SaveAndContinue => match self.ui.modal.take() {
                Some(Modal::Unsaved { then }) => self.request_save(Some(then)),
                Some(Modal::UnsavedTest { stop_after }) => self.request_save(Some(Pending::RunDoctor { stop_after })),
                other => self.ui.modal = other,
            },
            DocumentCommand::TightenPermissions => {
                if let Some(path) = self.open_path().map(Path::to_owned) {
                    self.spawn("chmod", move || DocumentEvent::PermissionsTightened {
                        result: cfg::tighten_permissions(&path),
                        path,
                    });
                }
            }
            DocumentCommand::ForgetRecent(path) => {
                self.settings.prefs.forget_file(&path);
                self.settings.recent_missing.remove(&path);
                self.save_prefs();
            }
        }
    }

    /// Applies what a worker of this feature reported.
    pub(in crate::app) fn handle_document(&mut self, ctx: &egui::Context, event: DocumentEvent) {
        match event {
            DocumentEvent::Loaded {
                path,
                result,
                folder_exists,
            } => self.config_loaded(path, result, folder_exists),
            DocumentEvent::Saved { result, target } => self.saved(ctx, result, target),
            DocumentEvent::Validated { revision, findings } => {
                if let Some(doc) = &mut self.document.open {
                    doc.validating = false;
                    if doc.revision == revision {
                        doc.findings = findings;
                        doc.findings_revision = Some(revision);
                    }
                }
            }
            DocumentEvent::DiskChanged { generation } => {
                if let Some(doc) = &mut self.document.open
                    && doc.watch_generation == generation
                {
                    doc.changed_on_disk = true;
                    doc.watch = None;
                }
            }
            DocumentEvent::PermissionsTightened { path, result } => match result {
                Ok(()) => {
                    if let Some(doc) = &mut self.document.open
                        && doc.file.path == path
                    {
                        doc.exposure = None;
                        // Validated again: the permissions finding goes.
                        doc.findings_revision = None;
                    }
                    self.info(format!(
                        "{} is now readable by its owner only (mode 0600).",
                        path.display()
                    ));
                }
                Err(error) => self.explain(
                    &format!("The permissions of {} were not changed", path.display()),
                    &error,
                ),
            },
            DocumentEvent::RecentChecked { missing } => self.settings.recent_missing = missing.into_iter().collect(),
        }
    }

    /// Runs `pending` now, or first asks about the unsaved changes.
    pub(in crate::app) fn guarded(&mut self, pending: Pending) {
        if self.is_modified() {
            self.ui.modal = Some(Modal::Unsaved { then: pending });
        } else {
            self.perform_now(pending);
        }
    }
    pub(in crate::app) fn perform(&mut self, ctx: &egui::Context, pending: Pending) {
        if pending == Pending::Close {
            self.ui.window.allow_close = true;
            ctx.send_viewport_cmd(ViewportCommand::Close);
        } else {
            self.perform_now(pending);
        }
    }
    pub(in crate::app) fn perform_now(&mut self, pending: Pending) {
        match pending {
            Pending::Open(path) => self.start_load(path),
            Pending::AskOpen => self.open_dialog(DialogPurpose::OpenConfig),
            Pending::Create(path) => self.start_create(path),
            Pending::Reload => {
                if let Some(path) = self.open_path().map(Path::to_owned) {
                    self.start_load(path);
                }
            }
            Pending::Close => self.ui.window.allow_close = true,
            Pending::RunDoctor { stop_after } => self.run_doctor(stop_after),
        }
    }
    pub(in crate::app) fn request_save(&mut self, then: Option<Pending>) {
        let Some(doc) = &self.document.open else {
            return;
        };
        let new = Zeroizing::new(doc.file.doc.to_bytes());
        let lines = diff::diff_lines(&doc.baseline, &new);
        self.ui.modal = Some(Modal::ReviewSave { lines, then });
    }
    /// Saves the document (over its file, or as `path`) on a worker.
    pub(in crate::app) fn start_save(&mut self, path: Option<PathBuf>) {
        let Some(doc) = &self.document.open else {
            return;
        };
        if self.document.saving {
            return;
        }
        self.document.saving = true;
        let mut file = doc.file.clone();
        let library = self.options.library();
        self.spawn("save", move || {
            let result = match &path {
                Some(path) => file.save_as(path),
                None => file.save(),
            };
            DocumentEvent::Saved {
                result: result.map(|report| (Box::new(describe(file, &library)), report)),
                target: path,
            }
        });
    }
    pub(in crate::app) fn set_field(&mut self, section: Option<&str>, tag: &str, value: &str) {
        let Some(doc) = &mut self.document.open else {
            return;
        };
        if doc.file.doc.get(section, tag).is_some_and(|entry| entry.value == value) {
            return;
        }
        match doc.file.doc.set(section, tag, value) {
            Ok(_) => doc.touch(),
            Err(error) => self.explain(&format!("{tag} was not changed"), &error),
        }
    }
    pub(in crate::app) fn config_loaded(
        &mut self,
        path: PathBuf,
        result: Result<Box<LoadedConfig>, CfgError>,
        folder_exists: bool,
    ) {
        if self.document.loading.as_deref() != Some(path.as_path()) {
            return;
        }
        self.document.loading = None;
        match result {
            Ok(loaded) => {
                self.document.open = Some(OpenDocument::from_loaded(*loaded));
                self.ui.views.config.reset();
                self.watch();
                self.start_validation();
                self.remember_file(&path);
                if self.ui.screen == Screen::Configuration {
                    self.ui.focus = Some(FocusTarget::Entry);
                }
            }
            Err(CfgError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                if self.document.open.is_some() {
                    self.error(format!("There is no file at {}.", path.display()));
                } else {
                    self.document.missing = Some(Missing { path, folder_exists });
                    if self.ui.screen == Screen::Configuration {
                        self.ui.focus = Some(FocusTarget::Entry);
                    }
                }
            }
            Err(error) => {
                if self.document.open.is_some() {
                    self.explain(&format!("Could not open {}", path.display()), &error);
                } else {
                    self.document.load_problem = Some(Problem::about(&path, &error));
                }
            }
        }
    }
    pub(in crate::app) fn saved(
        &mut self,
        ctx: &egui::Context,
        result: Result<(Box<LoadedConfig>, cfg::SaveReport), CfgError>,
        save_target: Option<PathBuf>,
    ) {
        self.document.saving = false;
        match result {
            Ok((loaded, report)) => {
                let path = loaded.file.path.clone();
                if let Some(doc) = &mut self.document.open {
                    doc.file = loaded.file;
                    doc.set_baseline();
                    doc.library = loaded.library;
                    doc.is_library_file = loaded.is_library_file;
                    doc.library_exists = loaded.library_exists;
                    doc.mismatch = loaded.mismatch;
                    doc.exposure = report.exposure;
                    doc.touch();
                }
                self.watch();
                let backup = report
                    .backup
                    .map(|backup| format!(" (previous version in {})", backup.display()))
                    .unwrap_or_default();
                self.info(format!("Saved {}{backup}.", report.path.display()));
                if let Some(target) = self.install.target.take()
                    && target != report.path
                {
                    self.install.hint = Some(InstallHint::new(report.path.clone(), target));
                }
                self.remember_file(&path);
                if let Some(then) = self.document.after_save.take() {
                    self.perform(ctx, then);
                }
            }
            Err(error) => {
                self.document.after_save = None;
                self.install.target = None;
                if matches!(error, CfgError::ChangedOnDisk { .. })
                    && let Some(doc) = &mut self.document.open
                {
                    doc.changed_on_disk = true;
                }
                let target = save_target.unwrap_or_else(|| self.open_path().map(Path::to_owned).unwrap_or_default());
                self.error(format!("Not saved: {}", target.display()));
                let permission_denied = is_permission_denied(&error);
                self.ui.modal = Some(Modal::SaveFailed {
                    problem: Problem::about(&target, &error),
                    path: target,
                    permission_denied,
                });
            }
        }
    }
    /// Puts a configuration first in the recent files, unless it is the demo's temporary one.
    pub(in crate::app) fn remember_file(&mut self, path: &Path) {
        let demo_file = self.options.demo.as_ref().is_some_and(|demo| {
            demo.config_path()
                .parent()
                .is_some_and(|folder| path.starts_with(folder))
        });
        if demo_file {
            return;
        }
        self.settings.prefs.remember_file(path);
        self.settings.recent_missing.remove(path);
        self.save_prefs();
    }
    pub(in crate::app) fn start_load(&mut self, path: PathBuf) {
        self.document.loading = Some(path.clone());
        self.document.missing = None;
        self.document.load_problem = None;
        let library = self.options.library();
        self.spawn("load", move || {
            let result = load_config(&path, &library);
            let folder_exists = path
                .parent()
                .is_none_or(|folder| folder.as_os_str().is_empty() || folder.is_dir());
            DocumentEvent::Loaded {
                path,
                result,
                folder_exists,
            }
        });
    }
    pub(in crate::app) fn start_create(&mut self, path: PathBuf) {
        self.document.loading = Some(path.clone());
        self.document.missing = None;
        self.document.load_problem = None;
        let library = self.options.library();
        self.spawn("create", move || {
            let file = CfgFile::new_unsaved(&path, CfgDocument::new());
            DocumentEvent::Loaded {
                path,
                result: Ok(Box::new(describe(file, &library))),
                folder_exists: true,
            }
        });
    }
    /// Finds which recent files are gone, on a worker (the disk may be slow).
    pub(in crate::app) fn check_recent_files(&mut self) {
        let files = self.settings.prefs.recent_files.clone();
        if files.is_empty() {
            return;
        }
        self.spawn("recent", move || DocumentEvent::RecentChecked {
            missing: files.into_iter().filter(|path| !path.is_file()).collect(),
        });
    }
    pub(in crate::app) fn start_validation(&mut self) {
        let Some(doc) = &mut self.document.open else {
            return;
        };
        if doc.validating || doc.findings_revision == Some(doc.revision) {
            return;
        }
        doc.validating = true;
        let revision = doc.revision;
        let snapshot = doc.file.doc.clone();
        let path = doc.file.path.clone();
        self.spawn("validate", move || DocumentEvent::Validated {
            revision,
            findings: cfg::validate(&snapshot, Some(&path)),
        });
    }
    pub(in crate::app) fn watch(&mut self) {
        let interval = self.options.watch_interval;
        if let Some(doc) = &mut self.document.open {
            doc.watch_generation += 1;
            doc.changed_on_disk = false;
            // Replacing the watch ends the old one.
            let watch: Option<DiskWatch> = self.tasks.watch(&doc.file, doc.watch_generation, interval);
            doc.watch = watch;
        }
    }
}
