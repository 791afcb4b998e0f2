//! How the app applies the events of finished background work: one handler, the only
//! place besides the command handler where the runtime state changes.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::cfg::{self, CfgDocument};
use crate::sshkey;

use super::FxApp;
use super::dialogs::{DialogPurpose, SshFileField};
use super::drop::DropTarget;
use super::features::document::Pending;
use super::modals::Modal;
use super::screens::Screen;
use super::tasks::{TaskEvent, WrittenKind};
use super::widgets::FocusTarget;
use crate::app::features::certificates::CertCommand;
use crate::app::features::doctor::DoctorCommand;
use crate::app::features::document::DocumentCommand;
use crate::app::features::install::InstallCommand;
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
            TaskEvent::Document(event) => self.handle_document(ctx, event),
            TaskEvent::Install(event) => self.handle_install(event),
            TaskEvent::Key(event) => self.handle_key(event),
            TaskEvent::Certificates(event) => self.handle_certificates(event),
            TaskEvent::Module(event) => self.handle_module(event),
            TaskEvent::SshClient(event) => self.handle_ssh_client(event),
            TaskEvent::Dropped { path, target } => self.route_dropped(path, target),
            TaskEvent::PrefsSaved(result) => {
                if let Err(error) = result {
                    self.error(format!("Could not save the preferences: {error}"));
                }
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
                DialogPurpose::OpenPublicKey
                | DialogPurpose::SaveAuthorizedKeys
                | DialogPurpose::BrowseModule
                | DialogPurpose::BrowseSshFile(_) => {
                    folders.ssh_key = Some(folder);
                }
                DialogPurpose::SaveReport | DialogPurpose::SaveCapture => folders.report = Some(folder),
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
                DocumentCommand::SetField {
                    section: None,
                    tag,
                    value: Zeroizing::new(path.display().to_string()),
                }
                .into(),
            ),
            DialogPurpose::BrowseModule => self.apply(ctx, ModuleCommand::SetPath(path.display().to_string()).into()),
            DialogPurpose::BrowseSshFile(field) => {
                let view = &mut self.ui.views.ssh_client;
                let text = match field {
                    SshFileField::Identity => &mut view.identity,
                    SshFileField::Config => &mut view.file,
                };
                *text = path.display().to_string();
            }
            DialogPurpose::SaveReport => {
                if let Some(markdown) = self.doctor.markdown(&self.doctor_changes()) {
                    self.write_file(WrittenKind::Report, path, markdown);
                }
            }
            DialogPurpose::SaveCapture => self.apply(ctx, DoctorCommand::SaveCapture(path).into()),
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
                    failed: None,
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

impl FxApp {
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
        use super::screens::{certificates, configuration, pkcs11, ssh_client, ssh_key};
        let field = match &purpose {
            DialogPurpose::OpenCa => Some((Screen::Certificates, certificates::ca_field_id())),
            DialogPurpose::OpenP12 => Some((Screen::Certificates, certificates::p12_field_id())),
            DialogPurpose::OpenPublicKey => Some((Screen::SshKey, ssh_key::key_field_id())),
            DialogPurpose::BrowseField(tag) => configuration::field_id(tag).map(|id| (Screen::Configuration, id)),
            DialogPurpose::BrowseModule => Some(match self.ui.screen {
                Screen::SshKey => (Screen::SshKey, ssh_key::module_field_id()),
                Screen::SshClient => (Screen::SshClient, ssh_client::module_field_id()),
                _ => (Screen::Pkcs11Module, pkcs11::module_field_id()),
            }),
            DialogPurpose::BrowseSshFile(field) => Some((Screen::SshClient, ssh_client::file_field_id(*field))),
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
