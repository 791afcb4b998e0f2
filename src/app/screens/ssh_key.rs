//! The SSH key screen: the public key exported from the KMES ([3.2.9]) as an
//! `authorized_keys` line, with the server-side steps of [4.1] and the client command of [5].

use egui::{Id, RichText, Ui};

use crate::sshkey;

use super::super::command::Command;
use super::super::dialogs::DialogPurpose;
use super::super::model::Slot;
use super::super::widgets;
use super::{SSH_TARGET_EXAMPLE, ScreenContext};
use crate::app::features::key::KeyCommand;
use crate::app::features::module::ModuleCommand;
use crate::pkcs11::ssh::TARGET_PLACEHOLDER;

/// The id of the public key's path field.
pub fn key_field_id() -> Id {
    Id::unique("key-path")
}

/// The id of the module path field of this screen.
pub fn module_field_id() -> Id {
    Id::unique("module-path")
}

/// The widget state of the SSH key screen.
#[derive(Debug, Default)]
pub struct KeyView {
    /// The public key's path as typed.
    pub path: String,
    /// The key file whose path was last put into the field.
    pub path_shown: Option<std::path::PathBuf>,
    /// The comment as typed.
    pub comment: String,
    /// The options prefix as typed, such as `from="10.0.0.0/8",restrict`.
    pub options: String,
    /// The module path as typed.
    pub module: String,
    /// The `user@host` as typed.
    pub destination: String,
    /// Whether the module path was filled in from the preferences or the module found.
    pub module_prefilled: bool,
}

/// The `sshd_config` directives of [4.1].
pub const SSHD_DIRECTIVES: &str = "PubkeyAuthentication yes\n\
# optional: accept SSH keys only\n\
PasswordAuthentication no\n\
KbdInteractiveAuthentication no   # ChallengeResponseAuthentication on older OpenSSH";

/// Draws the screen.
pub fn show(ui: &mut Ui, cx: &ScreenContext<'_>, view: &mut KeyView, out: &mut Vec<Command>) {
    ui.heading("SSH key");
    ui.add(
        egui::Label::new(
            "Open the SSH client public key exported from the KMES [3.2.9] (or drop it on the window) \
             to get the line for ~/.ssh/authorized_keys on the SSH server [4.1].",
        )
        .wrap(),
    );
    // A pasted key keeps its text in the field; a file shows its path.
    if let Some(path) = cx.key.key.path()
        && view.path_shown.as_ref() != Some(path)
        && path.as_path() != std::path::Path::new(crate::app::features::key::PASTED_KEY)
    {
        view.path = path.display().to_string();
        view.path_shown = Some(path.clone());
    }
    let (key, _) = widgets::path_field(
        ui,
        widgets::PathFieldSpec {
            label: "Public key file",
            hint: "/home/admin/SSH_Client_Public.pub",
            id: key_field_id(),
            action: Some("Open"),
            browse_enabled: !cx.dialog_open,
            browse_hint: "Open public key…: choose the public key exported from the KMES",
            entry: true,
        },
        &mut view.path,
        cx.focus,
    );
    if key.submitted {
        // Key text pasted into the field is the key, not the name of a file.
        out.push(match crate::sshkey::pasted_key(&view.path) {
            Some(bytes) => KeyCommand::LoadText(bytes).into(),
            None => KeyCommand::Load(view.path.trim().into()).into(),
        });
    }
    if key.browse {
        out.push(Command::Dialog(DialogPurpose::OpenPublicKey));
    }
    let comment = widgets::text_input(
        ui,
        "Comment (optional)",
        "kmes-ssh-client",
        &mut view.comment,
        Id::unique("key-comment"),
        false,
    );
    if comment.lost_focus() || (comment.changed() && view.comment.is_empty()) {
        out.push(KeyCommand::SetComment(view.comment.clone()).into());
    }
    widgets::text_input(
        ui,
        "Options prefix (optional)",
        "from=\"10.0.0.0/8\",restrict",
        &mut view.options,
        Id::unique("key-options"),
        false,
    );

    ui.add_space(8.0);
    let mut line_for_steps = None;
    match &cx.key.key {
        Slot::Empty => {
            ui.weak("No public key opened.");
        }
        Slot::Loading(path) => {
            ui.horizontal(|ui| {
                widgets::busy(ui);
                ui.label(format!("Reading {}…", path.display()));
            });
        }
        Slot::Failed(_, problem) => widgets::problem(ui, problem),
        Slot::Loaded(path, report) => {
            ui.label(format!("{} — {}", path.display(), report.source_format));
            let line = if view.options.trim().is_empty() {
                Ok(report.line.clone())
            } else {
                sshkey::with_options(&report.line, view.options.trim())
            };
            match line {
                Ok(line) => {
                    ui.label(RichText::new("authorized_keys line").strong());
                    widgets::code_block(ui, &line);
                    ui.horizontal(|ui| {
                        if ui.button("Copy line").clicked() {
                            out.push(Command::Copy(line.clone()));
                        }
                        if ui
                            .add_enabled(!cx.dialog_open, egui::Button::new("Save as authorized_keys fragment…"))
                            .clicked()
                        {
                            out.push(Command::Dialog(DialogPurpose::SaveAuthorizedKeys));
                        }
                    });
                    line_for_steps = Some(line);
                }
                Err(error) => {
                    widgets::problem(ui, &super::super::model::Problem::explained(&error));
                }
            }
            egui::Grid::new("key-facts").num_columns(2).show(ui, |ui| {
                ui.weak("Fingerprint");
                ui.add(egui::Label::new(&report.fingerprint).selectable(true));
                ui.end_row();
                ui.weak("Key type");
                ui.label(format!("{} ({})", report.key_type, report.algorithm));
                ui.end_row();
                ui.weak("Size");
                ui.label(format!("{} bits", report.bits));
                ui.end_row();
            });
        }
    }

    ui.add_space(12.0);
    ui.label(RichText::new("On the SSH server [4.1]").strong().size(16.0));
    ui.label("1. Add the line above to ~/.ssh/authorized_keys of the user ssh logs in as:");
    let append = match &line_for_steps {
        Some(line) => format!("echo '{line}' >> ~/.ssh/authorized_keys"),
        None => "echo '<the authorized_keys line>' >> ~/.ssh/authorized_keys".to_owned(),
    };
    widgets::code_block(ui, &append);
    ui.label("2. In /etc/ssh/sshd_config, set:");
    widgets::code_block(ui, SSHD_DIRECTIVES);
    if ui.button("Copy sshd_config directives").clicked() {
        out.push(Command::Copy(SSHD_DIRECTIVES.to_owned()));
    }
    ui.label("3. Restart the SSH service: sudo systemctl restart ssh (sshd on CentOS/Fedora).");

    ui.add_space(12.0);
    ui.label(RichText::new("On the SSH client [5]").strong().size(16.0));
    super::pkcs11::prefill_module(cx, &mut view.module, &mut view.module_prefilled);
    super::pkcs11::module_path_field(
        ui,
        cx,
        super::pkcs11::ModulePathField {
            label: "PKCS#11 module path",
            id: module_field_id(),
            action: None,
            entry: false,
        },
        &mut view.module,
        out,
    );
    if view.destination.is_empty()
        && let Some(destination) = &cx.prefs.ssh_destination
    {
        view.destination.clone_from(destination);
    }
    let destination = widgets::text_input(
        ui,
        "SSH user@host",
        SSH_TARGET_EXAMPLE,
        &mut view.destination,
        Id::unique("ssh-destination"),
        false,
    );
    if destination.changed() {
        out.push(ModuleCommand::SetSshTarget(view.destination.clone()).into());
    }
    let target = Some(view.destination.trim()).filter(|target| !target.is_empty());
    let module = if view.module.trim().is_empty() {
        cx.module_path
    } else {
        view.module.trim()
    };
    let command = super::ssh_command(cx, module, target);
    widgets::code_block(ui, &command);
    if target.is_none() {
        ui.weak(format!(
            "Replace {TARGET_PLACEHOLDER} with the account and server to log in to."
        ));
    }
    if ui.button("Copy ssh command").clicked() {
        out.push(Command::Copy(command));
    }
    ui.weak("Success drops you into a shell on the server without a password prompt; the key never leaves the KMES.");
}
