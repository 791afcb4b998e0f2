//! Says that a file cannot be written by this account, and gives the commands that put a copy in place.

use super::super::command::Command;
use super::super::theme::Tone;
use super::super::widgets;
use super::{ModalContext, focus_first};
use crate::app::features::install::InstallCommand;
use crate::cfg::init as cfg_init;
use egui::RichText;
use std::path::Path;
use std::path::PathBuf;

/// Draws the dialog.
pub(super) fn show(
    ctx: &egui::Context,
    cx: &ModalContext,
    target: &Path,
    reason: &str,
    elsewhere: &Option<PathBuf>,
    source: &Option<PathBuf>,
    out: &mut Vec<Command>,
) {
    let escape = cx.escape;
    let meant = target.display().to_string();
    let copy = source.clone().or_else(|| elsewhere.clone());
    let install = copy.as_ref().map(|copy| cfg_init::install_command(copy, target));
    let env = copy.as_ref().map(|copy| cfg_init::env_command(copy));
    let exact = source.is_some();
    egui::Modal::new(egui::Id::unique("cannot-write")).show(ctx, |ui| {
        ui.set_max_width(ctx.content_rect().width().min(640.0) - 40.0);
        ui.heading(format!("{} {meant} cannot be written here", Tone::Warn.symbol()));
        ui.add(egui::Label::new(format!("{}: {reason}. Nothing was written.", capitalised(&meant))).wrap());
        ui.add_space(6.0);
        ui.label(RichText::new("Next steps").strong());
        let mut copies = Vec::new();
        if exact {
            ui.add(egui::Label::new("Install the file where the library reads it, as root:").wrap());
        } else {
            ui.add(
                egui::Label::new(
                    "Save it where you may write (Save elsewhere…), then install it where the library \
                     reads it, as root:",
                )
                .wrap(),
            );
        }
        if let Some(install) = &install {
            widgets::code_block(ui, install);
            copies.push(("Copy the install command", install.clone()));
        }
        ui.add(
            egui::Label::new(
                "or make the library read your copy, in the environment of the account that runs ssh \
                 [2.2]:",
            )
            .wrap(),
        );
        if let Some(env) = &env {
            widgets::code_block(ui, env);
            copies.push(("Copy the FXPKCS11_CFG command", env.clone()));
        }
        if !exact {
            ui.weak("The exact commands are shown once your copy is saved.");
        }
        ui.add_space(8.0);
        ui.horizontal_wrapped(|ui| {
            if !exact {
                let save = ui.button("Save elsewhere…");
                focus_first(ui, &save);
                if save.clicked() {
                    out.push(InstallCommand::SaveElsewhere.into());
                }
            }
            for (label, text) in copies {
                if ui.button(label).clicked() {
                    out.push(Command::Copy(text));
                }
            }
            let close = ui.button("Close");
            if exact {
                focus_first(ui, &close);
            }
            if close.clicked() || escape {
                out.push(Command::CloseModal);
            }
        });
    });
}

/// The text with its first letter in capitals.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
