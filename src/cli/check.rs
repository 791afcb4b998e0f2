//! `fxconfig check`: the connection doctor.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::Args;
use fxconfig::doctor::{self, DoctorOptions, Status};

use super::{CommandError, CommandResult, EXIT_FAILED, EXIT_OK, output};

/// Arguments of `fxconfig check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The fxpkcs11.cfg to examine (default: the one the PKCS#11 library reads).
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Seconds allowed to each network step.
    #[arg(long, value_name = "SECS", default_value_t = 5.0, value_parser = parse_timeout)]
    timeout: f64,
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

/// Runs the checks and prints them as they complete (or as JSON at the end).
pub fn run(args: &CheckArgs) -> CommandResult {
    let options = DoctorOptions {
        config: args.config.clone(),
        timeout: Duration::from_secs_f64(args.timeout),
    };
    let never_cancelled = AtomicBool::new(false);
    let json = args.json;
    let mut print_each = |result: &doctor::CheckResult| {
        if !json {
            output::print_check(result);
        }
    };
    let report = doctor::run(&options, &never_cancelled, &mut print_each);
    if json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| CommandError::cannot_run(format!("could not encode the report: {e}")))?;
        println!("{text}");
    } else {
        let count = |status: Status| report.checks.iter().filter(|c| c.status == status).count();
        println!(
            "\n{}: {} passed, {} warnings, {} failed, {} skipped ({})",
            if report.ok { "OK" } else { "FAILED" },
            count(Status::Pass),
            count(Status::Warn),
            count(Status::Fail),
            count(Status::Skip),
            report.config
        );
    }
    Ok(if report.ok { EXIT_OK } else { EXIT_FAILED })
}
