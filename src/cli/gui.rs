//! `fxconfig gui` and `fxconfig demo`: the desktop app, on a configuration or on the demo.
//!
//! A program built with the `gui` feature opens the window itself (`window`); one built
//! without it, such as `fxconfig-cli.exe`, starts the desktop program beside it with the same
//! arguments and waits for it (`handoff`).

use clap::Args;
use fxconfig::sim::Fault;
use std::path::PathBuf;

#[cfg(not(feature = "gui"))]
mod handoff;
#[cfg(feature = "gui")]
mod window;

#[cfg(not(feature = "gui"))]
pub use handoff::{run_demo, run_gui};
#[cfg(feature = "gui")]
pub use window::{run_demo, run_gui};

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
}
