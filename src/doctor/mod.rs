//! The connection doctor: the ordered checks that replace Futurex's configTest.
//!
//! Every check is a row of [`CHECKS`]. [`run`] walks the table in order. Each check
//! records a [`CheckResult`] with a status, a detail carrying the raw cause, a remedy
//! citing the guide, and its duration; a check whose prerequisites ([`CheckSpec::needs`])
//! did not pass is skipped. The callback sees each result as soon as it is known, so
//! the app can show progress, and the cancel flag stops the run between checks.
//!
//! When [`DoctorOptions::module`] names a PKCS#11 module, the checks of
//! [`CheckScope::Module`] ([`CheckId::MODULE`]) follow: the module file, its libraries, loading it (in a
//! child process, with `FXPKCS11_CFG` set to the configuration examined), the
//! token, the login, the keys, a test signature and, with
//! [`DoctorOptions::ssh_target`], the SSH login of the guide's [5].

mod check;
pub mod metrics;
pub mod record;
pub mod report;
mod steps;

pub use check::{CHECKS, CheckId, CheckResult, CheckScope, CheckSpec, Facts, Report, Status, WizardStep};

use std::path::PathBuf;

use crate::Secret;
use crate::pkcs11::Helper;
use crate::pkcs11::ssh::{HostKeys, SshDestination};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The default time allowed to each network step.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// What to examine.
#[derive(Debug, Clone)]
pub struct DoctorOptions {
    /// The configuration file; `None` examines the file the PKCS#11 library would read.
    pub config: Option<PathBuf>,
    /// The time allowed to each network step (resolve, connect, handshake, echo,
    /// the SSH connection); loading the module gets six times as long, at least 15 s.
    pub timeout: Duration,
    /// The PKCS#11 module to check; `None` runs the connection checks only.
    pub module: Option<PathBuf>,
    /// The token's user PIN, for modules that ask for a login. Handed to the
    /// module (and to `ssh`'s askpass) only, never stored.
    pub pin: Option<Secret>,
    /// The token to use, by label; `None` takes the first initialised token.
    pub token_label: Option<String>,
    /// Where `ssh.login` logs in, and what `ssh.config` resolves: an address, or a `Host`
    /// alias; `None` skips both.
    pub ssh_target: Option<SshDestination>,
    /// The OpenSSH client configuration an alias comes from (`ssh -F FILE`); `None` reads
    /// the user's and the system's, as `ssh` does.
    pub ssh_config: Option<PathBuf>,
    /// The KMES-exported public key, for `ssh.keys` (and the remedies of `ssh.config`).
    pub pubkey: Option<PathBuf>,
    /// The agent's socket `ssh.agent` examines: `SSH_AUTH_SOCK` by default; `None` skips it
    /// (on Windows the agent is the service, examined whatever this holds).
    pub agent_socket: Option<PathBuf>,
    /// How `ssh.login` checks the server's host key.
    pub ssh_host_keys: HostKeys,
    /// The `fxconfig` program that loads the module in a child process, and extra
    /// environment for it and `ssh`; `None` finds `fxconfig` next to the running program.
    pub helper: Option<Helper>,
    /// The user who will run ssh: `config.access` fails when that user cannot read the
    /// cfg, the root CA or the PKCS#12 file, and `ssh.login` runs ssh as that user when
    /// fxconfig runs as root. `None` judges for the user who ran fxconfig (`SUDO_USER` under
    /// sudo).
    pub for_user: Option<String>,
}

impl Default for DoctorOptions {
    fn default() -> Self {
        DoctorOptions {
            config: None,
            timeout: DEFAULT_TIMEOUT,
            module: None,
            pin: None,
            token_label: None,
            ssh_target: None,
            ssh_config: None,
            pubkey: None,
            agent_socket: crate::sshclient::agent::session_socket(),
            for_user: None,
            ssh_host_keys: HostKeys::Strict,
            helper: None,
        }
    }
}

/// What one check concluded, before timing and bookkeeping are added.
pub(crate) struct Outcome {
    status: Status,
    detail: String,
    remedy: String,
    raw: Option<String>,
    /// How long the work behind it took, when it was done before the check was recorded
    /// (the module stages, examined in one go); `None` times the check itself.
    took: Option<std::time::Duration>,
}

impl Outcome {
    pub(crate) fn pass(detail: impl Into<String>) -> Self {
        Outcome {
            status: Status::Pass,
            detail: detail.into(),
            remedy: String::new(),
            raw: None,
            took: None,
        }
    }

    pub(crate) fn warn(detail: impl Into<String>, remedy: impl Into<String>) -> Self {
        Outcome {
            status: Status::Warn,
            detail: detail.into(),
            remedy: remedy.into(),
            raw: None,
            took: None,
        }
    }

    pub(crate) fn fail(detail: impl Into<String>, remedy: impl Into<String>) -> Self {
        Outcome {
            status: Status::Fail,
            detail: detail.into(),
            remedy: remedy.into(),
            raw: None,
            took: None,
        }
    }

    pub(crate) fn skip(detail: impl Into<String>) -> Self {
        Outcome {
            status: Status::Skip,
            detail: detail.into(),
            remedy: String::new(),
            raw: None,
            took: None,
        }
    }

    /// Says how long the work behind this outcome took.
    pub(crate) fn taking(mut self, took: std::time::Duration) -> Self {
        self.took = Some(took);
        self
    }

    /// Keeps the answer the check received, as [`CheckResult::raw`] shows it.
    pub(crate) fn with_raw(mut self, raw: Option<String>) -> Self {
        self.raw = raw;
        self
    }

    /// A failure described by a library error: its cause chain and its remedy.
    pub(crate) fn from_error(error: &(dyn crate::Explain + 'static)) -> Self {
        Outcome::fail(
            crate::remedy::cause_chain(error),
            crate::remedy::remedy_with_citation(error),
        )
    }
}

/// Records results in order and tells the caller about each one.
struct Recorder<'a> {
    results: Vec<CheckResult>,
    on_result: &'a mut dyn FnMut(&CheckResult),
}

impl Recorder<'_> {
    fn record(&mut self, id: CheckId, outcome: Outcome, started: Instant) {
        let result = CheckResult {
            id,
            title: id.title(),
            status: outcome.status,
            detail: outcome.detail,
            remedy: outcome.remedy,
            guide: id.guide_section(),
            raw: outcome.raw,
            ms: u64::try_from(outcome.took.unwrap_or_else(|| started.elapsed()).as_millis()).unwrap_or(u64::MAX),
        };
        (self.on_result)(&result);
        self.results.push(result);
    }
}

/// Runs every check of [`CHECKS`] in order ([`CheckId::ALL`], then [`CheckId::MODULE`] when
/// a module is given), calling `on_result` as each completes.
///
/// Blocking: run it on a worker thread. Each network step is bounded by
/// `options.timeout`; setting `cancel` stops the run before the next check and
/// reports the remaining ones as skipped.
pub fn run(options: &DoctorOptions, cancel: &AtomicBool, on_result: &mut dyn FnMut(&CheckResult)) -> Report {
    let mut recorder = Recorder {
        results: Vec::new(),
        on_result,
    };
    let mut state = steps::State::new(options);
    let runs = |spec: &&CheckSpec| spec.scope == CheckScope::Connection || options.module.is_some();
    for spec in CHECKS.iter().filter(runs) {
        let started = Instant::now();
        let unmet = spec.needs.iter().copied().find(|&needed| !state.passed(needed));
        let outcome = if cancel.load(Ordering::Relaxed) {
            Outcome::skip("cancelled before this check ran")
        } else if let Some(needed) = unmet {
            Outcome::skip(format!("{} ({needed}) did not pass", needed.title()))
        } else {
            (spec.run)(&mut state)
        };
        state.note(spec.id, outcome.status);
        recorder.record(spec.id, outcome, started);
    }
    let ok = recorder.results.iter().all(|r| r.status != Status::Fail);
    Report {
        config: state.config_display(),
        ok,
        checks: recorder.results,
        facts: state.facts(),
        network: state.network(),
        document: state.into_document(),
    }
}
