//! Guided troubleshooting: the guide's order, one step at a time. Each step runs its
//! checks (the doctor, stopped after the step's last check), says in plain words what is
//! wrong and what to do, and links to the screen that fixes it. It ends with the report.
//!
//! The module and SSH test steps use the PKCS#11 module screen: the module step checks
//! and loads the module set there, the SSH step runs the SSH test when a target is set.

use egui::{RichText, Ui};

use crate::doctor::{CheckId, Status};

use super::super::command::Command;
use super::super::dialogs::DialogPurpose;
use super::super::model::{DoctorState, ModuleOutcome, ModuleState, Slot};
use super::super::theme;
use super::super::widgets;
use super::connection;
use super::pkcs11;
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
    /// The module file, its libraries and the load, from the PKCS#11 module screen.
    Module,
    /// The SSH login through the module, from the PKCS#11 module screen.
    SshLogin,
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
        kind: StepKind::Module,
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
        kind: StepKind::SshLogin,
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

/// The verdict of a step from the doctor's and the PKCS#11 module screen's latest results.
pub fn verdict(step: &Step, doctor: &DoctorState, module: &ModuleState) -> Verdict {
    match step.kind {
        StepKind::Checks { checks, .. } => match doctor.combined(checks) {
            Some(status) => Verdict::Checked(status),
            None => Verdict::NotRun,
        },
        StepKind::Module => match &module.outcome {
            Some(outcome) if module_loaded(outcome) => Verdict::Checked(Status::Pass),
            Some(_) => Verdict::Checked(Status::Fail),
            None => Verdict::NotRun,
        },
        StepKind::SshLogin => match &module.ssh {
            Some(Ok(report)) if report.passed() => Verdict::Checked(Status::Pass),
            Some(_) => Verdict::Checked(Status::Fail),
            None => Verdict::NotRun,
        },
        StepKind::ServerKey => Verdict::Manual,
        StepKind::Report => Verdict::NotRun,
    }
}

/// Whether the file check passed and the module loaded.
fn module_loaded(outcome: &ModuleOutcome) -> bool {
    outcome.file.is_ok()
        && matches!(&outcome.probe, Some(Ok(report)) if report.load.done().is_some() && report.token.done().is_some())
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
                let (word, status) = verdict_text(verdict(step, cx.doctor, cx.module));
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
        StepKind::Module => show_module(ui, cx, out),
        StepKind::SshLogin => show_ssh(ui, cx, out),
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

fn show_module(ui: &mut Ui, cx: &ScreenContext<'_>, out: &mut Vec<Command>) {
    ui.label(format!("Module: {}", cx.module_path));
    ui.horizontal(|ui| {
        if ui
            .add_enabled(!cx.module.running, egui::Button::new("Check the module"))
            .clicked()
        {
            out.push(Command::LoadModule {
                token_label: None,
                pin: None,
            });
        }
        if cx.module.running {
            widgets::busy(ui);
        }
    });
    if let Some(outcome) = &cx.module.outcome {
        pkcs11::show_checks(ui, outcome);
        if module_loaded(outcome) {
            widgets::success(ui, "The module loads and shows its token. Go on with the next step.");
        }
    }
    ui.label("The library finds its configuration: /etc/fxpkcs11.cfg, or FXPKCS11_CFG for the ssh user [2.2].");
    if ui.button("Go to PKCS#11 module").clicked() {
        out.push(Command::Navigate(Screen::Pkcs11Module));
    }
}

fn show_ssh(ui: &mut Ui, cx: &ScreenContext<'_>, out: &mut Vec<Command>) {
    let destination = cx
        .prefs
        .ssh_destination
        .as_deref()
        .map(str::trim)
        .filter(|destination| !destination.is_empty());
    match destination {
        Some(destination) => {
            ui.label(format!("Target: {destination}"));
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(!cx.module.ssh_running, egui::Button::new("Run the SSH test"))
                    .clicked()
                {
                    out.push(Command::SshTest {
                        target: destination.to_owned(),
                        pin: None,
                    });
                }
                if cx.module.ssh_running {
                    widgets::busy(ui);
                }
            });
            if let Some(result) = &cx.module.ssh {
                pkcs11::show_ssh_result(ui, result);
            }
        }
        None => {
            ui.label("No SSH target set: set one on the PKCS#11 module screen, or run on the SSH client, as the user whose configuration you set up:");
            widgets::code_block(ui, &ssh_command(cx.module_path, "root@SSH_Server_IP"));
            ui.label(
                "It works when you get a shell on the server without a password prompt. If ssh asks for a \
                 password, the server does not accept the key (step 6); if it says the module cannot be \
                 loaded, check step 1.",
            );
        }
    }
    if ui.button("Go to PKCS#11 module").clicked() {
        out.push(Command::Navigate(Screen::Pkcs11Module));
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
            let (word, status) = verdict_text(verdict(step, cx.doctor, cx.module));
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
