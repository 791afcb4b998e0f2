//! How the app applies the events of finished background work: one handler, the only
//! place besides the command handler where the runtime state changes.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::cfg::{self, CfgDocument, CfgError};
use crate::sshkey;

use super::FxApp;
use super::command::{Command, Pending};
use super::dialogs::DialogPurpose;
use super::drop::DropTarget;
use super::modals::Modal;
use super::model::{LoadedConfig, Missing, OpenDocument, Problem};
use super::screens::Screen;
use super::tasks::{TaskEvent, WrittenKind};
use super::widgets::FocusTarget;
use crate::app::features::certificates::CertCommand;
use crate::app::features::install::InstallCommand;
use crate::app::features::install::InstallHint;
use crate::app::features::module::ModuleCommand;

impl FxApp {
    pub(super) fn handle(&mut self, ctx: &egui::Context, event: TaskEvent) {
        match event {
            TaskEvent::Dialog { purpose, answer } => {
                self.ui.file_dialog.open = false;
                match answer {
                    Ok(Some(path)) => self.dialog_answered(ctx, purpose, path),
                    Ok(None) => {}
                    Err(error) => self.dialog_failed(purpose, error.reason),
                }
            }
            TaskEvent::ConfigLoaded {
                path,
                result,
                folder_exists,
            } => self.config_loaded(path, result, folder_exists),
            TaskEvent::Saved { result, target } => self.saved(ctx, result, target),
            TaskEvent::Validated { revision, findings } => {
                if let Some(doc) = &mut self.document.open {
                    doc.validating = false;
                    if doc.revision == revision {
                        doc.findings = findings;
                        doc.findings_revision = Some(revision);
                    }
                }
            }
            TaskEvent::DiskChanged { generation } => {
                if let Some(doc) = &mut self.document.open
                    && doc.watch_generation == generation
                {
                    doc.changed_on_disk = true;
                    doc.watch = None;
                }
            }
            TaskEvent::Written { kind, path, result } => {
                self.ui.writes = self.ui.writes.saturating_sub(1);
                let what = match kind {
                    WrittenKind::Report => "the report",
                    WrittenKind::AuthorizedKeys => "the authorized_keys fragment",
                };
                match result {
                    Ok(()) => self.info(format!("Saved {what} to {}.", path.display())),
                    Err(error) => self.error(format!("Could not save {what} to {}: {error}", path.display())),
                }
            }
            TaskEvent::Doctor(event) => self.handle_doctor(event),
            TaskEvent::Install(event) => self.handle_install(event),
            TaskEvent::Key(event) => self.handle_key(event),
            TaskEvent::Certificates(event) => self.handle_certificates(event),
            TaskEvent::Module(event) => self.handle_module(event),
            TaskEvent::Dropped { path, target } => self.route_dropped(path, target),
            TaskEvent::PermissionsTightened { path, result } => match result {
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
            TaskEvent::RecentChecked { missing } => self.settings.recent_missing = missing.into_iter().collect(),
            TaskEvent::PrefsSaved(result) => {
                if let Err(error) = result {
                    self.error(format!("Could not save the preferences: {error}"));
                }
            }
        }
    }

    pub(super) fn config_loaded(
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

    pub(super) fn saved(
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

    pub(super) fn dialog_answered(&mut self, ctx: &egui::Context, purpose: DialogPurpose, path: PathBuf) {
        if let Some(folder) = path.parent().map(Path::to_owned) {
            let folders = &mut self.settings.prefs.last_folders;
            match &purpose {
                DialogPurpose::OpenConfig
                | DialogPurpose::SaveConfigAs
                | DialogPurpose::NewConfig
                | DialogPurpose::SaveElsewhere => {
                    folders.config = Some(folder);
                }
                DialogPurpose::OpenCa | DialogPurpose::OpenP12 | DialogPurpose::BrowseField(_) => {
                    folders.certificates = Some(folder);
                }
                DialogPurpose::OpenPublicKey | DialogPurpose::SaveAuthorizedKeys | DialogPurpose::BrowseModule => {
                    folders.ssh_key = Some(folder);
                }
                DialogPurpose::SaveReport => folders.report = Some(folder),
            }
            self.settings.dirty = true;
        }
        match purpose {
            DialogPurpose::OpenConfig => self.start_load(path),
            DialogPurpose::SaveConfigAs => self.start_save(Some(path)),
            DialogPurpose::NewConfig => {
                // A file the library does not read: once written, the commands that make it
                // read it (FXPKCS11_CFG, or installing it in place) are shown.
                let library = self.options.library();
                if cfg::locate::is_library_cfg(&path, &library) {
                    self.apply(ctx, InstallCommand::Init { path: Some(path) }.into());
                } else {
                    match CfgDocument::parse(cfg::blank_template().as_bytes()) {
                        Ok(doc) => self.start_init(path, doc, false, Some(library.path)),
                        Err(error) => self.explain("The template could not be read", &error),
                    }
                }
            }
            DialogPurpose::SaveElsewhere => {
                if let Some(elsewhere) = self.install.elsewhere.take() {
                    self.start_init(path, elsewhere.doc, false, Some(elsewhere.target));
                }
            }
            DialogPurpose::OpenCa => self.load_ca(path),
            DialogPurpose::OpenP12 => self.apply(ctx, CertCommand::PromptP12(path).into()),
            DialogPurpose::OpenPublicKey => self.load_public_key(path),
            DialogPurpose::BrowseField(tag) => self.apply(
                ctx,
                Command::SetField {
                    section: None,
                    tag,
                    value: Zeroizing::new(path.display().to_string()),
                },
            ),
            DialogPurpose::BrowseModule => self.apply(ctx, ModuleCommand::SetPath(path.display().to_string()).into()),
            DialogPurpose::SaveReport => {
                if let Some(markdown) = self.doctor.markdown(&self.doctor_changes()) {
                    self.write_file(WrittenKind::Report, path, markdown);
                }
            }
            DialogPurpose::SaveAuthorizedKeys => {
                if let Some(report) = self.key.key.value() {
                    let options = self.ui.views.key.options.trim();
                    let line = if options.is_empty() {
                        Ok(report.line.clone())
                    } else {
                        sshkey::with_options(&report.line, options)
                    };
                    match line {
                        Ok(line) => self.write_file(WrittenKind::AuthorizedKeys, path, format!("{line}\n")),
                        Err(error) => self.explain("Not saved", &error),
                    }
                }
            }
        }
    }

    pub(super) fn write_file(&mut self, kind: WrittenKind, path: PathBuf, text: String) {
        self.ui.writes += 1;
        self.spawn("write", move || {
            let result = std::fs::write(&path, text.as_bytes());
            TaskEvent::Written { kind, path, result }
        });
    }

    pub(super) fn route_dropped(&mut self, path: PathBuf, target: DropTarget) {
        match target {
            DropTarget::Config => self.guarded(Pending::Open(path)),
            DropTarget::Ca => {
                self.ui.screen = Screen::Certificates;
                self.load_ca(path);
            }
            DropTarget::Pkcs12 => {
                self.ui.screen = Screen::Certificates;
                self.ui.modal = Some(Modal::P12Password {
                    path,
                    password: Zeroizing::new(String::new()),
                });
            }
            DropTarget::PublicKey => {
                self.ui.screen = Screen::SshKey;
                self.load_public_key(path);
            }
            DropTarget::Unknown => self.error(format!(
                "{} is not a configuration, certificate, PKCS#12 file or public key.",
                path.display()
            )),
        }
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

impl FxApp {
    /// Puts a configuration first in the recent files, unless it is the demo's temporary one.
    pub(super) fn remember_file(&mut self, path: &Path) {
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

    /// A file dialog could not be shown: say so once, in a notice above every screen, and
    /// take the keyboard to the path field of that purpose (or ask for the path in a prompt).
    pub(super) fn dialog_failed(&mut self, purpose: DialogPurpose, reason: String) {
        if self.ui.file_dialog.failure.is_none() {
            self.ui.file_dialog.failure = Some(reason);
        }
        self.type_path_instead(purpose);
    }

    /// Shows the path field for `purpose` with the keyboard focus, or a prompt for a path
    /// where the screen has no field.
    pub(super) fn type_path_instead(&mut self, purpose: DialogPurpose) {
        use super::screens::{certificates, configuration, pkcs11, ssh_key};
        let field = match &purpose {
            DialogPurpose::OpenCa => Some((Screen::Certificates, certificates::ca_field_id())),
            DialogPurpose::OpenP12 => Some((Screen::Certificates, certificates::p12_field_id())),
            DialogPurpose::OpenPublicKey => Some((Screen::SshKey, ssh_key::key_field_id())),
            DialogPurpose::BrowseField(tag) => configuration::field_id(tag).map(|id| (Screen::Configuration, id)),
            DialogPurpose::BrowseModule => Some(if self.ui.screen == Screen::SshKey {
                (Screen::SshKey, ssh_key::module_field_id())
            } else {
                (Screen::Pkcs11Module, pkcs11::module_field_id())
            }),
            DialogPurpose::OpenConfig if self.document.open.is_none() => {
                Some((Screen::Configuration, configuration::open_field_id()))
            }
            _ => None,
        };
        match field {
            Some((screen, id)) => {
                self.ui.screen = screen;
                self.ui.focus = Some(FocusTarget::Widget(id));
            }
            None => {
                self.ui.modal = Some(Modal::TypePath {
                    purpose,
                    text: String::new(),
                });
            }
        }
    }
}

impl FxApp {}
