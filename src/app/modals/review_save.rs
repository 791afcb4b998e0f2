//! Shows the changes a save writes (passwords masked) before it writes them.

use super::super::command::Command;
use super::super::diff::DiffLine;
use super::ModalContext;
use super::diff_lines;
use crate::app::features::document::DocumentCommand;

/// Draws the dialog.
pub(super) fn show(ctx: &egui::Context, cx: &ModalContext, lines: &[DiffLine], out: &mut Vec<Command>) {
    let (path, escape) = (&cx.path, cx.escape);
    let enter = cx.enter;
    egui::Modal::new(egui::Id::unique("review-save")).show(ctx, |ui| {
        let height = ctx.content_rect().height();
        ui.set_max_width(ctx.content_rect().width().min(760.0) - 40.0);
        ui.heading("Review the changes");
        ui.add(egui::Label::new(format!("Saving {path} (passwords masked):")).wrap());
        egui::ScrollArea::both()
            .max_height((height - 200.0).clamp(120.0, 360.0))
            .show(ui, |ui| diff_lines(ui, lines));
        ui.add_space(8.0);
        ui.horizontal_wrapped(|ui| {
            if ui.button("Save changes").clicked() || enter {
                out.push(DocumentCommand::ConfirmSave.into());
            }
            if ui.button("Cancel").clicked() || escape {
                out.push(Command::CloseModal);
            }
        });
    });
}
