//! Says that a save failed, why, and where the configuration can go instead.

use super::super::command::Command;
use super::super::model::Problem;
use super::super::theme::Tone;
use super::super::widgets;
use super::{ModalContext, focus_first};
use crate::app::features::document::DocumentCommand;
use crate::app::features::install::InstallCommand;
use crate::cfg::init as cfg_init;
use egui::RichText;
use std::path::Path;

/// Draws the dialog.
pub(super) fn show(
    ctx: &egui::Context,
    cx: &ModalContext,
    target: &Path,
    problem: &Problem,
    permission_denied: &bool,
    out: &mut Vec<Command>,
) {
    let escape = cx.escape;
    let meant = target.to_path_buf();
    let example = cfg_init::home_cfg()
        .filter(|home| *home != meant)
        .map(|home| cfg_init::install_command(&home, &meant));
    let target = target.display().to_string();
    let permission_denied = *permission_denied;
    egui::Modal::new(egui::Id::unique("save-failed")).show(ctx, |ui| {
        ui.set_max_width(ctx.content_rect().width().min(620.0) - 40.0);
        ui.heading(format!("{} Not saved", Tone::Fail.symbol()));
        ui.add(egui::Label::new(format!("{target} was not written; the file on disk is unchanged.")).wrap());
        widgets::problem(ui, problem);
        ui.add_space(6.0);
        ui.label(RichText::new("Next steps").strong());
        if permission_denied {
            ui.add(
                egui::Label::new(
                    "You may not write there as this user. Save the configuration somewhere you can \
                     write (Save elsewhere…), then either install it where the library reads it, as root, \
                     or point the library at your copy with FXPKCS11_CFG [2.2]:",
                )
                .wrap(),
            );
            if let Some(example) = &example {
                widgets::code_block(ui, example);
            }
            ui.weak("The exact command is shown once your copy is saved.");
        } else {
            ui.add(
                egui::Label::new(
                    "Save the configuration under another name (Save elsewhere…), or fix the cause \
                     above and save again.",
                )
                .wrap(),
            );
        }
        ui.add_space(8.0);
        ui.horizontal_wrapped(|ui| {
            let save_as = ui
                .button("Save elsewhere…")
                .on_hover_text("Save the configuration under another name (as Save as…)");
            focus_first(ui, &save_as);
            if save_as.clicked() {
                out.push(Command::CloseModal);
                out.push(if permission_denied {
                    InstallCommand::SaveCopyFor(meant.clone()).into()
                } else {
                    DocumentCommand::AskSaveAs.into()
                });
            }
            if ui.button("Close").clicked() || escape {
                out.push(Command::CloseModal);
            }
        });
    });
}
