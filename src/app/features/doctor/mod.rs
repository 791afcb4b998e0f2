//! The connection doctor, as a feature of the app: the run on screen ([`DoctorState`]), what
//! the UI asks of it ([`DoctorCommand`]), what its worker reports ([`DoctorEvent`]), and how
//! both change the state. A run is a [`RunRecord`]: every screen and report shows that one
//! run, and it is marked out of date when the inputs it read change.

mod apply;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::doctor::record::{RunEnd, RunRecord};
use crate::doctor::report::ReportHeader;
use crate::doctor::{CheckId, CheckResult, Report};
use crate::sim::{Fault, SimError};

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
    /// Write the capture of the run on screen to this file.
    SaveCapture(std::path::PathBuf),
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
    /// The capture of run `run` was written (its SHA-256), or why not.
    CaptureSaved {
        /// The run.
        run: u64,
        /// The file.
        path: std::path::PathBuf,
        /// The SHA-256 of what was written, or why nothing was.
        result: Result<String, crate::capture::CaptureError>,
    },
    /// The simulator's fault was switched.
    FaultSet {
        /// The fault asked for.
        fault: Option<Fault>,
        /// Nothing, or why not.
        result: Result<(), SimError>,
    },
}
