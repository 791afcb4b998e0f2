//! `fxconfig kmes-sim`: the KMES simulator in the foreground.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use fxconfig::sim::{self, Fault, SimOptions};

use super::{CommandError, CommandResult, EXIT_CANNOT_RUN, EXIT_OK};

// Arguments of `fxconfig kmes-sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// The address to listen on, such as 127.0.0.1:2001 (port 0 picks a free port; the chosen address is printed).
    #[arg(long, value_name = "ADDR")]
    listen: SocketAddr,
    /// The CA that client certificates must chain to (PEM).
    #[arg(long, value_name = "FILE")]
    ca: PathBuf,
    /// The server certificate (PEM).
    #[arg(long, value_name = "FILE")]
    cert: PathBuf,
    /// The server private key (PEM).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// The CA's private key (PEM), needed by --fault expired-cert to issue an expired certificate.
    #[arg(long, value_name = "FILE")]
    ca_key: Option<PathBuf>,
    /// Misbehave on purpose: wrong-ca, reject-client, no-client-auth, expired-cert, tls12-only, silent, garbage, close-after-handshake, echo-disabled, permission-denied, general-failure, slow, guide-cert, cbc-only.
    #[arg(long, value_name = "NAME")]
    fault: Option<Fault>,
    /// Seconds the `slow` fault waits before answering.
    #[arg(long, value_name = "SECS", default_value_t = 3.0)]
    slow_delay: f64,
}

/// Starts the simulator, prints where it listens, and serves until killed.
pub fn run(args: &SimArgs) -> CommandResult {
    let slow_delay = Duration::try_from_secs_f64(args.slow_delay)
        .map_err(|_| CommandError::cannot_run("--slow-delay must be a non-negative number of seconds"))?;
    let options = SimOptions {
        listen: args.listen,
        ca: args.ca.clone(),
        cert: args.cert.clone(),
        key: args.key.clone(),
        ca_key: args.ca_key.clone(),
        fault: args.fault,
        slow_delay,
    };
    let handle = sim::start(options).map_err(|e| CommandError::explained(EXIT_CANNOT_RUN, &e))?;
    let fault = args.fault.map(|f| format!(" with fault {f}")).unwrap_or_default();
    println!("kmes-sim listening on {}{fault}", handle.local_addr());
    let _ = std::io::stdout().flush();
    handle.wait();
    Ok(EXIT_OK)
}
