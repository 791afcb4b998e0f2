//! The command line: argument parsing with clap and one module per command. Every
//! command is a thin layer over the library; this is the only place that prints.
//!
//! Without a command, `fxconfig` opens the desktop app (as `fxconfig gui` does).
//!
//! Exit codes: 0 all good (warnings allowed), 1 a check or validation failed,
//! 2 the command could not run (usage, unreadable file, no window could be opened, or
//! the output could not be written), 141 the reader of the output closed it early.

/// `println!` for the command line: a failed write does not panic (see [`output`]).
macro_rules! println {
    () => {
        crate::cli::output::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        crate::cli::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!` for the command line: a failed write to standard error is ignored.
macro_rules! eprintln {
    ($($arg:tt)*) => {
        crate::cli::output::write_stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

mod check;
mod config;
mod gui;
mod identity;
mod locate;
mod output;
mod p11;
mod package_docs;
mod pubkey;
mod secret_input;
mod sim;
mod ssh_config;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

/// The exit code when everything is fine (warnings allowed).
pub const EXIT_OK: u8 = 0;
/// The exit code when a check or validation failed.
pub const EXIT_FAILED: u8 = 1;
/// The exit code when the command could not run.
pub const EXIT_CANNOT_RUN: u8 = 2;

/// Set up and diagnose the Futurex PKCS#11 client (fxpkcs11) for SSH key offloading to a KMES Series 3.
#[derive(Debug, Parser)]
#[command(
    name = "fxconfig",
    version,
    about,
    after_help = "Without a command, the desktop app opens."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

/// The commands' arguments are built only for the command given (`defer`): `fxconfig pubkey`
/// or `--version` does not build the argument lists of every other command at each start.
///
/// A command's description is its variant's doc comment here. The argument structs carry
/// plain comments: being built late, a doc comment there would replace the description.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
enum Command {
    /// Run the connection doctor: configuration, TLS materials, network, TLS, Excrypt ECHO.
    Check(check::CheckArgs),
    /// Create, show, change or validate fxpkcs11.cfg.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Find the fxpkcs11 installation: every fxpkcs11.cfg and module build, which fits, which cfg the library reads.
    Locate(locate::LocateArgs),
    /// Print the KMES-exported public key as an authorized_keys line [3.2.9] [4.1].
    Pubkey(pubkey::PubkeyArgs),
    /// Show what a PKCS#12 client identity holds, and check it against the root CA.
    Identity(identity::IdentityArgs),
    /// Copy the root CA and the PKCS#12 identity next to the configuration and name them in it.
    Import(identity::ImportArgs),
    /// Write or update the Host block that makes `ssh ALIAS` use the token key (PKCS11Provider, IdentitiesOnly, IdentityFile), proven with ssh -G.
    SshConfig(ssh_config::SshConfigArgs),
    /// Run the KMES simulator: a TLS Host API server answering the Excrypt ECHO.
    KmesSim(sim::SimArgs),
    /// Load a PKCS#11 module: library, slots, keys, authorized_keys lines, sign test.
    P11(p11::P11Args),
    /// The PIN helper ssh runs during `check --ssh` (not for direct use).
    #[command(hide = true)]
    Askpass(p11::AskpassArgs),
    /// The child process that loads a module for `check --module` and the app: one JSON request on standard input, the JSON report on standard output (not for direct use).
    #[command(hide = true, name = "module-helper")]
    ModuleHelper,
    /// Open the desktop app (the default without a command).
    Gui(gui::GuiArgs),
    /// Open the desktop app on a KMES simulator with fresh certificates, to try every screen without a KMES.
    Demo(gui::DemoArgs),
    /// Write the man pages and shell completions the Linux packages ship (for the package build).
    #[command(hide = true)]
    PackageDocs(package_docs::PackageDocsArgs),
}

/// A failure that stops a command, with the exit code it maps to.
pub struct CommandError {
    code: u8,
    message: String,
}

impl CommandError {
    /// The command could not run (exit 2).
    pub fn cannot_run(message: impl Into<String>) -> Self {
        CommandError {
            code: EXIT_CANNOT_RUN,
            message: message.into(),
        }
    }

    /// A library error explained: its cause chain, then its remedy.
    pub fn explained(code: u8, error: &(dyn fxconfig::Explain + 'static)) -> Self {
        CommandError {
            code,
            message: format!(
                "{}\n  remedy: {}",
                fxconfig::display::escape(&fxconfig::remedy::cause_chain(error)),
                fxconfig::display::escape(&fxconfig::remedy::remedy_with_citation(error))
            ),
        }
    }
}

/// What a command returns: its exit code, or an error to report.
pub type CommandResult = Result<u8, CommandError>;

/// Parses the arguments, runs the command and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    let started = Instant::now();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { EXIT_CANNOT_RUN } else { EXIT_OK };
            // Help and version go to standard output: a write that fails (a full disk,
            // /dev/full) is a command that could not run, a reader gone early is 141.
            return ExitCode::from(
                match error
                    .print()
                    .and_then(|()| std::io::Write::flush(&mut std::io::stdout()))
                {
                    Ok(()) => code,
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => output::EXIT_BROKEN_PIPE,
                    Err(_) => EXIT_CANNOT_RUN,
                },
            );
        }
    };
    let command = cli.command.unwrap_or_else(|| Command::Gui(gui::GuiArgs::default()));
    let result = match command {
        Command::Check(args) => check::run(&args),
        Command::Config(command) => config::run(command),
        Command::Locate(args) => locate::run(&args),
        Command::Pubkey(args) => pubkey::run(&args),
        Command::Identity(args) => identity::run_identity(&args),
        Command::Import(args) => identity::run_import(&args),
        Command::SshConfig(args) => ssh_config::run(&args),
        Command::KmesSim(args) => sim::run(&args),
        Command::P11(args) => p11::run(&args),
        Command::Askpass(args) => p11::run_askpass(&args),
        Command::ModuleHelper => p11::run_module_helper(),
        Command::Gui(args) => gui::run_gui(&args, started),
        Command::Demo(args) => gui::run_demo(&args, started),
        Command::PackageDocs(args) => package_docs::run(&args),
    };
    let code = match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("fxconfig: {}", fxconfig::display::escape_lines(&error.message));
            error.code
        }
    };
    ExitCode::from(output::finish(code))
}

/// The configuration to use when none is named: the one the PKCS#11 library reads.
fn default_config_path() -> PathBuf {
    fxconfig::cfg::locate::library_cfg_path().path
}
