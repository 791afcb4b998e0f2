//! The screens of the left navigation, one module each. A screen draws from the
//! read-only [`ScreenContext`] and its own widget state, and pushes [`Command`]s.
//!
//! To add a screen: add a variant
//! to [`Screen`] and to [`Screen::ALL`], a module here with a `show` function, a match
//! arm in the app's central panel, and point the troubleshooting steps it serves at it
//! ([`troubleshooting::STEPS`]).

pub mod certificates;
pub mod configuration;
pub mod connection;
pub mod install;
pub mod pkcs11;
pub mod ssh_key;
pub mod troubleshooting;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::demo::Demo;

use super::features::doctor::DoctorState;
use super::model::Problem;
use super::prefs::Prefs;
use super::widgets::FocusTarget;
use crate::app::features::certificates::CertState;
use crate::app::features::document::Missing;
use crate::app::features::document::OpenDocument;
use crate::app::features::install::InstallState;
use crate::app::features::key::KeyState;
use crate::app::features::module::ModuleState;

/// The example of an SSH target in the fields' hints, the same on every screen that shows one.
pub const SSH_TARGET_EXAMPLE: &str = "root@ssh-server";

/// The guide's `ssh -I` test [5] as this platform's shell takes it, for the open
/// configuration: with `FXPKCS11_CFG` when the library would read another file, and a
/// placeholder in capitals when no target is given.
pub fn ssh_command(cx: &ScreenContext<'_>, module: &str, target: Option<&str>) -> String {
    let library = cx.doc.map_or_else(
        || crate::cfg::LibraryCfg {
            path: cx.library_path.to_path_buf(),
            source: crate::cfg::CfgSource::PlatformDefault,
        },
        |doc| doc.library.clone(),
    );
    crate::pkcs11::ssh::manual_command(
        crate::pkcs11::ssh::Shell::of_this_platform(),
        module,
        target,
        cx.doc.map(|doc| doc.file.path.as_path()),
        &library,
    )
}

/// One screen of the app.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Screen {
    /// The `fxpkcs11.cfg` form, raw text and diff.
    #[default]
    Configuration,
    /// The root CA and the PKCS#12 client identity.
    Certificates,
    /// The connection doctor.
    ConnectionTest,
    /// The KMES public key as an `authorized_keys` line, and the SSH steps.
    SshKey,
    /// The step-by-step troubleshooting wizard.
    Troubleshooting,
    /// The PKCS#11 module: its tokens, keys, sign test and SSH test.
    Pkcs11Module,
}

impl Screen {
    /// Every screen, in navigation order.
    pub const ALL: [Screen; 6] = [
        Screen::Configuration,
        Screen::Certificates,
        Screen::ConnectionTest,
        Screen::SshKey,
        Screen::Troubleshooting,
        Screen::Pkcs11Module,
    ];

    /// The name in the navigation.
    pub fn title(self) -> &'static str {
        match self {
            Screen::Configuration => "Configuration",
            Screen::Certificates => "Certificates",
            Screen::ConnectionTest => "Connection test",
            Screen::SshKey => "SSH key",
            Screen::Troubleshooting => "Guided troubleshooting",
            Screen::Pkcs11Module => "PKCS#11 module",
        }
    }

    /// What the screen is for, in one line.
    pub fn summary(self) -> &'static str {
        match self {
            Screen::Configuration => "Edit fxpkcs11.cfg [4.2]",
            Screen::Certificates => "Root CA and PKCS#12 client identity [3.1]",
            Screen::ConnectionTest => "Test the Host API connection [3.1] [3.2.10]",
            Screen::SshKey => "The public key for authorized_keys [4.1] [5]",
            Screen::Troubleshooting => "Step by step, in the guide's order",
            Screen::Pkcs11Module => "Tokens, keys and the SSH test through the module [1.4] [5]",
        }
    }

    /// The number key that shows the screen with Ctrl (1 for the first).
    pub fn key(self) -> egui::Key {
        match self {
            Screen::Configuration => egui::Key::Num1,
            Screen::Certificates => egui::Key::Num2,
            Screen::ConnectionTest => egui::Key::Num3,
            Screen::SshKey => egui::Key::Num4,
            Screen::Troubleshooting => egui::Key::Num5,
            Screen::Pkcs11Module => egui::Key::Num6,
        }
    }
}

/// What the screens may read.
pub struct ScreenContext<'a> {
    /// The open configuration.
    pub doc: Option<&'a OpenDocument>,
    /// The configuration being read, if any.
    pub loading: Option<&'a Path>,
    /// A configuration that was asked for but does not exist.
    pub missing: Option<&'a Missing>,
    /// Why the last configuration could not be read.
    pub load_problem: Option<&'a Problem>,
    /// The library's configuration path, for the empty state.
    pub library_path: &'a Path,
    /// A save is running.
    pub saving: bool,
    /// The certificates.
    pub certs: &'a CertState,
    /// The doctor.
    pub doctor: &'a DoctorState,
    /// What changed since the doctor's run on screen read its inputs (empty: current).
    pub doctor_changes: &'a [String],
    /// What changed since the module walk on screen (empty: current).
    pub module_changes: &'a [String],
    /// What changed since the SSH test on screen (empty: current).
    pub ssh_changes: &'a [String],
    /// The public key.
    pub key: &'a KeyState,
    /// The PKCS#11 module screen's results.
    pub module: &'a ModuleState,
    /// The demo, when running `fxconfig demo`.
    pub demo: Option<&'a Demo>,
    /// The preferences.
    pub prefs: &'a Prefs,
    /// The module path used in the SSH commands.
    pub module_path: &'a str,
    /// A file dialog is open.
    pub dialog_open: bool,
    /// Whether a module was chosen or found (else [`ScreenContext::module_path`] is only
    /// the guide's example).
    pub module_configured: bool,
    /// SoftHSM2's module, found in the demo, to stand in for the Futurex module.
    pub softhsm: Option<&'a Path>,
    /// Where the keyboard focus goes this frame.
    pub focus: Option<&'a FocusTarget>,
    /// The time allowed to each network step of the connection test.
    pub step_timeout: Duration,
    /// The recent files that are gone.
    pub recent_missing: &'a HashSet<PathBuf>,
    /// What was found of the installation.
    pub install: &'a InstallState,
}
