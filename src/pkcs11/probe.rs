//! The whole walk through a module — load, slots, token, mechanisms, login,
//! objects, public keys, sign test — as plain data, run either in this process
//! ([`walk`]) or in a child process with `FXPKCS11_CFG` set ([`probe`]).
//!
//! Why a child process: the module reads `FXPKCS11_CFG` from its environment in
//! `C_Initialize`, and changing this process's environment is unsound while other
//! threads run (the app's worker threads, the test harness). A child gets its own
//! environment, a module that crashes takes only the child down, and each load
//! starts from a clean, uninitialised library.
//!
//! The child is `fxconfig module-helper` (hidden, [`HELPER_SUBCOMMAND`]), spoken to in a typed
//! protocol rather than through command-line words: it reads one JSON request on its standard
//! input — the module, the token label, the action and the PIN — and answers the
//! [`ProbeReport`] as JSON on its standard output ([`answer_helper_request`]). Before it loads
//! the module, the helper keeps its standard output for the report alone and points file
//! descriptor 1 at its standard error, so whatever the module prints (debug logging, even a
//! line of JSON) goes to the error channel, which is kept bounded and shown as the module's
//! output ([`ProbeReport::module_output`]), never parsed. Nothing of the
//! request is on its command line, so a token label such as `-weird` stays a label and the PIN
//! is never visible in the process list. The child runs in a process group of its own and is
//! killed with everything it started at its deadline (see [`probe`]).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::process::{self, describe_status, tail};
use super::token::{
    LibraryInfo, LoginState, MechanismReport, Module, ObjectReport, PublicKeyLine, SignTest, SlotReport,
};
use super::{Failure, Pkcs11Error};
use crate::Secret;

/// How far the walk goes. Its kebab-case names (`info`, `sign-test`, …) are both the
/// words of `fxconfig p11` and the `action` of a helper request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Library information, the selected token and its mechanisms.
    Info,
    /// Every slot and its token.
    Slots,
    /// The token's objects: label, id, class, key type, size (after a login when a PIN is given).
    Keys,
    /// The public keys as authorized_keys lines (as `ssh-keygen -D MODULE` prints them): every token, or the selected one.
    Pubkeys,
    /// Log in, then sign a random message with each private key and verify it with its public key.
    SignTest,
    /// Everything at once (what `check --module` uses).
    Probe,
}

impl Action {
    fn wants(self, step: Action) -> bool {
        self == Action::Probe || self == step
    }
}

/// What to do with the module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeRequest {
    /// The module file.
    pub module: PathBuf,
    /// The token to select, by label; `None` takes the first initialised token.
    pub token_label: Option<String>,
    /// How far to go.
    pub action: Action,
}

/// The outcome of one step of the walk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "value")]
pub enum Step<T> {
    /// The step ran and produced this.
    Done(T),
    /// The step failed.
    Failed(Failure),
    /// The step did not run, for the reason given.
    NotRun(String),
}

impl<T> Step<T> {
    /// The value, when the step succeeded.
    pub fn done(&self) -> Option<&T> {
        match self {
            Step::Done(value) => Some(value),
            _ => None,
        }
    }

    fn from_result(result: Result<T, Pkcs11Error>) -> Self {
        match result {
            Ok(value) => Step::Done(value),
            Err(error) => Step::Failed(Failure::from(&error)),
        }
    }
}

/// Everything the walk learned. Steps that were not asked for are [`Step::NotRun`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeReport {
    /// The module file.
    pub module: PathBuf,
    /// `FXPKCS11_CFG` as the module saw it.
    pub fxpkcs11_cfg: Option<PathBuf>,
    /// `C_GetInfo` after loading and `C_Initialize`.
    pub load: Step<LibraryInfo>,
    /// Every slot.
    pub slots: Step<Vec<SlotReport>>,
    /// The selected token's slot.
    pub token: Step<SlotReport>,
    /// Its mechanisms.
    pub mechanisms: Step<Vec<MechanismReport>>,
    /// The login.
    pub login: Step<LoginState>,
    /// Its objects.
    pub objects: Step<Vec<ObjectReport>>,
    /// The public keys as `authorized_keys` lines.
    pub public_keys: Step<Vec<PublicKeyLine>>,
    /// The sign test of each private key.
    pub sign: Step<Vec<SignTest>>,
    /// What the module itself printed while the helper ran it (its standard output and
    /// error, which are not the report channel), cut to its last 2 KiB and made safe to
    /// show; `None` when it printed nothing or ran in this process.
    #[serde(default)]
    pub module_output: Option<String>,
}

fn not_run<T>(reason: &str) -> Step<T> {
    Step::NotRun(reason.to_owned())
}

/// Why the steps after a failed load did not run.
const MODULE_NOT_LOADED: &str = "the module did not load (see load)";
/// Why the steps that need the token did not run when none could be selected.
const NO_TOKEN: &str = "no token could be selected (see token)";
/// Why the steps that need a session did not run when it could not be opened.
const NO_SESSION: &str = "no session with the token could be opened (see login)";

/// Marks the steps that need a session as not run, for `reason`.
fn session_steps_not_run(report: &mut ProbeReport, reason: &str) {
    report.objects = not_run(reason);
    report.public_keys = not_run(reason);
    report.sign = not_run(reason);
}

/// Marks the steps that need a token (and so a session) as not run, for `reason`.
fn token_steps_not_run(report: &mut ProbeReport, reason: &str) {
    report.mechanisms = not_run(reason);
    report.login = not_run(reason);
    session_steps_not_run(report, reason);
}

/// Runs the walk in this process: loads the module here. See the module docs
/// for why front ends call [`probe`] instead. A step after a failed one is
/// [`Step::NotRun`] naming the failed step.
pub fn walk(request: &ProbeRequest, pin: Option<&Secret>) -> ProbeReport {
    let action = request.action;
    let mut report = unwalked(request);
    let module = match Module::load(&request.module) {
        Ok(module) => module,
        Err(error) => {
            report.load = Step::Failed(Failure::from(&error));
            report.slots = not_run(MODULE_NOT_LOADED);
            report.token = not_run(MODULE_NOT_LOADED);
            token_steps_not_run(&mut report, MODULE_NOT_LOADED);
            return report;
        }
    };
    report.load = Step::from_result(module.info());
    if action.wants(Action::Slots) || action == Action::Info {
        report.slots = Step::from_result(module.slots());
    }
    if action == Action::Pubkeys {
        report.public_keys = Step::from_result(module.public_keys(request.token_label.as_deref()));
        module.finalize();
        return report;
    }
    if action == Action::Slots {
        module.finalize();
        return report;
    }
    let slot = match module.select_token(request.token_label.as_deref()) {
        Ok(slot) => slot,
        Err(error) => {
            report.token = Step::Failed(Failure::from(&error));
            token_steps_not_run(&mut report, NO_TOKEN);
            module.finalize();
            return report;
        }
    };
    let slot_id = slot.id;
    report.token = Step::Done(slot);
    if action.wants(Action::Info) {
        report.mechanisms = Step::from_result(module.mechanisms(slot_id));
    }
    if action == Action::Info {
        module.finalize();
        return report;
    }
    let session = match module.open(slot_id, pin) {
        Ok(session) => session,
        Err(error) => {
            report.login = Step::Failed(Failure::from(&error));
            session_steps_not_run(&mut report, NO_SESSION);
            module.finalize();
            return report;
        }
    };
    report.login = Step::Done(session.login_state());
    if action.wants(Action::Keys) {
        report.objects = Step::from_result(session.objects());
    }
    if action == Action::Probe {
        report.public_keys = Step::from_result(session.public_keys());
    }
    if action.wants(Action::SignTest) {
        report.sign = Step::from_result(session.sign_test());
    }
    drop(session);
    module.finalize();
    report
}

/// The `fxconfig` program that loads modules in a child process, with the
/// environment it and `ssh` get on top of this process's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Helper {
    /// The `fxconfig` executable.
    pub program: PathBuf,
    /// Extra environment variables for the child processes (such as a module's own configuration variable).
    pub env: Vec<(OsString, OsString)>,
}

impl Helper {
    /// A helper running `program`, with no extra environment.
    pub fn new(program: impl Into<PathBuf>) -> Helper {
        Helper {
            program: program.into(),
            env: Vec::new(),
        }
    }

    /// Adds an environment variable for the child processes.
    pub fn with_env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Helper {
        self.env.push((key.into(), value.into()));
        self
    }

    /// The `fxconfig` program next to the running program, or the running
    /// program itself when it is `fxconfig`.
    ///
    /// # Errors
    ///
    /// [`Pkcs11Error::HelperStart`] when the running program's path is unknown.
    pub fn locate() -> Result<Helper, Pkcs11Error> {
        let current = std::env::current_exe().map_err(|source| Pkcs11Error::HelperStart {
            program: PathBuf::from("fxconfig"),
            source,
        })?;
        let sibling = current
            .parent()
            .map(|dir| dir.join(format!("fxconfig{}", std::env::consts::EXE_SUFFIX)));
        Ok(Helper::new(match sibling {
            Some(path) if path.is_file() => path,
            _ => current,
        }))
    }

    pub(crate) fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        // The helper's error output is the module's: no Rust backtrace in it (which would
        // also load debug information and grow the helper when it stops on a failure).
        command.env_remove("RUST_BACKTRACE").env_remove("RUST_LIB_BACKTRACE");
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }
}

/// The report of a walk that has not started: every step "not asked for".
fn unwalked(request: &ProbeRequest) -> ProbeReport {
    ProbeReport {
        module: request.module.clone(),
        fxpkcs11_cfg: std::env::var_os("FXPKCS11_CFG").map(PathBuf::from),
        load: not_run("not asked for"),
        slots: not_run("not asked for"),
        token: not_run("not asked for"),
        mechanisms: not_run("not asked for"),
        login: not_run("not asked for"),
        objects: not_run("not asked for"),
        public_keys: not_run("not asked for"),
        sign: not_run("not asked for"),
        module_output: None,
    }
}

/// [`walk`], with a panic inside it (a count or a length from the module that no vector can
/// hold, such as `C_GetSlotList` reporting `ULONG_MAX` slots) turned into a failed load
/// step that says so, instead of ending the process.
pub fn walk_contained(request: &ProbeRequest, pin: Option<&Secret>) -> ProbeReport {
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let walked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| walk(request, pin)));
    std::panic::set_hook(quiet);
    walked.unwrap_or_else(|panic| {
        let said = panic
            .downcast_ref::<&str>()
            .map(|text| (*text).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_owned());
        let failure = Failure {
            message: format!(
                "the walk through the module stopped: {said} (the module answered a count or a length no list can hold)"
            ),
            remedy: "The module's answers are not believable: check that this is the PKCS#11 library from Futurex (libfxpkcs11) and that it matches this system".to_owned(),
            guide: Some("2.2".to_owned()),
            ckr: None,
        };
        let mut report = unwalked(request);
        report.load = Step::Failed(failure);
        report.slots = not_run(MODULE_NOT_LOADED);
        report.token = not_run(MODULE_NOT_LOADED);
        token_steps_not_run(&mut report, MODULE_NOT_LOADED);
        report
    })
}

/// The hidden subcommand of `fxconfig` that serves one helper request.
pub const HELPER_SUBCOMMAND: &str = "module-helper";

/// The most a helper request may hold: a path, a label and a PIN are far smaller.
pub const MAX_HELPER_REQUEST: usize = 64 * 1024;

/// A helper request as sent: the walk, and the PIN for its login.
#[derive(Serialize)]
struct OutgoingRequest<'a> {
    #[serde(flatten)]
    request: &'a ProbeRequest,
    pin: Option<&'a str>,
}

/// A helper request as received.
#[derive(Deserialize)]
struct IncomingRequest {
    #[serde(flatten)]
    request: ProbeRequest,
    pin: Option<String>,
}

/// Serves one helper request in this process: `input` is the JSON request (the
/// [`ProbeRequest`] fields plus `pin`), the answer is the [`ProbeReport`] as JSON. The input
/// buffer is wiped, since it held the PIN. Failures of the module are in the report.
///
/// # Errors
///
/// A description of why the request could not be read (it names no secret).
pub fn answer_helper_request(input: &mut [u8]) -> Result<Vec<u8>, String> {
    let parsed = serde_json::from_slice::<IncomingRequest>(input);
    zeroize::Zeroize::zeroize(input);
    let IncomingRequest { request, pin } = parsed.map_err(|e| format!("the request is not a helper request: {e}"))?;
    let pin = pin.map(Secret::new);
    let report = walk_contained(&request, pin.as_ref());
    drop(pin);
    serde_json::to_vec(&report).map_err(|e| format!("could not encode the report: {e}"))
}

/// Runs the walk in a child process (`fxconfig module-helper`, see the module docs) with
/// `FXPKCS11_CFG` set to `config` when given, the request and PIN on its standard input, and
/// at most `timeout` to finish. Blocking: call it from a worker thread.
///
/// At `timeout` the child and every process it started are killed and this returns, even if
/// one of them escaped the child's process group and holds its output open; it returns within
/// `timeout` plus about half a second in all.
///
/// # Errors
///
/// [`Pkcs11Error::HelperStart`], [`Pkcs11Error::HelperTimeout`],
/// [`Pkcs11Error::HelperCrashed`] (the module killed the child),
/// [`Pkcs11Error::HelperOutput`]. Failures of the module itself are in the report's steps.
pub fn probe(
    helper: &Helper,
    request: &ProbeRequest,
    pin: Option<&Secret>,
    config: Option<&Path>,
    timeout: Duration,
) -> Result<ProbeReport, Pkcs11Error> {
    let mut command = helper.command();
    command.arg(HELPER_SUBCOMMAND);
    if let Some(config) = config {
        command.env("FXPKCS11_CFG", absolute(config));
    }
    let outgoing = OutgoingRequest {
        request,
        pin: pin.map(Secret::expose),
    };
    // Room enough up front that the buffer holding the PIN is never reallocated (and copied).
    let mut input =
        Vec::with_capacity(4096 + request.module.as_os_str().len() + pin.map_or(0, |p| p.expose().len() * 6));
    serde_json::to_writer(&mut input, &outgoing).map_err(|e| Pkcs11Error::HelperStart {
        program: helper.program.clone(),
        source: std::io::Error::other(e),
    })?;
    let finished = process::run_bounded(command, Some(input), timeout).map_err(|source| Pkcs11Error::HelperStart {
        program: helper.program.clone(),
        source,
    })?;
    let Some(status) = finished.status else {
        return Err(Pkcs11Error::HelperTimeout {
            limit: timeout,
            stopped_after: finished.elapsed,
        });
    };
    match serde_json::from_slice::<ProbeReport>(&finished.stdout) {
        Ok(mut report) => {
            report.module_output = module_output(&finished.stderr);
            Ok(report)
        }
        Err(source) if status.success() || status.code().is_some() => Err(Pkcs11Error::HelperOutput {
            stderr: tail(&finished.stderr, 5),
            source,
        }),
        Err(_) => Err(Pkcs11Error::HelperCrashed {
            status: describe_status(status),
            stderr: match failed_allocation(&finished.stderr) {
                Some(line) => format!(
                    "{line}: more than the helper's {} GiB of address space, so a count the module reported is not believable",
                    HELPER_ADDRESS_SPACE >> 30
                ),
                None => tail(&finished.stderr, 5),
            },
        }),
    }
}

/// The most address space the helper process may take ([`limit_address_space`]), so that
/// even a module that leaks, or answers a count that would need gigabytes, is stopped by a
/// failed allocation rather than growing.
pub const HELPER_ADDRESS_SPACE: u64 = 2 << 30;

/// Lowers this process's soft address-space limit to [`HELPER_ADDRESS_SPACE`], for the
/// helper before it loads the module (Unix; best effort: a lower limit already set stays).
pub fn limit_address_space() {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let current = getrlimit(Resource::As);
        if current.current.is_none_or(|limit| limit > HELPER_ADDRESS_SPACE) {
            // Best effort: without the limit the time bound still stops the helper.
            let _ = setrlimit(
                Resource::As,
                Rlimit {
                    current: Some(HELPER_ADDRESS_SPACE),
                    maximum: current.maximum,
                },
            );
        }
    }
}

/// The standard library's "memory allocation of N bytes failed" line, when the helper
/// stopped on one.
fn failed_allocation(stderr: &[u8]) -> Option<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .find(|line| line.starts_with("memory allocation of") && line.ends_with("failed"))
        .map(|line| crate::display::escape(line).into_owned())
}

/// The most of the module's own output a report keeps.
const MODULE_OUTPUT_SHOWN: usize = 2048;

/// What the module printed, its last [`MODULE_OUTPUT_SHOWN`] bytes, escaped; `None` for
/// nothing but white space.
fn module_output(bytes: &[u8]) -> Option<String> {
    let trimmed = bytes.trim_ascii();
    if trimmed.is_empty() {
        return None;
    }
    let start = trimmed.len().saturating_sub(MODULE_OUTPUT_SHOWN);
    let cut = if start > 0 {
        format!("… ({} bytes in all) ", trimmed.len())
    } else {
        String::new()
    };
    Some(format!("{cut}{}", crate::display::escape_bytes(&trimmed[start..])))
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
