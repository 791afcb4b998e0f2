//! How the commands and the workers' events of this feature change the app.

use std::path::Path;
use std::time::Instant;

use crate::capture::{Capture, CaptureOptions};
use crate::display;
use crate::doctor::record::{RunInputs, RunRecord, RunScope, SavedCapture};
use crate::doctor::{CheckId, CheckResult};

use super::super::super::FxApp;
use super::super::super::modals::Modal;
use super::*;

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
            DoctorCommand::SaveCapture(path) => self.save_capture(path),
        }
    }

    /// Writes the capture of the run on screen to `path` on a worker; the run learns where
    /// it went when the worker reports, so that its report names the file.
    fn save_capture(&mut self, path: std::path::PathBuf) {
        let Some(run) = self.doctor.run.as_ref() else {
            return;
        };
        let Some(report) = run.report() else {
            self.info("The run has not finished: there is no capture of it yet.");
            return;
        };
        let id = run.id;
        let os = self.doctor.header.as_ref().map(|header| header.os.clone());
        self.spawn("capture", move || {
            let os = os.unwrap_or_else(|| ReportHeader::current().os);
            let result =
                Capture::of_report(&report, &os, CaptureOptions::default()).and_then(|capture| capture.write(&path));
            DoctorEvent::CaptureSaved { run: id, path, result }
        });
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
            DoctorEvent::CaptureSaved { run, path, result } => match result {
                Ok(sha256) => {
                    let shown = display::escape(&path.display().to_string()).into_owned();
                    match self.doctor.run.as_mut().filter(|shown| shown.id == run) {
                        Some(shown_run) => {
                            shown_run.saved_capture = Some(SavedCapture { path, sha256 });
                            self.info(format!(
                                "Capture saved to {shown}. The report now names it; a support engineer replays it with fxconfig kmes-sim --replay."
                            ));
                        }
                        None => self.info(format!("Capture of an earlier run saved to {shown}.")),
                    }
                }
                Err(error) => self.explain("The capture was not saved", &error),
            },
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
        inputs.fault = self.options.demo.as_deref().map(|demo| match demo.replay_source() {
            Some(source) => format!("replay of {}", source.path.display()),
            None => demo.fault().map_or("none", |fault| fault.name()).to_owned(),
        });
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
