//! The Configuration screen with no file open: the first run (create the library's file, or open one), a missing file, or one that could not be read.

use super::super::super::command::Command;
use super::super::super::theme::Tone;
use super::super::super::widgets;
use super::super::{ScreenContext, install};
use super::*;
use crate::app::features::document::DocumentCommand;
use crate::app::features::install::InstallCommand;
use crate::cfg::init::InitBlocker;
use egui::{RichText, Ui};

/// No configuration open: the first run. Three ways to start — create the file where the
/// library reads it, create it elsewhere (and point `FXPKCS11_CFG` at it), or open one —
/// and the recent files, those that are gone marked and removable.
pub(super) fn show_empty(ui: &mut Ui, cx: &ScreenContext<'_>, view: &mut ConfigView, out: &mut Vec<Command>) {
    if let Some(path) = cx.loading {
        ui.horizontal(|ui| {
            widgets::busy(ui);
            ui.label(format!("Reading {}…", path.display()));
        });
        return;
    }
    if let Some(problem) = cx.load_problem {
        widgets::problem(ui, problem);
        ui.add_space(8.0);
    }
    let library = cx.library_path;
    match cx.missing {
        Some(missing) if missing.path == library => {
            ui.add(
                egui::Label::new(format!(
                    "There is no configuration yet: the PKCS#11 library reads {}, and there is no file there [2.2].",
                    library.display()
                ))
                .wrap(),
            );
        }
        Some(missing) => {
            let folder = if missing.folder_exists {
                String::new()
            } else {
                " (its folder does not exist either)".to_owned()
            };
            ui.add(egui::Label::new(format!("There is no file at {}{folder}.", missing.path.display())).wrap());
            ui.add(egui::Label::new(format!("The PKCS#11 library reads {} [2.2].", library.display())).wrap());
        }
        None => {
            ui.label("No configuration is open.");
            ui.add(egui::Label::new(format!("The PKCS#11 library reads {} [2.2].", library.display())).wrap());
        }
    }
    ui.add_space(8.0);
    ui.label(RichText::new("Start with one of these").strong().size(16.0));
    ui.add_space(2.0);
    let mut entry_taken = false;
    if let Some(missing) = cx.missing
        && missing.path != library
        && missing.folder_exists
    {
        let create = ui
            .button(format!("Create {}", missing.path.display()))
            .on_hover_text("Write the guide's layout [4.2] there, readable by you only (mode 0600)");
        widgets::apply_focus(cx.focus, &create, true);
        entry_taken = true;
        if create.clicked() {
            out.push(
                InstallCommand::Init {
                    path: Some(missing.path.clone()),
                }
                .into(),
            );
        }
        ui.add(egui::Label::new("the file asked for, with every field of the guide's layout [4.2].").wrap());
        ui.add_space(6.0);
    }
    let plan = cx.install.library_plan.as_ref().filter(|plan| plan.path == library);
    let blocked = plan.and_then(|plan| plan.blocker);
    let exists = plan.is_some_and(|plan| plan.exists);
    let create_here = if exists {
        ui.button(format!("Open {}", library.display()))
            .on_hover_text("The library's file exists now")
    } else {
        let text = if blocked.is_some() {
            format!("Create {}…", library.display())
        } else {
            format!("Create {}", library.display())
        };
        ui.button(text).on_hover_text(format!(
            "Write the guide's layout [4.2] to {}, readable by you only (mode 0600)",
            library.display()
        ))
    };
    widgets::apply_focus(cx.focus, &create_here, !entry_taken);
    if create_here.clicked() {
        out.push(if exists {
            DocumentCommand::Open(library.to_owned()).into()
        } else {
            InstallCommand::Init {
                path: Some(library.to_owned()),
            }
            .into()
        });
    }
    match (blocked, plan) {
        (Some(InitBlocker::FolderNotWritable), Some(plan)) => {
            widgets::toned(
                ui,
                Tone::Warn,
                &format!(
                    "This account may not create files in {}: the button shows how to put the file there \
                     (Save elsewhere…, then sudo install, or FXPKCS11_CFG).",
                    plan.folder.display()
                ),
            );
        }
        (Some(InitBlocker::FolderMissing), Some(plan)) => {
            widgets::toned(
                ui,
                Tone::Warn,
                &format!("The folder {} does not exist.", plan.folder.display()),
            );
        }
        _ => {}
    }
    ui.add(
        egui::Label::new(
            "where the library reads it, with every field of the guide's layout [4.2] and a comment on each; \
             what is left to fill in is named when you open it.",
        )
        .wrap(),
    );
    ui.add_space(6.0);
    if ui
        .add_enabled(!cx.dialog_open, egui::Button::new("Create it elsewhere…"))
        .on_hover_text("Choose where to write the new configuration")
        .clicked()
    {
        out.push(InstallCommand::Init { path: None }.into());
    }
    ui.add(
        egui::Label::new(format!(
            "for instance in your home folder when you may not write {}. The library then needs \
             FXPKCS11_CFG=<that path> in the environment of ssh, configTest and PKCS11Manager [2.2].",
            library.display()
        ))
        .wrap(),
    );
    ui.add_space(6.0);
    let (open, _) = widgets::path_field(
        ui,
        widgets::PathFieldSpec {
            label: "Or open an existing configuration",
            hint: "/usr/local/bin/fxpkcs11/fxpkcs11.cfg",
            id: open_field_id(),
            action: Some("Open"),
            browse_enabled: !cx.dialog_open,
            browse_hint: "Choose an fxpkcs11.cfg (Ctrl+O)",
            entry: false,
        },
        &mut view.open_path,
        cx.focus,
    );
    if open.submitted {
        out.push(DocumentCommand::Open(view.open_path.trim().into()).into());
    }
    if open.browse {
        out.push(DocumentCommand::AskOpen.into());
    }
    ui.add_space(8.0);
    install::show(ui, cx, &[install::Part::Configs, install::Part::Modules], out);
    if !cx.prefs.recent_files.is_empty() {
        ui.add_space(8.0);
        ui.label(RichText::new("Recent files").strong());
        for path in &cx.prefs.recent_files {
            ui.horizontal_wrapped(|ui| {
                let gone = cx.recent_missing.contains(path);
                if gone {
                    ui.weak(format!("{} {} (no longer there)", Tone::Skip.symbol(), path.display()));
                } else if ui.link(path.display().to_string()).clicked() {
                    out.push(DocumentCommand::Open(path.clone()).into());
                }
                if ui
                    .small_button("Remove")
                    .on_hover_text(format!("Forget {} in this list", path.display()))
                    .clicked()
                {
                    out.push(DocumentCommand::ForgetRecent(path.clone()).into());
                }
            });
        }
    }
}
