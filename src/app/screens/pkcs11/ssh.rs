//! The SSH test through the module [5]: the target, the run, and its verdict (shared with the wizard's SSH step).

use super::super::super::command::Command;
use super::super::super::theme::Tone;
use super::super::super::widgets;
use super::super::{SSH_TARGET_EXAMPLE, ScreenContext};
use super::*;
use crate::app::features::module::ModuleCommand;
use crate::display::escape_lines;
use egui::{Id, RichText, Ui};

pub(super) fn show_ssh_test(ui: &mut Ui, cx: &ScreenContext<'_>, view: &mut ModuleView, out: &mut Vec<Command>) {
    ui.label(RichText::new("SSH test [5]").strong().size(16.0));
    if view.target.is_empty()
        && let Some(destination) = &cx.prefs.ssh_destination
    {
        view.target.clone_from(destination);
    }
    let label = ui.label("SSH target USER@HOST[:PORT]");
    ui.horizontal(|ui| {
        let width = (ui.available_width() - 90.0).clamp(120.0, 420.0);
        let target = ui
            .add(
                egui::TextEdit::singleline(&mut view.target)
                    .id(Id::unique("p11-ssh-target"))
                    .hint_text(widgets::hint_text(SSH_TARGET_EXAMPLE))
                    .desired_width(width),
            )
            .labelled_by(label.id);
        if target.changed() {
            out.push(ModuleCommand::SetSshTarget(view.target.clone()).into());
        }
        let entered = target.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter));
        let enabled = !cx.module.ssh_running && !view.target.trim().is_empty();
        if ui.add_enabled(enabled, egui::Button::new("SSH test")).clicked() || (entered && enabled) {
            out.push(
                ModuleCommand::SshTest {
                    target: view.target.trim().to_owned(),
                    pin: view.take_pin(),
                }
                .into(),
            );
        }
        if cx.module.ssh_running {
            widgets::busy(ui);
        }
    });
    if let Some(result) = &cx.module.ssh {
        show_ssh_result(ui, result, cx.ssh_changes);
    }
}

/// The SSH test's verdict, detail and remedy (also used by the wizard).
pub fn show_ssh_result(
    ui: &mut Ui,
    result: &Result<crate::pkcs11::ssh::SshLoginReport, super::super::super::model::Problem>,
    changes: &[String],
) {
    widgets::out_of_date(ui, changes);
    match result {
        Ok(report) if report.passed() => {
            widgets::success(ui, &format!("SSH login through the module works ({} ms).", report.ms));
            ui.add(egui::Label::new(escape_lines(&report.detail)).wrap());
        }
        Ok(report) => {
            let color = ui.visuals().error_fg_color;
            ui.label(
                RichText::new(format!("{} SSH test failed: {:?}", Tone::Fail.symbol(), report.verdict)).color(color),
            );
            ui.add(egui::Label::new(escape_lines(&report.detail)).wrap());
            if !report.remedy.is_empty() {
                widgets::remedy(
                    ui,
                    Tone::Fail,
                    &widgets::citing(&report.remedy, report.guide),
                    Some("ssh"),
                );
            }
        }
        Err(problem) => widgets::problem(ui, problem),
    }
    if let Ok(report) = result {
        widgets::code_block(ui, &report.command);
    }
}
