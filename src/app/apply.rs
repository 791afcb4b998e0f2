//! How the app applies the commands the UI pushed during a frame, and turns keyboard
//! shortcuts, the close button and dropped files into commands.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::{Key, KeyboardShortcut, Modifiers, ViewportCommand};

use crate::cfg::{self};

use super::FxApp;
use super::chrome::ScrollKey;
use super::command::Command;
use super::dialogs::{DialogPurpose, DialogRequest};
use super::drop::{self};
use super::features::doctor::DoctorCommand;
use super::features::document::Pending;
use super::modals::Modal;
use super::screens::{self, Screen};
use super::tasks::TaskEvent;
use super::widgets::FocusTarget;
use crate::app::features::document::DocumentCommand;
use crate::app::features::module::ModuleCommand;

impl FxApp {
    pub(super) fn open_dialog(&mut self, purpose: DialogPurpose) {
        if self.ui.file_dialog.open {
            return;
        }
        if self.ui.file_dialog.failure.is_some() {
            // Dialogs cannot open here (the notice said so once): straight to the path field.
            self.type_path_instead(purpose);
            return;
        }
        let folders = &self.settings.prefs.last_folders;
        let open_folder = self.open_path().and_then(Path::parent).map(Path::to_owned);
        let folder = match &purpose {
            DialogPurpose::OpenConfig | DialogPurpose::SaveConfigAs | DialogPurpose::NewConfig => {
                folders.config.clone().or(open_folder)
            }
            DialogPurpose::SaveElsewhere => cfg::init::home_cfg().and_then(|home| home.parent().map(Path::to_owned)),
            DialogPurpose::OpenCa | DialogPurpose::OpenP12 | DialogPurpose::BrowseField(_) => {
                folders.certificates.clone().or(open_folder)
            }
            DialogPurpose::OpenPublicKey
            | DialogPurpose::SaveAuthorizedKeys
            | DialogPurpose::BrowseModule
            | DialogPurpose::BrowseSshFile(_) => folders.ssh_key.clone(),
            DialogPurpose::SaveReport | DialogPurpose::SaveCapture => folders.report.clone(),
        };
        let file_name = match &purpose {
            DialogPurpose::SaveConfigAs | DialogPurpose::NewConfig | DialogPurpose::SaveElsewhere => {
                Some("fxpkcs11.cfg".to_owned())
            }
            DialogPurpose::SaveReport => Some("fxconfig-report.md".to_owned()),
            DialogPurpose::SaveCapture => Some("fxconfig-capture.json".to_owned()),
            DialogPurpose::SaveAuthorizedKeys => Some("kmes_ssh_client.pub".to_owned()),
            _ => None,
        };
        let request = DialogRequest {
            purpose: purpose.clone(),
            folder,
            file_name,
        };
        let dialogs = Arc::clone(&self.options.dialogs);
        self.ui.file_dialog.open = true;
        self.spawn("dialog", move || {
            let answer = if request.purpose.is_save() {
                dialogs.save_file(&request)
            } else {
                dialogs.open_file(&request)
            };
            TaskEvent::Dialog { purpose, answer }
        });
    }

    pub(super) fn apply(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::Doctor(command) => self.apply_doctor(command),
            Command::Document(command) => self.apply_document(ctx, command),
            Command::Install(command) => self.apply_install(command),
            Command::Key(command) => self.apply_key(command),
            Command::Certificates(command) => self.apply_certificates(command),
            Command::Module(command) => self.apply_module(command),
            Command::SshClient(command) => self.apply_ssh_client(command),
            Command::Navigate(screen) => {
                self.ui.screen = screen;
                self.ui.focus = Some(FocusTarget::Entry);
            }
            Command::WizardStep(step) => {
                self.ui.views.wizard.step = step.min(screens::troubleshooting::STEPS.len() - 1);
                self.ui.focus = Some(FocusTarget::Entry);
            }
            Command::Dialog(purpose) => self.open_dialog(purpose),
            Command::Copy(text) => {
                ctx.copy_text(text);
                self.info("Copied to the clipboard.");
            }
            Command::SetTheme(choice) => {
                self.settings.prefs.theme = choice;
                ctx.set_theme(choice.preference());
                self.save_prefs();
            }
            Command::CloseModal => self.ui.modal = None,
            Command::Quit => {
                if self.is_modified() {
                    self.ui.modal = Some(Modal::Unsaved { then: Pending::Close });
                } else {
                    self.perform(ctx, Pending::Close);
                }
            }
            Command::DismissNotice => self.ui.notice = None,
            Command::DismissDialogNotice => self.ui.file_dialog.notice_dismissed = true,
            Command::PathChosen { purpose, path } => {
                if !path.as_os_str().is_empty() {
                    self.dialog_answered(ctx, purpose, path);
                }
            }
            Command::ToggleNavigation => {
                self.settings.prefs.navigation_hidden = !self.settings.prefs.navigation_hidden;
                self.save_prefs();
            }
            Command::ShowAbout => {
                if self.ui.modal.is_none() {
                    self.ui.modal = Some(Modal::About);
                }
            }
            Command::FocusContent => self.ui.focus = Some(FocusTarget::Entry),
        }
    }

    // ---- input --------------------------------------------------------------------------

    pub(super) fn shortcuts(&mut self, ctx: &egui::Context, out: &mut Vec<Command>) {
        if self.ui.modal.is_some() {
            return;
        }
        let key = |key: Key| ctx.input_mut(|input| input.consume_key(Modifiers::NONE, key));
        if key(Key::F1) {
            out.push(Command::ShowAbout);
        }
        if key(Key::F6) {
            out.push(Command::FocusContent);
        }
        if (self.doctor.running() || self.module.running) && key(Key::Escape) {
            if self.doctor.running() {
                out.push(DoctorCommand::Cancel.into());
            }
            if self.module.running {
                out.push(ModuleCommand::Cancel.into());
            }
        }
        let pressed = |modifiers: Modifiers, key: Key| {
            ctx.input_mut(|input| input.consume_shortcut(&KeyboardShortcut::new(modifiers, key)))
        };
        if pressed(Modifiers::COMMAND | Modifiers::SHIFT, Key::S) {
            out.push(DocumentCommand::AskSaveAs.into());
        }
        if pressed(Modifiers::COMMAND, Key::S) {
            out.push(DocumentCommand::RequestSave.into());
        }
        if pressed(Modifiers::COMMAND, Key::O) {
            out.push(DocumentCommand::AskOpen.into());
        }
        if pressed(Modifiers::COMMAND, Key::R) {
            out.push(DocumentCommand::Reload.into());
        }
        if pressed(Modifiers::COMMAND, Key::Q) {
            out.push(Command::Quit);
        }
        if pressed(Modifiers::COMMAND, Key::B) {
            out.push(Command::ToggleNavigation);
        }
        for screen in Screen::ALL {
            if pressed(Modifiers::COMMAND, screen.key()) {
                out.push(Command::Navigate(screen));
            }
        }
        let nothing_focused = ctx.memory(|memory| memory.focused().is_none());
        if nothing_focused
            && ctx.input(|input| input.key_pressed(Key::Enter))
            && let Some(command) = (self.ui.screen.spec().enter)(&self.ui.views, &self.settings.prefs)
        {
            out.push(command);
        }
        if self.ui.screen == Screen::Troubleshooting {
            // Alt+arrow always; a bare arrow when no control has the focus (with a control
            // focused, the arrows move the focus).
            // Every press counts, also several within one frame (a quick typist's three
            // Alt+Right are three steps).
            let step = self.ui.views.wizard.step;
            let presses = |key: Key| {
                let with_alt = ctx.input_mut(|input| input.count_and_consume_key(Modifiers::ALT, key));
                let bare = if nothing_focused {
                    ctx.input_mut(|input| input.count_and_consume_key(Modifiers::NONE, key))
                } else {
                    0
                };
                with_alt + bare
            };
            let (right, left) = (presses(Key::ArrowRight), presses(Key::ArrowLeft));
            if right != left {
                out.push(Command::WizardStep((step + right).saturating_sub(left)));
            }
        }
    }

    pub(super) fn close_requested(&mut self, ctx: &egui::Context) {
        if ctx.input(|input| input.viewport().close_requested()) && !self.ui.window.allow_close && self.is_modified() {
            ctx.send_viewport_cmd(ViewportCommand::CancelClose);
            if self.ui.modal.is_none() {
                self.ui.modal = Some(Modal::Unsaved { then: Pending::Close });
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

impl FxApp {}

impl FxApp {
    /// The scrolling key pressed this frame, if any: Page Up and Page Down always (the text
    /// fields are one line, or scroll themselves), Home and End outside text fields, Ctrl+Home
    /// and Ctrl+End everywhere. None while a modal dialog is open.
    pub(super) fn scroll_keys(&self, ctx: &egui::Context) -> Option<ScrollKey> {
        if self.ui.modal.is_some() {
            return None;
        }
        let typing = ctx.egui_wants_keyboard_input();
        ctx.input_mut(|input| {
            if input.consume_key(Modifiers::NONE, Key::PageUp) {
                Some(ScrollKey::PageUp)
            } else if input.consume_key(Modifiers::NONE, Key::PageDown) {
                Some(ScrollKey::PageDown)
            } else if input.consume_key(Modifiers::COMMAND, Key::Home)
                || (!typing && input.consume_key(Modifiers::NONE, Key::Home))
            {
                Some(ScrollKey::Top)
            } else if input.consume_key(Modifiers::COMMAND, Key::End)
                || (!typing && input.consume_key(Modifiers::NONE, Key::End))
            {
                Some(ScrollKey::Bottom)
            } else {
                None
            }
        })
    }
}
