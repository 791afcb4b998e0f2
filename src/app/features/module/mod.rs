//! The PKCS#11 module, as a feature of the app: the module found or chosen, the walk through
//! it (file, libraries, load, token, keys, sign test) and the SSH test through it, each kept
//! with the inputs it read so that a changed module, configuration or target marks it out
//! of date.

mod apply;

use std::path::PathBuf;

use crate::doctor::record::RunInputs;
use crate::pkcs11::ssh::SshLoginReport;
use crate::secret::Secret;

use super::super::model::Problem;

/// What the PKCS#11 module screen learned about one module.
#[derive(Debug)]
pub struct ModuleOutcome {
    /// The module file as given.
    pub module: PathBuf,
    /// The file check (exists, shared library for this machine), or why not.
    pub file: Result<crate::pkcs11::ModuleFile, Problem>,
    /// The libraries it needs, when the file check passed.
    pub dependencies: Option<Result<crate::pkcs11::DependencyReport, Problem>>,
    /// The walk through the module in the helper process, when the file check passed.
    pub probe: Option<Result<crate::pkcs11::probe::ProbeReport, Problem>>,
    /// Whether a PIN was given, so that the sign test ran.
    pub signed: bool,
    /// What the walk read: the module file, the token asked for and the configuration.
    pub inputs: RunInputs,
}

impl ModuleOutcome {
    /// Whether the walk listed the token's objects.
    pub fn lists_keys(&self) -> bool {
        matches!(&self.probe, Some(Ok(report)) if report.objects.done().is_some())
    }

    /// Whether the sign test ran (whatever each key's verdict).
    pub fn signed_keys(&self) -> bool {
        matches!(&self.probe, Some(Ok(report)) if report.sign.done().is_some())
    }
}

/// The PKCS#11 module screen's state.
#[derive(Debug, Default)]
pub struct ModuleState {
    /// A load or sign test is running.
    pub running: bool,
    /// Counts loads, so that a stale answer is ignored.
    pub generation: u64,
    /// The last load's outcome.
    pub outcome: Option<ModuleOutcome>,
    /// A Test sign that did not get to sign (wrong PIN, the module failed): kept apart, so
    /// the key list of the last load stays on screen.
    pub failed_sign: Option<ModuleOutcome>,
    /// An SSH test is running.
    pub ssh_running: bool,
    /// The last SSH test's outcome, or why it could not run.
    pub ssh: Option<Result<crate::pkcs11::ssh::SshLoginReport, Problem>>,
    /// What the last SSH test read: the target, the module and the configuration.
    pub ssh_inputs: Option<RunInputs>,
    /// The Futurex module found where the guide installs it, if any.
    pub detected: Option<PathBuf>,
    /// SoftHSM2's module, found in the demo, to stand in for the Futurex module.
    pub softhsm: Option<PathBuf>,
}

/// What the UI asks of the module feature.
#[derive(Debug)]
pub enum ModuleCommand {
    /// Use this module path on every screen (results about another module go).
    SetPath(String),
    /// Remember the SSH target.
    SetSshTarget(String),
    /// Walk through the module: file, libraries, load, token and keys; with a PIN, the sign
    /// test too.
    Load {
        /// The token to use, by label; `None` takes the first.
        token_label: Option<String>,
        /// The user PIN, for the sign test.
        pin: Option<Secret>,
    },
    /// Log in with ssh through the module.
    SshTest {
        /// `USER@HOST[:PORT]`.
        target: String,
        /// The user PIN, when the module asks for one.
        pin: Option<Secret>,
    },
    /// Stop waiting for the walk (its helper process ends at its time-out).
    Cancel,
    /// Use a module found by the installation search.
    Use(PathBuf),
}

/// What the module feature's workers report.
#[derive(Debug)]
pub enum ModuleEvent {
    /// The search for the Futurex module (and, in the demo, SoftHSM2) ended.
    Found {
        /// The Futurex module, if found where the guide puts it.
        module: Option<PathBuf>,
        /// SoftHSM2's module, in the demo.
        softhsm: Option<PathBuf>,
    },
    /// A walk through the module ended.
    Examined {
        /// Which walk, so that a stale one is ignored.
        generation: u64,
        /// What it found.
        outcome: Box<ModuleOutcome>,
    },
    /// The SSH test ended.
    SshTested(Result<SshLoginReport, Problem>),
}
