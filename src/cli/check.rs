//! `fxconfig check`: the connection doctor.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::Args;
use fxconfig::doctor::{self, DoctorOptions, Status};
use fxconfig::pkcs11::ssh::{HostKeys, SshDestination};

use super::{CommandError, CommandResult, EXIT_FAILED, EXIT_OK, output, p11::PinSource};

// Arguments of `fxconfig check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The fxpkcs11.cfg to examine (default: the one the PKCS#11 library reads).
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Print one JSON object instead of text (the same as --format json).
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// The output: text as the checks complete, one JSON object, or Prometheus metrics for
    /// node_exporter's textfile collector.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the JSON or the metrics to FILE instead of standard output, atomically (a
    /// temporary file beside it renamed over it); a new FILE is 0644.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also write a capture of the run to FILE: the results as --json gives them, the cfg with
    /// its passwords masked, and what the network showed (addresses, TLS, every Excrypt byte
    /// with its time), for `kmes-sim --replay FILE`. Never a password, PIN, key or PKCS#12.
    #[arg(long, value_name = "FILE")]
    capture: Option<PathBuf>,
    /// With --capture: include this client's certificate (public, but its subject may name a
    /// person or host), so a replay's client certificate keeps its subject.
    #[arg(long, requires = "capture")]
    capture_client_cert: bool,
    /// Seconds allowed to each network step.
    #[arg(long, value_name = "SECS", default_value_t = 5.0, value_parser = parse_timeout)]
    timeout: f64,
    /// Also check this PKCS#11 module: file, libraries, load, token, login, keys, sign test.
    #[arg(long, value_name = "PATH")]
    module: Option<PathBuf>,
    /// The token to use, by label (default: the first initialised token).
    #[arg(long, value_name = "LABEL", requires = "module", allow_hyphen_values = true)]
    token: Option<String>,
    #[command(flatten)]
    pin: PinSource,
    /// Also check the SSH client for TARGET (ssh.config, ssh.keys) and log in: `ssh -I MODULE
    /// USER@HOST[:PORT] true`, or for an alias `ssh ALIAS true` through its own configuration.
    #[arg(long = "ssh", value_name = "USER@HOST[:PORT]|ALIAS", requires = "module")]
    ssh_target: Option<SshDestination>,
    /// The OpenSSH client configuration the --ssh alias is in (as `ssh -F FILE`; default: the
    /// user's ~/.ssh/config and the system's).
    #[arg(long, value_name = "FILE", requires = "ssh_target")]
    ssh_config: Option<PathBuf>,
    /// The KMES-exported public key (as `pubkey` reads it): ssh.keys checks it is on the token
    /// and is the key ssh offers.
    #[arg(long, value_name = "FILE", requires = "module")]
    pubkey: Option<PathBuf>,
    /// Check the SSH server's host key against this known_hosts file only (default: your own known_hosts, strictly).
    #[arg(
        long,
        value_name = "FILE",
        requires = "ssh_target",
        conflicts_with = "ssh_accept_new"
    )]
    ssh_known_hosts: Option<PathBuf>,
    /// Accept and record an unknown SSH host key (StrictHostKeyChecking=accept-new).
    #[arg(long, requires = "ssh_target")]
    ssh_accept_new: bool,
    /// The user who will run ssh: config.access fails when NAME cannot read the cfg, the
    /// root CA or the PKCS#12 file; run as root, --ssh logs in as NAME.
    #[arg(long, value_name = "NAME")]
    for_user: Option<String>,
}

/// What `check` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// Each check as it completes, then a summary.
    Text,
    /// One JSON object at the end.
    Json,
    /// The Prometheus text exposition format.
    Prometheus,
}

fn parse_timeout(text: &str) -> Result<f64, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if secs.is_finite() && secs > 0.0 && secs <= 3600.0 {
        Ok(secs)
    } else {
        Err("the timeout must be more than 0 and at most 3600 seconds".to_owned())
    }
}

/// Writes the capture of `report` to `path`; says so on standard error (on standard output
/// with `announce`, the text format).
fn write_capture(
    report: &doctor::Report,
    path: &std::path::Path,
    client_certificate: bool,
    announce: bool,
) -> Result<(), CommandError> {
    use fxconfig::capture::{Capture, CaptureOptions};
    let header = doctor::report::ReportHeader::current();
    let capture = Capture::of_report(report, &header.os, CaptureOptions { client_certificate })
        .map_err(|e| CommandError::explained(super::EXIT_CANNOT_RUN, &e))?;
    let sha256 = capture
        .write(path)
        .map_err(|e| CommandError::explained(super::EXIT_CANNOT_RUN, &e))?;
    let line = format!(
        "capture written to {} (SHA-256 {sha256})",
        fxconfig::display::escape(&path.display().to_string())
    );
    if announce {
        println!("\n{line}");
    } else {
        eprintln!("{line}");
    }
    Ok(())
}

/// Runs the checks and prints them as they complete (or as JSON at the end).
pub fn run(args: &CheckArgs) -> CommandResult {
    let ssh_host_keys = match (&args.ssh_known_hosts, args.ssh_accept_new) {
        (Some(file), _) => HostKeys::File(file.clone()),
        (None, true) => HostKeys::AcceptNew,
        (None, false) => HostKeys::Strict,
    };
    let options = DoctorOptions {
        config: args.config.clone(),
        timeout: Duration::from_secs_f64(args.timeout),
        module: args.module.clone(),
        pin: args.pin.read()?,
        token_label: args.token.clone(),
        ssh_target: args.ssh_target.clone(),
        ssh_config: args.ssh_config.clone(),
        pubkey: args.pubkey.clone(),
        agent_socket: DoctorOptions::default().agent_socket,
        ssh_host_keys,
        helper: None,
        for_user: args.for_user.clone(),
    };
    let format = if args.json { Format::Json } else { args.format };
    if format == Format::Text && args.output.is_some() {
        return Err(CommandError::cannot_run(
            "--output writes JSON or metrics: add --format json or --format prometheus",
        ));
    }
    let never_cancelled = AtomicBool::new(false);
    let mut print_each = |result: &doctor::CheckResult| {
        if format == Format::Text {
            output::print_check(result);
        }
    };
    let report = doctor::run(&options, &never_cancelled, &mut print_each);
    if let Some(path) = &args.capture {
        write_capture(&report, path, args.capture_client_cert, format == Format::Text)?;
    }
    if format != Format::Text {
        let text = match format {
            Format::Prometheus => doctor::metrics::prometheus(&report),
            _ => {
                let mut text = serde_json::to_string_pretty(&report)
                    .map_err(|e| CommandError::cannot_run(format!("could not encode the report: {e}")))?;
                text.push('\n');
                text
            }
        };
        match &args.output {
            Some(path) => {
                fxconfig::files::publish_file(path, text.as_bytes(), 0o644)
                    .map_err(|e| CommandError::cannot_run(format!("could not write {}: {e}", path.display())))?;
            }
            None => output::write_stdout(format_args!("{text}")),
        }
    } else {
        let count = |status: Status| report.checks.iter().filter(|c| c.status == status).count();
        let warnings = count(Status::Warn);
        println!(
            "\n{}: {} passed, {warnings} warning{}, {} failed, {} skipped ({})",
            if report.ok { "OK" } else { "FAILED" },
            count(Status::Pass),
            if warnings == 1 { "" } else { "s" },
            count(Status::Fail),
            count(Status::Skip),
            fxconfig::display::escape(&report.config)
        );
    }
    Ok(if report.ok { EXIT_OK } else { EXIT_FAILED })
}
