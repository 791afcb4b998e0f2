//! The program, the renderer, the files it uses, and the keyboard shortcuts.

use super::super::APP_NAME;
use super::super::chrome::SHORTCUTS;
use super::super::command::Command;
use super::{ModalContext, focus_first};
use egui::{Key, RichText, Ui};

/// Draws the dialog.
pub(super) fn show(ctx: &egui::Context, cx: &ModalContext, out: &mut Vec<Command>) {
    let (path, escape) = (&cx.path, cx.escape);
    let (renderer, library, prefs_file) = (&cx.renderer, &cx.library, &cx.prefs_file);
    egui::Modal::new(egui::Id::unique("about")).show(ctx, |ui| {
        ui.set_max_width(ctx.content_rect().width().min(640.0) - 40.0);
        let height = ctx.content_rect().height();
        ui.heading(format!("{APP_NAME} {}", env!("CARGO_PKG_VERSION")));
        egui::ScrollArea::vertical()
            .max_height((height - 140.0).max(120.0))
            .show(ui, |ui| {
                ui.add(
                    egui::Label::new(
                        "Sets up and diagnoses the Futurex PKCS#11 client (fxpkcs11) for SSH keys \
                         held in a KMES Series 3.",
                    )
                    .wrap(),
                );
                ui.add_space(6.0);
                egui::Grid::new("about-facts")
                    .num_columns(2)
                    .spacing([12.0, 4.0])
                    .show(ui, |ui| {
                        let row = |ui: &mut Ui, name: &str, value: &str| {
                            ui.weak(name);
                            ui.add(egui::Label::new(value).wrap().selectable(true));
                            ui.end_row();
                        };
                        row(
                            ui,
                            "Renderer",
                            renderer.as_deref().unwrap_or("not known (test harness)"),
                        );
                        row(
                            ui,
                            "The library reads",
                            &format!("{} ({})", library.path.display(), library.source.describe()),
                        );
                        row(ui, "Open file", if path.is_empty() { "none" } else { path });
                        row(ui, "Preferences", prefs_file.as_deref().unwrap_or("not stored"));
                    });
                ui.add_space(6.0);
                ui.label(RichText::new("Keyboard").strong());
                egui::Grid::new("about-keys")
                    .num_columns(2)
                    .spacing([12.0, 2.0])
                    .show(ui, |ui| {
                        for (keys, what) in SHORTCUTS {
                            ui.label(RichText::new(keys).monospace());
                            ui.label(what);
                            ui.end_row();
                        }
                    });
            });
        ui.add_space(8.0);
        let close = ui.button("Close");
        focus_first(ui, &close);
        if close.clicked() || escape || ui.input(|input| input.key_pressed(Key::F1)) {
            out.push(Command::CloseModal);
        }
    });
}
