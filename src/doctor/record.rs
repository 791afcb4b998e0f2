//! A doctor run as a value: its id, when it started, what it covered (its scope), the
//! inputs it read (as a fingerprint), its results by check and how it ended. A screen or a
//! report shows one [`RunRecord`], so everything it says is true of one run; comparing the
//! record's [`RunInputs`] with the inputs of now says whether it is out of date, and why.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::cfg::CfgDocument;

use super::check::{CheckId, CheckResult, Facts, Report, Status};
use crate::hostapi::observe::NetworkRecord;

/// What a run covered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunScope {
    /// Every connection check: the Connection test, or the wizard's report step.
    Full,
    /// The connection checks up to and including `last`: one troubleshooting step.
    UpTo {
        /// The step's last check.
        last: CheckId,
    },
}

impl RunScope {
    /// The connection checks this scope runs, in order.
    pub fn checks(self) -> &'static [CheckId] {
        match self {
            RunScope::Full => &CheckId::ALL,
            RunScope::UpTo { last } => {
                let end = CheckId::ALL
                    .iter()
                    .position(|&id| id == last)
                    .map_or(CheckId::ALL.len(), |index| index + 1);
                &CheckId::ALL[..end]
            }
        }
    }

    /// Whether the scope runs `id`.
    pub fn includes(self, id: CheckId) -> bool {
        self.checks().contains(&id)
    }

    /// The scope in words: "the full connection test" or "the checks up to tls.client_auth
    /// (a troubleshooting step)".
    pub fn describe(self) -> String {
        match self {
            RunScope::Full => "the full connection test".to_owned(),
            RunScope::UpTo { last } => format!(
                "a troubleshooting step: the checks up to {} ({})",
                last.as_str(),
                last.title()
            ),
        }
    }
}

/// The identity of a PKCS#11 module file: where it is, and its size and time of change, so
/// that a replaced module is noticed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleIdentity {
    /// The module as given.
    pub path: PathBuf,
    /// Its size and last modification, `None` when it cannot be read.
    pub stamp: Option<(u64, SystemTime)>,
}

impl ModuleIdentity {
    /// The module at `path` as the file system shows it now. Reads the file's metadata.
    pub fn of(path: &Path) -> ModuleIdentity {
        let stamp = std::fs::metadata(path)
            .ok()
            .and_then(|meta| meta.modified().ok().map(|modified| (meta.len(), modified)));
        ModuleIdentity {
            path: path.to_path_buf(),
            stamp,
        }
    }
}

/// The inputs a run read. Fields a run did not use are `None` and never make it out of date.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunInputs {
    /// The configuration file.
    pub config: Option<PathBuf>,
    /// The SHA-256 of the configuration's bytes, in hex.
    pub config_sha256: Option<String>,
    /// The PKCS#11 module.
    pub module: Option<ModuleIdentity>,
    /// The token label asked for.
    pub token: Option<String>,
    /// The SSH target.
    pub ssh_target: Option<String>,
    /// The demo simulator's fault (`"none"` for a healthy simulator); `None` outside the demo.
    pub fault: Option<String>,
}

impl RunInputs {
    /// The inputs of a run over the configuration `path` whose bytes are `bytes`.
    pub fn of_config(path: &Path, bytes: &[u8]) -> RunInputs {
        RunInputs {
            config: Some(path.to_path_buf()),
            config_sha256: Some(sha256_hex(bytes)),
            ..RunInputs::default()
        }
    }

    /// A short fingerprint of every input, the same for the same inputs: 16 hex digits.
    pub fn fingerprint(&self) -> String {
        let mut canonical = String::new();
        let _ = writeln!(canonical, "config={:?}", self.config);
        let _ = writeln!(canonical, "config_sha256={:?}", self.config_sha256);
        if let Some(module) = &self.module {
            let stamp = module.stamp.map(|(size, modified)| {
                let since = modified.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
                (size, since.as_nanos())
            });
            let _ = writeln!(canonical, "module={:?} {stamp:?}", module.path);
        }
        let _ = writeln!(canonical, "token={:?}", self.token);
        let _ = writeln!(canonical, "ssh_target={:?}", self.ssh_target);
        let _ = writeln!(canonical, "fault={:?}", self.fault);
        sha256_hex(canonical.as_bytes())[..16].to_owned()
    }

    /// What changed between these inputs (a run's) and `now`, one sentence each; empty when
    /// nothing the run read has changed. An input the run did not read is not compared.
    pub fn changes_since(&self, now: &RunInputs) -> Vec<String> {
        let mut changes = Vec::new();
        if self.config.is_some() && self.config != now.config {
            changes.push(match &now.config {
                Some(path) => format!("another configuration is open ({})", path.display()),
                None => "the configuration was closed".to_owned(),
            });
        } else if self.config_sha256.is_some() && self.config_sha256 != now.config_sha256 {
            changes.push("the configuration file changed (saved, or changed on disk)".to_owned());
        }
        if let Some(module) = &self.module {
            match &now.module {
                Some(current) if current.path != module.path => {
                    changes.push(format!("the module is now {}", current.path.display()));
                }
                Some(current) if current.stamp.is_some() && current.stamp != module.stamp => {
                    changes.push(format!("the module file {} changed", current.path.display()));
                }
                Some(_) => {}
                None => changes.push("no module is set now".to_owned()),
            }
        }
        if self.token.is_some() && self.token != now.token {
            changes.push(format!(
                "the token is now {}",
                now.token.as_deref().unwrap_or("any token")
            ));
        }
        if self.ssh_target.is_some() && self.ssh_target != now.ssh_target {
            changes.push(match &now.ssh_target {
                Some(target) => format!("the SSH target is now {target}"),
                None => "no SSH target is set now".to_owned(),
            });
        }
        if self.fault.is_some() && self.fault != now.fault {
            changes.push(format!(
                "the simulator's fault is now {}",
                now.fault.as_deref().unwrap_or("none")
            ));
        }
        changes
    }

    /// The inputs in words, for a report: the configuration and its digest, the module, the
    /// token, the target and the fault, each when the run read it.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(config) = &self.config {
            let digest = self
                .config_sha256
                .as_deref()
                .map_or(String::new(), |digest| format!(" (SHA-256 {digest})"));
            lines.push(format!("configuration {}{digest}", config.display()));
        }
        if let Some(module) = &self.module {
            lines.push(format!("module {}", module.path.display()));
        }
        if let Some(token) = &self.token {
            lines.push(format!("token {token}"));
        }
        if let Some(target) = &self.ssh_target {
            lines.push(format!("SSH target {target}"));
        }
        if let Some(fault) = &self.fault {
            lines.push(format!("demo simulator fault {fault}"));
        }
        lines
    }
}

/// The SHA-256 of `bytes` in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest.as_ref().iter().fold(String::with_capacity(64), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// It is still running.
    Running,
    /// Every check of its scope has a result.
    Finished,
    /// The user cancelled it while these checks were running (the check, and how long it
    /// had been running).
    Cancelled {
        /// The check that was running at the cancel, if any.
        waiting: Option<CheckId>,
        /// How long that check had been running.
        waited: Duration,
    },
    /// It could not start (no thread, no configuration): why.
    FailedToStart(String),
}

/// One doctor run: see the module's documentation.
#[derive(Clone, Debug)]
pub struct RunRecord {
    /// Identifies the run among the session's runs (1, 2, …).
    pub id: u64,
    /// When it started.
    pub started_at: SystemTime,
    /// What it covered.
    pub scope: RunScope,
    /// What it read.
    pub inputs: RunInputs,
    /// Its results, in the order the checks ran.
    pub results: Vec<CheckResult>,
    /// How it ended.
    pub end: RunEnd,
    /// The configuration as the run read it, once it finished; for the report.
    pub document: Option<CfgDocument>,
    /// What the network showed in this run, once it finished; for its capture.
    pub network: NetworkRecord,
    /// The run's figures, once it finished; for its capture.
    pub facts: Option<Facts>,
    /// The capture of this run, once saved: where, and the SHA-256 of what was written.
    pub saved_capture: Option<SavedCapture>,
}

/// A capture of a run, written to a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedCapture {
    /// The file.
    pub path: PathBuf,
    /// The SHA-256 of what was written, hex.
    pub sha256: String,
}

impl RunRecord {
    /// A run that starts now.
    pub fn start(id: u64, scope: RunScope, inputs: RunInputs) -> RunRecord {
        RunRecord {
            id,
            started_at: SystemTime::now(),
            scope,
            inputs,
            results: Vec::new(),
            end: RunEnd::Running,
            document: None,
            network: NetworkRecord::default(),
            facts: None,
            saved_capture: None,
        }
    }

    /// A run that could not start, and why.
    pub fn failed_to_start(id: u64, scope: RunScope, inputs: RunInputs, why: String) -> RunRecord {
        RunRecord {
            end: RunEnd::FailedToStart(why),
            ..RunRecord::start(id, scope, inputs)
        }
    }

    /// Whether it is running.
    pub fn is_running(&self) -> bool {
        self.end == RunEnd::Running
    }

    /// The result of a check in this run.
    pub fn result(&self, id: CheckId) -> Option<&CheckResult> {
        self.results.iter().find(|result| result.id == id)
    }

    /// Records a result of a running run; a check outside the scope is not recorded.
    pub fn record(&mut self, result: CheckResult) {
        if !self.is_running() || !self.scope.includes(result.id) {
            return;
        }
        match self.results.iter_mut().find(|known| known.id == result.id) {
            Some(slot) => *slot = result,
            None => self.results.push(result),
        }
    }

    /// The check running now: the first of the scope without a result.
    pub fn current(&self) -> Option<CheckId> {
        if !self.is_running() {
            return None;
        }
        self.scope
            .checks()
            .iter()
            .copied()
            .find(|&id| self.result(id).is_none())
    }

    /// Ends the run as cancelled, naming the check that was running and for how long.
    pub fn cancel(&mut self, waited: Duration) {
        if self.is_running() {
            self.end = RunEnd::Cancelled {
                waiting: self.current(),
                waited,
            };
        }
    }

    /// Ends a running run with the worker's report: its results within the scope replace
    /// the streamed ones (they are the same checks), and its document is kept for the report.
    pub fn finish(&mut self, report: Report) {
        if !self.is_running() {
            return;
        }
        let scope = self.scope;
        self.results = report.checks.into_iter().filter(|r| scope.includes(r.id)).collect();
        self.document = report.document;
        self.network = report.network;
        self.facts = Some(report.facts);
        self.end = RunEnd::Finished;
    }

    /// The run as a report, as `check --json` gives one, once it finished; `None` before.
    pub fn report(&self) -> Option<Report> {
        let facts = self.facts.clone()?;
        Some(Report {
            config: self
                .inputs
                .config
                .as_ref()
                .map(|path| path.display().to_string())
                .unwrap_or_default(),
            ok: self.results.iter().all(|result| result.status != Status::Fail),
            checks: self.results.clone(),
            document: self.document.clone(),
            facts,
            network: self.network.clone(),
        })
    }

    /// The count of results with `status`.
    pub fn count(&self, status: Status) -> usize {
        self.results.iter().filter(|result| result.status == status).count()
    }

    /// The checks of the scope without a result.
    pub fn not_run(&self) -> usize {
        self.scope
            .checks()
            .iter()
            .filter(|&&id| self.result(id).is_none())
            .count()
    }

    /// The run's result in one upper-case word, as the report and the CLI say it: `OK`,
    /// `FAILED`, `CANCELLED`, `RUNNING` or `NOT STARTED`.
    pub fn outcome_word(&self) -> &'static str {
        match &self.end {
            RunEnd::Running => "RUNNING",
            RunEnd::FailedToStart(_) => "NOT STARTED",
            RunEnd::Cancelled { .. } => "CANCELLED",
            RunEnd::Finished if self.count(Status::Fail) > 0 => "FAILED",
            RunEnd::Finished => "OK",
        }
    }

    /// The wall-clock start, `2026-12-07 20:31:05 UTC`.
    pub fn started_text(&self) -> String {
        utc_text(self.started_at)
    }
}

/// `time` as `2026-12-07 20:31:05 UTC`.
pub fn utc_text(time: SystemTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    time::OffsetDateTime::from(time)
        .format(&format)
        .unwrap_or_else(|_| "an unknown time".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: CheckId, status: Status) -> CheckResult {
        CheckResult {
            id,
            title: id.title(),
            status,
            detail: String::new(),
            remedy: String::new(),
            guide: id.guide_section(),
            raw: None,
            ms: 0,
        }
    }

    #[test]
    fn a_step_scope_ends_at_its_last_check() {
        let scope = RunScope::UpTo {
            last: CheckId::TlsClientAuth,
        };
        assert_eq!(scope.checks().last(), Some(&CheckId::TlsClientAuth));
        assert!(!scope.includes(CheckId::HostapiEcho));
        assert_eq!(RunScope::Full.checks(), &CheckId::ALL);
    }

    #[test]
    fn a_cancelled_run_names_the_check_it_was_waiting_for() {
        let mut run = RunRecord::start(1, RunScope::Full, RunInputs::default());
        run.record(result(CheckId::ConfigLocate, Status::Pass));
        run.cancel(Duration::from_secs(12));
        assert_eq!(
            run.end,
            RunEnd::Cancelled {
                waiting: Some(CheckId::ALL[1]),
                waited: Duration::from_secs(12)
            }
        );
        assert_eq!(run.outcome_word(), "CANCELLED");
        // A result arriving after the cancel is not recorded.
        run.record(result(CheckId::ALL[1], Status::Pass));
        assert!(run.result(CheckId::ALL[1]).is_none());
    }

    #[test]
    fn inputs_changes_name_what_changed_and_ignore_what_the_run_did_not_read() {
        let path = Path::new("/etc/fxpkcs11.cfg");
        let mut before = RunInputs::of_config(path, b"<ADDRESS>10.0.0.1</ADDRESS>");
        before.fault = Some("none".to_owned());
        let mut now = RunInputs::of_config(path, b"<ADDRESS>10.0.0.2</ADDRESS>");
        now.fault = Some("wrong-ca".to_owned());
        now.ssh_target = Some("admin@host".to_owned());
        let changes = before.changes_since(&now);
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert!(changes[0].contains("configuration file changed"));
        assert!(changes[1].contains("wrong-ca"));
        assert_ne!(before.fingerprint(), now.fingerprint());
        assert!(before.changes_since(&before.clone()).is_empty());
    }

    #[test]
    fn the_wizard_steps_read_from_the_table_cover_the_connection_checks_in_order() {
        use crate::doctor::WizardStep;
        let steps = [
            WizardStep::Configuration,
            WizardStep::TlsMaterials,
            WizardStep::Connection,
            WizardStep::HostApi,
        ];
        let covered: Vec<CheckId> = steps.into_iter().flat_map(CheckId::of_step).collect();
        assert_eq!(covered, CheckId::ALL);
        assert_eq!(
            CheckId::of_step(WizardStep::Connection).last(),
            Some(CheckId::TlsClientAuth)
        );
        let bounded: Vec<CheckId> = CheckId::ALL.into_iter().filter(|id| id.is_time_bounded()).collect();
        assert_eq!(
            bounded,
            [
                CheckId::NetResolve,
                CheckId::NetConnect,
                CheckId::TlsHandshake,
                CheckId::HostapiEcho
            ]
        );
    }

    #[test]
    fn the_digest_is_sha256() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
