//! Guided troubleshooting: the guide's order, one step at a time. Each step runs its
//! checks (the doctor, stopped after the step's last check), says in plain words what is
//! wrong and what to do, and links to the screen that fixes it. It ends with the report.
//!
//! The module and SSH test steps use the PKCS#11 module screen: the module step checks
//! and loads the module set there, the SSH step runs the SSH test when a target is set.

mod steps;

use egui::{RichText, Ui};

use crate::doctor::CheckId;

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
pub use steps::{STEPS, Step, StepKind, Verdict, enter_action, verdict};
use steps::{marked, module_loaded, module_not_applicable, verdict_text};

/// The widget state of the wizard: which step is shown, and its results list.
#[derive(Debug, Default)]
pub struct WizardView {
    /// The index of the step shown.
    pub step: usize,
    /// The results list of the step shown.
    pub results: ResultsView,
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
    ui.horizontal_wrapped(|ui| {
        if ui.button("Go to PKCS#11 module").clicked() {
            out.push(Command::Navigate(Screen::Pkcs11Module));
        }
        if ui
            .button("Go to SSH client")
            .on_hover_text("The Host block for a daily ssh ALIAS, and the agent")
            .clicked()
        {
            out.push(Command::Navigate(Screen::SshClient));
        }
    });
    ui.add(
        egui::Label::new(
            "Once this test passes: the SSH client screen writes the ~/.ssh/config block that makes a daily              ssh ALIAS use the key (proven with ssh -G) and checks whether the agent accepts the module;              fxconfig check --module MODULE --ssh ALIAS --pubkey KEY runs ssh.client, ssh.config, ssh.agent and              ssh.keys before the login.",
        )
        .wrap(),
    );
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
