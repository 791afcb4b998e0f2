//! Says that a new configuration was not created, and why.

use super::super::command::Command;
use super::super::model::Problem;
use super::super::theme::Tone;
use super::super::widgets;
use super::{ModalContext, focus_first};
use crate::app::features::document::DocumentCommand;
use crate::app::features::install::InstallCommand;
use std::path::Path;

/// Draws the dialog.
pub(super) fn show(
    ctx: &egui::Context,
    cx: &ModalContext,
    path: &Path,
    problem: &Problem,
    exists: &bool,
    out: &mut Vec<Command>,
) {
    let escape = cx.escape;
    let shown = path.display().to_string();
    egui::Modal::new(egui::Id::unique("not-created")).show(ctx, |ui| {
        ui.set_max_width(ctx.content_rect().width().min(620.0) - 40.0);
        ui.heading(format!("{} Not created", Tone::Fail.symbol()));
        ui.add(egui::Label::new(format!("{shown} was not written; nothing on disk changed.")).wrap());
        widgets::problem(ui, problem);
        ui.add_space(8.0);
        ui.horizontal_wrapped(|ui| {
            if *exists {
                let open = ui.button(format!("Open {shown}"));
                focus_first(ui, &open);
                if open.clicked() {
                    out.push(Command::CloseModal);
                    out.push(DocumentCommand::Open(path.to_path_buf()).into());
                }
            }
            let elsewhere = ui
                .button("Create it elsewhere…")
                .on_hover_text("Choose where to write the new configuration");
            if !*exists {
                focus_first(ui, &elsewhere);
            }
            if elsewhere.clicked() {
                out.push(Command::CloseModal);
                out.push(InstallCommand::Init { path: None }.into());
            }
            if ui.button("Close").clicked() || escape {
                out.push(Command::CloseModal);
            }
        });
    });
}
