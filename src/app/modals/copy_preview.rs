//! Shows what copying a configuration onto another file changes, and who may read the copy.

use super::super::command::Command;
use super::super::model::CopySource;
use super::diff_lines;
use super::{ModalContext, focus_first};
use crate::app::features::install::CopyPreview;
use crate::app::features::install::InstallCommand;
use crate::cfg;
use egui::RichText;

/// Draws the dialog.
pub(super) fn show(ctx: &egui::Context, cx: &ModalContext, preview: &CopyPreview, out: &mut Vec<Command>) {
    let (path, escape) = (&cx.path, cx.escape);
    let enter = cx.enter;
    let source = match &preview.source {
        CopySource::OpenDocument => format!("the open configuration ({path})"),
        CopySource::File(file) => file.display().to_string(),
    };
    let target = preview.target.display().to_string();
    egui::Modal::new(egui::Id::unique("copy-preview")).show(ctx, |ui| {
        let height = ctx.content_rect().height();
        ui.set_max_width(ctx.content_rect().width().min(760.0) - 40.0);
        ui.heading(format!("Copy to {target}?"));
        ui.add(egui::Label::new(format!("From {source}. The difference (passwords masked):")).wrap());
        egui::ScrollArea::both()
            .max_height((height - 260.0).clamp(100.0, 320.0))
            .show(ui, |ui| diff_lines(ui, &preview.lines));
        ui.add_space(4.0);
        ui.label(RichText::new("Who may read it").strong());
        let note = if preview.plan.exists {
            format!(
                "{target} exists: it is replaced, keeping its owner and permissions, and its contents                              are kept in {}.",
                cfg::file::backup_path(&preview.target).display()
            )
        } else {
            format!("{target} is created readable by its owner only (mode 0600), as the guide wants for a file holding passwords [4.2].")
        };
        ui.add(egui::Label::new(note).wrap());
        if preview.plan.read_by_library {
            ui.weak("The PKCS#11 library reads this file.");
        }
        ui.add_space(8.0);
        ui.horizontal_wrapped(|ui| {
            let copy = ui.button("Copy");
            focus_first(ui, &copy);
            if copy.clicked() || enter {
                out.push(InstallCommand::ConfirmCopy.into());
            }
            if ui.button("Cancel").clicked() || escape {
                out.push(Command::CloseModal);
            }
        });
    });
}
