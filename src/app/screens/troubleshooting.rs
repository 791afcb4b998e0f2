//! Guided troubleshooting: the guide's order, one step at a time. Each step runs its
//! checks (the doctor, stopped after the step's last check), says in plain words what is
//! wrong and what to do, and links to the screen that fixes it. It ends with the report.
//!
//! The module and SSH test steps need the PKCS#11 module screen of another issue; until
//! it exists they show the manual instructions. To check them, give [`StepKind`] a variant
//! for that screen's checks and point the two steps at it.

use egui::{RichText, Ui};

use crate::doctor::{CheckId, Status};

use super::super::command::Command;
use super::super::dialogs::DialogPurpose;
use super::super::model::{DoctorState, Slot};
use super::super::theme;
use super::super::widgets;
use super::connection;
use super::ssh_key::ssh_command;
use super::{Screen, ScreenContext};

/// How a step is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// By these doctor checks; fixed on that screen.
    Checks {
        /// The checks, in order.
        checks: &'static [CheckId],
        /// The screen that fixes a failure.
        fix_on: Screen,
    },
    /// Not checked by this app yet: it needs the PKCS#11 module screen.
    NeedsModuleScreen,
    /// The public key for the SSH server, from the SSH key screen.
    ServerKey,
    /// The end: every step's verdict and the report.
    Report,
}

/// One step of the wizard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// Its name.
    pub title: &'static str,
    /// The guide section it follows.
    pub guide: &'static str,
    /// What it establishes, in one sentence.
    pub purpose: &'static str,
    /// How it is checked.
    pub kind: StepKind,
}

/// The steps, in the guide's order.
pub const STEPS: [Step; 8] = [
    Step {
        title: "PKCS#11 module installed",
        guide: "2.2",
        purpose: "The Futurex PKCS#11 library (libfxpkcs11.so, fxpkcs11.dll) is installed where ssh can load it.",
        kind: StepKind::NeedsModuleScreen,
    },
    Step {
        title: "Configuration file",
        guide: "4.2",
        purpose: "fxpkcs11.cfg is the file the library reads, is well-formed, has valid values and is private.",
        kind: StepKind::Checks {
            checks: &[
                CheckId::ConfigLocate,
                CheckId::ConfigParse,
                CheckId::ConfigFields,
                CheckId::ConfigPermissions,
            ],
            fix_on: Screen::Configuration,
        },
    },
    Step {
        title: "TLS materials",
        guide: "3.1",
        purpose: "The root CA and the PKCS#12 client identity open, match and chain together.",
        kind: StepKind::Checks {
            checks: &[
                CheckId::TlsCa,
                CheckId::TlsIdentity,
                CheckId::TlsIdentityChain,
                CheckId::TlsIdentityValidity,
            ],
            fix_on: Screen::Certificates,
        },
    },
    Step {
        title: "Connection",
        guide: "3.1",
        purpose: "The KMES answers on the Host API port and the mutual TLS handshake succeeds.",
        kind: StepKind::Checks {
            checks: &[
                CheckId::NetResolve,
                CheckId::NetConnect,
                CheckId::TlsHandshake,
                CheckId::TlsServerCert,
                CheckId::TlsClientAuth,
            ],
            fix_on: Screen::ConnectionTest,
        },
    },
    Step {
        title: "Host API commands",
        guide: "3.2.10",
        purpose: "The KMES accepts Excrypt commands on the connection (the ECHO is answered).",
        kind: StepKind::Checks {
            checks: &[CheckId::HostapiEcho],
            fix_on: Screen::ConnectionTest,
        },
    },
    Step {
        title: "Server key",
        guide: "4.1",
        purpose: "The SSH server trusts the KMES key: its line is in authorized_keys and sshd accepts keys.",
        kind: StepKind::ServerKey,
    },
    Step {
        title: "SSH test",
        guide: "5",
        purpose: "ssh logs in to the server through the PKCS#11 module, without a password.",
        kind: StepKind::NeedsModuleScreen,
    },
    Step {
        title: "Report",
        guide: "",
        purpose: "Every step's verdict, and the report to copy into a support ticket.",
        kind: StepKind::Report,
    },
];

/// The widget state of the wizard: which step is shown.
#[derive(Debug, Default)]
pub struct WizardView {
    /// The index of the step shown.
    pub step: usize,
}

/// A step's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Not run yet.
    NotRun,
    /// Its checks' combined status.
    Checked(Status),
    /// Checked by hand (this app cannot check it yet).
    Manual,
}

/// The verdict of a step from the doctor's latest results.
pub fn verdict(step: &Step, doctor: &DoctorState) -> Verdict {
    match step.kind {
        StepKind::Checks { checks, .. } => match doctor.combined(checks) {
            Some(status) => Verdict::Checked(status),
            None => Verdict::NotRun,
        },
        StepKind::NeedsModuleScreen | StepKind::ServerKey => Verdict::Manual,
        StepKind::Report => Verdict::NotRun,
    }
}

fn verdict_text(verdict: Verdict) -> (&'static str, Option<Status>) {
    match verdict {
        Verdict::NotRun => ("not run", None),
        Verdict::Checked(status) => (theme::status_word(status), Some(status)),
        Verdict::Manual => ("check by hand", None),
    }
}

/// The step whose checks run when Enter is pressed, if the shown step has checks.
pub fn enter_action(view: &WizardView) -> Option<Command> {
    match STEPS.get(view.step).map(|step| step.kind) {
        Some(StepKind::Checks { checks, .. }) => Some(Command::RunDoctor {
            stop_after: checks.last().copied(),
        }),
        Some(StepKind::Report) => Some(Command::RunDoctor { stop_after: None }),
        _ => None,
    }
}

/// Draws the screen.
pub fn show(ui: &mut Ui, cx: &ScreenContext<'_>, view: &WizardView, out: &mut Vec<Command>) {
    ui.heading("Guided troubleshooting");
    ui.label(
        "The guide's order, one step at a time. Enter checks the step shown; the left and right arrow keys \
         move between steps.",
    );
    ui.add_space(6.0);
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.set_width(220.0);
            for (index, step) in STEPS.iter().enumerate() {
                let (word, status) = verdict_text(verdict(step, cx.doctor));
                let text = if step.guide.is_empty() {
                    format!("{}. {}", index + 1, step.title)
                } else {
                    format!("{}. {} [{}]", index + 1, step.title, step.guide)
                };
                if ui.selectable_label(view.step == index, text).clicked() {
                    out.push(Command::WizardStep(index));
                }
                let color = status.map_or(ui.visuals().weak_text_color(), |s| theme::status_color(ui.visuals(), s));
                if step.kind != StepKind::Report {
                    ui.label(RichText::new(format!("    {word}")).color(color).small());
                }
            }
        });
        ui.separator();
        ui.vertical(|ui| {
            let index = view.step.min(STEPS.len() - 1);
            show_step(ui, cx, index, out);
            ui.add_space(10.0);
            ui.horizontal(|ui| {
                if ui.add_enabled(index > 0, egui::Button::new("Back")).clicked() {
                    out.push(Command::WizardStep(index - 1));
                }
                if ui
                    .add_enabled(index + 1 < STEPS.len(), egui::Button::new("Next"))
                    .clicked()
                {
                    out.push(Command::WizardStep(index + 1));
                }
            });
        });
    });
}

fn show_step(ui: &mut Ui, cx: &ScreenContext<'_>, index: usize, out: &mut Vec<Command>) {
    let step = &STEPS[index];
    let heading = if step.guide.is_empty() {
        format!("Step {}: {}", index + 1, step.title)
    } else {
        format!("Step {}: {} [{}]", index + 1, step.title, step.guide)
    };
    ui.label(RichText::new(heading).strong().size(18.0));
    ui.label(step.purpose);
    ui.add_space(6.0);
    match step.kind {
        StepKind::Checks { checks, fix_on } => show_checks(ui, cx, checks, fix_on, out),
        StepKind::NeedsModuleScreen => show_manual(ui, cx, index),
        StepKind::ServerKey => show_server_key(ui, cx, out),
        StepKind::Report => show_report(ui, cx, out),
    }
}

fn show_checks(ui: &mut Ui, cx: &ScreenContext<'_>, checks: &[CheckId], fix_on: Screen, out: &mut Vec<Command>) {
    let running = cx.doctor.running;
    ui.horizontal(|ui| {
        let enabled = !running && cx.doc.is_some();
        if ui.add_enabled(enabled, egui::Button::new("Check this step")).clicked() {
            out.push(Command::RunDoctor {
                stop_after: checks.last().copied(),
            });
        }
        if running && ui.button("Cancel").clicked() {
            out.push(Command::CancelDoctor);
        }
    });
    if cx.doc.is_none() {
        ui.weak("Open a configuration first.");
    }
    ui.add_space(4.0);
    connection::check_list(ui, cx, checks);
    ui.add_space(6.0);
    let failing = checks
        .iter()
        .filter_map(|&id| cx.doctor.result(id))
        .find(|r| matches!(r.status, Status::Fail | Status::Warn));
    match (cx.doctor.combined(checks), failing) {
        (None, _) => {}
        (Some(_), Some(result)) => {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                let color = theme::status_color(ui.visuals(), result.status);
                let headline = if result.status == Status::Fail {
                    format!("What is wrong: {}", result.title)
                } else {
                    format!("This step works, with a warning: {}", result.title)
                };
                ui.label(RichText::new(headline).color(color).strong());
                ui.add(egui::Label::new(&result.detail).wrap());
                if !result.remedy.is_empty() {
                    ui.add(egui::Label::new(format!("What to do next: {}", result.remedy)).wrap());
                }
                if ui.button(format!("Go to {}", fix_on.title())).clicked() {
                    out.push(Command::Navigate(fix_on));
                }
            });
        }
        (Some(Status::Skip), None) => {
            ui.weak("These checks were skipped: fix the earlier steps first.");
        }
        (Some(_), None) => widgets::success(ui, "This step is fine. Go on with the next one."),
    }
}

fn show_manual(ui: &mut Ui, cx: &ScreenContext<'_>, index: usize) {
    ui.label(RichText::new("Not checked yet — needs the PKCS#11 module screen.").color(ui.visuals().warn_fg_color));
    ui.label("Check it by hand:");
    if index == 0 {
        ui.label("1. The module file exists and is readable by the ssh user:");
        widgets::code_block(ui, &format!("ls -l {}", shell_quote(cx.module_path)));
        ui.label("2. The library finds its configuration: /etc/fxpkcs11.cfg, or FXPKCS11_CFG for the ssh user [2.2].");
        widgets::code_block(ui, "echo \"$FXPKCS11_CFG\"; ls -l /etc/fxpkcs11.cfg");
    } else {
        let destination = cx.prefs.ssh_destination.as_deref().unwrap_or("root@SSH_Server_IP");
        ui.label("Run on the SSH client, as the user whose configuration you set up:");
        widgets::code_block(ui, &ssh_command(cx.module_path, destination));
        ui.label(
            "It works when you get a shell on the server without a password prompt. If ssh asks for a \
             password, the server does not accept the key (step 6); if it says the module cannot be \
             loaded, check step 1.",
        );
    }
}

fn shell_quote(text: &str) -> String {
    if text.contains(' ') {
        format!("\"{text}\"")
    } else {
        text.to_owned()
    }
}

fn show_server_key(ui: &mut Ui, cx: &ScreenContext<'_>, out: &mut Vec<Command>) {
    match &cx.key.key {
        Slot::Loaded(_, report) => {
            widgets::success(
                ui,
                &format!(
                    "The KMES key is open: {} {} bits, {}.",
                    report.key_type, report.bits, report.fingerprint
                ),
            );
            ui.label("On the SSH server, make sure this line is in ~/.ssh/authorized_keys and sshd accepts keys:");
            widgets::code_block(ui, &report.line);
        }
        Slot::Failed(_, problem) => widgets::problem(ui, problem),
        _ => {
            ui.label("Open the public key exported from the KMES [3.2.9] to get its authorized_keys line.");
            if ui
                .add_enabled(!cx.dialog_open, egui::Button::new("Open public key…"))
                .clicked()
            {
                out.push(Command::Dialog(DialogPurpose::OpenPublicKey));
            }
        }
    }
    if ui.button("Go to SSH key").clicked() {
        out.push(Command::Navigate(Screen::SshKey));
    }
}

fn show_report(ui: &mut Ui, cx: &ScreenContext<'_>, out: &mut Vec<Command>) {
    egui::Grid::new("wizard-summary").num_columns(2).show(ui, |ui| {
        for (index, step) in STEPS.iter().enumerate().filter(|(_, s)| s.kind != StepKind::Report) {
            ui.label(format!("{}. {}", index + 1, step.title));
            let (word, status) = verdict_text(verdict(step, cx.doctor));
            let color = status.map_or(ui.visuals().weak_text_color(), |s| theme::status_color(ui.visuals(), s));
            ui.label(RichText::new(word).color(color));
            ui.end_row();
        }
    });
    ui.add_space(6.0);
    if cx.doctor.markdown.is_none() {
        ui.label("Run every check to make the report.");
        if ui
            .add_enabled(
                !cx.doctor.running && cx.doc.is_some(),
                egui::Button::new("Run all checks"),
            )
            .clicked()
        {
            out.push(Command::RunDoctor { stop_after: None });
        }
        return;
    }
    connection::run_controls(ui, cx, out);
}
