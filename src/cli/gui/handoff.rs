//! The desktop app from a program built without it: `fxconfig-cli.exe gui` starts
//! `fxconfig.exe` from the same folder with the same arguments, waits for its window to close
//! and exits with its code. Standard streams are inherited, so a launch error still reaches the
//! console.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use super::super::{CommandError, CommandResult, EXIT_CANNOT_RUN};
use super::{DemoArgs, GuiArgs};

/// The file name of the program that carries the desktop app.
const DESKTOP_PROGRAM: &str = if cfg!(windows) { "fxconfig.exe" } else { "fxconfig" };

/// `gui`: runs the desktop program beside this one with this process's arguments.
pub fn run_gui(_args: &GuiArgs, _started: Instant) -> CommandResult {
    run_desktop_program()
}

/// `demo`: runs the desktop program beside this one with this process's arguments.
pub fn run_demo(_args: &DemoArgs, _started: Instant) -> CommandResult {
    run_desktop_program()
}

/// Runs the desktop program beside this one with this process's arguments and waits for it.
fn run_desktop_program() -> CommandResult {
    let desktop = desktop_program()?;
    let status = Command::new(&desktop)
        .args(std::env::args_os().skip(1))
        .status()
        .map_err(|e| CommandError::cannot_run(format!("could not start {}: {e}", desktop.display())))?;
    Ok(status
        .code()
        .and_then(|code| u8::try_from(code).ok())
        .unwrap_or(EXIT_CANNOT_RUN))
}

/// The desktop program in this program's folder.
fn desktop_program() -> Result<PathBuf, CommandError> {
    let this = std::env::current_exe()
        .map_err(|e| CommandError::cannot_run(format!("could not find this program's own path: {e}")))?;
    let desktop = this.with_file_name(DESKTOP_PROGRAM);
    if desktop.is_file() {
        Ok(desktop)
    } else {
        Err(CommandError::cannot_run(format!(
            "this program is the command line alone; the desktop app is {}, which is not in {}. \
             Start it from the fxconfig folder, or reinstall fxconfig from its zip.",
            DESKTOP_PROGRAM,
            this.parent()
                .map_or_else(|| this.display().to_string(), |dir| dir.display().to_string())
        )))
    }
}
