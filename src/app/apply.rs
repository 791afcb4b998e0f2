//! How the app applies the commands the UI pushed during a frame, and turns keyboard
//! shortcuts, the close button and dropped files into commands.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use egui::{Key, KeyboardShortcut, Modifiers, ViewportCommand};
use zeroize::Zeroizing;

use crate::cfg::{self, CfgDocument};
use crate::doctor::CheckId;
use crate::import::{self, ImportRequest};
use crate::pkcs11::Helper;
use crate::pkcs11::ssh::{self, SshLoginOptions, SshTarget};
use crate::secret::Secret;

use super::command::{Command, Modal, Pending};
use super::dialogs::{DialogPurpose, DialogRequest};
use super::drop::{self};
use super::model::Problem;
use super::screens::{self, Screen};
use super::tasks::{self, TaskEvent};
use super::{FxApp, diff};

impl FxApp {
    /// Runs `pending` now, or first asks about the unsaved changes.
    pub(super) fn guarded(&mut self, pending: Pending) {
        if self.is_modified() {
            self.modal = Some(Modal::Unsaved { then: pending });
        } else {
            self.perform_now(pending);
        }
    }

    pub(super) fn perform(&mut self, ctx: &egui::Context, pending: Pending) {
        if pending == Pending::Close {
            self.allow_close = true;
            ctx.send_viewport_cmd(ViewportCommand::Close);
        } else {
            self.perform_now(pending);
        }
    }

    pub(super) fn perform_now(&mut self, pending: Pending) {
        match pending {
            Pending::Open(path) => self.start_load(path),
            Pending::AskOpen => self.open_dialog(DialogPurpose::OpenConfig),
            Pending::Create(path) => self.start_create(path),
            Pending::Reload => {
                if let Some(path) = self.open_path().map(Path::to_owned) {
                    self.start_load(path);
                }
            }
            Pending::Close => self.allow_close = true,
        }
    }

    pub(super) fn open_dialog(&mut self, purpose: DialogPurpose) {
        if self.dialog_open {
            return;
        }
        let folders = &self.prefs.last_folders;
        let open_folder = self.open_path().and_then(Path::parent).map(Path::to_owned);
        let folder = match &purpose {
            DialogPurpose::OpenConfig | DialogPurpose::SaveConfigAs => folders.config.clone().or(open_folder),
            DialogPurpose::OpenCa | DialogPurpose::OpenP12 | DialogPurpose::BrowseField(_) => {
                folders.certificates.clone().or(open_folder)
            }
            DialogPurpose::OpenPublicKey | DialogPurpose::SaveAuthorizedKeys | DialogPurpose::BrowseModule => {
                folders.ssh_key.clone()
            }
            DialogPurpose::SaveReport => folders.report.clone(),
        };
        let file_name = match &purpose {
            DialogPurpose::SaveConfigAs => Some("fxpkcs11.cfg".to_owned()),
            DialogPurpose::SaveReport => Some("fxconfig-report.md".to_owned()),
            DialogPurpose::SaveAuthorizedKeys => Some("kmes_ssh_client.pub".to_owned()),
            _ => None,
        };
        let request = DialogRequest {
            purpose: purpose.clone(),
            folder,
            file_name,
        };
        let dialogs = Arc::clone(&self.options.dialogs);
        self.dialog_open = true;
        self.spawn("dialog", move || {
            let path = if request.purpose.is_save() {
                dialogs.save_file(&request)
            } else {
                dialogs.open_file(&request)
            };
            TaskEvent::Dialog { purpose, path }
        });
    }

    pub(super) fn request_save(&mut self, then: Option<Pending>) {
        let Some(doc) = &self.doc else {
            return;
        };
        let new = Zeroizing::new(doc.file.doc.to_bytes());
        let lines = diff::diff_lines(&doc.baseline, &new);
        self.modal = Some(Modal::ReviewSave { lines, then });
    }

    /// Saves the document (over its file, or as `path`) on a worker.
    pub(super) fn start_save(&mut self, path: Option<PathBuf>) {
        let Some(doc) = &self.doc else {
            return;
        };
        if self.saving {
            return;
        }
        self.saving = true;
        let mut file = doc.file.clone();
        self.spawn("save", move || {
            let result = match &path {
                Some(path) => file.save_as(path),
                None => file.save(),
            };
            TaskEvent::Saved {
                result: result.map(|report| (Box::new(tasks::describe(file)), report)),
            }
        });
    }

    pub(super) fn run_doctor(&mut self, stop_after: Option<CheckId>) {
        let Some(path) = self.open_path().map(Path::to_owned) else {
            return;
        };
        if self.doctor.running {
            return;
        }
        self.doctor.run += 1;
        match stop_after {
            None => {
                self.doctor.results.clear();
                self.doctor.report = None;
                self.doctor.markdown = None;
            }
            Some(last) => {
                let end = CheckId::ALL
                    .iter()
                    .position(|&id| id == last)
                    .unwrap_or(CheckId::ALL.len() - 1);
                self.doctor.results.retain(|r| !CheckId::ALL[..=end].contains(&r.id));
            }
        }
        match self
            .tasks
            .run_doctor(self.doctor.run, path.clone(), self.options.doctor_timeout, stop_after)
        {
            Ok(cancel) => {
                self.doctor.running = true;
                self.doctor.cancel = Some(cancel);
                self.doctor.stop_after = stop_after;
                self.doctor.started = Some(Instant::now());
                self.doctor.cancelled = false;
                self.doctor.config = Some(path);
            }
            Err(error) => self.error(format!("Could not start the connection test: {error}")),
        }
    }

    pub(super) fn apply(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::Navigate(screen) => self.screen = screen,
            Command::WizardStep(step) => {
                self.views.wizard.step = step.min(screens::troubleshooting::STEPS.len() - 1);
            }
            Command::Dialog(purpose) => self.open_dialog(purpose),
            Command::Open(path) => self.guarded(Pending::Open(path)),
            Command::AskOpen => self.guarded(Pending::AskOpen),
            Command::Create(path) => self.guarded(Pending::Create(path)),
            Command::Reload => self.guarded(Pending::Reload),
            Command::RequestSave => {
                if self.doc.is_some() && !self.saving {
                    self.request_save(None);
                }
            }
            Command::ConfirmSave => {
                if let Some(Modal::ReviewSave { then, .. }) = self.modal.take() {
                    self.after_save = then;
                    let overwrite = self.changed_on_disk();
                    let path = overwrite.then(|| self.open_path().map(Path::to_owned)).flatten();
                    self.start_save(path);
                }
            }
            Command::AskSaveAs => {
                if self.doc.is_some() {
                    self.open_dialog(DialogPurpose::SaveConfigAs);
                }
            }
            Command::SetField { section, tag, value } => self.set_field(section.as_deref(), &tag, value.trim()),
            Command::ReplaceText(text) => {
                if let Some(doc) = &mut self.doc {
                    match CfgDocument::parse(text.as_bytes()) {
                        Ok(parsed) => {
                            doc.file.doc = parsed;
                            doc.touch();
                        }
                        Err(error) => self.explain("The text was not applied", &error),
                    }
                }
            }
            Command::KeepMine => {
                if self.doc.is_some() {
                    self.request_save(None);
                }
            }
            Command::LoadCa(path) => self.load_ca(path),
            Command::PromptP12(path) => {
                self.modal = Some(Modal::P12Password {
                    path,
                    password: Zeroizing::new(String::new()),
                });
            }
            Command::SubmitP12Password => {
                if let Some(Modal::P12Password { path, password }) = self.modal.take() {
                    self.load_p12(path, Secret::new(password.as_str()));
                }
            }
            Command::InspectConfigured => self.inspect_configured(),
            Command::ApplyToConfig => self.apply_to_config(),
            Command::RunDoctor { stop_after } => self.run_doctor(stop_after),
            Command::CancelDoctor => {
                if self.doctor.running {
                    self.doctor.cancel();
                    self.doctor.cancelled = true;
                    self.doctor.running = false;
                    self.doctor.cancel = None;
                    // Results still on their way from the cancelled run are ignored.
                    self.doctor.run += 1;
                }
            }
            Command::SetFault(fault) => {
                if let Some(demo) = self.options.demo.clone() {
                    self.spawn("fault", move || TaskEvent::FaultSet {
                        fault,
                        result: demo.set_fault(fault),
                    });
                }
            }
            Command::LoadPublicKey(path) => self.load_public_key(path),
            Command::SetKeyComment(comment) => {
                if comment != self.key.comment {
                    self.key.comment = comment;
                    if let Some(path) = self.key.key.path().cloned() {
                        self.load_public_key(path);
                    }
                }
            }
            Command::Copy(text) => {
                ctx.copy_text(text);
                self.info("Copied to the clipboard.");
            }
            Command::SetTheme(choice) => {
                self.prefs.theme = choice;
                ctx.set_theme(choice.preference());
                self.save_prefs();
            }
            Command::SetModulePath(path) => {
                // Both screens with a module field show the same path.
                self.views.key.module.clone_from(&path);
                self.views.module.module.clone_from(&path);
                self.prefs.module_path = Some(path);
                self.prefs_dirty = true;
            }
            Command::LoadModule { token_label, pin } => self.load_module(token_label, pin),
            Command::SshTest { target, pin } => self.ssh_test(&target, pin),
            Command::SetSshDestination(destination) => {
                self.prefs.ssh_destination = Some(destination);
                self.prefs_dirty = true;
            }
            Command::CloseModal => self.modal = None,
            Command::DiscardAndContinue => {
                if let Some(Modal::Unsaved { then }) = self.modal.take() {
                    self.perform(ctx, then);
                }
            }
            Command::SaveAndContinue => {
                if let Some(Modal::Unsaved { then }) = self.modal.take() {
                    self.request_save(Some(then));
                }
            }
            Command::Quit => {
                if self.is_modified() {
                    self.modal = Some(Modal::Unsaved { then: Pending::Close });
                } else {
                    self.perform(ctx, Pending::Close);
                }
            }
            Command::DismissNotice => self.notice = None,
        }
    }

    pub(super) fn set_field(&mut self, section: Option<&str>, tag: &str, value: &str) {
        let Some(doc) = &mut self.doc else {
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

    pub(super) fn inspect_configured(&mut self) {
        let Some(doc) = &self.doc else {
            return;
        };
        let settings = doc.file.doc.settings();
        let cfg_path = doc.file.path.clone();
        if let Some(ca) = &settings.tls_ca {
            self.load_ca(cfg::resolve_path(&cfg_path, ca));
        }
        if let Some(key) = &settings.tls_key {
            let path = cfg::resolve_path(&cfg_path, key);
            match settings.tls_key_pass.clone() {
                Some(password) => self.load_p12(path, password),
                None => {
                    self.modal = Some(Modal::P12Password {
                        path,
                        password: Zeroizing::new(String::new()),
                    });
                }
            }
        }
    }

    pub(super) fn apply_to_config(&mut self) {
        let (Some(config), Some(ca), Some(p12), Some(password)) = (
            self.open_path().map(Path::to_owned),
            self.certs.ca.path().cloned(),
            self.certs.p12.path().cloned(),
            self.certs.p12_password.clone(),
        ) else {
            return;
        };
        if self.is_modified() || self.certs.importing {
            return;
        }
        self.certs.importing = true;
        self.certs.import_result = None;
        self.spawn("import", move || {
            let request = ImportRequest {
                config: &config,
                ca: &ca,
                p12: &p12,
                password: &password,
                dest: None,
                tighten_permissions: false,
            };
            TaskEvent::Imported {
                result: import::import_tls_materials(&request).map(Box::new),
            }
        });
    }

    // ---- input --------------------------------------------------------------------------

    pub(super) fn shortcuts(&mut self, ctx: &egui::Context, out: &mut Vec<Command>) {
        if self.modal.is_some() {
            return;
        }
        let pressed = |modifiers: Modifiers, key: Key| {
            ctx.input_mut(|input| input.consume_shortcut(&KeyboardShortcut::new(modifiers, key)))
        };
        if pressed(Modifiers::COMMAND | Modifiers::SHIFT, Key::S) {
            out.push(Command::AskSaveAs);
        }
        if pressed(Modifiers::COMMAND, Key::S) {
            out.push(Command::RequestSave);
        }
        if pressed(Modifiers::COMMAND, Key::O) {
            out.push(Command::AskOpen);
        }
        if pressed(Modifiers::COMMAND, Key::R) {
            out.push(Command::Reload);
        }
        if pressed(Modifiers::COMMAND, Key::Q) {
            out.push(Command::Quit);
        }
        for screen in Screen::ALL {
            if pressed(Modifiers::COMMAND, screen.key()) {
                out.push(Command::Navigate(screen));
            }
        }
        let nothing_focused = ctx.memory(|memory| memory.focused().is_none());
        if nothing_focused && ctx.input(|input| input.key_pressed(Key::Enter)) {
            match self.screen {
                Screen::ConnectionTest => out.push(Command::RunDoctor { stop_after: None }),
                Screen::Pkcs11Module => out.push(screens::pkcs11::enter_action(&self.views.module)),
                Screen::Troubleshooting => {
                    if let Some(command) = screens::troubleshooting::enter_action(&self.views.wizard) {
                        out.push(command);
                    }
                }
                _ => {}
            }
        }
        if nothing_focused && self.screen == Screen::Troubleshooting {
            let step = self.views.wizard.step;
            if ctx.input(|input| input.key_pressed(Key::ArrowRight)) {
                out.push(Command::WizardStep(step + 1));
            }
            if ctx.input(|input| input.key_pressed(Key::ArrowLeft)) {
                out.push(Command::WizardStep(step.saturating_sub(1)));
            }
        }
    }

    pub(super) fn close_requested(&mut self, ctx: &egui::Context) {
        if ctx.input(|input| input.viewport().close_requested()) && !self.allow_close && self.is_modified() {
            ctx.send_viewport_cmd(ViewportCommand::CancelClose);
            if self.modal.is_none() {
                self.modal = Some(Modal::Unsaved { then: Pending::Close });
            }
        }
    }

    pub(super) fn dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|input| {
            input
                .raw
                .dropped_files
                .iter()
                .map(|file| file.path().to_owned())
                .collect()
        });
        for path in dropped {
            self.spawn("drop", move || {
                let target = drop::classify(&path);
                TaskEvent::Dropped { path, target }
            });
        }
    }
}

impl FxApp {
    fn pkcs11_helper(&self) -> Result<Helper, Problem> {
        match &self.options.pkcs11_helper {
            Some(helper) => Ok(helper.clone()),
            None => Helper::locate().map_err(|error| Problem::explained(&error)),
        }
    }

    pub(super) fn load_module(&mut self, token_label: Option<String>, pin: Option<Secret>) {
        if self.module.running {
            return;
        }
        self.module.running = true;
        self.module.generation += 1;
        let generation = self.module.generation;
        let helper = self.pkcs11_helper();
        let module = PathBuf::from(self.module_path().trim());
        let config = self.open_path().map(Path::to_path_buf);
        self.spawn("pkcs11", move || TaskEvent::ModuleExamined {
            generation,
            outcome: Box::new(tasks::examine_module(helper, module, token_label, pin, config)),
        });
    }

    pub(super) fn ssh_test(&mut self, target: &str, pin: Option<Secret>) {
        if self.module.ssh_running {
            return;
        }
        let parsed = match target.trim().parse::<SshTarget>() {
            Ok(parsed) => parsed,
            Err(error) => {
                self.module.ssh = Some(Err(Problem::plain(error.to_string())));
                return;
            }
        };
        let helper = match self.pkcs11_helper() {
            Ok(helper) => helper,
            Err(problem) => {
                self.module.ssh = Some(Err(problem));
                return;
            }
        };
        self.module.ssh_running = true;
        let mut options = SshLoginOptions::new(PathBuf::from(self.module_path().trim()), parsed);
        options.config = self.open_path().map(Path::to_path_buf);
        options.pin = pin;
        self.spawn("ssh", move || TaskEvent::SshTested(Ok(ssh::login(&options, &helper))));
    }
}
