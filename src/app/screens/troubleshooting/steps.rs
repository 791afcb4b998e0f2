//! The troubleshooting steps, in the guide's order, and each step's verdict from the run (doctor, module walk, SSH test) on screen.

use super::super::super::command::Command;
use super::super::super::features::doctor::DoctorCommand;
use super::super::super::theme::Tone;
use super::super::connection::{self};
use super::super::{Screen, ScreenContext};
use super::*;
use crate::app::features::module::ModuleCommand;
use crate::app::features::module::ModuleOutcome;
use crate::doctor::{CheckId, Status, WizardStep};

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

/// A step's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Not run yet.
    NotRun,
    /// Some of its checks ran, none failed, and others have no result (the run was cancelled).
    Incomplete,
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
            // A check of the step without a result (a cancelled run) leaves it undecided,
            // unless another already failed.
            let complete = CheckId::of_step(step).all(|id| doctor.result(id).is_some());
            if !complete && !shown.contains(&Tone::Fail) {
                return Verdict::Incomplete;
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
pub(super) fn module_not_applicable(cx: &ScreenContext<'_>) -> bool {
    cx.demo.is_some() && !cx.module_configured && cx.module.outcome.is_none()
}

/// Whether the file check passed and the module loaded.
pub(super) fn module_loaded(outcome: &ModuleOutcome) -> bool {
    outcome.file.is_ok()
        && matches!(&outcome.probe, Some(Ok(report)) if report.load.done().is_some() && report.token.done().is_some())
}

/// The tone and word of a verdict.
pub(super) fn verdict_text(verdict: Verdict) -> (Tone, &'static str) {
    match verdict {
        Verdict::NotRun => (Tone::Skip, "not run"),
        Verdict::Incomplete => (Tone::Skip, "incomplete"),
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

/// A step's verdict word, with "out of date" when it comes from a run (the doctor's, the
/// module walk, the SSH test) whose inputs changed since.
pub(super) fn marked(word: &'static str, step: &Step, cx: &ScreenContext<'_>) -> String {
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
