//! Guided troubleshooting: the guide's order, one step at a time. Each step runs its
//! checks (the doctor, stopped after the step's last check), says in plain words what is
//! wrong and what to do, and links to the screen that fixes it. It ends with the report.
//!
//! The module and SSH test steps use the PKCS#11 module screen: the module step checks
//! and loads the module set there, the SSH step runs the SSH test when a target is set.

use egui::{RichText, Ui};

use crate::doctor::{CheckId, Status, WizardStep};

use super::super::command::Command;
use super::super::dialogs::DialogPurpose;
use super::super::features::doctor::DoctorCommand;
use super::super::model::Slot;
use super::super::theme::{self, Tone};
use super::super::widgets;
use super::connection::{self, ResultsView};
use super::pkcs11;
use super::{Screen, ScreenContext, install};
use crate::app::features::module::ModuleCommand;
use crate::app::features::module::ModuleOutcome;

/// How a step is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// By the doctor checks whose row in [`crate::doctor::CHECKS`] names this step; fixed
    /// on that screen.
    Checks {
        /// The step the checks name.
        step: WizardStep,
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
        purpose: "fxpkcs11.cfg is the file the library reads, is well-formed, has valid values, is private, and the ssh user can read it and its TLS files.",
        kind: StepKind::Checks {
            step: WizardStep::Configuration,
            fix_on: Screen::Configuration,
        },
    },
    Step {
        title: "TLS materials",
        guide: "3.1",
        purpose: "The root CA and the PKCS#12 client identity open, match and chain together.",
        kind: StepKind::Checks {
            step: WizardStep::TlsMaterials,
            fix_on: Screen::Certificates,
        },
    },
    Step {
        title: "Connection",
        guide: "3.1",
        purpose: "The KMES answers on the Host API port and the mutual TLS handshake succeeds.",
        kind: StepKind::Checks {
            step: WizardStep::Connection,
            fix_on: Screen::ConnectionTest,
        },
    },
    Step {
        title: "Host API commands",
        guide: "3.2.10",
        purpose: "The KMES accepts Excrypt commands on the connection (the ECHO is answered).",
        kind: StepKind::Checks {
            step: WizardStep::HostApi,
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

/// The widget state of the wizard: which step is shown, and its results list.
#[derive(Debug, Default)]
pub struct WizardView {
    /// The index of the step shown.
    pub step: usize,
    /// The results list of the step shown.
    pub results: ResultsView,
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
    /// Does not apply here (the demo has no PKCS#11 module).
    NotApplicable,
}

/// The verdict of a step from the doctor's and the PKCS#11 module screen's latest results.
/// In the demo without a module, the module step does not apply.
pub fn verdict(step: &Step, cx: &ScreenContext<'_>) -> Verdict {
    let (doctor, module) = (cx.doctor, cx.module);
    match step.kind {
        StepKind::Checks { step, .. } => {
            let shown: Vec<Tone> = CheckId::of_step(step)
                .filter_map(|id| doctor.result(id).map(connection::tone_of))
                .collect();
            if shown.is_empty() {
                return Verdict::NotRun;
            }
            let worst = [Tone::Fail, Tone::Warn, Tone::Pass, Tone::Info, Tone::Skip]
                .into_iter()
                .find(|tone| shown.contains(tone))
                .unwrap_or(Tone::Skip);
            Verdict::Checked(match worst {
                Tone::Fail => Status::Fail,
                Tone::Warn => Status::Warn,
                Tone::Pass | Tone::Info => Status::Pass,
                Tone::Skip => Status::Skip,
            })
        }
        StepKind::Module if module_not_applicable(cx) => Verdict::NotApplicable,
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

/// Whether the module step does not apply: the demo, with no module chosen or found.
fn module_not_applicable(cx: &ScreenContext<'_>) -> bool {
    cx.demo.is_some() && !cx.module_configured && cx.module.outcome.is_none()
}

/// Whether the file check passed and the module loaded.
fn module_loaded(outcome: &ModuleOutcome) -> bool {
    outcome.file.is_ok()
        && matches!(&outcome.probe, Some(Ok(report)) if report.load.done().is_some() && report.token.done().is_some())
}

/// The tone and word of a verdict.
fn verdict_text(verdict: Verdict) -> (Tone, &'static str) {
    match verdict {
        Verdict::NotRun => (Tone::Skip, "not run"),
        Verdict::Checked(status) => {
            let tone = Tone::from(status);
            (tone, tone.word())
        }
        Verdict::Manual => (Tone::Skip, "check by hand"),
        Verdict::NotApplicable => (Tone::Skip, "not applicable"),
    }
}

/// What Enter does on the step shown when no control has the focus: check it (nothing on the
/// SSH step while no target is set).
pub fn enter_action(view: &WizardView, ssh_destination: &str) -> Option<Command> {
    match STEPS.get(view.step).map(|step| step.kind) {
        Some(StepKind::Checks { step, .. }) => Some(
            DoctorCommand::Run {
                stop_after: CheckId::of_step(step).last(),
            }
            .into(),
        ),
        Some(StepKind::Module) => Some(
            ModuleCommand::Load {
                token_label: None,
                pin: None,
            }
            .into(),
        ),
        Some(StepKind::SshLogin) if !ssh_destination.is_empty() => Some(
            ModuleCommand::SshTest {
                target: ssh_destination.to_owned(),
                pin: None,
            }
            .into(),
        ),
        // Without a target there is nothing to run: Enter does nothing rather than leave the step.
        Some(StepKind::SshLogin) => None,
        Some(StepKind::ServerKey) => Some(Command::Navigate(Screen::SshKey)),
        Some(StepKind::Report) => Some(DoctorCommand::Run { stop_after: None }.into()),
        None => None,
    }
}

/// The width below which the step list goes above the step instead of beside it.
const SIDE_BY_SIDE_WIDTH: f32 = 640.0;

/// Draws the screen.
pub fn show(ui: &mut Ui, cx: &ScreenContext<'_>, view: &mut WizardView, out: &mut Vec<Command>) {
    ui.heading("Guided troubleshooting");
    ui.add(
        egui::Label::new(
            "The guide's order, one step at a time. Enter checks the step shown; Alt+Left and Alt+Right move \
             between steps.",
        )
        .wrap(),
    );
    ui.add_space(6.0);
    let index = view.step.min(STEPS.len() - 1);
    if ui.available_width() >= SIDE_BY_SIDE_WIDTH {
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.set_width(210.0);
                step_list(ui, cx, view, out, false);
            });
            ui.separator();
            ui.vertical(|ui| step_page(ui, cx, view, index, out));
        });
    } else {
        ui.horizontal_wrapped(|ui| step_list(ui, cx, view, out, true));
        ui.separator();
        step_page(ui, cx, view, index, out);
    }
}

/// Every step with its verdict (symbol and word); `compact` shows numbers and symbols only.
fn step_list(ui: &mut Ui, cx: &ScreenContext<'_>, view: &WizardView, out: &mut Vec<Command>, compact: bool) {
    for (index, step) in STEPS.iter().enumerate() {
        let (tone, word) = verdict_text(verdict(step, cx));
        let color = theme::tone_color(ui.visuals(), tone);
        let title = if step.guide.is_empty() {
            format!("{}. {}", index + 1, step.title)
        } else {
            format!("{}. {} [{}]", index + 1, step.title, step.guide)
        };
        let selected = view.step == index;
        let response = if compact {
            let text = if step.kind == StepKind::Report {
                format!("{}", index + 1)
            } else {
                format!("{} {}", index + 1, tone.symbol())
            };
            ui.selectable_label(selected, RichText::new(text).color(color))
                .on_hover_text(format!("{title}: {word}"))
        } else {
            let response = ui.selectable_label(selected, title.clone());
            if step.kind != StepKind::Report {
                let word = marked(word, step, cx);
                ui.label(
                    RichText::new(format!("    {} {word}", tone.symbol()))
                        .color(color)
                        .small(),
                );
            }
            response
        };
        if response.clicked() {
            out.push(Command::WizardStep(index));
        }
    }
}

fn step_page(ui: &mut Ui, cx: &ScreenContext<'_>, view: &mut WizardView, index: usize, out: &mut Vec<Command>) {
    show_step(ui, cx, view, index, out);
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
}

fn show_step(ui: &mut Ui, cx: &ScreenContext<'_>, view: &mut WizardView, index: usize, out: &mut Vec<Command>) {
    let step = &STEPS[index];
    let heading = if step.guide.is_empty() {
        format!("Step {}: {}", index + 1, step.title)
    } else {
        format!("Step {}: {} [{}]", index + 1, step.title, step.guide)
    };
    ui.add(egui::Label::new(RichText::new(heading).strong().size(18.0)).wrap());
    ui.add(egui::Label::new(step.purpose).wrap());
    ui.add_space(6.0);
    match step.kind {
        StepKind::Checks { step, fix_on } => {
            let checks: Vec<CheckId> = CheckId::of_step(step).collect();
            show_checks(ui, cx, view, &checks, fix_on, out);
        }
        StepKind::Module => show_module(ui, cx, out),
        StepKind::SshLogin => show_ssh(ui, cx, out),
        StepKind::ServerKey => show_server_key(ui, cx, out),
        StepKind::Report => show_report(ui, cx, out),
    }
}

fn show_checks(
    ui: &mut Ui,
    cx: &ScreenContext<'_>,
    view: &mut WizardView,
    checks: &[CheckId],
    fix_on: Screen,
    out: &mut Vec<Command>,
) {
    let running = cx.doctor.running();
    ui.horizontal(|ui| {
        let enabled = !running && cx.doc.is_some();
        let check = ui
            .add_enabled(enabled, egui::Button::new("Check this step"))
            .on_hover_text("Enter");
        widgets::apply_focus(cx.focus, &check, true);
        if check.clicked() {
            out.push(
                DoctorCommand::Run {
                    stop_after: checks.last().copied(),
                }
                .into(),
            );
        }
    });
    if cx.doc.is_none() {
        ui.weak("Open a configuration first.");
    }
    ui.add_space(4.0);
    connection::verdict_banner(
        ui,
        cx,
        checks,
        connection::Subject::Step,
        &mut view.results,
        Some(fix_on),
        out,
    );
    ui.add_space(4.0);
    connection::check_list(ui, cx, checks, &mut view.results, "wizard");
}

fn show_module(ui: &mut Ui, cx: &ScreenContext<'_>, out: &mut Vec<Command>) {
    if module_not_applicable(cx) {
        widgets::notice_frame(ui, Tone::Skip, |ui| {
            ui.add(
                egui::Label::new(
                    "No PKCS#11 module is configured in the demo, so this step does not apply: the demo's KMES is a \
                     simulator, and the Futurex module is not installed here.",
                )
                .wrap(),
            );
            ui.horizontal_wrapped(|ui| {
                if let Some(softhsm) = cx.softhsm {
                    let try_it = ui.button("Try it with SoftHSM2").on_hover_text(format!(
                        "Use {} as the module, to see this step work",
                        softhsm.display()
                    ));
                    widgets::apply_focus(cx.focus, &try_it, true);
                    if try_it.clicked() {
                        out.push(ModuleCommand::SetPath(softhsm.display().to_string()).into());
                        out.push(
                            ModuleCommand::Load {
                                token_label: None,
                                pin: None,
                            }
                            .into(),
                        );
                    }
                }
                if ui.button("Choose a module…").clicked() {
                    out.push(Command::Navigate(Screen::Pkcs11Module));
                }
            });
        });
        ui.add_space(8.0);
        install::show(ui, cx, &[install::Part::Modules], out);
        return;
    }
    ui.add(egui::Label::new(format!("Module: {}", cx.module_path)).wrap());
    if !cx.module_configured {
        ui.weak("No module was chosen or found: this is the guide's example path.");
    }
    ui.horizontal(|ui| {
        let check = ui
            .add_enabled(!cx.module.running, egui::Button::new("Check the module"))
            .on_hover_text("Enter");
        widgets::apply_focus(cx.focus, &check, true);
        if check.clicked() {
            out.push(
                ModuleCommand::Load {
                    token_label: None,
                    pin: None,
                }
                .into(),
            );
        }
        if cx.module.running {
            widgets::busy(ui);
        }
    });
    if let Some(outcome) = &cx.module.outcome {
        if module_loaded(outcome) {
            widgets::success(ui, "The module loads and shows its token. Go on with the next step.");
        }
        pkcs11::show_checks(ui, outcome, cx.module_changes);
    }
    ui.add(
        egui::Label::new(format!(
            "The library finds its configuration: {}, or FXPKCS11_CFG for the ssh user [2.2].",
            cx.library_path.display()
        ))
        .wrap(),
    );
    if ui.button("Go to PKCS#11 module").clicked() {
        out.push(Command::Navigate(Screen::Pkcs11Module));
    }
    ui.add_space(8.0);
    install::show(ui, cx, &[install::Part::Modules], out);
}

fn show_ssh(ui: &mut Ui, cx: &ScreenContext<'_>, out: &mut Vec<Command>) {
    let destination = cx
        .prefs
        .ssh_destination
        .as_deref()
        .map(str::trim)
        .filter(|destination| !destination.is_empty());
    ui.horizontal(|ui| {
        // Without a target the button stays, disabled, and says why: Enter then does nothing.
        let run = ui.add_enabled(
            destination.is_some() && !cx.module.ssh_running,
            egui::Button::new("Run the SSH test"),
        );
        let run = if destination.is_some() {
            run.on_hover_text("Enter")
        } else {
            run.on_disabled_hover_text("Set an SSH target on the PKCS#11 module screen first")
        };
        widgets::apply_focus(cx.focus, &run, true);
        if run.clicked()
            && let Some(destination) = destination
        {
            out.push(
                ModuleCommand::SshTest {
                    target: destination.to_owned(),
                    pin: None,
                }
                .into(),
            );
        }
        if cx.module.ssh_running {
            widgets::busy(ui);
        }
    });
    match destination {
        Some(destination) => {
            ui.label(format!("Target: {destination}"));
            if let Some(result) = &cx.module.ssh {
                pkcs11::show_ssh_result(ui, result, cx.ssh_changes);
            }
        }
        None => {
            ui.add(
                egui::Label::new(
                    "No SSH target set: set one on the PKCS#11 module screen, or run on the SSH client, as the \
                     user whose configuration you set up:",
                )
                .wrap(),
            );
            widgets::code_block(ui, &super::ssh_command(cx, cx.module_path, None));
            ui.weak(format!(
                "Replace {} with the account and server to log in to.",
                crate::pkcs11::ssh::TARGET_PLACEHOLDER
            ));
            ui.add(
                egui::Label::new(
                    "It works when you get a shell on the server without a password prompt. If ssh asks for a \
                     password, the server does not accept the key (step 6); if it says the module cannot be \
                     loaded, check step 1.",
                )
                .wrap(),
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
            ui.add(
                egui::Label::new(
                    "On the SSH server, make sure this line is in ~/.ssh/authorized_keys and sshd accepts keys:",
                )
                .wrap(),
            );
            widgets::code_block(ui, &report.line);
        }
        Slot::Failed(_, problem) => widgets::problem(ui, problem),
        _ => {
            ui.add(
                egui::Label::new("Open the public key exported from the KMES [3.2.9] to get its authorized_keys line.")
                    .wrap(),
            );
            if ui
                .add_enabled(!cx.dialog_open, egui::Button::new("Open public key…"))
                .clicked()
            {
                out.push(Command::Dialog(DialogPurpose::OpenPublicKey));
            }
        }
    }
    let go = ui.button("Go to SSH key").on_hover_text("Enter");
    widgets::apply_focus(cx.focus, &go, true);
    if go.clicked() {
        out.push(Command::Navigate(Screen::SshKey));
    }
}

fn show_report(ui: &mut Ui, cx: &ScreenContext<'_>, out: &mut Vec<Command>) {
    egui::Grid::new("wizard-summary").num_columns(2).show(ui, |ui| {
        for (index, step) in STEPS.iter().enumerate().filter(|(_, s)| s.kind != StepKind::Report) {
            ui.label(format!("{}. {}", index + 1, step.title));
            let (tone, word) = verdict_text(verdict(step, cx));
            let word = marked(word, step, cx);
            ui.label(RichText::new(format!("{} {word}", tone.symbol())).color(theme::tone_color(ui.visuals(), tone)));
            ui.end_row();
        }
    });
    ui.add_space(6.0);
    match &cx.doctor.run {
        Some(run) if !run.is_running() => {
            ui.add(
                egui::Label::new(
                    "The report describes the run below, as it stands: copy or save it for a support ticket.",
                )
                .wrap(),
            );
            connection::run_caption(ui, cx);
            if run.scope != crate::doctor::record::RunScope::Full {
                ui.add(
                    egui::Label::new(
                        "That run was one step's: Run test runs every check, for a report of the whole connection.",
                    )
                    .wrap(),
                );
            }
            connection::run_controls(ui, cx, out);
        }
        _ => {
            ui.label("Run every check to make the report.");
            let run = ui
                .add_enabled(
                    !cx.doctor.running() && cx.doc.is_some(),
                    egui::Button::new("Run all checks"),
                )
                .on_hover_text("Enter");
            widgets::apply_focus(cx.focus, &run, true);
            if run.clicked() {
                out.push(DoctorCommand::Run { stop_after: None }.into());
            }
        }
    }
}

/// A step's verdict word, with "out of date" when it comes from a run (the doctor's, the
/// module walk, the SSH test) whose inputs changed since.
fn marked(word: &'static str, step: &Step, cx: &ScreenContext<'_>) -> String {
    let changes = match step.kind {
        StepKind::Checks { .. } => cx.doctor_changes,
        StepKind::Module => cx.module_changes,
        StepKind::SshLogin => cx.ssh_changes,
        StepKind::ServerKey | StepKind::Report => &[],
    };
    if !changes.is_empty() && matches!(verdict(step, cx), Verdict::Checked(_)) {
        format!("{word} (out of date)")
    } else {
        word.to_owned()
    }
}
