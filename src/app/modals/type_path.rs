//! Takes a typed path where no file dialog can open.

use super::super::command::Command;
use super::super::dialogs::{DialogPurpose, SshFileField};
use super::super::widgets;
use super::ModalContext;
use egui::Key;

/// Draws the dialog.
pub(super) fn show(
    ctx: &egui::Context,
    cx: &ModalContext,
    purpose: &DialogPurpose,
    text: &mut String,
    out: &mut Vec<Command>,
) {
    let escape = cx.escape;
    let purpose = purpose.clone();
    egui::Modal::new(egui::Id::unique("type-path")).show(ctx, |ui| {
        ui.set_max_width(ctx.content_rect().width().min(620.0) - 40.0);
        ui.heading(purpose.title());
        ui.add(egui::Label::new("The file dialog cannot open here: type the file's full path.").wrap());
        let id = egui::Id::unique("type-path-input");
        let response = widgets::text_input(ui, "Path", example_path(&purpose), text, id, false);
        if !response.has_focus() && !response.lost_focus() && ui.memory(|m| m.focused().is_none()) {
            response.request_focus();
        }
        let submitted = response.lost_focus() && ui.input(|input| input.key_pressed(Key::Enter));
        ui.add_space(8.0);
        ui.horizontal_wrapped(|ui| {
            let typed = text.trim().to_owned();
            let ok = ui.add_enabled(!typed.is_empty(), egui::Button::new("OK")).clicked();
            if (ok || submitted) && !typed.is_empty() {
                out.push(Command::CloseModal);
                out.push(Command::PathChosen {
                    purpose: purpose.clone(),
                    path: typed.into(),
                });
            }
            if ui.button("Cancel").clicked() || escape {
                out.push(Command::CloseModal);
            }
        });
    });
}

/// An example path for a typed-path prompt.
fn example_path(purpose: &DialogPurpose) -> &'static str {
    match purpose {
        DialogPurpose::OpenConfig
        | DialogPurpose::SaveConfigAs
        | DialogPurpose::NewConfig
        | DialogPurpose::SaveElsewhere => "/home/admin/fxpkcs11.cfg",
        DialogPurpose::SaveReport => "/home/admin/fxconfig-report.md",
        DialogPurpose::SaveCapture => "/home/admin/fxconfig-capture.json",
        DialogPurpose::SaveAuthorizedKeys => "/home/admin/kmes_ssh_client.pub",
        DialogPurpose::OpenPublicKey => "/home/admin/SSH_Client_Public.pub",
        DialogPurpose::OpenCa | DialogPurpose::BrowseField(_) => "/usr/local/bin/fxpkcs11/root_cert.pem",
        DialogPurpose::OpenP12 => "/usr/local/bin/fxpkcs11/export_pkcs12.p12",
        DialogPurpose::BrowseModule => "/usr/local/bin/fxpkcs11/x64/OpenSSL-1.1.x/libfxpkcs11.so",
        DialogPurpose::BrowseSshFile(SshFileField::Identity) => "/home/admin/.ssh/kmes.pub",
        DialogPurpose::BrowseSshFile(SshFileField::Config) => "/home/admin/.ssh/config",
    }
}
