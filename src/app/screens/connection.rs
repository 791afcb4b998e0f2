//! The Connection test screen: the doctor's checks as they complete, with Cancel, and the
//! report to copy or save. In the demo, the simulator's fault switch sits here too.

use egui::{RichText, Ui};

use crate::doctor::{CheckId, Status};
use crate::sim::Fault;

use super::super::command::Command;
use super::super::dialogs::DialogPurpose;
use super::super::widgets;
use super::ScreenContext;

/// Draws the screen.
pub fn show(ui: &mut Ui, cx: &ScreenContext<'_>, out: &mut Vec<Command>) {
    ui.heading("Connection test");
    ui.label(
        "Runs the checks of configTest and more, in order: the configuration, the TLS materials, \
         the network, the TLS handshake and the Excrypt ECHO. Press Enter to run.",
    );
    if let Some(demo) = cx.demo {
        let fault = demo.fault().map_or("none", |fault| fault.name());
        ui.weak(format!("Demo simulator fault: {fault} (switch it in the left panel)."));
    }
    ui.add_space(4.0);
    run_controls(ui, cx, out);
    ui.separator();
    check_list(ui, cx, &CheckId::ALL);
    if let Some(report) = &cx.doctor.report {
        ui.separator();
        let failed = report.checks.iter().filter(|c| c.status == Status::Fail).count();
        let warned = report.checks.iter().filter(|c| c.status == Status::Warn).count();
        if report.ok {
            widgets::success(ui, &format!("The connection works ({warned} warnings)."));
        } else {
            ui.label(
                RichText::new(format!("{failed} checks failed, {warned} warnings.")).color(ui.visuals().error_fg_color),
            );
        }
    }
}

/// The Run and Cancel buttons, the configuration they use, and the report buttons.
pub fn run_controls(ui: &mut Ui, cx: &ScreenContext<'_>, out: &mut Vec<Command>) {
    let Some(doc) = cx.doc else {
        ui.weak("Open a configuration first.");
        return;
    };
    if doc.modified {
        ui.label(
            RichText::new("The test reads the saved file; your unsaved changes are not tested.")
                .color(ui.visuals().warn_fg_color),
        );
    }
    ui.horizontal(|ui| {
        let running = cx.doctor.running;
        if ui
            .add_enabled(!running, egui::Button::new("Run test"))
            .on_hover_text(format!("Test {} (Enter)", doc.file.path.display()))
            .clicked()
        {
            out.push(Command::RunDoctor { stop_after: None });
        }
        if ui.add_enabled(running, egui::Button::new("Cancel")).clicked() {
            out.push(Command::CancelDoctor);
        }
        if running {
            widgets::busy(ui);
            if let Some(started) = cx.doctor.started {
                ui.label(format!("{:.1} s", started.elapsed().as_secs_f32()));
            }
        }
        let has_report = cx.doctor.markdown.is_some();
        if ui.add_enabled(has_report, egui::Button::new("Copy report")).clicked()
            && let Some(markdown) = &cx.doctor.markdown
        {
            out.push(Command::Copy(markdown.clone()));
        }
        if ui
            .add_enabled(has_report && !cx.dialog_open, egui::Button::new("Save report…"))
            .clicked()
        {
            out.push(Command::Dialog(DialogPurpose::SaveReport));
        }
    });
    if cx.doctor.cancelled && !cx.doctor.running {
        ui.weak("The last run was cancelled.");
    }
}

/// The results of these checks, with the running one and the ones still to come.
pub fn check_list(ui: &mut Ui, cx: &ScreenContext<'_>, ids: &[CheckId]) {
    let current = cx.doctor.current();
    for &id in ids {
        match cx.doctor.result(id) {
            Some(result) => widgets::check_row(ui, result),
            None => widgets::pending_row(ui, id, current == Some(id)),
        }
        ui.add_space(2.0);
    }
}

/// The demo simulator's fault, switchable.
pub fn fault_switch(ui: &mut Ui, current: Option<Fault>, out: &mut Vec<Command>) {
    let name = |fault: Option<Fault>| fault.map_or("none (a healthy KMES)", Fault::name);
    let mut chosen = current;
    let label = ui.label("Simulator fault");
    egui::ComboBox::from_id_salt("simulator-fault")
        .selected_text(name(current))
        .width(200.0)
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut chosen, None, name(None));
            for fault in Fault::ALL {
                ui.selectable_value(&mut chosen, Some(fault), fault.name())
                    .on_hover_text(fault.description());
            }
        })
        .response
        .labelled_by(label.id)
        .on_hover_text("Make the simulator misbehave the way a misconfigured KMES does");
    if chosen != current {
        out.push(Command::SetFault(chosen));
    }
}
