//! `fxconfig gui` and `fxconfig demo`: the desktop app, on a configuration or on the demo.
//!
//! The `fxconfig` program built with the `gui` feature opens the window itself (`window`).
//! `fxconfig-cli` (the console twin on Windows), and any program built without the feature,
//! starts the desktop program beside it with the same arguments and waits for it (`handoff`).
//! Which one is decided when the program is compiled ([`OPENS_WINDOW`]), so that
//! `fxconfig-cli` built in the same pass as `fxconfig`, with the same features, links none of
//! the desktop app's code.

use clap::Args;
use fxconfig::sim::Fault;
use std::path::PathBuf;
use std::time::Instant;

use super::CommandResult;

mod handoff;
#[cfg(feature = "gui")]
mod window;

/// The program this module is compiled into (`CARGO_BIN_NAME`).
#[cfg(feature = "gui")]
const PROGRAM: &str = env!("CARGO_BIN_NAME");

/// Whether two strings are equal, at compile time.
#[cfg(feature = "gui")]
const fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut index = 0;
    while index < a.len() {
        if a[index] != b[index] {
            return false;
        }
        index += 1;
    }
    true
}

/// Whether this program (built with the `gui` feature) opens the window itself: `fxconfig`
/// does, `fxconfig-cli` never.
#[cfg(feature = "gui")]
pub const OPENS_WINDOW: bool = !same_text(PROGRAM, "fxconfig-cli");

/// `gui`: the window, here or in the desktop program beside this one.
pub fn run_gui(args: &GuiArgs, started: Instant) -> CommandResult {
    #[cfg(feature = "gui")]
    if OPENS_WINDOW {
        return window::run_gui(args, started);
    }
    handoff::run_gui(args, started)
}

/// `demo`: the demo, here or in the desktop program beside this one.
pub fn run_demo(args: &DemoArgs, started: Instant) -> CommandResult {
    #[cfg(feature = "gui")]
    if OPENS_WINDOW {
        return window::run_demo(args, started);
    }
    handoff::run_demo(args, started)
}

// Arguments of `fxconfig gui`.
#[derive(Debug, Args, Default)]
pub struct GuiArgs {
    /// The fxpkcs11.cfg to open (default: the one the PKCS#11 library reads).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

// Arguments of `fxconfig demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Start the simulator with this fault (it can be switched in the app): wrong-ca, reject-client, no-client-auth, expired-cert, tls12-only, silent, garbage, close-after-handshake, echo-disabled, permission-denied, general-failure, slow, guide-cert, cbc-only.
    #[arg(long, value_name = "NAME")]
    pub fault: Option<Fault>,
    /// Open the app on a replay of this capture (`check --capture FILE`, or the app's "Save
    /// capture…") instead of the simulator: the KMES as the capture saw it.
    #[arg(long, value_name = "FILE", conflicts_with = "fault")]
    pub replay: Option<PathBuf>,
}
