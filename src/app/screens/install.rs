//! What was found of the fxpkcs11 installation ([`crate::install::locate`]): the file the
//! library reads, every `fxpkcs11.cfg` in the guide's folders with an offer to copy a stray
//! one to where the library reads it, and every build of the module with whether it fits
//! this machine and an offer to use the one that does. Shown on the first-run screen and in
//! the troubleshooting's module step.

use egui::{RichText, Ui};

use crate::display::escape;
use crate::install::{ConfigState, FoundConfig, FoundModule, Installation};

use super::super::command::Command;
use super::super::model::CopySource;
use super::super::theme::Tone;
use super::super::widgets;
use super::ScreenContext;
use crate::app::features::document::DocumentCommand;
use crate::app::features::install::InstallCommand;
use crate::app::features::module::ModuleCommand;

/// Which parts to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The configuration files found.
    Configs,
    /// The module builds found.
    Modules,
}

/// Draws what was found; `parts` says which lists.
pub fn show(ui: &mut Ui, cx: &ScreenContext<'_>, parts: &[Part], out: &mut Vec<Command>) {
    let Some(found) = &cx.install.found else {
        ui.horizontal(|ui| {
            if cx.install.locating {
                widgets::busy(ui);
                ui.label("Looking for the fxpkcs11 installation…");
            }
        });
        return;
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Found on this machine").strong().size(16.0));
        if ui
            .add_enabled(!cx.install.locating, egui::Button::new("Look again"))
            .on_hover_text("Search the guide's folders again [2.1] [2.2]")
            .clicked()
        {
            out.push(InstallCommand::Locate.into());
        }
        if cx.install.locating {
            widgets::busy(ui);
        }
    });
    let searched: Vec<String> = found
        .searched
        .iter()
        .map(|folder| {
            let state = if folder.exists { "" } else { " (absent)" };
            format!("{}{state}", folder.path.display())
        })
        .collect();
    ui.add(egui::Label::new(RichText::new(format!("Searched: {}", escape(&searched.join(", ")))).weak()).wrap());
    if parts.contains(&Part::Configs) {
        configs(ui, found, out);
    }
    if parts.contains(&Part::Modules) {
        modules(ui, cx, found, out);
    }
}

fn configs(ui: &mut Ui, found: &Installation, out: &mut Vec<Command>) {
    let others: Vec<&FoundConfig> = found.configs.iter().filter(|config| !config.read_by_library).collect();
    if others.is_empty() {
        ui.weak("No other fxpkcs11.cfg in the guide's folders.");
        return;
    }
    for config in others {
        let (tone, what) = match config.state {
            ConfigState::SameAsLibrary => (Tone::Pass, "the same as the library's file".to_owned()),
            ConfigState::DiffersFromLibrary if config.differing_tags.is_empty() => {
                (Tone::Warn, "differs from the library's file".to_owned())
            }
            ConfigState::DiffersFromLibrary => (
                Tone::Warn,
                format!(
                    "differs from the library's file in {}",
                    escape(&config.differing_tags.join(", "))
                ),
            ),
            ConfigState::LibraryFileMissing => (
                Tone::Warn,
                "not read: the library's file does not exist, so this one must be copied there".to_owned(),
            ),
            ConfigState::ReadByLibrary => (Tone::Pass, "read by the library".to_owned()),
            ConfigState::Unreadable => (
                Tone::Skip,
                format!(
                    "could not be compared{}",
                    config
                        .error
                        .as_deref()
                        .map(|e| format!(": {}", escape(e)))
                        .unwrap_or_default()
                ),
            ),
        };
        let edited = if config.edited { " (open here)" } else { "" };
        widgets::toned(ui, tone, &format!("{}{edited}: {what}", config.path.display()));
        ui.horizontal_wrapped(|ui| {
            if !config.edited
                && ui
                    .button(format!("Open {}", file_label(&config.path)))
                    .on_hover_text(config.path.display().to_string())
                    .clicked()
            {
                out.push(DocumentCommand::Open(config.path.clone()).into());
            }
            if matches!(
                config.state,
                ConfigState::DiffersFromLibrary | ConfigState::LibraryFileMissing
            ) && ui
                .button(format!("Copy it to {}…", found.library_reads.display()))
                .on_hover_text("Shows the difference and who may read it before writing anything")
                .clicked()
            {
                out.push(
                    InstallCommand::PrepareCopy {
                        source: CopySource::File(config.path.clone()),
                        target: found.library_reads.clone(),
                    }
                    .into(),
                );
            }
        });
    }
}

fn modules(ui: &mut Ui, cx: &ScreenContext<'_>, found: &Installation, out: &mut Vec<Command>) {
    if found.modules.is_empty() {
        ui.weak("No build of the module (libfxpkcs11.so, fxpkcs11.dll) in the guide's folders.");
        return;
    }
    let recommended = found.recommended().map(|module| module.path.clone());
    for module in &found.modules {
        let tone = if module.fits { Tone::Pass } else { Tone::Fail };
        let verdict = if module.fits {
            "fits this machine"
        } else {
            "does not fit this machine"
        };
        widgets::toned(ui, tone, &format!("{} — {verdict}", module.path.display()));
        ui.indent(("module", module.path.display().to_string()), |ui| {
            ui.add(egui::Label::new(facts(module)).wrap());
            if let Some(why) = &module.why {
                ui.add(egui::Label::new(escape(why)).wrap());
            }
            if let Some(remedy) = &module.remedy {
                let remedy = match &module.guide {
                    Some(guide) => widgets::citing(remedy, guide),
                    None => remedy.clone(),
                };
                widgets::remedy(ui, Tone::Fail, &remedy, Some(&module.path.display().to_string()));
            }
            for note in &module.notes {
                widgets::toned(ui, Tone::Info, note);
            }
            let in_use = cx.module_configured && module.path.as_os_str() == std::ffi::OsStr::new(cx.module_path);
            if module.fits {
                if in_use {
                    ui.weak("In use for the SSH commands and tests.");
                } else {
                    let text = if recommended.as_ref() == Some(&module.path) {
                        "Use this module (recommended)"
                    } else {
                        "Use this module"
                    };
                    if ui
                        .button(text)
                        .on_hover_text(format!("Use {} for the SSH commands and tests", module.path.display()))
                        .clicked()
                    {
                        out.push(ModuleCommand::Use(module.path.clone()).into());
                    }
                }
            }
        });
    }
}

/// "64-bit x86-64, OpenSSL 1.1.x, build x64".
fn facts(module: &FoundModule) -> String {
    let mut facts = Vec::new();
    if let Some(bits) = module.bits {
        facts.push(format!("{bits}-bit"));
    }
    if let Some(machine) = &module.machine {
        facts.push(escape(machine).into_owned());
    }
    if let Some(openssl) = &module.openssl {
        facts.push(format!("OpenSSL {}", escape(openssl)));
    }
    if let Some(build) = &module.build {
        facts.push(format!("build {}", escape(build)));
    }
    if facts.is_empty() {
        module
            .kind
            .as_deref()
            .map(|kind| escape(kind).into_owned())
            .unwrap_or_default()
    } else {
        facts.join(", ")
    }
}

/// The last two components of a path, for a button: `fxpkcs11/fxpkcs11.cfg`.
fn file_label(path: &std::path::Path) -> String {
    let parts: Vec<_> = path.iter().rev().take(2).collect();
    parts
        .into_iter()
        .rev()
        .map(|part| part.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}
