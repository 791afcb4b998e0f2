//! The `fxconfig` program: the command line over the fxconfig library.
//!
//! On Windows it is a GUI-subsystem program, so starting it from Explorer opens no console
//! window; `fxconfig-cli.exe` (src/bin/fxconfig-cli.rs) is its console twin for cmd and PowerShell.
#![cfg_attr(windows, windows_subsystem = "windows")]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
