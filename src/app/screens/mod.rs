//! The screens of the left navigation, one module each. A screen draws from the
//! read-only [`ScreenContext`] and its own widget state, and pushes [`Command`]s.
//!
//! To add a screen: a variant of [`Screen`], its row in [`SCREENS`] (title, summary, Ctrl key,
//! `show`, what Enter does), its widget state in [`Views`], and a module here with its `show`;
//! point the troubleshooting steps it serves at it ([`troubleshooting::STEPS`]).

pub mod certificates;
pub mod configuration;
pub mod connection;
pub mod install;
pub mod pkcs11;
pub mod screen;
pub mod ssh_client;
pub mod ssh_key;
pub mod troubleshooting;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::demo::Demo;

use super::features::doctor::DoctorState;
use super::model::Problem;
use super::prefs::Prefs;
pub use screen::Screen;

use super::command::Command;
use super::features::doctor::DoctorCommand;
use super::widgets::FocusTarget;
use crate::app::features::certificates::CertState;
use crate::app::features::document::Missing;
use crate::app::features::document::OpenDocument;
use crate::app::features::install::InstallState;
use crate::app::features::key::KeyState;
use crate::app::features::module::ModuleState;
use crate::app::features::ssh_client::SshClientState;

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

/// One screen: one row of [`SCREENS`].
pub struct ScreenSpec {
    /// Which screen.
    pub screen: Screen,
    /// The name in the navigation.
    pub title: &'static str,
    /// What the screen is for, in one line.
    pub summary: &'static str,
    /// The number key that shows the screen with Ctrl.
    pub key: egui::Key,
    /// Draws it, with its widget state in [`Views`].
    pub show: fn(&mut egui::Ui, &ScreenContext<'_>, &mut Views, &mut Vec<Command>),
    /// What Enter does on it when no control has the focus, given the widget state and the
    /// preferences.
    pub enter: fn(&Views, &Prefs) -> Option<Command>,
}

/// Every screen, in navigation order. A new screen is a [`Screen`] variant, its row here
/// (in the variant's order), and its module with a `show`.
pub const SCREENS: [ScreenSpec; 7] = [
    ScreenSpec {
        screen: Screen::Configuration,
        title: "Configuration",
        summary: "Edit fxpkcs11.cfg [4.2]",
        key: egui::Key::Num1,
        show: |ui, cx, views, out| configuration::show(ui, cx, &mut views.config, out),
        enter: |_, _| None,
    },
    ScreenSpec {
        screen: Screen::Certificates,
        title: "Certificates",
        summary: "Root CA and PKCS#12 client identity [3.1]",
        key: egui::Key::Num2,
        show: |ui, cx, views, out| certificates::show(ui, cx, &mut views.certificates, out),
        enter: |_, _| None,
    },
    ScreenSpec {
        screen: Screen::ConnectionTest,
        title: "Connection test",
        summary: "Test the Host API connection [3.1] [3.2.10]",
        key: egui::Key::Num3,
        show: |ui, cx, views, out| connection::show(ui, cx, &mut views.connection, out),
        enter: |_, _| Some(DoctorCommand::Run { stop_after: None }.into()),
    },
    ScreenSpec {
        screen: Screen::SshKey,
        title: "SSH key",
        summary: "The public key for authorized_keys [4.1] [5]",
        key: egui::Key::Num4,
        show: |ui, cx, views, out| ssh_key::show(ui, cx, &mut views.key, out),
        enter: |_, _| None,
    },
    ScreenSpec {
        screen: Screen::Troubleshooting,
        title: "Guided troubleshooting",
        summary: "Step by step, in the guide's order",
        key: egui::Key::Num5,
        show: |ui, cx, views, out| troubleshooting::show(ui, cx, &mut views.wizard, out),
        enter: |views, prefs| {
            let typed = views.module.target.trim();
            let target = prefs.ssh_destination.as_deref().unwrap_or(typed);
            troubleshooting::enter_action(&views.wizard, target.trim())
        },
    },
    ScreenSpec {
        screen: Screen::Pkcs11Module,
        title: "PKCS#11 module",
        summary: "Tokens, keys and the SSH test through the module [1.4] [5]",
        key: egui::Key::Num6,
        show: |ui, cx, views, out| pkcs11::show(ui, cx, &mut views.module, out),
        enter: |views, _| Some(pkcs11::enter_action(&views.module)),
    },
    ScreenSpec {
        screen: Screen::SshClient,
        title: "SSH client",
        summary: "ssh_config Host block, daily commands, the agent [5]",
        key: egui::Key::Num7,
        show: |ui, cx, views, out| ssh_client::show(ui, cx, &mut views.ssh_client, out),
        enter: |_, _| None,
    },
];

/// The widget state of every screen.
#[derive(Default)]
pub struct Views {
    /// The Configuration screen's.
    pub config: configuration::ConfigView,
    /// The Certificates screen's.
    pub certificates: certificates::CertView,
    /// The Connection test screen's.
    pub connection: connection::ConnectionView,
    /// The SSH key screen's.
    pub key: ssh_key::KeyView,
    /// The PKCS#11 module screen's.
    pub module: pkcs11::ModuleView,
    /// The troubleshooting wizard's.
    pub wizard: troubleshooting::WizardView,
    /// The SSH client screen's.
    pub ssh_client: ssh_client::SshClientView,
}

impl Screen {
    /// Every screen, in navigation order (from [`SCREENS`]).
    pub const ALL: [Screen; 7] = {
        let mut all = [Screen::Configuration; 7];
        let mut index = 0;
        while index < SCREENS.len() {
            all[index] = SCREENS[index].screen;
            index += 1;
        }
        all
    };

    /// This screen's row of [`SCREENS`].
    pub fn spec(self) -> &'static ScreenSpec {
        &SCREENS[self as usize]
    }

    /// The name in the navigation.
    pub fn title(self) -> &'static str {
        self.spec().title
    }

    /// What the screen is for, in one line.
    pub fn summary(self) -> &'static str {
        self.spec().summary
    }

    /// The number key that shows the screen with Ctrl (1 for the first).
    pub fn key(self) -> egui::Key {
        self.spec().key
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
    /// The SSH client screen's results.
    pub ssh_client: &'a SshClientState,
}
