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
    #[arg(long, value_name = "FILE", required_unless_present = "replay")]
    ca: Option<PathBuf>,
    /// The server certificate (PEM).
    #[arg(long, value_name = "FILE", required_unless_present = "replay")]
    cert: Option<PathBuf>,
    /// The server private key (PEM).
    #[arg(long, value_name = "FILE", required_unless_present = "replay")]
    key: Option<PathBuf>,
    /// The CA's private key (PEM), needed by --fault expired-cert to issue an expired certificate.
    #[arg(long, value_name = "FILE")]
    ca_key: Option<PathBuf>,
    /// Misbehave on purpose: wrong-ca, reject-client, no-client-auth, expired-cert, tls12-only, silent, garbage, close-after-handshake, echo-disabled, permission-denied, general-failure, slow, guide-cert, cbc-only.
    #[arg(long, value_name = "NAME")]
    fault: Option<Fault>,
    /// Seconds the `slow` fault waits before answering.
    #[arg(long, value_name = "SECS", default_value_t = 3.0)]
    slow_delay: f64,
    /// Behave like the KMES of this capture (`check --capture FILE`): its TLS version and
    /// suite, its certificates issued again under throwaway keys, its CertificateRequest, its
    /// alerts, its Excrypt answer bytes after the same delays.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["ca", "cert", "key", "ca_key", "fault"])]
    replay: Option<PathBuf>,
    /// With --replay: write here the files a client of the replay uses: fxpkcs11.cfg (naming
    /// the listening address, with the PKCS#12 password in it), root_cert.pem and client.p12.
    #[arg(long, value_name = "DIR", requires = "replay")]
    client_out: Option<PathBuf>,
}

/// Starts the replay of a capture, writes the client's files, and serves until killed.
fn run_replay(capture_path: &std::path::Path, args: &SimArgs) -> CommandResult {
    use fxconfig::capture::Capture;
    use fxconfig::sim::replay::ReplayLab;
    let capture = Capture::read(capture_path).map_err(|e| CommandError::explained(EXIT_CANNOT_RUN, &e))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX));
    let lab = ReplayLab::prepare(&capture, now).map_err(|e| CommandError::explained(EXIT_CANNOT_RUN, &e))?;
    let handle = lab
        .start(args.listen)
        .map_err(|e| CommandError::explained(EXIT_CANNOT_RUN, &e))?;
    println!(
        "kmes-sim replaying {} (taken {}, fxconfig {}) on {}",
        fxconfig::display::escape(&capture_path.display().to_string()),
        capture.taken_at,
        fxconfig::display::escape(&capture.environment.fxconfig_version),
        handle.local_addr()
    );
    for name in fxconfig::capture::REPLAYED_CHECKS {
        if let Some(verdict) = capture.verdict(name) {
            println!("  captured {name}: {}", fxconfig::display::escape(&verdict.to_string()));
        }
    }
    if let Some(dir) = &args.client_out {
        let password = fxconfig::secret::Secret::random_password()
            .ok_or_else(|| CommandError::cannot_run("the system's random source failed: no password for client.p12"))?;
        let cfg = lab
            .write_client(dir, handle.local_addr(), &password)
            .map_err(|e| CommandError::explained(EXIT_CANNOT_RUN, &e))?;
        println!(
            "client files in {}: fxconfig check --config {}",
            fxconfig::display::escape(&dir.display().to_string()),
            fxconfig::display::escape(&cfg.display().to_string())
        );
    }
    let _ = std::io::stdout().flush();
    handle.wait();
    Ok(EXIT_OK)
}

/// Starts the simulator, prints where it listens, and serves until killed.
pub fn run(args: &SimArgs) -> CommandResult {
    if let Some(capture) = &args.replay {
        return run_replay(capture, args);
    }
    let (Some(ca), Some(cert), Some(key)) = (&args.ca, &args.cert, &args.key) else {
        return Err(CommandError::cannot_run(
            "--ca, --cert and --key are required without --replay",
        ));
    };
    let slow_delay = Duration::try_from_secs_f64(args.slow_delay)
        .map_err(|_| CommandError::cannot_run("--slow-delay must be a non-negative number of seconds"))?;
    let options = SimOptions {
        listen: args.listen,
        ca: ca.clone(),
        cert: cert.clone(),
        key: key.clone(),
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
