//! Asks for the password of a PKCS#12 file.

use super::super::command::Command;
use super::super::model::Problem;
use super::super::widgets;
use super::ModalContext;
use crate::app::features::certificates::CertCommand;
use egui::Key;
use std::path::Path;
use zeroize::Zeroizing;

/// Draws the dialog.
pub(super) fn show(
    ctx: &egui::Context,
    cx: &ModalContext,
    p12: &Path,
    password: &mut Zeroizing<String>,
    failed: Option<&Problem>,
    out: &mut Vec<Command>,
) {
    let escape = cx.escape;
    let file = p12.display().to_string();
    egui::Modal::new(egui::Id::unique("p12-password")).show(ctx, |ui| {
        ui.set_max_width(460.0);
        ui.heading("PKCS#12 password");
        ui.add(egui::Label::new(format!("The password that protects {file} [3.1.7].")).wrap());
        // A wrong password is said here, where it was typed, and the field takes it again.
        if let Some(problem) = failed {
            widgets::problem(ui, problem);
        }
        let id = egui::Id::unique("p12-password-input");
        let response = widgets::text_input(ui, "Password of the PKCS#12 file", "", password, id, true);
        if !response.has_focus() && !response.lost_focus() && ui.memory(|m| m.focused().is_none()) {
            response.request_focus();
        }
        let submitted = response.lost_focus() && ui.input(|input| input.key_pressed(Key::Enter));
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui.button("Open").clicked() || submitted {
                out.push(CertCommand::SubmitP12Password.into());
            }
            if ui.button("Cancel").clicked() || escape {
                out.push(Command::CloseModal);
            }
        });
    });
}
