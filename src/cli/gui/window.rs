//! The desktop app in this process.
//!
//! For the benchmarks, `FXCONFIG_BENCH=first-frame` closes the window after the first
//! frame and `FXCONFIG_BENCH=frames` records every frame's time; either prints one
//! `fxconfig-bench:` line to standard error when the window closes, and
//! `FXCONFIG_BENCH_OUT=FILE` also writes each frame's CPU time and interval there.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use fxconfig::app::{self, AppOptions, BenchProbe, BenchRecord};
use fxconfig::demo::Demo;

use super::super::{CommandError, CommandResult, EXIT_CANNOT_RUN, EXIT_OK};
use super::{DemoArgs, GuiArgs};

/// The environment variable that turns on the benchmark probes.
const BENCH_ENV: &str = "FXCONFIG_BENCH";

/// The environment variable naming the file for per-frame benchmark figures.
const BENCH_OUT_ENV: &str = "FXCONFIG_BENCH_OUT";

/// Opens the app on a configuration.
pub fn run_gui(args: &GuiArgs, started: Instant) -> CommandResult {
    launch(AppOptions::new(args.config.clone()), started)
}

/// Starts the demo and opens the app on it.
pub fn run_demo(args: &DemoArgs, started: Instant) -> CommandResult {
    let demo = match &args.replay {
        Some(capture) => Demo::replay(capture),
        None => Demo::start(args.fault),
    }
    .map_err(|e| CommandError::explained(EXIT_CANNOT_RUN, &e))?;
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
    let to_ms = |seconds: f32| f64::from(seconds) * 1000.0;
    let stats = |mut values: Vec<f64>| -> String {
        if values.is_empty() {
            return "none".to_owned();
        }
        values.sort_by(f64::total_cmp);
        let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
        format!("median={:.2} p95={:.2} max={:.2}", at(0.5), at(0.95), at(1.0))
    };
    // A frame counts when the test ran during it and during the frame before, so the idle
    // time before the test started is not taken for a slow frame.
    let running: Vec<_> = record
        .frames
        .windows(2)
        .filter(|pair| pair[0].doctor_running && pair[1].doctor_running)
        .map(|pair| &pair[1])
        .collect();
    eprintln!(
        "fxconfig-bench: renderer=\"{}\" first_frame_ms={:.1} frames={} frames_while_testing={} \
         cpu_ms_while_testing[{}] interval_ms_while_testing[{}]",
        record.renderer,
        record.first_frame.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
        record.frames.len(),
        running.len(),
        stats(running.iter().filter_map(|f| f.cpu).map(to_ms).collect()),
        stats(running.iter().map(|f| to_ms(f.interval)).collect()),
    );
    if let Some(path) = std::env::var_os(BENCH_OUT_ENV) {
        let mut text = String::from("cpu_ms interval_ms doctor_running\n");
        for frame in &record.frames {
            let cpu = frame.cpu.map_or(f64::NAN, to_ms);
            let _ = writeln!(
                text,
                "{cpu:.3} {:.3} {}",
                to_ms(frame.interval),
                u8::from(frame.doctor_running)
            );
        }
        std::fs::write(&path, text).map_err(|e| {
            CommandError::cannot_run(format!("could not write {}: {e}", PathBuf::from(&path).display()))
        })?;
    }
    Ok(())
}
