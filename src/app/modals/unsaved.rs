//! Asks whether to save, discard or keep unsaved changes before closing, reloading, testing or opening another file.

use super::super::command::Command;
use super::super::features::document::Pending;
use super::{ModalContext, focus_first};
use crate::app::features::document::DocumentCommand;

/// Draws the dialog.
pub(super) fn show(ctx: &egui::Context, cx: &ModalContext, then: &Pending, out: &mut Vec<Command>) {
    let (path, escape) = (&cx.path, cx.escape);
    let action = match then {
        Pending::Close => "closing",
        Pending::Reload => "reloading",
        Pending::RunDoctor { .. } => "testing",
        _ => "opening another file",
    };
    egui::Modal::new(egui::Id::unique("unsaved")).show(ctx, |ui| {
        ui.set_max_width(460.0);
        ui.heading("Unsaved changes");
        ui.add(
            egui::Label::new(format!(
                "{path} has changes that are not saved. Save them before {action}?"
            ))
            .wrap(),
        );
        ui.add_space(8.0);
        ui.horizontal_wrapped(|ui| {
            let save = ui.button("Save changes…");
            focus_first(ui, &save);
            if save.clicked() {
                out.push(DocumentCommand::SaveAndContinue.into());
            }
            if ui.button("Discard changes").clicked() {
                out.push(DocumentCommand::DiscardAndContinue.into());
            }
            if ui.button("Cancel").clicked() || escape {
                out.push(Command::CloseModal);
            }
        });
    });
}
