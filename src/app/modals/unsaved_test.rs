//! Asks whether to save before a test, which reads the file on disk, or to test the saved file.

use super::super::command::Command;
use super::super::features::doctor::DoctorCommand;
use super::{ModalContext, focus_first};
use crate::app::features::document::DocumentCommand;
use crate::doctor::CheckId;

/// Draws the dialog.
pub(super) fn show(ctx: &egui::Context, cx: &ModalContext, stop_after: &Option<CheckId>, out: &mut Vec<Command>) {
    let (path, escape) = (&cx.path, cx.escape);
    let stop_after = *stop_after;
    egui::Modal::new(egui::Id::unique("unsaved-test")).show(ctx, |ui| {
        ui.set_max_width(480.0);
        ui.heading("Test with unsaved changes?");
        ui.add(
            egui::Label::new(format!(
                "The test reads the file on disk, and {path} has changes that are not saved yet."
            ))
            .wrap(),
        );
        ui.add_space(8.0);
        ui.horizontal_wrapped(|ui| {
            let save = ui
                .button("Save and test")
                .on_hover_text("Save the changes (after a preview), then test them");
            focus_first(ui, &save);
            if save.clicked() {
                out.push(DocumentCommand::SaveAndContinue.into());
            }
            if ui
                .button("Test the saved file")
                .on_hover_text("Keep the changes unsaved and test the file as it is on disk")
                .clicked()
            {
                out.push(DoctorCommand::TestSavedFile { stop_after }.into());
            }
            if ui.button("Cancel").clicked() || escape {
                out.push(Command::CloseModal);
            }
        });
    });
}
