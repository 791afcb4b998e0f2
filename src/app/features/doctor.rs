//! The connection doctor, as a feature of the app: the run on screen ([`DoctorState`]), what
//! the UI asks of it ([`DoctorCommand`]), what its worker reports ([`DoctorEvent`]), and how
//! both change the state. A run is a [`RunRecord`]: every screen and report shows that one
//! run, and it is marked out of date when the inputs it read change.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::doctor::record::{RunEnd, RunInputs, RunRecord, RunScope};
use crate::doctor::report::ReportHeader;
use crate::doctor::{CheckId, CheckResult, Report};
use crate::sim::{Fault, SimError};

use super::super::FxApp;
use super::super::command::Command;
use super::super::modals::Modal;
use super::super::tasks::TaskEvent;

/// The connection doctor: the run on screen (the latest started), and what a running run
/// needs. Every screen and report shows [`DoctorState::run`] and nothing else, so what they
/// say is true of one run; results of an older run never mix in.
#[derive(Debug, Default)]
pub struct DoctorState {
    /// The run on screen, running or ended.
    pub run: Option<RunRecord>,
    /// The running run's cancel flag.
    pub cancel: Option<Arc<AtomicBool>>,
    /// When the check running now started (the run's start, or the last result's arrival).
    pub step_started: Option<Instant>,
    /// The head of the reports (tool version, operating system), read once by a worker.
    pub header: Option<ReportHeader>,
}

impl DoctorState {
    /// Whether a run is in progress.
    pub fn running(&self) -> bool {
        self.run.as_ref().is_some_and(RunRecord::is_running)
    }

    /// The id of the run on screen, 0 before the first.
    pub fn run_id(&self) -> u64 {
        self.run.as_ref().map_or(0, |run| run.id)
    }

    /// The result of a check in the run on screen.
    pub fn result(&self, id: CheckId) -> Option<&CheckResult> {
        self.run.as_ref().and_then(|run| run.result(id))
    }

    /// The check that is running now.
    pub fn current(&self) -> Option<CheckId> {
        self.run.as_ref().and_then(RunRecord::current)
    }

    /// Whether the run on screen was cancelled.
    pub fn cancelled(&self) -> bool {
        matches!(self.run.as_ref().map(|run| &run.end), Some(RunEnd::Cancelled { .. }))
    }

    /// Cancels the running run: its worker stops before its next check, the run ends as
    /// cancelled naming the check that was running, and results still on their way are
    /// ignored.
    pub fn cancel(&mut self) {
        if let Some(cancel) = self.cancel.take() {
            cancel.store(true, Ordering::Relaxed);
        }
        let waited = self.step_started.map(|started| started.elapsed()).unwrap_or_default();
        if let Some(run) = &mut self.run {
            run.cancel(waited);
        }
    }

    /// The run on screen as a Markdown report, marked out of date by `changes`; `None`
    /// while it runs or before the first.
    pub fn markdown(&self, changes: &[String]) -> Option<String> {
        let run = self.run.as_ref().filter(|run| !run.is_running())?;
        let header = self.header.clone().unwrap_or_else(|| ReportHeader {
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        });
        Some(crate::doctor::report::markdown_of_run(run, &header, changes))
    }
}

/// What the UI asks of the doctor.
#[derive(Debug)]
pub enum DoctorCommand {
    /// Test the saved file (asking first when there are unsaved changes), stopping after
    /// `stop_after` for a troubleshooting step.
    Run {
        /// The step's last check; `None` runs every check.
        stop_after: Option<CheckId>,
    },
    /// Test the file on disk, leaving the unsaved changes as they are.
    TestSavedFile {
        /// As for [`DoctorCommand::Run`].
        stop_after: Option<CheckId>,
    },
    /// Cancel the running run.
    Cancel,
    /// Switch the demo simulator's fault.
    SetFault(Option<Fault>),
}

impl From<DoctorCommand> for Command {
    fn from(command: DoctorCommand) -> Command {
        Command::Doctor(command)
    }
}

/// What the doctor's workers report.
#[derive(Debug)]
pub enum DoctorEvent {
    /// One check of run `run` finished.
    Check {
        /// The run it belongs to.
        run: u64,
        /// Its result.
        result: CheckResult,
    },
    /// Run `run` ended (also a cancelled one, whose worker finishes later).
    Done {
        /// The run.
        run: u64,
        /// Every result, and the configuration as the run read it.
        report: Box<Report>,
        /// The head of the reports: this build's version and the operating system.
        header: ReportHeader,
    },
    /// The simulator's fault was switched.
    FaultSet {
        /// The fault asked for.
        fault: Option<Fault>,
        /// Nothing, or why not.
        result: Result<(), SimError>,
    },
}

impl From<DoctorEvent> for TaskEvent {
    fn from(event: DoctorEvent) -> TaskEvent {
        TaskEvent::Doctor(event)
    }
}

impl FxApp {
    /// Applies a command of the doctor.
    pub(in crate::app) fn apply_doctor(&mut self, command: DoctorCommand) {
        match command {
            DoctorCommand::Run { stop_after } => self.request_doctor(stop_after),
            DoctorCommand::TestSavedFile { stop_after } => {
                if matches!(self.ui.modal, Some(Modal::UnsavedTest { .. })) {
                    self.ui.modal = None;
                }
                self.run_doctor(stop_after);
            }
            DoctorCommand::Cancel => {
                if self.doctor.running() {
                    self.doctor.cancel();
                }
            }
            DoctorCommand::SetFault(fault) => {
                if let Some(demo) = self.options.demo.clone() {
                    self.spawn("fault", move || DoctorEvent::FaultSet {
                        fault,
                        result: demo.set_fault(fault),
                    });
                }
            }
        }
    }

    /// Applies what a doctor worker reported.
    pub(in crate::app) fn handle_doctor(&mut self, event: DoctorEvent) {
        match event {
            DoctorEvent::Check { run, result } => {
                if let Some(shown) = self
                    .doctor
                    .run
                    .as_mut()
                    .filter(|shown| shown.id == run && shown.is_running())
                {
                    shown.record(result);
                    self.doctor.step_started = Some(std::time::Instant::now());
                }
            }
            DoctorEvent::Done { run, report, header } => {
                self.doctor.header = Some(header);
                if let Some(shown) = self.doctor.run.as_mut().filter(|shown| shown.id == run) {
                    if shown.is_running() {
                        self.doctor.cancel = None;
                        shown.finish(*report);
                    } else if shown.document.is_none() {
                        // A cancelled run's worker ends later: the file as it read it still
                        // belongs in its report.
                        shown.document = report.document;
                    }
                }
            }
            DoctorEvent::FaultSet { fault, result } => match result {
                Ok(()) => {
                    let name = fault.map_or("none", |f| f.name());
                    self.info(format!("Simulator fault: {name}. Run the connection test to see it."));
                }
                Err(error) => self.explain("Could not switch the fault", &error),
            },
        }
    }

    /// Runs the doctor, first asking whether to save when there are unsaved changes (the
    /// doctor reads the file on disk).
    pub(in crate::app) fn request_doctor(&mut self, stop_after: Option<CheckId>) {
        if self.doctor.running() || self.document.open.is_none() {
            return;
        }
        if self.is_modified() {
            self.ui.modal = Some(Modal::UnsavedTest { stop_after });
        } else {
            self.run_doctor(stop_after);
        }
    }

    /// Starts a run of the saved file: a new [`RunRecord`] replaces the one on screen, so
    /// that nothing of an older run shows beside it.
    pub(in crate::app) fn run_doctor(&mut self, stop_after: Option<CheckId>) {
        let Some(path) = self.open_path().map(Path::to_owned) else {
            return;
        };
        if self.doctor.running() {
            return;
        }
        let id = self.doctor.run_id() + 1;
        let scope = stop_after.map_or(RunScope::Full, |last| RunScope::UpTo { last });
        let inputs = self.connection_inputs();
        match self.tasks.run_doctor(id, path, self.options.doctor_timeout, stop_after) {
            Ok(cancel) => {
                self.doctor.run = Some(RunRecord::start(id, scope, inputs));
                self.doctor.cancel = Some(cancel);
                self.doctor.step_started = Some(Instant::now());
            }
            Err(error) => {
                let why = format!("Could not start the connection test: {error}");
                self.doctor.run = Some(RunRecord::failed_to_start(id, scope, inputs, why.clone()));
                self.error(why);
            }
        }
    }

    /// Whether the connection doctor is running.
    pub fn doctor_running(&self) -> bool {
        self.doctor.running()
    }

    /// The results of the run on screen, in the order they ran.
    pub fn check_results(&self) -> &[CheckResult] {
        self.doctor.run.as_ref().map_or(&[], |run| run.results.as_slice())
    }

    /// The run on screen.
    pub fn doctor_run(&self) -> Option<&RunRecord> {
        self.doctor.run.as_ref()
    }

    /// The Markdown report of the run on screen, as Copy report and Save report give it
    /// (marked out of date when its inputs changed); `None` while it runs or before a run.
    pub fn report_markdown(&self) -> Option<String> {
        self.doctor.markdown(&self.doctor_changes())
    }

    /// The inputs a connection test would read now: the open file's saved bytes (none when
    /// another program changed it since), and the demo simulator's fault.
    pub(in crate::app) fn connection_inputs(&self) -> RunInputs {
        let mut inputs = RunInputs::default();
        if let Some(doc) = &self.document.open {
            inputs.config = Some(doc.file.path.clone());
            inputs.config_sha256 = (!doc.changed_on_disk).then(|| doc.baseline_sha256.clone());
        }
        inputs.fault = self
            .options
            .demo
            .as_deref()
            .map(|demo| demo.fault().map_or("none", |fault| fault.name()).to_owned());
        inputs
    }

    /// What changed since the run on screen read its inputs: empty when it is current.
    pub(in crate::app) fn doctor_changes(&self) -> Vec<String> {
        self.doctor
            .run
            .as_ref()
            .map(|run| run.inputs.changes_since(&self.connection_inputs()))
            .unwrap_or_default()
    }
}
