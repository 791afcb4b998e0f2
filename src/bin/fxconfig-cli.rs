//! `fxconfig-cli`: the command line alone, as a console program.
//!
//! On Windows `fxconfig.exe` is a GUI-subsystem program, which opens no console window when
//! double-clicked but cannot reliably give cmd or PowerShell its output and exit code; this
//! console-subsystem twin runs the same command-line module.

#[path = "../cli/mod.rs"]
mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
