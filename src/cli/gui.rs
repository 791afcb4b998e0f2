//! `fxconfig gui` and `fxconfig demo`: the desktop app, on a configuration or on the demo.
//!
//! For the benchmarks, `FXCONFIG_BENCH=first-frame` closes the window after the first
//! frame and `FXCONFIG_BENCH=frames` records every frame's time; either prints one
//! `fxconfig-bench:` line to standard error when the window closes, and
//! `FXCONFIG_BENCH_OUT=FILE` also writes each frame's CPU time and interval there.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use fxconfig::app::{self, AppOptions, BenchProbe, BenchRecord};
use fxconfig::demo::Demo;
use fxconfig::sim::Fault;

use super::{CommandError, CommandResult, EXIT_CANNOT_RUN, EXIT_OK};

/// The environment variable that turns on the benchmark probes.
const BENCH_ENV: &str = "FXCONFIG_BENCH";

/// The environment variable naming the file for per-frame benchmark figures.
const BENCH_OUT_ENV: &str = "FXCONFIG_BENCH_OUT";

/// Arguments of `fxconfig gui`.
#[derive(Debug, Args, Default)]
pub struct GuiArgs {
    /// The fxpkcs11.cfg to open (default: the one the PKCS#11 library reads).
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
}

/// Arguments of `fxconfig demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Start the simulator with this fault (it can be switched in the app): wrong-ca, reject-client, no-client-auth, expired-cert, tls12-only, silent, garbage, close-after-handshake, echo-disabled, slow.
    #[arg(long, value_name = "NAME")]
    fault: Option<Fault>,
}

/// Opens the app on a configuration.
pub fn run_gui(args: &GuiArgs, started: Instant) -> CommandResult {
    launch(AppOptions::new(args.config.clone()), started)
}

/// Starts the demo and opens the app on it.
pub fn run_demo(args: &DemoArgs, started: Instant) -> CommandResult {
    let demo = Demo::start(args.fault).map_err(|e| CommandError::explained(EXIT_CANNOT_RUN, &e))?;
    let mut options = AppOptions::new(None);
    options.demo = Some(Arc::new(demo));
    launch(options, started)
}

fn launch(mut options: AppOptions, started: Instant) -> CommandResult {
    let probe = match std::env::var(BENCH_ENV).as_deref() {
        Ok("first-frame") => Some(BenchProbe::new(started, true)),
        Ok("frames") => Some(BenchProbe::new(started, false)),
        _ => None,
    };
    options.probe = probe.clone();
    let outcome = app::run(options);
    if let Some(probe) = probe {
        report_bench(&probe.record())?;
    }
    match outcome {
        Ok(()) => Ok(EXIT_OK),
        Err(error) => {
            show_launch_error(&error);
            Err(CommandError::explained(EXIT_CANNOT_RUN, &error))
        }
    }
}

/// On Windows the program may have been started without a console: say it in a box too.
#[cfg(windows)]
fn show_launch_error(error: &app::LaunchError) {
    let text = format!("{error}\n\n{}", fxconfig::remedy::remedy_with_citation(error));
    let _ = rfd::MessageDialog::new()
        .set_title("fxconfig could not open its window")
        .set_description(text)
        .set_level(rfd::MessageLevel::Error)
        .show();
}

#[cfg(not(windows))]
fn show_launch_error(_error: &app::LaunchError) {}

fn report_bench(record: &BenchRecord) -> Result<(), CommandError> {
    let ms = |seconds: f32| f64::from(seconds) * 1000.0;
    let stats = |values: &[f32]| -> (f64, f64, f64) {
        if values.is_empty() {
            return (0.0, 0.0, 0.0);
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f32::total_cmp);
        let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
        (ms(at(0.5)), ms(at(0.95)), ms(sorted[sorted.len() - 1]))
    };
    let (cpu_median, cpu_p95, cpu_max) = stats(&record.frame_cpu);
    let (gap_median, gap_p95, gap_max) = stats(&record.frame_intervals);
    eprintln!(
        "fxconfig-bench: first_frame_ms={:.1} frames={} cpu_ms_median={cpu_median:.2} cpu_ms_p95={cpu_p95:.2} \
         cpu_ms_max={cpu_max:.2} interval_ms_median={gap_median:.1} interval_ms_p95={gap_p95:.1} interval_ms_max={gap_max:.1}",
        record.first_frame.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
        record.frame_cpu.len(),
    );
    if let Some(path) = std::env::var_os(BENCH_OUT_ENV) {
        let mut text = String::from("cpu_ms interval_ms\n");
        for (index, cpu) in record.frame_cpu.iter().enumerate() {
            let interval = record.frame_intervals.get(index).copied().map_or(f64::NAN, ms);
            let _ = writeln!(text, "{:.3} {interval:.3}", ms(*cpu));
        }
        std::fs::write(&path, text).map_err(|e| {
            CommandError::cannot_run(format!("could not write {}: {e}", PathBuf::from(&path).display()))
        })?;
    }
    Ok(())
}
